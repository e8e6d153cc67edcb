/* SPDX-License-Identifier: MIT
 * q15 real FFT with block floating point (see nodefw/fft.h for the exact arithmetic), and the
 * Hann window. Tables are generated once with double precision and are const (flash):
 * cos_q15[k] = round(32767 cos(2 pi k / 256)), sin_q15 likewise, hann_half_q15[n] =
 * round(32767 * 0.5 * (1 - cos(2 pi n / 256))) for n = 0..128 (the window is symmetric).
 * Right shifts of negative values are arithmetic (GCC and Clang on every target we build).
 */
#include "nodefw/fft.h"

#include <stddef.h>
#include <stdint.h>

#define FFT_M (DSP_FFT_N / 2) /* length of the complex FFT: 128 */

static const int16_t cos_q15[128] = {
    32767,  32757,  32728,  32678,  32609,  32521,  32412,  32285,  32137,  31971,  31785,  31580,
    31356,  31113,  30852,  30571,  30273,  29956,  29621,  29268,  28898,  28510,  28105,  27683,
    27245,  26790,  26319,  25832,  25329,  24811,  24279,  23731,  23170,  22594,  22005,  21403,
    20787,  20159,  19519,  18868,  18204,  17530,  16846,  16151,  15446,  14732,  14010,  13279,
    12539,  11793,  11039,  10278,  9512,   8739,   7962,   7179,   6393,   5602,   4808,   4011,
    3212,   2410,   1608,   804,    0,      -804,   -1608,  -2410,  -3212,  -4011,  -4808,  -5602,
    -6393,  -7179,  -7962,  -8739,  -9512,  -10278, -11039, -11793, -12539, -13279, -14010, -14732,
    -15446, -16151, -16846, -17530, -18204, -18868, -19519, -20159, -20787, -21403, -22005, -22594,
    -23170, -23731, -24279, -24811, -25329, -25832, -26319, -26790, -27245, -27683, -28105, -28510,
    -28898, -29268, -29621, -29956, -30273, -30571, -30852, -31113, -31356, -31580, -31785, -31971,
    -32137, -32285, -32412, -32521, -32609, -32678, -32728, -32757,
};
static const int16_t sin_q15[128] = {
    0,     804,   1608,  2410,  3212,  4011,  4808,  5602,  6393,  7179,  7962,  8739,  9512,
    10278, 11039, 11793, 12539, 13279, 14010, 14732, 15446, 16151, 16846, 17530, 18204, 18868,
    19519, 20159, 20787, 21403, 22005, 22594, 23170, 23731, 24279, 24811, 25329, 25832, 26319,
    26790, 27245, 27683, 28105, 28510, 28898, 29268, 29621, 29956, 30273, 30571, 30852, 31113,
    31356, 31580, 31785, 31971, 32137, 32285, 32412, 32521, 32609, 32678, 32728, 32757, 32767,
    32757, 32728, 32678, 32609, 32521, 32412, 32285, 32137, 31971, 31785, 31580, 31356, 31113,
    30852, 30571, 30273, 29956, 29621, 29268, 28898, 28510, 28105, 27683, 27245, 26790, 26319,
    25832, 25329, 24811, 24279, 23731, 23170, 22594, 22005, 21403, 20787, 20159, 19519, 18868,
    18204, 17530, 16846, 16151, 15446, 14732, 14010, 13279, 12539, 11793, 11039, 10278, 9512,
    8739,  7962,  7179,  6393,  5602,  4808,  4011,  3212,  2410,  1608,  804,
};
static const int16_t hann_half_q15[129] = {
    0,     5,     20,    44,    79,    123,   177,   241,   315,   398,   491,   593,   705,
    827,   958,   1098,  1247,  1406,  1573,  1749,  1935,  2128,  2331,  2542,  2761,  2989,
    3224,  3468,  3719,  3978,  4244,  4518,  4799,  5086,  5381,  5682,  5990,  6304,  6624,
    6950,  7281,  7618,  7961,  8308,  8660,  9017,  9379,  9744,  10114, 10487, 10864, 11244,
    11628, 12014, 12403, 12794, 13187, 13583, 13980, 14378, 14778, 15178, 15580, 15981, 16383,
    16786, 17187, 17589, 17989, 18389, 18787, 19184, 19580, 19973, 20364, 20753, 21139, 21523,
    21903, 22280, 22653, 23023, 23388, 23750, 24107, 24459, 24806, 25149, 25486, 25817, 26143,
    26463, 26777, 27085, 27386, 27681, 27968, 28249, 28523, 28789, 29048, 29299, 29543, 29778,
    30006, 30225, 30436, 30639, 30832, 31018, 31194, 31361, 31520, 31669, 31809, 31940, 32062,
    32174, 32276, 32369, 32452, 32526, 32590, 32644, 32688, 32723, 32747, 32762, 32767,
};

