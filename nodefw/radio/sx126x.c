/* SPDX-License-Identifier: MIT
 * SX126x LoRa transmit and receive paths; section numbers are the SX1261/2 datasheet's (rev 2.1).
 * Every multi-byte parameter goes most significant byte first on the SPI.
 */
#include "nodefw/sx126x.h"

#include <string.h>

/* SPI frame: opcode + parameters; WriteBuffer carries the largest, 2 + 255 bytes. */
#define SX126X_FRAME_MAX 258u

/* Bound on the TCXO start-up the chip waits for after leaving sleep (13.3.6): 5 ms. */
#define SX126X_TCXO_DELAY_UNITS (5u * SX126X_TIMEOUT_UNITS_PER_MS)

/* Extra wait over the programmed TX timeout before the driver gives up on the IRQ line. */
#define SX126X_IRQ_MARGIN_MS 100u

static int transfer(struct sx126x *r, const uint8_t *tx, uint8_t *rx, size_t n)
{
    int rc = r->bus->wait_ready(r->bus_ctx);

    if (rc != HAL_OK) {
        return rc;
    }
    return r->bus->xfer(r->bus_ctx, tx, rx, n);
}

int sx126x_command(struct sx126x *r, uint8_t opcode, const uint8_t *params, size_t n)
{
    uint8_t frame[SX126X_FRAME_MAX];

    if (n > SX126X_FRAME_MAX - 1u) {
        return HAL_EINVAL;
    }
    frame[0] = opcode;
    if (n > 0) {
        memcpy(&frame[1], params, n);
    }
    return transfer(r, frame, NULL, n + 1u);
}

static int command1(struct sx126x *r, uint8_t opcode, uint8_t p)
{
    return sx126x_command(r, opcode, &p, 1);
}

static int write_register16(struct sx126x *r, uint16_t addr, uint16_t value)
{
    const uint8_t p[4] = {(uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)(value >> 8),
                          (uint8_t)value};

    return sx126x_command(r, SX126X_WRITE_REGISTER, p, sizeof(p));
}

/* GetIrqStatus (13.3.4): opcode, then the chip clocks out status, IRQ[15:8], IRQ[7:0]. */
static int get_irq_status(struct sx126x *r, uint16_t *irq)
{
    const uint8_t tx[4] = {SX126X_GET_IRQ_STATUS, 0, 0, 0};
    uint8_t rx[4] = {0};
    int rc = transfer(r, tx, rx, sizeof(tx));

    *irq = (uint16_t)((rx[2] << 8) | rx[3]);
    return rc;
}

static int clear_irq(struct sx126x *r, uint16_t mask)
{
    const uint8_t p[2] = {(uint8_t)(mask >> 8), (uint8_t)mask};

    return sx126x_command(r, SX126X_CLEAR_IRQ_STATUS, p, sizeof(p));
}

uint32_t sx126x_freq_reg(uint32_t freq_hz)
{
    /* 2^25 / 32e6 = 2^17 / 125000; in 64 bits nothing overflows up to 4 GHz. */
    return (uint32_t)((((uint64_t)freq_hz << 17) + 62500u) / 125000u);
}

int sx126x_bw_code(uint16_t bw_khz)
{
    switch (bw_khz) {
    case 125:
        return 0x04;
    case 250:
        return 0x05;
    case 500:
        return 0x06;
    default:
        return -1;
    }
}

void sx126x_image_band(uint32_t freq_hz, uint8_t band[2])
{
    /* Table 9-2: the calibration band pairs for the ISM bands. */
    static const struct {
        uint32_t below_hz;
        uint8_t f1, f2;
    } bands[] = {
        {450000000u, 0x6B, 0x6F}, /* 430-440 MHz */
        {600000000u, 0x75, 0x81}, /* 470-510 MHz */
        {820000000u, 0xC1, 0xC5}, /* 779-787 MHz */
        {900000000u, 0xD7, 0xDB}, /* 863-870 MHz */
    };
    size_t i;

    for (i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
        if (freq_hz < bands[i].below_hz) {
            band[0] = bands[i].f1;
            band[1] = bands[i].f2;
            return;
        }
    }
    band[0] = 0xE1; /* 902-928 MHz */
    band[1] = 0xE9;
}

