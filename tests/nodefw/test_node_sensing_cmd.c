/* SPDX-License-Identifier: MIT
 * The sensing command (op 8) through the whole node loop on the fake HAL, over CoAP: applied
 * (the schedule changes at once, through node_set_sensing(), with the DevAddr's phase),
 * stored in the settings record and still in force after a reboot; refused whole, with
 * nothing changed in RAM or storage, when the node cannot run it (woken by sound without a
 * wake line) or the codec refuses it; a wake schedule reaches the board's comparator
 * (hal wake_config) with its level and margin. A version 1 settings record still loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "proto/command.h"
#include "proto/crc32.h"
#include "proto/frame.h"
#include "node_fake_hal.h"

#define DEV 0x26011F00u

static const uint8_t nk[16] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                               0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t ak[16] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                               0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};

static struct node node;
static int wake_calls;
static uint16_t wake_level;
static uint8_t wake_margin;

static bool no_wake(void *ctx)
{
    (void)ctx;
    return false;
}

static void wake_cfg(void *ctx, uint16_t level_q15, uint8_t margin_db)
{
    (void)ctx;
    wake_calls++;
    wake_level = level_q15;
    wake_margin = margin_db;
}

static void config(struct node_config *cfg)
{
    node_default_config(cfg, DSP_PROFILE_ELEPHANT, BEARER_COAP);
    cfg->devaddr = DEV;
    memcpy(cfg->nwkskey, nk, 16);
    memcpy(cfg->appskey, ak, 16);
    cfg->agg.health_period_ms = 10000;
}

static void run_until(struct fake_hal *f, uint64_t until_ms)
{
    while (f->now_ms < until_ms) {
        f->now_ms += 100;
        for (int k = 0; k < 16 && node_step(&node) == NODE_BUSY; k++) {
        }
    }
}

static struct proto_cmd sensing(uint16_t seq, uint8_t mode, uint32_t listen_ms, uint32_t every_ms)
{
    struct proto_cmd c;

    memset(&c, 0, sizeof(c));
    c.seq = seq;
    c.op = PROTO_CMD_SENSING;
    c.u.sensing.mode = mode;
    c.u.sensing.listen_ms = listen_ms;
    c.u.sensing.every_ms = every_ms;
    return c;
}

/* The node's last uplink gets a 2.04 carrying a downlink (FCntDown @fcnt) with @cmd_bytes;
 * the loop runs 300 ms; Return: the status of the answer the node sent. */
static uint8_t deliver(struct fake_hal *f, uint32_t fcnt, const uint8_t *cmd_bytes, size_t len)
{
    const struct fake_sent *req = &f->sent[f->nsent - 1];
    struct proto_downlink dn;
    struct proto_frame fr;
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];
    uint8_t m[96];
    uint8_t plain[64];
    int sent = f->nsent;
    int n;

    memset(&dn, 0, sizeof(dn));
    dn.devaddr = DEV;
    dn.fcnt = fcnt;
    dn.has_fport = true;
    dn.fport = PROTO_CMD_PORT;
    dn.payload = cmd_bytes;
    dn.payload_len = len;
    m[0] = 0x64; /* ACK, TKL 4 */
    m[1] = 0x44; /* 2.04 */
    memcpy(m + 2, req->buf + 2, 6);
    m[8] = 0xC1; /* Content-Format 42 */
    m[9] = 42;
    m[10] = 0xFF;
    n = proto_frame_build_down(&dn, nk, ak, m + 11, sizeof(m) - 11);
    assert_true(n > 0);
    fake_deliver(f, m, 11 + (size_t)n);
    run_until(f, f->now_ms + 300);
    assert_int_equal(f->nsent, sent + 1); /* the answer, at once */
    req = &f->sent[f->nsent - 1];
    assert_int_equal(proto_frame_parse(req->buf + 14, req->len - 14, &fr), PROTO_OK);
    assert_int_equal(fr.fport, PROTO_CMD_ANSWER_PORT);
    n = proto_frame_decrypt(&fr, ak, fr.fcnt16, plain, sizeof(plain));
    assert_int_equal(proto_cmd_answer_decode(plain, (size_t)n, a), 1);
    assert_int_equal(a[0].op, PROTO_CMD_SENSING);
    /* An empty 2.04 for the answer, so the CoAP client is free again. */
    m[8] = 0;
    memcpy(m + 2, req->buf + 2, 6);
    fake_deliver(f, m, 8);
    run_until(f, f->now_ms + 100);
    return a[0].status;
}

