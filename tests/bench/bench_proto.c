/* SPDX-License-Identifier: MIT
 * Cost of proto/ on the host, driven by tools/bench-proto.sh (`make bench-proto`).
 *   bench_proto run OP N   run OP N times inside bench_loop(); under
 *                          `callgrind --collect-atstart=no --toggle-collect='bench_loop*'`
 *                          only the operation's instructions are counted, not start-up.
 *   bench_proto aes [MS]   AES-128 blocks per second, proto_aes128_encrypt beside OpenSSL,
 *                          trials of MS milliseconds interleaved, best of each kept.
 * Output is `key=value` lines for the script to lay out. Wall clock is noisy on a shared
 * machine, which is why the per-operation figures come from callgrind instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/aes.h"
#include "proto/frame.h"
#include "proto/tfp.h"

/* SPEC.md section 3 test keys; never deployed. */
static const uint8_t nwkskey[PROTO_AES_KEY] = {0x44, 0x02, 0x42, 0x41, 0xED, 0x4C, 0xE9, 0xA6,
                                               0x8C, 0x6A, 0x8B, 0xC0, 0x55, 0x23, 0x3F, 0xD3};
static const uint8_t appskey[PROTO_AES_KEY] = {0xEC, 0x92, 0x58, 0x02, 0xAE, 0x43, 0x0C, 0xA7,
                                               0x7F, 0xD3, 0xDD, 0x73, 0xCB, 0x2C, 0xC5, 0x88};

#define DEVADDR 0x26011F00u
#define LAST    0x00012344u /* the gateway's last accepted counter */

struct bench_case {
    struct proto_tfp_msg msg;         /* what the node sends */
    uint32_t fcnt;                    /* node side: next counter to use */
    uint8_t phy[PROTO_FRAME_MAX_LEN]; /* gateway side: the frame received */
    size_t phy_len;                   /* its length in bytes */
    size_t payload_len;               /* TFP payload length in bytes */
    struct proto_aes128 aes;          /* for the AES operations */
    uint8_t block[PROTO_AES_BLOCK];   /* for the AES operations */
    volatile uint8_t sink;            /* keeps results observable */
};

/* A detections message of @count records with plausible values. */
static void make_msg(struct proto_tfp_msg *m, unsigned count)
{
    memset(m, 0, sizeof(*m));
    m->port = PROTO_TFP_PORT_DETECTIONS;
    m->u.det.count = (uint8_t)count;
    for (unsigned i = 0; i < count; i++) {
        struct proto_tfp_detection *d = &m->u.det.rec[i];

        d->class_id = (uint8_t)(1 + i % 7);
        d->confidence = (uint8_t)(200 + i);
        d->age_s = (uint16_t)(300 + 17 * i);
        d->duration_s = (uint8_t)(5 + i);
        d->level_db = (uint8_t)(18 + i);
    }
}

/* Node side: encode the TFP payload and build the frame, as the firmware does per uplink. */
static int op_node(struct bench_case *c)
{
    uint8_t payload[PROTO_TFP_MAX_LEN];
    uint8_t frame[PROTO_FRAME_MAX_LEN];
    struct proto_uplink up;
    int n;
    int len;

    n = proto_tfp_encode(&c->msg, payload, sizeof(payload));
    if (n < 0) {
        return 1;
    }
    memset(&up, 0, sizeof(up));
    up.devaddr = DEVADDR;
    up.fcnt = c->fcnt++;
    up.has_fport = true;
    up.fport = c->msg.port;
    up.payload = payload;
    up.payload_len = (size_t)n;
    len = proto_frame_build(&up, nwkskey, appskey, frame, sizeof(frame));
    if (len < (int)PROTO_FRAME_MIN_LEN) {
        return 1;
    }
    c->sink = frame[len - 1];
    return 0;
}

/* Gateway side: everything between a received frame and a decoded message. */
static int op_gateway(struct bench_case *c)
{
    struct proto_frame f;
    struct proto_tfp_msg msg;
    uint8_t plain[PROTO_FRAME_MAX_LEN];
    uint32_t fcnt;
    int n;

    if (proto_frame_parse(c->phy, c->phy_len, &f) != PROTO_OK) {
        return 1;
    }
    fcnt = proto_frame_fcnt_expand(LAST, f.fcnt16);
    if (proto_frame_verify(&f, nwkskey, fcnt) != PROTO_OK) {
        return 1;
    }
    n = proto_frame_decrypt(&f, appskey, fcnt, plain, sizeof(plain));
    if (n < 0 || proto_tfp_decode(f.fport, plain, (size_t)n, &msg) != PROTO_OK) {
        return 1;
    }
    return msg.u.det.count == c->msg.u.det.count ? 0 : 1;
}

