/*
 * synth: physical signal models (see synth.h for the contract).
 *
 * Each kind is a few lines of physics-flavoured signal generation, chosen so that a detector
 * has to look at the right cues: a rumble and wind share the band below 50 Hz but only the
 * rumble is harmonic; an upcall and ship noise share 50-250 Hz but only the upcall sweeps;
 * a bearing fault is not louder than the gear mesh but is impulsive at a rate tied to the
 * shaft speed and rings a high structural resonance. Parameters are drawn once at init from
 * the seed; noise is drawn sample by sample from the source's own generator, so the output
 * depends only on (kind, rate, seed, severity history, block boundaries not at all).
 *
 * Loudness: at init a copy of the source renders its active part (up to 4 s) and the scale
 * that makes that RMS equal SYNTH_REF_RMS is stored in p[P_SCALE]. For the turbine kinds the
 * copy renders with severity 0, so a fault adds energy on top of a reference healthy machine
 * (a degrading bearing does get louder, as on a real gearbox).
 */
#include "synth.h"

#include "synth_int.h"

#include <math.h>
#include <string.h>

#define P_SCALE 11 /* p[] slot of the loudness scale */

static const char *const kind_names[SYNTH_KIND_COUNT] = {
    "rumble",         "wind",
    "rain",           "thunder",
    "engine",         "voice",
    "upcall",         "humpback",
    "ship",           "shrimp",
    "turbine",        "fault_outer",
    "fault_inner",    "fault_imbalance",
    "fault_misalign", "bg_land",
    "bg_sea",         "bg_plant",
    "thunder_far",    "wind_buffet",
    "vehicle_pass",   "diesel_idle",
    "truck_gear",     "train",
    "livestock",      "shout",
    "chainsaw",       "generator",
    "gunshot",        "outboard",
    "jetski",         "cavitation",
    "sonar",          "airgun",
    "fin_pulse",      "dolphin",
    "surf",
};

unsigned synth_profile_rate(enum synth_profile profile)
{
    switch (profile) {
    case SYNTH_PROFILE_ELEPHANT:
        return 1000;
    case SYNTH_PROFILE_WHALE:
        return 2000;
    case SYNTH_PROFILE_TURBINE:
        return 4000;
    default:
        return 0;
    }
}

enum synth_profile synth_kind_profile(enum synth_kind kind)
{
    if ((kind >= SYNTH_UPCALL && kind <= SYNTH_SHRIMP) || kind == SYNTH_BG_SEA ||
        kind >= SYNTH_OUTBOARD) {
        return SYNTH_PROFILE_WHALE;
    }
    if ((kind >= SYNTH_TURBINE_HEALTHY && kind <= SYNTH_FAULT_MISALIGN) || kind == SYNTH_BG_PLANT) {
        return SYNTH_PROFILE_TURBINE;
    }
    return SYNTH_PROFILE_ELEPHANT;
}

const char *synth_kind_name(enum synth_kind kind)
{
    if ((unsigned)kind >= SYNTH_KIND_COUNT) {
        return "unknown";
    }
    return kind_names[kind];
}

/* xorshift64* (Vigna): small, fast, and good enough for signal noise; never zero state. */
double synth_uniform(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0);
}

/* splitmix64 spreads nearby seeds (1, 2, 3...) into unrelated generator states. */
static uint64_t seed_state(uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 0x1234567ULL;
}

double synth__uni(struct synth_source *s, double lo, double hi)
{
    return lo + (hi - lo) * synth_uniform(&s->rng);
}

/* Approximately normal, unit variance: the sum of four uniforms (Irwin-Hall), cheaper than
 * Box-Muller and bounded, which keeps rendered peaks predictable. */
double synth__gauss(struct synth_source *s)
{
    double sum = synth_uniform(&s->rng) + synth_uniform(&s->rng) + synth_uniform(&s->rng) +
                 synth_uniform(&s->rng);
    return (sum - 2.0) * 1.7320508075688772;
}

