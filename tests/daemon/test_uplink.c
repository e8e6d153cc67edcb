/* SPDX-License-Identifier: MIT
 * The shared frame check against a real SQLite file: every refusal reason, that a refusal
 * changes nothing but its counter, the counter window across the 16-bit wrap, and raw
 * storage of messages we do not know.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/cmac.h"
#include "proto/frame.h"
#include "store/store.h"
#include "ingest/uplink.h"

#define DEVADDR 0x26011F00u

static const uint8_t nwkskey[16] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                                    0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t appskey[16] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                                    0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};
/* One elephant detection: hdr v1 n=1, class 1, p=0.8, age 300 s, 5 s, 18 dB. */
static const uint8_t detection[] = {0x21, 0x01, 0xCC, 0x2C, 0x01, 0x05, 0x12};

struct fixture {
    char path[64];
    struct store *store;
    struct store_rx rx;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct store_node n;
    char err[256];
    int fd;

    assert_non_null(fx);
    strcpy(fx->path, "/tmp/test_uplink_XXXXXX");
    fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(fx->path);
    assert_int_equal(store_open(fx->path, 1, &fx->store, err, sizeof(err)), 0);

    memset(&n, 0, sizeof(n));
    n.devaddr = DEVADDR;
    memcpy(n.nwkskey, nwkskey, 16);
    memcpy(n.appskey, appskey, 16);
    n.battery_mv = -1;
    assert_int_equal(store_node_add(fx->store, &n), 0);

