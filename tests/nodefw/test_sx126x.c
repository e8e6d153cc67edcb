/* SPDX-License-Identifier: MIT
 * The SX126x driver against a fake SPI bus that records every transaction: the bytes of
 * each command are checked against the SX1261/2 datasheet (rev 2.1, section 13) and the
 * order against its basic Tx sequence (14.3). Expected register values are written out
 * from the datasheet's formulas, not computed by the driver's own helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/sx126x.h"

#define MAX_FRAMES 64
#define MAX_BYTES  260

struct fake_bus {
    uint8_t frame[MAX_FRAMES][MAX_BYTES];
    size_t len[MAX_FRAMES];
    size_t n;             /* transactions recorded */
    uint16_t irq;         /* what GetIrqStatus reports */
    int busy_stuck;       /* wait_ready() times out */
    unsigned irq_waits;   /* wait_irq() calls */
    unsigned irq_after;   /* report irq only from this many wait_irq() calls on */
    uint8_t rx_data[255]; /* the received packet ReadBuffer returns */
    uint8_t rx_len;       /* GetRxBufferStatus's PayloadLengthRx */
    uint8_t rx_start;     /* ... and RxStartBufferPointer */
    uint8_t iq_reg;       /* what ReadRegister(0x0736) reads */
};

static int fake_xfer(void *ctx, const uint8_t *tx, uint8_t *rx, size_t n)
{
    struct fake_bus *b = ctx;

    assert_true(n > 0 && n <= MAX_BYTES);
    assert_true(b->n < MAX_FRAMES);
    memcpy(b->frame[b->n], tx, n);
    b->len[b->n] = n;
    b->n++;
    if (rx != NULL) {
        memset(rx, 0, n);
        if (tx[0] == SX126X_GET_IRQ_STATUS && n == 4 && b->irq_waits >= b->irq_after) {
            rx[1] = 0x2A; /* a status byte; the driver ignores it */
            rx[2] = (uint8_t)(b->irq >> 8);
            rx[3] = (uint8_t)b->irq;
        }
        if (tx[0] == SX126X_GET_RX_BUFFER_STATUS && n == 4) {
            rx[2] = b->rx_len;
            rx[3] = b->rx_start;
        }
        if (tx[0] == SX126X_READ_BUFFER && n >= 3) {
            assert_int_equal(tx[1], b->rx_start); /* read from where the packet starts */
            memcpy(rx + 3, b->rx_data, n - 3 <= sizeof(b->rx_data) ? n - 3 : 0);
        }
        if (tx[0] == SX126X_READ_REGISTER && n == 5 && tx[1] == 0x07 && tx[2] == 0x36) {
            rx[4] = b->iq_reg;
        }
    }
    return HAL_OK;
}

static int fake_wait_ready(void *ctx)
{
    const struct fake_bus *b = ctx;

    return b->busy_stuck ? HAL_ETIMEDOUT : HAL_OK;
}

static int fake_wait_irq(void *ctx, uint32_t timeout_ms)
{
    struct fake_bus *b = ctx;

    (void)timeout_ms;
    b->irq_waits++;
    return HAL_OK;
}

static const struct sx126x_bus fake_ops = {fake_xfer, fake_wait_ready, fake_wait_irq};

/* STM32WL Nucleo-like front end: low-power PA, TCXO at 1.7 V, DC-DC. */
static const struct sx126x_pa lp_pa = {0x04, 0x00, 0x01, 14, 0x01, 1};

static struct fake_bus bus;
static struct sx126x radio;

static const struct hal_lora_tx eu868_sf7 = {
    868100000u, 7, 125, 1, 8, true, true, false, 14, 0,
};

static int setup(void **state)
{
    (void)state;
    memset(&bus, 0, sizeof(bus));
    radio.bus = &fake_ops;
    radio.bus_ctx = &bus;
    radio.pa = &lp_pa;
    radio.last_irq = 0;
    return 0;
}

/* The index of the first recorded frame with @opcode, or -1. */
static int find(uint8_t opcode)
{
    size_t i;

    for (i = 0; i < bus.n; i++) {
        if (bus.frame[i][0] == opcode) {
            return (int)i;
        }
    }
    return -1;
}

static void expect_frame(uint8_t opcode, const uint8_t *bytes, size_t n)
{
    int i = find(opcode);

    assert_true(i >= 0);
    assert_int_equal(bus.len[i], n);
    assert_memory_equal(bus.frame[i], bytes, n);
}

