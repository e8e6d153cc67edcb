/* SPDX-License-Identifier: MIT
 * The millisecond clock every Cortex-M4 board here keeps: SysTick on the processor clock,
 * interrupting once a millisecond, widened to 64 bits, and a WFI sleep on it. The board
 * starts it in board_init() and hands cm4_now_ms()/cm4_sleep_ms() to the HAL.
 */
#ifndef PROJ_NODEFW_BOARDS_CORTEX_M4_MSCLOCK_H
#define PROJ_NODEFW_BOARDS_CORTEX_M4_MSCLOCK_H

#include <stdint.h>

/* Milliseconds since cm4_msclock_start(), counted by the SysTick interrupt (wraps at 2^32). */
extern volatile uint32_t cm4_ms;

/* cm4_msclock_start() - SysTick on the processor clock, reloading every @ticks_per_ms. */
void cm4_msclock_start(uint32_t ticks_per_ms);

/* cm4_now_ms() - cm4_ms widened to 64 bits; called often enough to see every wrap (the HAL
 * asks for the time at least once per ~49 days). Thread mode only. */
uint64_t cm4_now_ms(void);

/* cm4_sleep_ms() - WFI until @ms have passed: SysTick (and any board interrupt) wakes the
 * core; the board keeps Sleep mode, not Stop, so SysTick runs. */
void cm4_sleep_ms(uint32_t ms);

#endif
