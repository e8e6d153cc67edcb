/* SPDX-License-Identifier: MIT
 * The three sensing profiles: sample rate and band edges (FFT bin indices). Edges follow a
 * warped scale log(1 + f / fc) with fc = 40 Hz (elephant), 120 Hz (whale), 500 Hz (turbine),
 * at least one bin per band, so bands are one bin wide where each profile's signals live and
 * widen above; nodefw/DSP.md lists the frequencies. band_log2w_q10 = dsp_log2_q10(width).
 */
#include "nodefw/profile.h"

#include <stddef.h>

static const struct dsp_profile_info profiles[DSP_PROFILE_COUNT] = {
    [DSP_PROFILE_ELEPHANT] =
        {
            .name = "elephant",
            .sample_rate_hz = 1000,
            /* 3.9 Hz per bin: 7.8 Hz .. 500 Hz; bands 0-6 (1-2 bins each) cover 8-43 Hz. */
            .band_edges = {2,  3,  4,  5,  6,  8,  9,  11, 12, 14, 16, 18, 20,  23,  25,  28, 31,
                           34, 38, 42, 46, 50, 55, 60, 66, 72, 78, 85, 93, 101, 109, 119, 129},
            .band_log2w_q10 = {0,    0,    0,    0,    1024, 0,    1024, 0,    1024, 1024, 1024,
                               1024, 1623, 1024, 1623, 1623, 1623, 2048, 2048, 2048, 2048, 2378,
                               2378, 2647, 2647, 2647, 2875, 3072, 3072, 3072, 3402, 3402},
        },
    [DSP_PROFILE_WHALE] =
        {
            .name = "whale",
            .sample_rate_hz = 2000,
            /* 7.8 Hz per bin: 31 Hz .. 1 kHz; the 50-250 Hz upcall spans bands 2-15. */
            .band_edges = {4,  5,  7,  8,  10, 11, 13, 15, 17, 19, 21, 23, 26,  28,  31,  34, 38,
                           41, 45, 48, 53, 57, 62, 67, 72, 78, 84, 90, 97, 104, 112, 120, 129},
            .band_log2w_q10 = {0,    1024, 0,    1024, 0,    1024, 1024, 1024, 1024, 1024, 1024,
                               1623, 1024, 1623, 1623, 2048, 1623, 2048, 1623, 2378, 2048, 2378,
                               2378, 2378, 2647, 2647, 2647, 2875, 2875, 3072, 3072, 3246},
        },
    [DSP_PROFILE_TURBINE] =
        {
            .name = "turbine",
            .sample_rate_hz = 4000,
            /* 15.6 Hz per bin: 16 Hz .. 2 kHz, near-linear: bearing lines and sidebands. */
            .band_edges = {1,  3,  4,  6,  8,  10, 12, 15, 17, 20, 22, 25,  28,  31,  34,  37, 41,
                           45, 48, 53, 57, 61, 66, 71, 76, 82, 88, 94, 100, 107, 114, 121, 129},
            .band_log2w_q10 = {1024, 0,    1024, 1024, 1024, 1024, 1623, 1024, 1623, 1024, 1623,
                               1623, 1623, 1623, 1623, 2048, 2048, 1623, 2378, 2048, 2048, 2378,
                               2378, 2378, 2647, 2647, 2647, 2647, 2875, 2875, 2875, 3072},
        },
};

const struct dsp_profile_info *dsp_profile_get(enum dsp_profile p)
{
    if ((unsigned)p >= (unsigned)DSP_PROFILE_COUNT) {
        return NULL;
    }
    return &profiles[p];
}

/* strcmp without libc: the boards link no string functions but the mem* ones. */
static int name_equal(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int dsp_profile_from_name(const char *name)
{
    if (name == NULL) {
        return -1;
    }
    for (int i = 0; i < DSP_PROFILE_COUNT; i++) {
        if (name_equal(name, profiles[i].name)) {
            return i;
        }
    }
    return -1;
}

const char *dsp_profile_name(enum dsp_profile p)
{
    const struct dsp_profile_info *info = dsp_profile_get(p);
    return info != NULL ? info->name : "?";
}