/* One-pole low-pass coefficient for a cut-off frequency at the source's rate. */
double synth__lp_coef(const struct synth_source *s, double fc)
{
    return 1.0 - exp(-TWO_PI * fc / (double)s->rate_hz);
}

/* Advance a phase accumulator by f Hz for one sample; returns the new phase in cycles. */
double synth__advance(struct synth_source *s, int i, double f)
{
    s->ph[i] += f / (double)s->rate_hz;
    s->ph[i] -= floor(s->ph[i]);
    return s->ph[i];
}

/* Raised-cosine attack and release for an event of duration dur at time t. */
double synth__event_env(double t, double dur, double attack, double release)
{
    if (t < 0.0 || t >= dur) {
        return 0.0;
    }
    double e = 1.0;
    if (t < attack) {
        e *= 0.5 - 0.5 * cos(PI * t / attack);
    }
    if (dur - t < release) {
        e *= 0.5 - 0.5 * cos(PI * (dur - t) / release);
    }
    return e;
}

/* Sum of harmonics k*phase, k = 1..h, amplitude r^(k-1), skipping those above 0.45 rate. */
double synth__harmonics(double phase, double f0, int h, double r, double rate)
{
    double sum = 0.0;
    double a = 1.0;
    for (int k = 1; k <= h; k++) {
        if ((double)k * f0 > 0.45 * rate) {
            break;
        }
        sum += a * sin(TWO_PI * (double)k * phase);
        a *= r;
    }
    return sum;
}

/* Poisson impulse process: when the next hit is due, add an amplitude to the envelope and
 * schedule the following hit after an exponential gap of mean 1/rate_per_s. */
void synth__poisson_hits(struct synth_source *s, double t, double rate_per_s, double amp_lo,
                         double amp_hi, double decay)
{
    while (t >= s->next_hit_s) {
        double u = synth_uniform(&s->rng);
        s->env += amp_lo + (amp_hi - amp_lo) * u * u * u;
        s->next_hit_s += -log(1.0 - synth_uniform(&s->rng)) / rate_per_s;
    }
    s->env *= decay;
}

/* ---- parameter draws (init) --------------------------------------------------------------- */

