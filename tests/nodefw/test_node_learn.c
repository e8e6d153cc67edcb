/* SPDX-License-Identifier: MIT
 * A turbine node learns its machine in the node loop (node.c with learn.h): it flags nothing
 * while learning, writes the learned state to its storage area at boot, at phase changes and
 * every 1/16 of the period; a reboot mid-learning continues where the last write left it; a
 * reboot after learning keeps the threshold and judges at once (healthy not flagged, a fault
 * flagged); a restart forgets; a damaged record means learning again; learn_s 0 and other
 * profiles do not learn.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "proto/frame.h"
#include "proto/tfp.h"
#include "node_fake_hal.h"

#define FS      4000
#define LEARN_S 16u

static struct node node;
static int16_t healthy[60 * FS];
static int16_t faulty[10 * FS];

/* A gearbox-like machine (as test_learn.c): shaft, mesh and harmonic lines, noise, and with
 * @fault impacts at 97 Hz ringing at 1.3 kHz. */
static void render(int16_t *buf, size_t count, int fault, uint32_t seed)
{
    double shaft_ph = 0;
    double ring = 0;
    double ring_ph = 0;
    uint32_t rng = seed;

    for (size_t i = 0; i < count; i++) {
        double t = (double)i / FS;
        double nz = 0;

        for (int k = 0; k < 4; k++) {
            rng = rng * 1664525u + 1013904223u;
            nz += (double)(rng >> 8) / 16777216.0 - 0.5;
        }
        shaft_ph += 23.0 * (1.0 + 0.02 * sin(2 * M_PI * 0.1 * t)) / FS;
        double ph = 2 * M_PI * shaft_ph;
        double x = 0.2 * sin(ph) + sin(27.0 * ph) + 0.3 * sin(54.0 * ph) + 0.3 * nz;
        if (fault) {
            if (i % (size_t)(FS / 97) == 0) {
                ring = 4.0;
            }
            ring *= 0.985;
            ring_ph += 1300.0 / FS;
            x += ring * sin(2 * M_PI * ring_ph);
        }
        buf[i] = (int16_t)lrint(3000.0 * x);
    }
}

static int setup(void **state)
{
    (void)state;
    render(healthy, sizeof(healthy) / sizeof(healthy[0]), 0, 7);
    render(faulty, sizeof(faulty) / sizeof(faulty[0]), 1, 9);
    return 0;
}

struct count {
    int windows;
    int flagged;
};

static void on_window(void *arg, uint64_t end_ms, const struct node_classify_result *r)
{
    struct count *c = arg;

    (void)end_ms;
    c->windows++;
    c->flagged += r->anomalous != 0u;
}

/* Boot the node (a reboot keeps @f's storage) and feed it @n samples of @in until EOF. */
static void boot_and_run(struct fake_hal *f, struct hal *h, uint32_t learn_s, const int16_t *in,
                         size_t n, struct count *c)
{
    struct node_config cfg;

    node_default_config(&cfg, DSP_PROFILE_TURBINE, BEARER_LORA);
    cfg.devaddr = 0x26011F00u;
    cfg.learn_s = learn_s;
    f->samples = in;
    f->nsamples = n;
    assert_int_equal(node_init(&node, &cfg, h), 0);
    memset(c, 0, sizeof(*c));
    node.on_window = on_window;
    node.on_window_arg = c;
    f->nsent = 0;
    for (int done = 0; !done;) {
        f->now_ms += 100;
        for (int k = 0; k < 16 && !done; k++) {
            int st = node_step(&node);

            done = st == NODE_DONE;
            if (st != NODE_BUSY) {
                break;
            }
        }
    }
}

/* The last health message the node sent (it sends one as its input ends). */
static void last_health(const struct fake_hal *f, struct proto_tfp_health *h)
{
    static const uint8_t zero[16];

    for (int i = f->nsent - 1; i >= 0; i--) {
        struct proto_frame fr;
        struct proto_tfp_msg m;
        uint8_t plain[PROTO_TFP_MAX_LEN];

        assert_int_equal(proto_frame_parse(f->sent[i].buf, f->sent[i].len, &fr), PROTO_OK);
        if (fr.fport != PROTO_TFP_PORT_HEALTH) {
            continue;
        }
        int n = proto_frame_decrypt(&fr, zero, fr.fcnt16, plain, sizeof(plain));
        assert_true(n > 0);
        assert_int_equal(proto_tfp_decode(fr.fport, plain, (size_t)n, &m), PROTO_OK);
        *h = m.u.health;
        return;
    }
    fail_msg("no health message sent");
}

