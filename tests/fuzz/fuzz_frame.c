/* SPDX-License-Identifier: MIT
 * libFuzzer target for the gateway's path through a LoRaWAN data-up frame: parse, expand
 * the counter, verify the MIC, decrypt, decode TFP, and rebuild the frame with the node's
 * builder. The input is a bare PHYPayload; the device's last accepted counter is its
 * DevAddr, so one input fixes everything the MIC covers and crash files stay real frames.
 * Fields, MIC and keystream are checked against a model written from LoRaWAN 1.0.3
 * section 4 on top of the AES/CMAC primitives (not from frame.c). A custom mutator signs
 * most mutants with the fixed NwkSKey, so the verified path is fuzzed as well.
 * Keep the keys in step with tests/fuzz/make-corpus.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/aes.h"
#include "proto/cmac.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/tfp.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Distinct keys, so that using one where the other belongs shows up as a wrong byte. */
static const uint8_t nwkskey[PROTO_AES_KEY] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                               0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t appskey[PROTO_AES_KEY] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                               0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

/* MHDR bits 4..2. SPEC.md: "kept, ignored"; frame.h's struct comment says mhdr is 0x40 or
 * 0x80, and proto_uplink cannot set them, so such a frame cannot be rebuilt bit for bit. */
#define MHDR_RFU 0x1Cu

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Section 4.3.1.5: the counter nearest at or after @last whose low 16 bits are on air. */
static uint32_t ref_expand(uint32_t last, uint16_t fcnt16)
{
    return last + (uint16_t)(fcnt16 - (uint16_t)last);
}

/* B0 (section 4.4) and A_i (section 4.3.3.1) for an uplink: Dir = 0. */
static void ref_block(uint8_t blk[PROTO_AES_BLOCK], uint8_t tag, uint32_t devaddr, uint32_t fcnt,
                      uint8_t last)
{
    memset(blk, 0, PROTO_AES_BLOCK);
    blk[0] = tag;
    put_le32(blk + 6, devaddr);
    put_le32(blk + 10, fcnt);
    blk[15] = last;
}

/* MIC = first 4 bytes of CMAC(NwkSKey, B0 | MHDR..FRMPayload), computed one-shot over a
 * copy, unlike the builder's incremental CMAC. */
static void ref_mic(const uint8_t *phy, size_t len, uint32_t fcnt, uint8_t mic[4])
{
    uint8_t msg[PROTO_AES_BLOCK + PROTO_FRAME_MAX_LEN];
    uint8_t tag[PROTO_AES_BLOCK];
    size_t body = len - PROTO_FRAME_MIC_LEN;

    ref_block(msg, 0x49, le32(phy + 1), fcnt, (uint8_t)body);
    memcpy(msg + PROTO_AES_BLOCK, phy, body);
    proto_cmac(nwkskey, msg, PROTO_AES_BLOCK + body, tag);
    memcpy(mic, tag, 4);
}

/* FRMPayload XOR AES(key, A_i), i = 1, 2, ... (section 4.3.3.1). */
static void ref_crypt(const uint8_t key[PROTO_AES_KEY], uint32_t devaddr, uint32_t fcnt,
                      const uint8_t *in, size_t len, uint8_t *out)
{
    struct proto_aes128 aes;
    uint8_t a[PROTO_AES_BLOCK];

    proto_aes128_init(&aes, key);
    for (size_t i = 0; i < len; i++) {
        if (i % PROTO_AES_BLOCK == 0) {
            ref_block(a, 0x01, devaddr, fcnt, (uint8_t)(i / PROTO_AES_BLOCK + 1));
            proto_aes128_encrypt(&aes, a, a);
        }
        out[i] = (uint8_t)(in[i] ^ a[i % PROTO_AES_BLOCK]);
    }
}

/*
 * Every fault proto/SPEC.md section 1 names for @p, as a set of codes. The parser may look
 * in any order, so any member is an accepted answer; an empty set means the frame is well
 * formed and must parse. The MHDR RFU bits are no fault: SPEC.md keeps and ignores them.
 */