static int op_aes_init(struct bench_case *c)
{
    proto_aes128_init(&c->aes, appskey);
    c->sink = (uint8_t)c->aes.rk[43];
    return 0;
}

static int op_aes_block(struct bench_case *c)
{
    proto_aes128_encrypt(&c->aes, c->block, c->block);
    return 0;
}

/*
 * The only code callgrind counts. noinline keeps it a function of its own; the script's
 * pattern `bench_loop*` also matches a clone the compiler may make (bench_loop.constprop.0).
 * Return: the number of failed operations.
 */
static __attribute__((noinline)) unsigned long bench_loop(int (*op)(struct bench_case *),
                                                          struct bench_case *c, unsigned long n)
{
    unsigned long failed = 0;

    for (unsigned long i = 0; i < n; i++) {
        failed += (unsigned long)op(c);
    }
    return failed;
}

struct op_desc {
    const char *name;
    int (*fn)(struct bench_case *);
    unsigned records; /* 0: not a frame operation */
};

static const struct op_desc ops[] = {
    {"gw1", op_gateway, 1}, {"gw8", op_gateway, 8},       {"node1", op_node, 1},
    {"node8", op_node, 8},  {"aes-init", op_aes_init, 0}, {"aes-block", op_aes_block, 0},
};

static int run(const char *name, unsigned long n)
{
    static struct bench_case c;
    const struct op_desc *d = NULL;
    struct proto_uplink up;
    uint8_t payload[PROTO_TFP_MAX_LEN];
    int len;

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(ops[i].name, name) == 0) {
            d = &ops[i];
        }
    }
    if (d == NULL) {
        fprintf(stderr, "bench_proto: unknown operation %s\n", name);
        return 2;
    }

    /* The received frame is the one the node side builds, LAST + 1 on the counter. */
    make_msg(&c.msg, d->records > 0 ? d->records : 1);
    len = proto_tfp_encode(&c.msg, payload, sizeof(payload));
    if (len < 0) {
        fprintf(stderr, "bench_proto: encode: %s\n", proto_strerror(len));
        return 1;
    }
    c.payload_len = (size_t)len;
    memset(&up, 0, sizeof(up));
    up.devaddr = DEVADDR;
    up.fcnt = LAST + 1;
    up.has_fport = true;
    up.fport = c.msg.port;
    up.payload = payload;
    up.payload_len = c.payload_len;
    len = proto_frame_build(&up, nwkskey, appskey, c.phy, sizeof(c.phy));
    if (len < 0) {
        fprintf(stderr, "bench_proto: build: %s\n", proto_strerror(len));
        return 1;
    }
    c.phy_len = (size_t)len;
    c.fcnt = LAST + 1;
    proto_aes128_init(&c.aes, appskey);

    /* One warm-up call outside the counted region proves the operation succeeds. */
    if (d->fn(&c) != 0 || bench_loop(d->fn, &c, n) != 0) {
        fprintf(stderr, "bench_proto: %s failed\n", name);
        return 1;
    }
    printf("op=%s n=%lu frame_bytes=%zu payload_bytes=%zu\n", name, n,
           d->records > 0 ? c.phy_len : 0, d->records > 0 ? c.payload_len : 0);
    return 0;
}

/* --- AES throughput ------------------------------------------------------------------- */

#define CHUNK_BLOCKS 256u /* 4 KiB, stays in L1 */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum aes_impl { AES_OURS, AES_OSSL_BLOCK, AES_OSSL_BULK, AES_IMPLS };

static const char *const impl_key[AES_IMPLS] = {"ours_block", "ossl_block", "ossl_bulk"};

