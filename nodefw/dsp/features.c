/* SPDX-License-Identifier: MIT
 * Streaming log band energies (see nodefw/features.h for the exact quantisation). Per frame:
 * Hann window, q15 real FFT with block exponent, band power sums in 64-bit integers, one
 * dsp_log2_q10() per band; the width of a band is subtracted in the log domain, so the
 * per-frame path has no division. The only division is in dsp_features_init().
 */
#include "nodefw/features.h"

#include <string.h>

#include "nodefw/fft.h"

/* T[k] = round(1024 * log2(1 + k / 32)), k = 0..32: mantissa table of dsp_log2_q10(). */
static const int16_t log2_mant_q10[33] = {
    0,   45,  90,  132, 174, 214, 254, 292, 330, 366, 402, 436, 470, 504, 536,  568,  599,
    629, 659, 689, 717, 745, 773, 800, 827, 853, 879, 904, 929, 953, 977, 1001, 1024,
};

/* 10 log10(2) dB per log2 unit in Q20 of a Q10 value: dB = (d_q10 * 3083) >> 20. */
#define DB_PER_LOG2_Q10_Q20 3083

int32_t dsp_log2_q10(uint64_t v)
{
    if (v <= 1) {
        return 0;
    }
    /* Normalise by binary search: i = floor(log2 v), then the top set bit moves to bit 63. */
    int32_t i = 63;
    for (int step = 32; step > 0; step >>= 1) {
        if ((v >> (64 - step)) == 0) {
            v <<= step;
            i -= step;
        }
    }
    /* v now has its top bit at 63: a = next 5 bits, f = the 8 after them. */
    unsigned a = (unsigned)(v >> 58) & 31u;
    int32_t f = (int32_t)((v >> 50) & 255u);
    int32_t t0 = log2_mant_q10[a];
    int32_t t1 = log2_mant_q10[a + 1u];
    return i * 1024 + t0 + (((t1 - t0) * f + 128) >> 8);
}

/* Quantise the Q10 log2 of a band's mean power to the int8 feature. */
static int8_t quantise(int32_t l_q10)
{
    if (l_q10 < 0) {
        l_q10 = 0;
    }
    int32_t q = ((l_q10 + 128) >> 8) + FEAT_ZERO_POINT;
    if (q > 127) {
        q = 127;
    }
    if (q < -128) {
        q = -128;
    }
    return (int8_t)q;
}

static void frame_features(const struct dsp_profile_info *prof, const int16_t *frame, int8_t *bands,
                           int32_t *energy_q10)
{
    int16_t win[DSP_FFT_N];
    int16_t spec[2 * DSP_FFT_BINS];

    dsp_hann_q15(frame, win);
    int32_t exp2_q10 = 2 * 1024 * dsp_rfft_q15(win, spec); /* power scales by 4^exp */
    uint64_t total = 0;
    for (unsigned b = 0; b < FEAT_BANDS; b++) {
        uint64_t sum = 0;
        for (size_t k = prof->band_edges[b]; k < prof->band_edges[b + 1u]; k++) {
            int32_t re = spec[2u * k];
            int32_t im = spec[2u * k + 1u];
            sum += (uint64_t)(uint32_t)(re * re) + (uint64_t)(uint32_t)(im * im);
        }
        total += sum;
        int32_t l = sum == 0 ? 0 : dsp_log2_q10(sum) + exp2_q10 - prof->band_log2w_q10[b];
        bands[b] = quantise(l);
    }
    *energy_q10 = total == 0 ? 0 : dsp_log2_q10(total) + exp2_q10;
}

int dsp_features_frame(enum dsp_profile p, const int16_t *frame, int8_t *bands, int32_t *energy_q10)
{
    const struct dsp_profile_info *prof = dsp_profile_get(p);
    if (prof == NULL || frame == NULL || bands == NULL) {
        return DSP_EINVAL;
    }
    int32_t e = 0;
    frame_features(prof, frame, bands, &e);
    if (energy_q10 != NULL) {
        *energy_q10 = e;
    }
    return DSP_OK;
}

