/* SPDX-License-Identifier: MIT
 * The host WAV reader and writer: a round trip through wav_write(), its header byte by
 * byte, extra chunks skipped, the extensible format, and a clear error for each file a node
 * cannot take: stereo, 8 or 24 bits, float, a truncated header at every length, not a WAV
 * file at all; wav_read_all() for whole files, which refuses a short data chunk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/wav.h"

static char path[64];

static int setup(void **state)
{
    int fd;

    (void)state;
    snprintf(path, sizeof(path), "/tmp/test_wav_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void put(uint8_t *p, uint32_t v, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A header with these fields, an optional LIST chunk before fmt, and @nsamp samples of
 * (bits/8 * channels) bytes each. Return: its length in @buf. */
static size_t make(uint8_t *buf, uint16_t format, uint16_t channels, uint32_t rate, uint16_t bits,
                   int list, uint32_t nbytes)
{
    size_t i = 0;

    memcpy(buf, "RIFF", 4);
    put(buf + 4, 0, 4); /* readers ignore the RIFF size; so do we */
    memcpy(buf + 8, "WAVE", 4);
    i = 12;
    if (list) {
        memcpy(buf + i, "LIST", 4);
        put(buf + i + 4, 5, 4); /* odd: padded to 6 */
        memcpy(buf + i + 8, "abcde\0", 6);
        i += 14;
    }
    memcpy(buf + i, "fmt ", 4);
    put(buf + i + 4, 16, 4);
    put(buf + i + 8, format, 2);
    put(buf + i + 10, channels, 2);
    put(buf + i + 12, rate, 4);
    put(buf + i + 16, rate * channels * bits / 8u, 4);
    put(buf + i + 20, (uint32_t)(channels * bits / 8u), 2);
    put(buf + i + 22, bits, 2);
    i += 24;
    memcpy(buf + i, "data", 4);
    put(buf + i + 4, nbytes, 4);
    i += 8;
    memset(buf + i, 0x11, nbytes);
    return i + nbytes;
}

static void write_file(const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void expect_error(const char *want)
{
    struct wav w;
    char err[160];

    err[0] = 0;
    assert_int_equal(wav_open(&w, path, err, sizeof(err)), -1);
    if (strstr(err, want) == NULL) {
        fail_msg("error '%s' does not say '%s'", err, want);
    }
    assert_null(w.f);
}

static void test_wav_open_round_trip(void **state)
{
    int16_t in[3000];
    int16_t out[3100];
    struct wav w;
    char err[160];
    size_t i;
    size_t got = 0;
    size_t n;

    (void)state;
    for (i = 0; i < 3000; i++) {
        in[i] = (int16_t)(i * 37u - 32768);
    }
    assert_int_equal(wav_write(path, 2000, in, 3000), 0);
    assert_int_equal(wav_open(&w, path, err, sizeof(err)), 0);
    assert_int_equal(w.rate_hz, 2000);
    assert_int_equal(w.frames, 3000);
    while ((n = wav_read(&w, out + got, 700)) > 0) {
        got += n;
    }
    assert_int_equal(got, 3000);
    assert_memory_equal(in, out, sizeof(in));
    wav_close(&w);
    wav_close(&w);
}

static void test_wav_open_skips_chunks(void **state)
{
    uint8_t buf[256];
    struct wav w;
    char err[160];
    int16_t s[8];

    (void)state;
    write_file(buf, make(buf, 1, 1, 1000, 16, 1, 8));
    assert_int_equal(wav_open(&w, path, err, sizeof(err)), 0);
    assert_int_equal(wav_read(&w, s, 8), 4);
    assert_int_equal(s[3], 0x1111);
    wav_close(&w);
}

/* The data chunk claims more than the file holds: the samples that are there, then the end. */
static void test_wav_read_short_data(void **state)
{
    uint8_t buf[256];
    size_t len = make(buf, 1, 1, 1000, 16, 0, 40);
    struct wav w;
    char err[160];
    int16_t s[64];

    (void)state;
    write_file(buf, len - 11); /* 29 bytes of data: 14 whole samples */
    assert_int_equal(wav_open(&w, path, err, sizeof(err)), 0);
    assert_int_equal(wav_read(&w, s, 64), 14);
    assert_int_equal(wav_read(&w, s, 64), 0);
    wav_close(&w);
}

static void test_wav_open_errors(void **state)
{
    uint8_t buf[256];

    (void)state;
    write_file(buf, make(buf, 1, 2, 1000, 16, 0, 8));
    expect_error("stereo file (2 channels)");
    write_file(buf, make(buf, 1, 6, 1000, 16, 0, 24));
    expect_error("multi-channel file (6 channels)");
    write_file(buf, make(buf, 1, 1, 1000, 24, 0, 6));
    expect_error("24-bit samples");
    write_file(buf, make(buf, 1, 1, 1000, 8, 0, 6));
    expect_error("8-bit samples");
    write_file(buf, make(buf, 3, 1, 1000, 32, 0, 8));
    expect_error("unsupported encoding (format tag 3)");
    write_file(buf, make(buf, 1, 1, 0, 16, 0, 8));
    expect_error("sample rate 0");
    memcpy(buf, "RIFX", 4);
    write_file(buf, 44);
    expect_error("not a WAV file");
}

/* wav_write()'s header, byte by byte (the canonical 44-byte PCM header). */
static void test_wav_write_header(void **state)
{
    static const uint8_t want[44] = {
        'R',  'I',  'F', 'F', 40,  0,   0,   0,   /* RIFF, size 36 + 4 data bytes */
        'W',  'A',  'V', 'E', 'f', 'm', 't', ' ', /* WAVE, fmt chunk */
        16,   0,    0,   0,                       /* fmt size 16 */
        1,    0,                                  /* PCM */
        1,    0,                                  /* mono */
        0xE8, 0x03, 0,   0,                       /* 1000 Hz */
        0xD0, 0x07, 0,   0,                       /* 2000 bytes per second */
        2,    0,                                  /* block align */
        16,   0,                                  /* bits */
        'd',  'a',  't', 'a', 4,   0,   0,   0,   /* data chunk, 4 bytes */
    };
    static const int16_t in[2] = {-2, 0x1234};
    uint8_t got[64];
    FILE *f;

    (void)state;
    assert_int_equal(wav_write(path, 1000, in, 2), 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, sizeof(got), f), 48);
    fclose(f);
    assert_memory_equal(got, want, sizeof(want));
    assert_int_equal(got[44], 0xFE); /* -2, little-endian */
    assert_int_equal(got[45], 0xFF);
    assert_int_equal(got[46], 0x34);
    assert_int_equal(got[47], 0x12);
}

