/* SPDX-License-Identifier: MIT
 * The node's side of a downlink (nodefw/app/downlink.c): frames built by lora-packet
 * (tests/vectors) and by proto_frame_build_down() are accepted, their command applied,
 * stored behind the frame counter and answered; a bad MIC, an old FCntDown, another DevAddr,
 * a truncated command and an uplink are dropped, counted and change nothing; a command seen
 * twice is applied once and answered twice; the settings survive a reboot, and so does the
 * counter check; a storage failure applies nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/downlink.h"
#include "node_fake_hal.h"
#include "proto/frame.h"
#include "../vectors/lorawan_down_vectors.h"

#define DEV 0x26011F00u

static const uint8_t NK[16] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                               0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t AK[16] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                               0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};

struct rig {
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    struct node_dl d;
};

static void boot(struct rig *r)
{
    assert_int_equal(fcnt_init(&r->c, &r->h, 16), FCNT_OK);
    node_dl_init(&r->d, DEV, NK, AK, &r->c);
}

/* A downlink of DEV with FCntDown @fcnt, ACK as given, and @cmd (NULL: none) on FPort 10. */
static size_t down(uint8_t *buf, uint32_t fcnt, bool ack, const uint8_t *cmd, size_t len,
                   uint32_t devaddr)
{
    struct proto_downlink dn;
    int n;

    memset(&dn, 0, sizeof(dn));
    dn.devaddr = devaddr;
    dn.fcnt = fcnt;
    dn.fctrl_flags = ack ? PROTO_FCTRL_ACK : 0;
    dn.has_fport = cmd != NULL;
    dn.fport = PROTO_CMD_PORT;
    dn.payload = cmd;
    dn.payload_len = len;
    n = proto_frame_build_down(&dn, NK, AK, buf, 64);
    assert_true(n > 0);
    return (size_t)n;
}

static void test_node_dl_lora_packet_vectors(void **state)
{
    struct rig r;
    uint8_t ans[PROTO_CMD_ANSWER_MAX_LEN];

    (void)state;
    fake_init(&r.f, &r.h);
    boot(&r);
    /* The bare ACK (FCntDown 0), then ACK + health-now seq 5 (FCntDown 1). */
    assert_int_equal(
        node_dl_receive(&r.d, lorawan_down_vectors[0].phy, lorawan_down_vectors[0].phy_len),
        NODE_DL_OK);
    assert_true(r.d.ack);
    assert_int_equal(r.d.answer_count, 0);
    assert_int_equal(
        node_dl_receive(&r.d, lorawan_down_vectors[1].phy, lorawan_down_vectors[1].phy_len),
        NODE_DL_OK);
    assert_int_equal(r.d.actions, NODE_DL_DO_HEALTH);
    assert_int_equal(node_dl_answers(&r.d, ans, sizeof(ans)), 5);
    assert_memory_equal(ans, ((uint8_t[]){0x21, 0x05, 0x00, 0x06, 0x00}), 5);
    node_dl_answered(&r.d);
    assert_int_equal(node_dl_answers(&r.d, ans, sizeof(ans)), 0);
    assert_int_equal(r.d.stats.accepted, 2);
    assert_int_equal(r.d.stats.acks, 2);
    assert_int_equal(r.d.stats.applied, 1);
}

static void test_node_dl_drops(void **state)
{
    static const uint8_t thr[] = {0x01, 0x07, 0x00, 0x03, 0x01, 0xCC};
    struct rig r;
    uint8_t buf[64];
    size_t n;
    int writes;

    (void)state;
    fake_init(&r.f, &r.h);
    boot(&r);
    n = down(buf, 10, false, thr, sizeof(thr), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    assert_int_equal(r.d.settings.min_conf[1], 0xCC);
    assert_int_equal(r.d.settings.last_fcnt_down, 10);
    writes = r.f.nv_writes;

    /* Each of these changes nothing but its counter. */
    n = down(buf, 11, false, thr, sizeof(thr), DEV);
    buf[n - 1] ^= 1u;
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EMIC);
    n = down(buf, 10, true, NULL, 0, DEV); /* replay of counter 10 */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EOLD);
    n = down(buf, 9, true, NULL, 0, DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EOLD);
    n = down(buf, 11, true, NULL, 0, 0x26011F01u);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EDEVADDR);
    n = down(buf, 11, false, thr, 3, DEV); /* no whole header */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_ETRUNCATED);
    n = down(buf, 12, false, (const uint8_t[]){0x02, 0x07, 0x00, 0x06}, 4, DEV); /* version 2 */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_ETRUNCATED);
    assert_int_equal(node_dl_receive(&r.d, buf, 5), NODE_DL_EMALFORMED);
    buf[0] = PROTO_MHDR_UNCONFIRMED_UP; /* an uplink is not for us */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EMALFORMED);
    assert_int_equal(r.d.stats.bad_mic, 1);
    assert_int_equal(r.d.stats.old_fcnt, 2);
    assert_int_equal(r.d.stats.devaddr, 1);
    assert_int_equal(r.d.stats.truncated, 2);
    assert_int_equal(r.d.stats.malformed, 2);
    assert_int_equal(r.d.stats.accepted, 1);
    assert_int_equal(r.d.answer_count, 1);
    assert_int_equal(r.f.nv_writes, writes);
    assert_int_equal(r.d.settings.last_fcnt_down, 10);
}

