/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x data-up frames (proto/src/frame.c) against frames built by lora-packet, an
 * implementation we did not write (tests/vectors/lorawan_vectors.h, from gen-lorawan.js):
 * build must give their bytes exactly, parse/verify/decrypt must take them apart again. Then
 * hand-written frames for every refusal, the 32-bit counter reconstruction, and a fixed-seed
 * build -> parse -> verify -> decrypt round trip over random inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/frame.h"
#include "proto/tfp.h"
#include "vectors/lorawan_vectors.h"

#define GUARD      0xA5u /* fill byte that build must leave alone past @cap */
#define FOPTS_OFF  8u    /* MHDR + FHDR without FOpts */
#define MAX_FOPTS  15u
#define MAX_PLAIN  242u /* 255 - MHDR - FHDR - FPort - MIC */
#define ROUNDTRIPS 1000

static void expect_int(const char *name, const char *what, long long got, long long want)
{
    if (got != want) {
        fail_msg("%s: %s is %lld, want %lld", name, what, got, want);
    }
}

static void print_hex(const char *label, const uint8_t *p, size_t len)
{
    print_error("  %s:", label);
    for (size_t i = 0; i < len; i++) {
        print_error(" %02x", p[i]);
    }
    print_error("\n");
}

static void expect_bytes(const char *name, const char *what, const uint8_t *got,
                         const uint8_t *want, size_t len)
{
    /* memcmp on a NULL pointer is undefined even for 0 bytes; frames without FPort have one. */
    if (len == 0 || memcmp(got, want, len) == 0) {
        return;
    }
    print_hex("got ", got, len);
    print_hex("want", want, len);
    fail_msg("%s: %s differs", name, what);
}

static void uplink_of(const struct lorawan_vector *v, struct proto_uplink *up)
{
    memset(up, 0, sizeof(*up));
    up->confirmed = v->confirmed;
    up->devaddr = v->devaddr;
    up->fcnt = v->fcnt;
    up->fctrl_flags = v->fctrl_flags;
    up->fopts = v->fopts_len > 0 ? v->fopts : NULL;
    up->fopts_len = v->fopts_len;
    up->has_fport = v->has_fport;
    up->fport = v->fport;
    up->payload = v->payload_len > 0 ? v->payload : NULL;
    up->payload_len = v->payload_len;
}

static const uint8_t *payload_key(const struct lorawan_vector *v)
{
    /* LoRaWAN 1.0.3 section 4.3.3: FPort 0 carries MAC commands under NwkSKey. */
    return v->fport == 0 ? v->nwkskey : v->appskey;
}

static void parse_vector(const struct lorawan_vector *v, struct proto_frame *f)
{
    expect_int(v->name, "proto_frame_parse()", proto_frame_parse(v->phy, v->phy_len, f), PROTO_OK);
}

/* --- the lora-packet vectors ----------------------------------------------------------- */

/* The table must keep covering what it was made for, whatever a regeneration changes. */
static void test_lorawan_vectors_coverage(void **state)
{
    static const uint32_t counters[] = {0, 1, 0xFFFF, 0x10000, 0x12345678, 0xFFFFFFFF};
    static const size_t lengths[] = {1, 15, 16, 17, 32, 33};
    static const uint8_t fopts_lens[] = {0, 1, 15};
    static const uint8_t flags[] = {PROTO_FCTRL_ADR, PROTO_FCTRL_ADR_ACK_REQ, PROTO_FCTRL_ACK};
    unsigned seen_port = 0;
    bool confirmed = false;
    bool unconfirmed = false;
    bool no_fport = false;

    (void)state;
    print_message("%zu vectors from %s\n", LORAWAN_VECTORS_COUNT, LORAWAN_VECTORS_SOURCE);
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];

        confirmed |= v->confirmed;
        unconfirmed |= !v->confirmed;
        no_fport |= !v->has_fport;
        if (v->has_fport && v->fport <= 3) {
            seen_port |= 1u << v->fport;
        }
    }
    assert_true(confirmed && unconfirmed && no_fport);
    assert_int_equal(seen_port, 0xF);
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        bool found = false;
        for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
            found |= lorawan_vectors[i].fcnt == counters[c];
        }
        assert_true(found);
    }
    for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
        bool found = false;
        for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
            found |= lorawan_vectors[i].has_fport && lorawan_vectors[i].payload_len == lengths[l];
        }
        assert_true(found);
    }
    for (size_t o = 0; o < sizeof(fopts_lens); o++) {
        bool found = false;
        for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
            found |= lorawan_vectors[i].fopts_len == fopts_lens[o];
        }
        assert_true(found);
    }
    for (size_t b = 0; b < sizeof(flags); b++) {
        bool found = false;
        for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
            found |= (lorawan_vectors[i].fctrl_flags & flags[b]) != 0;
        }
        assert_true(found);
    }
}