static void test_wav_read_all_round_trip(void **state)
{
    int16_t in[1001];
    int16_t *out;
    uint32_t rate = 0;
    size_t n = 0;
    char err[160];
    size_t i;

    (void)state;
    for (i = 0; i < 1001; i++) {
        in[i] = (int16_t)((int)(i * 37u % 65536u) - 32768);
    }
    assert_int_equal(wav_write(path, 4000, in, 1001), 0);
    out = wav_read_all(path, &rate, &n, err, sizeof(err));
    assert_non_null(out);
    assert_int_equal(rate, 4000);
    assert_int_equal(n, 1001);
    assert_memory_equal(out, in, sizeof(in));
    free(out);
    /* No samples at all: a valid file, an empty (but allocated) buffer. */
    assert_int_equal(wav_write(path, 1000, in, 0), 0);
    out = wav_read_all(path, &rate, &n, err, sizeof(err));
    assert_non_null(out);
    assert_int_equal(n, 0);
    free(out);
}

/* Unlike wav_read(), the whole-file reader refuses a data chunk cut short, and passes on
 * wav_open()'s refusals. */
static void test_wav_read_all_refused(void **state)
{
    uint8_t buf[256];
    size_t len = make(buf, 1, 1, 1000, 16, 0, 40);
    uint32_t rate = 0;
    size_t n = 0;
    char err[160];

    (void)state;
    write_file(buf, len - 11);
    assert_null(wav_read_all(path, &rate, &n, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated data"));
    write_file(buf, make(buf, 1, 2, 1000, 16, 0, 8));
    assert_null(wav_read_all(path, &rate, &n, err, sizeof(err)));
    assert_non_null(strstr(err, "stereo file (2 channels)"));
}

/* Every cut inside the 44-byte header is a truncated header, never a crash or garbage. */
static void test_wav_open_truncated_header(void **state)
{
    uint8_t buf[256];
    size_t len;
    size_t cut;

    (void)state;
    len = make(buf, 1, 1, 1000, 16, 1, 0);
    for (cut = 0; cut < len; cut++) {
        write_file(buf, cut);
        expect_error("truncated header");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wav_open_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_open_skips_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_read_short_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_open_truncated_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_write_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_read_all_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wav_read_all_refused, setup, teardown),
    };

    return cmocka_run_group_tests_name("test_wav", tests, NULL, NULL);
}