static void test_node_dl_refusals_and_repeats(void **state)
{
    static const uint8_t bad_value[] = {0x01, 0x08, 0x00, 0x01, 0x0A, 0x00, 0x00, 0x00};
    static const uint8_t unknown[] = {0x01, 0x09, 0x00, 0x09};
    static const uint8_t interval[] = {0x01, 0x0A, 0x00, 0x01, 0x84, 0x03, 0x00, 0x00};
    struct rig r;
    uint8_t buf[64];
    uint8_t ans[PROTO_CMD_ANSWER_MAX_LEN];
    size_t n;

    (void)state;
    fake_init(&r.f, &r.h);
    boot(&r);
    n = down(buf, 1, false, bad_value, sizeof(bad_value), DEV); /* interval 10 s */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    n = down(buf, 2, false, unknown, sizeof(unknown), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    n = down(buf, 3, false, interval, sizeof(interval), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    /* The gateway did not hear the answer and sends it again: answered, applied once. */
    r.d.settings.interval_s = 1; /* a change it would undo if it applied again */
    n = down(buf, 4, false, interval, sizeof(interval), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    assert_int_equal(r.d.settings.interval_s, 1);
    assert_int_equal(node_dl_answers(&r.d, ans, sizeof(ans)), 17);
    assert_memory_equal(ans,
                        ((uint8_t[]){0x24, 0x08, 0x00, 0x01, 0x02, 0x09, 0x00, 0x09, 0x01, 0x0A,
                                     0x00, 0x01, 0x00, 0x0A, 0x00, 0x01, 0x00}),
                        17);
    assert_int_equal(r.d.stats.refused, 2);
    assert_int_equal(r.d.stats.applied, 1);
    assert_int_equal(r.d.stats.repeated, 1);
}

static void test_node_dl_settings_survive_reboot(void **state)
{
    static const uint8_t duty[] = {0x01, 0x01, 0x00, 0x04, 0xF4, 0x01, 0x05};
    struct rig r;
    uint8_t buf[64];
    uint32_t v;
    size_t n;

    (void)state;
    fake_init(&r.f, &r.h);
    boot(&r);
    assert_int_equal(fcnt_take(&r.c, &v), FCNT_OK);
    n = down(buf, 100, false, duty, sizeof(duty), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    /* More uplinks: the counter's writes keep the settings behind them. */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(fcnt_take(&r.c, &v), FCNT_OK);
    }
    boot(&r);
    assert_int_equal(r.d.settings.duty_permille, 500);
    assert_int_equal(r.d.settings.dr, 6);
    assert_int_equal(r.d.settings.last_fcnt_down, 100);
    assert_int_equal(fcnt_take(&r.c, &v), FCNT_OK);
    assert_true(v >= 41);
    /* The old command replayed after the reboot: refused by its counter. */
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EOLD);
    /* A damaged settings record: defaults, the counter still loads. */
    r.f.nv[r.f.nv_len - 1] ^= 1u;
    boot(&r);
    assert_int_equal(r.d.settings.duty_permille, 0);
    assert_false(r.d.settings.has_fcnt_down);
}

static void test_node_dl_storage_failure_applies_nothing(void **state)
{
    static const uint8_t interval[] = {0x01, 0x0A, 0x00, 0x01, 0x84, 0x03, 0x00, 0x00};
    struct rig r;
    uint8_t buf[64];
    size_t n;

    (void)state;
    fake_init(&r.f, &r.h);
    boot(&r);
    r.f.nv_fail = 1;
    n = down(buf, 1, false, interval, sizeof(interval), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_EIO);
    assert_int_equal(r.d.settings.interval_s, 0);
    assert_int_equal(r.d.answer_count, 0);
    assert_int_equal(r.d.actions, 0);
    assert_int_equal(r.d.stats.io, 1);
    /* Storage back: the gateway's retry is applied. */
    r.f.nv_fail = 0;
    n = down(buf, 2, false, interval, sizeof(interval), DEV);
    assert_int_equal(node_dl_receive(&r.d, buf, n), NODE_DL_OK);
    assert_int_equal(r.d.settings.interval_s, 900);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_dl_lora_packet_vectors),
        cmocka_unit_test(test_node_dl_drops),
        cmocka_unit_test(test_node_dl_refusals_and_repeats),
        cmocka_unit_test(test_node_dl_settings_survive_reboot),
        cmocka_unit_test(test_node_dl_storage_failure_applies_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