static unsigned parse_faults(const uint8_t *p, size_t len)
{
    unsigned set = 0;

    if (len < PROTO_FRAME_MIN_LEN) {
        set |= ERRBIT(PROTO_ETOOSHORT);
    }
    if (len > PROTO_FRAME_MAX_LEN) {
        set |= ERRBIT(PROTO_ETOOLONG);
    }
    if (len >= 1) {
        unsigned mtype = p[0] >> 5;

        if (mtype != 2 && mtype != 4) {
            set |= ERRBIT(PROTO_EMTYPE);
        }
        if ((p[0] & 0x03u) != 0) {
            set |= ERRBIT(PROTO_EMAJOR);
        }
    }
    if (len >= 6 && len < PROTO_FRAME_MIN_LEN + (p[5] & 0x0Fu)) {
        set |= ERRBIT(PROTO_ETOOSHORT);
    }
    /* FOpts and an FPort 0 after them (LoRaWAN 1.0.3 section 4.3.1.6). */
    if (len >= 6 && (p[5] & 0x0Fu) != 0 && len > PROTO_FRAME_MIN_LEN + (p[5] & 0x0Fu) &&
        p[8 + (p[5] & 0x0Fu)] == 0) {
        set |= ERRBIT(PROTO_EFOPTS);
    }
    return set;
}

/* The parsed fields must sit where section 4.1-4.3 puts them in @p. */
static void check_fields(const uint8_t *p, size_t len, const struct proto_frame *f)
{
    size_t fopts_len = p[5] & 0x0Fu;
    size_t port_at = 8 + fopts_len;

    CHECK(len >= PROTO_FRAME_MIN_LEN && len <= PROTO_FRAME_MAX_LEN);
    CHECK(f->phy == p && f->phy_len == len);
    CHECK(f->mhdr == p[0] && ((f->mhdr & ~MHDR_RFU) == PROTO_MHDR_UNCONFIRMED_UP ||
                              (f->mhdr & ~MHDR_RFU) == PROTO_MHDR_CONFIRMED_UP));
    CHECK(f->devaddr == le32(p + 1));
    CHECK(f->fctrl == p[5] && f->fopts_len == fopts_len);
    CHECK(fopts_len == 0 || f->fopts == p + 8);
    CHECK(f->fcnt16 == le16(p + 6));
    CHECK(f->has_fport == (len > PROTO_FRAME_MIN_LEN + fopts_len));
    if (f->has_fport) {
        CHECK(f->fport == p[port_at]);
        CHECK(f->frm_payload == p + port_at + 1);
        CHECK(f->frm_len == len - PROTO_FRAME_MIN_LEN - fopts_len - 1);
    } else {
        CHECK(f->frm_len == 0);
    }
    CHECK(memcmp(f->mic, p + len - PROTO_FRAME_MIC_LEN, PROTO_FRAME_MIC_LEN) == 0);
}

