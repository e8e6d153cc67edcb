/*
 * synth_int: what synth.c and distract.c share (not a public interface: synth.h is). The
 * signal helpers every generator uses, and the distractor kinds' parameter draws and
 * per-sample generators, so synth.c keeps the source life cycle in one place.
 */
#ifndef PROJ_HOST_SYNTH_SYNTH_INT_H
#define PROJ_HOST_SYNTH_SYNTH_INT_H

#include "synth.h"

#define PI     3.141592653589793
#define TWO_PI 6.283185307179586

/* A uniform draw in [lo, hi) from the source's own generator. */
double synth__uni(struct synth_source *s, double lo, double hi);
/* Approximately normal, unit variance, bounded (Irwin-Hall of four uniforms). */
double synth__gauss(struct synth_source *s);
/* One-pole low-pass coefficient for a cut-off frequency at the source's rate. */
double synth__lp_coef(const struct synth_source *s, double fc);
/* Advance phase accumulator i by f Hz for one sample; the new phase in cycles. */
double synth__advance(struct synth_source *s, int i, double f);
/* Raised-cosine attack and release of an event of duration dur at time t. */
double synth__event_env(double t, double dur, double attack, double release);
/* Sum of harmonics k = 1..h of phase with amplitudes r^(k-1), below 0.45 rate. */
double synth__harmonics(double phase, double f0, int h, double r, double rate);
/* Poisson impulses into s->env (mean rate_per_s), then s->env *= decay. */
void synth__poisson_hits(struct synth_source *s, double t, double rate_per_s, double amp_lo,
                         double amp_hi, double decay);

/* distract.c: parameters of a distractor kind (SYNTH_THUNDER_FAR on), drawn at init. */
void synth__distract_init(struct synth_source *s);
/* distract.c: one uncalibrated sample of a distractor kind at time t. */
double synth__distract_sample(struct synth_source *s, double t);

#endif /* PROJ_HOST_SYNTH_SYNTH_INT_H */