int sx126x_init(struct sx126x *r)
{
    static const uint8_t calibrate_all = SX126X_CALIBRATE_ALL;
    int rc = command1(r, SX126X_SET_STANDBY, SX126X_STANDBY_RC);

    if (rc == HAL_OK && r->pa->use_dcdc) {
        rc = command1(r, SX126X_SET_REGULATOR_MODE, SX126X_REGULATOR_DCDC);
    }
    if (rc == HAL_OK && r->pa->tcxo_voltage != 0xFFu) {
        /* 13.3.6: DIO3 powers the TCXO; the chip waits the delay before using it. */
        const uint8_t p[4] = {r->pa->tcxo_voltage, (uint8_t)(SX126X_TCXO_DELAY_UNITS >> 16),
                              (uint8_t)(SX126X_TCXO_DELAY_UNITS >> 8),
                              (uint8_t)SX126X_TCXO_DELAY_UNITS};

        rc = sx126x_command(r, SX126X_SET_DIO3_AS_TCXO_CTRL, p, sizeof(p));
    }
    if (rc == HAL_OK) {
        /* 13.1.12: after the TCXO is configured every block must be calibrated again. */
        rc = sx126x_command(r, SX126X_CALIBRATE, &calibrate_all, 1);
    }
    if (rc == HAL_OK) {
        rc = command1(r, SX126X_SET_PACKET_TYPE, SX126X_PACKET_TYPE_LORA);
    }
    if (rc == HAL_OK) {
        rc = write_register16(r, SX126X_REG_LORA_SYNCWORD, SX126X_SYNCWORD_PUBLIC);
    }
    return rc;
}

static int check_lora(const struct sx126x *r, const struct hal_lora_tx *tx, size_t len)
{
    if (len == 0 || len > 255u || tx->sf < 5 || tx->sf > 12 || tx->cr < 1 || tx->cr > 4) {
        return HAL_EINVAL;
    }
    if (sx126x_bw_code(tx->bw_khz) < 0 || tx->power_dbm > r->pa->max_dbm) {
        return HAL_EINVAL;
    }
    return HAL_OK;
}

/* The configuration commands of one transmission, in the order of 14.3 ("Circuit
 * configuration for basic Tx operation"), up to and including the payload. */
static int configure_tx(struct sx126x *r, const struct hal_lora_tx *tx, const uint8_t *data,
                        size_t len)
{
    const uint32_t freq = sx126x_freq_reg(tx->freq_hz);
    uint8_t band[2];
    const uint8_t f[4] = {(uint8_t)(freq >> 24), (uint8_t)(freq >> 16), (uint8_t)(freq >> 8),
                          (uint8_t)freq};
    const uint8_t pa[4] = {r->pa->pa_duty_cycle, r->pa->hp_max, r->pa->device_sel, 0x01};
    const uint8_t power[2] = {(uint8_t)tx->power_dbm, SX126X_RAMP_200US};
    const uint8_t mod[4] = {tx->sf, (uint8_t)sx126x_bw_code(tx->bw_khz), tx->cr,
                            tx->low_dr_optimize ? 1u : 0u};
    /* Preamble length, header type (0 explicit, 1 implicit), payload length, CRC on/off,
     * IQ standard (uplinks are not inverted). */
    const uint8_t pkt[6] = {(uint8_t)(tx->preamble >> 8),
                            (uint8_t)tx->preamble,
                            tx->explicit_header ? 0u : 1u,
                            (uint8_t)len,
                            tx->crc ? 1u : 0u,
                            0u};
    const uint8_t base[2] = {0, 0};
    /* IRQ mask and DIO1 routing: TxDone and Timeout (on the STM32WL the radio IRQ line). */
    const uint8_t irq[8] = {(uint8_t)((SX126X_IRQ_TX_DONE | SX126X_IRQ_TIMEOUT) >> 8),
                            (uint8_t)(SX126X_IRQ_TX_DONE | SX126X_IRQ_TIMEOUT),
                            (uint8_t)((SX126X_IRQ_TX_DONE | SX126X_IRQ_TIMEOUT) >> 8),
                            (uint8_t)(SX126X_IRQ_TX_DONE | SX126X_IRQ_TIMEOUT),
                            0,
                            0,
                            0,
                            0};
    uint8_t buf[SX126X_FRAME_MAX - 1u];
    int rc;

    sx126x_image_band(tx->freq_hz, band);
    rc = command1(r, SX126X_SET_STANDBY, SX126X_STANDBY_RC);
    if (rc == HAL_OK) {
        rc = command1(r, SX126X_SET_PACKET_TYPE, SX126X_PACKET_TYPE_LORA);
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_CALIBRATE_IMAGE, band, sizeof(band));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_RF_FREQUENCY, f, sizeof(f));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_PA_CONFIG, pa, sizeof(pa));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_TX_PARAMS, power, sizeof(power));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_BUFFER_BASE, base, sizeof(base));
    }
    if (rc == HAL_OK) {
        buf[0] = 0; /* WriteBuffer offset */
        memcpy(&buf[1], data, len);
        rc = sx126x_command(r, SX126X_WRITE_BUFFER, buf, len + 1u);
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_MODULATION_PARAMS, mod, sizeof(mod));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_PACKET_PARAMS, pkt, sizeof(pkt));
    }
    if (rc == HAL_OK) {
        rc = sx126x_command(r, SX126X_SET_DIO_IRQ_PARAMS, irq, sizeof(irq));
    }
    if (rc == HAL_OK) {
        rc = clear_irq(r, SX126X_IRQ_ALL);
    }
    return rc;
}

