/* SPDX-License-Identifier: MIT
 * The QEMU image's program: classify the test signal baked in at build time and print one
 * line of integers per window over semihosting (the host twin, classify-host, prints the
 * same lines from the WAV copy of the signal), then time features and inference per window
 * with SysTick and print a "bench" line; the turbine image then runs the learning run
 * (learn_run.h) and prints its lines and an "lbench" line. Under `qemu-system-arm -icount shift=0`
 * each instruction takes 1 ns of virtual time, so at the 25 MHz SysTick clock one tick is 40
 * instructions and the bench line counts instructions, the same on every run.
 *
 * BOARD_PROFILE (enum dsp_profile) comes from the build: one image per profile.
 */
#include "board.h"
#include "classify_run.h"
#include "learn_run.h"
#include "semihost.h"
#include "signal.h"

#include "nodefw/profile.h"

static void emit(const char *line)
{
    semihost_puts(line);
}

static void print_field(const char *key, uint64_t v)
{
    char digits[24];

    semihost_puts(key);
    semihost_puts(board_utoa(v, digits + sizeof(digits)));
}

int main(void)
{
    const enum dsp_profile p = BOARD_PROFILE;
    const struct dsp_profile_info *info = dsp_profile_get(p);
    struct board_bench b;

    if (info == NULL || info->sample_rate_hz != board_signal_rate) {
        semihost_puts("error: the baked signal does not match the profile's rate\n");
        return 2;
    }
    semihost_puts("profile ");
    semihost_puts(info->name);
    print_field(" rate=", board_signal_rate);
    print_field(" samples=", board_signal_len);
    semihost_puts("\n");
    if (board_classify_run(p, board_signal, board_signal_len, emit) < 0) {
        return 1;
    }
    if (board_bench_run(p, board_signal, board_signal_len, board_ticks, &b) != 0) {
        semihost_puts("error: bench run failed\n");
        return 1;
    }
    print_field("bench windows=", b.windows);
    print_field(" features_ticks=", b.features);
    print_field(" infer_ticks=", b.infer);
    print_field(" macs=", b.macs);
    print_field(" clock_hz=", board_clock_hz);
    semihost_puts("\n");
    if (p == DSP_PROFILE_TURBINE) {
        /* The turbine learns its machine first: the learning run, timed per phase. */
        struct board_learn_bench lb;

        if (board_learn_run(board_signal, board_signal_len, emit, board_ticks, &lb) < 0) {
            return 1;
        }
        print_field("lbench learn_windows=", lb.learn_windows);
        print_field(" learn_ticks=", lb.learn);
        print_field(" judge_windows=", lb.judge_windows);
        print_field(" judge_ticks=", lb.judge);
        semihost_puts("\n");
    }
    return 0;
}
