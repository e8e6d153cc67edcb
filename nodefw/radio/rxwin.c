/* SPDX-License-Identifier: MIT
 * The receive windows' timing (rxwin.h). A window's listening time is RXWIN_PREAMBLE symbols
 * (the SX126x timer stops once a header is found, datasheet 13.1.7) plus the time on air of
 * the longest downlink, so that the blocking receive (sx126x_lora_recv()) also waits for a
 * packet that started near the end of the preamble search.
 */
#include "nodefw/rxwin.h"

#include "nodefw/dutycycle.h"

void rxwin_open(struct rxwin *w, const struct hal_lora_tx *tx, uint64_t end_ms)
{
    uint32_t delay_s = tx->rx1_delay_s != 0u ? tx->rx1_delay_s : 1u;

    w->up = *tx;
    w->rx1_ms = end_ms + (uint64_t)delay_s * 1000u;
    w->state = (uint8_t)RXWIN_RX1;
}

/* Symbols of 2^SF chips at @bw_khz, in microseconds; RXWIN_PREAMBLE of them, in ms. */
static uint32_t listen_ms_of(const struct hal_lora_tx *rx)
{
    uint32_t symbol_us = ((uint32_t)1u << rx->sf) * 1000u / rx->bw_khz;

    return (RXWIN_PREAMBLE * symbol_us + 999u) / 1000u +
           dutycycle_toa_us(rx, RXWIN_DOWNLINK) / 1000u + 1u;
}

int rxwin_next(struct rxwin *w, uint64_t now_ms, struct hal_lora_tx *rx, uint32_t *wait_ms,
               uint32_t *listen_ms)
{
    while (w->state != (uint8_t)RXWIN_CLOSED) {
        uint64_t open = w->rx1_ms + (w->state == (uint8_t)RXWIN_RX2 ? 1000u : 0u);

        *rx = w->up;
        rx->rx1_delay_s = 0;
        if (w->state == (uint8_t)RXWIN_RX2) {
            rx->freq_hz = RXWIN_RX2_FREQ_HZ;
            rx->sf = RXWIN_RX2_SF;
            rx->bw_khz = 125;
            rx->low_dr_optimize = true; /* SF12 at 125 kHz: symbols over 16 ms */
        }
        *listen_ms = listen_ms_of(rx);
        /* Too late for the preamble: this window is lost, the next may not be. */
        if (now_ms > open + (uint64_t)(RXWIN_PREAMBLE * (((uint32_t)1u << rx->sf) / rx->bw_khz))) {
            rxwin_done(w, false);
            continue;
        }
        *wait_ms = now_ms >= open ? 0u : (uint32_t)(open - now_ms);
        return (int)w->state;
    }
    return RXWIN_CLOSED;
}

void rxwin_done(struct rxwin *w, bool heard)
{
    if (heard || w->state == (uint8_t)RXWIN_RX2) {
        w->state = (uint8_t)RXWIN_CLOSED;
    } else if (w->state == (uint8_t)RXWIN_RX1) {
        w->state = (uint8_t)RXWIN_RX2;
    }
}