static void init_params(struct synth_source *s)
{
    double *p = s->p;
    double rate = (double)s->rate_hz;
    switch (s->kind) {
    case SYNTH_RUMBLE:
        p[0] = synth__uni(s, 10.0, 40.0); /* fundamental, Hz */
        p[1] = synth__uni(s, 2.0, 6.0);   /* duration, s */
        p[2] = synth__uni(s, 0.45, 0.8);  /* harmonic amplitude ratio */
        p[3] = synth__uni(s, -0.1, 0.2);  /* pitch contour depth (rise then fall) */
        p[4] = synth__uni(s, 0.05, 0.25); /* amplitude jitter depth */
        s->dur_n = (uint64_t)(p[1] * rate);
        break;
    case SYNTH_WIND:
        p[0] = synth__uni(s, 8.0, 40.0); /* low-pass corner, Hz */
        p[1] = synth__uni(s, 0.1, 0.5);  /* gust rate, Hz */
        p[2] = synth__uni(s, 0.3, 1.0);  /* gust depth */
        break;
    case SYNTH_RAIN:
        p[0] = synth__uni(s, 20.0, 200.0); /* drops per second */
        p[1] = synth__uni(s, 0.1, 0.5);    /* hiss level relative to drops */
        p[2] = synth__uni(s, 1.0, 4.0);    /* drop decay, ms */
        break;
    case SYNTH_THUNDER:
        p[0] = synth__uni(s, 2.0, 8.0);   /* duration, s */
        p[1] = synth__uni(s, 20.0, 80.0); /* rolling low-pass corner, Hz */
        p[2] = synth__uni(s, 0.5, 2.5);   /* decay time constant, s */
        s->dur_n = (uint64_t)(p[0] * rate);
        break;
    case SYNTH_ENGINE:
        /* Firing frequency = rpm / 30 for a four-stroke four-cylinder: 750-3000 rpm. */
        p[0] = synth__uni(s, 25.0, 100.0); /* firing frequency, Hz */
        p[1] = synth__uni(s, 0.01, 0.05);  /* RPM drift depth */
        p[2] = synth__uni(s, 0.05, 0.3);   /* drift rate, Hz */
        p[3] = synth__uni(s, 0.5, 0.9);    /* harmonic ratio */
        p[4] = synth__uni(s, 0.1, 0.4);    /* broadband share */
        break;
    case SYNTH_VOICE:
        p[0] = synth__uni(s, 95.0, 250.0); /* pitch, Hz */
        p[1] = synth__uni(s, 1.0, 4.0);    /* duration, s */
        p[2] = synth__uni(s, 3.0, 6.0);    /* syllables per second */
        p[3] = synth__uni(s, 0.4, 0.8);    /* harmonic ratio */
        s->dur_n = (uint64_t)(p[1] * rate);
        break;
    case SYNTH_UPCALL:
        p[0] = synth__uni(s, 45.0, 75.0);   /* start frequency, Hz */
        p[1] = synth__uni(s, 180.0, 270.0); /* end frequency, Hz */
        p[2] = synth__uni(s, 0.6, 1.3);     /* duration, s */
        p[3] = synth__uni(s, 1.0, 2.2);     /* sweep curvature (exponent) */
        p[4] = synth__uni(s, 0.1, 0.4);     /* second harmonic */
        s->dur_n = (uint64_t)(p[2] * rate);
        break;
    case SYNTH_HUMPBACK:
        p[0] = synth__uni(s, 100.0, 700.0); /* unit pitch, Hz */
        p[1] = synth__uni(s, 0.5, 3.0);     /* duration, s */
        p[2] = synth__uni(s, -0.35, 0.35);  /* sweep over the unit, fraction of pitch */
        p[3] = synth__uni(s, 2.0, 8.0);     /* vibrato rate, Hz */
        p[4] = synth__uni(s, 0.2, 0.7);     /* harmonic ratio */
        s->dur_n = (uint64_t)(p[1] * rate);
        break;
    case SYNTH_SHIP:
        p[0] = synth__uni(s, 5.0, 30.0);    /* blade rate, Hz */
        p[1] = synth__uni(s, 50.0, 150.0);  /* machinery line, Hz */
        p[2] = synth__uni(s, 0.3, 0.8);     /* cavitation share */
        p[3] = synth__uni(s, 100.0, 400.0); /* cavitation low-pass corner, Hz */
        break;
    case SYNTH_SHRIMP:
        p[0] = synth__uni(s, 50.0, 500.0); /* snaps per second */
        break;
    case SYNTH_TURBINE_HEALTHY:
    case SYNTH_FAULT_OUTER:
    case SYNTH_FAULT_INNER:
    case SYNTH_FAULT_IMBALANCE:
    case SYNTH_FAULT_MISALIGN:
        /* One gearbox type (a node watches one machine; an anomaly model is trained per
         * machine type, as in MLPerf Tiny's): fixed tooth count and bearing geometry, the
         * operating speed, load and floor drawn per source. 10 balls, ball/pitch diameter
         * 0.22: BPFO = 3.9 x shaft, BPFI = 6.1 x shaft. */
        p[0] = synth__uni(s, 20.0, 28.0); /* high-speed shaft, Hz */
        p[1] = 31.0;                      /* gear teeth: mesh = teeth x shaft */
        p[2] = synth__uni(s, 0.5, 1.2);   /* rotor blade pass, Hz */
        p[3] = 0.5 * 10.0 * (1.0 - 0.22); /* BPFO / shaft */
        p[4] = 0.5 * 10.0 * (1.0 + 0.22); /* BPFI / shaft */
        p[5] = 0.35 * rate;               /* structural resonance, Hz */
        p[6] = synth__uni(s, 0.15, 0.25); /* 1x residual unbalance */
        p[7] = synth__uni(s, 0.3, 0.45);  /* broadband floor */
        break;
    case SYNTH_BG_LAND:
    case SYNTH_BG_SEA:
    case SYNTH_BG_PLANT:
    case SYNTH_KIND_COUNT:
        break;
    default:
        synth__distract_init(s);
        break;
    }
}

