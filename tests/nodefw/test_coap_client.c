/* SPDX-License-Identifier: MIT
 * The CoAP CON client (RFC 7252): the request's bytes, the retransmission schedule with its
 * exponential back-off and random factor, and each kind of answer: piggybacked 2.04, empty
 * ACK then a separate response, 4.xx, 5.03 with Max-Age, Reset, strays and garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/coap_client.h"
#include "node_fake_hal.h"

static const uint8_t frame[4] = {0x40, 0x01, 0x02, 0x03};

static void test_coap_client_encode_post_bytes(void **state)
{
    static const uint8_t token[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    static const uint8_t want[] = {
        0x44,                   /* Ver 1, T CON (0), TKL 4 */
        0x02,                   /* Code 0.02 POST */
        0x12, 0x34,             /* Message ID 0x1234 */
        0xA1, 0xB2, 0xC3, 0xD4, /* Token */
        0xB2, 'u',  'p',        /* Uri-Path (11): delta 11, length 2, "up" */
        0x11, 0x2A,             /* Content-Format (12): delta 1, length 1, 42 */
        0xFF,                   /* payload marker */
        0x40, 0x01, 0x02, 0x03, /* the frame */
    };
    uint8_t buf[64];

    (void)state;
    assert_int_equal(coap_client_encode_post(buf, sizeof(buf), 0x1234, token, frame, 4),
                     sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(coap_client_encode_post(buf, sizeof(want) - 1, 0x1234, token, frame, 4),
                     COAP_CLIENT_EINVAL);
}

static uint16_t mid_of(const struct fake_sent *s)
{
    return (uint16_t)((s->buf[2] << 8) | s->buf[3]);
}

/* An answer to the request in @req: type, code, same mid (ACK) or @mid, its token. */
static void answer(struct fake_hal *f, const struct fake_sent *req, uint8_t type, uint8_t code,
                   uint16_t mid, const uint8_t *opts, size_t optlen)
{
    uint8_t m[32];
    size_t i = 0;

    m[i++] = (uint8_t)(0x40 | (type << 4) | 4);
    m[i++] = code;
    m[i++] = (uint8_t)(mid >> 8);
    m[i++] = (uint8_t)mid;
    memcpy(&m[i], &req->buf[4], 4);
    i += 4;
    if (optlen > 0) {
        memcpy(&m[i], opts, optlen);
        i += optlen;
    }
    fake_deliver(f, m, i);
}

/* No answer at all: 1 + 4 transmissions at 0, T, 3T, 7T, 15T, failure at 31T, where T is
 * the initial timeout, random in [2000, 3000] ms. */
static void test_coap_client_poll_retransmission_schedule(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    uint64_t t0 = 5000;
    uint32_t tmo;
    int res = COAP_CLIENT_PENDING;
    int i;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    f.now_ms = t0;
    assert_int_equal(coap_client_post(&c, t0, frame, sizeof(frame)), 0);
    assert_int_equal(coap_client_post(&c, t0, frame, sizeof(frame)), COAP_CLIENT_EBUSY);
    tmo = c.timeout_ms;
    assert_true(tmo >= 2000u && tmo <= 3000u);
    /* Step the clock 1 ms at a time: each send must happen exactly when due. */
    while (res == COAP_CLIENT_PENDING && f.now_ms < t0 + 200000u) {
        f.now_ms++;
        res = coap_client_poll(&c, f.now_ms);
    }
    assert_int_equal(res, COAP_CLIENT_TIMEOUT);
    assert_int_equal(f.now_ms, t0 + 31u * tmo);
    assert_int_equal(f.nsent, 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(f.sent[i].t_ms, t0 + ((1u << i) - 1u) * tmo);
        /* A retransmission is the same message: same id, same token, same bytes. */
        assert_int_equal(f.sent[i].len, f.sent[0].len);
        assert_memory_equal(f.sent[i].buf, f.sent[0].buf, f.sent[0].len);
    }
    assert_true(31u * tmo <= COAP_CLIENT_MAX_TRANSMIT_WAIT_MS);
    assert_int_equal(c.retransmissions, 4);
    assert_int_equal(c.timeouts, 1);
    assert_false(coap_client_busy(&c));
}

/* The initial timeout varies with the random generator and stays within its bounds. */
static void test_coap_client_post_random_timeout(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    uint32_t lo = UINT32_MAX;
    uint32_t hi = 0;
    int i;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    for (i = 0; i < 200; i++) {
        assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
        lo = c.timeout_ms < lo ? c.timeout_ms : lo;
        hi = c.timeout_ms > hi ? c.timeout_ms : hi;
        c.state = COAP_CLIENT_IDLE;
        f.nsent = 0;
    }
    assert_true(lo >= 2000u && hi <= 3000u && hi - lo > 500u);
}