static void test_proto_frame_build_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];
        struct proto_uplink up;
        uint8_t buf[PROTO_FRAME_MAX_LEN + 16];
        int n;

        uplink_of(v, &up);

        /* Roomy buffer, then one of exactly the frame's size. */
        memset(buf, GUARD, sizeof(buf));
        n = proto_frame_build(&up, v->nwkskey, v->appskey, buf, sizeof(buf));
        expect_int(v->name, "build length", n, (long long)v->phy_len);
        expect_bytes(v->name, "PHYPayload", buf, v->phy, v->phy_len);

        memset(buf, GUARD, sizeof(buf));
        n = proto_frame_build(&up, v->nwkskey, v->appskey, buf, v->phy_len);
        expect_int(v->name, "build length, exact cap", n, (long long)v->phy_len);
        expect_bytes(v->name, "PHYPayload, exact cap", buf, v->phy, v->phy_len);
        expect_int(v->name, "guard after exact cap", buf[v->phy_len], GUARD);

        /* One byte short: refused, and nothing written at or past @cap. */
        memset(buf, GUARD, sizeof(buf));
        n = proto_frame_build(&up, v->nwkskey, v->appskey, buf, v->phy_len - 1);
        expect_int(v->name, "build, cap one short", n, PROTO_ENOSPC);
        for (size_t j = v->phy_len - 1; j < sizeof(buf); j++) {
            expect_int(v->name, "guard byte", buf[j], GUARD);
        }
    }
}

static void test_proto_frame_parse_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];
        const size_t mic_off = v->phy_len - PROTO_FRAME_MIC_LEN;
        struct proto_frame f;

        parse_vector(v, &f);
        assert_ptr_equal(f.phy, v->phy);
        expect_int(v->name, "phy_len", (long long)f.phy_len, (long long)v->phy_len);
        expect_int(v->name, "mhdr", f.mhdr,
                   v->confirmed ? PROTO_MHDR_CONFIRMED_UP : PROTO_MHDR_UNCONFIRMED_UP);
        expect_int(v->name, "devaddr", f.devaddr, v->devaddr);
        expect_int(v->name, "fctrl", f.fctrl, v->fctrl_flags | v->fopts_len);
        expect_int(v->name, "fopts_len", f.fopts_len, v->fopts_len);
        expect_int(v->name, "fcnt16", f.fcnt16, v->fcnt & 0xFFFFu);
        if (v->fopts_len > 0) {
            assert_ptr_equal(f.fopts, v->phy + FOPTS_OFF);
            expect_bytes(v->name, "fopts", f.fopts, v->fopts, v->fopts_len);
        }
        expect_int(v->name, "has_fport", f.has_fport, v->has_fport);
        if (v->has_fport) {
            expect_int(v->name, "fport", f.fport, v->fport);
            assert_ptr_equal(f.frm_payload, v->phy + FOPTS_OFF + v->fopts_len + 1);
        }
        expect_int(v->name, "frm_len", (long long)f.frm_len, (long long)v->payload_len);
        expect_bytes(v->name, "mic", f.mic, v->phy + mic_off, PROTO_FRAME_MIC_LEN);
    }
}

static void expect_emic(const struct lorawan_vector *v, const char *what, const uint8_t *phy,
                        const uint8_t nwkskey[PROTO_AES_KEY], uint32_t fcnt32)
{
    struct proto_frame f;

    expect_int(v->name, what, proto_frame_parse(phy, v->phy_len, &f), PROTO_OK);
    expect_int(v->name, what, proto_frame_verify(&f, nwkskey, fcnt32), PROTO_EMIC);
}

