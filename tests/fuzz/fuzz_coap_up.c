/* SPDX-License-Identifier: MIT
 * libFuzzer target for the CoAP ingest's request path (daemon/ingest/ingest_coap.c and
 * ingest_coap_rules.c): libcoap's own PDU parser on raw datagrams, then what the handler of
 * POST /up does with one: the request checks, the frame check and store write of
 * uplink_process() against a real SQLite store (a temporary file with one registered node),
 * the reply code, and the retransmission signature. Beyond "no crash", it checks: only the
 * reply codes of the ARCHITECTURE.md table; a refusal leaves the node's counter alone; an
 * accepted frame is a replay when posted again; over DTLS a frame from another DevAddr is
 * refused 4.01.
 * Input byte 0 picks the mode (below); the rest is the datagram or the payload.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "ingest/ingest_coap_int.h"
#include "util/log.h"
#include "proto/frame.h"
#include "store/store.h"
#include "ingest/uplink.h"

#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* The node of the seed corpus (tests/fuzz/corpus/fuzz_coap_up/, made with
 * `tinyfleet frame encode` and these keys). */
#define NODE_DEVADDR 0x26011F00u
static const uint8_t nwkskey[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t appskey[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
/* AES-CMAC(appskey, "tinyfleet dtls psk") as computed by OpenSSL:
 * printf 'tinyfleet dtls psk' | openssl mac -cipher AES-128-CBC -macopt hexkey:0001..0F CMAC */
static const char expected_psk[] = "AFD7F7AC2375C64312301381D7096309";

enum mode {
    MODE_UDP_DATAGRAM = 0, /* a CoAP datagram, parsed by libcoap, then handled if a POST */
    MODE_PAYLOAD = 1,      /* the body of a POST /up with Content-Format 42, over UDP */
    MODE_DTLS_PAYLOAD = 2, /* the same over DTLS, session identity 26011F00 */
    MODE_TCP_DATAGRAM = 3  /* libcoap's parser for CoAP over TCP (RFC 8323), parse only */
};

static struct store *store;
static char dir[] = "/tmp/fuzz_coap_up.XXXXXX";
static char db_path[sizeof(dir) + 16];
static unsigned inputs;
static uint32_t next_fcnt;                         /* above the node's last accepted counter */
static unsigned long verdicts[STORE_REASON_COUNT]; /* uplink_process() results, for the summary */

static void cleanup(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[sizeof(db_path) + 16];
    size_t i;

    /* Shows that the seeds reach the accepted path, not only the refusals. */
    fprintf(stderr, "fuzz_coap_up: %u inputs; uplink_process verdicts:", inputs);
    for (i = 0; i < STORE_REASON_COUNT; i++) {
        fprintf(stderr, " %s %lu", store_reason_name((enum store_reason)i), verdicts[i]);
    }
    fprintf(stderr, "\n");
    store_close(store);
    store = NULL;
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", db_path, suffix[i]);
        (void)unlink(path);
    }
    (void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct store_node n;
    char err[256];
    char psk[INGEST_COAP_PSK_LEN + 1];

    (void)argc;
    (void)argv;
    /* uplink_process() logs refusals; at line rate that would drown the fuzzer's output. */
    log_init("fuzz_coap_up", 2, LOG_CRIT);
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(db_path, sizeof(db_path), "%s/fuzz.db", dir);
    /* synchronous off: durability is not what is fuzzed, and fsync would slow every run. */
    if (store_open(db_path, 0, &store, err, sizeof(err)) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        exit(1);
    }
    atexit(cleanup);
    memset(&n, 0, sizeof(n));
    n.devaddr = NODE_DEVADDR;
    n.battery_mv = -1;
    memcpy(n.nwkskey, nwkskey, sizeof(nwkskey));
    memcpy(n.appskey, appskey, sizeof(appskey));
    if (store_node_add(store, &n) != 0) {
        fprintf(stderr, "store_node_add failed\n");
        exit(1);
    }
    ingest_coap__psk(appskey, psk);
    CHECK(strcmp(psk, expected_psk) == 0);
    return 0;
}

static bool code_in_table(coap_pdu_code_t code)
{
    return code == COAP_RESPONSE_CODE_CHANGED || code == COAP_RESPONSE_CODE_BAD_REQUEST ||
           code == COAP_RESPONSE_CODE_UNAUTHORIZED || code == COAP_RESPONSE_CODE_FORBIDDEN ||
           code == COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE;
}

static uint32_t node_counter(bool *has)
{
    struct store_node n;

    CHECK(store_node_get(store, NODE_DEVADDR, &n) == 0);
    *has = n.has_fcnt;
    return n.last_fcnt;
}

/* What hnd_post_up() does with a request, minus the list of waiting replies. */
static void handle(const struct ingest_coap__req *req)
{
    struct ingest_coap__sig sig;
    struct ingest_coap__sig again;
    struct uplink_result res;
    struct uplink_result res2;
    struct store_rx rx;
    enum store_reason why = STORE_ACCEPTED;
    coap_pdu_code_t code;
    uint32_t before;
    uint32_t after;
    bool had;
    bool has;
    bool has_sig;

    code = ingest_coap__check(req, &why);
    if (code != 0) {
        CHECK(code == COAP_RESPONSE_CODE_BAD_REQUEST || code == COAP_RESPONSE_CODE_UNAUTHORIZED ||
              code == COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT);
        CHECK(why == STORE_MALFORMED || why == STORE_UNKNOWN_NODE);
        return;
    }
    CHECK(req->len >= 1 && req->len <= 255 && req->payload != NULL);
    if (req->dtls && req->len >= 5) {
        uint32_t from = (uint32_t)req->payload[1] | (uint32_t)req->payload[2] << 8 |
                        (uint32_t)req->payload[3] << 16 | (uint32_t)req->payload[4] << 24;

        CHECK(from == req->identity);
    }
    has_sig = ingest_coap__sig(req->payload, req->len, &sig);
    CHECK(has_sig == (req->len >= 12));
    if (has_sig) {
        CHECK(ingest_coap__sig(req->payload, req->len, &again));
        CHECK(ingest_coap__sig_equal(&sig, &again));
    }

    memset(&rx, 0, sizeof(rx));
    rx.bearer = STORE_BEARER_COAP;
    rx.time_ms = 1700000000000 + inputs;
    snprintf(rx.gateway, sizeof(rx.gateway), "127.0.0.1:5683");
    before = node_counter(&had);
    (void)uplink_process(store, NULL, req->payload, req->len, &rx, &res);
    CHECK((unsigned)res.reason < STORE_REASON_COUNT);
    verdicts[res.reason]++;
    CHECK(res.reason != STORE_DUPLICATE && res.reason != STORE_BAD_DATAGRAM);
    code = ingest_coap__code(res.reason);
    CHECK(code_in_table(code));
    after = node_counter(&has);
    if (res.reason != STORE_ACCEPTED) {
        CHECK(had == has && before == after);
        return;
    }
    CHECK(has_sig);
    CHECK(has && after == res.fcnt && res.devaddr == NODE_DEVADDR);
    next_fcnt = after + 1;
    CHECK(!had || after > before);
    /* The same bytes again, as a node that missed the reply would post them. */
    (void)uplink_process(store, NULL, req->payload, req->len, &rx, &res2);
    CHECK(res2.reason == STORE_REPLAY);
}

static void handle_datagram(const uint8_t *data, size_t size, coap_proto_t proto)
{
    coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, size);
    struct ingest_coap__req req;

    if (pdu == NULL) {
        return;
    }
    if (coap_pdu_parse(proto, data, size, pdu) && proto == COAP_PROTO_UDP &&
        coap_pdu_get_code(pdu) == COAP_REQUEST_CODE_POST) {
        ingest_coap__req_from_pdu(pdu, &req);
        CHECK(req.len <= size);
        CHECK((req.payload == NULL) == (req.len == 0)); /* RFC 7252 section 3: no empty body */
        handle(&req);
    }
    coap_delete_pdu(pdu);
}

/*
 * Random bytes almost never carry a valid MIC, so most mutants would stop at the frame
 * check. For the payload modes, three mutants in four are rebuilt as a signed frame of the
 * registered node with the next counter: byte 1 is the FPort, byte 2 bit 0 the confirmed
 * flag, the rest the plaintext FRMPayload. So the accepted path (TFP decode, the store's
 * inserts and their CHECK constraints) is fuzzed with arbitrary message contents.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint8_t frame[PROTO_FRAME_MAX_LEN];
    struct proto_uplink up;
    size_t len;
    int n;

    size = LLVMFuzzerMutate(data, size, max_size);
    if (size < 3 || (seed & 3u) == 0 ||
        ((data[0] & 3u) != MODE_PAYLOAD && (data[0] & 3u) != MODE_DTLS_PAYLOAD)) {
        return size;
    }
    len = size - 3;
    if (len > PROTO_FRAME_MAX_LEN - 13) {
        len = PROTO_FRAME_MAX_LEN - 13;
    }
    memset(&up, 0, sizeof(up));
    up.confirmed = (data[2] & 1u) != 0;
    up.devaddr = NODE_DEVADDR;
    up.fcnt = next_fcnt + (seed >> 2) % 4u;
    up.has_fport = true;
    up.fport = data[1];
    up.payload = data + 3;
    up.payload_len = len;
    n = proto_frame_build(&up, nwkskey, appskey, frame, sizeof(frame));
    if (n <= 0 || (size_t)n + 1 > max_size) {
        return size;
    }
    memcpy(data + 1, frame, (size_t)n);
    return (size_t)n + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_coap__req req;

    if (size < 1) {
        return 0;
    }
    inputs++;
    memset(&req, 0, sizeof(req));
    req.payload = size > 1 ? data + 1 : NULL;
    req.len = size - 1;
    req.content_format = COAP_MEDIATYPE_APPLICATION_OCTET_STREAM;
    switch ((enum mode)(data[0] & 3u)) {
    case MODE_UDP_DATAGRAM:
        handle_datagram(data + 1, size - 1, COAP_PROTO_UDP);
        break;
    case MODE_PAYLOAD:
        handle(&req);
        break;
    case MODE_DTLS_PAYLOAD:
        req.dtls = true;
        req.identity_ok = true;
        req.identity = NODE_DEVADDR;
        handle(&req);
        break;
    case MODE_TCP_DATAGRAM:
    default:
        handle_datagram(data + 1, size - 1, COAP_PROTO_TCP);
        break;
    }
    /* The daemon commits once per loop iteration; here every 32 inputs. */
    if (inputs % 32 == 0 && store_pending(store)) {
        CHECK(store_flush(store) == 0);
    }
    /* Keep the file small over a long run (and run the retention path too). */
    if (inputs % 8192 == 0) {
        CHECK(store_prune(store, INT64_MAX, 1000000) >= 0);
    }
    return 0;
}
