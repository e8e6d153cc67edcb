/* SPDX-License-Identifier: MIT
 * Fixed-point radix-2 real FFT of DSP_FFT_N q15 samples with block floating point, and the
 * q15 Hann window. No floating point, no division, no dynamic memory; the twiddle and window
 * tables are const (flash). The arithmetic is specified exactly so a host build and a
 * Cortex-M build give identical integers.
 *
 * Method: the input is normalised (shifted left by norm so its peak lies in [2^14, 2^15)),
 * the N real samples are packed into N/2 complex int32 values z[n] = x[2n] + j x[2n+1], a
 * decimation-in-time radix-2 complex FFT of length N/2 runs in place on a 1 KB stack buffer,
 * and a split stage recovers the N/2+1 bins of the real spectrum. Values stay below 2^23, so
 * no stage needs scaling: butterflies compute t = b * W with q15 twiddles and 64-bit products
 * rounded half up ((p + 2^14) >> 15; a twiddle of 1 is exact), a' = a + t, b' = a - t; the
 * split forms 2E and 2 W^k O in Q15 and rounds (v + 2^15) >> 16. Block floating point at the
 * output: the smallest r >= norm that fits every component, rounded ((v + 2^(r-1)) >> r),
 * into int16; exp = r - norm. SNR against a double DFT: 73-93 dB on tones, noise, a chirp and
 * an impulse (tests/nodefw/test_fft.c prints each figure).
 */
#ifndef PROJ_NODEFW_FFT_H
#define PROJ_NODEFW_FFT_H

#include <stdint.h>

#include "nodefw/profile.h"

/*
 * dsp_rfft_q15() - real FFT of DSP_FFT_N samples.
 * @x:   in, DSP_FFT_N int16 samples (any q15 signal, e.g. already windowed).
 * @out: out, 2 * DSP_FFT_BINS int16: bin k at out[2k] (real), out[2k+1] (imaginary), for
 *       k = 0 .. DSP_FFT_N/2. The unnormalised DFT X[k] = sum_n x[n] e^{-2 pi j k n / N}
 *       equals (out[2k] + j out[2k+1]) * 2^exp, up to rounding. Must not alias @x.
 * Return: exp, the block exponent, 0..9.
 * Context: any; reentrant (1 KB of stack).
 */
int dsp_rfft_q15(const int16_t *x, int16_t *out);

/*
 * dsp_hann_q15() - multiply a frame by the periodic Hann window.
 * @in:  in, DSP_FFT_N samples.
 * @out: out, DSP_FFT_N samples; may equal @in. out[n] = (in[n] * w[n] + 2^14) >> 15 with
 *       w[n] = round(32767 * 0.5 * (1 - cos(2 pi n / N))) from a const table.
 * Context: any.
 */
void dsp_hann_q15(const int16_t *in, int16_t *out);

#endif /* PROJ_NODEFW_FFT_H */
