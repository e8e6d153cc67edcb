/* SPDX-License-Identifier: MIT
 * Streaming fixed-point features: int16 samples -> Hann -> q15 real FFT -> 32 log band
 * energies per frame, quantised to int8 exactly as the model input expects. A node pushes
 * samples as they arrive; every DSP_HOP samples one frame is computed and kept in a ring of the
 * last FEAT_FRAMES frames, together with its total energy, which also drives a noise-floor
 * tracker for the TFP level_db. No floating point, no division on the per-frame path, no
 * dynamic memory; the caller owns the state (a simulated fleet runs hundreds of them).
 *
 * Feature quantisation (the trainer trains on exactly these integers):
 *   P_b  = mean power of band b = sum over its bins of (re^2 + im^2) * 4^exp / width_b,
 *          where (re, im, exp) come from dsp_rfft_q15() of the Hann-windowed frame;
 *   L_b  = max(0, log2(P_b)) in Q10, computed by dsp_log2_q10() (exactly specified below);
 *   q_b  = clamp(((L_b + 128) >> 8) + FEAT_ZERO_POINT, -128, 127).
 * So one feature step is a quarter octave of power (FEAT_SCALE_LOG2_Q8 / 256 = 0.25 log2 units
 * = 0.753 dB) and real log2(P_b) = (q_b - FEAT_ZERO_POINT) / 4. A full-scale sine gives up to
 * +68 (one-bin band; about +61 spread over a 4-bin band), white noise of 1 LSB RMS about -74,
 * digital silence -100.
 */
#ifndef PROJ_NODEFW_FEATURES_H
#define PROJ_NODEFW_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/profile.h"

/* Quantisation of the feature integers: real log2(power) = (q - FEAT_ZERO_POINT) * scale,
 * scale = FEAT_SCALE_LOG2_Q8 / 256 log2 units (0.25 = 0.7526 dB). */
#define FEAT_ZERO_POINT    (-100)
#define FEAT_SCALE_LOG2_Q8 64
/* The same scale in dB, Q16 (0.7526 dB * 65536), for reports and level conversions. */
#define FEAT_SCALE_DB_Q16 49321

/* Noise-floor tracker: the floor falls towards a quieter frame by 1/4 of the gap per frame and
 * rises by at most this many dB per second (time constant of background change, not of a
 * call), so a 2-6 s event barely lifts it. */
#define FEAT_FLOOR_RISE_MDB_PER_S 500

enum dsp_err {
    DSP_OK = 0,
    DSP_EINVAL = -1, /* NULL pointer or invalid profile */
    DSP_EAGAIN = -2, /* fewer than FEAT_FRAMES frames computed so far: no window yet */
};

/* Per-node feature state. Transparent so the caller can own it (static or on the stack);
 * fields are private to features.c. About 1.2 KB. */
struct dsp_features {
    const struct dsp_profile_info *prof;  /* profile tables */
    int32_t floor_rise_q10;               /* max noise floor rise per frame, log2 Q10 */
    int32_t floor_q10;                    /* tracked noise floor, log2(frame power) Q10 */
    uint32_t frames;                      /* frames computed since init (wraps) */
    uint16_t fill;                        /* samples held in buf */
    uint8_t head;                         /* ring slot the next frame is written to */
    int16_t buf[DSP_FFT_N];               /* most recent samples, oldest first */
    int8_t ring[FEAT_FRAMES][FEAT_BANDS]; /* quantised band energies of the last frames */
    int32_t energy_q10[FEAT_FRAMES];      /* log2(total band power) of each ring frame, Q10 */
};

/* What a window says besides its feature matrix. */
struct dsp_window_info {
    uint8_t level_db;       /* loudest frame of the window above the noise floor, dB, 0..255 */
    uint8_t peak_band;      /* band with the highest summed feature over the window, 0..31 */
    int32_t floor_q10;      /* noise floor at the end of the window, log2 Q10 */
    int32_t max_energy_q10; /* loudest frame's log2(total band power), Q10 */
};

/*
 * dsp_log2_q10() - integer log2 in Q10, the one used everywhere in the feature path.
 * @v: value; v <= 1 gives 0.
 * Return: i * 1024 + T[a] + ((T[a+1] - T[a]) * f + 128) >> 8, where i = floor(log2 v), and
 *         with v normalised so its top set bit is bit 63, a = the 5 bits below it and f = the
 *         next 8 bits; T[k] = round(1024 * log2(1 + k / 32)), k = 0..32. Error < 0.0005.
 * Context: any.
 */
int32_t dsp_log2_q10(uint64_t v);

/*
 * dsp_features_init() - reset a feature state for a profile.
 * @st: out, state to initialise (any previous content is discarded).
 * @p:  profile; decides band edges and the noise floor rise per frame.
 * Return: DSP_OK, or DSP_EINVAL for NULL @st or an invalid profile.
 * Context: any (not ISR: ~1 KB memset).
 */
int dsp_features_init(struct dsp_features *st, enum dsp_profile p);

/*
 * dsp_features_push() - feed samples; computes a frame each time DSP_HOP new samples complete
 * one (the first frame needs DSP_FFT_N samples).
 * @st:      in/out, initialised state.
 * @samples: in, @n int16 samples at the profile's sample rate; may be NULL if @n is 0.
 * @n:       number of samples, any count.
 * Return: number of frames computed by this call (>= 0), or DSP_EINVAL.
 * Context: any; not reentrant per state. Cost: one FFT per DSP_HOP samples.
 */
int dsp_features_push(struct dsp_features *st, const int16_t *samples, size_t n);

/*
 * dsp_features_window() - the last FEAT_FRAMES frames as the model input, oldest first.
 * @st:   in, state.
 * @out:  out, feature matrix [FEAT_FRAMES][FEAT_BANDS] (time major, bands as channels).
 * @info: out, level and peak band of this window; may be NULL.
 * Return: DSP_OK, DSP_EAGAIN if fewer than FEAT_FRAMES frames exist yet (outputs untouched),
 *         or DSP_EINVAL.
 * Context: any.
 */
int dsp_features_window(const struct dsp_features *st, int8_t out[FEAT_FRAMES][FEAT_BANDS],
                        struct dsp_window_info *info);

/*
 * dsp_features_frame() - stateless: the features of one frame.
 * @p:          profile.
 * @frame:      in, DSP_FFT_N raw samples (not windowed: the Hann window is applied here).
 * @bands:      out, FEAT_BANDS quantised band energies.
 * @energy_q10: out, log2(total power over all bands) in Q10; may be NULL.
 * Return: DSP_OK or DSP_EINVAL.
 * Context: any; uses ~1 KB of stack.
 */
int dsp_features_frame(enum dsp_profile p, const int16_t *frame, int8_t *bands,
                       int32_t *energy_q10);

#endif /* PROJ_NODEFW_FEATURES_H */
