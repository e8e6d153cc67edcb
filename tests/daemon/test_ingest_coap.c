/* SPDX-License-Identifier: MIT
 * The CoAP ingest: the pure parts (reply code table, request checks, what is taken from a
 * request, the frame signature, the DTLS PSK rule against OpenSSL's CMAC) and the module
 * itself on a real libuv loop on loopback with a temp SQLite file: the reply, piggybacked,
 * follows the commit once it is durable, 5.03 when the commit failed, a busy address
 * refused, and the loop closes cleanly after ingest_coap_stop().
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

#include <uv.h>

#include "config/config.h"
#include "ingest/ingest_coap.h"
#include "ingest/ingest_coap_int.h"
#include "util/log.h"
#include "proto/frame.h"
#include "store/store.h"

#include "ingest_fixture.h"

#define DEVADDR 0x26011F00u

static const uint8_t nwkskey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                    0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
static const uint8_t appskey[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
/* One detection: hdr v1 n=1, class 1, confidence 200, age 5 s, 3 s, 20 dB. */
static const uint8_t detection[] = {0x21, 0x01, 0xC8, 0x05, 0x00, 0x03, 0x14};

static size_t frame(uint8_t *buf, uint32_t devaddr, uint32_t fcnt)
{
    struct proto_uplink up;
    int n;

    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.fcnt = fcnt;
    up.has_fport = true;
    up.fport = 1;
    up.payload = detection;
    up.payload_len = sizeof(detection);
    n = proto_frame_build(&up, nwkskey, appskey, buf, PROTO_FRAME_MAX_LEN);
    assert_true(n > 0);
    return (size_t)n;
}

/* ---- pure parts ---------------------------------------------------------------------- */

static void test_ingest_coap__code_table(void **state)
{
    (void)state;
    assert_int_equal(ingest_coap__code(STORE_ACCEPTED), COAP_RESPONSE_CODE(204));
    assert_int_equal(ingest_coap__code(STORE_DUPLICATE), COAP_RESPONSE_CODE(204));
    assert_int_equal(ingest_coap__code(STORE_MALFORMED), COAP_RESPONSE_CODE(400));
    assert_int_equal(ingest_coap__code(STORE_BAD_PAYLOAD), COAP_RESPONSE_CODE(400));
    assert_int_equal(ingest_coap__code(STORE_UNKNOWN_NODE), COAP_RESPONSE_CODE(401));
    assert_int_equal(ingest_coap__code(STORE_BAD_MIC), COAP_RESPONSE_CODE(401));
    assert_int_equal(ingest_coap__code(STORE_REPLAY), COAP_RESPONSE_CODE(403));
    assert_int_equal(ingest_coap__code(STORE_STORAGE_FAILED), COAP_RESPONSE_CODE(503));
}

static void test_ingest_coap__join_code_table(void **state)
{
    (void)state;
    assert_int_equal(ingest_coap__join_code(0), COAP_RESPONSE_CODE(204));
    assert_int_equal(ingest_coap__join_code(-EINVAL), COAP_RESPONSE_CODE(400));
    assert_int_equal(ingest_coap__join_code(-ENOENT), COAP_RESPONSE_CODE(401));
    assert_int_equal(ingest_coap__join_code(-EBADMSG), COAP_RESPONSE_CODE(401));
    assert_int_equal(ingest_coap__join_code(-EEXIST), COAP_RESPONSE_CODE(403));
    assert_int_equal(ingest_coap__join_code(-ERANGE), COAP_RESPONSE_CODE(403));
    assert_int_equal(ingest_coap__join_code(-EIO), COAP_RESPONSE_CODE(503));
}

/* A JoinRequest over DTLS is refused, even when its bytes 1..4 (the JoinEUI's low ones)
 * happen to spell the session's DevAddr: its key would not survive the join. */