static uint8_t deliver_cmd(struct fake_hal *f, uint32_t fcnt, const struct proto_cmd *c)
{
    uint8_t b[PROTO_CMD_MAX_LEN];
    int n = proto_cmd_encode(c, b, sizeof(b));

    assert_true(n > 0);
    return deliver(f, fcnt, b, (size_t)n);
}

/* The stored settings record (behind the counter's 10 bytes). */
static void stored(const struct fake_hal *f, struct node_settings *s)
{
    assert_true(f->nv_len > (int)FCNT_RECORD_LEN);
    assert_int_equal(
        node_settings_decode(f->nv + FCNT_RECORD_LEN, (size_t)f->nv_len - FCNT_RECORD_LEN, s),
        NODE_DL_OK);
}

static void test_sensing_command_applied_and_persisted(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct node_settings s;
    struct proto_cmd c = sensing(3, PROTO_CMD_SENSE_DUTY, 6000, 60000);
    uint32_t phase = sensing_phase_ms(DEV, 60000);
    uint32_t periods;

    (void)state;
    fake_init(&f, &h);
    config(&cfg);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100); /* the first health frame */
    assert_int_equal(f.nsent, 1);
    assert_true(node.sensing.on);
    assert_int_equal(deliver_cmd(&f, 0, &c), PROTO_CMD_APPLIED);
    assert_int_equal(node.cfg.sense.mode, SENSING_DUTY);
    assert_int_equal(node.cfg.sense.listen_ms, 6000);
    assert_int_equal(node.cfg.sense.every_ms, 60000);
    assert_int_equal(node.cfg.sense.phase_ms, phase);
    assert_int_equal(node.agg.cfg.health_period_ms, 10000); /* the health interval stays */
    /* Listening: one period of 6 s per minute from now on, the first one phase ms away. */
    periods = node.sensing.periods;
    run_until(&f, f.now_ms + 180000);
    assert_int_equal(node.sensing.periods, periods + 3);
    stored(&f, &s);
    assert_int_equal(s.sense_mode, SENSING_DUTY + 1);
    assert_int_equal(s.listen_ms, 6000);
    assert_int_equal(s.every_ms, 60000);

    /* A reboot with the provisioned (continuous) configuration keeps the commanded one. */
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    assert_int_equal(node.cfg.sense.mode, SENSING_DUTY);
    assert_int_equal(node.cfg.sense.listen_ms, 6000);
    assert_int_equal(node.cfg.sense.phase_ms, phase);
    assert_int_equal(node.sensing.periods, phase == 0u ? 1 : 0); /* waits for its phase */

    /* Back to continuous, by command: listening at once. */
    run_until(&f, f.now_ms + 10100);
    c = sensing(4, PROTO_CMD_SENSE_CONTINUOUS, 0, 0);
    assert_int_equal(deliver_cmd(&f, 1, &c), PROTO_CMD_APPLIED);
    assert_int_equal(node.cfg.sense.mode, SENSING_CONTINUOUS);
    assert_true(node.sensing.on);
    stored(&f, &s);
    assert_int_equal(s.sense_mode, SENSING_CONTINUOUS + 1);
}