/* ---- one sample ------------------------------------------------------------------------- */

static double turbine_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double rate = (double)s->rate_hz;
    double fr = p[0] * (1.0 + 0.01 * sin(TWO_PI * 0.05 * t)); /* slow speed wander */
    double ph = synth__advance(s, 0, fr);
    double mesh_f = p[1] * fr;
    double mesh_ph = synth__advance(s, 1, mesh_f);
    double bp = 1.0 + 0.15 * sin(TWO_PI * p[2] * t); /* blade pass modulates the load */
    double x = p[6] * sin(TWO_PI * ph) + 0.08 * sin(2.0 * TWO_PI * ph);
    double mesh = sin(TWO_PI * mesh_ph) + 0.25 * sin(TWO_PI * (mesh_ph - ph)) +
                  0.25 * sin(TWO_PI * (mesh_ph + ph));
    if (2.0 * mesh_f < 0.45 * rate) {
        mesh += 0.35 * sin(2.0 * TWO_PI * mesh_ph);
    }
    x += bp * mesh;
    double lp = synth__lp_coef(s, 0.3 * rate);
    s->z[0] += lp * (synth__gauss(s) - s->z[0]);
    x += p[7] * s->z[0] * 2.0;

    double sev = s->severity;
    if (sev <= 0.0) {
        return x;
    }
    switch (s->kind) {
    case SYNTH_FAULT_OUTER:
    case SYNTH_FAULT_INNER: {
        /* Impacts at the defect frequency ring the structural resonance; the inner race
         * passes through the load zone once per turn, hence the 1x amplitude modulation
         * (sidebands at +-1x around each BPFI harmonic). 1 % timing jitter as slip. */
        int outer = s->kind == SYNTH_FAULT_OUTER;
        double fd = (outer ? p[3] : p[4]) * fr;
        if (s->next_hit_s < t - 1.0 / fd) {
            s->next_hit_s = t; /* severity just rose from 0: no burst of missed impacts */
        }
        if (t >= s->next_hit_s) {
            double load = outer ? 1.0 : 0.6 + 0.4 * cos(TWO_PI * ph);
            s->env += 3.0 * load * (0.8 + 0.4 * synth_uniform(&s->rng));
            s->next_hit_s += (1.0 + 0.01 * synth__gauss(s)) / fd;
        }
        s->env *= exp(-1.0 / (0.004 * rate));
        double ring = s->env * sin(TWO_PI * synth__advance(s, 2, p[5]));
        x += sev * (ring + 0.3 * (outer ? 1.0 : 0.6) * sin(TWO_PI * synth__advance(s, 3, fd)));
        break;
    }
    case SYNTH_FAULT_IMBALANCE:
        x += sev * 1.5 * sin(TWO_PI * ph);
        break;
    case SYNTH_FAULT_MISALIGN:
        x += sev * (1.2 * sin(2.0 * TWO_PI * ph + 0.3) + 0.5 * sin(3.0 * TWO_PI * ph) +
                    0.3 * sin(TWO_PI * ph));
        break;
    default:
        break;
    }
    return x;
}

/* One generator per kind: the sample at time t (seconds from the source start), before the
 * loudness calibration; each advances only its own source's state. */

static double rumble_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double dur = p[1];
    double f = p[0] * (1.0 + p[3] * sin(PI * t / dur));
    double ph = synth__advance(s, 0, f);
    s->z[0] += synth__lp_coef(s, 2.0) * (synth__gauss(s) - s->z[0]); /* slow amplitude jitter */
    double e = synth__event_env(t, dur, 0.4, 0.6) * (1.0 + p[4] * s->z[0]);
    return e * synth__harmonics(ph, f, 8, p[2], (double)s->rate_hz);
}