static void test_ingest_coap__check_join_over_dtls(void **state)
{
    uint8_t jr[23] = {0x00, 0x00, 0x1F, 0x01, 0x26};
    struct ingest_coap__req req;
    enum store_reason why;

    (void)state;
    memset(&req, 0, sizeof(req));
    req.payload = jr;
    req.len = sizeof(jr);
    req.content_format = -1;
    assert_int_equal(ingest_coap__check(&req, &why), 0);
    req.dtls = true;
    req.identity_ok = true;
    req.identity = DEVADDR;
    assert_int_equal(ingest_coap__check(&req, &why), COAP_RESPONSE_CODE(401));
    assert_int_equal(why, STORE_UNKNOWN_NODE);
}

static void test_ingest_coap__check_cases(void **state)
{
    static const uint8_t big[256];
    uint8_t f[PROTO_FRAME_MAX_LEN];
    size_t n = frame(f, DEVADDR, 1);
    const struct {
        const char *what;
        struct ingest_coap__req req;
        coap_pdu_code_t code;
        enum store_reason why;
    } cases[] = {
        {"frame, Content-Format 42", {f, n, 42, false, false, false, 0}, 0, STORE_MALFORMED},
        {"frame, no Content-Format", {f, n, -1, false, false, false, 0}, 0, STORE_MALFORMED},
        {"Content-Format 0",
         {f, n, 0, false, false, false, 0},
         COAP_RESPONSE_CODE(415),
         STORE_MALFORMED},
        {"Block1", {f, n, 42, true, false, false, 0}, COAP_RESPONSE_CODE(400), STORE_MALFORMED},
        {"empty", {NULL, 0, 42, false, false, false, 0}, COAP_RESPONSE_CODE(400), STORE_MALFORMED},
        {"255 bytes", {big, 255, 42, false, false, false, 0}, 0, STORE_MALFORMED},
        {"256 bytes",
         {big, 256, 42, false, false, false, 0},
         COAP_RESPONSE_CODE(400),
         STORE_MALFORMED},
        {"DTLS, own DevAddr", {f, n, 42, false, true, true, DEVADDR}, 0, STORE_MALFORMED},
        {"DTLS, other DevAddr",
         {f, n, 42, false, true, true, DEVADDR + 1},
         COAP_RESPONSE_CODE(401),
         STORE_UNKNOWN_NODE},
        {"DTLS, identity not a DevAddr",
         {f, n, 42, false, true, false, 0},
         COAP_RESPONSE_CODE(401),
         STORE_UNKNOWN_NODE},
        {"DTLS, 3 bytes (left to the frame check)",
         {f, 3, 42, false, true, true, DEVADDR + 1},
         0,
         STORE_MALFORMED},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum store_reason why = STORE_ACCEPTED;
        coap_pdu_code_t code = ingest_coap__check(&cases[i].req, &why);

        if (code != cases[i].code || (code != 0 && why != cases[i].why)) {
            fail_msg("%s: code %d.%02d reason %d", cases[i].what, code >> 5, code & 31, why);
        }
    }
}

