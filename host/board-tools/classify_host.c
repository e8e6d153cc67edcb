/* SPDX-License-Identifier: MIT
 * classify-host: the host twin of the QEMU image. It reads the WAV copy of the baked test
 * signal and runs the very same board_classify_run() (nodefw/boards/common/classify_run.c)
 * over the host libnodefw.a, so its output must equal the image's line for line.
 * `--bench` runs board_bench_run() instead, for callgrind to count per function.
 *
 * Usage: classify-host [--bench] PROFILE FILE.wav
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards/common/classify_run.h"

#include "nodefw/profile.h"

static void emit(const char *line)
{
    fputs(line, stdout);
}

static uint32_t le(const unsigned char *p, int bytes)
{
    uint32_t v = 0;

    for (int i = bytes - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Reads a mono 16-bit PCM WAV; returns the samples (malloc'd) and sets *n and *rate. */
static int16_t *read_wav(const char *path, size_t *n, uint32_t *rate)
{
    FILE *f = fopen(path, "rb");
    unsigned char hdr[12];
    unsigned char ck[8];
    unsigned char fmt[16];
    int16_t *x = NULL;
    int have_fmt = 0;

    if (f == NULL) {
        perror(path);
        return NULL;
    }
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) != 0 ||
        memcmp(hdr + 8, "WAVE", 4) != 0) {
        fprintf(stderr, "%s: not a RIFF/WAVE file\n", path);
        goto out;
    }
    while (fread(ck, 1, 8, f) == 8) {
        uint32_t len = le(ck + 4, 4);

        if (memcmp(ck, "fmt ", 4) == 0 && len >= 16) {
            if (fread(fmt, 1, 16, f) != 16 ||
                fseek(f, (long)len - 16 + (long)(len & 1u), SEEK_CUR) != 0) {
                break;
            }
            if (le(fmt, 2) != 1 || le(fmt + 2, 2) != 1 || le(fmt + 14, 2) != 16) {
                fprintf(stderr, "%s: not mono 16-bit PCM\n", path);
                goto out;
            }
            *rate = le(fmt + 4, 4);
            have_fmt = 1;
        } else if (memcmp(ck, "data", 4) == 0 && have_fmt) {
            unsigned char *raw = malloc(len + 1u);

            *n = len / 2u;
            x = malloc((*n + 1u) * sizeof(*x));
            if (raw == NULL || x == NULL || fread(raw, 1, len, f) != len) {
                fprintf(stderr, "%s: truncated data\n", path);
                free(raw);
                free(x);
                x = NULL;
                goto out;
            }
            for (size_t i = 0; i < *n; i++) {
                x[i] = (int16_t)le(raw + 2 * i, 2);
            }
            free(raw);
            goto out;
        } else if (fseek(f, (long)len + (long)(len & 1u), SEEK_CUR) != 0) {
            break;
        }
    }
    fprintf(stderr, "%s: no fmt/data chunk\n", path);
out:
    fclose(f);
    return x;
}

int main(int argc, char **argv)
{
    int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    size_t n = 0;
    uint32_t rate = 0;
    int16_t *x;
    int p;
    int rc;

    if (argc != 3 + bench) {
        fprintf(stderr, "usage: classify-host [--bench] elephant|whale|turbine FILE.wav\n");
        return 2;
    }
    p = dsp_profile_from_name(argv[1 + bench]);
    if (p < 0) {
        fprintf(stderr, "classify-host: unknown profile '%s'\n", argv[1 + bench]);
        return 2;
    }
    x = read_wav(argv[2 + bench], &n, &rate);
    if (x == NULL) {
        return 1;
    }
    if (rate != dsp_profile_get((enum dsp_profile)p)->sample_rate_hz) {
        fprintf(stderr, "classify-host: %s is %u Hz, profile %s needs %u Hz\n", argv[2 + bench],
                rate, argv[1 + bench], dsp_profile_get((enum dsp_profile)p)->sample_rate_hz);
        free(x);
        return 1;
    }
    if (bench) {
        struct board_bench b;

        rc = board_bench_run((enum dsp_profile)p, x, n, NULL, &b);
        printf("bench windows=%u macs=%u\n", b.windows, b.macs);
    } else {
        rc = board_classify_run((enum dsp_profile)p, x, n, emit);
    }
    free(x);
    return rc < 0 ? 1 : 0;
}
