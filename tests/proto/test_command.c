/* SPDX-License-Identifier: MIT
 * Node commands (proto/src/command.c): every refusal has its reason and never half a command,
 * the range limits of SPEC.md section 9.1 at their edges, the answer format round trip and its
 * refusals. The byte layouts themselves are checked against independently encoded vectors in
 * test_downlink.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/command.h"

static int decode_hex(const uint8_t *b, size_t n, struct proto_cmd *c)
{
    return proto_cmd_decode(b, n, c);
}

static void test_decode_refusals(void **state)
{
    static const uint8_t hdr_short[] = {1, 7, 0};
    static const uint8_t bad_version[] = {2, 7, 0, 6};
    static const uint8_t unknown_op[] = {1, 9, 0, 9};
    static const uint8_t op_zero[] = {1, 9, 0, 0};
    static const uint8_t interval_short[] = {1, 10, 0, 1, 0x84, 0x03, 0x00};
    static const uint8_t interval_low[] = {1, 11, 0, 1, 59, 0, 0, 0};
    static const uint8_t interval_high[] = {1, 12, 0, 1, 0x81, 0x51, 0x01, 0x00}; /* 86401 */
    static const uint8_t hi_low[] = {1, 13, 0, 2, 1, 0, 0, 0};
    static const uint8_t thr_class[] = {1, 14, 0, 3, 32, 10};
    static const uint8_t duty_zero[] = {1, 15, 0, 4, 0, 0, 1};
    static const uint8_t duty_over[] = {1, 16, 0, 4, 0xE9, 0x03, 1}; /* 1001 */
    static const uint8_t duty_dr[] = {1, 17, 0, 4, 0xE8, 0x03, 6};
    static const uint8_t reboot_trailing[] = {1, 18, 0, 7, 0};
    struct proto_cmd c;

    (void)state;
    assert_int_equal(decode_hex(hdr_short, sizeof(hdr_short), &c), PROTO_ETOOSHORT);
    assert_int_equal(c.op, 0); /* nothing decoded from half a header */
    assert_int_equal(decode_hex(bad_version, sizeof(bad_version), &c), PROTO_EVERSION);
    assert_int_equal(decode_hex(unknown_op, sizeof(unknown_op), &c), PROTO_ECMD);
    assert_int_equal(c.seq, 9);
    assert_int_equal(proto_cmd_status_of(PROTO_ECMD), PROTO_CMD_REFUSED_UNKNOWN);
    assert_int_equal(decode_hex(op_zero, sizeof(op_zero), &c), PROTO_ECMD);
    assert_int_equal(decode_hex(interval_short, sizeof(interval_short), &c), PROTO_ETOOSHORT);
    assert_int_equal(c.seq, 10);
    assert_int_equal(c.u.seconds, 0); /* truncated: no argument taken */
    assert_int_equal(proto_cmd_status_of(PROTO_ETOOSHORT), PROTO_CMD_REFUSED_BAD_LENGTH);
    assert_int_equal(decode_hex(interval_low, sizeof(interval_low), &c), PROTO_ERANGE);
    assert_int_equal(proto_cmd_status_of(PROTO_ERANGE), PROTO_CMD_REFUSED_BAD_VALUE);
    assert_int_equal(decode_hex(interval_high, sizeof(interval_high), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(hi_low, sizeof(hi_low), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(thr_class, sizeof(thr_class), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(duty_zero, sizeof(duty_zero), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(duty_over, sizeof(duty_over), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(duty_dr, sizeof(duty_dr), &c), PROTO_ERANGE);
    assert_int_equal(decode_hex(reboot_trailing, sizeof(reboot_trailing), &c), PROTO_ETRAILING);
    assert_int_equal(proto_cmd_status_of(PROTO_ETRAILING), PROTO_CMD_REFUSED_BAD_LENGTH);
    assert_int_equal(proto_cmd_status_of(PROTO_OK), PROTO_CMD_APPLIED);
    assert_int_equal(proto_cmd_decode(NULL, 4, &c), PROTO_EINVAL);
}

static void test_range_edges(void **state)
{
    struct proto_cmd c;
    uint8_t buf[PROTO_CMD_MAX_LEN];
    struct proto_cmd back;
    int n;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.op = PROTO_CMD_INTERVAL;
    c.u.seconds = PROTO_CMD_INTERVAL_MIN_S;
    n = proto_cmd_encode(&c, buf, sizeof(buf));
    assert_int_equal(n, 8);
    assert_int_equal(proto_cmd_decode(buf, (size_t)n, &back), PROTO_OK);
    c.u.seconds = PROTO_CMD_INTERVAL_MAX_S;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), 8);
    c.u.seconds = PROTO_CMD_INTERVAL_MAX_S + 1u;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), PROTO_ERANGE);
    c.op = PROTO_CMD_HEALTH_INTERVAL;
    c.u.seconds = PROTO_CMD_HEALTH_INTERVAL_MAX_S;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), 8);
    c.u.seconds = PROTO_CMD_HEALTH_INTERVAL_MAX_S + 1u;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), PROTO_ERANGE);
    c.op = PROTO_CMD_THRESHOLD;
    c.u.threshold.class_id = PROTO_CMD_MAX_CLASS;
    c.u.threshold.min_conf = 255;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), 6);
    c.op = PROTO_CMD_DUTY;
    c.u.duty.permille = PROTO_CMD_DUTY_MAX_PERMILLE;
    c.u.duty.dr = PROTO_CMD_MAX_DR;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), 7);
    assert_int_equal(proto_cmd_encode(&c, buf, 6), PROTO_ENOSPC);
    c.op = 9;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), PROTO_ECMD);
}