static void test_ingest_coap__req_from_pdu(void **state)
{
    /* CON POST, MID 0x1234, token 0xA5; Uri-Path "up" (delta 11, length 2); Content-Format
     * (delta 1, length 1) 42; payload marker; 3 bytes. */
    static const uint8_t post[] = {0x41, 0x02, 0x12, 0x34, 0xA5, 0xB2, 'u',
                                   'p',  0x11, 0x2A, 0xFF, 0x40, 0x00, 0x1F};
    /* The same with Block1 (option 27: delta 15 = 13 + 2, length 1) NUM 0, M 1, SZX 0, and
     * Content-Format 0 (length 0). */
    static const uint8_t block[] = {0x41, 0x02, 0x12, 0x35, 0xA5, 0xB2, 'u',
                                    'p',  0x10, 0xD1, 0x02, 0x08, 0xFF, 0x40};
    /* No Content-Format, no payload. */
    static const uint8_t bare[] = {0x41, 0x02, 0x12, 0x36, 0xA5, 0xB2, 'u', 'p'};
    struct ingest_coap__req req;
    coap_pdu_t *pdu;

    (void)state;
    coap_startup();
    pdu = coap_pdu_init(0, 0, 0, sizeof(post));
    assert_non_null(pdu);
    assert_true(coap_pdu_parse(COAP_PROTO_UDP, post, sizeof(post), pdu));
    ingest_coap__req_from_pdu(pdu, &req);
    assert_int_equal(req.len, 3);
    assert_memory_equal(req.payload, post + 11, 3);
    assert_int_equal(req.content_format, 42);
    assert_false(req.block1);
    assert_false(req.dtls);
    coap_delete_pdu(pdu);

    pdu = coap_pdu_init(0, 0, 0, sizeof(block));
    assert_non_null(pdu);
    assert_true(coap_pdu_parse(COAP_PROTO_UDP, block, sizeof(block), pdu));
    ingest_coap__req_from_pdu(pdu, &req);
    assert_int_equal(req.len, 1);
    assert_int_equal(req.content_format, 0);
    assert_true(req.block1);
    coap_delete_pdu(pdu);

    pdu = coap_pdu_init(0, 0, 0, sizeof(bare));
    assert_non_null(pdu);
    assert_true(coap_pdu_parse(COAP_PROTO_UDP, bare, sizeof(bare), pdu));
    ingest_coap__req_from_pdu(pdu, &req);
    assert_int_equal(req.len, 0);
    assert_null(req.payload);
    assert_int_equal(req.content_format, -1);
    coap_delete_pdu(pdu);
    coap_cleanup();
}

static void test_ingest_coap__sig_tells_copies_apart(void **state)
{
    uint8_t f[PROTO_FRAME_MAX_LEN];
    uint8_t g[PROTO_FRAME_MAX_LEN];
    struct ingest_coap__sig a;
    struct ingest_coap__sig b;
    size_t n = frame(f, DEVADDR, 7);
    size_t i;

    (void)state;
    assert_true(ingest_coap__sig(f, n, &a));
    assert_int_equal(a.devaddr, DEVADDR);
    assert_int_equal(a.len, n);
    assert_memory_equal(a.mic, f + n - 4, 4);
    memcpy(g, f, n);
    assert_true(ingest_coap__sig(g, n, &b));
    assert_true(ingest_coap__sig_equal(&a, &b));
    for (i = 0; i < n; i++) {
        g[i] ^= 0x01;
        assert_true(ingest_coap__sig(g, n, &b));
        assert_false(ingest_coap__sig_equal(&a, &b));
        g[i] ^= 0x01;
    }
    assert_true(ingest_coap__sig(f, n - 1, &b));
    assert_false(ingest_coap__sig_equal(&a, &b));
    assert_false(ingest_coap__sig(f, PROTO_FRAME_MIN_LEN - 1, &b));
    assert_false(ingest_coap__sig_equal(&b, &b)); /* no signature matches nothing */
}

static void test_ingest_coap__psk_matches_openssl(void **state)
{
    char psk[INGEST_COAP_PSK_LEN + 1];

    (void)state;
    /* printf 'tinyfleet dtls psk' |
     *     openssl mac -cipher AES-128-CBC -macopt hexkey:000102030405060708090A0B0C0D0E0F CMAC */
    ingest_coap__psk(appskey, psk);
    assert_string_equal(psk, "AFD7F7AC2375C64312301381D7096309");
}

/* ---- the module on a loop ------------------------------------------------------------ */

struct fixture {
    char path[64];
    struct store *store;
    struct config cfg;
    uv_loop_t loop;
    uv_check_t check;
    struct ingest_coap *coap;
    int fail_next; /* report the next flush as failed */
    bool hold;     /* commits are not made durable (a WAL sync still running) */
    uint64_t gen;  /* successful commits */
    int client;    /* UDP socket connected to the ingest */
    uint16_t mid;
};

/* The daemon's group commit, as tinyfleetd does it after each iteration's I/O. */
static void on_check(uv_check_t *h)
{
    struct fixture *fx = h->data;
    int rc = ingest_test_commit(fx->store, &fx->fail_next, &fx->gen);

    ingest_coap_committed(fx->coap, rc, fx->gen);
    if (!fx->hold) {
        ingest_coap_durable(fx->coap, fx->gen);
    }
}

