/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/util/log.c: the "<N>ident: " prefix journald reads, the level filter,
 * one line per call whatever the message holds, and the rate limiter driven by a fake
 * clock (burst, the suppression count line, the window starting afresh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

struct sink {
    int fds[2]; /* a pipe: the log writes to [1], the test reads [0] */
    char buf[8192];
};

static int setup(void **state)
{
    static struct sink sink;

    if (pipe2(sink.fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        return -1;
    }
    log_init("t", sink.fds[1], LOG_DEBUG);
    *state = &sink;
    return 0;
}

static int teardown(void **state)
{
    struct sink *s = *state;

    log_init("tinyfleetd", 2, LOG_INFO);
    (void)close(s->fds[0]);
    (void)close(s->fds[1]);
    return 0;
}

/* Everything logged since the last call, NUL-terminated. */
static const char *drain(struct sink *s)
{
    size_t used = 0;

    for (;;) {
        ssize_t n = read(s->fds[0], s->buf + used, sizeof(s->buf) - 1 - used);

        if (n <= 0) {
            break;
        }
        used += (size_t)n;
    }
    s->buf[used] = '\0';
    return s->buf;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;

    for (; *text != '\0'; text++) {
        n += *text == '\n';
    }
    return n;
}

static void test_log_msg_prefix(void **state)
{
    struct sink *s = *state;

    log_msg(LOG_ERR, "disk %s", "full");
    log_info("listening on %d", 5683);
    log_debug("x=%u", 7u);
    assert_string_equal(drain(s), "<3>t: disk full\n<6>t: listening on 5683\n<7>t: x=7\n");
}

static void test_log_msg_level_filter(void **state)
{
    struct sink *s = *state;

    log_set_level(LOG_WARNING);
    assert_false(log_enabled(LOG_INFO));
    assert_true(log_enabled(LOG_ERR));
    log_info("dropped");
    log_debug("dropped");
    log_warning("kept");
    log_set_level(LOG_DEBUG);
    assert_string_equal(drain(s), "<4>t: kept\n");
}

static void test_log_msg_one_line(void **state)
{
    struct sink *s = *state;

    /* A peer's string with a newline must not forge a second, differently prefixed line. */
    log_error("peer said %s", "hi\n<0>t: fake\r");
    assert_string_equal(drain(s), "<3>t: peer said hi?<0>t: fake?\n");
}

static void test_log_msg_truncates(void **state)
{
    struct sink *s = *state;
    char big[3000];
    const char *out;
    size_t len;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("%s", big);
    out = drain(s);
    len = strlen(out);
    assert_int_equal(len, LOG_LINE_MAX - 1);
    assert_int_equal(count_lines(out), 1);
    assert_memory_equal(out + len - 4, "...\n", 4);
}

static void test_log_limited_burst(void **state)
{
    struct sink *s = *state;
    struct log_limit l = LOG_LIMIT_INIT("bad mic", 3, 1000);

    assert_true(log_limited_at(&l, 100, LOG_WARNING, "bad MIC %d", 1));
    assert_true(log_limited_at(&l, 200, LOG_WARNING, "bad MIC %d", 2));
    assert_true(log_limited_at(&l, 300, LOG_WARNING, "bad MIC %d", 3));
    assert_false(log_limited_at(&l, 400, LOG_WARNING, "bad MIC %d", 4));
    assert_false(log_limited_at(&l, 1099, LOG_WARNING, "bad MIC %d", 5));
    assert_string_equal(drain(s), "<4>t: bad MIC 1\n<4>t: bad MIC 2\n<4>t: bad MIC 3\n");
    assert_int_equal(l.suppressed, 2);
}

static void test_log_limited_suppression_line(void **state)
{
    struct sink *s = *state;
    struct log_limit l;
    int i;

    log_limit_init(&l, "replay", 2, 10000);
    for (i = 0; i < 7; i++) {
        (void)log_limited_at(&l, 5000 + (uint64_t)i, LOG_NOTICE, "replayed counter %d", i);
    }
    (void)drain(s);
    /* The first message of the next window reports the 5 dropped ones, then itself. */
    assert_true(log_limited_at(&l, 15000, LOG_NOTICE, "replayed counter %d", 7));
    assert_string_equal(drain(s), "<5>t: 5 similar messages suppressed (replay) in the last 10 s\n"
                                  "<5>t: replayed counter 7\n");
}

static void test_log_limited_window_reset(void **state)
{
    struct sink *s = *state;
    struct log_limit l = LOG_LIMIT_INIT(NULL, 1, 1000);

    assert_true(log_limited_at(&l, 0, LOG_ERR, "a"));
    assert_false(log_limited_at(&l, 999, LOG_ERR, "b"));
    /* The window ends at 1000 ms: a fresh burst, and the count line without a name. */
    assert_true(log_limited_at(&l, 1000, LOG_ERR, "c"));
    assert_false(log_limited_at(&l, 1500, LOG_ERR, "d"));
    /* Nothing was suppressed in a quiet window: no count line. */
    assert_true(log_limited_at(&l, 2000, LOG_ERR, "e"));
    assert_true(log_limited_at(&l, 5000, LOG_ERR, "f"));
    assert_string_equal(drain(s), "<3>t: a\n"
                                  "<3>t: 1 similar messages suppressed in the last 1 s\n"
                                  "<3>t: c\n"
                                  "<3>t: 1 similar messages suppressed in the last 1 s\n"
                                  "<3>t: e\n"
                                  "<3>t: f\n");
}

static void test_log_limited_clock_backwards(void **state)
{
    struct sink *s = *state;
    struct log_limit l = LOG_LIMIT_INIT(NULL, 1, 60000);

    assert_true(log_limited_at(&l, 50000, LOG_ERR, "a"));
    assert_false(log_limited_at(&l, 50001, LOG_ERR, "b"));
    assert_true(log_limited_at(&l, 10, LOG_ERR, "c"));
    assert_string_equal(drain(s), "<3>t: a\n"
                                  "<3>t: 1 similar messages suppressed in the last 60 s\n"
                                  "<3>t: c\n");
}

static void test_log_limited_below_level(void **state)
{
    struct sink *s = *state;
    struct log_limit l = LOG_LIMIT_INIT(NULL, 1, 1000);

    log_set_level(LOG_INFO);
    /* A dropped debug line must not use up the burst of the lines that are shown. */
    assert_false(log_limited_at(&l, 0, LOG_DEBUG, "debug"));
    assert_true(log_limited_at(&l, 1, LOG_INFO, "info"));
    log_set_level(LOG_DEBUG);
    assert_string_equal(drain(s), "<6>t: info\n");
    assert_int_equal(l.suppressed, 0);
}

static void test_log_limit_flush(void **state)
{
    struct sink *s = *state;
    struct log_limit l = LOG_LIMIT_INIT("x", 1, 1000);

    assert_int_equal(log_limit_flush(&l, 0, false), 0); /* never used */
    (void)log_limited_at(&l, 0, LOG_WARNING, "one");
    (void)log_limited_at(&l, 1, LOG_WARNING, "two");
    (void)log_limited_at(&l, 2, LOG_WARNING, "three");
    (void)drain(s);
    assert_int_equal(log_limit_flush(&l, 500, false), 0); /* window still running */
    assert_string_equal(drain(s), "");
    assert_int_equal(log_limit_flush(&l, 1000, false), 2);
    assert_string_equal(drain(s), "<4>t: 2 similar messages suppressed (x) in the last 1 s\n");
    assert_int_equal(log_limit_flush(&l, 5000, true), 0); /* reported once only */
    assert_true(log_limited_at(&l, 5001, LOG_WARNING, "four"));
    assert_string_equal(drain(s), "<4>t: four\n");
}

static void test_log_now_ms_monotonic(void **state)
{
    uint64_t a = log_now_ms();
    uint64_t b = log_now_ms();

    (void)state;
    assert_true(a > 0);
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_msg_prefix),
        cmocka_unit_test(test_log_msg_level_filter),
        cmocka_unit_test(test_log_msg_one_line),
        cmocka_unit_test(test_log_msg_truncates),
        cmocka_unit_test(test_log_limited_burst),
        cmocka_unit_test(test_log_limited_suppression_line),
        cmocka_unit_test(test_log_limited_window_reset),
        cmocka_unit_test(test_log_limited_clock_backwards),
        cmocka_unit_test(test_log_limited_below_level),
        cmocka_unit_test(test_log_limit_flush),
        cmocka_unit_test(test_log_now_ms_monotonic),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
