/* SPDX-License-Identifier: MIT
 * Energy accounts: every microsecond charged to the state it was spent in, open intervals
 * counted by a snapshot without changing the account, the sensor's on-time, the radio's
 * transmissions and receive windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/energy.h"

static void test_energy_enter_charges_the_state_left(void **state)
{
    struct energy_acct a;
    struct energy_acct s;

    (void)state;
    energy_init(&a, 1000, 48000000u, 2000000u);
    energy_enter(&a, ENERGY_STOP2, 1500);     /* 500 us of run */
    energy_enter(&a, ENERGY_RUN, 101500);     /* 100 ms of Stop2 */
    energy_enter(&a, ENERGY_LPSLEEP, 102000); /* 500 us of run */
    energy_enter(&a, ENERGY_SLEEP, 202000);   /* 100 ms of LP sleep */
    assert_int_equal(a.state_us[ENERGY_RUN], 1000);
    assert_int_equal(a.state_us[ENERGY_STOP2], 100000);
    assert_int_equal(a.state_us[ENERGY_LPSLEEP], 100000);
    assert_int_equal(a.state_us[ENERGY_SLEEP], 0);
    assert_int_equal(a.wakeups, 1);
    assert_int_equal(a.run_hz, 48000000u);
    assert_int_equal(a.lp_hz, 2000000u);
    /* The open Sleep interval only shows in a snapshot, which covers all the time. */
    assert_int_equal(energy_snapshot(&a, 212000, &s), 211000);
    assert_int_equal(s.state_us[ENERGY_SLEEP], 10000);
    assert_int_equal(a.state_us[ENERGY_SLEEP], 0);
    energy_enter(&a, ENERGY_RUN, 222000);
    assert_int_equal(a.state_us[ENERGY_SLEEP], 20000);
    assert_int_equal(a.wakeups, 2);
}

static void test_energy_clock_going_back_charges_nothing(void **state)
{
    struct energy_acct a;
    struct energy_acct s;

    (void)state;
    energy_init(&a, 5000, 1, 1);
    energy_enter(&a, ENERGY_SLEEP, 4000);
    energy_enter(&a, ENERGY_RUN, 6000); /* counted from 5000, not from 4000 */
    assert_int_equal(a.state_us[ENERGY_RUN], 0);
    assert_int_equal(a.state_us[ENERGY_SLEEP], 1000);
    assert_int_equal(energy_snapshot(&a, 100, &s), 1000);
    energy_enter(&a, (enum energy_state)ENERGY_STATE_COUNT, 9000); /* ignored */
    assert_int_equal(a.state, ENERGY_RUN);
    energy_charge(&a, (enum energy_state)7, 5);
    energy_charge(&a, ENERGY_RUN, 40);
    assert_int_equal(a.state_us[ENERGY_RUN], 40);
}

static void test_energy_sensor_on_time(void **state)
{
    struct energy_acct a;
    struct energy_acct s;

    (void)state;
    energy_init(&a, 0, 1, 1);
    energy_sensor(&a, true, 1000);
    energy_sensor(&a, true, 2000); /* already on: the start stays at 1000 */
    energy_sensor(&a, false, 3500);
    energy_sensor(&a, false, 4000);
    energy_sensor(&a, true, 10000);
    assert_int_equal(a.sensor_on_us, 2500);
    assert_int_equal(a.sensor_starts, 2);
    (void)energy_snapshot(&a, 10250, &s);
    assert_int_equal(s.sensor_on_us, 2750);
    assert_true(s.sensor_on);
}

static void test_energy_radio(void **state)
{
    struct energy_acct a;

    (void)state;
    energy_init(&a, 0, 1, 1);
    energy_tx(&a, 185344, 14);
    energy_tx(&a, 61696, 10);
    energy_rx(&a, 20480);
    energy_rx(&a, 20480);
    assert_int_equal(a.tx_us, 247040);
    assert_int_equal(a.tx_frames, 2);
    assert_int_equal(a.tx_dbm, 10);
    assert_int_equal(a.rx_us, 40960);
    assert_int_equal(a.rx_windows, 2);
}

static void test_energy_state_name(void **state)
{
    (void)state;
    assert_string_equal(energy_state_name(ENERGY_RUN), "run");
    assert_string_equal(energy_state_name(ENERGY_STOP2), "stop2");
    assert_string_equal(energy_state_name(ENERGY_STATE_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_energy_enter_charges_the_state_left),
        cmocka_unit_test(test_energy_clock_going_back_charges_nothing),
        cmocka_unit_test(test_energy_sensor_on_time),
        cmocka_unit_test(test_energy_radio),
        cmocka_unit_test(test_energy_state_name),
    };

    return cmocka_run_group_tests_name("test_energy", tests, NULL, NULL);
}
