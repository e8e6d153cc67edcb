/* SPDX-License-Identifier: MIT
 * The regional parameters table (region.h). EU863-870: RP002-1.0.3 section 2.4 (RX1 on the
 * uplink channel, RX2 869.525 MHz DR0 = SF12BW125 by default, RECEIVE_DELAY1 1 s and
 * RECEIVE_DELAY2 2 s) and the ETSI EN 300 220 sub-bands the LoRaWAN specification lists with
 * their duty cycle and power (869.4-869.65 MHz allows 10 % and 27 dBm, which is why RX2 is
 * there).
 */
#include "ingest/region.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct region_subband eu868_subbands[] = {
    {863000000u, 865000000u, 1, 14},   /* 0.1 % */
    {865000001u, 868000000u, 10, 14},  /* 1 % */
    {868000001u, 868600000u, 10, 14},  /* 1 %: the three default channels */
    {868700000u, 869200000u, 1, 14},   /* 0.1 % */
    {869400000u, 869650000u, 100, 27}, /* 10 %: RX2 */
    {869700000u, 870000000u, 10, 14},  /* 1 % */
};

static const struct region regions[] = {
    {
        .name = "EU868",
        .rx1_delay_us = 1000000u,
        .rx2_delay_us = 2000000u,
        .rx2_freq_hz = 869525000u,
        .rx2_datr = "SF12BW125",
        .subbands = eu868_subbands,
        .subband_count = sizeof(eu868_subbands) / sizeof(eu868_subbands[0]),
    },
};

const struct region *region_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(regions) / sizeof(regions[0]); i++) {
        if (strcmp(name, regions[i].name) == 0) {
            return &regions[i];
        }
    }
    return NULL;
}

int region_subband_of(const struct region *r, uint32_t freq_hz)
{
    for (size_t i = 0; i < r->subband_count; i++) {
        if (freq_hz >= r->subbands[i].min_hz && freq_hz <= r->subbands[i].max_hz) {
            return (int)i;
        }
    }
    return -ENOENT;
}

/* LoRa at 125 kHz, SF7..SF12: the data rates of EU868 DR0..DR5. */
static int lora_datr_ok(const char *datr)
{
    static const char *const ok[] = {"SF7BW125",  "SF8BW125",  "SF9BW125",
                                     "SF10BW125", "SF11BW125", "SF12BW125"};

    for (size_t i = 0; datr != NULL && i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (strcmp(datr, ok[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int window(const struct region *r, uint32_t tmst, uint32_t freq_hz, const char *datr,
                  struct region_window *out)
{
    int sb = region_subband_of(r, freq_hz);

    if (sb < 0) {
        return sb;
    }
    memset(out, 0, sizeof(*out));
    out->tmst = tmst;
    out->freq_hz = freq_hz;
    (void)snprintf(out->datr, sizeof(out->datr), "%s", datr);
    out->power_dbm = r->subbands[sb].max_eirp_dbm;
    out->subband = (size_t)sb;
    return 0;
}

int region_rx1(const struct region *r, uint32_t up_tmst, uint32_t up_freq_hz, const char *up_datr,
               struct region_window *out)
{
    if (!lora_datr_ok(up_datr)) {
        return -EINVAL;
    }
    /* Unsigned arithmetic: the concentrator counter wraps every 71 minutes, and so does this. */
    return window(r, up_tmst + r->rx1_delay_us, up_freq_hz, up_datr, out);
}

int region_rx2(const struct region *r, uint32_t up_tmst, struct region_window *out)
{
    return window(r, up_tmst + r->rx2_delay_us, r->rx2_freq_hz, r->rx2_datr, out);
}
