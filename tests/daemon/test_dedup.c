/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/ingest/dedup.c: SipHash-2-4 against the reference vectors (as OpenSSL's
 * SIPHASH MAC prints them), first and later copies, the window's edge, a full table, the
 * rollback after a failed commit, and a long random run checked against a plain list model,
 * which exercises the index's backward-shift deletion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/dedup.h"
#include "ingest/dedup_int.h"

/* The SipHash paper's key: bytes 00..0f. */
static const uint8_t key[DEDUP_KEY_LEN] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                           0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

/* Two data-up frames differing in the last MIC byte, and a prefix of the first. */
static const uint8_t frame_a[] = {0x40, 0x00, 0x1F, 0x01, 0x26, 0x00, 0x01,
                                  0x00, 0x01, 0x22, 0x11, 0x22, 0x33, 0x44};
static const uint8_t frame_b[] = {0x40, 0x00, 0x1F, 0x01, 0x26, 0x00, 0x01,
                                  0x00, 0x01, 0x22, 0x11, 0x22, 0x33, 0x45};

struct sip_vector {
    size_t len;    /* message = bytes 00, 01, ... len - 1 */
    uint64_t want; /* the 8 output bytes read little-endian */
};

/* Paper, appendix A: 15 bytes -> a129ca6149be45e5; the others from the reference vectors,
 * cross-checked with `openssl mac -macopt hexkey:0001..0f -macopt size:8 SIPHASH`. */
static const struct sip_vector sip_vectors[] = {
    {0, 0x726fdb47dd0e0e31ull},  {7, 0xab0200f58b01d137ull},  {8, 0x93f5f5799a932462ull},
    {15, 0xa129ca6149be45e5ull}, {16, 0x3f2acc7f57c29bdbull}, {63, 0x958a324ceb064572ull},
};

static void test_dedup_siphash24_vectors(void **state)
{
    uint8_t msg[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(msg); i++) {
        msg[i] = (uint8_t)i;
    }
    for (i = 0; i < sizeof(sip_vectors) / sizeof(sip_vectors[0]); i++) {
        assert_int_equal(dedup__siphash24(key, msg, sip_vectors[i].len), sip_vectors[i].want);
    }
}

static struct dedup *make(size_t capacity, uint32_t window_ms)
{
    struct dedup *d = NULL;

    assert_int_equal(dedup_new(capacity, window_ms, key, &d), 0);
    assert_non_null(d);
    return d;
}

static enum dedup_verdict look(struct dedup *d, const uint8_t *f, size_t len, uint64_t now,
                               struct dedup_outcome *o, uint64_t *ticket)
{
    return dedup_lookup(d, f, len, now, o, ticket);
}

static void test_dedup_first_then_copy_accepted(void **state)
{
    struct dedup *d = make(16, 200);
    struct dedup_outcome o;
    struct dedup_stats st;
    uint64_t t;
    uint64_t t2;

    (void)state;
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 1000, &o, &t), DEDUP_FIRST);
    assert_false(o.accepted);
    dedup_set_outcome(d, t, true, 42);
    /* The second and third forwarders, a few ms later. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 1003, &o, &t2), DEDUP_COPY);
    assert_true(o.accepted);
    assert_int_equal(o.frame_id, 42);
    assert_int_equal(o.first_ms, 1000);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 1010, &o, &t2), DEDUP_COPY);
    assert_int_equal(o.frame_id, 42);
    dedup_get_stats(d, &st);
    assert_int_equal(st.firsts, 1);
    assert_int_equal(st.copies, 2);
    assert_int_equal(st.live, 1);
    dedup_free(d);
}

static void test_dedup_first_refused_or_pending(void **state)
{
    struct dedup *d = make(16, 200);
    struct dedup_outcome o;
    uint64_t ta;
    uint64_t tb;
    uint64_t t;

    (void)state;
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 0, &o, &ta), DEDUP_FIRST);
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 0, &o, &tb), DEDUP_FIRST);
    assert_int_not_equal(ta, tb);
    /* Not judged yet: a copy sees a refusal. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 1, &o, &t), DEDUP_COPY);
    assert_false(o.accepted);
    dedup_set_outcome(d, ta, false, 99);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 2, &o, &t), DEDUP_COPY);
    assert_false(o.accepted);
    assert_int_equal(o.frame_id, 0);
    /* frame_b's outcome is its own. */
    dedup_set_outcome(d, tb, true, 7);
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 2, &o, &t), DEDUP_COPY);
    assert_true(o.accepted);
    assert_int_equal(o.frame_id, 7);
    dedup_free(d);
}

