/* SPDX-License-Identifier: MIT
 * The LoRa ingest (daemon/ingest/ingest_lora.c) on a real libuv loop on loopback with a temp
 * SQLite file, driven by two UDP sockets that act as packet forwarders: no PUSH_ACK leaves
 * before the commit holding its frame (nor before that commit is durable, nor after a
 * commit that failed), and a second connection to the file already sees the frame when the
 * ack arrives; a frame heard by two forwarders inside the dedup window, in one batch or in
 * two, is stored once with a reception from each; the loop closes cleanly after
 * ingest_lora_stop(). (dedup_rollback() after a failed commit is tested in test_dedup.c.)
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <uv.h>

#include "config/config.h"
#include "ingest/base64.h"
#include "ingest/ingest_lora.h"
#include "ingest/pfwd.h"
#include "util/log.h"
#include "proto/frame.h"
#include "store/store.h"

#include "ingest_fixture.h"

#define DEVADDR 0x26011F00u
#define FWD_MAX 2

static const uint8_t nwkskey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                    0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
static const uint8_t appskey[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
/* One detection: hdr v1 n=1, class 1, confidence 200, age 5 s, 3 s, 20 dB. */
static const uint8_t detection[] = {0x21, 0x01, 0xC8, 0x05, 0x00, 0x03, 0x14};
/* The two forwarders' gateway EUIs: stored as AA555A0000000101 and AA555A0000000102. */
static const uint8_t euis[FWD_MAX][PFWD_EUI_LEN] = {{0xAA, 0x55, 0x5A, 0, 0, 0, 0x01, 0x01},
                                                    {0xAA, 0x55, 0x5A, 0, 0, 0, 0x01, 0x02}};

struct fixture {
    char path[64];
    struct store *store;
    struct config cfg;
    uv_loop_t loop;
    uv_check_t check;
    struct ingest_lora *lora;
    bool no_commit;   /* the group commit does not run (the batch stays open) */
    bool hold;        /* commits are not made durable (a WAL sync still running) */
    int fail_next;    /* report the next flush as failed */
    uint64_t gen;     /* successful commits */
    int fwd[FWD_MAX]; /* UDP sockets connected to the ingest, one per forwarder */
    uint16_t token;
};