/* bitrev7[i]: i with its 7 bits reversed, for the input permutation. */
static const uint8_t bitrev7[128] = {
    0,   64,  32,  96,  16,  80,  48,  112, 8,   72,  40, 104, 24,  88,  56,  120, 4,   68,  36,
    100, 20,  84,  52,  116, 12,  76,  44,  108, 28,  92, 60,  124, 2,   66,  34,  98,  18,  82,
    50,  114, 10,  74,  42,  106, 26,  90,  58,  122, 6,  70,  38,  102, 22,  86,  54,  118, 14,
    78,  46,  110, 30,  94,  62,  126, 1,   65,  33,  97, 17,  81,  49,  113, 9,   73,  41,  105,
    25,  89,  57,  121, 5,   69,  37,  101, 21,  85,  53, 117, 13,  77,  45,  109, 29,  93,  61,
    125, 3,   67,  35,  99,  19,  83,  51,  115, 11,  75, 43,  107, 27,  91,  59,  123, 7,   71,
    39,  103, 23,  87,  55,  119, 15,  79,  47,  111, 31, 95,  63,  127,
};

/* (p + 2^14) >> 15: a q15 product rounded half up to an integer. */
static int32_t q15_round(int64_t p)
{
    return (int32_t)((p + (1 << 14)) >> 15);
}

/* In-place radix-2 decimation-in-time FFT of FFT_M complex int32 values in bit-reversed
 * order. Inputs are below 2^15 in magnitude, so every value stays below 128 * 2^15 * sqrt(2)
 * = 2^22.5 and products below 2^38: no stage needs scaling. */
static void cfft(int32_t *z)
{
    for (size_t len = 2; len <= FFT_M; len <<= 1) {
        size_t half = len >> 1;
        size_t tw_step = (size_t)DSP_FFT_N / len; /* W_len^k = W_N^(k N / len) */
        for (size_t i = 0; i < FFT_M; i += len) { /* k = 0: twiddle 1, exact */
            int32_t *a = &z[2 * i];
            int32_t *b = &z[2 * (i + half)];
            int32_t ar = a[0];
            int32_t ai = a[1];
            a[0] = ar + b[0];
            a[1] = ai + b[1];
            b[0] = ar - b[0];
            b[1] = ai - b[1];
        }
        for (size_t k = 1; k < half; k++) {
            int64_t c = cos_q15[k * tw_step];
            int64_t sn = sin_q15[k * tw_step];
            for (size_t i = k; i < FFT_M; i += len) {
                int32_t *a = &z[2 * i];
                int32_t *b = &z[2 * (i + half)];
                /* (br + j bi)(c - j sn) */
                int32_t tr = q15_round(b[0] * c + b[1] * sn);
                int32_t ti = q15_round(b[1] * c - b[0] * sn);
                int32_t ar = a[0];
                int32_t ai = a[1];
                a[0] = ar + tr;
                a[1] = ai + ti;
                b[0] = ar - tr;
                b[1] = ai - ti;
            }
        }
    }
}

static int32_t abs32(int32_t v)
{
    return v < 0 ? -v : v;
}

