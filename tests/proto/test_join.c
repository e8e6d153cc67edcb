/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x joins (proto/join.h) against lora-packet, an implementation we did not write
 * (tests/vectors/lorawan_join_vectors.h, from gen-lorawan-join.js): our JoinRequest is
 * lora-packet's byte for byte and its MIC checks; our JoinAccept for the same fields is
 * lora-packet's encrypted one byte for byte, and decrypts back to them; the session keys are
 * lora-packet's. Then what must be refused is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/join.h"
#include "vectors/lorawan_join_vectors.h"

#define NVEC (sizeof(lorawan_join_vectors) / sizeof(lorawan_join_vectors[0]))

static void accept_of(const struct lorawan_join_vector *v, struct proto_join_accept *ja)
{
    memset(ja, 0, sizeof(*ja));
    ja->join_nonce = v->join_nonce;
    ja->net_id = v->net_id;
    ja->devaddr = v->devaddr;
    ja->dl_settings = v->dl_settings;
    ja->rx_delay = v->rx_delay;
    ja->has_cflist = v->has_cflist;
    memcpy(ja->cflist, v->cflist, sizeof(ja->cflist));
}

static void test_join_request_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        const struct lorawan_join_vector *v = &lorawan_join_vectors[i];
        struct proto_join_request jr = {v->joineui, v->deveui, v->devnonce};
        struct proto_join_request back;
        uint8_t buf[PROTO_JOIN_REQUEST_LEN];

        print_message("%s\n", v->name);
        assert_int_equal(proto_join_request_build(&jr, v->appkey, buf, sizeof(buf)), 23);
        assert_memory_equal(buf, v->request, 23);
        assert_int_equal(proto_join_request_parse(v->request, 23, &back), PROTO_OK);
        assert_true(back.joineui == v->joineui && back.deveui == v->deveui);
        assert_int_equal(back.devnonce, v->devnonce);
        assert_int_equal(proto_join_request_verify(v->request, 23, v->appkey), PROTO_OK);
    }
}

static void test_join_accept_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        const struct lorawan_join_vector *v = &lorawan_join_vectors[i];
        struct proto_join_accept ja;
        struct proto_join_accept back;
        uint8_t buf[PROTO_JOIN_ACCEPT_MAX_LEN];

        print_message("%s\n", v->name);
        accept_of(v, &ja);
        assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, sizeof(buf)),
                         (int)v->accept_len);
        assert_memory_equal(buf, v->accept, v->accept_len);
        assert_int_equal(proto_join_accept_parse(v->accept, v->accept_len, v->appkey, &back),
                         PROTO_OK);
        assert_memory_equal(&back, &ja, sizeof(ja));
    }
}

static void test_join_session_key_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        const struct lorawan_join_vector *v = &lorawan_join_vectors[i];
        uint8_t nwk[16];
        uint8_t app[16];

        print_message("%s\n", v->name);
        proto_join_session_keys(v->appkey, v->join_nonce, v->net_id, v->devnonce, nwk, app);
        assert_memory_equal(nwk, v->nwkskey, 16);
        assert_memory_equal(app, v->appskey, 16);
    }
}

/* Every bit of a JoinRequest is under its MIC, and so is every bit of a JoinAccept after
 * the MHDR's (a flipped ciphertext bit garbles a whole block); the wrong key fails too. */
static void test_join_mic_refused(void **state)
{
    const struct lorawan_join_vector *v = &lorawan_join_vectors[1];
    struct proto_join_accept ja;
    uint8_t other[16];
    uint8_t buf[PROTO_JOIN_ACCEPT_MAX_LEN];

    (void)state;
    for (size_t bit = 0; bit < 8 * 23; bit++) {
        memcpy(buf, v->request, 23);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(proto_join_request_verify(buf, 23, v->appkey), PROTO_EMIC);
    }
    for (size_t bit = 8; bit < 8 * v->accept_len; bit++) {
        memcpy(buf, v->accept, v->accept_len);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(proto_join_accept_parse(buf, v->accept_len, v->appkey, &ja), PROTO_EMIC);
    }
    memcpy(other, v->appkey, 16);
    other[15] ^= 1u;
    assert_int_equal(proto_join_request_verify(v->request, 23, other), PROTO_EMIC);
    assert_int_equal(proto_join_accept_parse(v->accept, v->accept_len, other, &ja), PROTO_EMIC);
}

static void test_join_malformed_refused(void **state)
{
    const struct lorawan_join_vector *v = &lorawan_join_vectors[0];
    struct proto_join_request jr;
    struct proto_join_accept ja;
    uint8_t buf[40];

    (void)state;
    assert_int_equal(proto_join_request_parse(v->request, 22, &jr), PROTO_ETOOSHORT);
    memcpy(buf, v->request, 23);
    buf[23] = 0;
    assert_int_equal(proto_join_request_parse(buf, 24, &jr), PROTO_ETOOLONG);
    buf[0] = 0x40; /* a data up */
    assert_int_equal(proto_join_request_parse(buf, 23, &jr), PROTO_EMTYPE);
    buf[0] = 0x01; /* Major 1 */
    assert_int_equal(proto_join_request_parse(buf, 23, &jr), PROTO_EMAJOR);
    assert_int_equal(proto_join_request_verify(buf, 22, v->appkey), PROTO_EINVAL);

    assert_int_equal(proto_join_accept_parse(v->accept, 16, v->appkey, &ja), PROTO_ETOOSHORT);
    memcpy(buf, v->accept, 17);
    assert_int_equal(proto_join_accept_parse(buf, 25, v->appkey, &ja), PROTO_ETOOLONG);
    buf[0] = 0x00; /* a JoinRequest's MHDR */
    assert_int_equal(proto_join_accept_parse(buf, 17, v->appkey, &ja), PROTO_EMTYPE);
    buf[0] = 0x22;
    assert_int_equal(proto_join_accept_parse(buf, 17, v->appkey, &ja), PROTO_EMAJOR);
}

static void test_join_accept_build_refuses(void **state)
{
    const struct lorawan_join_vector *v = &lorawan_join_vectors[0];
    struct proto_join_accept ja;
    uint8_t buf[PROTO_JOIN_ACCEPT_MAX_LEN];
    struct proto_join_request jr = {1, 2, 3};

    (void)state;
    accept_of(v, &ja);
    ja.join_nonce = 0x1000000u;
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, sizeof(buf)), PROTO_EINVAL);
    accept_of(v, &ja);
    ja.net_id = 0x1000000u;
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, sizeof(buf)), PROTO_EINVAL);
    accept_of(v, &ja);
    ja.dl_settings = 0x80u;
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, sizeof(buf)), PROTO_EINVAL);
    accept_of(v, &ja);
    ja.rx_delay = 16;
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, sizeof(buf)), PROTO_EINVAL);
    accept_of(v, &ja);
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, 16), PROTO_ENOSPC);
    ja.has_cflist = true;
    assert_int_equal(proto_join_accept_build(&ja, v->appkey, buf, 32), PROTO_ENOSPC);
    assert_int_equal(proto_join_request_build(&jr, v->appkey, buf, 22), PROTO_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_request_vectors),
        cmocka_unit_test(test_join_accept_vectors),
        cmocka_unit_test(test_join_session_key_vectors),
        cmocka_unit_test(test_join_mic_refused),
        cmocka_unit_test(test_join_malformed_refused),
        cmocka_unit_test(test_join_accept_build_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
