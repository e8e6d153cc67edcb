/* SPDX-License-Identifier: MIT
 * Duty-cycled sensing on the fake HAL: the node classifies only while it listens, switches
 * the front end off between periods (or drops what a board without sensor_stop() delivers),
 * starts each period afresh at its scheduled time, wakes on the wake-on-sound line, and
 * refuses a schedule that cannot work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "node_fake_hal.h"

static struct node node;
static int stops;
static int wake_now;

static void count_stop(void *ctx)
{
    (void)ctx;
    stops++;
}

static bool wake_line(void *ctx)
{
    bool w = wake_now != 0;

    (void)ctx;
    wake_now = 0;
    return w;
}

static void run_until(struct fake_hal *f, uint64_t until_ms)
{
    while (f->now_ms < until_ms) {
        int k;

        f->now_ms += 100;
        for (k = 0; k < 16 && node_step(&node) == NODE_BUSY; k++) {
        }
    }
}

static void config(struct node_config *cfg, uint8_t mode, uint32_t listen_ms, uint32_t every_ms)
{
    node_default_config(cfg, DSP_PROFILE_ELEPHANT, BEARER_LORA);
    cfg->devaddr = 0x26011F00u;
    cfg->agg.health_period_ms = 0;
    cfg->sense.mode = mode;
    cfg->sense.listen_ms = listen_ms;
    cfg->sense.every_ms = every_ms;
}

/* Windows at 1000 Hz: a window ends each 1024-sample step once 2176 samples are in, so the
 * first comes 3072 samples after a start. Listening 6.5 s of every 60 s gives windows at
 * 3.1, 4.1, 5.1 and 6.1 s: 4 per period, 40 in the ten periods before 600 s (the eleventh
 * starts at 600 s); continuous sensing would give 584. */
static void run_schedule(bool with_stop)
{
    static struct hal_ops ops;
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;

    fake_init(&f, &h);
    ops = *h.ops;
    ops.sensor_stop = with_stop ? count_stop : NULL;
    h.ops = &ops;
    stops = 0;
    config(&cfg, SENSING_DUTY, 6500, 60000);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 600000);
    assert_int_equal(node.sensing.periods, 11);
    assert_int_equal(node.stats.windows, 40);
    assert_int_equal(stops, with_stop ? 10 : 0);
    assert_int_equal(node_idle_ms(&node, f.now_ms), 0); /* 600 s: the 11th period started */
    run_until(&f, 607000);
    assert_false(node.sensing.on);
    assert_int_equal(node_idle_ms(&node, f.now_ms), 53000);
}

static void test_node_sensing_duty_with_sensor_stop(void **state)
{
    (void)state;
    run_schedule(true);
}

static void test_node_sensing_duty_without_sensor_stop(void **state)
{
    (void)state;
    run_schedule(false);
}

static void test_node_sensing_wake_on_sound(void **state)
{
    static struct hal_ops ops;
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;

    (void)state;
    fake_init(&f, &h);
    ops = *h.ops;
    ops.wake_pending = wake_line;
    h.ops = &ops;
    config(&cfg, SENSING_WAKE, 5000, 0);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 60000); /* the first 5 s after start, then nothing */
    assert_false(node.sensing.on);
    assert_int_equal(node.stats.windows, 2); /* at 3.1 and 4.1 s */
    assert_int_equal(node_idle_ms(&node, f.now_ms), UINT32_MAX);
    wake_now = 1;
    run_until(&f, 62000);
    assert_true(node.sensing.on);
    wake_now = 1; /* a second wake while listening extends the period */
    run_until(&f, 66500);
    assert_true(node.sensing.on);
    run_until(&f, 70000);
    assert_false(node.sensing.on);
    assert_int_equal(node.sensing.wakeups, 2);
    assert_int_equal(node.sensing.periods, 2);
    /* listening from 60.1 s to 67.1 s (the second wake, seen at 62.1 s, moved the end from
     * 65.1 s): 7 s, windows at 3.1, 4.1, 5.1 and 6.1 s into it */
    assert_int_equal(node.stats.windows, 2 + 4);
}

