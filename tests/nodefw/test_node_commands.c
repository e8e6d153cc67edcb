/* SPDX-License-Identifier: MIT
 * Commands reaching the whole node loop on the fake HAL: over CoAP in the 2.04's payload,
 * over LoRa in the radio's receive windows (the bearer sends nothing while they are open).
 * The command changes the node's behaviour (health period, data rate), its answer leaves as
 * the next uplink on FPort 11, confirmed uplinks carry MType 100, and a downlink with a bad
 * MIC changes nothing and sends nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "proto/command.h"
#include "proto/frame.h"
#include "node_fake_hal.h"

static const uint8_t nk[16] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                               0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t ak[16] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                               0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};
/* health-interval 600 s, seq 5 */
static const uint8_t cmd_health[] = {0x01, 0x05, 0x00, 0x02, 0x58, 0x02, 0x00, 0x00};
/* duty 1000 permille, DR0 (SF12), seq 6 */
static const uint8_t cmd_duty[] = {0x01, 0x06, 0x00, 0x04, 0xE8, 0x03, 0x00};

static struct node node;

static void config(struct node_config *cfg, enum bearer_kind b)
{
    node_default_config(cfg, DSP_PROFILE_ELEPHANT, b);
    cfg->devaddr = 0x26011F00u;
    memcpy(cfg->nwkskey, nk, 16);
    memcpy(cfg->appskey, ak, 16);
    cfg->agg.health_period_ms = 10000;
    cfg->confirmed = true;
}

static void run_until(struct fake_hal *f, uint64_t until_ms)
{
    while (f->now_ms < until_ms) {
        f->now_ms += 100;
        for (int k = 0; k < 16 && node_step(&node) == NODE_BUSY; k++) {
        }
    }
}

static size_t downlink(uint8_t *buf, uint32_t fcnt, const uint8_t *cmd, size_t len)
{
    struct proto_downlink dn;
    int n;

    memset(&dn, 0, sizeof(dn));
    dn.devaddr = 0x26011F00u;
    dn.fcnt = fcnt;
    dn.fctrl_flags = PROTO_FCTRL_ACK;
    dn.has_fport = true;
    dn.fport = PROTO_CMD_PORT;
    dn.payload = cmd;
    dn.payload_len = len;
    n = proto_frame_build_down(&dn, nk, ak, buf, 64);
    assert_true(n > 0);
    return (size_t)n;
}

/* The answers of uplink @phy (FPort 11, confirmed). */
static int answers_of(const uint8_t *phy, size_t len, struct proto_cmd_answer *a)
{
    struct proto_frame fr;
    uint8_t plain[64];
    int n;

    assert_int_equal(proto_frame_parse(phy, len, &fr), PROTO_OK);
    assert_int_equal(fr.mhdr, PROTO_MHDR_CONFIRMED_UP);
    assert_int_equal(fr.fport, PROTO_CMD_ANSWER_PORT);
    n = proto_frame_decrypt(&fr, ak, fr.fcnt16, plain, sizeof(plain));
    assert_true(n > 0);
    return proto_cmd_answer_decode(plain, (size_t)n, a);
}

/* A 2.04 piggybacked on the ACK of request @req, carrying @pl. */
static void reply_204(struct fake_hal *f, const struct fake_sent *req, const uint8_t *pl,
                      size_t len)
{
    uint8_t m[96];

    m[0] = 0x64; /* ACK, TKL 4 */
    m[1] = 0x44; /* 2.04 */
    memcpy(m + 2, req->buf + 2, 6);
    if (len == 0u) {
        fake_deliver(f, m, 8); /* nothing pending: no option, no payload */
        return;
    }
    m[8] = 0xC1; /* Content-Format (12), 1 byte */
    m[9] = 42;
    m[10] = 0xFF;
    memcpy(m + 11, pl, len);
    fake_deliver(f, m, 11 + len);
}