    fx->rx.bearer = STORE_BEARER_COAP;
    strcpy(fx->rx.gateway, "127.0.0.1:40000");
    fx->rx.time_ms = 1764100000000;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

/* Build a frame for the test node, or with @key replacing both session keys. */
static size_t frame(uint8_t *buf, uint32_t devaddr, uint32_t fcnt, bool has_fport, uint8_t fport,
                    const uint8_t *payload, size_t len, const uint8_t *key)
{
    struct proto_uplink up;
    int n;

    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.fcnt = fcnt;
    up.has_fport = has_fport;
    up.fport = fport;
    up.payload = payload;
    up.payload_len = len;
    n = proto_frame_build(&up, key != NULL ? key : nwkskey, key != NULL ? key : appskey, buf,
                          PROTO_FRAME_MAX_LEN);
    assert_true(n > 0);
    return (size_t)n;
}

static enum store_reason post_frame(struct fixture *fx, uint32_t fcnt, const uint8_t *payload,
                                    size_t len, struct uplink_result *res)
{
    uint8_t buf[PROTO_FRAME_MAX_LEN];
    size_t n = frame(buf, DEVADDR, fcnt, true, 1, payload, len, NULL);

    return uplink_process(fx->store, NULL, buf, n, &fx->rx, res);
}

static int count_event(const struct store_event *e, void *arg)
{
    (void)e;
    (*(int *)arg)++;
    return 0;
}

static int events(struct fixture *fx)
{
    struct store_event_filter f;
    int n = 0;

    memset(&f, 0, sizeof(f));
    f.class_id = -1;
    assert_int_equal(store_events_foreach(fx->store, &f, count_event, &n), 0);
    return n;
}

static uint64_t counted(struct fixture *fx, enum store_reason r)
{
    uint64_t c[STORE_BEARER_COUNT][STORE_REASON_COUNT];

    assert_int_equal(store_flush(fx->store), 0);
    assert_int_equal(store_stats(fx->store, c), 0);
    return c[STORE_BEARER_COAP][r];
}

static uint32_t last_fcnt(struct fixture *fx)
{
    struct store_node n;

    assert_int_equal(store_node_get(fx->store, DEVADDR, &n), 0);
    assert_true(n.has_fcnt);
    return n.last_fcnt;
}

static void test_uplink_process_accepts_and_stores(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;

    assert_int_equal(post_frame(fx, 0, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(res.devaddr, DEVADDR);
    assert_int_equal(res.fcnt, 0);
    assert_true(res.frame_id > 0);
    assert_int_equal(store_flush(fx->store), 0);
    assert_int_equal(events(fx), 1);
    assert_int_equal(last_fcnt(fx), 0);
    assert_int_equal(counted(fx, STORE_ACCEPTED), 1);
}

static void test_uplink_process_unknown_node(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    uint8_t buf[PROTO_FRAME_MAX_LEN];
    size_t n = frame(buf, 0x26011F01u, 0, true, 1, detection, sizeof(detection), NULL);

    assert_int_equal(uplink_process(fx->store, NULL, buf, n, &fx->rx, &res), STORE_UNKNOWN_NODE);
    assert_int_equal(events(fx), 0);
    assert_int_equal(counted(fx, STORE_UNKNOWN_NODE), 1);
}

static void test_uplink_process_bad_mic_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    const uint8_t wrong[16] = {1};
    uint8_t buf[PROTO_FRAME_MAX_LEN];
    size_t n = frame(buf, DEVADDR, 0, true, 1, detection, sizeof(detection), wrong);

    assert_int_equal(uplink_process(fx->store, NULL, buf, n, &fx->rx, &res), STORE_BAD_MIC);
    assert_int_equal(events(fx), 0);
    assert_int_equal(counted(fx, STORE_BAD_MIC), 1);
    /* The node's counter did not move: counter 0 is still free for the real node. */
    assert_int_equal(post_frame(fx, 0, detection, sizeof(detection), &res), STORE_ACCEPTED);
}

static void test_uplink_process_malformed(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    const uint8_t shorty[5] = {0x40, 0x00, 0x1F, 0x01, 0x26};

    assert_int_equal(uplink_process(fx->store, NULL, shorty, sizeof(shorty), &fx->rx, &res),
                     STORE_MALFORMED);
    assert_int_equal(res.detail, PROTO_ETOOSHORT);
    assert_int_equal(counted(fx, STORE_MALFORMED), 1);
}

/* The same frame again, and an older one: both replays, neither a bad MIC. */
static void test_uplink_process_replays(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;

    assert_int_equal(post_frame(fx, 10, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(post_frame(fx, 10, detection, sizeof(detection), &res), STORE_REPLAY);
    assert_int_equal(post_frame(fx, 5, detection, sizeof(detection), &res), STORE_REPLAY);
    assert_int_equal(res.fcnt, 5);
    assert_int_equal(
        post_frame(fx, 10 + PROTO_FCNT_MAX_GAP + 1, detection, sizeof(detection), &res),
        STORE_REPLAY);
    assert_int_equal(last_fcnt(fx), 10);
    assert_int_equal(events(fx), 1);
    assert_int_equal(counted(fx, STORE_REPLAY), 3);
    assert_int_equal(post_frame(fx, 10 + PROTO_FCNT_MAX_GAP, detection, sizeof(detection), &res),
                     STORE_ACCEPTED);
}

/* The node's counter passes 65535: the gateway follows it into the next block. */
static void test_uplink_process_counter_wraps_16_bits(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;

    assert_int_equal(post_frame(fx, 65534, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(post_frame(fx, 65535, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(post_frame(fx, 65536, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(res.fcnt, 65536);
    assert_int_equal(post_frame(fx, 65540, detection, sizeof(detection), &res), STORE_ACCEPTED);
    assert_int_equal(last_fcnt(fx), 65540);
}

static void test_uplink_process_bad_payload_refused(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    const uint8_t count0[7] = {0x20, 1, 2, 3, 4, 5, 6}; /* version 1, n = 0 */

    assert_int_equal(post_frame(fx, 0, count0, sizeof(count0), &res), STORE_BAD_PAYLOAD);
    assert_int_equal(res.detail, PROTO_ECOUNT);
    assert_int_equal(events(fx), 0);
    assert_int_equal(counted(fx, STORE_BAD_PAYLOAD), 1);
    assert_int_equal(post_frame(fx, 0, detection, sizeof(detection), &res), STORE_ACCEPTED);
}

/* FPort 9 and a health message of a version this gateway does not know (3; version 2 is the
 * learning node's) are kept raw; a frame without FPort is accepted too. */
static void test_uplink_process_unknown_kinds_stored_raw(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    uint8_t buf[PROTO_FRAME_MAX_LEN];
    const uint8_t v3[16] = {0x03};
    size_t n;

    n = frame(buf, DEVADDR, 1, true, 9, detection, sizeof(detection), NULL);
    assert_int_equal(uplink_process(fx->store, NULL, buf, n, &fx->rx, &res), STORE_ACCEPTED);
    n = frame(buf, DEVADDR, 2, true, 2, v3, sizeof(v3), NULL);
    assert_int_equal(uplink_process(fx->store, NULL, buf, n, &fx->rx, &res), STORE_ACCEPTED);
    n = frame(buf, DEVADDR, 3, false, 0, NULL, 0, NULL);
    assert_int_equal(uplink_process(fx->store, NULL, buf, n, &fx->rx, &res), STORE_ACCEPTED);
    assert_int_equal(store_flush(fx->store), 0);
    assert_int_equal(events(fx), 3);
    assert_int_equal(last_fcnt(fx), 3);
}

/* Signs @len bytes of a frame at @phy with the node's NwkSKey: B0 (LoRaWAN 1.0.3 section 4.4:
 * 0x49, 4 zero bytes, Dir 0 = up, DevAddr and FCnt little-endian, 0, the message length),
 * then the first 4 bytes of the CMAC appended. Written here rather than taken from
 * proto_frame_build(), which refuses to make the frame this is for. */
static size_t sign(uint8_t *phy, size_t len, uint32_t fcnt)
{
    uint8_t msg[16 + PROTO_FRAME_MAX_LEN];
    uint8_t tag[PROTO_AES_BLOCK];

    memset(msg, 0, 16);
    msg[0] = 0x49;
    msg[6] = (uint8_t)DEVADDR;
    msg[7] = (uint8_t)(DEVADDR >> 8);
    msg[8] = (uint8_t)(DEVADDR >> 16);
    msg[9] = (uint8_t)(DEVADDR >> 24);
    msg[10] = (uint8_t)fcnt;
    msg[11] = (uint8_t)(fcnt >> 8);
    msg[12] = (uint8_t)(fcnt >> 16);
    msg[13] = (uint8_t)(fcnt >> 24);
    msg[15] = (uint8_t)len;
    memcpy(msg + 16, phy, len);
    proto_cmac(nwkskey, msg, 16 + len, tag);
    memcpy(phy + len, tag, PROTO_FRAME_MIC_LEN);
    return len + PROTO_FRAME_MIC_LEN;
}

/* MAC commands in FOpts and an FPort 0 payload together: LoRaWAN 1.0.3 section 4.3.1.6 says
 * to ignore the frame. Refused as malformed even with a good MIC, nothing stored, the counter
 * still free; the same commands in FOpts with an application port are accepted. */
static void test_uplink_process_fopts_with_fport0(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;
    struct store_node node;
    uint8_t phy[PROTO_FRAME_MAX_LEN] = {
        0x40,                   /* MHDR: unconfirmed data up */
        0x00, 0x1F, 0x01, 0x26, /* DevAddr 0x26011F00 */
        0x01,                   /* FCtrl: FOptsLen 1 */
        0x01, 0x00,             /* FCnt 1 */
        0x02,                   /* FOpts: LinkCheckReq */
        0x00,                   /* FPort 0 */
        0x5A, 0x3C,             /* FRMPayload: MAC commands, encrypted (not decrypted here) */
    };
    size_t n = sign(phy, 12, 1);

    assert_int_equal(uplink_process(fx->store, NULL, phy, n, &fx->rx, &res), STORE_MALFORMED);
    assert_int_equal(res.detail, PROTO_EFOPTS);
    assert_int_equal(events(fx), 0);
    assert_int_equal(counted(fx, STORE_MALFORMED), 1);
    assert_int_equal(counted(fx, STORE_ACCEPTED), 0);
    assert_int_equal(store_node_get(fx->store, DEVADDR, &node), 0);
    assert_false(node.has_fcnt);

    phy[9] = 0x09; /* FPort 9: stored raw, FOpts and all */
    n = sign(phy, 12, 1);
    assert_int_equal(uplink_process(fx->store, NULL, phy, n, &fx->rx, &res), STORE_ACCEPTED);
    assert_int_equal(store_flush(fx->store), 0);
    assert_int_equal(events(fx), 1);
    assert_int_equal(last_fcnt(fx), 1);
}

/* Many frames in one batch: each sees the counter its predecessor left, uncommitted. */
static void test_uplink_process_one_batch(void **state)
{
    struct fixture *fx = *state;
    struct uplink_result res;

    for (uint32_t i = 0; i < 100; i++) {
        assert_int_equal(post_frame(fx, i, detection, sizeof(detection), &res), STORE_ACCEPTED);
    }
    assert_int_equal(post_frame(fx, 99, detection, sizeof(detection), &res), STORE_REPLAY);
    assert_true(store_pending(fx->store));
    assert_int_equal(store_flush(fx->store), 0);
    assert_int_equal(events(fx), 100);
    assert_int_equal(counted(fx, STORE_ACCEPTED), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uplink_process_accepts_and_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_unknown_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_bad_mic_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_replays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_counter_wraps_16_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_bad_payload_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_unknown_kinds_stored_raw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uplink_process_fopts_with_fport0, setup, teardown),
    };
    return cmocka_run_group_tests_name("uplink", tests, NULL, NULL);
}
