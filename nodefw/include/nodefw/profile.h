/* SPDX-License-Identifier: MIT
 * Sensing profiles of a node and the window geometry every part of the feature and model path
 * shares. A profile fixes the input sample rate and where the 32 band energies sit in the
 * spectrum; the frame/window geometry is the same for all profiles, so one model format and
 * one engine serve all three. Rationale for every number: nodefw/DSP.md.
 */
#ifndef PROJ_NODEFW_PROFILE_H
#define PROJ_NODEFW_PROFILE_H

#include <stdint.h>

/* FFT length (samples per frame) and its base-2 logarithm. */
#define DSP_FFT_N     256
#define DSP_FFT_LOG2N 8
/* Number of one-sided spectrum bins of one frame: 0 (DC) .. N/2 (Nyquist). */
#define DSP_FFT_BINS (DSP_FFT_N / 2 + 1)
/* Samples between the starts of two consecutive frames (50 % overlap). */
#define DSP_HOP 128

/* Frames in one classification window (time steps of the model input). */
#define FEAT_FRAMES 16
/* Log band energies per frame (channels of the model input). */
#define FEAT_BANDS 32
/* Samples one window spans: 15 hops plus one frame = 2176. */
#define FEAT_WINDOW_SAMPLES ((FEAT_FRAMES - 1) * DSP_HOP + DSP_FFT_N)
/* Samples between two windows: a new window every 8 frames = 1024 samples. */
#define FEAT_STEP_SAMPLES 1024
/* Frames between two windows. */
#define FEAT_STEP_FRAMES (FEAT_STEP_SAMPLES / DSP_HOP)

/* The profiles. Values index tables and are stored in model headers: append only. */
enum dsp_profile {
    DSP_PROFILE_ELEPHANT = 0, /* infrasonic/low-frequency rumbles, 1000 Hz */
    DSP_PROFILE_WHALE = 1,    /* hydrophone, baleen upcalls, 2000 Hz */
    DSP_PROFILE_TURBINE = 2,  /* accelerometer on a gearbox/bearing, 4000 Hz */
    DSP_PROFILE_COUNT = 3,
};

/* Static description of one profile. */
struct dsp_profile_info {
    const char *name;        /* "elephant", "whale", "turbine" (CLI and config spelling) */
    uint16_t sample_rate_hz; /* required input sample rate, Hz */
    /* Band b covers FFT bins band_edges[b] <= k < band_edges[b + 1]; edges strictly increase,
     * band_edges[0] >= 1 (DC is never used) and band_edges[FEAT_BANDS] <= DSP_FFT_BINS. */
    uint8_t band_edges[FEAT_BANDS + 1];
    /* log2(band width in bins) in Q10, precomputed so band means need no division. */
    int16_t band_log2w_q10[FEAT_BANDS];
};

/*
 * dsp_profile_get() - the description of a profile.
 * @p: a profile; anything >= DSP_PROFILE_COUNT is invalid.
 * Return: pointer to a static const description (valid forever), or NULL if @p is invalid.
 * Context: any.
 */
const struct dsp_profile_info *dsp_profile_get(enum dsp_profile p);

/*
 * dsp_profile_from_name() - look a profile up by its name.
 * @name: NUL-terminated name ("elephant", "whale", "turbine"); case sensitive. NULL allowed.
 * Return: the profile (>= 0), or -1 if the name is unknown.
 * Context: any.
 */
int dsp_profile_from_name(const char *name);

/*
 * dsp_profile_name() - the name of a profile.
 * Return: static string, or "?" for an invalid profile.
 */
const char *dsp_profile_name(enum dsp_profile p);

#endif /* PROJ_NODEFW_PROFILE_H */
