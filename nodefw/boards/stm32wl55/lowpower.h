/* SPDX-License-Identifier: MIT
 * STM32WL55 power modes (RM0453 section 6.4) and the registers they need beyond
 * stm32wl55.h: the SMPS, low-power run and sleep at 2 MHz, Stop2 with an LPTIM1 wake-up on
 * LSI, and the DMA ring the ADC fills on TIM2's trigger. Written from RM0453 rev 5; it
 * builds but has not run on silicon (nodefw/ENERGY.md lists what only a board can confirm).
 */
#ifndef PROJ_NODEFW_BOARDS_STM32WL55_LOWPOWER_H
#define PROJ_NODEFW_BOARDS_STM32WL55_LOWPOWER_H

#include <stdbool.h>
#include <stdint.h>

#include "cm4.h"
#include "nodefw/energy.h"

#define PWR_CR1_LPR           (1u << 14)
#define PWR_CR1_LPMS_MASK     7u
#define PWR_CR1_LPMS_STOP2    2u
#define PWR_CR5               CM4_REG(0x58000400u + 0x080u)
#define PWR_CR5_SMPSEN        (1u << 15)
#define PWR_SR2_REGLPF        (1u << 9)
#define RCC_CR_MSIRANGE_2MHZ  (5u << 4)
#define RCC_AHB1ENR           CM4_REG(0x58000000u + 0x048u)
#define RCC_AHB1ENR_DMA1EN    (1u << 0)
#define RCC_AHB1ENR_DMAMUXEN  (1u << 2)
#define RCC_APB1ENR1_LPTIM1EN (1u << 31)
#define RCC_CCIPR_LPTIM1_LSI  (1u << 18)
#define RCC_CSR_LSION         (1u << 0)
#define RCC_CSR_LSIRDY        (1u << 1)

/* TIM2's update event as TRGO (MMS = 010), the ADC's external trigger (RM0453 18.4.x:
 * EXTSEL 010 = TIM2_TRGO, EXTEN 01 rising edge), DMA in circular mode, auto-off between
 * conversions. */
#define TIM2_CR2            CM4_REG(0x40000000u + 0x04u)
#define TIM_CR2_MMS_UPDATE  (2u << 4)
#define ADC_CFGR1           CM4_REG(0x40012400u + 0x0Cu)
#define ADC_CFGR1_DMAEN     (1u << 0)
#define ADC_CFGR1_DMACFG    (1u << 1)
#define ADC_CFGR1_EXTSEL_T2 (2u << 6)
#define ADC_CFGR1_EXTEN_R   (1u << 10)
#define ADC_CFGR1_AUTOFF    (1u << 15)
#define ADC_CR_ADSTP        (1u << 4)

/* DMA1 channel 1 through DMAMUX1 channel 0, request 5 = ADC (RM0453 table 47). */
#define DMA1_ISR        CM4_REG(0x40020000u + 0x00u)
#define DMA1_IFCR       CM4_REG(0x40020000u + 0x04u)
#define DMA1_CCR1       CM4_REG(0x40020000u + 0x08u)
#define DMA1_CNDTR1     CM4_REG(0x40020000u + 0x0Cu)
#define DMA1_CPAR1      CM4_REG(0x40020000u + 0x10u)
#define DMA1_CMAR1      CM4_REG(0x40020000u + 0x14u)
#define DMA_CCR_EN      (1u << 0)
#define DMA_CCR_TCIE    (1u << 1)
#define DMA_CCR_HTIE    (1u << 2)
#define DMA_CCR_CIRC    (1u << 5)
#define DMA_CCR_MINC    (1u << 7)
#define DMA_CCR_P16_M16 ((1u << 8) | (1u << 10))
#define DMAMUX1_C0CR    CM4_REG(0x40020800u + 0x00u)
#define DMAMUX_REQ_ADC  5u
#define IRQ_DMA1_CH1    11u

/* LPTIM1 on LSI (32 kHz), one-shot, the Stop2 wake-up (EXTI line 29, CPU1 IMR1). */
#define LPTIM1_ISR       CM4_REG(0x40007C00u + 0x00u)
#define LPTIM1_ICR       CM4_REG(0x40007C00u + 0x04u)
#define LPTIM1_IER       CM4_REG(0x40007C00u + 0x08u)
#define LPTIM1_CR        CM4_REG(0x40007C00u + 0x10u)
#define LPTIM1_ARR       CM4_REG(0x40007C00u + 0x18u)
#define LPTIM_ARRM       (1u << 1)
#define LPTIM_CR_ENABLE  (1u << 0)
#define LPTIM_CR_SNGSTRT (1u << 1)
#define LSI_HZ           32000u
#define EXTI_C1IMR1      CM4_REG(0x58000800u + 0x080u)
#define EXTI_LINE_LPTIM1 (1u << 29)
#define IRQ_LPTIM1       39u

/* lowpower_init() - SMPS on, LSI and LPTIM1 ready, the energy account started. */
void lowpower_init(void);

/* lowpower_fast() / lowpower_slow() - 48 MHz in range 1 for a burst of work; 2 MHz in
 * low-power run between bursts. TIM2's prescaler follows so the sample clock stays 2 MHz. */
void lowpower_fast(void);
void lowpower_slow(void);

/* lowpower_sleep_ms() - wait @ms or until an interrupt (DMA half ring, radio, wake line):
 * LPSleep while @sampling, Stop2 otherwise (SysTick stops there: LPTIM1 measures the
 * sleep and the millisecond clock is advanced by it). */
void lowpower_sleep_ms(uint32_t ms, bool sampling);

/* lowpower_account() - the energy account as of now. */
void lowpower_account(struct energy_acct *out);

/* lowpower_sensor() - the front end on or off, for the account. */
void lowpower_sensor(bool on);

/* lowpower_lptim_isr() - LPTIM1's interrupt: the Stop2 wake-up (vector in board.c). */
void lowpower_lptim_isr(void);

/* lowpower_tx() - one transmission of @us at @dbm, for the account. */
void lowpower_tx(uint32_t us, int8_t dbm);

/* lowpower_rx() - one receive window listened in for @us, for the account. */
void lowpower_rx(uint32_t us);

#endif