static void test_node_command_over_coap(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];
    uint8_t dl[64];
    size_t n;

    (void)state;
    fake_init(&f, &h);
    config(&cfg, BEARER_COAP);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100);
    assert_int_equal(f.nsent, 1);
    assert_int_equal(f.sent[0].buf[14], PROTO_MHDR_CONFIRMED_UP);
    /* A downlink with a bad MIC first: dropped, counted, no answer. */
    n = downlink(dl, 0, cmd_health, sizeof(cmd_health));
    dl[n - 1] ^= 1u;
    reply_204(&f, &f.sent[0], dl, n);
    run_until(&f, 10300);
    assert_int_equal(node.dl.stats.bad_mic, 1);
    assert_int_equal(f.nsent, 1);
    assert_int_equal(node.agg.cfg.health_period_ms, 10000);
    /* The next health frame's 2.04 brings the command: applied, answered at once. */
    run_until(&f, 20100);
    assert_int_equal(f.nsent, 2);
    n = downlink(dl, 0, cmd_health, sizeof(cmd_health));
    reply_204(&f, &f.sent[1], dl, n);
    run_until(&f, 20300);
    assert_int_equal(node.dl.stats.acks, 1);
    assert_int_equal(node.agg.cfg.health_period_ms, 600000);
    assert_int_equal(f.nsent, 3);
    assert_int_equal(answers_of(f.sent[2].buf + 14, f.sent[2].len - 14, a), 1);
    assert_int_equal(a[0].seq, 5);
    assert_int_equal(a[0].op, PROTO_CMD_HEALTH_INTERVAL);
    assert_int_equal(a[0].status, PROTO_CMD_APPLIED);
    assert_int_equal(node.stats.answers, 1);
    /* No health frame at 30 s any more: the period is 10 minutes now. */
    reply_204(&f, &f.sent[2], NULL, 0);
    run_until(&f, 40000);
    assert_int_equal(f.nsent, 3);
}

/* learn-restart, seq 7: a turbine that learns its machine starts learning again. */
static void test_node_command_learn_restart(void **state)
{
    static const uint8_t cmd_learn[] = {0x01, 0x07, 0x00, 0x05};
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];
    uint8_t dl[64];
    uint32_t seen;
    uint32_t saves;
    size_t n;

    (void)state;
    fake_init(&f, &h);
    node_default_config(&cfg, DSP_PROFILE_TURBINE, BEARER_COAP);
    cfg.devaddr = 0x26011F00u;
    memcpy(cfg.nwkskey, nk, 16);
    memcpy(cfg.appskey, ak, 16);
    cfg.agg.health_period_ms = 10000;
    cfg.confirmed = true;
    cfg.learn_s = 3600;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100);
    assert_true(f.nsent >= 1);
    seen = node.learn.seen;
    saves = node.stats.learn_saves;
    assert_true(seen > 10u);
    n = downlink(dl, 0, cmd_learn, sizeof(cmd_learn));
    reply_204(&f, &f.sent[f.nsent - 1], dl, n);
    run_until(&f, 10300);
    assert_int_equal(node.stats.learn_restarts, 1);
    assert_true(node.learn.seen < 5u);           /* learning from the start again */
    assert_true(node.stats.learn_saves > saves); /* and the fresh state written at once */
    assert_int_equal(answers_of(f.sent[f.nsent - 1].buf + 14, f.sent[f.nsent - 1].len - 14, a), 1);
    assert_int_equal(a[0].op, PROTO_CMD_LEARN_RESTART);
    assert_int_equal(a[0].status, PROTO_CMD_APPLIED);
}

static int rx_calls;
static size_t rx_len;
static uint8_t rx_buf[64];

/* The receive windows: nothing for two polls, then the downlink (or none: timed out). */
static int windows(void *ctx, uint8_t *buf, size_t cap)
{
    size_t n;

    (void)ctx;
    if (++rx_calls < 3) {
        return 0;
    }
    if (rx_len == 0u || rx_len > cap) {
        return HAL_ETIMEDOUT;
    }
    memcpy(buf, rx_buf, rx_len);
    rx_calls = 0;
    n = rx_len;
    rx_len = 0; /* heard once; the windows of the next uplink are empty */
    return (int)n;
}

static void test_node_command_over_lora(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct hal_ops ops;
    struct node_config cfg;
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];

    (void)state;
    fake_init(&f, &h);
    ops = *h.ops;
    ops.radio_recv = windows;
    h.ops = &ops;
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    rx_calls = 0;
    rx_len = downlink(rx_buf, 7, cmd_duty, sizeof(cmd_duty));
    f.now_ms = 9900;
    node.agg.next_health_ms = 10000;
    f.now_ms += 100;
    (void)node_step(&node);
    assert_int_equal(f.nsent, 1);
    assert_int_equal(node.bearer.tx.sf, 9);
    assert_true(bearer_busy(&node.bearer)); /* the windows are open */
    for (int i = 0; i < 4; i++) {
        (void)node_step(&node);
    }
    assert_int_equal(node.dl.stats.accepted, 1);
    assert_int_equal(node.dl.stats.applied, 1);
    assert_int_equal(node.bearer.tx.sf, 12); /* DR0 */
    assert_true(node.bearer.tx.low_dr_optimize);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(answers_of(f.sent[1].buf, f.sent[1].len, a), 1);
    assert_int_equal(a[0].seq, 6);
    /* After the answer's windows close empty, the node goes on as before. */
    for (int i = 0; i < 4; i++) {
        (void)node_step(&node);
    }
    assert_false(bearer_busy(&node.bearer));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_command_over_coap),
        cmocka_unit_test(test_node_command_learn_restart),
        cmocka_unit_test(test_node_command_over_lora),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
