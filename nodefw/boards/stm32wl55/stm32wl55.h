/* SPDX-License-Identifier: MIT
 * The STM32WL55 registers this board uses, from the reference manual RM0453 (rev 5): base
 * addresses (section 2.2.2), bit positions from each peripheral's register map. Only the
 * Cortex-M4 side (CPU1) of the dual-core part; no vendor header needed.
 */
#ifndef PROJ_NODEFW_BOARDS_STM32WL55_STM32WL55_H
#define PROJ_NODEFW_BOARDS_STM32WL55_STM32WL55_H

#include "cm4.h"

/* RCC (RM0453 7.4) */
#define RCC_BASE              0x58000000u
#define RCC_CR                CM4_REG(RCC_BASE + 0x000u)
#define RCC_CR_MSIRDY         (1u << 1)
#define RCC_CR_MSIRGSEL       (1u << 3)
#define RCC_CR_MSIRANGE_MASK  (0xFu << 4)
#define RCC_CR_MSIRANGE_48MHZ (11u << 4)
#define RCC_AHB2ENR           CM4_REG(RCC_BASE + 0x04Cu)
#define RCC_AHB3ENR           CM4_REG(RCC_BASE + 0x050u)
#define RCC_AHB3ENR_RNGEN     (1u << 18)
#define RCC_APB1ENR1          CM4_REG(RCC_BASE + 0x058u)
#define RCC_APB1ENR1_TIM2EN   (1u << 0)
#define RCC_APB2ENR           CM4_REG(RCC_BASE + 0x060u)
#define RCC_APB2ENR_ADCEN     (1u << 9)
#define RCC_APB3ENR           CM4_REG(RCC_BASE + 0x064u)
#define RCC_APB3ENR_SUBGHZEN  (1u << 0)
#define RCC_CCIPR             CM4_REG(RCC_BASE + 0x088u)
#define RCC_CCIPR_RNGSEL_MSI  (3u << 30)
#define RCC_CSR               CM4_REG(RCC_BASE + 0x094u)
#define RCC_CSR_RFRSTF        (1u << 14)
#define RCC_CSR_RFRST         (1u << 15)

/* PWR (RM0453 6.6): voltage range, the radio's BUSY flag and the SUBGHZSPI NSS. */
#define PWR_BASE            0x58000400u
#define PWR_CR1             CM4_REG(PWR_BASE + 0x000u)
#define PWR_CR1_VOS_MASK    (3u << 9)
#define PWR_CR1_VOS_RANGE1  (1u << 9)
#define PWR_SR2             CM4_REG(PWR_BASE + 0x014u)
#define PWR_SR2_RFBUSYS     (1u << 1)
#define PWR_SR2_VOSF        (1u << 10)
#define PWR_SUBGHZSPICR     CM4_REG(PWR_BASE + 0x090u)
#define PWR_SUBGHZSPICR_NSS (1u << 15)

/* FLASH (RM0453 3.10): wait states and page programming. 2 KB pages, 64-bit writes. */
#define FLASH_BASE_REG      0x58004000u
#define FLASH_ACR           CM4_REG(FLASH_BASE_REG + 0x000u)
#define FLASH_ACR_LATENCY_2 2u
#define FLASH_ACR_PRFTEN    (1u << 8)
#define FLASH_ACR_ICEN      (1u << 9)
#define FLASH_ACR_DCEN      (1u << 10)
#define FLASH_KEYR          CM4_REG(FLASH_BASE_REG + 0x008u)
#define FLASH_SR            CM4_REG(FLASH_BASE_REG + 0x010u)
#define FLASH_SR_EOP        (1u << 0)
#define FLASH_SR_ERRORS                                                                            \
    0x000003FAu /* OPERR PROGERR WRPERR PGAERR SIZERR PGSERR MISSERR FASTERR                       \
                 */
#define FLASH_SR_BSY       (1u << 16)
#define FLASH_CR           CM4_REG(FLASH_BASE_REG + 0x014u)
#define FLASH_CR_PG        (1u << 0)
#define FLASH_CR_PER       (1u << 1)
#define FLASH_CR_PNB_SHIFT 3u
#define FLASH_CR_STRT      (1u << 16)
#define FLASH_CR_LOCK      (1u << 31)
#define FLASH_KEY1         0x45670123u
#define FLASH_KEY2         0xCDEF89ABu
#define FLASH_ORIGIN       0x08000000u
#define FLASH_PAGE_SIZE    2048u

