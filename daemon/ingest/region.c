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
        .join1_delay_us = 5000000u,
        .join2_delay_us = 6000000u,
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

static int first_window(const struct region *r, uint32_t delay_us, uint32_t up_tmst,
                        uint32_t up_freq_hz, const char *up_datr, struct region_window *out)
{
    if (!lora_datr_ok(up_datr)) {
        return -EINVAL;
    }
    /* Unsigned arithmetic: the concentrator counter wraps every 71 minutes, and so does this. */
    return window(r, up_tmst + delay_us, up_freq_hz, up_datr, out);
}

int region_rx1(const struct region *r, uint32_t up_tmst, uint32_t up_freq_hz, const char *up_datr,
               struct region_window *out)
{
    return first_window(r, r->rx1_delay_us, up_tmst, up_freq_hz, up_datr, out);
}

int region_rx2(const struct region *r, uint32_t up_tmst, struct region_window *out)
{
    return window(r, up_tmst + r->rx2_delay_us, r->rx2_freq_hz, r->rx2_datr, out);
}

int region_join1(const struct region *r, uint32_t up_tmst, uint32_t up_freq_hz, const char *up_datr,
                 struct region_window *out)
{
    return first_window(r, r->join1_delay_us, up_tmst, up_freq_hz, up_datr, out);
}

int region_join2(const struct region *r, uint32_t up_tmst, struct region_window *out)
{
    return window(r, up_tmst + r->join2_delay_us, r->rx2_freq_hz, r->rx2_datr, out);
}

/* "SF<7..12>BW<125|250|500>" into its spreading factor and bandwidth in kHz. */
static int parse_lora_datr(const char *datr, unsigned *sf, unsigned *bw_khz)
{
    unsigned v = 0;
    const char *p = datr;

    if (datr == NULL || strncmp(p, "SF", 2) != 0) {
        return -EINVAL;
    }
    for (p += 2; *p >= '0' && *p <= '9' && v < 100; p++) {
        v = v * 10 + (unsigned)(*p - '0');
    }
    *sf = v;
    if (v < 7 || v > 12 || strncmp(p, "BW", 2) != 0) {
        return -EINVAL;
    }
    p += 2;
    if (strcmp(p, "125") == 0 || strcmp(p, "250") == 0 || strcmp(p, "500") == 0) {
        *bw_khz =
            (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
        return 0;
    }
    return -EINVAL;
}

int64_t region_airtime_us(const char *datr, size_t len, bool crc)
{
    unsigned sf;
    unsigned bw;
    int64_t tsym;
    int64_t num;
    int64_t den;
    int64_t nsym = 8;
    int de;

    if (parse_lora_datr(datr, &sf, &bw) != 0 || len > 255) {
        return -EINVAL;
    }
    /* Tsym = 2^SF / BW: 8 us per chip at 125 kHz, exact in integers for the three widths. */
    tsym = ((int64_t)1 << sf) * 1000 / bw;
    de = bw == 125 && sf >= 11 ? 1 : 0;
    /* AN1200.13: 8 + max(ceil((8PL - 4SF + 28 + 16CRC - 20IH) / (4(SF - 2DE))) (CR + 4), 0),
     * explicit header (IH 0), CR 1 (4/5). */
    num = 8 * (int64_t)len - 4 * (int64_t)sf + 28 + (crc ? 16 : 0);
    den = 4 * ((int64_t)sf - 2 * (int64_t)de);
    if (num > 0) {
        nsym += (num + den - 1) / den * 5;
    }
    /* Preamble: 8 programmed symbols + 4.25 = 49/4 symbols. */
    return tsym * 49 / 4 + nsym * tsym;
}

static uint64_t duty_used(const struct region_duty *d, size_t sb, uint64_t slot)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < REGION_DUTY_BUCKETS; i++) {
        if (d->slot[sb][i] != 0 && d->slot[sb][i] + REGION_DUTY_BUCKETS > slot) {
            sum += d->used_us[sb][i];
        }
    }
    return sum;
}

bool region_duty_allows(const struct region *r, const struct region_duty *d, size_t sb,
                        uint64_t now_ms, int64_t airtime_us)
{
    uint64_t slot = now_ms / REGION_DUTY_SLOT_MS + 1;
    uint64_t budget;

    if (sb >= r->subband_count || sb >= REGION_SUBBAND_MAX || airtime_us < 0) {
        return false;
    }
    /* The hour's share in us: 3.6e9 us x permille / 1000. */
    budget = (uint64_t)3600000u * r->subbands[sb].duty_permille;
    return duty_used(d, sb, slot) + (uint64_t)airtime_us <= budget;
}

void region_duty_charge(struct region_duty *d, size_t sb, uint64_t now_ms, int64_t airtime_us)
{
    uint64_t slot = now_ms / REGION_DUTY_SLOT_MS + 1;
    size_t i = (size_t)(slot % REGION_DUTY_BUCKETS);

    if (sb >= REGION_SUBBAND_MAX || airtime_us < 0) {
        return;
    }
    if (d->slot[sb][i] != slot) {
        d->slot[sb][i] = slot;
        d->used_us[sb][i] = 0;
    }
    d->used_us[sb][i] += (uint32_t)airtime_us;
}

static enum region_pick pick(uint32_t delay1_us, uint32_t delay2_us, uint64_t elapsed_ms,
                             uint32_t margin_ms)
{
    uint64_t ready = elapsed_ms + margin_ms;

    if (ready * 1000u <= delay1_us) {
        return REGION_RX1;
    }
    if (ready * 1000u <= delay2_us) {
        return REGION_RX2;
    }
    return REGION_NONE;
}

enum region_pick region_pick(const struct region *r, uint64_t elapsed_ms, uint32_t margin_ms)
{
    return pick(r->rx1_delay_us, r->rx2_delay_us, elapsed_ms, margin_ms);
}

enum region_pick region_pick_join(const struct region *r, uint64_t elapsed_ms, uint32_t margin_ms)
{
    return pick(r->join1_delay_us, r->join2_delay_us, elapsed_ms, margin_ms);
}
