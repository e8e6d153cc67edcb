/* SPDX-License-Identifier: MIT
 * The STM32WL's radio bus: the SUBGHZSPI (RM0453 4.7), whose NSS is a bit of
 * PWR_SUBGHZSPICR and whose BUSY line is PWR_SR2.RFBUSYS, bound to the SX126x driver.
 * The sequence of subghz_init() follows RM0453 4.8 (radio reset release, SPI set-up).
 */
#include "subghz.h"

#include "stm32wl55.h"

/* Bounds on busy-waits, in polling iterations: at 48 MHz about 5 ms each, far above the
 * datasheet's worst BUSY time (wake-up from sleep with TCXO start, 3.5 ms). */
#define BUSY_SPINS 60000u
#define SPI_SPINS  10000u

static int spi_byte(uint8_t out, uint8_t *in)
{
    uint32_t n = 0;

    while ((SUBGHZSPI_SR & SPI_SR_TXE) == 0) {
        if (++n > SPI_SPINS) {
            return HAL_EIO;
        }
    }
    SUBGHZSPI_DR8 = out;
    n = 0;
    while ((SUBGHZSPI_SR & SPI_SR_RXNE) == 0) {
        if (++n > SPI_SPINS) {
            return HAL_EIO;
        }
    }
    *in = SUBGHZSPI_DR8;
    return HAL_OK;
}

static int subghz_xfer(void *ctx, const uint8_t *tx, uint8_t *rx, size_t n)
{
    size_t i;
    int rc = HAL_OK;

    (void)ctx;
    PWR_SUBGHZSPICR &= ~PWR_SUBGHZSPICR_NSS;
    for (i = 0; i < n && rc == HAL_OK; i++) {
        uint8_t in = 0;

        rc = spi_byte(tx[i], &in);
        if (rx != NULL) {
            rx[i] = in;
        }
    }
    PWR_SUBGHZSPICR |= PWR_SUBGHZSPICR_NSS;
    return rc;
}

static int subghz_wait_ready(void *ctx)
{
    uint32_t n = 0;

    (void)ctx;
    while (PWR_SR2 & PWR_SR2_RFBUSYS) {
        if (++n > BUSY_SPINS) {
            return HAL_ETIMEDOUT;
        }
    }
    return HAL_OK;
}

/* The radio IRQ (EXTI line 44) is enabled in the NVIC, so WFI wakes on it; SysTick wakes
 * it at least every millisecond, which bounds the wait. */
static int subghz_wait_irq(void *ctx, uint32_t timeout_ms)
{
    const struct hal *h = board_hal();
    uint64_t until = hal_now_ms(h) + timeout_ms;

    (void)ctx;
    while (hal_now_ms(h) < until && !subghz_irq_seen) {
        __asm__ volatile("wfi");
    }
    subghz_irq_seen = 0;
    return HAL_OK;
}

const struct sx126x_bus subghz_bus = {subghz_xfer, subghz_wait_ready, subghz_wait_irq};

volatile uint8_t subghz_irq_seen;

void subghz_radio_isr(void)
{
    /* The line stays high until the driver clears the radio's IRQ status: mask it here and
     * let the next subghz_init()/transmission re-enable it. */
    CM4_NVIC_ICER(IRQ_SUBGHZ_RADIO / 32u) = 1u << (IRQ_SUBGHZ_RADIO % 32u);
    subghz_irq_seen = 1;
}

void subghz_irq_arm(void)
{
    subghz_irq_seen = 0;
    CM4_NVIC_ICPR(IRQ_SUBGHZ_RADIO / 32u) = 1u << (IRQ_SUBGHZ_RADIO % 32u);
    CM4_NVIC_ISER(IRQ_SUBGHZ_RADIO / 32u) = 1u << (IRQ_SUBGHZ_RADIO % 32u);
}

int subghz_init(void)
{
    uint32_t n = 0;

    RCC_APB3ENR |= RCC_APB3ENR_SUBGHZEN;
    (void)RCC_APB3ENR; /* read back: the clock is on before the first access */
    /* Release the radio from reset and wait until it reports so. */
    RCC_CSR &= ~RCC_CSR_RFRST;
    while (RCC_CSR & RCC_CSR_RFRSTF) {
        if (++n > BUSY_SPINS) {
            return HAL_ETIMEDOUT;
        }
    }
    PWR_SUBGHZSPICR |= PWR_SUBGHZSPICR_NSS;
    EXTI_C1IMR2 |= EXTI_C1IMR2_RADIO;
    /* Master, software NSS, PCLK3 / 4 = 12 MHz (the radio allows 16 MHz), 8-bit frames with
     * RXNE at one byte. */
    SUBGHZSPI_CR1 = SPI_CR1_MSTR | SPI_CR1_SSM | SPI_CR1_SSI | SPI_CR1_BR_DIV4;
    SUBGHZSPI_CR2 = SPI_CR2_DS_8BIT | SPI_CR2_FRXTH;
    SUBGHZSPI_CR1 |= SPI_CR1_SPE;
    return subghz_wait_ready(NULL);
}