/* SUBGHZSPI (RM0453 4.7 and 37): the SPI wired to the radio. */
#define SUBGHZSPI_BASE  0x58010000u
#define SUBGHZSPI_CR1   CM4_REG(SUBGHZSPI_BASE + 0x00u)
#define SUBGHZSPI_CR2   CM4_REG(SUBGHZSPI_BASE + 0x04u)
#define SUBGHZSPI_SR    CM4_REG(SUBGHZSPI_BASE + 0x08u)
#define SUBGHZSPI_DR8   (*(volatile uint8_t *)(uintptr_t)(SUBGHZSPI_BASE + 0x0Cu))
#define SPI_CR1_MSTR    (1u << 2)
#define SPI_CR1_BR_DIV4 (1u << 3)
#define SPI_CR1_SPE     (1u << 6)
#define SPI_CR1_SSI     (1u << 8)
#define SPI_CR1_SSM     (1u << 9)
#define SPI_CR2_DS_8BIT (7u << 8)
#define SPI_CR2_FRXTH   (1u << 12)
#define SPI_SR_RXNE     (1u << 0)
#define SPI_SR_TXE      (1u << 1)

/* EXTI (RM0453 14.3): the radio interrupt is line 44 and needs its CPU1 mask bit. */
#define EXTI_BASE         0x58000800u
#define EXTI_C1IMR2       CM4_REG(EXTI_BASE + 0x090u)
#define EXTI_C1IMR2_RADIO (1u << 12)

/* GPIOC: the RF switch of the Nucleo-WL55JC (FE_CTRL1 = PC4, FE_CTRL2 = PC5, FE_CTRL3 = PC3). */
#define GPIOC_BASE          0x48000800u
#define GPIOC_MODER         CM4_REG(GPIOC_BASE + 0x00u)
#define GPIOC_BSRR          CM4_REG(GPIOC_BASE + 0x18u)
#define RCC_AHB2ENR_GPIOCEN (1u << 2)

/* TIM2 (RM0453 24): the sample clock. */
#define TIM2_BASE    0x40000000u
#define TIM2_CR1     CM4_REG(TIM2_BASE + 0x00u)
#define TIM2_DIER    CM4_REG(TIM2_BASE + 0x0Cu)
#define TIM2_SR      CM4_REG(TIM2_BASE + 0x10u)
#define TIM2_PSC     CM4_REG(TIM2_BASE + 0x28u)
#define TIM2_ARR     CM4_REG(TIM2_BASE + 0x2Cu)
#define TIM2_EGR     CM4_REG(TIM2_BASE + 0x14u)
#define TIM_CR1_CEN  (1u << 0)
#define TIM_DIER_UIE (1u << 0)
#define TIM_SR_UIF   (1u << 0)
#define TIM_EGR_UG   (1u << 0)

/* ADC (RM0453 18). */
#define ADC_BASE                   0x40012400u
#define ADC_ISR                    CM4_REG(ADC_BASE + 0x00u)
#define ADC_CR                     CM4_REG(ADC_BASE + 0x08u)
#define ADC_CFGR2                  CM4_REG(ADC_BASE + 0x10u)
#define ADC_SMPR                   CM4_REG(ADC_BASE + 0x14u)
#define ADC_CHSELR                 CM4_REG(ADC_BASE + 0x28u)
#define ADC_DR                     CM4_REG(ADC_BASE + 0x40u)
#define ADC_CCR                    CM4_REG(ADC_BASE + 0x308u)
#define ADC_ISR_ADRDY              (1u << 0)
#define ADC_ISR_EOC                (1u << 2)
#define ADC_ISR_EOCAL              (1u << 11)
#define ADC_CR_ADEN                (1u << 0)
#define ADC_CR_ADSTART             (1u << 2)
#define ADC_CR_ADVREGEN            (1u << 28)
#define ADC_CR_ADCAL               (1u << 31)
#define ADC_CFGR2_CKMODE_PCLK_DIV2 (1u << 30)
#define ADC_CCR_VREFEN             (1u << 22)
#define ADC_CH_VREFINT             13u
/* Factory VREFINT reading at 3.3 V, 30 degrees C (RM0453 / datasheet DS13293 3.18.2). */
#define VREFINT_CAL    (*(const volatile uint16_t *)(uintptr_t)0x1FFF75AAu)
#define VREFINT_CAL_MV 3300u

/* RNG (RM0453 32). */
#define RNG_BASE     0x58001000u
#define RNG_CR       CM4_REG(RNG_BASE + 0x00u)
#define RNG_SR       CM4_REG(RNG_BASE + 0x04u)
#define RNG_DR       CM4_REG(RNG_BASE + 0x08u)
#define RNG_CR_RNGEN (1u << 2)
#define RNG_SR_DRDY  (1u << 0)

/* Interrupt numbers of the CPU1 vector table (RM0453 table 93). */
#define IRQ_TIM2         27u
#define IRQ_SUBGHZ_RADIO 50u
#define IRQ_COUNT        62u

#endif
