/* SPDX-License-Identifier: MIT
 * LoRa time on air and the regional duty-cycle budget. A node in EU868 may occupy its
 * sub-band at most 1 % of the time (ETSI EN 300 220, measured over one hour): 36 s of
 * transmission in any hour. The budget is kept as 61 one-minute bins of time on air, so any
 * sliding hour is covered by the bins summed, the check is strict (never optimistic) and the
 * state is a fixed 250 bytes. Integer arithmetic only (microseconds).
 */
#ifndef PROJ_NODEFW_DUTYCYCLE_H
#define PROJ_NODEFW_DUTYCYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/hal.h"

#define DUTYCYCLE_BIN_MS 60000u /* one bin: one minute */
#define DUTYCYCLE_BINS   61u    /* an hour plus the bin the hour may start inside */

enum dutycycle_err {
    DUTYCYCLE_OK = 0,
    DUTYCYCLE_EINVAL = -20,  /* parameters outside LoRa's ranges */
    DUTYCYCLE_EBUDGET = -21, /* sending now would exceed the budget */
};

/* Regions the node knows; each fixes the budget (and the default uplink modulation). */
enum dutycycle_region {
    DUTYCYCLE_REGION_EU868 = 0, /* 1 %: 36 s per hour */
    DUTYCYCLE_REGION_US915 = 1, /* no duty cycle (FCC dwell-time rules instead) */
};

struct dutycycle {
    uint32_t budget_us;              /* time on air allowed per hour; 0 = unlimited */
    uint32_t bin_us[DUTYCYCLE_BINS]; /* time on air spent in each minute, a ring */
    uint64_t bin_minute;             /* minute number (now_ms / 60000) of the newest bin */
    uint32_t refused;                /* transmissions refused for lack of budget */
    uint64_t total_us;               /* all time on air granted since init */
};

/*
 * dutycycle_toa_us() - LoRa time on air of a @len-byte PHYPayload with modulation @tx
 * (Semtech AN1200.13 / SX1276 datasheet section 4.1.1.7):
 *   Tsym = 2^SF / BW; Tpreamble = (npreamble + 4.25) Tsym;
 *   nsym = 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) (CR + 4), 0).
 * Exact in microseconds for BW 125/250/500 kHz (Tsym is then a multiple of 4 us).
 * Return: microseconds, or 0 for parameters outside SF 6..12, BW 125/250/500, CR 1..4.
 */
uint32_t dutycycle_toa_us(const struct hal_lora_tx *tx, size_t len);

/*
 * dutycycle_init() - an empty history with the budget of @region.
 */
void dutycycle_init(struct dutycycle *dc, enum dutycycle_region region);

/*
 * dutycycle_reserve() - ask to transmit for @toa_us starting at @now_ms.
 * On success the time is charged to the budget. On refusal nothing is charged and
 * dc->refused is incremented.
 * Return: DUTYCYCLE_OK, DUTYCYCLE_EBUDGET.
 */
HAL_MUST_CHECK int dutycycle_reserve(struct dutycycle *dc, uint64_t now_ms, uint32_t toa_us);

/*
 * dutycycle_wait_ms() - how long from @now_ms until a transmission of @toa_us would be
 * granted (0: now). Used to schedule the next attempt instead of polling. A @toa_us over
 * the whole budget never fits: the result is then UINT32_MAX.
 */
uint32_t dutycycle_wait_ms(const struct dutycycle *dc, uint64_t now_ms, uint32_t toa_us);

#endif
