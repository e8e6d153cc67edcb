/* SPDX-License-Identifier: MIT
 * LoRa time on air (Semtech formula, integer microseconds) and the hourly duty-cycle budget
 * kept as one-minute bins. See dutycycle.h for why bins and not a token bucket: a bucket
 * holding an hour's allowance lets a node transmit up to twice the budget within one hour.
 */
#include "nodefw/dutycycle.h"

#include <string.h>

uint32_t dutycycle_toa_us(const struct hal_lora_tx *tx, size_t len)
{
    uint32_t tsym_us;
    int32_t num;
    int32_t den;
    uint32_t nsym;
    uint32_t sf = tx->sf;

    if (sf < 6u || sf > 12u || tx->cr < 1u || tx->cr > 4u || len > 255u) {
        return 0;
    }
    if (tx->bw_khz != 125u && tx->bw_khz != 250u && tx->bw_khz != 500u) {
        return 0;
    }
    /* 2^SF / BW in us: 1000 / BW(kHz) is 8, 4 or 2, so the product is exact. */
    tsym_us = (1u << sf) * (1000u / tx->bw_khz);

    /* (8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE)), rounded up, clamped at 0. */
    num = (int32_t)(8u * len) - (int32_t)(4u * sf) + 28 + (tx->crc ? 16 : 0) -
          (tx->explicit_header ? 0 : 20);
    den = 4 * ((int32_t)sf - (tx->low_dr_optimize ? 2 : 0));
    nsym = 8u;
    if (num > 0) {
        nsym += (uint32_t)((num + den - 1) / den) * (tx->cr + 4u);
    }
    /* Preamble: (n + 4.25) symbols = (4 n + 17) / 4 symbols; tsym_us is a multiple of 4. */
    return (4u * tx->preamble + 17u) * (tsym_us / 4u) + nsym * tsym_us;
}

void dutycycle_init(struct dutycycle *dc, enum dutycycle_region region)
{
    memset(dc, 0, sizeof(*dc));
    /* 1 % of 3600 s. US915 has no duty-cycle limit. */
    dc->budget_us = region == DUTYCYCLE_REGION_EU868 ? 36000000u : 0u;
}

/* Bring the ring forward to the minute of @now_ms: the bins of minutes skipped are empty. */
static void advance(struct dutycycle *dc, uint64_t now_ms)
{
    uint64_t minute = now_ms / DUTYCYCLE_BIN_MS;
    uint64_t m;

    if (minute <= dc->bin_minute) {
        return; /* the clock is monotonic; an equal minute needs nothing */
    }
    if (minute - dc->bin_minute >= DUTYCYCLE_BINS) {
        memset(dc->bin_us, 0, sizeof(dc->bin_us));
    } else {
        for (m = dc->bin_minute + 1u; m <= minute; m++) {
            dc->bin_us[m % DUTYCYCLE_BINS] = 0;
        }
    }
    dc->bin_minute = minute;
}

/* Time on air charged to the bins of the minutes ending with the newest one. */
static uint64_t used_us(const struct dutycycle *dc)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i < DUTYCYCLE_BINS; i++) {
        sum += dc->bin_us[i];
    }
    return sum;
}

int dutycycle_reserve(struct dutycycle *dc, uint64_t now_ms, uint32_t toa_us)
{
    if (dc->budget_us == 0u) {
        dc->total_us += toa_us;
        return DUTYCYCLE_OK;
    }
    advance(dc, now_ms);
    if (used_us(dc) + toa_us > dc->budget_us) {
        dc->refused++;
        return DUTYCYCLE_EBUDGET;
    }
    dc->bin_us[dc->bin_minute % DUTYCYCLE_BINS] += toa_us;
    dc->total_us += toa_us;
    return DUTYCYCLE_OK;
}

uint32_t dutycycle_wait_ms(const struct dutycycle *dc, uint64_t now_ms, uint32_t toa_us)
{
    struct dutycycle tmp;
    uint64_t used;
    uint64_t minute = now_ms / DUTYCYCLE_BIN_MS;
    uint64_t k;

    if (dc->budget_us == 0u) {
        return 0;
    }
    if (toa_us > dc->budget_us) {
        return UINT32_MAX;
    }
    tmp = *dc;
    advance(&tmp, now_ms);
    used = used_us(&tmp);
    /* At minute + k the bins of minutes minute-60 .. minute+k-61 have left the hour; the
     * one leaving at step k, minute+k-61, sits at index (minute + k) mod 61. */
    for (k = 0; k < DUTYCYCLE_BINS; k++) {
        if (k > 0u) {
            used -= tmp.bin_us[(minute + k) % DUTYCYCLE_BINS];
        }
        if (used + toa_us <= tmp.budget_us) {
            return k == 0u ? 0u : (uint32_t)((minute + k) * DUTYCYCLE_BIN_MS - now_ms);
        }
    }
    return (uint32_t)((minute + DUTYCYCLE_BINS) * DUTYCYCLE_BIN_MS - now_ms);
}
