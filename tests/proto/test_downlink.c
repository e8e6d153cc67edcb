/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x data-down frames (proto_frame_build_down(), proto_frame_parse_down(), and
 * verify/decrypt with Dir = 1) and node commands against lora-packet, an implementation we
 * did not write (tests/vectors/lorawan_down_vectors.h, from gen-lorawan-down.js): the frames
 * must come out byte for byte as lora-packet builds them, and take apart again; the command
 * payloads inside them must be the bytes SPEC.md section 9 spells out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/command.h"
#include "proto/frame.h"
#include "vectors/lorawan_down_vectors.h"

#define GUARD 0xA5u

static void expect_int(const char *name, const char *what, long long got, long long want)
{
    if (got != want) {
        fail_msg("%s: %s is %lld, want %lld", name, what, got, want);
    }
}

static void expect_bytes(const char *name, const char *what, const uint8_t *got,
                         const uint8_t *want, size_t len)
{
    if (len != 0 && memcmp(got, want, len) != 0) {
        fail_msg("%s: %s differs", name, what);
    }
}

static void downlink_of(const struct lorawan_down_vector *v, struct proto_downlink *dn)
{
    memset(dn, 0, sizeof(*dn));
    dn->confirmed = v->confirmed;
    dn->devaddr = v->devaddr;
    dn->fcnt = v->fcnt;
    dn->fctrl_flags = v->fctrl_flags;
    dn->fopts = v->fopts_len > 0 ? v->fopts : NULL;
    dn->fopts_len = v->fopts_len;
    dn->has_fport = v->has_fport;
    dn->fport = v->fport;
    dn->payload = v->payload_len > 0 ? v->payload : NULL;
    dn->payload_len = v->payload_len;
}

static void test_down_vectors_coverage(void **state)
{
    bool ack = false;
    bool fpending = false;
    bool confirmed = false;
    bool no_fport = false;
    bool upper_bits = false;
    unsigned ops = 0;

    (void)state;
    for (size_t i = 0; i < LORAWAN_DOWN_VECTORS_COUNT; i++) {
        const struct lorawan_down_vector *v = &lorawan_down_vectors[i];

        ack |= (v->fctrl_flags & PROTO_FCTRL_ACK) != 0;
        fpending |= (v->fctrl_flags & PROTO_FCTRL_FPENDING) != 0;
        confirmed |= v->confirmed;
        no_fport |= !v->has_fport;
        upper_bits |= (v->fcnt >> 16) != 0;
    }
    for (size_t i = 0; i < LORAWAN_DOWN_COMMANDS_COUNT; i++) {
        ops |= 1u << lorawan_down_commands[i].cmd.op;
    }
    assert_true(ack && fpending && confirmed && no_fport && upper_bits);
    assert_int_equal(ops, 0xFE); /* every op 1..7 */
}

static void test_build_down_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_DOWN_VECTORS_COUNT; i++) {
        const struct lorawan_down_vector *v = &lorawan_down_vectors[i];
        struct proto_downlink dn;
        uint8_t buf[PROTO_FRAME_MAX_LEN];
        int n;

        downlink_of(v, &dn);
        memset(buf, GUARD, sizeof(buf));
        n = proto_frame_build_down(&dn, v->nwkskey, v->appskey, buf, sizeof(buf));
        expect_int(v->name, "build length", n, (long long)v->phy_len);
        expect_bytes(v->name, "PHYPayload", buf, v->phy, v->phy_len);
        expect_int(v->name, "guard", buf[v->phy_len], GUARD);

        n = proto_frame_build_down(&dn, v->nwkskey, v->appskey, buf, v->phy_len - 1);
        expect_int(v->name, "build, cap one short", n, PROTO_ENOSPC);
    }
}

static void test_parse_down_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_DOWN_VECTORS_COUNT; i++) {
        const struct lorawan_down_vector *v = &lorawan_down_vectors[i];
        const uint8_t *key = v->fport == 0 ? v->nwkskey : v->appskey;
        struct proto_frame f;
        uint8_t phy[sizeof(v->phy)];
        uint8_t out[PROTO_FRAME_MAX_LEN];
        int n;

        expect_int(v->name, "parse_down", proto_frame_parse_down(v->phy, v->phy_len, &f), PROTO_OK);
        /* The uplink parser does not take a downlink: a node's own frames are not its input. */
        expect_int(v->name, "parse (up)", proto_frame_parse(v->phy, v->phy_len, &f), PROTO_EMTYPE);
        expect_int(v->name, "parse_down", proto_frame_parse_down(v->phy, v->phy_len, &f), PROTO_OK);
        expect_int(v->name, "mhdr", f.mhdr,
                   v->confirmed ? PROTO_MHDR_CONFIRMED_DOWN : PROTO_MHDR_UNCONFIRMED_DOWN);
        expect_int(v->name, "devaddr", f.devaddr, v->devaddr);
        expect_int(v->name, "fctrl", f.fctrl, v->fctrl_flags | v->fopts_len);
        expect_int(v->name, "fcnt16", f.fcnt16, v->fcnt & 0xFFFFu);
        expect_int(v->name, "has_fport", f.has_fport, v->has_fport);
        expect_int(v->name, "verify", proto_frame_verify(&f, v->nwkskey, v->fcnt), PROTO_OK);
        expect_int(v->name, "verify, other upper bits",
                   proto_frame_verify(&f, v->nwkskey, v->fcnt ^ 0x00010000u), PROTO_EMIC);

        /* Every byte the MIC covers, and the MIC, one bit at a time (MHDR swaps confirmed and
         * unconfirmed, FCtrl loses ADR, so the frame keeps its shape). */
        for (size_t j = 0; j < v->phy_len; j++) {
            uint8_t bit = (uint8_t)(1u << (j % 8));

            if (j == 0) {
                bit = PROTO_MHDR_UNCONFIRMED_DOWN ^ PROTO_MHDR_CONFIRMED_DOWN;
            } else if (j == 5) {
                bit = PROTO_FCTRL_ADR;
            } else if (v->fopts_len > 0 && j == 8u + v->fopts_len) {
                bit = 0x80; /* keeps FPort off 0, which beside FOpts is refused earlier */
            }
            memcpy(phy, v->phy, v->phy_len);
            phy[j] ^= bit;
            expect_int(v->name, "parse_down, flipped bit",
                       proto_frame_parse_down(phy, v->phy_len, &f), PROTO_OK);
            expect_int(v->name, "verify, flipped bit", proto_frame_verify(&f, v->nwkskey, v->fcnt),
                       PROTO_EMIC);
        }

        expect_int(v->name, "parse_down", proto_frame_parse_down(v->phy, v->phy_len, &f), PROTO_OK);
        n = proto_frame_decrypt(&f, key, v->fcnt, out, sizeof(out));
        if (!v->has_fport) {
            expect_int(v->name, "decrypt without FPort", n, PROTO_ENOPORT);
            continue;
        }
        expect_int(v->name, "decrypt length", n, (long long)v->payload_len);
        expect_bytes(v->name, "plaintext", out, v->payload, v->payload_len);
    }
}

