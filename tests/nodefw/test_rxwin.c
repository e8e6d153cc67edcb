/* SPDX-License-Identifier: MIT
 * The receive windows' timing (nodefw/radio/rxwin.c), which the STM32WL55 board's
 * radio_recv() follows: RX1 1 s after the uplink on its channel and data rate (a JoinRequest's
 * 5 s), RX2 one second later on 869.525 MHz SF12, each listened long enough for a preamble and
 * the longest downlink; a packet in RX1 closes both, a window missed is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/dutycycle.h"
#include "nodefw/rxwin.h"

static struct hal_lora_tx uplink(uint8_t sf, uint8_t rx1_delay_s)
{
    struct hal_lora_tx tx = {868300000u, sf, 125, 1, 8, true, true, false, 14, rx1_delay_s};

    return tx;
}

static void test_rxwin_rx1_then_rx2(void **state)
{
    struct hal_lora_tx tx = uplink(9, 0);
    struct hal_lora_tx rx;
    struct rxwin w;
    uint32_t wait = 0;
    uint32_t listen = 0;

    (void)state;
    rxwin_open(&w, &tx, 10000);
    assert_int_equal(rxwin_next(&w, 10000, &rx, &wait, &listen), RXWIN_RX1);
    assert_int_equal(wait, 1000);
    assert_int_equal(rx.freq_hz, 868300000u);
    assert_int_equal(rx.sf, 9);
    /* 12 symbols of 4.096 ms (50 ms, rounded up) + 33 bytes at SF9 + 1 ms. */
    assert_int_equal(listen, 50u + dutycycle_toa_us(&rx, 33) / 1000u + 1u);
    assert_int_equal(rxwin_next(&w, 11000, &rx, &wait, &listen), RXWIN_RX1);
    assert_int_equal(wait, 0);
    rxwin_done(&w, false);
    assert_int_equal(rxwin_next(&w, 11100, &rx, &wait, &listen), RXWIN_RX2);
    assert_int_equal(wait, 900);
    assert_int_equal(rx.freq_hz, RXWIN_RX2_FREQ_HZ);
    assert_int_equal(rx.sf, 12);
    assert_true(rx.low_dr_optimize);
    /* 12 symbols of 32.768 ms (394 ms) + 33 bytes at SF12 + 1 ms. */
    assert_int_equal(listen, 394u + dutycycle_toa_us(&rx, 33) / 1000u + 1u);
    rxwin_done(&w, false);
    assert_int_equal(rxwin_next(&w, 12500, &rx, &wait, &listen), RXWIN_CLOSED);
}

static void test_rxwin_heard_in_rx1_closes(void **state)
{
    struct hal_lora_tx tx = uplink(7, 0);
    struct hal_lora_tx rx;
    struct rxwin w;
    uint32_t wait;
    uint32_t listen;

    (void)state;
    rxwin_open(&w, &tx, 0);
    assert_int_equal(rxwin_next(&w, 1000, &rx, &wait, &listen), RXWIN_RX1);
    rxwin_done(&w, true);
    assert_int_equal(rxwin_next(&w, 1100, &rx, &wait, &listen), RXWIN_CLOSED);
}

static void test_rxwin_join_windows_and_missed_rx1(void **state)
{
    struct hal_lora_tx tx = uplink(9, 5);
    struct hal_lora_tx rx;
    struct rxwin w;
    uint32_t wait;
    uint32_t listen;

    (void)state;
    rxwin_open(&w, &tx, 2000);
    assert_int_equal(rxwin_next(&w, 2000, &rx, &wait, &listen), RXWIN_RX1);
    assert_int_equal(wait, 5000);
    assert_int_equal(rx.rx1_delay_s, 0);
    /* Polled too late for RX1's preamble (12 symbols, 48 ms after it opens): RX2 at 8 s. */
    assert_int_equal(rxwin_next(&w, 7100, &rx, &wait, &listen), RXWIN_RX2);
    assert_int_equal(wait, 900);
    /* And too late for RX2 as well: closed. */
    assert_int_equal(rxwin_next(&w, 9000, &rx, &wait, &listen), RXWIN_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rxwin_rx1_then_rx2),
        cmocka_unit_test(test_rxwin_heard_in_rx1_closes),
        cmocka_unit_test(test_rxwin_join_windows_and_missed_rx1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
