/* SPDX-License-Identifier: MIT
 * The Cortex-M4 core as every board sees it: the few System Control Space registers the
 * boards use (SysTick, SCB, NVIC, DWT), the start-up contract between startup.c and a
 * board, and the linker-script symbols. Addresses are the ARMv7-M Architecture Reference
 * Manual's (B3.2, B3.3, B3.4, C1.8); no vendor CMSIS header is needed.
 */
#ifndef PROJ_NODEFW_BOARDS_CORTEX_M4_CM4_H
#define PROJ_NODEFW_BOARDS_CORTEX_M4_CM4_H

#include <stdint.h>

#define CM4_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* SysTick (ARMv7-M B3.3): a 24-bit down-counter on the processor clock. */
#define CM4_SYST_CSR           CM4_REG(0xE000E010u)
#define CM4_SYST_RVR           CM4_REG(0xE000E014u)
#define CM4_SYST_CVR           CM4_REG(0xE000E018u)
#define CM4_SYST_CSR_ENABLE    (1u << 0)
#define CM4_SYST_CSR_TICKINT   (1u << 1)
#define CM4_SYST_CSR_CLKSOURCE (1u << 2) /* 1 = processor clock */
#define CM4_SYST_CSR_COUNTFLAG (1u << 16)
#define CM4_SYST_MAX           0x00FFFFFFu

/* System control block: sleep control and the application interrupt/reset register. */
#define CM4_SCB_ICSR           CM4_REG(0xE000ED04u)
#define CM4_SCB_ICSR_PENDSTSET (1u << 26)
#define CM4_SCB_AIRCR          CM4_REG(0xE000ED0Cu)
#define CM4_SCB_SCR            CM4_REG(0xE000ED10u)
#define CM4_SCB_AIRCR_RESET    ((0x05FAu << 16) | (1u << 2)) /* VECTKEY | SYSRESETREQ */
#define CM4_SCB_SCR_SLEEPDEEP  (1u << 2)

/* NVIC set-enable, clear-enable and clear-pending registers, 32 interrupts each. */
#define CM4_NVIC_ISER(n) CM4_REG(0xE000E100u + 4u * (n))
#define CM4_NVIC_ICER(n) CM4_REG(0xE000E180u + 4u * (n))
#define CM4_NVIC_ICPR(n) CM4_REG(0xE000E280u + 4u * (n))

/* DWT cycle counter (ARMv7-M C1.8), enabled through DEMCR.TRCENA. QEMU 7.2 does not model
 * it (CYCCNT reads 0), so the QEMU board measures with SysTick under -icount instead. */
#define CM4_DEMCR              CM4_REG(0xE000EDFCu)
#define CM4_DEMCR_TRCENA       (1u << 24)
#define CM4_DWT_CTRL           CM4_REG(0xE0001000u)
#define CM4_DWT_CYCCNT         CM4_REG(0xE0001004u)
#define CM4_DWT_CTRL_CYCCNTENA (1u << 0)

/* Linker-script symbols (see the boards' *.ld): only their addresses mean anything. */
extern uint32_t cm4_data_load[];  /* where .data's initial values sit in flash */
extern uint32_t cm4_data_start[]; /* .data in RAM, word aligned */
extern uint32_t cm4_data_end[];
extern uint32_t cm4_bss_start[]; /* .bss in RAM, word aligned */
extern uint32_t cm4_bss_end[];
extern uint32_t cm4_stack_top[]; /* initial main stack pointer: the end of RAM */

/* A vector table entry: the initial stack pointer or a handler. */
typedef void (*cm4_vector)(void);

/*
 * What startup.c expects of every board (each board's board.c defines them):
 * board_init() runs after .data and .bss are set up, before main(); board_exit() is called
 * with main()'s return value (a board with nowhere to report it sleeps forever).
 */
void board_init(void);
void board_exit(int status) __attribute__((noreturn));

/* The handlers the core vector table names. Each is a weak alias of the default handler,
 * which calls board_fault(); a board overrides the ones it uses. */
void cm4_nmi_isr(void);
void cm4_hardfault_isr(void);
void cm4_memmanage_isr(void);
void cm4_busfault_isr(void);
void cm4_usagefault_isr(void);
void cm4_svc_isr(void);
void cm4_debugmon_isr(void);
void cm4_pendsv_isr(void);
void cm4_systick_isr(void);

/*
 * board_fault() - an exception nobody handles. @ipsr: the active exception number
 * (3 = HardFault, 16 + n = IRQ n). A board reports it where it can and stops.
 */
void board_fault(uint32_t ipsr) __attribute__((noreturn));

/* The program proper: startup.c calls it after board_init(). */
int main(void);

#endif
