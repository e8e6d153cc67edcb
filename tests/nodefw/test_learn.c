/* SPDX-License-Identifier: MIT
 * On-device baseline learning: a node that has not learned does not judge; a learning run
 * reaches READY with a threshold; afterwards its healthy machine is not flagged, not after a
 * gain change or a DC offset either, and a bearing-like fault is; the stored state survives a
 * "reboot" (save, fresh state, load) and the run continues byte for byte as without it; a
 * damaged record is refused and changes nothing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/learn.h"
#include "proto/tfp.h"

#define FS 4000.0

/* A gearbox-like machine: a shaft line, a mesh line and its harmonic, noise; optionally
 * impacts at 97 Hz ringing 1.3 kHz (an outer race defect). */
struct machine {
    long n;
    uint32_t rng;
    double gain, dc, ring, ring_ph, shaft_ph;
    int fault;
};

static double noise(struct machine *m)
{
    double a = 0.0;
    for (int i = 0; i < 4; i++) {
        m->rng = m->rng * 1664525u + 1013904223u;
        a += (double)(m->rng >> 8) / 16777216.0 - 0.5;
    }
    return a;
}

static void render(struct machine *m, int16_t *buf, size_t count)
{
    for (size_t i = 0; i < count; i++, m->n++) {
        double t = (double)m->n / FS;
        m->shaft_ph += 23.0 * (1.0 + 0.02 * sin(2 * M_PI * 0.1 * t)) / FS; /* speed wander */
        double ph = 2 * M_PI * m->shaft_ph;
        double x = 0.2 * sin(ph) + sin(27.0 * ph) + 0.3 * sin(54.0 * ph) + 0.3 * noise(m);
        if (m->fault) {
            if (m->n % (long)(FS / 97.0) == 0) {
                m->ring = 4.0;
            }
            m->ring *= 0.985;
            m->ring_ph += 1300.0 / FS;
            x += m->ring * sin(2 * M_PI * m->ring_ph);
        }
        double v = m->gain * x + m->dc;
        buf[i] = (int16_t)lrint(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
    }
}

struct rig {
    struct machine m;
    struct node_learn l;
    struct node_classify c;
};

/* Feed steps until @windows windows; count the flagged ones. */
static int run(struct rig *r, int windows, int *flagged, uint8_t *last_score)
{
    int16_t blk[FEAT_STEP_SAMPLES];
    struct node_classify_result res;
    struct node_learn_info info;
    int done = 0;
    *flagged = 0;
    while (done < windows) {
        render(&r->m, blk, FEAT_STEP_SAMPLES);
        int rc = node_learn_step(&r->l, &r->c, blk, FEAT_STEP_SAMPLES, &res, &info);
        assert_true(rc >= 0);
        if (rc == 1) {
            done++;
            *flagged += res.anomalous;
            assert_int_equal(res.is_anomaly_model, 1);
            assert_int_equal(info.phase, r->l.phase);
            if (last_score != NULL) {
                *last_score = res.anomaly_score;
            }
        }
    }
    return done;
}

static void rig_init(struct rig *r, double gain)
{
    memset(r, 0, sizeof(*r));
    r->m.gain = gain;
    r->m.rng = 7;
    node_learn_init(&r->l);
    assert_int_equal(node_classify_init(&r->c, DSP_PROFILE_TURBINE), NODE_CLASSIFY_OK);
}

static void test_not_learned_does_not_judge(void **state)
{
    (void)state;
    static struct rig r;
    int flagged;
    rig_init(&r, 3000.0);
    r.m.fault = 1;
    run(&r, 20, &flagged, NULL);
    assert_int_equal(flagged, 0);
    assert_int_equal(r.l.phase, NODE_LEARN_OFF);
    assert_int_equal(node_learn_progress(&r.l), 0);
    assert_int_equal(node_learn_start(&r.l, NODE_LEARN_MIN_WINDOWS - 1u), NODE_LEARN_EINVAL);
}

static void test_learns_then_judges(void **state)
{
    (void)state;
    static struct rig r, f;
    int flagged;
    uint8_t score = 0;
    rig_init(&r, 3000.0);
    assert_int_equal(node_learn_start(&r.l, 1200), 0);
    run(&r, 600, &flagged, NULL);
    assert_int_equal(flagged, 0);
    assert_true(r.l.phase == NODE_LEARN_MODES || r.l.phase == NODE_LEARN_THRESH);
    assert_int_equal(node_learn_progress(&r.l), 50);
    run(&r, 600, &flagged, NULL);
    assert_int_equal(r.l.phase, NODE_LEARN_READY);
    assert_int_equal(node_learn_progress(&r.l), 100);
    assert_true(r.l.threshold > 0 && r.l.threshold < 255);
    assert_true(r.l.n_protos >= 1);
    run(&r, 200, &flagged, &score);
    print_message("learned: threshold %u, %u prototypes, healthy flagged %d of 200, score %u\n",
                  r.l.threshold, r.l.n_protos, flagged, score);
    assert_true(flagged <= 2);

    /* The same machine 18 dB louder with a gravity offset: still its normal. */
    f = r;
    f.m.gain *= 8.0;
    f.m.dc = 3000.0;
    run(&f, 200, &flagged, NULL);
    print_message("louder with DC: flagged %d of 200\n", flagged);
    assert_true(flagged <= 2);

    f = r;
    f.m.fault = 1;
    run(&f, 100, &flagged, &score);
    print_message("fault: flagged %d of 100, last score %u\n", flagged, score);
    assert_true(flagged >= 80);
}

static void test_state_survives_a_reboot(void **state)
{
    (void)state;
    static struct rig a, b;
    static uint8_t rec[NODE_LEARN_STATE_BYTES];
    static uint8_t rec2[NODE_LEARN_STATE_BYTES];
    int fa, fb;
    uint8_t sa = 0, sb = 0;

    static const int cuts[] = {20, 120, 170, 230}; /* stats, modes, thresh, ready */
    static const uint8_t phase[] = {NODE_LEARN_STATS, NODE_LEARN_MODES, NODE_LEARN_THRESH,
                                    NODE_LEARN_READY};
    for (int cut = 0; cut < 4; cut++) {
        rig_init(&a, 2000.0);
        assert_int_equal(node_learn_start(&a.l, 200), 0);
        run(&a, cuts[cut], &fa, NULL);
        assert_int_equal(a.l.phase, phase[cut]);
        int len = node_learn_save(&a.l, rec, sizeof(rec));
        /* Only what the phase needs: the sums in phase 1, the histogram in phase 3. */
        int want = 24 + NODE_LEARN_DIMS * 4 + a.l.n_protos * (4 + NODE_LEARN_DIMS * 4) + 4 +
                   (cut == 0   ? NODE_LEARN_DIMS * 16
                    : cut == 2 ? 512
                               : 0);
        assert_int_equal(len, want);
        assert_true(len <= (int)NODE_LEARN_STATE_BYTES && NODE_LEARN_STATE_BYTES <= 2048u);
        assert_int_equal(node_learn_save(&a.l, rec, (size_t)len - 1u), NODE_LEARN_ENOSPC);
        /* Reboot: a fresh state, the record loaded; the machine and features go on. */
        b = a;
        node_learn_init(&b.l);
        assert_int_equal(node_learn_load(&b.l, rec, (size_t)len), 0);
        assert_int_equal(node_learn_save(&b.l, rec2, sizeof(rec2)), len);
        assert_memory_equal(rec, rec2, (size_t)len);
        a.m.fault = b.m.fault = 1;
        run(&a, 250, &fa, &sa);
        run(&b, 250, &fb, &sb);
        assert_int_equal(fa, fb);
        assert_int_equal(sa, sb);
        assert_int_equal(a.l.phase, NODE_LEARN_READY);
        len = node_learn_save(&a.l, rec, sizeof(rec));
        assert_true(len > 0);
        assert_int_equal(node_learn_save(&b.l, rec2, sizeof(rec2)), len);
        assert_memory_equal(rec, rec2, (size_t)len);
    }
}

static void test_damaged_record_refused(void **state)
{
    (void)state;
    static struct rig a;
    static struct node_learn before;
    static uint8_t rec[NODE_LEARN_STATE_BYTES];
    int f;
    rig_init(&a, 2000.0);
    assert_int_equal(node_learn_start(&a.l, 64), 0);
    run(&a, 70, &f, NULL);
    int len = node_learn_save(&a.l, rec, sizeof(rec));
    assert_true(len > 100);
    assert_int_equal(node_learn_save(&a.l, rec, 100), NODE_LEARN_ENOSPC);
    before = a.l;
    rec[100] ^= 1u;
    assert_int_equal(node_learn_load(&a.l, rec, (size_t)len), NODE_LEARN_ECORRUPT);
    rec[100] ^= 1u;
    assert_int_equal(node_learn_load(&a.l, rec, (size_t)len - 1u), NODE_LEARN_ECORRUPT);
    rec[len] = 0;
    assert_int_equal(node_learn_load(&a.l, rec, (size_t)len + 1u), NODE_LEARN_ECORRUPT);
    rec[2] = NODE_LEARN_VERSION + 1u;
    assert_int_equal(node_learn_load(&a.l, rec, (size_t)len), NODE_LEARN_ECORRUPT);
    assert_memory_equal(&a.l, &before, sizeof(before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_learned_does_not_judge),
        cmocka_unit_test(test_learns_then_judges),
        cmocka_unit_test(test_state_survives_a_reboot),
        cmocka_unit_test(test_damaged_record_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
