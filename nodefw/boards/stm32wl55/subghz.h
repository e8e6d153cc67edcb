/* SPDX-License-Identifier: MIT
 * The STM32WL55's on-chip SX126x radio behind the SUBGHZSPI: the bus the board hands to
 * the board-agnostic driver (radio/sx126x.h), and its interrupt.
 */
#ifndef PROJ_NODEFW_BOARDS_STM32WL55_SUBGHZ_H
#define PROJ_NODEFW_BOARDS_STM32WL55_SUBGHZ_H

#include <stdint.h>

#include "board.h"
#include "nodefw/sx126x.h"

/* The bus functions (xfer with NSS, BUSY wait, IRQ wait). */
extern const struct sx126x_bus subghz_bus;

/* Set by the radio interrupt, cleared by the IRQ wait. */
extern volatile uint8_t subghz_irq_seen;

/*
 * subghz_init() - clock the SUBGHZSPI, release the radio from reset, set up the SPI and the
 * radio's EXTI line. Return: HAL_OK, HAL_ETIMEDOUT (the radio stays in reset or busy).
 */
int subghz_init(void);

/* subghz_irq_arm() - clear and enable the radio interrupt before a transmission. */
void subghz_irq_arm(void);

/* The radio interrupt handler (vector table entry IRQ 50). */
void subghz_radio_isr(void);

#endif
