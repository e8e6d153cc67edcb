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
#include "boards/common/learn_run.h"
#include "lib/wav.h"

#include "nodefw/profile.h"

static void emit(const char *line)
{
    fputs(line, stdout);
}

static void discard(const char *line)
{
    (void)line;
}

int main(int argc, char **argv)
{
    int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    size_t n = 0;
    uint32_t rate = 0;
    int16_t *x;
    int p;
    char err[160];
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
    x = wav_read_all(argv[2 + bench], &rate, &n, err, sizeof(err));
    if (x == NULL) {
        fprintf(stderr, "%s: %s\n", argv[2 + bench], err);
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
    if (rc >= 0 && p == DSP_PROFILE_TURBINE) {
        /* As the image: the learning run after the classification (its bench counts the
         * learning and judging steps by function under callgrind). */
        struct board_learn_bench lb;

        rc = board_learn_run(x, n, bench ? discard : emit, NULL, &lb);
        if (bench) {
            printf("lbench learn_windows=%u judge_windows=%u\n", lb.learn_windows,
                   lb.judge_windows);
        }
    }
    free(x);
    return rc < 0 ? 1 : 0;
}
