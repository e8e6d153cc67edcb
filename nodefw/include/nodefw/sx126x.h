/* SPDX-License-Identifier: MIT
 * Driver for the Semtech SX126x LoRa command set (SX1261/2 datasheet rev 2.1, section 13),
 * which is also the sub-GHz radio inside the STM32WL (RM0453 section 5, reached through
 * the SUBGHZSPI). Board-agnostic: a board supplies a struct sx126x_bus (one SPI transfer
 * with NSS held low, wait while BUSY is high, wait for the radio interrupt) and the PA and
 * TCXO settings of its front end. Transmit, and receive for the Class A windows after an
 * uplink (LoRaWAN downlinks: inverted IQ, no payload CRC).
 *
 * Calling context: the firmware main loop; nothing here runs in an interrupt.
 */
#ifndef PROJ_NODEFW_SX126X_H
#define PROJ_NODEFW_SX126X_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/hal.h"

/* Opcodes (datasheet table 13-1 and following). */
#define SX126X_SET_SLEEP             0x84u
#define SX126X_SET_STANDBY           0x80u
#define SX126X_SET_TX                0x83u
#define SX126X_SET_REGULATOR_MODE    0x96u
#define SX126X_CALIBRATE             0x89u
#define SX126X_CALIBRATE_IMAGE       0x98u
#define SX126X_SET_PA_CONFIG         0x95u
#define SX126X_WRITE_REGISTER        0x0Du
#define SX126X_WRITE_BUFFER          0x0Eu
#define SX126X_SET_DIO_IRQ_PARAMS    0x08u
#define SX126X_GET_IRQ_STATUS        0x12u
#define SX126X_CLEAR_IRQ_STATUS      0x02u
#define SX126X_SET_DIO3_AS_TCXO_CTRL 0x97u
#define SX126X_SET_RF_FREQUENCY      0x86u
#define SX126X_SET_PACKET_TYPE       0x8Au
#define SX126X_SET_TX_PARAMS         0x8Eu
#define SX126X_SET_MODULATION_PARAMS 0x8Bu
#define SX126X_SET_PACKET_PARAMS     0x8Cu
#define SX126X_SET_BUFFER_BASE       0x8Fu
#define SX126X_GET_STATUS            0xC0u
#define SX126X_SET_RX                0x82u
#define SX126X_GET_RX_BUFFER_STATUS  0x13u
#define SX126X_READ_BUFFER           0x1Eu
#define SX126X_READ_REGISTER         0x1Du

/* Parameters. */
#define SX126X_STANDBY_RC        0x00u
#define SX126X_STANDBY_XOSC      0x01u
#define SX126X_PACKET_TYPE_LORA  0x01u
#define SX126X_REGULATOR_DCDC    0x01u
#define SX126X_CALIBRATE_ALL     0x7Fu
#define SX126X_RAMP_200US        0x04u
#define SX126X_REG_LORA_SYNCWORD 0x0740u
#define SX126X_SYNCWORD_PUBLIC   0x3444u /* LoRaWAN networks (0x1424 = private) */
#define SX126X_REG_IQ_POLARITY   0x0736u /* errata 15.4: bit 2 clear for inverted IQ */

/* IRQ bits (datasheet table 13-29). */
#define SX126X_IRQ_TX_DONE    0x0001u
#define SX126X_IRQ_RX_DONE    0x0002u
#define SX126X_IRQ_HEADER_ERR 0x0020u
#define SX126X_IRQ_CRC_ERR    0x0040u
#define SX126X_IRQ_TIMEOUT    0x0200u
#define SX126X_IRQ_ALL        0x03FFu

/* SetTx timeout unit: 15.625 us, i.e. 64 units per millisecond. */
#define SX126X_TIMEOUT_UNITS_PER_MS 64u

/* How a board reaches the chip. Every entry is mandatory. */
struct sx126x_bus {
    /*
     * xfer() - one SPI transaction: NSS low, @n bytes out of @tx while @n bytes come in
     * to @rx (NULL: discard), NSS high. The driver has waited for BUSY low before.
     * Return: HAL_OK or HAL_EIO.
     */
    int (*xfer)(void *ctx, const uint8_t *tx, uint8_t *rx, size_t n);

    /*
     * wait_ready() - wait until the BUSY line is low (the chip accepts a command).
     * Return: HAL_OK, or HAL_ETIMEDOUT after the board's bound (a few ms).
     */
    int (*wait_ready)(void *ctx);