static void test_proto_frame_verify_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];
        struct proto_frame f;
        uint8_t phy[LORAWAN_VECTOR_MAX_PHY];
        uint8_t key[PROTO_AES_KEY];

        parse_vector(v, &f);
        expect_int(v->name, "verify", proto_frame_verify(&f, v->nwkskey, v->fcnt), PROTO_OK);

        /* Every byte the MIC covers, and the MIC itself, one bit at a time. FCtrl loses its
         * ADR bit rather than a FOptsLen bit, which would change the frame's shape. MHDR swaps
         * unconfirmed and confirmed, the only change that keeps it a data-up frame. */
        for (size_t j = 0; j < v->phy_len; j++) {
            uint8_t bit = (uint8_t)(1u << (j % 8));

            if (j == 0) {
                bit = PROTO_MHDR_UNCONFIRMED_UP | PROTO_MHDR_CONFIRMED_UP;
            } else if (j == 5) {
                bit = PROTO_FCTRL_ADR;
            } else if (f.fopts_len > 0 && j == 8u + f.fopts_len && (v->phy[j] ^ bit) == 0) {
                bit = 0x80; /* FPort 0 beside FOpts is refused before the MIC (EFOPTS) */
            }
            memcpy(phy, v->phy, v->phy_len);
            phy[j] ^= bit;
            expect_emic(v, "verify, flipped bit", phy, v->nwkskey, v->fcnt);
        }

        memcpy(key, v->nwkskey, sizeof(key));
        key[0] ^= 0x01;
        expect_emic(v, "verify, wrong NwkSKey", v->phy, key, v->fcnt);
        memcpy(key, v->nwkskey, sizeof(key));
        key[15] ^= 0x80;
        expect_emic(v, "verify, wrong NwkSKey", v->phy, key, v->fcnt);
        if (memcmp(v->nwkskey, v->appskey, PROTO_AES_KEY) != 0) {
            expect_emic(v, "verify, AppSKey for NwkSKey", v->phy, v->appskey, v->fcnt);
        }

        /* The 16 counter bits not on air are in B0 all the same. */
        expect_emic(v, "verify, upper counter bit 16", v->phy, v->nwkskey, v->fcnt ^ 0x00010000u);
        expect_emic(v, "verify, upper counter bit 31", v->phy, v->nwkskey, v->fcnt ^ 0x80000000u);
        if ((v->fcnt >> 16) != 0) {
            expect_emic(v, "verify, upper counter bits 0", v->phy, v->nwkskey, v->fcnt & 0xFFFFu);
        }
    }
}

static void test_proto_frame_decrypt_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];
        struct proto_frame f;
        uint8_t out[LORAWAN_VECTOR_MAX_PAYLOAD];
        int n;

        parse_vector(v, &f);
        n = proto_frame_decrypt(&f, payload_key(v), v->fcnt, out, sizeof(out));
        if (!v->has_fport) {
            expect_int(v->name, "decrypt without FPort", n, PROTO_ENOPORT);
            continue;
        }
        expect_int(v->name, "decrypt length", n, (long long)v->payload_len);
        expect_bytes(v->name, "plaintext", out, v->payload, v->payload_len);

        n = proto_frame_decrypt(&f, payload_key(v), v->fcnt, out, v->payload_len);
        expect_int(v->name, "decrypt, exact cap", n, (long long)v->payload_len);
        if (v->payload_len == 0) {
            continue;
        }
        n = proto_frame_decrypt(&f, payload_key(v), v->fcnt, out, v->payload_len - 1);
        expect_int(v->name, "decrypt, cap one short", n, PROTO_ENOSPC);

        /* The keystream depends on the upper counter bits too (A_i blocks). Four bytes or more,
         * so that an accidental match (2^-32) cannot make this test flaky by construction. */
        if (v->payload_len >= 4) {
            n = proto_frame_decrypt(&f, payload_key(v), v->fcnt ^ 0x00010000u, out, sizeof(out));
            expect_int(v->name, "decrypt, other upper bits", n, (long long)v->payload_len);
            if (memcmp(out, v->payload, v->payload_len) == 0) {
                fail_msg("%s: keystream ignores the upper counter bits", v->name);
            }
        }
    }
}

/* The TFP payloads in the vectors are real messages, not just bytes of the right length. */
static void test_proto_tfp_decode_vector_payloads(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_VECTORS_COUNT; i++) {
        const struct lorawan_vector *v = &lorawan_vectors[i];
        struct proto_tfp_msg msg;

        if (!v->tfp) {
            continue;
        }
        expect_int(v->name, "proto_tfp_decode()",
                   proto_tfp_decode(v->fport, v->payload, v->payload_len, &msg), PROTO_OK);
        expect_int(v->name, "TFP port", msg.port, v->fport);
    }
}

/* --- hand-written frames ---------------------------------------------------------------- */

struct parse_error_case {
    const char *name;
    size_t len;
    uint8_t phy[24];
    int want;
};