/* sensing, op 8: the three modes' bytes (SPEC.md 9.1's example among them) and back. */
static void test_sensing_encode_decode(void **state)
{
    /* listen 6 s of every 60 s, seq 0x0201 */
    static const uint8_t duty[] = {1, 1,    2,    8,    1,    0x70, 0x17, 0,
                                   0, 0x60, 0xEA, 0x00, 0x00, 0,    0,    0};
    /* woken by sound: listen 10 s, level 1638 (0.05 of full scale), 15 dB over the floor */
    static const uint8_t wake[] = {1, 3, 0, 8, 2, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 0x66, 0x06, 15};
    static const uint8_t cont[] = {1, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct proto_cmd c;
    struct proto_cmd back;
    uint8_t buf[PROTO_CMD_MAX_LEN];

    (void)state;
    memset(&c, 0, sizeof(c));
    c.seq = 0x0201;
    c.op = PROTO_CMD_SENSING;
    c.u.sensing.mode = PROTO_CMD_SENSE_DUTY;
    c.u.sensing.listen_ms = 6000;
    c.u.sensing.every_ms = 60000;
    assert_int_equal(proto_cmd_encode(&c, buf, sizeof(buf)), 16);
    assert_memory_equal(buf, duty, sizeof(duty));
    assert_int_equal(proto_cmd_decode(duty, sizeof(duty), &back), PROTO_OK);
    assert_memory_equal(&back, &c, sizeof(c));
    assert_int_equal(proto_cmd_encode(&c, buf, 15), PROTO_ENOSPC);

    assert_int_equal(proto_cmd_decode(wake, sizeof(wake), &back), PROTO_OK);
    assert_int_equal(back.u.sensing.mode, PROTO_CMD_SENSE_WAKE);
    assert_int_equal(back.u.sensing.listen_ms, 10000);
    assert_int_equal(back.u.sensing.wake_level_q15, 1638);
    assert_int_equal(back.u.sensing.margin_db, 15);
    assert_int_equal(proto_cmd_encode(&back, buf, sizeof(buf)), 16);
    assert_memory_equal(buf, wake, sizeof(wake));
    assert_int_equal(proto_cmd_decode(cont, sizeof(cont), &back), PROTO_OK);
    assert_int_equal(back.u.sensing.mode, PROTO_CMD_SENSE_CONTINUOUS);
}

/* Every way a sensing schedule can be wrong is refused whole, with its reason. */
static void test_sensing_refusals(void **state)
{
    static const uint8_t good[] = {1, 5, 0, 8, 1, 0x70, 0x17, 0, 0, 0x60, 0xEA, 0, 0, 0, 0, 0};
    uint8_t b[sizeof(good) + 1];
    struct proto_cmd c;
    struct proto_cmd e;
    uint8_t buf[PROTO_CMD_MAX_LEN];

    (void)state;
    memcpy(b, good, sizeof(good));
    assert_int_equal(proto_cmd_decode(b, sizeof(good) - 1, &c), PROTO_ETOOSHORT);
    assert_int_equal(c.seq, 5);
    assert_int_equal(c.u.sensing.listen_ms, 0); /* nothing taken from a short command */
    b[sizeof(good)] = 0;
    assert_int_equal(proto_cmd_decode(b, sizeof(good) + 1, &c), PROTO_ETRAILING);
    b[4] = 3; /* no such mode */
    assert_int_equal(proto_cmd_decode(b, sizeof(good), &c), PROTO_ERANGE);
    b[4] = 0; /* continuous with a listening time */
    assert_int_equal(proto_cmd_decode(b, sizeof(good), &c), PROTO_ERANGE);
    b[4] = 2; /* woken by sound with a period */
    assert_int_equal(proto_cmd_decode(b, sizeof(good), &c), PROTO_ERANGE);
    memcpy(b, good, sizeof(good));
    b[15] = 1; /* a duty cycle with a wake margin */
    assert_int_equal(proto_cmd_decode(b, sizeof(good), &c), PROTO_ERANGE);
    memcpy(b, good, sizeof(good));
    b[13] = 1; /* a duty cycle with a wake level */
    assert_int_equal(proto_cmd_decode(b, sizeof(good), &c), PROTO_ERANGE);

    memset(&e, 0, sizeof(e));
    e.op = PROTO_CMD_SENSING;
    e.u.sensing.mode = PROTO_CMD_SENSE_DUTY;
    e.u.sensing.listen_ms = 60001; /* longer than its period */
    e.u.sensing.every_ms = 60000;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
    e.u.sensing.listen_ms = 0;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
    e.u.sensing.listen_ms = PROTO_CMD_SENSING_MAX_MS;
    e.u.sensing.every_ms = PROTO_CMD_SENSING_MAX_MS;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), 16);
    e.u.sensing.every_ms = PROTO_CMD_SENSING_MAX_MS + 1u;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
    memset(&e.u, 0, sizeof(e.u));
    e.u.sensing.mode = PROTO_CMD_SENSE_WAKE;
    e.u.sensing.listen_ms = 1;
    e.u.sensing.wake_level_q15 = PROTO_CMD_WAKE_LEVEL_MAX;
    e.u.sensing.margin_db = PROTO_CMD_WAKE_MARGIN_MAX_DB;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), 16);
    e.u.sensing.margin_db = PROTO_CMD_WAKE_MARGIN_MAX_DB + 1u;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
    e.u.sensing.margin_db = 0;
    e.u.sensing.wake_level_q15 = PROTO_CMD_WAKE_LEVEL_MAX + 1u;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
    e.u.sensing.wake_level_q15 = 0;
    e.u.sensing.listen_ms = PROTO_CMD_SENSING_MAX_MS + 1u;
    assert_int_equal(proto_cmd_encode(&e, buf, sizeof(buf)), PROTO_ERANGE);
}

