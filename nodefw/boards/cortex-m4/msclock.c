/* SPDX-License-Identifier: MIT
 * The boards' millisecond clock on SysTick (see msclock.h).
 */
#include "msclock.h"

#include "cm4.h"

volatile uint32_t cm4_ms;
static uint32_t ms_high; /* wraps of cm4_ms seen by cm4_now_ms() */
static uint32_t ms_last;

void cm4_systick_isr(void)
{
    cm4_ms++;
}

void cm4_msclock_start(uint32_t ticks_per_ms)
{
    CM4_SYST_RVR = ticks_per_ms - 1u;
    CM4_SYST_CVR = 0;
    CM4_SYST_CSR = CM4_SYST_CSR_ENABLE | CM4_SYST_CSR_TICKINT | CM4_SYST_CSR_CLKSOURCE;
}

uint64_t cm4_now_ms(void)
{
    uint32_t ms = cm4_ms;

    if (ms < ms_last) {
        ms_high++;
    }
    ms_last = ms;
    return ((uint64_t)ms_high << 32) | ms;
}

void cm4_sleep_ms(uint32_t ms)
{
    uint64_t until = cm4_now_ms() + ms;

    while (cm4_now_ms() < until) {
        __asm__ volatile("wfi");
    }
}