int sx126x_lora_send(struct sx126x *r, const struct hal_lora_tx *tx, const uint8_t *data,
                     size_t len, uint32_t timeout_ms)
{
    uint32_t units;
    uint8_t t[3];
    uint32_t waited = 0;
    int rc = check_lora(r, tx, len);

    if (rc != HAL_OK) {
        return rc;
    }
    rc = configure_tx(r, tx, data, len);
    if (rc != HAL_OK) {
        return rc;
    }
    /* SetTx timeout: 24 bits of 15.625 us, at most 262 s; 0 would mean "no timeout". */
    if (timeout_ms == 0 || timeout_ms > 0xFFFFFFu / SX126X_TIMEOUT_UNITS_PER_MS) {
        return HAL_EINVAL;
    }
    units = timeout_ms * SX126X_TIMEOUT_UNITS_PER_MS;
    t[0] = (uint8_t)(units >> 16);
    t[1] = (uint8_t)(units >> 8);
    t[2] = (uint8_t)units;
    rc = sx126x_command(r, SX126X_SET_TX, t, sizeof(t));
    if (rc != HAL_OK) {
        return rc;
    }
    /* Poll the IRQ status each time the line (or the board's wait bound) wakes us. */
    r->last_irq = 0;
    while (waited <= timeout_ms + SX126X_IRQ_MARGIN_MS) {
        (void)r->bus->wait_irq(r->bus_ctx, 10);
        waited += 10;
        rc = get_irq_status(r, &r->last_irq);
        if (rc != HAL_OK) {
            return rc;
        }
        if (r->last_irq & (SX126X_IRQ_TX_DONE | SX126X_IRQ_TIMEOUT)) {
            break;
        }
    }
    rc = clear_irq(r, SX126X_IRQ_ALL);
    if (rc != HAL_OK) {
        return rc;
    }
    return (r->last_irq & SX126X_IRQ_TX_DONE) ? HAL_OK : HAL_ETIMEDOUT;
}

/* ReadRegister (13.2.4): opcode, address, then a status byte before the data. */
static int read_register8(struct sx126x *r, uint16_t addr, uint8_t *value)
{
    const uint8_t tx[5] = {SX126X_READ_REGISTER, (uint8_t)(addr >> 8), (uint8_t)addr, 0, 0};
    uint8_t rx[5] = {0};
    int rc = transfer(r, tx, rx, sizeof(tx));

    *value = rx[4];
    return rc;
}

/* 14.3 "basic Rx": the same set-up as for a transmission, then inverted IQ for a downlink. */
static int configure_rx(struct sx126x *r, const struct hal_lora_tx *rx)
{
    const uint32_t freq = sx126x_freq_reg(rx->freq_hz);
    uint8_t band[2];
    const uint8_t f[4] = {(uint8_t)(freq >> 24), (uint8_t)(freq >> 16), (uint8_t)(freq >> 8),
                          (uint8_t)freq};
    const uint8_t mod[4] = {rx->sf, (uint8_t)sx126x_bw_code(rx->bw_khz), rx->cr,
                            rx->low_dr_optimize ? 1u : 0u};
    /* Preamble, explicit header, up to 255 bytes, CRC off, IQ inverted (LoRaWAN 1.0.3
     * section 3.1: downlinks carry no payload CRC; the gateway sends with ipol true). */
    const uint8_t pkt[6] = {(uint8_t)(rx->preamble >> 8), (uint8_t)rx->preamble, 0u, 255u, 0u, 1u};
    const uint8_t base[2] = {0, 0};
    const uint16_t mask =
        SX126X_IRQ_RX_DONE | SX126X_IRQ_TIMEOUT | SX126X_IRQ_CRC_ERR | SX126X_IRQ_HEADER_ERR;
    const uint8_t irq[8] = {
        (uint8_t)(mask >> 8), (uint8_t)mask, (uint8_t)(mask >> 8), (uint8_t)mask, 0, 0, 0, 0};
    uint8_t iq = 0;
    int rc;

    sx126x_image_band(rx->freq_hz, band);
    rc = command1(r, SX126X_SET_STANDBY, SX126X_STANDBY_RC);
    rc = rc != HAL_OK ? rc : command1(r, SX126X_SET_PACKET_TYPE, SX126X_PACKET_TYPE_LORA);
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_CALIBRATE_IMAGE, band, sizeof(band));
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_SET_RF_FREQUENCY, f, sizeof(f));
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_SET_BUFFER_BASE, base, sizeof(base));
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_SET_MODULATION_PARAMS, mod, sizeof(mod));
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_SET_PACKET_PARAMS, pkt, sizeof(pkt));
    /* Errata 15.4: with inverted IQ, bit 2 of the IQ polarity register must be cleared, or
     * the chip loses packets after the first. */
    rc = rc != HAL_OK ? rc : read_register8(r, SX126X_REG_IQ_POLARITY, &iq);
    if (rc == HAL_OK) {
        const uint8_t w[3] = {(uint8_t)(SX126X_REG_IQ_POLARITY >> 8),
                              (uint8_t)SX126X_REG_IQ_POLARITY, (uint8_t)(iq & ~0x04u)};

        rc = sx126x_command(r, SX126X_WRITE_REGISTER, w, sizeof(w));
    }
    rc = rc != HAL_OK ? rc : sx126x_command(r, SX126X_SET_DIO_IRQ_PARAMS, irq, sizeof(irq));
    return rc != HAL_OK ? rc : clear_irq(r, SX126X_IRQ_ALL);
}

