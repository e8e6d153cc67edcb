/* SPDX-License-Identifier: MIT
 * An OTAA node joins (nodefw/app/node_join.c) on the fake HAL, checked against lora-packet
 * (tests/vectors/lorawan_join_vectors.h, an implementation we did not write): its JoinRequest
 * is lora-packet's byte for byte, goes out with the join windows (5 s), and lora-packet's
 * JoinAccept gives it the DevAddr and the session keys lora-packet derives; its first frame
 * counts from 0 under them. The session and the DevNonce survive a reboot, a DevNonce is
 * never sent twice (also after a bad JoinAccept, and none goes out when it cannot be
 * stored), a node that heard nothing for rejoin_after uplinks joins again and keeps its
 * session while no answer comes, and over CoAP the JoinAccept comes in the 2.04.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/join.h"
#include "nodefw/node.h"
#include "proto/frame.h"
#include "proto/join.h"
#include "node_fake_hal.h"
#include "vectors/lorawan_join_vectors.h"

static struct node node;
static const struct lorawan_join_vector *v = &lorawan_join_vectors[0]; /* "plain" */

static int rx_calls;
static size_t rx_len;
static uint8_t rx_buf[64];
static uint8_t last_rx1_delay;

/* The receive windows: nothing for two polls, then the downlink queued (or none). */
static int windows(void *ctx, uint8_t *buf, size_t cap)
{
    size_t n;

    (void)ctx;
    if (++rx_calls < 3) {
        return 0;
    }
    rx_calls = 0;
    if (rx_len == 0u || rx_len > cap) {
        return HAL_ETIMEDOUT;
    }
    memcpy(buf, rx_buf, rx_len);
    n = rx_len;
    rx_len = 0;
    return (int)n;
}

static int radio_send(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy, size_t len)
{
    last_rx1_delay = tx->rx1_delay_s;
    return fake_radio_send(ctx, tx, phy, len);
}

static struct hal_ops ops;

static void setup_hal(struct fake_hal *f, struct hal *h)
{
    fake_init(f, h);
    ops = *h->ops;
    ops.radio_recv = windows;
    ops.radio_send = radio_send;
    h->ops = &ops;
    rx_calls = 0;
    rx_len = 0;
}

static void config(struct node_config *cfg, enum bearer_kind b)
{
    node_default_config(cfg, DSP_PROFILE_ELEPHANT, b);
    cfg->otaa = true;
    cfg->deveui = v->deveui;
    cfg->joineui = v->joineui;
    memcpy(cfg->appkey, v->appkey, 16);
    cfg->agg.health_period_ms = 10000;
}

/* The storage as a node that used DevNonces below @next would have it. */
static void preload(const struct hal *h, uint16_t next)
{
    struct node_join_session s;
    struct fcnt fc;
    uint8_t rec[NODE_JOIN_SESSION_LEN];

    memset(&s, 0, sizeof(s));
    s.devnonce_next = next;
    assert_int_equal(fcnt_init(&fc, h, 64), FCNT_OK);
    assert_int_equal(node_join_session_encode(&s, rec, sizeof(rec)), NODE_JOIN_SESSION_LEN);
    assert_int_equal(fcnt_set_session(&fc, rec, sizeof(rec)), FCNT_OK);
}

static void steps(int k)
{
    for (int i = 0; i < k; i++) {
        (void)node_step(&node);
    }
}

static uint16_t devnonce_of(const struct fake_sent *s)
{
    struct proto_join_request jr;

    assert_int_equal(proto_join_request_parse(s->buf, s->len, &jr), PROTO_OK);
    assert_int_equal(proto_join_request_verify(s->buf, s->len, v->appkey), PROTO_OK);
    return jr.devnonce;
}