static void test_dedup_key_is_bytes_and_length(void **state)
{
    struct dedup *d = make(16, 200);
    struct dedup_outcome o;
    uint64_t t;

    (void)state;
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 0, &o, &t), DEDUP_FIRST);
    /* One bit of the MIC differs: another frame. */
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 0, &o, &t), DEDUP_FIRST);
    /* A prefix: another frame. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a) - 1, 0, &o, &t), DEDUP_FIRST);
    assert_int_equal(look(d, frame_a, 0, 0, &o, &t), DEDUP_FIRST);
    assert_int_equal(look(d, frame_a, 0, 0, &o, &t), DEDUP_COPY);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 0, &o, &t), DEDUP_COPY);
    dedup_free(d);
}

static void test_dedup_expiry_at_window_end(void **state)
{
    struct dedup *d = make(16, 200);
    struct dedup_outcome o;
    struct dedup_stats st;
    uint64_t t;

    (void)state;
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 5000, &o, &t), DEDUP_FIRST);
    dedup_set_outcome(d, t, true, 1);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 5199, &o, &t), DEDUP_COPY);
    /* 200 ms after the first copy the window is over: a new first, judged again (the
     * counter check refuses it as a replay). */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 5200, &o, &t), DEDUP_FIRST);
    assert_false(o.accepted);
    dedup_get_stats(d, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.live, 1);
    /* The window counts from the first copy, not from the latest one. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 5399, &o, &t), DEDUP_COPY);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 5400, &o, &t), DEDUP_FIRST);
    /* Everything goes after a long quiet time. */
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 5400, &o, &t), DEDUP_FIRST);
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 999999, &o, &t), DEDUP_FIRST);
    dedup_get_stats(d, &st);
    assert_int_equal(st.live, 1);
    dedup_free(d);
}

static void test_dedup_window_zero_and_clock_backwards(void **state)
{
    struct dedup *d = make(16, 0);
    struct dedup_outcome o;
    uint64_t t;

    (void)state;
    /* A window of 0 remembers nothing. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 10, &o, &t), DEDUP_FIRST);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 10, &o, &t), DEDUP_FIRST);
    dedup_free(d);

    d = make(16, 100);
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 1000, &o, &t), DEDUP_FIRST);
    /* A smaller time counts as the largest seen: still inside the window. */
    assert_int_equal(look(d, frame_a, sizeof(frame_a), 10, &o, &t), DEDUP_COPY);
    assert_int_equal(o.first_ms, 1000);
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 0, &o, &t), DEDUP_FIRST);
    assert_int_equal(look(d, frame_b, sizeof(frame_b), 1099, &o, &t), DEDUP_COPY);
    assert_int_equal(o.first_ms, 1000);
    dedup_free(d);
}

static void test_dedup_new_capacity(void **state)
{
    struct dedup *d = NULL;

    (void)state;
    assert_int_equal(dedup_new(5, 200, key, &d), 0);
    assert_int_equal(dedup_capacity(d), 8);
    dedup_free(d);
    assert_int_equal(dedup_new(0, 200, key, &d), 0);
    assert_int_equal(dedup_capacity(d), 2);
    dedup_free(d);
    assert_int_equal(dedup_new(16384, 200, key, &d), 0);
    assert_int_equal(dedup_capacity(d), 16384);
    dedup_free(d);
    d = NULL;
    assert_int_equal(dedup_new(((size_t)1 << 24) + 1, 200, key, &d), -EINVAL);
    assert_null(d);
    assert_int_equal(dedup_new(16, 200, NULL, &d), -EINVAL);
    assert_int_equal(dedup_new(16, 200, key, NULL), -EINVAL);
    dedup_free(NULL);
}

static void frame_n(uint8_t f[4], unsigned n)
{
    f[0] = 0x40;
    f[1] = (uint8_t)n;
    f[2] = (uint8_t)(n >> 8);
    f[3] = 0x26;
}