static double wind_sample(struct synth_source *s)
{
    const double *p = s->p;
    double a = synth__lp_coef(s, p[0]);
    s->z[0] += a * (synth__gauss(s) - s->z[0]);
    s->z[1] += a * (s->z[0] - s->z[1]);
    s->z[2] += synth__lp_coef(s, p[1]) * (synth__gauss(s) - s->z[2]);
    return s->z[1] * (1.0 + p[2] * 4.0 * fabs(s->z[2]));
}

static double rain_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double rate = (double)s->rate_hz;
    synth__poisson_hits(s, t, p[0], 0.2, 2.0, exp(-1.0 / (p[2] * 1e-3 * rate)));
    double w = synth__gauss(s);
    s->z[0] += synth__lp_coef(s, 0.1 * rate) * (w - s->z[0]);
    return s->env * synth__gauss(s) + p[1] * (w - s->z[0]);
}

static double thunder_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double crack = t < 0.15 ? exp(-t / 0.04) * 3.0 * synth__gauss(s) : 0.0;
    double a = synth__lp_coef(s, p[1]);
    s->z[0] += a * (synth__gauss(s) - s->z[0]);
    s->z[1] += a * (s->z[0] - s->z[1]);
    s->z[2] += synth__lp_coef(s, 1.5) * (synth__gauss(s) - s->z[2]); /* rolling */
    double e = synth__event_env(t, p[0], 0.05, 0.5) * exp(-t / p[2]) * (1.0 + 3.0 * fabs(s->z[2]));
    return crack + e * s->z[1] * 4.0;
}

static double engine_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double f = p[0] * (1.0 + p[1] * sin(TWO_PI * p[2] * t));
    double ph = synth__advance(s, 0, f);
    s->z[0] += synth__lp_coef(s, 150.0) * (synth__gauss(s) - s->z[0]);
    return synth__harmonics(ph, f, 8, p[3], (double)s->rate_hz) + p[4] * 3.0 * s->z[0];
}

/* Syllables: a gated half-sine envelope at the syllable rate, pitch with a falling
 * intonation; above the elephant rate's Nyquist only the fundamental and a couple of
 * harmonics survive, as through a real 1 kHz front end. */
static double voice_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double syl = synth__advance(s, 1, p[2]);
    double gate = sin(PI * syl);
    if (syl < 0.02 && s->z[1] == 0.0) {
        s->z[0] = synth_uniform(&s->rng) < 0.8 ? 1.0 : 0.0; /* this syllable voiced? */
        s->z[1] = 1.0;
    } else if (syl >= 0.02) {
        s->z[1] = 0.0;
    }
    double f = p[0] * (1.1 - 0.2 * t / p[1]) * (1.0 + 0.05 * sin(TWO_PI * syl));
    double ph = synth__advance(s, 0, f);
    return s->z[0] * gate * gate * synth__event_env(t, p[1], 0.05, 0.1) *
           synth__harmonics(ph, f, 6, p[3], (double)s->rate_hz);
}

static double upcall_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double dur = p[2];
    double u = t / dur;
    double f = p[0] + (p[1] - p[0]) * pow(u, p[3]);
    double ph = synth__advance(s, 0, f);
    double e = synth__event_env(t, dur, 0.15 * dur, 0.2 * dur);
    return e * (sin(TWO_PI * ph) + p[4] * sin(2.0 * TWO_PI * ph));
}

static double humpback_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double dur = p[1];
    double f = p[0] * (1.0 + p[2] * t / dur) * (1.0 + 0.02 * sin(TWO_PI * p[3] * t));
    double ph = synth__advance(s, 0, f);
    return synth__event_env(t, dur, 0.1, 0.2) *
           synth__harmonics(ph, f, 4, p[4], (double)s->rate_hz);
}