static void test_sx126x_freq_reg_datasheet(void **state)
{
    (void)state;
    /* round(f * 2^25 / 32e6), computed in double precision outside the driver */
    assert_int_equal(sx126x_freq_reg(868100000u), 0x3641999Au);
    assert_int_equal(sx126x_freq_reg(923300000u), 0x39B4CCCDu);
    assert_int_equal(sx126x_freq_reg(433175000u), 0x1B12CCCDu);
    assert_int_equal(sx126x_freq_reg(32000000u), 1u << 25);
}

static void test_sx126x_bw_code_table(void **state)
{
    (void)state;
    assert_int_equal(sx126x_bw_code(125), 0x04);
    assert_int_equal(sx126x_bw_code(250), 0x05);
    assert_int_equal(sx126x_bw_code(500), 0x06);
    assert_int_equal(sx126x_bw_code(200), -1);
}

static void test_sx126x_image_band_table(void **state)
{
    uint8_t b[2];

    (void)state;
    sx126x_image_band(868100000u, b);
    assert_int_equal(b[0], 0xD7);
    assert_int_equal(b[1], 0xDB);
    sx126x_image_band(915000000u, b);
    assert_int_equal(b[0], 0xE1);
    assert_int_equal(b[1], 0xE9);
    sx126x_image_band(433000000u, b);
    assert_int_equal(b[0], 0x6B);
    assert_int_equal(b[1], 0x6F);
}

static void test_sx126x_init_sequence(void **state)
{
    static const uint8_t standby[] = {0x80, 0x00};
    static const uint8_t dcdc[] = {0x96, 0x01};
    static const uint8_t tcxo[] = {0x97, 0x01, 0x00, 0x01, 0x40}; /* 1.7 V, 320 * 15.625 us */
    static const uint8_t cal[] = {0x89, 0x7F};
    static const uint8_t lora[] = {0x8A, 0x01};
    static const uint8_t sync[] = {0x0D, 0x07, 0x40, 0x34, 0x44};

    (void)state;
    assert_int_equal(sx126x_init(&radio), HAL_OK);
    assert_int_equal(bus.n, 6);
    assert_memory_equal(bus.frame[0], standby, sizeof(standby));
    assert_memory_equal(bus.frame[1], dcdc, sizeof(dcdc));
    assert_memory_equal(bus.frame[2], tcxo, sizeof(tcxo));
    assert_memory_equal(bus.frame[3], cal, sizeof(cal));
    assert_memory_equal(bus.frame[4], lora, sizeof(lora));
    assert_memory_equal(bus.frame[5], sync, sizeof(sync));
}

static void test_sx126x_lora_send_bytes(void **state)
{
    static const uint8_t payload[5] = {0x40, 0x11, 0x22, 0x33, 0x44};
    static const uint8_t freq[] = {0x86, 0x36, 0x41, 0x99, 0x9A};
    static const uint8_t pa[] = {0x95, 0x04, 0x00, 0x01, 0x01};
    static const uint8_t power[] = {0x8E, 14, 0x04};
    static const uint8_t mod[] = {0x8B, 7, 0x04, 0x01, 0x00};
    static const uint8_t pkt[] = {0x8C, 0x00, 0x08, 0x00, 5, 0x01, 0x00};
    static const uint8_t buf[] = {0x0E, 0x00, 0x40, 0x11, 0x22, 0x33, 0x44};
    static const uint8_t irq[] = {0x08, 0x02, 0x01, 0x02, 0x01, 0, 0, 0, 0};
    static const uint8_t tx[] = {0x83, 0x00, 0x7D, 0x00}; /* 500 ms = 32000 units */
    static const uint8_t clear[] = {0x02, 0x03, 0xFF};
    static const uint8_t order[] = {0x80, 0x8A, 0x86, 0x95, 0x8E, 0x8F,
                                    0x0E, 0x8B, 0x8C, 0x08, 0x02, 0x83};
    size_t i;

    (void)state;
    bus.irq = SX126X_IRQ_TX_DONE;
    bus.irq_after = 2;
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, payload, sizeof(payload), 500), HAL_OK);
    expect_frame(0x86, freq, sizeof(freq));
    expect_frame(0x95, pa, sizeof(pa));
    expect_frame(0x8E, power, sizeof(power));
    expect_frame(0x8B, mod, sizeof(mod));
    expect_frame(0x8C, pkt, sizeof(pkt));
    expect_frame(0x0E, buf, sizeof(buf));
    expect_frame(0x08, irq, sizeof(irq));
    expect_frame(0x83, tx, sizeof(tx));
    /* datasheet 14.3 order, with CalibrateImage slotted in before the frequency */
    for (i = 0; i + 1 < sizeof(order); i++) {
        assert_true(find(order[i]) < find(order[i + 1]));
    }
    /* the IRQ is polled until TxDone shows, then cleared */
    assert_int_equal(bus.irq_waits, 2);
    assert_int_equal(bus.frame[bus.n - 2][0], SX126X_GET_IRQ_STATUS);
    assert_memory_equal(bus.frame[bus.n - 1], clear, sizeof(clear));
    assert_int_equal(radio.last_irq, SX126X_IRQ_TX_DONE);
}

