/* SPDX-License-Identifier: MIT
 * The whole node loop on the fake HAL: every frame it hands to the radio is a LoRaWAN frame
 * the gateway side of proto/ accepts (MIC, counter, decryption, TFP); the EU868 budget
 * refuses the frames past 1 %, counts them, and the message goes out once the budget allows
 * (nothing is lost); the counter survives a reboot; CoAP frames are delivered on a 2.04.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "proto/frame.h"
#include "proto/tfp.h"
#include "node_fake_hal.h"

static const uint8_t nk[16] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                               0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t ak[16] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                               0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};

static struct node node; /* 4+ KB: static, as on a board */

static void config(struct node_config *cfg, enum bearer_kind b)
{
    node_default_config(cfg, DSP_PROFILE_ELEPHANT, b);
    cfg->devaddr = 0x26011F00u;
    memcpy(cfg->nwkskey, nk, 16);
    memcpy(cfg->appskey, ak, 16);
}

/* Run the node until the fake clock reaches @until_ms, in 100 ms ticks. */
static void run_until(struct fake_hal *f, uint64_t until_ms)
{
    while (f->now_ms < until_ms) {
        int k;

        f->now_ms += 100;
        for (k = 0; k < 16 && node_step(&node) == NODE_BUSY; k++) {
        }
    }
}

/* Check a frame as the gateway would; returns its TFP message and full counter. */
static void gateway_check(const struct fake_sent *s, uint32_t fcnt, struct proto_tfp_msg *msg)
{
    struct proto_frame fr;
    uint8_t plain[PROTO_TFP_MAX_LEN];
    int n;

    assert_int_equal(proto_frame_parse(s->buf, s->len, &fr), PROTO_OK);
    assert_int_equal(fr.devaddr, 0x26011F00u);
    assert_int_equal(fr.mhdr, PROTO_MHDR_UNCONFIRMED_UP);
    assert_int_equal(fr.fcnt16, (uint16_t)fcnt);
    assert_int_equal(proto_frame_verify(&fr, nk, fcnt), PROTO_OK);
    n = proto_frame_decrypt(&fr, ak, fcnt, plain, sizeof(plain));
    assert_true(n > 0);
    assert_int_equal(proto_tfp_decode(fr.fport, plain, (size_t)n, msg), PROTO_OK);
}

/* SF12 health frames (29 bytes, 1.647 s on air) every 20 s: 21 fit in the first hour's
 * budget (36 s per 61 one-minute bins); the rest wait, counted, and go out when the oldest
 * minute leaves the window. */
static void test_node_step_duty_cycle_refusal(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_tfp_msg msg;
    uint32_t airtime_us = 0;
    int i;
    int seen_failures = 0;

    (void)state;
    fake_init(&f, &h);
    config(&cfg, BEARER_LORA);
    cfg.lora.sf = 12;
    cfg.lora.low_dr_optimize = true;
    cfg.agg.health_period_ms = 20000;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 30u * 60000u);
    /* 90 health periods in 30 minutes, but only 21 frames of 1.647 s fit. */
    assert_int_equal(f.nsent, 21);
    assert_int_equal(node.stats.frames, 21);
    assert_true(node.stats.budget_refused >= 1);
    /* Refusals are scheduled, not polled: at most one per frame that waits. */
    assert_true(node.stats.budget_refused <= 2);
    assert_int_equal(node.bearer.dc.refused, node.stats.budget_refused);
    for (i = 0; i < f.nsent; i++) {
        gateway_check(&f.sent[i], (uint32_t)i, &msg);
        assert_int_equal(msg.port, PROTO_TFP_PORT_HEALTH);
        assert_int_equal(msg.u.health.battery_mv, 3300);
        airtime_us += dutycycle_toa_us(&cfg.lora, f.sent[i].len);
        seen_failures += msg.u.health.tx_failures;
    }
    assert_true(airtime_us <= 36000000u);
    /* Each refusal is reported in the next health message (the latest may still wait). */
    run_until(&f, 75u * 60000u);
    assert_true(f.nsent > 21);
    for (i = 21; i < f.nsent; i++) {
        gateway_check(&f.sent[i], (uint32_t)i, &msg);
        seen_failures += msg.u.health.tx_failures;
    }
    assert_int_equal(seen_failures + node.agg.tx_failures, node.stats.budget_refused);
    assert_true(seen_failures >= 1);
    assert_int_equal(node.stats.tx_failed, 0);
}

/* A reboot (node_init on the same storage) continues past the stored limit. */
static void test_node_init_counter_survives_reboot(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_tfp_msg msg;

    (void)state;
    fake_init(&f, &h);
    config(&cfg, BEARER_LORA);
    cfg.region = DUTYCYCLE_REGION_US915;
    cfg.fcnt_k = 10;
    cfg.agg.health_period_ms = 30000;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 100000);
    assert_int_equal(f.nsent, 3); /* at 30, 60 and 90 s */
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 140000);
    assert_int_equal(f.nsent, 4);
    gateway_check(&f.sent[3], 10, &msg);
    /* A corrupted record: the node refuses to start rather than guess a counter. */
    f.nv[4] ^= 0x40;
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EFCNT);
}

/* The end of the input: a last health message; then NODE_DONE. */
static void test_node_step_done_after_flush(void **state)
{
    static int16_t quiet[5000];
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_tfp_msg msg;
    int st = NODE_BUSY;

    (void)state;
    fake_init(&f, &h);
    f.samples = quiet;
    f.nsamples = sizeof(quiet) / sizeof(quiet[0]);
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    while (st != NODE_DONE && f.now_ms < 20000u) {
        f.now_ms += 100;
        st = node_step(&node);
    }
    assert_int_equal(st, NODE_DONE);
    assert_int_equal(f.nsent, 1);
    gateway_check(&f.sent[0], 0, &msg);
    assert_int_equal(msg.port, PROTO_TFP_PORT_HEALTH);
    /* 5000 samples: 4 steps of 1024, the first window with the third: 2 windows. */
    assert_int_equal(msg.u.health.inferences, 2);
}

/* CoAP: the frame is the payload of a CON POST; a 2.04 counts it delivered. */
static void test_node_step_coap_delivered(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_tfp_msg msg;
    struct fake_sent frame;
    uint8_t ack[8];

    (void)state;
    fake_init(&f, &h);
    config(&cfg, BEARER_COAP);
    cfg.agg.health_period_ms = 10000;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100);
    assert_int_equal(f.nsent, 1);
    assert_true(coap_client_busy(&node.bearer.coap));
    /* The PHYPayload follows the 14-byte CoAP header and options. */
    memset(&frame, 0, sizeof(frame));
    frame.len = f.sent[0].len - 14u;
    memcpy(frame.buf, f.sent[0].buf + 14, frame.len);
    gateway_check(&frame, 0, &msg);
    ack[0] = 0x64; /* ACK, TKL 4 */
    ack[1] = 0x44; /* 2.04 */
    ack[2] = f.sent[0].buf[2];
    ack[3] = f.sent[0].buf[3];
    memcpy(ack + 4, f.sent[0].buf + 4, 4);
    fake_deliver(&f, ack, sizeof(ack));
    run_until(&f, 10300);
    assert_int_equal(node.stats.delivered, 1);
    assert_false(coap_client_busy(&node.bearer.coap));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_step_duty_cycle_refusal),
        cmocka_unit_test(test_node_init_counter_survives_reboot),
        cmocka_unit_test(test_node_step_done_after_flush),
        cmocka_unit_test(test_node_step_coap_delivered),
    };

    return cmocka_run_group_tests_name("test_node", tests, NULL, NULL);
}