static void test_dedup_full_table_evicts_oldest(void **state)
{
    struct dedup *d = make(4, 200);
    struct dedup_outcome o;
    struct dedup_stats st;
    uint8_t f[4];
    uint64_t t;
    unsigned i;

    (void)state;
    /* Four frames fill the table inside one window. */
    for (i = 0; i < 4; i++) {
        frame_n(f, i);
        assert_int_equal(look(d, f, sizeof(f), 100 + i, &o, &t), DEDUP_FIRST);
        dedup_set_outcome(d, t, true, (int64_t)i + 1);
    }
    /* A fifth: the oldest (frame 0) goes before its window ends. */
    frame_n(f, 4);
    assert_int_equal(look(d, f, sizeof(f), 110, &o, &t), DEDUP_FIRST);
    dedup_get_stats(d, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.expired, 0);
    assert_int_equal(st.live, 4);
    /* Frames 1..3 are still known with their ids... */
    for (i = 1; i < 4; i++) {
        frame_n(f, i);
        assert_int_equal(look(d, f, sizeof(f), 111, &o, &t), DEDUP_COPY);
        assert_int_equal(o.frame_id, (int64_t)i + 1);
    }
    /* ...frame 0 is not: its late copy is judged again (and refused as a replay by the
     * counter check, so it is never stored twice). Remembering it pushes out frame 1. */
    frame_n(f, 0);
    assert_int_equal(look(d, f, sizeof(f), 112, &o, &t), DEDUP_FIRST);
    frame_n(f, 1);
    assert_int_equal(look(d, f, sizeof(f), 112, &o, &t), DEDUP_FIRST);
    dedup_get_stats(d, &st);
    assert_int_equal(st.evicted, 3);
    assert_int_equal(st.live, 4);
    dedup_free(d);
}

static void test_dedup_rollback(void **state)
{
    struct dedup *d = make(8, 200);
    struct dedup_outcome o;
    struct dedup_stats st;
    uint64_t mark;
    uint64_t stale;
    uint64_t t;
    uint8_t f[4];
    unsigned i;

    (void)state;
    /* Frame 0 was committed; frames 1..3 belong to the batch that fails. */
    frame_n(f, 0);
    assert_int_equal(look(d, f, sizeof(f), 0, &o, &t), DEDUP_FIRST);
    dedup_set_outcome(d, t, true, 10);
    mark = dedup_mark(d);
    for (i = 1; i < 4; i++) {
        frame_n(f, i);
        assert_int_equal(look(d, f, sizeof(f), 1, &o, &t), DEDUP_FIRST);
        dedup_set_outcome(d, t, true, 10 + (int64_t)i);
    }
    stale = t;
    assert_int_equal(dedup_rollback(d, mark), 3);
    assert_int_equal(dedup_rollback(d, mark), 0);
    dedup_get_stats(d, &st);
    assert_int_equal(st.rolled_back, 3);
    assert_int_equal(st.live, 1);
    frame_n(f, 0);
    assert_int_equal(look(d, f, sizeof(f), 2, &o, &t), DEDUP_COPY);
    assert_int_equal(o.frame_id, 10);
    /* A copy of a rolled-back frame is a first again, and a stale ticket cannot touch the
     * entry that replaces it. */
    frame_n(f, 3);
    assert_int_equal(look(d, f, sizeof(f), 2, &o, &t), DEDUP_FIRST);
    assert_int_not_equal(t, stale);
    dedup_set_outcome(d, stale, true, 555);
    assert_int_equal(look(d, f, sizeof(f), 3, &o, &t), DEDUP_COPY);
    assert_false(o.accepted);
    /* Dead entries leave the ring without counting as evictions: 1 live + 3 dead + 1 new
     * fill 5 of 8; four more fill it, and the next pushes out only dead ones first. */
    for (i = 10; i < 14; i++) {
        frame_n(f, i);
        assert_int_equal(look(d, f, sizeof(f), 4, &o, &t), DEDUP_FIRST);
    }
    frame_n(f, 14);
    assert_int_equal(look(d, f, sizeof(f), 4, &o, &t), DEDUP_FIRST); /* evicts frame 0 */
    frame_n(f, 15);
    assert_int_equal(look(d, f, sizeof(f), 4, &o, &t), DEDUP_FIRST); /* a dead slot */
    dedup_get_stats(d, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.live, 7);
    /* A rollback to a mark older than everything in the ring stops at the ring. */
    assert_int_equal(dedup_rollback(d, 0), 7);
    dedup_get_stats(d, &st);
    assert_int_equal(st.live, 0);
    dedup_free(d);
}