static void test_sx126x_lora_send_sf12_ldro_implicit(void **state)
{
    static const uint8_t one[1] = {0xAB};
    static const uint8_t mod[] = {0x8B, 12, 0x05, 0x04, 0x01};
    static const uint8_t pkt[] = {0x8C, 0x00, 0x0C, 0x01, 1, 0x00, 0x00};
    struct hal_lora_tx p = eu868_sf7;

    (void)state;
    p.sf = 12;
    p.bw_khz = 250;
    p.cr = 4;
    p.low_dr_optimize = true;
    p.preamble = 12;
    p.explicit_header = false;
    p.crc = false;
    bus.irq = SX126X_IRQ_TX_DONE;
    assert_int_equal(sx126x_lora_send(&radio, &p, one, 1, 3000), HAL_OK);
    expect_frame(0x8B, mod, sizeof(mod));
    expect_frame(0x8C, pkt, sizeof(pkt));
}

static void test_sx126x_lora_send_rejects(void **state)
{
    static uint8_t big[256];
    struct hal_lora_tx p;

    (void)state;
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, big, 0, 500), HAL_EINVAL);
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, big, 256, 500), HAL_EINVAL);
    p = eu868_sf7;
    p.sf = 13;
    assert_int_equal(sx126x_lora_send(&radio, &p, big, 10, 500), HAL_EINVAL);
    p = eu868_sf7;
    p.bw_khz = 200;
    assert_int_equal(sx126x_lora_send(&radio, &p, big, 10, 500), HAL_EINVAL);
    p = eu868_sf7;
    p.cr = 0;
    assert_int_equal(sx126x_lora_send(&radio, &p, big, 10, 500), HAL_EINVAL);
    p = eu868_sf7;
    p.power_dbm = 20; /* over what the low-power PA allows */
    assert_int_equal(sx126x_lora_send(&radio, &p, big, 10, 500), HAL_EINVAL);
    /* nothing reached the chip */
    assert_int_equal(bus.n, 0);
}

static void test_sx126x_lora_send_255_bytes(void **state)
{
    static uint8_t data[255];

    (void)state;
    memset(data, 0x5A, sizeof(data));
    bus.irq = SX126X_IRQ_TX_DONE;
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, data, sizeof(data), 500), HAL_OK);
    assert_int_equal(bus.len[find(0x0E)], 257);
    assert_int_equal(bus.frame[find(0x8C)][4], 255);
}

static void test_sx126x_lora_send_chip_timeout(void **state)
{
    static const uint8_t d[3] = {1, 2, 3};

    (void)state;
    bus.irq = SX126X_IRQ_TIMEOUT;
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, d, sizeof(d), 500), HAL_ETIMEDOUT);
    assert_int_equal(bus.frame[bus.n - 1][0], SX126X_CLEAR_IRQ_STATUS);
}

static void test_sx126x_lora_send_no_irq(void **state)
{
    static const uint8_t d[3] = {1, 2, 3};

    (void)state;
    bus.irq = 0;
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, d, sizeof(d), 200), HAL_ETIMEDOUT);
    /* gave up after the timeout plus margin, in 10 ms waits, not forever */
    assert_true(bus.irq_waits >= 20 && bus.irq_waits <= 32);
}

static void test_sx126x_busy_stuck(void **state)
{
    static const uint8_t d[3] = {1, 2, 3};

    (void)state;
    bus.busy_stuck = 1;
    assert_int_equal(sx126x_init(&radio), HAL_ETIMEDOUT);
    assert_int_equal(sx126x_lora_send(&radio, &eu868_sf7, d, sizeof(d), 200), HAL_ETIMEDOUT);
    assert_int_equal(bus.n, 0);
}