static double ship_sample(struct synth_source *s)
{
    const double *p = s->p;
    double ph = synth__advance(s, 0, p[0]);
    double line = sin(TWO_PI * synth__advance(s, 1, p[1]));
    double a = synth__lp_coef(s, p[3]);
    s->z[0] += a * (synth__gauss(s) - s->z[0]);
    s->z[1] += a * (s->z[0] - s->z[1]);
    double cav = (1.0 + 0.6 * sin(TWO_PI * ph)) * s->z[1] * 3.0;
    return synth__harmonics(ph, p[0], 10, 0.7, (double)s->rate_hz) + 0.5 * line + p[2] * 2.0 * cav;
}

static double shrimp_sample(struct synth_source *s, double t)
{
    synth__poisson_hits(s, t, s->p[0], 0.5, 6.0, exp(-1.0 / (0.0004 * (double)s->rate_hz)));
    return s->env * synth__gauss(s);
}

/* Pink-like noise from three one-pole sections a decade apart (Voss/Kellet idea); the sea
 * floor is weighted to the lowest section, the plant floor to white. */
static double floor_sample(struct synth_source *s)
{
    double rate = (double)s->rate_hz;
    double w = synth__gauss(s);
    s->z[0] += synth__lp_coef(s, 0.002 * rate) * (w - s->z[0]);
    s->z[1] += synth__lp_coef(s, 0.02 * rate) * (w - s->z[1]);
    s->z[2] += synth__lp_coef(s, 0.2 * rate) * (w - s->z[2]);
    if (s->kind == SYNTH_BG_LAND) {
        return 6.0 * s->z[0] + 2.0 * s->z[1] + 0.7 * s->z[2] + 0.2 * w;
    }
    if (s->kind == SYNTH_BG_SEA) {
        return 10.0 * s->z[0] + 2.0 * s->z[1] + 0.4 * s->z[2] + 0.1 * w;
    }
    return 2.0 * s->z[1] + 0.8 * s->z[2] + 0.6 * w;
}

static double kind_sample(struct synth_source *s, double t)
{
    switch (s->kind) {
    case SYNTH_RUMBLE:
        return rumble_sample(s, t);
    case SYNTH_WIND:
        return wind_sample(s);
    case SYNTH_RAIN:
        return rain_sample(s, t);
    case SYNTH_THUNDER:
        return thunder_sample(s, t);
    case SYNTH_ENGINE:
        return engine_sample(s, t);
    case SYNTH_VOICE:
        return voice_sample(s, t);
    case SYNTH_UPCALL:
        return upcall_sample(s, t);
    case SYNTH_HUMPBACK:
        return humpback_sample(s, t);
    case SYNTH_SHIP:
        return ship_sample(s);
    case SYNTH_SHRIMP:
        return shrimp_sample(s, t);
    case SYNTH_TURBINE_HEALTHY:
    case SYNTH_FAULT_OUTER:
    case SYNTH_FAULT_INNER:
    case SYNTH_FAULT_IMBALANCE:
    case SYNTH_FAULT_MISALIGN:
        return turbine_sample(s, t);
    case SYNTH_BG_LAND:
    case SYNTH_BG_SEA:
    case SYNTH_BG_PLANT:
        return floor_sample(s);
    case SYNTH_KIND_COUNT:
        break;
    default:
        return synth__distract_sample(s, t);
    }
    return 0.0;
}

/* The next sample, calibrated; an event renders silence after its end. */
static double next_sample(struct synth_source *s)
{
    double t = (double)s->n / (double)s->rate_hz;
    if (s->dur_n != 0 && s->n >= s->dur_n) {
        s->n++;
        return 0.0;
    }
    double x = kind_sample(s, t);
    s->n++;
    return x * s->p[P_SCALE];
}

/* ---- public API ------------------------------------------------------------------------- */

