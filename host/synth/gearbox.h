/*
 * gearbox: an independent vibration model of a two-stage gearbox on an accelerometer, for
 * evaluating what a turbine node learns on machines nothing was trained on. It shares no
 * code and no parameter with synth.c's SYNTH_TURBINE_* kinds (which the turbine model was
 * trained on): other tooth counts, a second gear stage, its own bearing geometry, two
 * structural resonances, operating modes that switch speed and load during operation, and a
 * sensor with its own level, DC offset and noise floor. Its own random generator
 * (splitmix64), so a seed gives one machine, sample for sample, on every host.
 *
 * Parameter ranges (drawn per machine from the seed; REPORT's evaluation lists them too):
 *   input shaft            12..36 Hz; 2..4 operating modes at 0.8..1.2 x that speed,
 *                          load 0.6..1.4, switched every 20..90 s with a 2..6 s ramp
 *   stage 1 / 2 teeth      19..47 / 13..29 (never 31, the training gearbox's count)
 *   bearing                7..13 rolling elements, d/D 0.15..0.30, contact angle 0..20 deg
 *   resonances             two, 600..1800 Hz, Q 8..30
 *   sensor level           -45..-6 dBFS (RMS of the healthy machine)
 *   DC offset              -0.1..+0.1 of full scale (an accelerometer's gravity offset)
 *   noise floor            white, 0..30 dB below the machine's RMS
 * Faults (gearbox_set_fault), each scaled by a severity 0..1 a caller may raise over time:
 *   outer race   impacts at BPFO ringing the resonances;
 *   inner race   impacts at BPFI, amplitude-modulated once per turn;
 *   imbalance    the 1x line growing up to 4x its healthy amplitude;
 *   misalignment 2x and 3x lines;
 *   gear wear    stage-1 mesh sidebands at +-1x/+-2x and mesh harmonics, one impact per turn.
 */
#ifndef PROJ_HOST_SYNTH_GEARBOX_H
#define PROJ_HOST_SYNTH_GEARBOX_H

#include <stddef.h>
#include <stdint.h>

enum gearbox_fault {
    GEARBOX_HEALTHY = 0,
    GEARBOX_OUTER = 1,
    GEARBOX_INNER = 2,
    GEARBOX_IMBALANCE = 3,
    GEARBOX_MISALIGN = 4,
    GEARBOX_GEAR_WEAR = 5,
    GEARBOX_FAULT_COUNT = 6,
};

#define GEARBOX_MAX_MODES 4

/* One machine on one sensor. Plain data; fields are read-only for callers except through
 * the functions below. */
struct gearbox {
    uint64_t rng;
    unsigned rate_hz;
    uint64_t n; /* samples rendered */
    /* the machine */
    double shaft_hz;
    int teeth1, teeth2;
    int n_modes;
    double mode_speed[GEARBOX_MAX_MODES];
    double mode_load[GEARBOX_MAX_MODES];
    int mode;
    double mode_left_s, ramp_s, speed, load;
    double bpfo, bpfi; /* per shaft turn */
    double res_hz[2], res_q[2];
    double unbalance;
    /* the sensor */
    double level_dbfs, dc, noise_db, gain, noise_rms;
    /* the fault */
    int fault;
    double severity;
    /* state */
    double ph_shaft, ph_mesh1, ph_mesh2, ph_def;
    double next_hit;
    double res_y1[2], res_y2[2];
    double env;
};

/* A machine drawn from @seed (every parameter above), healthy, rendering at @rate_hz. */
void gearbox_init(struct gearbox *g, unsigned rate_hz, uint64_t seed);

/* Start (or change) a fault; @severity 0..1. */
void gearbox_set_fault(struct gearbox *g, enum gearbox_fault f, double severity);

/* Render @n samples as 16-bit PCM (saturating at +-32767, as an ADC clips). */
void gearbox_render(struct gearbox *g, int16_t *out, size_t n);

/* "outer", "inner", "imbalance", "misalign", "gear_wear" or "healthy". */
const char *gearbox_fault_name(enum gearbox_fault f);

#endif /* PROJ_HOST_SYNTH_GEARBOX_H */