/* A downlink (14.3 basic Rx): EU868 RX1 at SF7, IQ inverted, no CRC, 12 bytes received. */
static void test_sx126x_lora_recv_bytes(void **state)
{
    static const uint8_t ack[12] = {0x60, 0x00, 0x1F, 0x01, 0x26, 0x20,
                                    0x00, 0x00, 0xA2, 0x60, 0xFA, 0x71};
    uint8_t got[64];

    (void)state;
    bus.irq = SX126X_IRQ_RX_DONE;
    bus.irq_after = 2;
    bus.rx_len = sizeof(ack);
    bus.rx_start = 0x80;
    bus.iq_reg = 0x0D;
    memcpy(bus.rx_data, ack, sizeof(ack));
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 500), 12);
    assert_memory_equal(got, ack, sizeof(ack));
    /* Preamble 8, explicit header, 255 bytes at most, CRC off, IQ inverted. */
    expect_frame(SX126X_SET_PACKET_PARAMS,
                 (const uint8_t[]){0x8C, 0x00, 0x08, 0x00, 0xFF, 0x00, 0x01}, 7);
    /* Errata 15.4: bit 2 of 0x0736 cleared, the other bits kept (0x0D -> 0x09). */
    expect_frame(SX126X_WRITE_REGISTER, (const uint8_t[]){0x0D, 0x07, 0x36, 0x09}, 4);
    /* RxDone, Timeout, CrcErr, HeaderErr on DIO1 (0x0262). */
    expect_frame(SX126X_SET_DIO_IRQ_PARAMS,
                 (const uint8_t[]){0x08, 0x02, 0x62, 0x02, 0x62, 0, 0, 0, 0}, 9);
    /* SetRx timeout 500 ms = 32000 units of 15.625 us = 0x007D00. */
    expect_frame(SX126X_SET_RX, (const uint8_t[]){0x82, 0x00, 0x7D, 0x00}, 4);
    /* The order: configure, SetRx, then the buffer read after RxDone. */
    assert_true(find(SX126X_SET_PACKET_PARAMS) < find(SX126X_SET_RX));
    assert_true(find(SX126X_SET_RX) < find(SX126X_GET_RX_BUFFER_STATUS));
    assert_true(find(SX126X_GET_RX_BUFFER_STATUS) < find(SX126X_READ_BUFFER));
    assert_int_equal(bus.len[find(SX126X_READ_BUFFER)], 3 + 12);
}

static void test_sx126x_lora_recv_nothing_or_bad(void **state)
{
    uint8_t got[8];

    (void)state;
    bus.irq = SX126X_IRQ_TIMEOUT; /* the window closed empty */
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 100), HAL_ETIMEDOUT);
    assert_int_equal(find(SX126X_READ_BUFFER), -1);
    bus.n = 0;
    bus.irq = SX126X_IRQ_RX_DONE | SX126X_IRQ_CRC_ERR;
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 100), HAL_EIO);
    assert_int_equal(find(SX126X_READ_BUFFER), -1);
    bus.n = 0;
    bus.irq = SX126X_IRQ_RX_DONE;
    bus.rx_len = 12; /* more than got[] holds */
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 100), HAL_ENOSPC);
    bus.n = 0;
    bus.irq = 0; /* no IRQ at all: the driver's own bound */
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 100), HAL_ETIMEDOUT);
    assert_int_equal(sx126x_lora_recv(&radio, &eu868_sf7, got, sizeof(got), 0), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sx126x_freq_reg_datasheet, setup),
        cmocka_unit_test_setup(test_sx126x_bw_code_table, setup),
        cmocka_unit_test_setup(test_sx126x_image_band_table, setup),
        cmocka_unit_test_setup(test_sx126x_init_sequence, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_bytes, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_sf12_ldro_implicit, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_rejects, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_255_bytes, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_chip_timeout, setup),
        cmocka_unit_test_setup(test_sx126x_lora_send_no_irq, setup),
        cmocka_unit_test_setup(test_sx126x_busy_stuck, setup),
        cmocka_unit_test_setup(test_sx126x_lora_recv_bytes, setup),
        cmocka_unit_test_setup(test_sx126x_lora_recv_nothing_or_bad, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