static const struct parse_error_case parse_errors[] = {
    {"empty", 0, {0}, PROTO_ETOOSHORT},
    {"11 bytes: MIC cut short",
     11,
     {
         0x40,                   /* MHDR: unconfirmed data up, Major R1 */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr 0x26011F00, little-endian */
         0x00,                   /* FCtrl: no flags, FOptsLen 0 */
         0x01, 0x00,             /* FCnt 1 */
         0xAA, 0xBB, 0xCC,       /* MIC: one byte missing */
     },
     PROTO_ETOOSHORT},
    {"FOptsLen 1 in a 12-byte frame",
     12,
     {
         0x40,                   /* MHDR: unconfirmed data up */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x01,                   /* FCtrl: FOptsLen 1, but no byte left for it */
         0x01, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_ETOOSHORT},
    {"FOptsLen 15 with 3 FOpts bytes",
     15,
     {
         0x80,                   /* MHDR: confirmed data up */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x8F,                   /* FCtrl: ADR, FOptsLen 15 */
         0x02, 0x00,             /* FCnt */
         0x03, 0x07, 0x02,       /* FOpts: only 3 of the announced 15 */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_ETOOSHORT},
    {"join request",
     23,
     {
         0x00,                                           /* MHDR: MType 000 join request */
         0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* AppEUI */
         0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* DevEUI */
         0x34, 0x12,                                     /* DevNonce */
         0xAA, 0xBB, 0xCC, 0xDD,                         /* MIC */
     },
     PROTO_EMTYPE},
    {"join accept",
     17,
     {
         0x20,                               /* MHDR: MType 001 join accept */
         0x01, 0x02, 0x03, 0x13, 0x00, 0x00, /* AppNonce, NetID (encrypted, as on air) */
         0x00, 0x1F, 0x01, 0x26, 0x00, 0x01, /* DevAddr, DLSettings, RxDelay */
         0xAA, 0xBB, 0xCC, 0xDD,             /* MIC */
     },
     PROTO_EMTYPE},
    {"unconfirmed data down",
     12,
     {
         0x60,                   /* MHDR: MType 011 unconfirmed data down */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x20,                   /* FCtrl: ACK */
         0x05, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_EMTYPE},
    {"confirmed data down",
     12,
     {
         0xA0,                   /* MHDR: MType 101 confirmed data down */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x00,                   /* FCtrl */
         0x05, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_EMTYPE},
    {"rejoin request",
     19,
     {
         0xC0,                                           /* MHDR: MType 110 rejoin (1.1) */
         0x00,                                           /* rejoin type 0 */
         0x13, 0x00, 0x00,                               /* NetID */
         0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* DevEUI */
         0x01, 0x00,                                     /* RJcount0 */
         0xAA, 0xBB, 0xCC, 0xDD,                         /* MIC */
     },
     PROTO_EMTYPE},
    {"proprietary",
     12,
     {
         0xE0,                                     /* MHDR: MType 111 proprietary */
         0x00, 0x1F, 0x01, 0x26, 0x00, 0x05, 0x00, /* whatever the vendor wants */
         0xAA, 0xBB, 0xCC, 0xDD,                   /* MIC */
     },
     PROTO_EMTYPE},
    {"Major 1",
     12,
     {
         0x41,                   /* MHDR: unconfirmed data up, Major 01 (RFU) */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x00,                   /* FCtrl */
         0x01, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_EMAJOR},
    {"Major 2",
     12,
     {
         0x82,                   /* MHDR: confirmed data up, Major 10 (RFU) */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x00,                   /* FCtrl */
         0x01, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_EMAJOR},
    {"Major 3",
     12,
     {
         0x43,                   /* MHDR: unconfirmed data up, Major 11 (RFU) */
         0x00, 0x1F, 0x01, 0x26, /* DevAddr */
         0x00,                   /* FCtrl */
         0x01, 0x00,             /* FCnt */
         0xAA, 0xBB, 0xCC, 0xDD, /* MIC */
     },
     PROTO_EMAJOR},
};

static void test_proto_frame_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        const struct parse_error_case *c = &parse_errors[i];
        struct proto_frame f;

        expect_int(c->name, "proto_frame_parse()", proto_frame_parse(c->phy, c->len, &f), c->want);
    }
}

static void test_proto_frame_parse_too_long(void **state)
{
    uint8_t phy[PROTO_FRAME_MAX_LEN + 1];
    struct proto_frame f;

    (void)state;
    /* A well-formed header in front of one byte more than any LoRa radio carries. */
    memset(phy, 0x5A, sizeof(phy));
    phy[0] = PROTO_MHDR_UNCONFIRMED_UP;
    phy[5] = 0x00; /* FCtrl: FOptsLen 0, so byte 8 is FPort */
    assert_int_equal(proto_frame_parse(phy, sizeof(phy), &f), PROTO_ETOOLONG);
    /* The same bytes one shorter are the largest legal frame. */
    assert_int_equal(proto_frame_parse(phy, PROTO_FRAME_MAX_LEN, &f), PROTO_OK);
    assert_int_equal(f.frm_len, PROTO_FRAME_MAX_LEN - 13);
}

static void test_proto_frame_parse_null(void **state)
{
    static const uint8_t phy[12] = {0x40};
    struct proto_frame f;

    (void)state;
    assert_int_equal(proto_frame_parse(NULL, sizeof(phy), &f), PROTO_EINVAL);
    assert_int_equal(proto_frame_parse(phy, sizeof(phy), NULL), PROTO_EINVAL);
}

static void test_proto_frame_parse_no_fport(void **state)
{
    static const uint8_t phy[] = {
        0x40,                   /* MHDR: unconfirmed data up */
        0x00, 0x1F, 0x01, 0x26, /* DevAddr 0x26011F00 */
        0xC0,                   /* FCtrl: ADR, ADRACKReq, FOptsLen 0 */
        0x34, 0x12,             /* FCnt 0x1234 */
        0xDE, 0xAD, 0xBE, 0xEF, /* MIC: not checked here */
    };
    static const uint8_t key[PROTO_AES_KEY] = {0};
    struct proto_frame f;
    uint8_t out[16];

    (void)state;
    assert_int_equal(proto_frame_parse(phy, sizeof(phy), &f), PROTO_OK);
    assert_int_equal(f.mhdr, PROTO_MHDR_UNCONFIRMED_UP);
    assert_int_equal(f.devaddr, 0x26011F00u);
    assert_int_equal(f.fctrl, PROTO_FCTRL_ADR | PROTO_FCTRL_ADR_ACK_REQ);
    assert_int_equal(f.fopts_len, 0);
    assert_int_equal(f.fcnt16, 0x1234);
    assert_false(f.has_fport);
    assert_int_equal(f.frm_len, 0);
    assert_memory_equal(f.mic, phy + 8, PROTO_FRAME_MIC_LEN);
    assert_int_equal(proto_frame_decrypt(&f, key, 0x1234, out, sizeof(out)), PROTO_ENOPORT);
}

static void test_proto_frame_parse_fopts_no_fport(void **state)
{
    static const uint8_t phy[] = {
        0x80,                   /* MHDR: confirmed data up */
        0x00, 0x1F, 0x01, 0x26, /* DevAddr */
        0x21,                   /* FCtrl: ACK, FOptsLen 1 */
        0xFF, 0xFF,             /* FCnt 0xFFFF */
        0x02,                   /* FOpts: LinkCheckReq */
        0xDE, 0xAD, 0xBE, 0xEF, /* MIC */
    };
    static const uint8_t key[PROTO_AES_KEY] = {0};
    struct proto_frame f;
    uint8_t out[16];

    (void)state;
    assert_int_equal(proto_frame_parse(phy, sizeof(phy), &f), PROTO_OK);
    assert_int_equal(f.fctrl, PROTO_FCTRL_ACK | 1);
    assert_int_equal(f.fopts_len, 1);
    assert_ptr_equal(f.fopts, phy + 8);
    assert_int_equal(f.fcnt16, 0xFFFF);
    assert_false(f.has_fport);
    assert_int_equal(f.frm_len, 0);
    assert_memory_equal(f.mic, phy + 9, PROTO_FRAME_MIC_LEN);
    assert_int_equal(proto_frame_decrypt(&f, key, 0xFFFF, out, sizeof(out)), PROTO_ENOPORT);
}

static void test_proto_frame_parse_fport_empty_payload(void **state)
{
    static const uint8_t phy[] = {
        0x40,                   /* MHDR: unconfirmed data up */
        0x00, 0x1F, 0x01, 0x26, /* DevAddr */
        0x00,                   /* FCtrl */
        0x07, 0x00,             /* FCnt 7 */
        0x02,                   /* FPort 2, FRMPayload empty */
        0xDE, 0xAD, 0xBE, 0xEF, /* MIC */
    };
    static const uint8_t key[PROTO_AES_KEY] = {0};
    struct proto_frame f;
    uint8_t out[1];

    (void)state;
    assert_int_equal(proto_frame_parse(phy, sizeof(phy), &f), PROTO_OK);
    assert_true(f.has_fport);
    assert_int_equal(f.fport, 2);
    assert_int_equal(f.frm_len, 0);
    assert_int_equal(proto_frame_decrypt(&f, key, 7, out, 0), 0);
}

/* LoRaWAN 1.0.3 section 4.3.1.6: MAC commands in FOpts and in an FPort 0 payload together make
 * a frame a receiver ignores; so parse refuses it, and build never makes one. FOpts with an
 * application port, and FPort 0 without FOpts, stay valid. */
static void test_proto_frame_fopts_with_fport0(void **state)
{
    static const uint8_t both[] = {
        0x40,                   /* MHDR: unconfirmed data up */
        0x00, 0x1F, 0x01, 0x26, /* DevAddr 0x26011F00 */
        0x01,                   /* FCtrl: FOptsLen 1 */
        0x07, 0x00,             /* FCnt 7 */
        0x02,                   /* FOpts: LinkCheckReq */
        0x00,                   /* FPort 0: MAC commands... */
        0x5A,                   /* ...in the FRMPayload too */
        0xDE, 0xAD, 0xBE, 0xEF, /* MIC: not checked here */
    };
    static const uint8_t both_empty[] = {
        0x40, 0x00, 0x1F, 0x01, 0x26, /* MHDR, DevAddr */
        0x02,                         /* FCtrl: FOptsLen 2 */
        0x07, 0x00,                   /* FCnt 7 */
        0x02, 0x02,                   /* FOpts: two LinkCheckReq */
        0x00,                         /* FPort 0, FRMPayload empty */
        0xDE, 0xAD, 0xBE, 0xEF,       /* MIC */
    };
    static const uint8_t nwkskey[PROTO_AES_KEY] = {1, 2, 3};
    static const uint8_t appskey[PROTO_AES_KEY] = {4, 5, 6};
    static const uint8_t fopts[] = {0x02};
    static const uint8_t mac[] = {0x02};
    struct proto_uplink up = {
        .devaddr = 0x26011F00u,
        .fcnt = 7,
        .fopts = fopts,
        .fopts_len = sizeof(fopts),
        .has_fport = true,
        .fport = 0,
        .payload = mac,
        .payload_len = sizeof(mac),
    };
    uint8_t buf[PROTO_FRAME_MAX_LEN];
    uint8_t other[sizeof(both)];
    struct proto_frame f;

    (void)state;
    assert_int_equal(proto_frame_parse(both, sizeof(both), &f), PROTO_EFOPTS);
    assert_int_equal(proto_frame_parse(both_empty, sizeof(both_empty), &f), PROTO_EFOPTS);
    assert_string_not_equal(proto_strerror(PROTO_EFOPTS), "unknown error");
    /* The same bytes with FPort 1: FOpts beside an application payload are fine. */
    memcpy(other, both, sizeof(both));
    other[9] = 0x01;
    assert_int_equal(proto_frame_parse(other, sizeof(other), &f), PROTO_OK);
    assert_int_equal(f.fport, 1);
    assert_int_equal(f.fopts_len, 1);
    memset(buf, GUARD, sizeof(buf));
    assert_int_equal(proto_frame_build(&up, nwkskey, appskey, buf, sizeof(buf)), PROTO_EFOPTS);
    assert_int_equal(buf[0], GUARD);
    /* FPort 0 alone, and FOpts with FPort 1, build and parse back. */
    up.fopts_len = 0;
    assert_int_equal(proto_frame_build(&up, nwkskey, appskey, buf, sizeof(buf)), 14);
    assert_int_equal(proto_frame_parse(buf, 14, &f), PROTO_OK);
    up.fopts_len = sizeof(fopts);
    up.fport = 1;
    assert_int_equal(proto_frame_build(&up, nwkskey, appskey, buf, sizeof(buf)), 15);
    assert_int_equal(proto_frame_parse(buf, 15, &f), PROTO_OK);
}

struct build_error_case {
    const char *name;
    uint8_t fopts_len;
    bool has_fport;
    size_t payload_len;
    size_t cap;
    int want;
};

static const struct build_error_case build_errors[] = {
    {"fopts_len 16", 16, true, 1, 300, PROTO_EINVAL},
    {"fopts_len 255", 255, false, 0, 300, PROTO_EINVAL},
    {"payload without FPort", 0, false, 3, 300, PROTO_EINVAL},
    {"256 bytes: payload 243", 0, true, MAX_PLAIN + 1, 300, PROTO_ETOOLONG},
    {"256 bytes: FOpts 15, payload 228", 15, true, MAX_PLAIN - 15 + 1, 300, PROTO_ETOOLONG},
    {"payload 300", 0, true, 300, 400, PROTO_ETOOLONG},
    {"cap 0", 0, false, 0, 0, PROTO_ENOSPC},
    {"cap 11 for 12", 0, false, 0, 11, PROTO_ENOSPC},
    {"cap 12 for 13", 0, true, 0, 12, PROTO_ENOSPC},
    {"cap 40 for 57", 15, true, 29, 40, PROTO_ENOSPC},
    {"cap 254 for 255", 0, true, MAX_PLAIN, 254, PROTO_ENOSPC},
};

static void test_proto_frame_build_errors(void **state)
{
    static const uint8_t nwkskey[PROTO_AES_KEY] = {1, 2, 3};
    static const uint8_t appskey[PROTO_AES_KEY] = {4, 5, 6};
    static uint8_t fopts[255];
    static uint8_t payload[400];
    static uint8_t buf[512];

    (void)state;
    memset(fopts, 0x02, sizeof(fopts));
    memset(payload, 0x33, sizeof(payload));
    for (size_t i = 0; i < sizeof(build_errors) / sizeof(build_errors[0]); i++) {
        const struct build_error_case *c = &build_errors[i];
        struct proto_uplink up = {
            .devaddr = 0x26011F00u,
            .fcnt = 0x00012345u,
            .fopts = fopts,
            .fopts_len = c->fopts_len,
            .has_fport = c->has_fport,
            .fport = 1,
            .payload = payload,
            .payload_len = c->payload_len,
        };

        memset(buf, GUARD, sizeof(buf));
        expect_int(c->name, "proto_frame_build()",
                   proto_frame_build(&up, nwkskey, appskey, buf, c->cap), c->want);
        for (size_t j = c->cap; j < sizeof(buf); j++) {
            expect_int(c->name, "guard byte", buf[j], GUARD);
        }
    }
}

struct fcnt_case {
    uint32_t last;
    uint16_t fcnt16;
    uint32_t want;
};

static const struct fcnt_case fcnt_cases[] = {
    {0x00000000u, 0x0000, 0x00000000u}, /* equal: replay of the first frame */
    {0x00000000u, 0x0001, 0x00000001u}, /* next */
    {0x00000005u, 0x0005, 0x00000005u}, /* equal: replay */
    {0x00000005u, 0x0006, 0x00000006u},
    {0x00001234u, 0x2000, 0x00002000u}, /* same window, a gap */
    {0x0000FFFFu, 0x0000, 0x00010000u}, /* low 16 bits wrap into the next 65536 block */
    {0x0001FFFEu, 0xFFFF, 0x0001FFFFu},
    {0x0001FFF0u, 0x0010, 0x00020010u}, /* wrap with a gap */
    {0x0000000Au, 0x0005, 0x00010005u}, /* an old counter reads as far ahead: the gap refuses it */
    {0x12345678u, 0x5679, 0x12345679u},
    {0x12345678u, 0x5678, 0x12345678u}, /* equal: replay */
    {0x12345678u, 0x5677, 0x12355677u}, /* one behind is 65535 ahead */
    {0xFFFF0000u, 0x0001, 0xFFFF0001u},
    {0xFFFF0000u, 0x4000, 0xFFFF4000u}, /* exactly PROTO_FCNT_MAX_GAP ahead */
    {0xFFFEFFFFu, 0x0000, 0xFFFF0000u}, /* wrap into the last block */
    {0xFFFFFFFEu, 0xFFFF, 0xFFFFFFFFu}, /* the last counter there is */
    {0xFFFFFFFFu, 0xFFFF, 0xFFFFFFFFu}, /* equal: replay */
    {0xFFFFFFFFu, 0x0000, 0x00000000u}, /* 32-bit wrap: below @last, the caller refuses */
    {0xFFFF8000u, 0x7FFF, 0x00007FFFu}, /* 32-bit wrap */
};

static void test_proto_frame_fcnt_expand_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fcnt_cases) / sizeof(fcnt_cases[0]); i++) {
        const struct fcnt_case *c = &fcnt_cases[i];
        uint32_t got = proto_frame_fcnt_expand(c->last, c->fcnt16);

        if (got != c->want) {
            fail_msg("last 0x%08x, fcnt16 0x%04x: got 0x%08x, want 0x%08x", (unsigned)c->last,
                     (unsigned)c->fcnt16, (unsigned)got, (unsigned)c->want);
        }
    }
}

/* --- round trip --------------------------------------------------------------------------- */

/* xorshift32 (Marsaglia 2003); a fixed seed makes a failure repeat. */
static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void random_bytes(uint32_t *s, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)xorshift32(s);
    }
}