/* Encrypt @buf (CHUNK_BLOCKS blocks) in place, one way. Return 0 or 1 on an OpenSSL error. */
static int encrypt_chunk(enum aes_impl impl, const struct proto_aes128 *ours, EVP_CIPHER_CTX *ossl,
                         uint8_t *buf)
{
    int outl = 0;

    switch (impl) {
    case AES_OURS:
        for (size_t b = 0; b < CHUNK_BLOCKS; b++) {
            proto_aes128_encrypt(ours, buf + b * PROTO_AES_BLOCK, buf + b * PROTO_AES_BLOCK);
        }
        return 0;
    case AES_OSSL_BLOCK:
        for (size_t b = 0; b < CHUNK_BLOCKS; b++) {
            uint8_t *p = buf + b * PROTO_AES_BLOCK;

            if (EVP_EncryptUpdate(ossl, p, &outl, p, PROTO_AES_BLOCK) != 1) {
                return 1;
            }
        }
        return 0;
    case AES_OSSL_BULK:
        return EVP_EncryptUpdate(ossl, buf, &outl, buf, (int)(CHUNK_BLOCKS * PROTO_AES_BLOCK)) != 1;
    case AES_IMPLS:
        break;
    }
    return 1;
}

/* Blocks per second of @impl over one trial of about @secs. */
static double trial(enum aes_impl impl, const struct proto_aes128 *ours, EVP_CIPHER_CTX *ossl,
                    uint8_t *buf, double secs)
{
    double start = now_s();
    double elapsed;
    unsigned long blocks = 0;

    do {
        if (encrypt_chunk(impl, ours, ossl, buf) != 0) {
            return -1.0;
        }
        blocks += CHUNK_BLOCKS;
        elapsed = now_s() - start;
    } while (elapsed < secs);
    return (double)blocks / elapsed;
}

static int aes(double secs)
{
    static uint8_t buf[CHUNK_BLOCKS * PROTO_AES_BLOCK];
    uint8_t ref[PROTO_AES_BLOCK];
    struct proto_aes128 ours;
    EVP_CIPHER_CTX *ossl = EVP_CIPHER_CTX_new();
    double best[AES_IMPLS] = {0};
    const int trials = 7;
    int outl = 0;
    int rc = 1;

    if (ossl == NULL || EVP_EncryptInit_ex(ossl, EVP_aes_128_ecb(), NULL, appskey, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ossl, 0) != 1) {
        fprintf(stderr, "bench_proto: OpenSSL AES-128-ECB set-up failed\n");
        goto out;
    }
    proto_aes128_init(&ours, appskey);

    /* Both must compute the same cipher, or the comparison means nothing. */
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 29u + 7u);
    }
    proto_aes128_encrypt(&ours, buf, ref);
    if (EVP_EncryptUpdate(ossl, buf, &outl, buf, PROTO_AES_BLOCK) != 1 ||
        memcmp(ref, buf, PROTO_AES_BLOCK) != 0) {
        fprintf(stderr, "bench_proto: proto_aes128_encrypt and OpenSSL disagree\n");
        goto out;
    }

    /* Interleaved, so a burst of load from other users hits all three alike. */
    for (int t = 0; t < trials; t++) {
        for (int i = 0; i < AES_IMPLS; i++) {
            double r = trial((enum aes_impl)i, &ours, ossl, buf, secs);

            if (r < 0) {
                fprintf(stderr, "bench_proto: OpenSSL EVP_EncryptUpdate failed\n");
                goto out;
            }
            if (r > best[i]) {
                best[i] = r;
            }
        }
    }
    printf("openssl=%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("trials=%d\ntrial_ms=%.0f\nbulk_bytes=%u\n", trials, secs * 1e3,
           CHUNK_BLOCKS * PROTO_AES_BLOCK);
    for (int i = 0; i < AES_IMPLS; i++) {
        printf("%s=%.0f\n", impl_key[i], best[i]);
    }
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ossl);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        char *end;
        unsigned long n = strtoul(argv[3], &end, 10);

        if (*end != '\0' || n == 0) {
            fprintf(stderr, "bench_proto: bad count %s\n", argv[3]);
            return 2;
        }
        return run(argv[2], n);
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "aes") == 0) {
        double ms = argc == 3 ? strtod(argv[2], NULL) : 150.0;

        if (!(ms > 0 && ms < 10000)) {
            fprintf(stderr, "bench_proto: bad trial length %s\n", argv[2]);
            return 2;
        }
        return aes(ms / 1e3);
    }
    fprintf(stderr, "usage: bench_proto run gw1|gw8|node1|node8|aes-init|aes-block N\n"
                    "       bench_proto aes [TRIAL_MS]\n");
    return 2;
}
