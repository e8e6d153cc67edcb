/* SPDX-License-Identifier: MIT
 * Writes the fuzz seed corpora: DIR/fuzz_frame/ (PHYPayloads) and DIR/fuzz_tfp/ (FPort byte
 * + plaintext), a few valid inputs and a few that are wrong in exactly one way each.
 * Frames are framed here and encrypted/signed with OpenSSL, not with proto/, so a seed that
 * proto/ refuses points at a disagreement rather than carrying proto/'s own mistake.
 * Usage: cc -std=c11 -o make-corpus tests/fuzz/make-corpus.c -lcrypto
 *        rm -rf tests/fuzz/corpus && ./make-corpus tests/fuzz/corpus
 * fuzz_frame takes a device's last counter to be its DevAddr: seeds use DevAddr + delta.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* The same keys as tests/fuzz/fuzz_frame.c. */
static const uint8_t nwkskey[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t appskey[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static const char *outdir;

static void die(const char *what)
{
    fprintf(stderr, "make-corpus: %s failed\n", what);
    exit(1);
}

static void write_file(const char *sub, const char *name, const uint8_t *buf, size_t len)
{
    char path[4096];
    FILE *f;

    if (snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name) >= (int)sizeof(path)) {
        die("path length");
    }
    f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        die(path);
    }
}

static void make_dir(const char *sub)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s%s%s", outdir, sub[0] != '\0' ? "/" : "", sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        die(path);
    }
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void aes_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;

    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 || EVP_EncryptUpdate(ctx, out, &n, in, 16) != 1 ||
        n != 16) {
        die("AES-128-ECB");
    }
    EVP_CIPHER_CTX_free(ctx);
}

static void cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t tag[16])
{
    char cipher[] = "AES-128-CBC";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    size_t n = 0;

    if (ctx == NULL || EVP_MAC_init(ctx, key, 16, params) != 1 ||
        EVP_MAC_update(ctx, msg, len) != 1 || EVP_MAC_final(ctx, tag, &n, 16) != 1 || n != 16) {
        die("AES-CMAC");
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

/* B0 / A_i of LoRaWAN 1.0.3 sections 4.4 and 4.3.3.1, uplink (Dir 0). */
static void block(uint8_t b[16], uint8_t tag, uint32_t devaddr, uint32_t fcnt, uint8_t last)
{
    memset(b, 0, 16);
    b[0] = tag;
    put_le32(b + 6, devaddr);
    put_le32(b + 10, fcnt);
    b[15] = last;
}

struct seed_frame {
    uint8_t mhdr;
    uint32_t devaddr;
    uint16_t delta; /* fcnt32 = devaddr + delta, see the file header */
    uint8_t fctrl_flags;
    const uint8_t *fopts;
    uint8_t fopts_len;
    int has_port;
    uint8_t port;
    const uint8_t *plain;
    size_t plain_len;
};

/* Frame, encrypt and sign one uplink into @buf (at least 256 bytes); return its length. */
static size_t frame(const struct seed_frame *s, uint8_t *buf)
{
    uint32_t fcnt = s->devaddr + s->delta;
    uint8_t mac_in[16 + 256];
    uint8_t tag[16];
    size_t pos = 0;

    buf[pos++] = s->mhdr;
    put_le32(buf + pos, s->devaddr);
    pos += 4;
    buf[pos++] = (uint8_t)(s->fctrl_flags | s->fopts_len);
    buf[pos++] = (uint8_t)fcnt;
    buf[pos++] = (uint8_t)(fcnt >> 8);
    if (s->fopts_len > 0) {
        memcpy(buf + pos, s->fopts, s->fopts_len);
        pos += s->fopts_len;
    }
    if (s->has_port) {
        const uint8_t *key = s->port == 0 ? nwkskey : appskey;
        uint8_t a[16];

        buf[pos++] = s->port;
        for (size_t i = 0; i < s->plain_len; i++) {
            if (i % 16 == 0) {
                block(a, 0x01, s->devaddr, fcnt, (uint8_t)(i / 16 + 1));
                aes_block(key, a, a);
            }
            buf[pos++] = (uint8_t)(s->plain[i] ^ a[i % 16]);
        }
    }
    block(mac_in, 0x49, s->devaddr, fcnt, (uint8_t)pos);
    memcpy(mac_in + 16, buf, pos);
    cmac(nwkskey, mac_in, 16 + pos, tag);
    memcpy(buf + pos, tag, 4);
    return pos + 4;
}

/* TFP v1 payloads (ARCHITECTURE.md): header 0x20 | n, then 6-byte records. */
static const uint8_t det1[] = {0x21, 1, 230, 12, 0, 4, 18};
/* Header 0x28 (version 1, 8 records), then class, confidence, age_s (LE), duration, level. */
static const uint8_t det8[] = {
    0x28,                       /* version 1, n = 8 */
    1,    230, 12, 0, 4,   18,  /* elephant, 12 s ago */
    1,    200, 40, 0, 9,   11,  /* elephant, 40 s ago */
    2,    128, 0,  1, 255, 255, /* whale, age 256 s, saturated duration and level */
    4,    255, 1,  0, 255, 5,   /* human */
    7,    99,  7,  0, 3,   6,   /* ship */
    6,    250, 1,  0, 1,   40,  /* gunshot */
    5,    10,  0,  0, 200, 2,   /* vehicle */
    3,    77,  0,  1, 0,   30,  /* machine_anomaly */
};
static const uint8_t health[] = {1,    0x74, 0x0e, 0xe9, 0x10, 0x0e, 0, 0,
                                 0x2a, 0,    3,    0x40, 0x02, 5,    0, 1};
static const uint8_t anomaly[] = {1, 60, 4, 90, 210, 7, 0x84, 0x03};
static const uint8_t det_v2[] = {0x41, 1, 230, 12, 0, 4, 18};
static const uint8_t det_trailing[] = {0x21, 1, 230, 12, 0, 4, 18, 0};
static const uint8_t det_count0[] = {0x20};
static const uint8_t det_short[] = {0x22, 1, 230, 12, 0, 4, 18, 5, 100};
static const uint8_t mac_cmds[] = {0x02, 0x06};
static const uint8_t fopts3[] = {0x02, 0x03, 0x07};

static void frame_seeds(void)
{
    static uint8_t big[242];
    struct seed_frame s[] = {
        {0x40, 0x26011F00, 5, 0, NULL, 0, 1, 1, det1, sizeof(det1)},
        /* 0x0000FFF0 + 0x12 carries into the counter's high half. */
        {0x80, 0x0000FFF0, 0x12, 0x80, NULL, 0, 1, 1, det8, sizeof(det8)},
        {0x40, 0x01020304, 1, 0, fopts3, sizeof(fopts3), 1, 2, health, sizeof(health)},
        {0x40, 0x26011F00, 9, 0x20, NULL, 0, 1, 3, anomaly, sizeof(anomaly)},
        {0x40, 0x26011F00, 6, 0, NULL, 0, 1, 0, mac_cmds, sizeof(mac_cmds)},
        {0x40, 0x26011F00, 7, 0, mac_cmds, sizeof(mac_cmds), 0, 0, NULL, 0},
        {0x40, 0x26011F00, 8, 0, NULL, 0, 1, 1, NULL, 0},
        {0x40, 0xFFFFFFF0, 0x0F, 0, NULL, 0, 1, 100, big, sizeof(big)},
        {0x40, 0x26011F00, 10, 0, NULL, 0, 1, 1, det_v2, sizeof(det_v2)},
        {0x40, 0x26011F00, 11, 0, NULL, 0, 1, 1, det_trailing, sizeof(det_trailing)},
        /* MHDR RFU bits set: a data-up MType that proto_uplink could not reproduce. */
        {0x44, 0x26011F00, 12, 0, NULL, 0, 1, 1, det1, sizeof(det1)},
    };
    static const char *const names[] = {
        "det1",         "det8-confirmed-adr-wrap", "health-fopts",  "anomaly-ack",
        "port0-mac",    "empty-fopts-only",        "port1-empty",   "max-255-port100",
        "det-version2", "det-trailing-byte",       "mhdr-rfu-bits",
    };
    uint8_t buf[256];
    size_t len;

    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i * 37u);
    }
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        len = frame(&s[i], buf);
        write_file("fuzz_frame", names[i], buf, len);
    }

    /* Wrong in one way each, starting from the first seed. */
    len = frame(&s[0], buf);
    buf[len - 1] ^= 0x01;
    write_file("fuzz_frame", "bad-mic", buf, len);
    buf[len - 1] ^= 0x01;
    write_file("fuzz_frame", "short-11", buf, 11);
    buf[0] = 0x41;
    write_file("fuzz_frame", "major-1", buf, len);
    buf[0] = 0x00;
    write_file("fuzz_frame", "join-request", buf, 23 < len ? 23 : len);
    s[0].fopts_len = 15;
    s[0].fopts = big;
    s[0].has_port = 0;
    len = frame(&s[0], buf);
    write_file("fuzz_frame", "fopts15-truncated", buf, len - 5);
    memset(buf, 0x40, 256);
    write_file("fuzz_frame", "too-long-256", buf, 256);
}