/* The commands inside the vectors decode to what gen-lorawan-down.js meant, and encode back. */
static void test_command_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LORAWAN_DOWN_COMMANDS_COUNT; i++) {
        const struct lorawan_down_command *c = &lorawan_down_commands[i];
        const char *name = proto_cmd_name(c->cmd.op);
        struct proto_cmd got;
        uint8_t buf[PROTO_CMD_MAX_LEN + 1]; /* room for one trailing byte */
        int n;

        assert_non_null(name);
        expect_int(name, "decode", proto_cmd_decode(c->bytes, c->len, &got), PROTO_OK);
        expect_int(name, "seq", got.seq, c->cmd.seq);
        expect_int(name, "op", got.op, c->cmd.op);
        expect_bytes(name, "arguments", (const uint8_t *)&got.u, (const uint8_t *)&c->cmd.u,
                     sizeof(got.u));
        n = proto_cmd_encode(&c->cmd, buf, sizeof(buf));
        expect_int(name, "encode length", n, (long long)c->len);
        expect_bytes(name, "encoded", buf, c->bytes, c->len);
        expect_int(name, "op by name", proto_cmd_op_of(name), c->cmd.op);
        /* One byte short or one too many: refused whole, with the seq kept for the answer. */
        expect_int(name, "truncated", proto_cmd_decode(c->bytes, c->len - 1, &got),
                   PROTO_ETOOSHORT);
        if (c->len > PROTO_CMD_HDR_LEN) {
            expect_int(name, "truncated seq", got.seq, c->cmd.seq);
        }
        memcpy(buf, c->bytes, c->len);
        buf[c->len] = 0;
        expect_int(name, "trailing", proto_cmd_decode(buf, c->len + 1, &got), PROTO_ETRAILING);
        expect_int(name, "trailing seq", got.seq, c->cmd.seq);
    }
    for (size_t i = 0; i < LORAWAN_DOWN_VECTORS_COUNT; i++) {
        const struct lorawan_down_vector *v = &lorawan_down_vectors[i];
        struct proto_cmd got;

        if (v->command < 0) {
            continue;
        }
        expect_int(v->name, "fport", v->fport, PROTO_CMD_PORT);
        expect_int(v->name, "command in frame", proto_cmd_decode(v->payload, v->payload_len, &got),
                   PROTO_OK);
        expect_int(v->name, "seq in frame", got.seq, lorawan_down_commands[v->command].cmd.seq);
    }
}

static void test_build_down_errors(void **state)
{
    static const uint8_t key[PROTO_AES_KEY] = {1};
    static const uint8_t fopts[1] = {0x06};
    struct proto_downlink dn;
    uint8_t buf[PROTO_FRAME_MAX_LEN];

    (void)state;
    memset(&dn, 0, sizeof(dn));
    dn.devaddr = 0x26011F00u;
    assert_int_equal(proto_frame_build_down(NULL, key, key, buf, sizeof(buf)), PROTO_EINVAL);
    assert_int_equal(proto_frame_build_down(&dn, key, key, NULL, sizeof(buf)), PROTO_EINVAL);
    dn.fctrl_flags = PROTO_FCTRL_DOWN_RFU;
    assert_int_equal(proto_frame_build_down(&dn, key, key, buf, sizeof(buf)), PROTO_EINVAL);
    dn.fctrl_flags = PROTO_FCTRL_ACK;
    dn.has_fport = true;
    dn.fport = 0;
    dn.fopts = fopts;
    dn.fopts_len = 1;
    assert_int_equal(proto_frame_build_down(&dn, key, key, buf, sizeof(buf)), PROTO_EFOPTS);
    dn.has_fport = false;
    assert_int_equal(proto_frame_build_down(&dn, key, key, buf, sizeof(buf)), 13);
    /* An uplink is not a downlink. */
    buf[0] = PROTO_MHDR_CONFIRMED_UP;
    {
        struct proto_frame f;

        assert_int_equal(proto_frame_parse_down(buf, 13, &f), PROTO_EMTYPE);
        assert_int_equal(proto_frame_parse_down(buf, 11, &f), PROTO_ETOOSHORT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_down_vectors_coverage), cmocka_unit_test(test_build_down_vectors),
        cmocka_unit_test(test_parse_down_vectors),    cmocka_unit_test(test_command_vectors),
        cmocka_unit_test(test_build_down_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