static void test_sensing_command_refused_whole(void **state)
{
    /* duty with listen 7 s of every 6 s: the codec refuses it */
    static const uint8_t bad[] = {1, 9, 0, 8, 1, 0x58, 0x1B, 0, 0, 0x70, 0x17, 0, 0, 0, 0, 0};
    struct fake_hal f;
    struct hal h;
    struct hal_ops ops;
    struct node_config cfg;
    struct node_settings s;
    struct proto_cmd c = sensing(7, PROTO_CMD_SENSE_DUTY, 2500, 600000);
    uint8_t before[HAL_NV_MAX];
    int before_len;

    (void)state;
    fake_init(&f, &h);
    ops = *h.ops;
    ops.wake_config = wake_cfg; /* a comparator to set, but no wake line */
    h.ops = &ops;
    config(&cfg);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100);
    assert_int_equal(deliver_cmd(&f, 0, &c), PROTO_CMD_APPLIED);
    memcpy(before, f.nv, sizeof(before));
    before_len = f.nv_len;

    /* Woken by sound on a board without a wake line: refused, nothing changes. */
    c = sensing(8, PROTO_CMD_SENSE_WAKE, 10000, 0);
    c.u.sensing.wake_level_q15 = 1638;
    wake_calls = 0;
    run_until(&f, f.now_ms + 10000);
    assert_int_equal(deliver_cmd(&f, 1, &c), PROTO_CMD_REFUSED_BAD_VALUE);
    assert_int_equal(wake_calls, 0);
    assert_int_equal(node.cfg.sense.mode, SENSING_DUTY);
    assert_int_equal(node.cfg.sense.listen_ms, 2500);
    stored(&f, &s);
    assert_int_equal(s.sense_mode, SENSING_DUTY + 1);
    assert_int_equal(s.listen_ms, 2500);
    assert_int_equal(s.every_ms, 600000);
    assert_int_equal(node.dl.stats.refused, 1);

    /* A schedule the codec refuses: the same. */
    run_until(&f, f.now_ms + 10000);
    assert_int_equal(deliver(&f, 2, bad, sizeof(bad)), PROTO_CMD_REFUSED_BAD_VALUE);
    assert_int_equal(node.cfg.sense.every_ms, 600000);
    stored(&f, &s);
    assert_int_equal(s.listen_ms, 2500);
    assert_int_equal(node.dl.stats.refused, 2);
    /* Only the downlink counter and the last sequence number moved in storage. */
    assert_int_equal(f.nv_len, before_len);
    assert_memory_equal(f.nv + FCNT_RECORD_LEN + 2, before + FCNT_RECORD_LEN + 2, 44);
    assert_memory_equal(f.nv + FCNT_RECORD_LEN + 50, before + FCNT_RECORD_LEN + 50, 12);
}

static void test_sensing_command_sets_the_wake_line(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct hal_ops ops;
    struct node_config cfg;
    struct proto_cmd c = sensing(11, PROTO_CMD_SENSE_WAKE, 10000, 0);

    (void)state;
    fake_init(&f, &h);
    ops = *h.ops;
    ops.wake_pending = no_wake;
    ops.wake_config = wake_cfg;
    h.ops = &ops;
    config(&cfg);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10100);
    c.u.sensing.wake_level_q15 = 1638;
    c.u.sensing.margin_db = 15;
    wake_calls = 0;
    assert_int_equal(deliver_cmd(&f, 0, &c), PROTO_CMD_APPLIED);
    assert_int_equal(wake_calls, 1);
    assert_int_equal(wake_level, 1638);
    assert_int_equal(wake_margin, 15);
    assert_int_equal(node.cfg.sense.mode, SENSING_WAKE);
    assert_int_equal(node.cfg.sense.wake_margin_db, 15);
    assert_false(node.sensing.on); /* off until the line fires */
    /* After a reboot the board's comparator is set again from the stored schedule. */
    wake_calls = 0;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    assert_int_equal(wake_calls, 1);
    assert_int_equal(wake_margin, 15);
    assert_int_equal(node.cfg.sense.mode, SENSING_WAKE);
}

/* A settings record of version 1 (54 bytes, before the sensing schedule) still loads. */
static void test_settings_record_version_1(void **state)
{
    struct node_settings s;
    struct node_settings back;
    uint8_t rec[80];
    uint32_t crc;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.duty_permille = 500;
    s.dr = 3;
    s.sense_mode = 2;
    s.listen_ms = 6000;
    assert_int_equal(node_settings_encode(&s, rec, sizeof(rec)), 66);
    assert_int_equal(node_settings_decode(rec, 66, &back), NODE_DL_OK);
    assert_int_equal(back.sense_mode, 2);
    assert_int_equal(back.listen_ms, 6000);
    rec[1] = 1;
    crc = proto_crc32(0, rec, 50);
    rec[50] = (uint8_t)crc;
    rec[51] = (uint8_t)(crc >> 8);
    rec[52] = (uint8_t)(crc >> 16);
    rec[53] = (uint8_t)(crc >> 24);
    assert_int_equal(node_settings_decode(rec, 54, &back), NODE_DL_OK);
    assert_int_equal(back.duty_permille, 500);
    assert_int_equal(back.dr, 3);
    assert_int_equal(back.sense_mode, 0); /* the provisioned schedule */
    assert_int_equal(node_settings_decode(rec, 66, &back), NODE_DL_EMALFORMED);
    rec[1] = 2;
    assert_int_equal(node_settings_decode(rec, 54, &back), NODE_DL_EMALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sensing_command_applied_and_persisted),
        cmocka_unit_test(test_sensing_command_refused_whole),
        cmocka_unit_test(test_sensing_command_sets_the_wake_line),
        cmocka_unit_test(test_settings_record_version_1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