static void tfp_seed(const char *name, uint8_t port, const uint8_t *p, size_t len)
{
    uint8_t buf[64];

    buf[0] = port;
    if (len > 0) {
        memcpy(buf + 1, p, len);
    }
    write_file("fuzz_tfp", name, buf, len + 1);
}

static void tfp_seeds(void)
{
    uint8_t det9[1 + 9 * 6];
    uint8_t h17[17];

    memset(det9, 0x11, sizeof(det9));
    det9[0] = 0x29;
    memcpy(h17, health, sizeof(health));
    h17[16] = 0;

    tfp_seed("det1", 1, det1, sizeof(det1));
    tfp_seed("det8", 1, det8, sizeof(det8));
    tfp_seed("health", 2, health, sizeof(health));
    tfp_seed("anomaly", 3, anomaly, sizeof(anomaly));
    tfp_seed("det-count0", 1, det_count0, sizeof(det_count0));
    tfp_seed("det-count9", 1, det9, sizeof(det9));
    tfp_seed("det-version2", 1, det_v2, sizeof(det_v2));
    tfp_seed("det-trailing", 1, det_trailing, sizeof(det_trailing));
    tfp_seed("det-short", 1, det_short, sizeof(det_short));
    tfp_seed("health-short", 2, health, sizeof(health) - 1);
    tfp_seed("health-long", 2, h17, sizeof(h17));
    tfp_seed("anomaly-long", 3, health, 9);
    tfp_seed("port0-mac", 0, mac_cmds, sizeof(mac_cmds));
    tfp_seed("port4", 4, anomaly, sizeof(anomaly));
    tfp_seed("port1-empty", 1, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-corpus DIR\n");
        return 2;
    }
    outdir = argv[1];
    make_dir("");
    make_dir("fuzz_frame");
    make_dir("fuzz_tfp");
    frame_seeds();
    tfp_seeds();
    return 0;
}
