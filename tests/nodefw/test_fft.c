/* SPDX-License-Identifier: MIT
 * dsp_rfft_q15() against a double-precision DFT of the same int16 input: tones at and between
 * bins, full scale and quiet, white noise, a chirp, an impulse and windowed signals. The SNR
 * (signal power over error power over all N/2+1 bins) must reach 60 dB; each figure is printed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/fft.h"

static uint32_t rng_state = 12345u;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state;
}

static int16_t clamp16(double v)
{
    long r = lround(v);
    if (r > 32767) {
        r = 32767;
    }
    if (r < -32768) {
        r = -32768;
    }
    return (int16_t)r;
}

/* SNR in dB of the fixed-point spectrum of x against a double DFT. */
static double fft_snr(const int16_t *x)
{
    int16_t out[2 * DSP_FFT_BINS];
    int exp = dsp_rfft_q15(x, out);
    double sig = 0.0;
    double err = 0.0;
    for (int k = 0; k < DSP_FFT_BINS; k++) {
        double re = 0.0;
        double im = 0.0;
        for (int n = 0; n < DSP_FFT_N; n++) {
            double a = -2.0 * M_PI * (double)k * (double)n / DSP_FFT_N;
            re += x[n] * cos(a);
            im += x[n] * sin(a);
        }
        double fr = ldexp(out[2 * k], exp);
        double fi = ldexp(out[2 * k + 1], exp);
        sig += re * re + im * im;
        err += (fr - re) * (fr - re) + (fi - im) * (fi - im);
    }
    if (err == 0.0) {
        return 200.0;
    }
    return 10.0 * log10(sig / err);
}

static void check_snr(const char *name, const int16_t *x)
{
    double snr = fft_snr(x);
    print_message("  fft snr %-28s %6.1f dB\n", name, snr);
    assert_true(snr >= 60.0);
}

static void test_dsp_rfft_q15_tones(void **state)
{
    (void)state;
    static const struct {
        double bin;
        double amp;
        const char *name;
    } tones[] = {
        {10.0, 32767.0, "tone bin 10 full scale"}, {37.3, 20000.0, "tone bin 37.3"},
        {1.0, 1000.0, "tone bin 1 amp 1000"},      {127.0, 30000.0, "tone bin 127"},
        {64.5, 300.0, "tone bin 64.5 amp 300"},    {3.7, 32000.0, "tone bin 3.7"},
    };
    for (size_t t = 0; t < sizeof(tones) / sizeof(tones[0]); t++) {
        int16_t x[DSP_FFT_N];
        for (int n = 0; n < DSP_FFT_N; n++) {
            x[n] = clamp16(tones[t].amp * sin(2.0 * M_PI * tones[t].bin * n / DSP_FFT_N + 0.3));
        }
        check_snr(tones[t].name, x);
    }
}

static void test_dsp_rfft_q15_noise_chirp_impulse(void **state)
{
    (void)state;
    int16_t x[DSP_FFT_N];
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = (int16_t)(rng() >> 16);
    }
    check_snr("white noise full scale", x);
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = (int16_t)((int32_t)(rng() >> 16) / 64 - 256);
    }
    check_snr("white noise amp 512 + DC", x);
    for (int n = 0; n < DSP_FFT_N; n++) {
        double t = (double)n / DSP_FFT_N;
        x[n] = clamp16(25000.0 * sin(2.0 * M_PI * (5.0 * t + 50.0 * t * t)));
    }
    check_snr("chirp bin 5..105", x);
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = n == 17 ? 32767 : 0;
    }
    check_snr("impulse", x);
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = n % 2 ? -32768 : 32767;
    }
    check_snr("Nyquist square full scale", x);
    /* Windowed tone plus noise, as the feature path uses it. */
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = clamp16(12000.0 * sin(2.0 * M_PI * 20.25 * n / DSP_FFT_N) +
                       (double)((int32_t)(rng() >> 16) / 32));
    }
    dsp_hann_q15(x, x);
    check_snr("hann(tone + noise)", x);
}

static void test_dsp_rfft_q15_zero(void **state)
{
    (void)state;
    int16_t x[DSP_FFT_N] = {0};
    int16_t out[2 * DSP_FFT_BINS];
    int exp = dsp_rfft_q15(x, out);
    int nonzero = 0;
    for (int i = 0; i < 2 * DSP_FFT_BINS; i++) {
        nonzero += out[i] != 0;
    }
    assert_int_equal(exp, 0);
    assert_int_equal(nonzero, 0);
}

static void test_dsp_hann_q15_formula(void **state)
{
    (void)state;
    int16_t x[DSP_FFT_N];
    int16_t y[DSP_FFT_N];
    int bad = 0;
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = (int16_t)(n * 200 - 25600);
    }
    dsp_hann_q15(x, y);
    for (int n = 0; n < DSP_FFT_N; n++) {
        double w = round(32767.0 * 0.5 * (1.0 - cos(2.0 * M_PI * n / DSP_FFT_N)));
        long want = (long)floor((x[n] * w + 16384.0) / 32768.0);
        bad += y[n] != want;
    }
    assert_int_equal(bad, 0); /* samples that differ from the formula */
    dsp_hann_q15(x, x);       /* in place gives the same */
    int diff = 0;
    for (int n = 0; n < DSP_FFT_N; n++) {
        diff += x[n] != y[n];
    }
    assert_int_equal(diff, 0); /* in place differs from out of place */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsp_rfft_q15_tones),
        cmocka_unit_test(test_dsp_rfft_q15_noise_chirp_impulse),
        cmocka_unit_test(test_dsp_rfft_q15_zero),
        cmocka_unit_test(test_dsp_hann_q15_formula),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