static void test_coap_client_poll_piggybacked_204(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
    /* A stray ACK with another id changes nothing. */
    answer(&f, &f.sent[0], 2, 0x44, (uint16_t)(mid_of(&f.sent[0]) + 1u), NULL, 0);
    assert_int_equal(coap_client_poll(&c, 10), COAP_CLIENT_PENDING);
    assert_int_equal(c.unexpected, 1);
    answer(&f, &f.sent[0], 2, 0x44, mid_of(&f.sent[0]), NULL, 0); /* ACK 2.04 */
    assert_int_equal(coap_client_poll(&c, 20), COAP_CLIENT_DELIVERED);
    assert_int_equal(c.delivered, 1);
    assert_false(coap_client_busy(&c));
    /* Nothing more is sent, even long after. */
    assert_int_equal(coap_client_poll(&c, 100000), COAP_CLIENT_PENDING);
    assert_int_equal(f.nsent, 1);
}

/* Empty ACK, then the response as a CON of its own: the client ACKs it with its mid. */
static void test_coap_client_poll_separate_response(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
    fake_deliver(&f, (const uint8_t[]){0x60, 0x00, f.sent[0].buf[2], f.sent[0].buf[3]}, 4);
    assert_int_equal(coap_client_poll(&c, 100), COAP_CLIENT_PENDING);
    assert_int_equal(c.state, COAP_CLIENT_WAIT_SEPARATE);
    /* No retransmission while waiting for the separate response. */
    assert_int_equal(coap_client_poll(&c, 60000), COAP_CLIENT_PENDING);
    assert_int_equal(f.nsent, 1);
    answer(&f, &f.sent[0], 0, 0x44, 0x7777, NULL, 0);
    assert_int_equal(coap_client_poll(&c, 61000), COAP_CLIENT_DELIVERED);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(f.sent[1].len, 4);
    assert_int_equal(f.sent[1].buf[0], 0x60); /* ACK, TKL 0 */
    assert_int_equal(f.sent[1].buf[1], 0x00); /* empty */
    assert_int_equal(mid_of(&f.sent[1]), 0x7777);
}

static void test_coap_client_poll_separate_response_times_out(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
    fake_deliver(&f, (const uint8_t[]){0x60, 0x00, f.sent[0].buf[2], f.sent[0].buf[3]}, 4);
    assert_int_equal(coap_client_poll(&c, 100), COAP_CLIENT_PENDING);
    assert_int_equal(coap_client_poll(&c, 100 + COAP_CLIENT_MAX_TRANSMIT_WAIT_MS),
                     COAP_CLIENT_TIMEOUT);
}

/* 4.xx: dropped at once, never retransmitted. Table of the gateway's refusals. */
static void test_coap_client_poll_4xx_rejected(void **state)
{
    static const uint8_t codes[] = {0x80 /* 4.00 */, 0x81 /* 4.01 */, 0x83 /* 4.03 */,
                                    0x8F /* 4.15 */};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(codes); i++) {
        struct fake_hal f;
        struct hal h;
        struct coap_client c;

        fake_init(&f, &h);
        coap_client_init(&c, &h);
        assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
        answer(&f, &f.sent[0], 2, codes[i], mid_of(&f.sent[0]), NULL, 0);
        assert_int_equal(coap_client_poll(&c, 10), COAP_CLIENT_REJECTED);
        assert_int_equal(c.last_code, codes[i]);
        assert_int_equal(coap_client_poll(&c, 100000), COAP_CLIENT_PENDING);
        assert_int_equal(f.nsent, 1);
        assert_int_equal(c.rejected, 1);
    }
}

/* 5.03 with Max-Age 5: a new request (new id, new token, same payload) 5 s later. */
static void test_coap_client_poll_503_retry_later(void **state)
{
    /* Max-Age (14): delta 13 + 1 in an extra byte, length 1, value 5 */
    static const uint8_t max_age5[] = {0xD1, 0x01, 0x05};
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    uint64_t t;
    int res = COAP_CLIENT_PENDING;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 1000, frame, sizeof(frame)), 0);
    answer(&f, &f.sent[0], 2, 0xA3, mid_of(&f.sent[0]), max_age5, sizeof(max_age5));
    assert_int_equal(coap_client_poll(&c, 1200), COAP_CLIENT_PENDING);
    assert_true(coap_client_busy(&c));
    for (t = 1201; t <= 6200 && f.nsent == 1; t++) {
        res = coap_client_poll(&c, t);
    }
    assert_int_equal(res, COAP_CLIENT_PENDING);
    assert_int_equal(f.nsent, 2);
    assert_int_equal(f.sent[1].t_ms, 0); /* the fake clock was not moved: check the poll time */
    assert_int_equal(t - 1, 6200);
    assert_int_not_equal(mid_of(&f.sent[1]), mid_of(&f.sent[0]));
    assert_memory_not_equal(&f.sent[1].buf[4], &f.sent[0].buf[4], 4);
    assert_memory_equal(&f.sent[1].buf[f.sent[1].len - 4], frame, 4);
    answer(&f, &f.sent[1], 2, 0x44, mid_of(&f.sent[1]), NULL, 0);
    assert_int_equal(coap_client_poll(&c, 6300), COAP_CLIENT_DELIVERED);
}