int dsp_rfft_q15(const int16_t *x, int16_t *out)
{
    int32_t z[2 * DSP_FFT_BINS];

    /* Normalise: shift the input left by norm so that its peak lies in [2^14, 2^15), which
     * keeps about 15 significant bits through every stage whatever the input level. */
    int32_t peak = 0;
    for (size_t n = 0; n < DSP_FFT_N; n++) {
        int32_t a = abs32(x[n]);
        if (a > peak) {
            peak = a;
        }
    }
    int norm = 0;
    while (peak != 0 && (peak << norm) < (1 << 14)) {
        norm++;
    }

    /* Pack z[n] = x[2n] + j x[2n+1] in bit-reversed order for the in-place DIT FFT. */
    for (size_t n = 0; n < FFT_M; n++) {
        size_t r = bitrev7[n];
        z[2u * r] = (int32_t)x[2u * n] * (1 << norm);
        z[2u * r + 1u] = (int32_t)x[2u * n + 1u] * (1 << norm);
    }
    cfft(z);

    /* Split: with Z = FFT(z), E[k] = (Z[k] + conj Z[M-k]) / 2, O[k] = (Z[k] - conj Z[M-k]) / 2j,
     * X[k] = E[k] + W^k O[k] and X[M-k] = conj(E[k] - W^k O[k]), W = e^{-2 pi j / N}. The
     * doubled terms are exact; X = (2E * 2^15 + 2 W^k O + 2^15) >> 16, |X| < 2^23. */
    int32_t z0r = z[0];
    int32_t z0i = z[1];
    z[0] = z0r + z0i;
    z[1] = 0;
    z[2 * (size_t)FFT_M] = z0r - z0i;
    z[2 * (size_t)FFT_M + 1] = 0;
    for (size_t k = 1; k <= FFT_M / 2; k++) {
        size_t m = FFT_M - k;
        int64_t zr = z[2u * k];
        int64_t zi = z[2u * k + 1u];
        int64_t mr = z[2u * m];
        int64_t mi = z[2u * m + 1u];
        int64_t er2 = (zr + mr) * 32768; /* 2 E[k], Q15 */
        int64_t ei2 = (zi - mi) * 32768;
        int64_t or2 = zi + mi; /* 2 O[k] */
        int64_t oi2 = mr - zr;
        int64_t c = cos_q15[k];
        int64_t sn = sin_q15[k];
        int64_t tr = or2 * c + oi2 * sn; /* 2 W^k O[k], Q15 */
        int64_t ti = oi2 * c - or2 * sn;
        z[2u * k] = (int32_t)((er2 + tr + 32768) >> 16);
        z[2u * k + 1u] = (int32_t)((ei2 + ti + 32768) >> 16);
        if (m != k) {
            z[2u * m] = (int32_t)((er2 - tr + 32768) >> 16);
            z[2u * m + 1u] = (int32_t)((ti - ei2 + 32768) >> 16);
        }
    }

    /* Block exponent: the smallest shift r >= norm that brings every rounded component into
     * int16; exp = r - norm >= 0 re-applies the normalisation. */
    int32_t max = 0;
    for (size_t i = 0; i < (size_t)2 * DSP_FFT_BINS; i++) {
        int32_t a = abs32(z[i]);
        if (a > max) {
            max = a;
        }
    }
    int r = norm;
    while (r < 31 && ((max + (r > 0 ? (1 << (r - 1)) : 0)) >> r) > 32767) {
        r++;
    }
    int32_t half = r > 0 ? (int32_t)1 << (r - 1) : 0;
    for (size_t i = 0; i < (size_t)2 * DSP_FFT_BINS; i++) {
        out[i] = (int16_t)((z[i] + half) >> r);
    }
    return r - norm;
}

void dsp_hann_q15(const int16_t *in, int16_t *out)
{
    /* w[n] = w[N - n]: the first half reads the table forwards, the second backwards. */
    for (size_t n = 0; n <= DSP_FFT_N / 2; n++) {
        int32_t v = (int32_t)in[n] * hann_half_q15[n];
        out[n] = (int16_t)((v + (1 << 14)) >> 15);
    }
    for (size_t n = DSP_FFT_N / 2 + 1; n < DSP_FFT_N; n++) {
        int32_t v = (int32_t)in[n] * hann_half_q15[DSP_FFT_N - n];
        out[n] = (int16_t)((v + (1 << 14)) >> 15);
    }
}