/* The daemon's group commit, as tinyfleetd does it after each iteration's I/O. */
static void on_check(uv_check_t *h)
{
    struct fixture *fx = h->data;
    int rc;

    if (fx->no_commit) {
        return;
    }
    rc = ingest_test_commit(fx->store, &fx->fail_next, &fx->gen);
    ingest_lora_committed(fx->lora, rc, fx->gen);
    if (!fx->hold) {
        ingest_lora_durable(fx->lora, fx->gen);
    }
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct sockaddr_in to;
    unsigned port;
    int i;

    assert_non_null(fx);
    log_init("test_ingest_lora", 2, LOG_ERR);
    strcpy(fx->path, "/tmp/test_ingest_lora_XXXXXX");
    fx->store = ingest_test_store(fx->path, DEVADDR, nwkskey, appskey);
    assert_int_equal(store_daemon_mode(fx->store), 0);

    port = free_port();
    config_defaults(&fx->cfg);
    snprintf(fx->cfg.lora.listen, sizeof(fx->cfg.lora.listen), "127.0.0.1:%u", port);
    /* Far longer than a test runs: every copy here is inside the window. */
    fx->cfg.lora.dedup_window_ms = 60000;
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    assert_int_equal(uv_check_init(&fx->loop, &fx->check), 0);
    fx->check.data = fx;
    assert_int_equal(uv_check_start(&fx->check, on_check), 0);
    assert_int_equal(ingest_lora_start(&fx->loop, fx->store, NULL, &fx->cfg.lora, &fx->lora), 0);
    assert_non_null(fx->lora);

    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < FWD_MAX; i++) {
        fx->fwd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        assert_true(fx->fwd[i] >= 0);
        assert_int_equal(connect(fx->fwd[i], (struct sockaddr *)&to, sizeof(to)), 0);
    }
    fx->token = 0x1000;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];
    int i;

    ingest_lora_stop(fx->lora);
    uv_close((uv_handle_t *)&fx->check, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    /* Every handle closed, the ingest's memory freed in its close callback. */
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    for (i = 0; i < FWD_MAX; i++) {
        close(fx->fwd[i]);
    }
    store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

static size_t frame(uint8_t *buf, uint32_t fcnt)
{
    struct proto_uplink up;
    int n;

    memset(&up, 0, sizeof(up));
    up.devaddr = DEVADDR;
    up.fcnt = fcnt;
    up.has_fport = true;
    up.fport = 1;
    up.payload = detection;
    up.payload_len = sizeof(detection);
    n = proto_frame_build(&up, nwkskey, appskey, buf, PROTO_FRAME_MAX_LEN);
    assert_true(n > 0);
    return (size_t)n;
}

/* Forwarder @f sends a PUSH_DATA (PROTOCOL.TXT section 3.2) carrying the frame with counter
 * @fcnt as one rxpk; returns its token. */
static uint16_t push(struct fixture *fx, int f, uint32_t fcnt)
{
    uint8_t phy[PROTO_FRAME_MAX_LEN];
    char b64[BASE64_ENCODED_LEN(PROTO_FRAME_MAX_LEN) + 1];
    uint8_t pkt[1024];
    size_t len = frame(phy, fcnt);
    uint16_t token = ++fx->token;
    int n;

    assert_true(base64_encode(phy, len, b64, sizeof(b64)) > 0);
    pkt[0] = PFWD_VERSION;
    pkt[1] = (uint8_t)(token >> 8);
    pkt[2] = (uint8_t)token;
    pkt[3] = PFWD_PUSH_DATA;
    memcpy(pkt + 4, euis[f], PFWD_EUI_LEN);
    n = snprintf((char *)pkt + 12, sizeof(pkt) - 12,
                 "{\"rxpk\":[{\"stat\":1,\"rssi\":%d,\"lsnr\":5.5,\"freq\":868.1,"
                 "\"datr\":\"SF7BW125\",\"size\":%zu,\"data\":\"%s\"}]}",
                 -40 - 10 * f, len, b64);
    assert_true(n > 0 && (size_t)n < sizeof(pkt) - 12);
    assert_int_equal(send(fx->fwd[f], pkt, 12 + (size_t)n, 0), (ssize_t)(12 + (size_t)n));
    return token;
}

/* Run the loop until forwarder @f has a datagram (2 s at most): it must be the PUSH_ACK for
 * @token. */
static void expect_ack(struct fixture *fx, int f, uint16_t token)
{
    uint8_t buf[64];
    int i;

    for (i = 0; i < 2000; i++) {
        struct pollfd p = {.fd = fx->fwd[f], .events = POLLIN};
        ssize_t r;

        (void)uv_run(&fx->loop, UV_RUN_NOWAIT);
        if (poll(&p, 1, 1) <= 0) {
            continue;
        }
        r = recv(fx->fwd[f], buf, sizeof(buf), 0);
        assert_int_equal(r, PFWD_ACK_LEN);
        assert_int_equal(buf[0], PFWD_VERSION);
        assert_int_equal(buf[1] << 8 | buf[2], token);
        assert_int_equal(buf[3], PFWD_PUSH_ACK);
        return;
    }
    fail_msg("no PUSH_ACK for token %04x", token);
}

/* Run the loop for a while (100 iterations polling 1 ms each): no forwarder gets anything. */
static void expect_silence(struct fixture *fx)
{
    struct pollfd p[FWD_MAX];
    int i;

    for (i = 0; i < FWD_MAX; i++) {
        p[i].fd = fx->fwd[i];
        p[i].events = POLLIN;
    }
    for (i = 0; i < 100; i++) {
        (void)uv_run(&fx->loop, UV_RUN_NOWAIT);
        assert_int_equal(poll(p, FWD_MAX, 1), 0);
    }
}

/* One number from the file through a connection of its own: only what is committed. */
static long long committed(const struct fixture *fx, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v;

    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static uint64_t lora_count(struct fixture *fx, enum store_reason r)
{
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];

    assert_int_equal(store_stats(fx->store, counts), 0);
    return counts[STORE_BEARER_LORA][r];
}

/* A PUSH_ACK says "stored": none before the commit, none before the commit is durable, none
 * for a commit that failed; when it comes, another connection sees the frame. */
static void test_ingest_lora_push_ack_after_commit(void **state)
{
    struct fixture *fx = *state;
    uint16_t token;

    fx->no_commit = true;
    token = push(fx, 0, 1);
    expect_silence(fx); /* the frame is in the open batch: nothing may be acknowledged */
    assert_true(store_pending(fx->store));
    assert_int_equal(committed(fx, "SELECT count(*) FROM frames"), 0);

    fx->no_commit = false;
    fx->hold = true;
    expect_silence(fx); /* committed, not yet durable: still nothing */
    assert_false(store_pending(fx->store));
    ingest_lora_durable(fx->lora, fx->gen);
    expect_ack(fx, 0, token);
    assert_int_equal(committed(fx, "SELECT count(*) FROM frames WHERE fcnt = 1"), 1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM events"), 1);
    fx->hold = false;

    /* A commit reported as failed (the ingest learns it from ingest_lora_committed() only;
     * the flush itself went through here): no PUSH_ACK ever comes. */
    fx->fail_next = 1;
    (void)push(fx, 0, 2);
    expect_silence(fx);
    ingest_lora_durable(fx->lora, fx->gen + 1);
    expect_silence(fx);

    /* The next one is acknowledged as usual. */
    token = push(fx, 0, 3);
    expect_ack(fx, 0, token);
    assert_int_equal(committed(fx, "SELECT count(*) FROM frames WHERE fcnt = 3"), 1);
}

/* Two forwarders hear one frame: stored once, a reception from each, one duplicate counted,
 * both acknowledged; no replay. */
static void test_ingest_lora_dedup_copies(void **state)
{
    struct fixture *fx = *state;
    uint16_t t0;
    uint16_t t1;

    fx->no_commit = true; /* both copies land in one batch, as when they arrive together */
    t0 = push(fx, 0, 7);
    t1 = push(fx, 1, 7);
    expect_silence(fx);
    fx->no_commit = false;
    expect_ack(fx, 0, t0);
    expect_ack(fx, 1, t1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM events"), 1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM receptions"), 2);
    assert_int_equal(committed(fx, "SELECT count(DISTINCT gateway) FROM receptions WHERE "
                                   "gateway IN ('AA555A0000000101', 'AA555A0000000102')"),
                     2);
    assert_int_equal(lora_count(fx, STORE_ACCEPTED), 1);
    assert_int_equal(lora_count(fx, STORE_DUPLICATE), 1);
    assert_int_equal(lora_count(fx, STORE_REPLAY), 0);

    /* A copy that comes in a later batch is still a copy: a reception, not a replay. */
    t1 = push(fx, 1, 7);
    expect_ack(fx, 1, t1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(committed(fx, "SELECT count(*) FROM receptions"), 3);
    assert_int_equal(lora_count(fx, STORE_DUPLICATE), 2);
    assert_int_equal(lora_count(fx, STORE_REPLAY), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_lora_push_ack_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_lora_dedup_copies, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