/* 5.03 every time: given up after COAP_CLIENT_MAX_503 new attempts; the default Max-Age
 * (60 s) applies when the option is absent. */
static void test_coap_client_poll_503_gives_up(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    uint64_t t = 0;
    int res = COAP_CLIENT_PENDING;
    int k;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, t, frame, sizeof(frame)), 0);
    for (k = 0; k <= (int)COAP_CLIENT_MAX_503; k++) {
        const struct fake_sent *req = &f.sent[f.nsent - 1];

        answer(&f, req, 2, 0xA3, mid_of(req), NULL, 0);
        res = coap_client_poll(&c, t);
        if (k < (int)COAP_CLIENT_MAX_503) {
            assert_int_equal(res, COAP_CLIENT_PENDING);
            assert_int_equal(coap_client_poll(&c, t + 59999u), COAP_CLIENT_PENDING);
            t += 60000u;
            assert_int_equal(coap_client_poll(&c, t), COAP_CLIENT_PENDING);
            assert_int_equal(f.nsent, k + 2);
        }
    }
    assert_int_equal(res, COAP_CLIENT_UNAVAILABLE);
    assert_int_equal(c.unavailable, 1);
}

static void test_coap_client_poll_reset_and_garbage(void **state)
{
    static const uint8_t garbage[][6] = {
        {0x00, 0x44, 0x00, 0x00, 0, 0}, /* version 0 */
        {0x4F, 0x44, 0x00, 0x00, 0, 0}, /* TKL 15 */
        {0x48, 0x44, 0x00, 0x00, 0, 0}, /* TKL 8 but no token */
    };
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    size_t i;

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 0, frame, sizeof(frame)), 0);
    for (i = 0; i < 3; i++) {
        fake_deliver(&f, garbage[i], 6);
    }
    fake_deliver(&f, garbage[0], 3); /* shorter than a header */
    assert_int_equal(coap_client_poll(&c, 1), COAP_CLIENT_PENDING);
    assert_int_equal(c.unexpected, 4);
    /* A truncated option (Max-Age says 2 bytes, none follow) in our ACK: ignored. */
    answer(&f, &f.sent[0], 2, 0x44, mid_of(&f.sent[0]), (const uint8_t[]){0xD2, 0x01}, 2);
    assert_int_equal(coap_client_poll(&c, 2), COAP_CLIENT_PENDING);
    assert_int_equal(c.unexpected, 5);
    /* Reset with our id: the gateway refuses the message. */
    fake_deliver(&f, (const uint8_t[]){0x70, 0x00, f.sent[0].buf[2], f.sent[0].buf[3]}, 4);
    assert_int_equal(coap_client_poll(&c, 3), COAP_CLIENT_REJECTED);
}

static void test_coap_client_post_bad_payload(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct coap_client c;
    uint8_t big[COAP_CLIENT_MAX_PAYLOAD + 1] = {0};

    (void)state;
    fake_init(&f, &h);
    coap_client_init(&c, &h);
    assert_int_equal(coap_client_post(&c, 0, frame, 0), COAP_CLIENT_EINVAL);
    assert_int_equal(coap_client_post(&c, 0, big, sizeof(big)), COAP_CLIENT_EINVAL);
    assert_int_equal(coap_client_post(&c, 0, big, sizeof(big) - 1), 0);
    assert_int_equal(f.sent[0].len, 14u + COAP_CLIENT_MAX_PAYLOAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coap_client_encode_post_bytes),
        cmocka_unit_test(test_coap_client_poll_retransmission_schedule),
        cmocka_unit_test(test_coap_client_post_random_timeout),
        cmocka_unit_test(test_coap_client_poll_piggybacked_204),
        cmocka_unit_test(test_coap_client_poll_separate_response),
        cmocka_unit_test(test_coap_client_poll_separate_response_times_out),
        cmocka_unit_test(test_coap_client_poll_4xx_rejected),
        cmocka_unit_test(test_coap_client_poll_503_retry_later),
        cmocka_unit_test(test_coap_client_poll_503_gives_up),
        cmocka_unit_test(test_coap_client_poll_reset_and_garbage),
        cmocka_unit_test(test_coap_client_post_bad_payload),
    };

    return cmocka_run_group_tests_name("test_coap_client", tests, NULL, NULL);
}