static void test_learning_survives_reboots(void **state)
{
    static struct fake_hal f;
    struct hal h;
    struct count c;
    uint32_t seen;
    uint8_t thr;
    int writes;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(NODE_LEARN_S_DEFAULT, 14u * 86400u);
    /* 8 s of a 16 s period: phase 2, nothing flagged, written at boot and since. */
    boot_and_run(&f, &h, LEARN_S, healthy, 8 * FS, &c);
    assert_true(c.windows > 20);
    assert_int_equal(c.flagged, 0);
    assert_int_equal(node.learn.phase, NODE_LEARN_MODES);
    struct proto_tfp_health hm;
    last_health(&f, &hm);
    assert_int_equal(hm.learn, PROTO_TFP_LEARN_LEARNING);
    assert_int_equal(hm.learn_progress, node_learn_progress(&node.learn));
    assert_true(hm.learn_progress > 20u && hm.learn_progress < 75u);
    assert_int_equal(hm.learn_threshold, 0);
    seen = node.learn.seen;
    writes = f.learn_writes;
    assert_true(writes >= 4);
    assert_int_equal(node.stats.learn_saves, (uint32_t)writes);
    /* Reboot: it resumes from the last write (at most 1/16 of the period back), not from 0. */
    boot_and_run(&f, &h, LEARN_S, healthy + 8 * FS, 2 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_MODES);
    assert_true(node.learn.seen + LEARN_S * FS / FEAT_STEP_SAMPLES / 16u > seen + 4u);
    boot_and_run(&f, &h, LEARN_S, healthy + 10 * FS, 50 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_READY);
    assert_true(node.learn.threshold > 0u);
    assert_true(c.windows > 100);
    assert_true(c.flagged <= 1);
    thr = node.learn.threshold;
    writes = f.learn_writes;
    last_health(&f, &hm);
    assert_int_equal(hm.learn, PROTO_TFP_LEARN_READY);
    assert_int_equal(hm.learn_progress, 100);
    assert_int_equal(hm.learn_threshold, thr);
    /* Reboot after learning: the threshold is kept, the fault is judged at once, and a
     * learned node writes nothing more. */
    boot_and_run(&f, &h, LEARN_S, faulty, 10 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_READY);
    assert_int_equal(node.learn.threshold, thr);
    assert_int_equal(f.learn_writes, writes);
    assert_true(c.windows >= 30);
    assert_true(c.flagged * 10 >= c.windows * 8);
    /* Restart: forgotten, written, and after a reboot still learning from the start. */
    assert_int_equal(node_learn_restart(&node), 0);
    assert_int_equal(node.learn.phase, NODE_LEARN_STATS);
    assert_int_equal(f.learn_writes, writes + 1);
    boot_and_run(&f, &h, LEARN_S, faulty, 4 * FS, &c);
    assert_int_equal(c.flagged, 0);
    assert_true(node.learn.phase == NODE_LEARN_STATS || node.learn.phase == NODE_LEARN_MODES);
}

/* Health messages among what the node sent: how many, and the first's learning state. */
static int health_count(const struct fake_hal *f, uint8_t *first_learn)
{
    static const uint8_t zero[16];
    int k = 0;

    for (int i = 0; i < f->nsent; i++) {
        struct proto_frame fr;
        struct proto_tfp_msg m;
        uint8_t plain[PROTO_TFP_MAX_LEN];

        assert_int_equal(proto_frame_parse(f->sent[i].buf, f->sent[i].len, &fr), PROTO_OK);
        if (fr.fport != PROTO_TFP_PORT_HEALTH) {
            continue;
        }
        int n = proto_frame_decrypt(&fr, zero, fr.fcnt16, plain, sizeof(plain));
        assert_int_equal(proto_tfp_decode(fr.fport, plain, (size_t)n, &m), PROTO_OK);
        if (k++ == 0) {
            *first_learn = m.u.health.learn;
        }
    }
    return k;
}

static void test_damaged_record_learns_again(void **state)
{
    static struct fake_hal f;
    struct hal h;
    struct count c;
    uint8_t first = 0;

    (void)state;
    fake_init(&f, &h);
    boot_and_run(&f, &h, LEARN_S, healthy, 20 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_READY);
    /* Ready at 16 s: a health message says so at once (the period is 15 minutes), then the
     * one at the end of the input. */
    assert_int_equal(health_count(&f, &first), 2);
    assert_int_equal(first, PROTO_TFP_LEARN_READY);
    f.learn[f.learn_len / 2] ^= 0x40;
    boot_and_run(&f, &h, LEARN_S, faulty, 2 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_STATS);
    assert_int_equal(c.flagged, 0);
}

static void test_no_learning_without_period_or_turbine(void **state)
{
    static struct fake_hal f;
    struct node_config cfg;
    struct hal h;
    struct count c;

    (void)state;
    fake_init(&f, &h);
    /* learn_s 0: the frozen model judges from the first window, nothing stored. */
    boot_and_run(&f, &h, 0, faulty, 4 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_OFF);
    assert_int_equal(f.learn_writes, 0);
    assert_true(c.flagged > 0);
    assert_int_equal(node_learn_restart(&node), NODE_EINVAL);
    struct proto_tfp_health hm;
    last_health(&f, &hm);
    assert_int_equal(hm.learn, PROTO_TFP_LEARN_NONE);
    node_default_config(&cfg, DSP_PROFILE_WHALE, BEARER_LORA);
    assert_int_equal(cfg.learn_s, 0u);
    node_default_config(&cfg, DSP_PROFILE_TURBINE, BEARER_LORA);
    assert_int_equal(cfg.learn_s, NODE_LEARN_S_DEFAULT);
}

static void test_board_without_learn_area(void **state)
{
    static struct fake_hal f;
    static struct hal_ops ops;
    struct hal h;
    struct count c;

    (void)state;
    fake_init(&f, &h);
    ops = fake_ops;
    ops.learn_read = NULL;
    ops.learn_write = NULL;
    h.ops = &ops;
    /* It learns in RAM; the failed writes are counted. */
    boot_and_run(&f, &h, LEARN_S, healthy, 20 * FS, &c);
    assert_int_equal(node.learn.phase, NODE_LEARN_READY);
    assert_int_equal(node.stats.learn_saves, 0u);
    assert_true(node.stats.learn_errors >= 4u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learning_survives_reboots),
        cmocka_unit_test(test_damaged_record_learns_again),
        cmocka_unit_test(test_no_learning_without_period_or_turbine),
        cmocka_unit_test(test_board_without_learn_area),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