static void test_node_join_session_record(void **state)
{
    struct node_join_session s;
    struct node_join_session back;
    uint8_t rec[NODE_JOIN_SESSION_LEN];

    (void)state;
    memset(&s, 0, sizeof(s));
    s.joined = true;
    s.devnonce_next = 0x1234;
    s.devaddr = v->devaddr;
    memcpy(s.nwkskey, v->nwkskey, 16);
    memcpy(s.appskey, v->appskey, 16);
    assert_int_equal(node_join_session_encode(&s, rec, sizeof(rec) - 1), NODE_JOIN_ENOSPC);
    assert_int_equal(node_join_session_encode(&s, rec, sizeof(rec)), NODE_JOIN_SESSION_LEN);
    assert_int_equal(rec[0], 'J');
    assert_int_equal(rec[3], 0x34); /* DevNonce next, LE */
    assert_int_equal(node_join_session_decode(rec, sizeof(rec), &back), NODE_JOIN_OK);
    assert_true(back.joined);
    assert_int_equal(back.devnonce_next, 0x1234);
    assert_int_equal(back.devaddr, v->devaddr);
    assert_memory_equal(back.appskey, v->appskey, 16);
    for (unsigned bit = 0; bit < NODE_JOIN_SESSION_LEN * 8u; bit++) {
        uint8_t bad[NODE_JOIN_SESSION_LEN];

        memcpy(bad, rec, sizeof(bad));
        bad[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        assert_int_equal(node_join_session_decode(bad, sizeof(bad), &back), NODE_JOIN_ECORRUPT);
    }
    assert_int_equal(node_join_session_decode(rec, sizeof(rec) - 1, &back), NODE_JOIN_ECORRUPT);
}

static void test_node_join_lora_with_lora_packet(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_frame fr;
    uint8_t nwk[16];

    (void)state;
    setup_hal(&f, &h);
    preload(&h, v->devnonce);
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    f.now_ms = 100;
    steps(1);
    assert_int_equal(f.nsent, 1);
    assert_int_equal(f.sent[0].len, sizeof(v->request));
    assert_memory_equal(f.sent[0].buf, v->request, sizeof(v->request)); /* lora-packet's */
    assert_int_equal(last_rx1_delay, NODE_JOIN_ACCEPT_DELAY1_S);
    assert_true(bearer_busy(&node.bearer));
    /* Nothing else goes while the join windows are open, health due or not. */
    f.now_ms = 20000;
    memcpy(rx_buf, v->accept, v->accept_len);
    rx_len = v->accept_len;
    steps(3);
    assert_int_equal(node.join.stats.accepts, 1);
    assert_true(node.join.sess.joined);
    assert_int_equal(node.cfg.devaddr, v->devaddr);
    assert_memory_equal(node.cfg.nwkskey, v->nwkskey, 16); /* as lora-packet derives them */
    assert_memory_equal(node.cfg.appskey, v->appskey, 16);
    assert_int_equal(f.nsent, 1);
    /* The first frame of the session: the DevAddr, counter 0, the MIC under the new key,
     * with the ordinary windows (1 s). */
    steps(3);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(last_rx1_delay, 0);
    assert_int_equal(proto_frame_parse(f.sent[1].buf, f.sent[1].len, &fr), PROTO_OK);
    assert_int_equal(fr.devaddr, v->devaddr);
    assert_int_equal(fr.fcnt16, 0);
    assert_int_equal(proto_frame_verify(&fr, v->nwkskey, 0), PROTO_OK);

    /* A reboot: the session is the stored one, no JoinRequest; DevNonce next is 2. */
    memcpy(nwk, node.cfg.nwkskey, 16);
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    assert_true(node.join.sess.joined);
    assert_int_equal(node.join.sess.devnonce_next, v->devnonce + 1u);
    assert_int_equal(node.cfg.devaddr, v->devaddr);
    assert_memory_equal(node.cfg.nwkskey, nwk, 16);
    f.now_ms = 40000;
    steps(3);
    assert_int_equal(f.nsent, 3);
    assert_int_equal(proto_frame_parse(f.sent[2].buf, f.sent[2].len, &fr), PROTO_OK);
    assert_int_equal(fr.devaddr, v->devaddr);
    assert_true(fr.fcnt16 >= 1u); /* counters continue, none reused */
}

/* No JoinAccept, a bad one, a storage failure: a DevNonce is never sent twice. */
static void test_node_join_devnonce_never_reused(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;

    (void)state;
    setup_hal(&f, &h);
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    f.now_ms = 100;
    steps(4); /* the windows close empty */
    assert_int_equal(f.nsent, 1);
    assert_int_equal(devnonce_of(&f.sent[0]), 0);
    assert_int_equal(node.join.stats.no_answer, 1);
    assert_false(node.join.sess.joined);
    /* Back-off: nothing for 15 s, then DevNonce 1 with a JoinAccept that fails its MIC. */
    f.now_ms = 10000;
    steps(3);
    assert_int_equal(f.nsent, 1);
    f.now_ms = 16000;
    memcpy(rx_buf, v->accept, v->accept_len);
    rx_buf[5] ^= 1u;
    rx_len = v->accept_len;
    steps(4);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(devnonce_of(&f.sent[1]), 1);
    assert_int_equal(node.join.stats.bad_accept, 1);
    assert_false(node.join.sess.joined);
    assert_int_equal(node.cfg.devaddr, 0);
    /* A reboot, and storage that fails: nothing is sent. */
    config(&cfg, BEARER_LORA);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    assert_int_equal(node.join.sess.devnonce_next, 2);
    f.nv_fail = 1;
    f.now_ms = 20000;
    steps(3);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(node.join.stats.io, 1);
    f.nv_fail = 0;
    f.now_ms = 40000;
    steps(3);
    assert_int_equal(f.nsent, 3);
    assert_int_equal(devnonce_of(&f.sent[2]), 2);
}

/* Heard nothing for rejoin_after uplinks: a JoinRequest; without an answer the session
 * stays in use; a downlink (an ACK) resets the count. */
static void test_node_join_rejoin_after_silence(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_frame fr;

    (void)state;
    setup_hal(&f, &h);
    preload(&h, v->devnonce);
    config(&cfg, BEARER_LORA);
    cfg.rejoin_after = 2;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    f.now_ms = 100;
    memcpy(rx_buf, v->accept, v->accept_len);
    rx_len = v->accept_len;
    steps(4);
    assert_true(node.join.sess.joined);
    for (uint64_t t = 10000; t <= 20000; t += 10000) { /* two health frames, windows empty */
        f.now_ms = t;
        steps(4);
    }
    assert_int_equal(f.nsent, 3);
    assert_int_equal(node.stats.frames, 2);
    f.now_ms = 20500;
    steps(1);
    assert_int_equal(f.nsent, 4);
    assert_int_equal(devnonce_of(&f.sent[3]), v->devnonce + 1u);
    assert_int_equal(node.join.stats.rejoins, 1);
    steps(3); /* no answer */
    assert_int_equal(node.join.stats.no_answer, 1);
    f.now_ms = 30000;
    steps(4);
    assert_int_equal(f.nsent, 5);
    assert_int_equal(proto_frame_parse(f.sent[4].buf, f.sent[4].len, &fr), PROTO_OK);
    assert_int_equal(fr.devaddr, v->devaddr); /* the old session goes on */
    assert_int_equal(proto_frame_verify(&fr, v->nwkskey, fr.fcnt16), PROTO_OK);
}

/* A 2.04 piggybacked on the ACK of request @req, carrying @pl (Content-Format 42). */
static void reply_204(struct fake_hal *f, const struct fake_sent *req, const uint8_t *pl,
                      size_t len)
{
    uint8_t m[96];

    m[0] = 0x64; /* ACK, TKL 4 */
    m[1] = 0x44; /* 2.04 */
    memcpy(m + 2, req->buf + 2, 6);
    m[8] = 0xC1; /* Content-Format (12), 1 byte */
    m[9] = 42;
    m[10] = 0xFF;
    memcpy(m + 11, pl, len);
    fake_deliver(f, m, 11 + len);
}

static void test_node_join_over_coap(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    struct proto_frame fr;

    (void)state;
    setup_hal(&f, &h);
    preload(&h, v->devnonce);
    config(&cfg, BEARER_COAP);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    f.now_ms = 100;
    steps(1);
    assert_int_equal(f.nsent, 1);
    /* CoAP header (4), token (4), Uri-Path "up" (3), Content-Format (2), marker: 14. */
    assert_int_equal(f.sent[0].len, 14u + sizeof(v->request));
    assert_memory_equal(f.sent[0].buf + 14, v->request, sizeof(v->request));
    reply_204(&f, &f.sent[0], v->accept, v->accept_len);
    f.now_ms = 200;
    steps(2);
    assert_true(node.join.sess.joined);
    assert_int_equal(node.cfg.devaddr, v->devaddr);
    f.now_ms = 10100;
    steps(2);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(proto_frame_parse(f.sent[1].buf + 14, f.sent[1].len - 14, &fr), PROTO_OK);
    assert_int_equal(fr.devaddr, v->devaddr);
    assert_int_equal(proto_frame_verify(&fr, v->nwkskey, 0), PROTO_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_join_session_record),
        cmocka_unit_test(test_node_join_lora_with_lora_packet),
        cmocka_unit_test(test_node_join_devnonce_never_reused),
        cmocka_unit_test(test_node_join_rejoin_after_silence),
        cmocka_unit_test(test_node_join_over_coap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
