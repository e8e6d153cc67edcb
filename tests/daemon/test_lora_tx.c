/* SPDX-License-Identifier: MIT
 * The downlink scheduler for packet forwarders (daemon/ingest/lora_tx.c) on a real loop and
 * a temp SQLite file, the forwarder replaced by a callback that keeps each PULL_RESP: a
 * confirmed uplink gets one PULL_RESP for RX1 (tmst + 1 s, wrapping), only after its batch
 * and the downlink's batch were committed and made durable; a TX_ACK error moves the same
 * bytes to RX2; an uplink handed over too late gets RX2 or nothing; an unconfirmed uplink
 * with nothing queued gets nothing; a forwarder without a route is counted; and the 1 %
 * sub-band of RX1 runs out after 36 s of SF12 airtime, after which RX2 (10 %) takes over;
 * with [lora] adr on, an unconfirmed uplink's SNR reaches ADR and the data rate change it
 * queues leaves in that uplink's own RX1.
 */
#include "store_fixture.h"

#include <uv.h>
#include <cjson/cJSON.h>

#include "ingest/adr.h"
#include "ingest/lora_tx.h"

struct sent {
    int n;
    int route; /* 0: the callback answers -ENOENT */
    uint16_t token[64];
    uint32_t tmst[64];
    double freq[64];
    char data[64][64];
};

static int on_send(void *arg, const uint8_t eui[PFWD_EUI_LEN], const uint8_t *buf, size_t len)
{
    struct sent *s = arg;
    cJSON *root;
    const cJSON *t;

    (void)eui;
    if (!s->route) {
        return -ENOENT;
    }
    assert_true(len > 4 && buf[0] == 2 && buf[3] == PFWD_PULL_RESP);
    root = cJSON_ParseWithLength((const char *)buf + 4, len - 4);
    t = cJSON_GetObjectItemCaseSensitive(root, "txpk");
    assert_non_null(t);
    if (s->n < 64) {
        s->token[s->n] = (uint16_t)(buf[1] << 8 | buf[2]);
        s->tmst[s->n] = (uint32_t)cJSON_GetObjectItemCaseSensitive(t, "tmst")->valuedouble;
        s->freq[s->n] = cJSON_GetObjectItemCaseSensitive(t, "freq")->valuedouble;
        (void)snprintf(s->data[s->n], sizeof(s->data[0]), "%s",
                       cJSON_GetObjectItemCaseSensitive(t, "data")->valuestring);
    }
    s->n++;
    cJSON_Delete(root);
    return 0;
}

struct rig {
    uv_loop_t loop;
    struct lora_tx *tx;
    struct sent sent;
    uint64_t gen;
};

static const uint8_t EUI[PFWD_EUI_LEN] = {0xAA, 0x55, 0x5A, 0, 0, 0, 0, 1};

static void rig_open(struct fixture *fx, struct rig *r)
{
    memset(r, 0, sizeof(*r));
    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    r->sent.route = 1;
    assert_int_equal(uv_loop_init(&r->loop), 0);
    assert_int_equal(
        lora_tx_new(&r->loop, fx->s, NULL, region_find("EU868"), 0, on_send, &r->sent, &r->tx), 0);
}

static void rig_close(struct rig *r)
{
    lora_tx_close(r->tx);
    assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&r->loop), 0);
}

/* What the daemon's check handle does: commit, tell the scheduler, then durability. */
static void commit(struct fixture *fx, struct rig *r)
{
    assert_int_equal(store_flush(fx->s), 0);
    r->gen++;
    lora_tx_committed(r->tx, 0, r->gen);
    lora_tx_durable(r->tx, r->gen);
}

/* One uplink arriving @age_ms ago (loop time), planned, committed and sent. */
static void up_one(struct fixture *fx, struct rig *r, bool confirmed, uint32_t tmst,
                   const char *datr, uint64_t age_ms)
{
    struct lora_tx_up up;
    const int before = r->sent.n;
    const int64_t fcd = sql_int(fx->path, "SELECT fcnt_down FROM nodes");

    memset(&up, 0, sizeof(up));
    up.devaddr = DEV_A;
    up.confirmed = confirmed;
    up.frame_id = 1;
    up.tmst = tmst;
    up.freq_hz = 868100000u;
    (void)snprintf(up.datr, sizeof(up.datr), "%s", datr);
    memcpy(up.eui, EUI, sizeof(EUI));
    uv_update_time(&r->loop);
    lora_tx_uplink(r->tx, &up, uv_now(&r->loop) - age_ms);
    (void)uv_run(&r->loop, UV_RUN_NOWAIT); /* not before the uplink's batch commits */
    assert_int_equal(sql_int(fx->path, "SELECT fcnt_down FROM nodes"), fcd);
    commit(fx, r);                         /* the uplink's batch */
    (void)uv_run(&r->loop, UV_RUN_NOWAIT); /* the timer: planned in a new batch */
    assert_int_equal(r->sent.n, before);   /* nothing leaves before that batch is durable */
    commit(fx, r);                         /* that batch: sent once durable */
}