static void test_proto_frame_build_roundtrip(void **state)
{
    uint32_t seed = 0x7F4A7C15u;

    (void)state;
    for (int it = 0; it < ROUNDTRIPS; it++) {
        uint8_t nwkskey[PROTO_AES_KEY];
        uint8_t appskey[PROTO_AES_KEY];
        uint8_t fopts[MAX_FOPTS];
        uint8_t payload[MAX_PLAIN];
        uint8_t phy[PROTO_FRAME_MAX_LEN];
        uint8_t out[MAX_PLAIN];
        struct proto_uplink up;
        struct proto_frame f;
        size_t want_len;
        char name[32];
        int n;

        snprintf(name, sizeof(name), "iteration %d", it);
        random_bytes(&seed, nwkskey, sizeof(nwkskey));
        random_bytes(&seed, appskey, sizeof(appskey));
        memset(&up, 0, sizeof(up));
        up.confirmed = (xorshift32(&seed) & 1u) != 0;
        up.devaddr = xorshift32(&seed);
        /* Half the counters near a 65536 boundary, where the upper bits change. */
        up.fcnt = xorshift32(&seed);
        if ((it & 1) != 0) {
            up.fcnt = (up.fcnt & 0xFFFF0000u) | (0xFFFEu + (xorshift32(&seed) & 3u));
        }
        up.fctrl_flags = (uint8_t)(xorshift32(&seed) & 0xF0u);
        up.fopts_len = (uint8_t)(xorshift32(&seed) % (MAX_FOPTS + 1));
        random_bytes(&seed, fopts, up.fopts_len);
        up.fopts = fopts;
        up.has_fport = (xorshift32(&seed) % 8u) != 0;
        up.fport = (uint8_t)xorshift32(&seed);
        if ((it % 5) == 0) {
            up.fport = 0;
        }
        if (up.has_fport) {
            up.payload_len = xorshift32(&seed) % (MAX_PLAIN - up.fopts_len + 1);
        }
        random_bytes(&seed, payload, up.payload_len);
        up.payload = payload;
        want_len = FOPTS_OFF + up.fopts_len + (up.has_fport ? 1 + up.payload_len : 0) +
                   PROTO_FRAME_MIC_LEN;

        n = proto_frame_build(&up, nwkskey, appskey, phy, sizeof(phy));
        if (up.has_fport && up.fport == 0 && up.fopts_len > 0) {
            expect_int(name, "build FOpts with FPort 0", n, PROTO_EFOPTS);
            continue;
        }
        expect_int(name, "build length", n, (long long)want_len);
        expect_int(name, "parse", proto_frame_parse(phy, (size_t)n, &f), PROTO_OK);
        expect_int(name, "mhdr", f.mhdr,
                   up.confirmed ? PROTO_MHDR_CONFIRMED_UP : PROTO_MHDR_UNCONFIRMED_UP);
        expect_int(name, "devaddr", f.devaddr, up.devaddr);
        expect_int(name, "fctrl", f.fctrl, up.fctrl_flags | up.fopts_len);
        expect_int(name, "fcnt16", f.fcnt16, up.fcnt & 0xFFFFu);
        expect_bytes(name, "fopts", f.fopts, fopts, up.fopts_len);
        expect_int(name, "has_fport", f.has_fport, up.has_fport);
        expect_int(name, "frm_len", (long long)f.frm_len, (long long)up.payload_len);
        /* The gateway's path: the counter comes back from its 16 low bits and the last one. */
        expect_int(name, "fcnt_expand", proto_frame_fcnt_expand(up.fcnt - 1u, f.fcnt16), up.fcnt);
        expect_int(name, "verify", proto_frame_verify(&f, nwkskey, up.fcnt), PROTO_OK);
        n = proto_frame_decrypt(&f, up.fport == 0 ? nwkskey : appskey, up.fcnt, out, sizeof(out));
        if (!up.has_fport) {
            expect_int(name, "decrypt without FPort", n, PROTO_ENOPORT);
            continue;
        }
        expect_int(name, "fport", f.fport, up.fport);
        expect_int(name, "decrypt length", n, (long long)up.payload_len);
        expect_bytes(name, "plaintext", out, payload, up.payload_len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lorawan_vectors_coverage),
        cmocka_unit_test(test_proto_frame_build_vectors),
        cmocka_unit_test(test_proto_frame_parse_vectors),
        cmocka_unit_test(test_proto_frame_verify_vectors),
        cmocka_unit_test(test_proto_frame_decrypt_vectors),
        cmocka_unit_test(test_proto_tfp_decode_vector_payloads),
        cmocka_unit_test(test_proto_frame_parse_errors),
        cmocka_unit_test(test_proto_frame_parse_too_long),
        cmocka_unit_test(test_proto_frame_parse_null),
        cmocka_unit_test(test_proto_frame_parse_no_fport),
        cmocka_unit_test(test_proto_frame_parse_fopts_no_fport),
        cmocka_unit_test(test_proto_frame_parse_fport_empty_payload),
        cmocka_unit_test(test_proto_frame_fopts_with_fport0),
        cmocka_unit_test(test_proto_frame_build_errors),
        cmocka_unit_test(test_proto_frame_fcnt_expand_table),
        cmocka_unit_test(test_proto_frame_build_roundtrip),
    };

    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