/* Loudness: the scale that makes the active part's RMS SYNTH_REF_RMS, measured on a copy
 * (the copy's generator runs ahead; the original's stays). */
static void calibrate(struct synth_source *src)
{
    unsigned rate_hz = src->rate_hz;
    struct synth_source probe = *src;
    probe.severity = 0.0;
    probe.p[P_SCALE] = 1.0;
    uint64_t m = src->dur_n ? src->dur_n : 2ULL * rate_hz;
    if (src->kind >= SYNTH_THUNDER_FAR) {
        /* Distractors swell and fade (a passing train, a surf cycle): calibrate over the
         * whole event, or 4 s of a continuous one, so "gain 1" means its typical level. */
        m = src->dur_n ? src->dur_n : 4ULL * rate_hz;
    } else if (m > 4ULL * rate_hz) {
        m = 4ULL * rate_hz;
    }
    double acc = 0.0;
    for (uint64_t i = 0; i < m; i++) {
        double v = next_sample(&probe);
        acc += v * v;
    }
    double rms = sqrt(acc / (double)m);
    src->p[P_SCALE] = rms > 1e-12 ? SYNTH_REF_RMS / rms : 1.0;
}

int synth_source_init(struct synth_source *src, enum synth_kind kind, unsigned rate_hz,
                      uint64_t seed)
{
    if ((unsigned)kind >= SYNTH_KIND_COUNT || rate_hz < 500) {
        return -1;
    }
    memset(src, 0, sizeof(*src));
    src->kind = kind;
    src->rate_hz = rate_hz;
    src->rng = seed_state(seed ^ ((uint64_t)kind << 56));
    src->severity = 1.0;
    init_params(src);
    src->p[P_SCALE] = 1.0;
    for (int i = 0; i < 8; i++) {
        src->ph[i] = synth_uniform(&src->rng);
    }

    calibrate(src);
    return 0;
}

int synth_source_set_duration(struct synth_source *src, double seconds)
{
    int slot = src->kind == SYNTH_RUMBLE ? 1 : src->kind == SYNTH_UPCALL ? 2 : -1;
    if (slot < 0 || src->n != 0 || !(seconds >= 0.2 && seconds <= 20.0)) {
        return -1;
    }
    src->p[slot] = seconds;
    src->dur_n = (uint64_t)(seconds * (double)src->rate_hz);
    calibrate(src);
    return 0;
}

double synth_source_duration(const struct synth_source *src)
{
    return (double)src->dur_n / (double)src->rate_hz;
}

void synth_render(struct synth_source *src, float *out, size_t n, float gain)
{
    for (size_t i = 0; i < n; i++) {
        out[i] += gain * (float)next_sample(src);
    }
}

double synth_gain(enum synth_medium medium, double distance_m)
{
    double d = distance_m < 1.0 ? 1.0 : distance_m;
    double db_per_m = 0.0;
    switch (medium) {
    case SYNTH_AIR:
        db_per_m = 0.5e-3;
        break;
    case SYNTH_WATER:
        db_per_m = 0.1e-3;
        break;
    case SYNTH_SOLID:
        db_per_m = 1.0;
        break;
    }
    return pow(10.0, -db_per_m * (d - 1.0) / 20.0) / d;
}

double synth_snr_gain(double snr_db)
{
    return pow(10.0, snr_db / 20.0);
}

double synth_rms(const float *x, size_t n)
{
    if (n == 0) {
        return 0.0;
    }
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        acc += (double)x[i] * (double)x[i];
    }
    return sqrt(acc / (double)n);
}

size_t synth_to_int16(const float *in, int16_t *out, size_t n)
{
    size_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        double v = nearbyint((double)in[i] * 32767.0);
        if (v > 32767.0) {
            v = 32767.0;
            clipped++;
        } else if (v < -32767.0) {
            v = -32767.0;
            clipped++;
        }
        out[i] = (int16_t)v;
    }
    return clipped;
}