static int64_t dl_count(struct fixture *fx, const char *name)
{
    uint64_t c[STORE_DL_COUNT];

    assert_int_equal(store_downlink_stats(fx->s, c), 0);
    for (int i = 0; i < STORE_DL_COUNT; i++) {
        if (strcmp(store_dl_name((enum store_dl)i), name) == 0) {
            return (int64_t)c[i];
        }
    }
    return -1;
}

static void test_lora_tx_rx1_then_rx2_on_error(void **state)
{
    struct fixture *fx = *state;
    struct rig r;

    rig_open(fx, &r);
    up_one(fx, &r, true, 0xFFFFFFFFu - 499999u, "SF7BW125", 0);
    assert_int_equal(r.sent.n, 1);
    assert_int_equal(r.sent.tmst[0], 500000u); /* + 1 s, wrapped */
    assert_true(r.sent.freq[0] == 868.1);
    assert_int_equal(strlen(r.sent.data[0]), 16); /* a bare ACK: 12 bytes */
    assert_int_equal(sql_int(fx->path, "SELECT fcnt_down FROM nodes"), 1);
    /* TX_ACK from another forwarder, or with another token: not this one's. */
    lora_tx_tx_ack(r.tx, (const uint8_t[8]){0}, r.sent.token[0], PFWD_TXACK_TOO_LATE,
                   uv_now(&r.loop));
    lora_tx_tx_ack(r.tx, EUI, (uint16_t)(r.sent.token[0] + 1), PFWD_TXACK_TOO_LATE,
                   uv_now(&r.loop));
    assert_int_equal(r.sent.n, 1);
    /* The error: the same bytes again for RX2, + 2 s on 869.525 MHz. */
    lora_tx_tx_ack(r.tx, EUI, r.sent.token[0], PFWD_TXACK_COLLISION_PACKET, uv_now(&r.loop));
    assert_int_equal(r.sent.n, 2);
    assert_int_equal(r.sent.tmst[1], 1500000u);
    assert_true(r.sent.freq[1] == 869.525);
    assert_string_equal(r.sent.data[1], r.sent.data[0]);
    lora_tx_tx_ack(r.tx, EUI, r.sent.token[1], PFWD_TXACK_NONE, uv_now(&r.loop));
    /* An error for RX2 is only counted: the command (none here) waits for the next uplink. */
    commit(fx, &r);
    assert_int_equal(dl_count(fx, "rx1"), 1);
    assert_int_equal(dl_count(fx, "rx2"), 1);
    assert_int_equal(dl_count(fx, "collision_packet"), 1);
    assert_int_equal(dl_count(fx, "tx_ok"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT fcnt_down FROM nodes"), 1);
    rig_close(&r);
}

static void test_lora_tx_windows_and_routes(void **state)
{
    struct fixture *fx = *state;
    struct rig r;

    rig_open(fx, &r);
    /* Nothing to say: no PULL_RESP, no counter taken. */
    up_one(fx, &r, false, 1000u, "SF7BW125", 0);
    assert_int_equal(r.sent.n, 0);
    /* Handed over 1.2 s after the uplink: RX1 is gone, RX2 (2 s) still ahead. */
    up_one(fx, &r, true, 1000u, "SF7BW125", 1200);
    assert_int_equal(r.sent.n, 1);
    assert_int_equal(r.sent.tmst[0], 2001000u);
    /* 1.9 s: neither window can be reached; counted, nothing taken. */
    up_one(fx, &r, true, 1000u, "SF7BW125", 1900);
    assert_int_equal(r.sent.n, 1);
    /* A forwarder that never sent PULL_DATA. */
    r.sent.route = 0;
    up_one(fx, &r, true, 1000u, "SF7BW125", 0);
    commit(fx, &r);
    assert_int_equal(dl_count(fx, "no_window"), 1);
    assert_int_equal(dl_count(fx, "no_route"), 1);
    assert_int_equal(dl_count(fx, "rx2"), 1);
    rig_close(&r);
}

/* SF12 ACKs in RX1 take 991 ms each: 36 of them fill the 1 % sub-band's hour (36 s), the
 * next goes to RX2 (10 %, 869.525 MHz). */
static void test_lora_tx_duty_cycle(void **state)
{
    struct fixture *fx = *state;
    struct rig r;
    int i;

    rig_open(fx, &r);
    for (i = 0; i < 37; i++) {
        up_one(fx, &r, true, (uint32_t)i * 10000000u, "SF12BW125", 0);
        assert_int_equal(r.sent.n, 1);
        assert_int_equal(r.sent.tmst[0], (uint32_t)i * 10000000u + (i < 36 ? 1000000u : 2000000u));
        lora_tx_tx_ack(r.tx, EUI, r.sent.token[0], PFWD_TXACK_NONE, uv_now(&r.loop));
        r.sent.n = 0;
    }
    commit(fx, &r);
    assert_int_equal(dl_count(fx, "rx1"), 36);
    assert_int_equal(dl_count(fx, "rx2"), 1);
    rig_close(&r);
}

/* A confirmed frame repeated: acknowledged LORA_TX_RETRANS_MAX times, then refused. */
static void test_lora_tx_retransmissions_bounded(void **state)
{
    struct fixture *fx = *state;
    struct lora_tx_up up;
    struct rig r;
    unsigned i;

    rig_open(fx, &r);
    memset(&up, 0, sizeof(up));
    up.devaddr = DEV_A;
    up.confirmed = true;
    up.retransmission = true;
    up.fcnt = 41;
    up.freq_hz = 868100000u;
    (void)snprintf(up.datr, sizeof(up.datr), "SF7BW125");
    memcpy(up.eui, EUI, sizeof(EUI));
    for (i = 0; i < LORA_TX_RETRANS_MAX + 3u; i++) {
        uv_update_time(&r.loop);
        up.tmst = i * 10000000u;
        lora_tx_uplink(r.tx, &up, uv_now(&r.loop));
        commit(fx, &r);
        (void)uv_run(&r.loop, UV_RUN_NOWAIT);
        commit(fx, &r);
        if (r.sent.n > 0) {
            lora_tx_tx_ack(r.tx, EUI, r.sent.token[r.sent.n - 1], PFWD_TXACK_NONE, uv_now(&r.loop));
        }
    }
    assert_int_equal(r.sent.n, LORA_TX_RETRANS_MAX);
    /* Another counter is another frame. */
    up.fcnt = 42;
    lora_tx_uplink(r.tx, &up, uv_now(&r.loop));
    commit(fx, &r);
    (void)uv_run(&r.loop, UV_RUN_NOWAIT);
    commit(fx, &r);
    assert_int_equal(r.sent.n, LORA_TX_RETRANS_MAX + 1);
    assert_int_equal(dl_count(fx, "retransmission"), LORA_TX_RETRANS_MAX + 1);
    assert_int_equal(dl_count(fx, "retransmission_refused"), 3);
    rig_close(&r);
}

/* [lora] adr on: unconfirmed uplinks with nothing queued still reach ADR once the dedup
 * window is over; the 20th at SF12 heard at 0 dB (the fixture's quality) queues duty DR2
 * (SF10) in the batch of its plan, and that same uplink's RX1 carries it. Off: nothing. */
static void test_lora_tx_adr(void **state)
{
    struct fixture *fx = *state;
    struct rig r;
    int i;

    rig_open(fx, &r);
    for (i = 0; i < (int)ADR_HISTORY; i++) {
        up_one(fx, &r, false, (uint32_t)i * 10000000u, "SF12BW125", 0);
    }
    assert_int_equal(r.sent.n, 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), 0);
    assert_int_equal(lora_tx_adr(r.tx, 3600000u), 0);
    for (i = 0; i < (int)ADR_HISTORY - 1; i++) {
        up_one(fx, &r, false, (uint32_t)i * 10000000u, "SF12BW125", 0);
    }
    assert_int_equal(r.sent.n, 0);
    up_one(fx, &r, false, 0u, "SF12BW125", 0);
    assert_int_equal(r.sent.n, 1);
    assert_int_equal(r.sent.tmst[0], 1000000u);
    assert_int_equal(strlen(r.sent.data[0]), 28); /* 12 bytes, FPort and 7 of command */
    assert_int_equal(sql_int(fx->path, "SELECT op = 4 AND hex(payload) = '01010004E80302' AND "
                                       "state = 'sent' FROM commands"),
                     1);
    assert_int_equal(dl_count(fx, "adr"), 1);
    assert_int_equal(dl_count(fx, "no_window"), 0);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lora_tx_rx1_then_rx2_on_error),
        T(test_lora_tx_windows_and_routes),
        T(test_lora_tx_duty_cycle),
        T(test_lora_tx_retransmissions_bounded),
        T(test_lora_tx_adr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