static void test_answers(void **state)
{
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX + 1];
    struct proto_cmd_answer back[PROTO_CMD_ANSWER_MAX];
    uint8_t buf[PROTO_CMD_ANSWER_MAX_LEN + 4];
    int n;

    (void)state;
    for (size_t i = 0; i < PROTO_CMD_ANSWER_MAX + 1; i++) {
        a[i].seq = (uint16_t)(0xFF00u + i);
        a[i].op = (uint8_t)(i % 7u + 1u);
        a[i].status = (uint8_t)(i % 4u);
    }
    n = proto_cmd_answer_encode(a, 2, buf, sizeof(buf));
    assert_int_equal(n, 9);
    assert_int_equal(buf[0], 0x22); /* version 1, n = 2 */
    assert_int_equal(buf[1], 0x00);
    assert_int_equal(buf[2], 0xFF);
    assert_int_equal(proto_cmd_answer_decode(buf, (size_t)n, back), 2);
    assert_memory_equal(back, a, 2 * sizeof(a[0]));
    n = proto_cmd_answer_encode(a, PROTO_CMD_ANSWER_MAX, buf, sizeof(buf));
    assert_int_equal(n, PROTO_CMD_ANSWER_MAX_LEN);
    assert_int_equal(proto_cmd_answer_decode(buf, (size_t)n, back), PROTO_CMD_ANSWER_MAX);
    assert_int_equal(proto_cmd_answer_decode(buf, (size_t)n - 1, back), PROTO_ETOOSHORT);
    buf[n] = 0;
    assert_int_equal(proto_cmd_answer_decode(buf, (size_t)n + 1, back), PROTO_ETRAILING);
    assert_int_equal(proto_cmd_answer_encode(a, 0, buf, sizeof(buf)), PROTO_ECOUNT);
    assert_int_equal(proto_cmd_answer_encode(a, PROTO_CMD_ANSWER_MAX + 1, buf, sizeof(buf)),
                     PROTO_ECOUNT);
    assert_int_equal(proto_cmd_answer_encode(a, 2, buf, 8), PROTO_ENOSPC);
    a[0].status = 4;
    assert_int_equal(proto_cmd_answer_encode(a, 1, buf, sizeof(buf)), PROTO_ERANGE);
    buf[0] = 0x21;
    buf[4] = 4;
    assert_int_equal(proto_cmd_answer_decode(buf, 5, back), PROTO_ERANGE);
    buf[4] = 0;
    buf[0] = 0x41; /* version 2 */
    assert_int_equal(proto_cmd_answer_decode(buf, 5, back), PROTO_EVERSION);
    buf[0] = 0x20; /* n = 0 */
    assert_int_equal(proto_cmd_answer_decode(buf, 1, back), PROTO_ECOUNT);
    assert_int_equal(proto_cmd_answer_decode(buf, 0, back), PROTO_ETOOSHORT);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(proto_cmd_name(PROTO_CMD_HEALTH_NOW), "health-now");
    assert_null(proto_cmd_name(0));
    assert_null(proto_cmd_name(9));
    assert_string_equal(proto_cmd_name(PROTO_CMD_SENSING), "sensing");
    assert_int_equal(proto_cmd_op_of("sensing"), PROTO_CMD_SENSING);
    assert_int_equal(proto_cmd_op_of("learn-restart"), PROTO_CMD_LEARN_RESTART);
    assert_int_equal(proto_cmd_op_of("learn"), 0);
    assert_int_equal(proto_cmd_op_of("reboots"), 0);
    assert_int_equal(proto_cmd_op_of(NULL), 0);
    assert_string_equal(proto_cmd_status_name(PROTO_CMD_REFUSED_BAD_VALUE), "refused-bad-value");
    assert_null(proto_cmd_status_name(4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_sensing_encode_decode),
        cmocka_unit_test(test_sensing_refusals),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