static void test_node_sensing_config_refused(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;

    (void)state;
    fake_init(&f, &h);
    config(&cfg, SENSING_DUTY, 70000, 60000);
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_DUTY, 0, 60000);
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_WAKE, 0, 0);
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_MODE_COUNT, 1000, 1000);
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_DUTY, 6000, 60000);
    cfg.sense.phase_ms = 60000; /* the phase must be within the period */
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_DUTY, 6000, 60000);
    cfg.sense.wake_level_q15 = 100;
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_WAKE, 6000, 60000); /* no period when woken by sound */
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_WAKE, 6000, 0);
    cfg.sense.wake_level_q15 = 32768;
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_CONTINUOUS, 1000, 0);
    assert_int_equal(node_init(&node, &cfg, &h), NODE_EINVAL);
    config(&cfg, SENSING_CONTINUOUS, 0, 0);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    assert_int_equal(node_idle_ms(&node, 0), 0);
}

/* A phase delays the first period: listening 6.5 s of every 60 s from 20 s on gives the
 * periods at 20, 80, ... 560 s: 10 before 600 s, 4 windows each, and nothing before 20 s. */
static void test_node_sensing_phase(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;

    (void)state;
    fake_init(&f, &h);
    config(&cfg, SENSING_DUTY, 6500, 60000);
    cfg.sense.phase_ms = 20000;
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 19000);
    assert_false(node.sensing.on);
    assert_int_equal(node.sensing.periods, 0);
    assert_int_equal(node.stats.windows, 0);
    assert_int_equal(node_idle_ms(&node, f.now_ms), 1000);
    run_until(&f, 600000);
    assert_int_equal(node.sensing.periods, 10);
    assert_int_equal(node.stats.windows, 40);
}

/* node_set_sensing(), what a node command will call: continuous -> duty cycle -> continuous,
 * the health interval with it; a bad schedule changes nothing. */
static void test_node_sensing_set_at_run_time(void **state)
{
    static struct hal_ops ops;
    struct sensing_config c;
    struct fake_hal f;
    struct hal h;
    struct node_config cfg;
    uint32_t w;

    (void)state;
    fake_init(&f, &h);
    ops = *h.ops;
    ops.sensor_stop = count_stop;
    h.ops = &ops;
    stops = 0;
    config(&cfg, SENSING_CONTINUOUS, 0, 0);
    assert_int_equal(node_init(&node, &cfg, &h), 0);
    run_until(&f, 10000);
    assert_true(node.sensing.on);
    memset(&c, 0, sizeof(c));
    c.mode = SENSING_DUTY;
    c.listen_ms = 70000;
    c.every_ms = 60000;
    assert_int_equal(node_set_sensing(&node, &c, 3600000), NODE_EINVAL);
    assert_int_equal(node.cfg.sense.mode, SENSING_CONTINUOUS);
    assert_true(node.sensing.on);
    assert_int_equal(node.agg.cfg.health_period_ms, 0);

    c.listen_ms = 6500;
    c.phase_ms = 5000;
    assert_int_equal(node_set_sensing(&node, &c, 3600000), 0);
    assert_false(node.sensing.on); /* off at once, */
    assert_int_equal(stops, 1);
    assert_int_equal(node_idle_ms(&node, f.now_ms), 5000); /* listening from 15 s on */
    assert_int_equal(node.agg.cfg.health_period_ms, 3600000);
    assert_int_equal(node.agg.next_health_ms, f.now_ms + 3600000u);
    w = node.stats.windows;
    run_until(&f, 75000); /* periods at 15 s and 75 s */
    assert_int_equal(node.stats.windows, w + 4);

    memset(&c, 0, sizeof(c));
    assert_int_equal(node_set_sensing(&node, &c, 900000), 0);
    assert_true(node.sensing.on); /* continuous: listening at once */
    w = node.stats.windows;
    run_until(&f, 85000);
    assert_true(node.stats.windows > w + 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_sensing_duty_with_sensor_stop),
        cmocka_unit_test(test_node_sensing_duty_without_sensor_stop),
        cmocka_unit_test(test_node_sensing_wake_on_sound),
        cmocka_unit_test(test_node_sensing_config_refused),
        cmocka_unit_test(test_node_sensing_phase),
        cmocka_unit_test(test_node_sensing_set_at_run_time),
    };

    return cmocka_run_group_tests_name("test_sensing", tests, NULL, NULL);
}
