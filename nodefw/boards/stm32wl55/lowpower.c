/* SPDX-License-Identifier: MIT
 * STM32WL55 power modes (lowpower.h). The core bursts at 48 MHz on the SMPS for each
 * window's features and inference, then drops to 2 MHz in low-power run and waits in
 * LPSleep while TIM2 triggers the ADC and the DMA fills the ring (one interrupt per half
 * ring, none per sample); with the sensor off it waits in Stop2, woken by LPTIM1 on LSI.
 * The SysTick millisecond clock runs at either clock (its reload follows) and is advanced
 * by the LPTIM1 count across Stop2, when it stops. Not run on silicon (nodefw/ENERGY.md).
 */
#include "lowpower.h"

#include "msclock.h"
#include "stm32wl55.h"

#define FAST_HZ 48000000u
#define SLOW_HZ 2000000u

static struct energy_acct acct;
static bool slow;

static uint64_t now_us(void)
{
    return cm4_now_ms() * 1000u;
}

void lowpower_init(void)
{
    /* SMPS step-down for the core supply (RM0453 6.1.3): about a third less run current. */
    PWR_CR5 |= PWR_CR5_SMPSEN;
    RCC_CSR |= RCC_CSR_LSION;
    while ((RCC_CSR & RCC_CSR_LSIRDY) == 0) {
    }
    RCC_CCIPR |= RCC_CCIPR_LPTIM1_LSI;
    RCC_APB1ENR1 |= RCC_APB1ENR1_LPTIM1EN;
    (void)RCC_APB1ENR1;
    LPTIM1_IER = LPTIM_ARRM;
    EXTI_C1IMR1 |= EXTI_LINE_LPTIM1;
    CM4_NVIC_ISER(IRQ_LPTIM1 / 32u) = 1u << (IRQ_LPTIM1 % 32u);
    energy_init(&acct, now_us(), FAST_HZ, SLOW_HZ);
}

/* The sample timer counts at 2 MHz at either clock: its prescaler is preloaded and takes
 * effect at the next update, so a switch stretches at most one sample period. */
#define TIM2_PSC_REG CM4_REG(0x40000000u + 0x28u)

void lowpower_fast(void)
{
    if (!slow) {
        return;
    }
    PWR_CR1 &= ~PWR_CR1_LPR;
    while (PWR_SR2 & PWR_SR2_REGLPF) {
    }
    RCC_CR = (RCC_CR & ~RCC_CR_MSIRANGE_MASK) | RCC_CR_MSIRANGE_48MHZ | RCC_CR_MSIRGSEL;
    while ((RCC_CR & RCC_CR_MSIRDY) == 0) {
    }
    TIM2_PSC_REG = FAST_HZ / SLOW_HZ - 1u;
    cm4_msclock_start(FAST_HZ / 1000u);
    slow = false;
    energy_enter(&acct, ENERGY_RUN, now_us());
}

void lowpower_slow(void)
{
    if (slow) {
        return;
    }
    RCC_CR = (RCC_CR & ~RCC_CR_MSIRANGE_MASK) | RCC_CR_MSIRANGE_2MHZ | RCC_CR_MSIRGSEL;
    while ((RCC_CR & RCC_CR_MSIRDY) == 0) {
    }
    TIM2_PSC_REG = 0;
    cm4_msclock_start(SLOW_HZ / 1000u);
    PWR_CR1 |= PWR_CR1_LPR;
    slow = true;
}

void lowpower_lptim_isr(void)
{
    LPTIM1_ICR = LPTIM_ARRM;
}

static void stop2(uint32_t ms)
{
    uint32_t ticks = ms > 2000u ? 2000u * (LSI_HZ / 1000u) : ms * (LSI_HZ / 1000u);

    /* LPTIM1 one-shot for the sleep (16 bits at 32 kHz: 2 s at most; the caller loops). */
    LPTIM1_CR = LPTIM_CR_ENABLE;
    LPTIM1_ARR = ticks > 1u ? ticks - 1u : 1u;
    LPTIM1_CR = LPTIM_CR_ENABLE | LPTIM_CR_SNGSTRT;
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_LPMS_MASK) | PWR_CR1_LPMS_STOP2;
    CM4_SCB_SCR |= CM4_SCB_SCR_SLEEPDEEP;
    energy_enter(&acct, ENERGY_STOP2, now_us());
    __asm__ volatile("wfi");
    CM4_SCB_SCR &= ~CM4_SCB_SCR_SLEEPDEEP;
    /* SysTick stood still: count the whole programmed sleep (an earlier wake-up, by the
     * wake line or the radio, is counted long; the next listening period starts late). */
    cm4_ms += ticks / (LSI_HZ / 1000u);
    LPTIM1_CR = 0;
    energy_enter(&acct, ENERGY_RUN, now_us());
}

void lowpower_sleep_ms(uint32_t ms, bool sampling)
{
    uint64_t until = cm4_now_ms() + ms;

    if (!sampling) {
        stop2(ms);
        return;
    }
    lowpower_slow();
    while (cm4_now_ms() < until) {
        energy_enter(&acct, ENERGY_LPSLEEP, now_us());
        __asm__ volatile("wfi");
        energy_enter(&acct, ENERGY_RUN, now_us());
        if (DMA1_ISR != 0u) {
            break; /* half a ring is ready: burst */
        }
    }
    lowpower_fast();
}

void lowpower_account(struct energy_acct *out)
{
    (void)energy_snapshot(&acct, now_us(), out);
}

void lowpower_sensor(bool on)
{
    energy_sensor(&acct, on, now_us());
}

void lowpower_tx(uint32_t us, int8_t dbm)
{
    energy_tx(&acct, us, dbm);
}

void lowpower_rx(uint32_t us)
{
    energy_rx(&acct, us);
}