/* ---- random run against a model ---- */

#define MODEL_CAP 16u

struct model_entry {
    uint8_t f[3];
    size_t len;
    uint64_t first_ms;
    uint64_t seq; /* insertion number, as dedup_mark() counts */
    int64_t id;
    bool accepted;
    bool dead;
};

/* The table's contract written the slow way: a list in arrival order. */
struct model {
    struct model_entry e[MODEL_CAP];
    size_t n;
    uint32_t window;
    uint64_t next_seq;
};

static void model_drop_first(struct model *m)
{
    memmove(&m->e[0], &m->e[1], (m->n - 1) * sizeof(m->e[0]));
    m->n--;
}

static bool model_lookup(struct model *m, const uint8_t *f, size_t len, uint64_t now,
                         struct model_entry **hit)
{
    size_t i;

    while (m->n > 0 && now - m->e[0].first_ms >= m->window) {
        model_drop_first(m);
    }
    for (i = 0; i < m->n; i++) {
        if (!m->e[i].dead && m->e[i].len == len && memcmp(m->e[i].f, f, len) == 0) {
            *hit = &m->e[i];
            return true;
        }
    }
    if (m->n == MODEL_CAP) {
        model_drop_first(m);
    }
    memset(&m->e[m->n], 0, sizeof(m->e[0]));
    memcpy(m->e[m->n].f, f, len);
    m->e[m->n].len = len;
    m->e[m->n].first_ms = now;
    m->e[m->n].seq = m->next_seq++;
    *hit = &m->e[m->n];
    m->n++;
    return false;
}

static void test_dedup_random_against_model(void **state)
{
    struct dedup *d = make(MODEL_CAP, 50);
    struct model m;
    struct model_entry *hit;
    struct dedup_outcome o;
    enum dedup_verdict v;
    uint64_t now = 0;
    uint64_t mark = 0;
    uint64_t t;
    uint8_t f[3];
    size_t len;
    unsigned i;
    size_t k;
    bool seen;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.window = 50;
    srand(12345);
    for (i = 0; i < 200000; i++) {
        now += (uint64_t)(rand() % 4);
        /* 40 distinct short frames: many repeats, full tables, long probe runs. */
        f[0] = (uint8_t)(rand() % 20);
        f[1] = (uint8_t)(rand() % 2);
        f[2] = 0x5A;
        len = 1 + (size_t)(rand() % 2) + (f[1] == 0 ? 1 : 0);
        if (rand() % 1000 == 0) {
            /* A failed commit: the model marks the batch's entries dead in place. */
            dedup_rollback(d, mark);
            for (k = 0; k < m.n; k++) {
                m.e[k].dead = m.e[k].dead || m.e[k].seq >= mark;
            }
        }
        if (rand() % 50 == 0) {
            mark = dedup_mark(d);
            assert_int_equal(mark, m.next_seq);
        }
        seen = model_lookup(&m, f, len, now, &hit);
        v = dedup_lookup(d, f, len, now, &o, &t);
        if ((v == DEDUP_COPY) != seen) {
            print_error("step %u: table says %s, model says %s\n", i,
                        v == DEDUP_COPY ? "copy" : "first", seen ? "copy" : "first");
            fail();
        }
        if (seen) {
            assert_int_equal(o.accepted, hit->accepted);
            assert_int_equal(o.frame_id, hit->accepted ? hit->id : 0);
            assert_int_equal(o.first_ms, hit->first_ms);
        } else {
            hit->accepted = rand() % 3 != 0;
            hit->id = (int64_t)i;
            dedup_set_outcome(d, t, hit->accepted, hit->id);
        }
    }
    dedup_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_siphash24_vectors),
        cmocka_unit_test(test_dedup_first_then_copy_accepted),
        cmocka_unit_test(test_dedup_first_refused_or_pending),
        cmocka_unit_test(test_dedup_key_is_bytes_and_length),
        cmocka_unit_test(test_dedup_expiry_at_window_end),
        cmocka_unit_test(test_dedup_window_zero_and_clock_backwards),
        cmocka_unit_test(test_dedup_new_capacity),
        cmocka_unit_test(test_dedup_full_table_evicts_oldest),
        cmocka_unit_test(test_dedup_rollback),
        cmocka_unit_test(test_dedup_random_against_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