/* The received packet out of the buffer (GetRxBufferStatus 13.5.2, ReadBuffer 13.2.6). */
static int read_packet(struct sx126x *r, uint8_t *buf, size_t cap)
{
    const uint8_t st_tx[4] = {SX126X_GET_RX_BUFFER_STATUS, 0, 0, 0};
    uint8_t st_rx[4] = {0};
    uint8_t tx[SX126X_FRAME_MAX] = {0};
    uint8_t rx[SX126X_FRAME_MAX] = {0};
    size_t len;
    int rc = transfer(r, st_tx, st_rx, sizeof(st_tx));

    if (rc != HAL_OK) {
        return rc;
    }
    len = st_rx[2];
    if (len == 0u) {
        return HAL_EIO;
    }
    if (len > cap) {
        return HAL_ENOSPC;
    }
    tx[0] = SX126X_READ_BUFFER;
    tx[1] = st_rx[3]; /* the packet's start in the buffer */
    rc = transfer(r, tx, rx, len + 3u);
    if (rc != HAL_OK) {
        return rc;
    }
    memcpy(buf, &rx[3], len);
    return (int)len;
}

int sx126x_lora_recv(struct sx126x *r, const struct hal_lora_tx *rx, uint8_t *buf, size_t cap,
                     uint32_t timeout_ms)
{
    uint32_t units;
    uint8_t t[3];
    uint32_t waited = 0;
    int result;
    int rc;

    if (rx->sf < 5 || rx->sf > 12 || rx->cr < 1 || rx->cr > 4 || sx126x_bw_code(rx->bw_khz) < 0 ||
        timeout_ms == 0 || timeout_ms > 0xFFFFFFu / SX126X_TIMEOUT_UNITS_PER_MS) {
        return HAL_EINVAL;
    }
    rc = configure_rx(r, rx);
    if (rc != HAL_OK) {
        return rc;
    }
    units = timeout_ms * SX126X_TIMEOUT_UNITS_PER_MS;
    t[0] = (uint8_t)(units >> 16);
    t[1] = (uint8_t)(units >> 8);
    t[2] = (uint8_t)units;
    rc = sx126x_command(r, SX126X_SET_RX, t, sizeof(t));
    if (rc != HAL_OK) {
        return rc;
    }
    r->last_irq = 0;
    while (waited <= timeout_ms + SX126X_IRQ_MARGIN_MS) {
        (void)r->bus->wait_irq(r->bus_ctx, 10);
        waited += 10;
        rc = get_irq_status(r, &r->last_irq);
        if (rc != HAL_OK) {
            return rc;
        }
        if (r->last_irq & (SX126X_IRQ_RX_DONE | SX126X_IRQ_TIMEOUT | SX126X_IRQ_CRC_ERR |
                           SX126X_IRQ_HEADER_ERR)) {
            break;
        }
    }
    if ((r->last_irq & (SX126X_IRQ_CRC_ERR | SX126X_IRQ_HEADER_ERR)) != 0u) {
        result = HAL_EIO;
    } else if ((r->last_irq & SX126X_IRQ_RX_DONE) != 0u) {
        result = read_packet(r, buf, cap);
    } else {
        result = HAL_ETIMEDOUT;
    }
    rc = clear_irq(r, SX126X_IRQ_ALL);
    return rc != HAL_OK ? rc : result;
}