int dsp_features_init(struct dsp_features *st, enum dsp_profile p)
{
    const struct dsp_profile_info *prof = dsp_profile_get(p);
    if (st == NULL || prof == NULL) {
        return DSP_EINVAL;
    }
    memset(st, 0, sizeof(*st));
    st->prof = prof;
    /* mdB/s -> log2 Q10 per frame: rise / 1000 / 3.0103 dB * 1024 * hop / fs. */
    /* Both fit 32 bits (6.6e8 and 1.2e8 at 4 kHz): a plain UDIV on a Cortex-M4. */
    uint32_t num = (uint32_t)FEAT_FLOOR_RISE_MDB_PER_S * 1024u * DSP_HOP * 10u;
    uint32_t den = 30103u * prof->sample_rate_hz;
    st->floor_rise_q10 = (int32_t)((num + den / 2u) / den);
    return DSP_OK;
}

/* Track the noise floor: fall quickly towards quieter frames, rise slowly. */
static void update_floor(struct dsp_features *st, int32_t e)
{
    if (st->frames == 0) {
        st->floor_q10 = e;
    } else if (e < st->floor_q10) {
        st->floor_q10 -= (st->floor_q10 - e + 3) >> 2;
    } else {
        int32_t d = e - st->floor_q10;
        st->floor_q10 += d < st->floor_rise_q10 ? d : st->floor_rise_q10;
    }
}

int dsp_features_push(struct dsp_features *st, const int16_t *samples, size_t n)
{
    if (st == NULL || st->prof == NULL || (samples == NULL && n != 0)) {
        return DSP_EINVAL;
    }
    int produced = 0;
    while (n > 0) {
        size_t take = (size_t)DSP_FFT_N - st->fill;
        if (take > n) {
            take = n;
        }
        memcpy(&st->buf[st->fill], samples, take * sizeof(*samples));
        st->fill = (uint16_t)(st->fill + take);
        samples += take;
        n -= take;
        if (st->fill < DSP_FFT_N) {
            break;
        }
        int32_t e = 0;
        frame_features(st->prof, st->buf, st->ring[st->head], &e);
        st->energy_q10[st->head] = e;
        update_floor(st, e);
        st->head = (uint8_t)((st->head + 1u) % FEAT_FRAMES);
        st->frames++;
        produced++;
        memmove(st->buf, &st->buf[DSP_HOP], (DSP_FFT_N - DSP_HOP) * sizeof(st->buf[0]));
        st->fill = DSP_FFT_N - DSP_HOP;
    }
    return produced;
}

int dsp_features_window(const struct dsp_features *st, int8_t out[FEAT_FRAMES][FEAT_BANDS],
                        struct dsp_window_info *info)
{
    if (st == NULL || st->prof == NULL || out == NULL) {
        return DSP_EINVAL;
    }
    if (st->frames < FEAT_FRAMES) {
        return DSP_EAGAIN;
    }
    int32_t band_sum[FEAT_BANDS] = {0};
    int32_t emax = INT32_MIN;
    for (unsigned t = 0; t < FEAT_FRAMES; t++) {
        unsigned slot = (st->head + t) % FEAT_FRAMES; /* head is the oldest frame */
        memcpy(out[t], st->ring[slot], FEAT_BANDS);
        for (unsigned b = 0; b < FEAT_BANDS; b++) {
            band_sum[b] += st->ring[slot][b];
        }
        if (st->energy_q10[slot] > emax) {
            emax = st->energy_q10[slot];
        }
    }
    if (info != NULL) {
        unsigned peak = 0;
        for (unsigned b = 1; b < FEAT_BANDS; b++) {
            if (band_sum[b] > band_sum[peak]) {
                peak = b;
            }
        }
        int32_t d = emax - st->floor_q10;
        int32_t db = d <= 0 ? 0 : (int32_t)(((int64_t)d * DB_PER_LOG2_Q10_Q20 + (1 << 19)) >> 20);
        info->level_db = (uint8_t)(db > 255 ? 255 : db);
        info->peak_band = (uint8_t)peak;
        info->floor_q10 = st->floor_q10;
        info->max_energy_q10 = emax;
    }
    return DSP_OK;
}