static int loop_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct sockaddr_in to;
    unsigned port;

    assert_non_null(fx);
    log_init("test_ingest_coap", 2, LOG_ERR);
    strcpy(fx->path, "/tmp/test_ingest_coap_XXXXXX");
    fx->store = ingest_test_store(fx->path, DEVADDR, nwkskey, appskey);

    port = free_port();
    config_defaults(&fx->cfg);
    snprintf(fx->cfg.coap.listen, sizeof(fx->cfg.coap.listen), "127.0.0.1:%u", port);
    fx->cfg.coap.dtls_listen[0] = '\0';
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    assert_int_equal(uv_check_init(&fx->loop, &fx->check), 0);
    fx->check.data = fx;
    assert_int_equal(uv_check_start(&fx->check, on_check), 0);

    fx->client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fx->client >= 0);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fx->client, (struct sockaddr *)&to, sizeof(to)), 0);
    fx->mid = 0x4000;
    *state = fx;
    return 0;
}

static int loop_teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    ingest_coap_stop(fx->coap);
    uv_close((uv_handle_t *)&fx->check, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    /* Every handle closed, the ingest's memory freed in its close callbacks. */
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    close(fx->client);
    store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

/* A POST /up with Content-Format 42 carrying @len bytes; CON or NON; 1-byte token. */
static void post(struct fixture *fx, bool con, const uint8_t *body, size_t len)
{
    uint8_t pkt[300];
    size_t n = 0;

    fx->mid++;
    pkt[n++] = con ? 0x41 : 0x51;
    pkt[n++] = COAP_REQUEST_CODE_POST;
    pkt[n++] = (uint8_t)(fx->mid >> 8);
    pkt[n++] = (uint8_t)fx->mid;
    pkt[n++] = (uint8_t)fx->mid; /* token */
    pkt[n++] = 0xB2;
    pkt[n++] = 'u';
    pkt[n++] = 'p';
    pkt[n++] = 0x11;
    pkt[n++] = 42;
    if (len > 0) {
        pkt[n++] = 0xFF;
        memcpy(pkt + n, body, len);
        n += len;
    }
    assert_int_equal(send(fx->client, pkt, n, 0), (ssize_t)n);
}

/* Run the loop until the client has a datagram (2 s at most); its type, code and MID. */
static void receive(struct fixture *fx, unsigned *type, unsigned *code, uint16_t *mid)
{
    uint8_t buf[512];
    int i;

    for (i = 0; i < 2000; i++) {
        ssize_t r;
        struct pollfd p = {.fd = fx->client, .events = POLLIN};

        (void)uv_run(&fx->loop, UV_RUN_NOWAIT);
        if (poll(&p, 1, 1) <= 0) {
            continue;
        }
        r = recv(fx->client, buf, sizeof(buf), 0);
        assert_true(r >= 4);
        *type = (buf[0] >> 4) & 3u;
        *code = buf[1];
        *mid = (uint16_t)(buf[2] << 8 | buf[3]);
        return;
    }
    fail_msg("no datagram from the ingest");
}

/* Run the loop for a while (100 iterations polling 1 ms each): nothing may arrive. */
static void expect_silence(struct fixture *fx)
{
    struct pollfd p = {.fd = fx->client, .events = POLLIN};
    int i;

    for (i = 0; i < 100; i++) {
        (void)uv_run(&fx->loop, UV_RUN_NOWAIT);
        assert_int_equal(poll(&p, 1, 1), 0);
    }
}

static void test_ingest_coap_disabled(void **state)
{
    struct fixture *fx = *state;
    struct config_coap off = fx->cfg.coap;

    off.listen[0] = '\0';
    off.dtls_listen[0] = '\0';
    fx->coap = (struct ingest_coap *)fx; /* must be overwritten */
    assert_int_equal(ingest_coap_start(&fx->loop, fx->store, NULL, &off, &fx->coap), 0);
    assert_null(fx->coap);
    ingest_coap_committed(NULL, 0, 0);
    ingest_coap_durable(NULL, 0);
    ingest_coap_stop(NULL);
}

static void test_ingest_coap_piggybacked(void **state)
{
    struct fixture *fx = *state;
    struct ingest_coap *second = NULL;
    uint8_t f[PROTO_FRAME_MAX_LEN];
    unsigned type;
    unsigned code;
    uint16_t mid;
    size_t n;

    assert_int_equal(ingest_coap_start(&fx->loop, fx->store, NULL, &fx->cfg.coap, &fx->coap), 0);
    assert_non_null(fx->coap);
    /* libcoap's SO_REUSEADDR would let a second server share the port: refused instead. */
    assert_int_equal(ingest_coap_start(&fx->loop, fx->store, NULL, &fx->cfg.coap, &second),
                     -EADDRINUSE);
    assert_null(second);

    n = frame(f, DEVADDR, 1);
    post(fx, true, f, n);
    receive(fx, &type, &code, &mid);
    assert_int_equal(type, COAP_MESSAGE_ACK); /* one ACK carrying the code (5.2.1) */
    assert_int_equal(code, COAP_RESPONSE_CODE(204));
    assert_int_equal(mid, fx->mid);
    assert_false(store_pending(fx->store)); /* answered after the commit */

    post(fx, true, f, n); /* the same bytes again: stored, so 2.04 at once */
    receive(fx, &type, &code, &mid);
    assert_int_equal(code, COAP_RESPONSE_CODE(204));

    n = frame(f, DEVADDR, 2);
    fx->fail_next = 1;
    post(fx, true, f, n); /* the commit "fails": 5.03 */
    receive(fx, &type, &code, &mid);
    assert_int_equal(type, COAP_MESSAGE_ACK);
    assert_int_equal(code, COAP_RESPONSE_CODE(503));

    n = frame(f, DEVADDR, 3);
    post(fx, false, f, n); /* NON: the answer is a NON (5.2.3) */
    receive(fx, &type, &code, &mid);
    assert_int_equal(type, COAP_MESSAGE_NON);
    assert_int_equal(code, COAP_RESPONSE_CODE(204));

    n = frame(f, DEVADDR, 1); /* an older counter */
    post(fx, true, f, n);
    receive(fx, &type, &code, &mid);
    assert_int_equal(code, COAP_RESPONSE_CODE(403));

    post(fx, true, f, 0);
    receive(fx, &type, &code, &mid);
    assert_int_equal(code, COAP_RESPONSE_CODE(400));

    /* Committed but not durable: no answer, also not to a copy, which is committed in the
     * next batch (its count); each gets 2.04 once its own commit is durable. */
    fx->hold = true;
    n = frame(f, DEVADDR, 4);
    post(fx, true, f, n);
    expect_silence(fx);
    assert_false(store_pending(fx->store));
    post(fx, true, f, n);
    expect_silence(fx);
    ingest_coap_durable(fx->coap, fx->gen - 1);
    receive(fx, &type, &code, &mid);
    assert_int_equal(code, COAP_RESPONSE_CODE(204));
    assert_int_equal(mid, fx->mid - 1);
    expect_silence(fx);
    ingest_coap_durable(fx->coap, fx->gen);
    receive(fx, &type, &code, &mid);
    assert_int_equal(code, COAP_RESPONSE_CODE(204));
    assert_int_equal(mid, fx->mid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_coap__code_table),
        cmocka_unit_test(test_ingest_coap__join_code_table),
        cmocka_unit_test(test_ingest_coap__check_join_over_dtls),
        cmocka_unit_test(test_ingest_coap__check_cases),
        cmocka_unit_test(test_ingest_coap__req_from_pdu),
        cmocka_unit_test(test_ingest_coap__sig_tells_copies_apart),
        cmocka_unit_test(test_ingest_coap__psk_matches_openssl),
        cmocka_unit_test_setup_teardown(test_ingest_coap_disabled, loop_setup, loop_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_coap_piggybacked, loop_setup, loop_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