    /*
     * wait_irq() - sleep until the radio interrupt line rises or @timeout_ms passes.
     * Return: HAL_OK (either way: the driver reads the IRQ status next).
     */
    int (*wait_irq)(void *ctx, uint32_t timeout_ms);
};

/* Front-end settings of a board (datasheet 13.1.14, table 13-21; RM0453 5.8.3). */
struct sx126x_pa {
    uint8_t pa_duty_cycle; /* SetPaConfig paDutyCycle */
    uint8_t hp_max;        /* SetPaConfig hpMax */
    uint8_t device_sel;    /* SetPaConfig deviceSel: 0 = high-power PA, 1 = low-power PA */
    int8_t max_dbm;        /* highest power the board allows with this PA */
    uint8_t tcxo_voltage;  /* SetDIO3AsTcxoCtrl voltage code; 0xFF = crystal, no TCXO */
    uint8_t use_dcdc;      /* 1: SetRegulatorMode(DC-DC), 0: LDO */
};

/* One radio. Caller-owned; fill bus, bus_ctx and pa, then call sx126x_init(). */
struct sx126x {
    const struct sx126x_bus *bus;
    void *bus_ctx;
    const struct sx126x_pa *pa;
    uint16_t last_irq; /* IRQ status of the last transmission, for diagnostics */
};

/*
 * sx126x_command() - send one command: @opcode then @n parameter bytes.
 * Return: HAL_OK, HAL_EIO, HAL_ETIMEDOUT (BUSY stuck), HAL_EINVAL (@n over 255).
 */
HAL_MUST_CHECK int sx126x_command(struct sx126x *r, uint8_t opcode, const uint8_t *params,
                                  size_t n);

/*
 * sx126x_init() - bring the chip to STDBY_RC with the board's regulator, TCXO, a full
 * calibration, LoRa packet type and the public sync word.
 * Return: HAL_OK or the first failing command's code.
 */
HAL_MUST_CHECK int sx126x_init(struct sx126x *r);

/* Encodings (pure functions, exposed for the tests). */

/* RF frequency register value: round(freq_hz * 2^25 / 32 MHz). */
uint32_t sx126x_freq_reg(uint32_t freq_hz);

/* LoRa bandwidth code for 125, 250 or 500 kHz; -1 for any other. */
int sx126x_bw_code(uint16_t bw_khz);

/* Image calibration band pair (datasheet table 9-2) for a carrier; writes 2 bytes. */
void sx126x_image_band(uint32_t freq_hz, uint8_t band[2]);

/*
 * sx126x_lora_send() - transmit one packet with modulation @tx and wait for TxDone:
 * standby, packet type, frequency (and image calibration), PA and power, modulation and
 * packet parameters, buffer, IRQ routing, SetTx with a timeout of @timeout_ms, then the
 * IRQ status. Blocks for the time on air.
 * Return: HAL_OK once TxDone; HAL_EINVAL (@len 0 or over 255, SF outside 5..12, bandwidth
 * or coding rate unsupported); HAL_ETIMEDOUT (the chip's own TX timeout fired, or no IRQ
 * within @timeout_ms plus a margin); HAL_EIO.
 */
HAL_MUST_CHECK int sx126x_lora_send(struct sx126x *r, const struct hal_lora_tx *tx,
                                    const uint8_t *data, size_t len, uint32_t timeout_ms);

/*
 * sx126x_lora_recv() - listen for one downlink with modulation @rx (frequency, SF,
 * bandwidth, coding rate, preamble; power ignored) for at most @timeout_ms, inverted IQ and
 * no payload CRC as LoRaWAN downlinks are sent (the IQ polarity register fixed as the
 * errata, section 15.4, says). Blocks until RxDone, the chip's timeout or an error.
 * @buf: out, @cap bytes.
 * Return: the packet's length; HAL_ETIMEDOUT (nothing in the window); HAL_EIO (a header
 * or CRC error: nothing usable, or a bus failure); HAL_ENOSPC (longer than @cap, dropped);
 * HAL_EINVAL (SF, bandwidth or coding rate unsupported, @timeout_ms 0 or over 262 s).
 */
HAL_MUST_CHECK int sx126x_lora_recv(struct sx126x *r, const struct hal_lora_tx *rx, uint8_t *buf,
                                    size_t cap, uint32_t timeout_ms);

#endif