/* Decode the plaintext as TFP: a documented code, and on success an exact re-encode. */
static void check_tfp(uint8_t port, const uint8_t *plain, size_t len)
{
    const unsigned documented = ERRBIT(PROTO_EPORT) | ERRBIT(PROTO_ETOOSHORT) |
                                ERRBIT(PROTO_ETOOLONG) | ERRBIT(PROTO_EVERSION) |
                                ERRBIT(PROTO_ECOUNT) | ERRBIT(PROTO_ETRAILING) |
                                ERRBIT(PROTO_ERANGE); /* health version 2's learning fields */
    struct proto_tfp_msg msg;
    uint8_t *again;
    int rc;

    rc = proto_tfp_decode(port, plain, len, &msg);
    if (rc != PROTO_OK) {
        CHECK(rc < 0 && rc >= -31 && (documented & ERRBIT(rc)) != 0);
        return;
    }
    again = malloc(len);
    CHECK(again != NULL);
    CHECK(proto_tfp_encode(&msg, again, len) == (int)len);
    CHECK(memcmp(again, plain, len) == 0);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_frame f;
    struct proto_frame g;
    struct proto_uplink up;
    const uint8_t *key;
    uint8_t ref[PROTO_FRAME_MAX_LEN];
    uint8_t mic[PROTO_FRAME_MIC_LEN];
    uint8_t *plain;
    uint8_t *out;
    unsigned set = parse_faults(data, size);
    uint32_t fcnt32;
    int verified;
    int rc;

    rc = proto_frame_parse(data, size, &f);
    if (rc != PROTO_OK) {
        /* Refusing RFU bits as not-a-data-up-frame would also be a fair reading. */
        if (size > 0 && (data[0] & MHDR_RFU) != 0) {
            set |= ERRBIT(PROTO_EMTYPE);
        }
        CHECK(rc < 0 && rc >= -31 && (set & ERRBIT(rc)) != 0);
        CHECK(proto_strerror(rc) != NULL);
        return 0;
    }
    CHECK(set == 0);
    check_fields(data, size, &f);

    fcnt32 = proto_frame_fcnt_expand(f.devaddr, f.fcnt16);
    CHECK(fcnt32 == ref_expand(f.devaddr, f.fcnt16));
    CHECK((uint16_t)fcnt32 == f.fcnt16 && fcnt32 - f.devaddr <= 0xFFFFu);

    verified = proto_frame_verify(&f, nwkskey, fcnt32);
    CHECK(verified == PROTO_OK || verified == PROTO_EMIC);
    ref_mic(data, size, fcnt32, mic);
    CHECK((verified == PROTO_OK) == (memcmp(mic, f.mic, PROTO_FRAME_MIC_LEN) == 0));

    /* Decrypt into a block of exactly frm_len bytes, then check one byte short is refused. */
    key = f.has_fport && f.fport == 0 ? nwkskey : appskey;
    plain = malloc(f.frm_len > 0 ? f.frm_len : 1);
    CHECK(plain != NULL);
    rc = proto_frame_decrypt(&f, key, fcnt32, plain, f.frm_len);
    if (!f.has_fport) {
        CHECK(rc == PROTO_ENOPORT);
    } else {
        CHECK(rc == (int)f.frm_len);
        ref_crypt(key, f.devaddr, fcnt32, f.frm_payload, f.frm_len, ref);
        CHECK(memcmp(plain, ref, f.frm_len) == 0);
        if (f.frm_len > 0) {
            uint8_t *small = malloc(f.frm_len - 1 > 0 ? f.frm_len - 1 : 1);

            CHECK(small != NULL);
            CHECK(proto_frame_decrypt(&f, key, fcnt32, small, f.frm_len - 1) == PROTO_ENOSPC);
            free(small);
        }
        check_tfp(f.fport, plain, f.frm_len);
    }

    /* The node's builder, fed the parsed fields, must give back the input: exactly when the
     * MIC verified, and with only the MIC different when it did not. With MHDR RFU bits set
     * only the bytes between MHDR and MIC can match (see MHDR_RFU). */
    memset(&up, 0, sizeof(up));
    up.confirmed = (f.mhdr & ~MHDR_RFU) == PROTO_MHDR_CONFIRMED_UP;
    up.devaddr = f.devaddr;
    up.fcnt = fcnt32;
    up.fctrl_flags = (uint8_t)(f.fctrl & ~PROTO_FCTRL_FOPTS_LEN);
    up.fopts = f.fopts;
    up.fopts_len = f.fopts_len;
    up.has_fport = f.has_fport;
    up.fport = f.fport;
    up.payload = plain;
    up.payload_len = f.frm_len;
    out = malloc(size);
    CHECK(out != NULL);
    CHECK(proto_frame_build(&up, nwkskey, appskey, out, size) == (int)size);
    if ((f.mhdr & MHDR_RFU) == 0) {
        CHECK(memcmp(out, data, size - PROTO_FRAME_MIC_LEN) == 0);
        CHECK((memcmp(out + size - PROTO_FRAME_MIC_LEN, f.mic, PROTO_FRAME_MIC_LEN) == 0) ==
              (verified == PROTO_OK));
    } else {
        CHECK(out[0] == (f.mhdr & ~MHDR_RFU));
        CHECK(memcmp(out + 1, data + 1, size - 1 - PROTO_FRAME_MIC_LEN) == 0);
    }
    CHECK(proto_frame_parse(out, size, &g) == PROTO_OK);
    CHECK(proto_frame_verify(&g, nwkskey, fcnt32) == PROTO_OK);
    free(out);

    /* One byte short must be refused without a write past the block. */
    out = malloc(size - 1);
    CHECK(out != NULL);
    CHECK(proto_frame_build(&up, nwkskey, appskey, out, size - 1) == PROTO_ENOSPC);
    free(out);
    free(plain);
    return 0;
}

/*
 * Mutate as libFuzzer would, then give three mutants in four the MIC the fixed NwkSKey and
 * the DevAddr-derived counter produce: random bytes almost never carry a valid MIC, and
 * without this only the seeds would reach the verified-frame invariants.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 4 != 0 && size >= PROTO_FRAME_MIN_LEN && size <= PROTO_FRAME_MAX_LEN) {
        uint32_t fcnt32 = ref_expand(le32(data + 1), le16(data + 6));

        ref_mic(data, size, fcnt32, data + size - PROTO_FRAME_MIC_LEN);
    }
    return size;
}
