/* SPDX-License-Identifier: MIT
 * Cortex-M4 start-up shared by every board: the core part of the vector table (initial
 * stack pointer, reset and the system exceptions), the reset handler that copies .data
 * from flash and clears .bss before any C code reads them, and the default handler. The
 * board's own interrupt vectors follow in section .vectors.irq (the linker scripts place
 * .vectors.core then .vectors.irq first in flash, where the core fetches them at reset).
 */
#include "cm4.h"

#include <stddef.h>

void cm4_reset_isr(void) __attribute__((noreturn));
static void default_isr(void);

/* The core's 16 entries (ARMv7-M B1.5.3): the SP value, then 15 exception handlers. */
struct cm4_core_vectors {
    uint32_t *initial_sp;
    cm4_vector handler[15];
};

void cm4_nmi_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_hardfault_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_memmanage_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_busfault_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_usagefault_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_svc_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_debugmon_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_pendsv_isr(void) __attribute__((weak, alias("default_isr")));
void cm4_systick_isr(void) __attribute__((weak, alias("default_isr")));

__attribute__((section(".vectors.core"),
               used)) static const struct cm4_core_vectors core_vectors = {
    cm4_stack_top,
    {
        cm4_reset_isr,                 /*  1 reset */
        cm4_nmi_isr,                   /*  2 NMI */
        cm4_hardfault_isr,             /*  3 HardFault */
        cm4_memmanage_isr,             /*  4 MemManage */
        cm4_busfault_isr,              /*  5 BusFault */
        cm4_usagefault_isr,            /*  6 UsageFault */
        NULL,                          /*  7-10 reserved */
        NULL, NULL, NULL, cm4_svc_isr, /* 11 SVCall */
        cm4_debugmon_isr,              /* 12 DebugMonitor */
        NULL,                          /* 13 reserved */
        cm4_pendsv_isr,                /* 14 PendSV */
        cm4_systick_isr,               /* 15 SysTick */
    },
};

/* volatile pointers: the compiler must not turn these loops into calls of memcpy/memset,
 * whose library versions are entitled to assume an initialised C environment. */
void cm4_reset_isr(void)
{
    const volatile uint32_t *src = cm4_data_load;
    volatile uint32_t *dst = cm4_data_start;

    while (dst < cm4_data_end) {
        *dst++ = *src++;
    }
    for (dst = cm4_bss_start; dst < cm4_bss_end; dst++) {
        *dst = 0;
    }
    board_init();
    board_exit(main());
}

static void default_isr(void)
{
    uint32_t ipsr;

    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_fault(ipsr & 0x1FFu);
}
