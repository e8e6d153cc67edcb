/*
 * distract: the everyday sounds a node meets that are not its target (see synth.h's
 * SYNTH_THUNDER_FAR..SYNTH_SURF and host/synth/README.md for each physical model and its
 * parameter ranges). They exist so a model is trained and judged against what actually makes
 * a field detector cry wolf: low bursts shaped like a rumble's onset (thunder, engines,
 * trains, wind gusts) and rising harmonic or tonal sounds shaped like an upcall (speech,
 * boats changing throttle, whistles, sonar sweeps).
 *
 * Same contract as synth.c: parameters drawn once at init from the source's generator, then
 * one sample at a time from phase accumulators and filter states, so the output depends only
 * on (kind, rate, seed). synth.c calibrates the loudness over the whole event (4 s for a
 * continuous kind).
 */
#include <math.h>

#include "synth_int.h"

#define SOUND_AIR 343.0 /* m/s */

/* Two-pole low-passed white noise in z[i], z[i + 1] at corner fc: a smooth noise band. */
static double lp_noise2(struct synth_source *s, int i, double fc)
{
    double a = synth__lp_coef(s, fc);
    s->z[i] += a * (synth__gauss(s) - s->z[i]);
    s->z[i + 1] += a * (s->z[i] - s->z[i + 1]);
    return s->z[i + 1];
}

/* A source moving on a straight line at speed v past the listener at closest distance d,
 * closest at time tc: amplitude relative to the closest point (d / r) and the Doppler factor
 * c / (c + v_radial) a listener hears (receding: v_radial > 0, pitch below the source's). */
static double pass_by(double t, double tc, double v, double d, double c, double *doppler)
{
    double x = v * (t - tc);
    double r = sqrt(x * x + d * d);
    *doppler = c / (c + v * x / r);
    return d / r;
}

static void init_elephant_kinds(struct synth_source *s)
{
    double *p = s->p;
    double rate = (double)s->rate_hz;
    switch (s->kind) {
    case SYNTH_THUNDER_FAR:
        p[0] = synth__uni(s, 4.0, 12.0);  /* duration, s */
        p[1] = synth__uni(s, 15.0, 50.0); /* roll low-pass corner, Hz (air absorbs the rest) */
        p[2] = synth__uni(s, 0.3, 1.2);   /* roll modulation rate, Hz */
        p[3] = synth__uni(s, 0.5, 1.5);   /* rise time, s */
        s->dur_n = (uint64_t)(p[0] * rate);
        break;
    case SYNTH_WIND_BUFFET:
        p[0] = synth__uni(s, 3.0, 20.0); /* turbulence corner, Hz */
        p[1] = synth__uni(s, 0.05, 0.3); /* gust rate, Hz */
        p[2] = synth__uni(s, 0.3, 2.0);  /* buffets per second */
        p[3] = synth__uni(s, 0.05, 0.3); /* buffet decay, s */
        break;
    case SYNTH_VEHICLE_PASS:
        p[0] = synth__uni(s, 25.0, 60.0);   /* firing frequency, Hz (1500-3600 rpm, 4 cyl) */
        p[1] = synth__uni(s, 8.0, 25.0);    /* speed, m/s */
        p[2] = synth__uni(s, 10.0, 100.0);  /* closest distance, m */
        p[3] = synth__uni(s, 6.0, 20.0);    /* duration, s (closest half-way) */
        p[4] = synth__uni(s, 0.5, 0.85);    /* harmonic ratio */
        p[5] = synth__uni(s, 150.0, 400.0); /* tyre noise corner, Hz */
        p[6] = synth__uni(s, 0.2, 0.6);     /* tyre noise share */
        s->dur_n = (uint64_t)(p[3] * rate);
        break;
    case SYNTH_DIESEL_IDLE:
        p[0] = synth__uni(s, 15.0, 60.0);  /* firing frequency, Hz */
        p[1] = synth__uni(s, 0.6, 0.9);    /* harmonic ratio */
        p[2] = synth__uni(s, 0.05, 0.3);   /* cylinder imbalance: half-order share */
        p[3] = synth__uni(s, 0.005, 0.02); /* speed jitter */
        p[4] = synth__uni(s, 0.1, 0.3);    /* broadband share */
        break;
    case SYNTH_TRUCK_GEAR:
        p[0] = synth__uni(s, 18.0, 30.0); /* firing after a change, Hz */
        p[1] = synth__uni(s, 40.0, 60.0); /* firing before the next change, Hz */
        p[2] = synth__uni(s, 2.0, 4.0);   /* time in one gear, s */
        p[3] = synth__uni(s, 0.6, 0.85);  /* harmonic ratio */
        p[4] = synth__uni(s, 8.0, 20.0);  /* duration, s */
        s->dur_n = (uint64_t)(p[4] * rate);
        break;
    case SYNTH_TRAIN:
        p[0] = synth__uni(s, 15.0, 40.0);                 /* locomotive firing, Hz */
        p[1] = synth__uni(s, 10.0, 30.0);                 /* speed, m/s */
        p[2] = synth__uni(s, 30.0, 200.0);                /* closest distance, m */
        p[3] = synth__uni(s, 0.0, 1.0) < 0.5 ? 1.0 : 0.0; /* sounds its horn */
        p[4] = synth__uni(s, 250.0, 440.0); /* horn fundamental, Hz (a chord: x1, x1.26) */
        p[5] = synth__uni(s, 1.0, 3.0);     /* horn length, s */
        p[6] = synth__uni(s, 15.0, 30.0);   /* duration, s */
        p[7] = synth__uni(s, 18.0, 26.0);   /* car length, m (bogie pairs clatter per car) */
        s->dur_n = (uint64_t)(p[6] * rate);
        break;
    case SYNTH_LIVESTOCK:
        p[0] = synth__uni(s, 0.0, 1.0); /* < 0.6: cow */
        p[1] = p[0] < 0.6 ? synth__uni(s, 80.0, 150.0) : synth__uni(s, 300.0, 440.0); /* f0 */
        p[2] = p[0] < 0.6 ? synth__uni(s, 1.0, 3.0) : synth__uni(s, 0.5, 2.0);        /* duration */
        p[3] = synth__uni(s, 2.0, 4.0);  /* dog: barks per second */
        p[4] = synth__uni(s, 0.6, 0.85); /* harmonic ratio */
        s->dur_n = (uint64_t)(p[2] * rate);
        break;
    case SYNTH_SHOUT:
        p[0] = synth__uni(s, 180.0, 400.0); /* raised pitch, Hz */
        p[1] = synth__uni(s, 0.5, 2.0);     /* duration, s */
        p[2] = synth__uni(s, 1.5, 4.0);     /* syllables per second */
        p[3] = synth__uni(s, 0.7, 0.9);     /* harmonic ratio (pressed voice) */
        s->dur_n = (uint64_t)(p[1] * rate);
        break;
    case SYNTH_CHAINSAW:
        p[0] = synth__uni(s, 100.0, 220.0); /* cutting firing (6000-13000 rpm), Hz */
        p[1] = synth__uni(s, 40.0, 55.0);   /* idle firing, Hz */
        p[2] = synth__uni(s, 2.0, 6.0);     /* throttle cycle, s */
        p[3] = synth__uni(s, 0.3, 0.7);     /* share of the cycle at full throttle */
        p[4] = synth__uni(s, 0.6, 0.8);     /* harmonic ratio */
        break;
    case SYNTH_GENERATOR:
        p[0] = synth__uni(s, 0.0, 1.0) < 0.5 ? 50.0 : 60.0; /* mains hum, Hz */
        p[1] = synth__uni(s, 12.5, 30.0);                   /* firing, Hz */
        p[2] = synth__uni(s, 0.6, 0.85);                    /* harmonic ratio */
        p[3] = synth__uni(s, 0.2, 0.6);                     /* hum share */
        p[4] = synth__uni(s, 0.2, 0.5);                     /* governor hunting, Hz */
        break;
    case SYNTH_GUNSHOT:
        p[0] = synth__uni(s, 0.4, 1.5);     /* duration with echoes, s */
        p[1] = synth__uni(s, 0.001, 0.003); /* N-wave length, s */
        p[2] = synth__uni(s, 0.1, 0.4);     /* tail decay, s */
        p[3] = synth__uni(s, 0.1, 0.3);     /* echo delay, s */
        p[4] = synth__uni(s, 100.0, 300.0); /* tail low-pass corner, Hz */
        s->dur_n = (uint64_t)(p[0] * rate);
        break;
    default:
        break;
    }
}

static void init_whale_kinds(struct synth_source *s)
{
    double *p = s->p;
    double rate = (double)s->rate_hz;
    switch (s->kind) {
    case SYNTH_OUTBOARD:
    case SYNTH_JETSKI: {
        int jet = s->kind == SYNTH_JETSKI;
        p[0] = jet ? synth__uni(s, 60.0, 100.0) : synth__uni(s, 15.0, 30.0); /* idle, Hz */
        p[1] = jet ? synth__uni(s, 1.3, 1.8) : synth__uni(s, 2.0, 4.0);      /* full / idle */
        p[2] = jet ? synth__uni(s, 1.0, 3.0) : synth__uni(s, 3.0, 10.0);     /* throttle hold, s */
        p[3] = synth__uni(s, 0.65, 0.85);                                    /* harmonic ratio */
        p[4] = synth__uni(s, 300.0, 800.0);                                  /* cavitation, Hz */
        p[5] = synth__uni(s, 0.0, 1.0);                                      /* initial throttle */
        s->z[6] = p[5];
        s->z[7] = p[5];
        break;
    }
    case SYNTH_CAVITATION:
        p[0] = synth__uni(s, 5.0, 25.0);    /* blade rate, Hz */
        p[1] = synth__uni(s, 200.0, 800.0); /* band corner, Hz */
        p[2] = synth__uni(s, 0.3, 0.9);     /* modulation depth */
        break;
    case SYNTH_SONAR:
        p[0] = synth__uni(s, 200.0, 800.0);                                   /* carrier, Hz */
        p[1] = synth__uni(s, 0.0, 1.0) < 0.5 ? synth__uni(s, 0.1, 0.5) : 0.0; /* LFM rise */
        p[2] = synth__uni(s, 0.03, 0.5);                                      /* ping length, s */
        s->dur_n = (uint64_t)(p[2] * rate);
        break;
    case SYNTH_AIRGUN:
        p[0] = synth__uni(s, 0.08, 0.2);   /* bubble period, s */
        p[1] = synth__uni(s, 50.0, 200.0); /* pulse low-pass, Hz */
        p[2] = synth__uni(s, 0.5, 1.5);    /* reverberation decay, s */
        p[3] = synth__uni(s, 2.0, 4.0);    /* duration, s */
        s->dur_n = (uint64_t)(p[3] * rate);
        s->next_hit_s = 0.0;
        break;
    case SYNTH_FIN_PULSE:
        p[0] = synth__uni(s, 22.0, 26.0);                                        /* start, Hz */
        p[1] = synth__uni(s, 16.0, 19.0);                                        /* end, Hz */
        p[2] = synth__uni(s, 0.8, 1.2);                                          /* duration, s */
        p[3] = synth__uni(s, 0.0, 1.0) < 0.5 ? synth__uni(s, 80.0, 140.0) : 0.0; /* upper */
        s->dur_n = (uint64_t)(p[2] * rate);
        break;
    case SYNTH_DOLPHIN:
        p[0] = synth__uni(s, 300.0, 500.0); /* start, Hz */
        p[1] = synth__uni(s, 1.3, 2.5);     /* end / start (capped at 950 Hz) */
        p[2] = synth__uni(s, 0.3, 1.5);     /* duration, s */
        p[3] = synth__uni(s, 0.0, 0.05);    /* frequency modulation depth */
        p[4] = synth__uni(s, 5.0, 15.0);    /* its rate, Hz */
        s->dur_n = (uint64_t)(p[2] * rate);
        break;
    case SYNTH_SURF:
        p[0] = synth__uni(s, 6.0, 14.0);    /* wave period, s */
        p[1] = synth__uni(s, 1.5, 4.0);     /* break decay, s */
        p[2] = synth__uni(s, 300.0, 600.0); /* bubble noise corner, Hz */
        s->next_hit_s = synth__uni(s, 0.0, 2.0);
        s->z[7] = -100.0; /* time of the last break */
        break;
    default:
        break;
    }
}

void synth__distract_init(struct synth_source *s)
{
    if (synth_kind_profile(s->kind) == SYNTH_PROFILE_WHALE) {
        init_whale_kinds(s);
    } else {
        init_elephant_kinds(s);
    }
}

/* ---- elephant-profile distractors ----------------------------------------------------- */

static double thunder_far_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double roll = lp_noise2(s, 2, p[2]);
    double e = synth__event_env(t, p[0], p[3], 0.4 * p[0]) * (0.3 + 2.5 * fabs(roll));
    return e * lp_noise2(s, 0, p[1]);
}

static double wind_buffet_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double turb = lp_noise2(s, 0, p[0]);
    double gust = lp_noise2(s, 2, p[1]);
    synth__poisson_hits(s, t, p[2], 1.0, 4.0, exp(-1.0 / (p[3] * (double)s->rate_hz)));
    double buffet = lp_noise2(s, 4, 2.0 * p[0]);
    return turb * (0.5 + 3.0 * fabs(gust)) + s->env * buffet;
}

static double vehicle_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double dop = 1.0;
    double a = pass_by(t, 0.5 * p[3], p[1], p[2], SOUND_AIR, &dop);
    double f = p[0] * dop;
    double eng = synth__harmonics(synth__advance(s, 0, f), f, 8, p[4], (double)s->rate_hz);
    double tyre = lp_noise2(s, 0, p[5]) * 4.0 * p[6];
    return synth__event_env(t, p[3], 0.5, 0.5) * a * (eng + tyre);
}

static double diesel_sample(struct synth_source *s)
{
    const double *p = s->p;
    double jit = lp_noise2(s, 0, 2.0);
    double f = p[0] * (1.0 + p[3] * jit);
    double ph = synth__advance(s, 0, f);
    double half = sin(TWO_PI * synth__advance(s, 1, 0.5 * f)); /* one weak cylinder */
    return synth__harmonics(ph, f, 8, p[1], (double)s->rate_hz) + p[2] * 2.0 * half +
           p[4] * 3.0 * lp_noise2(s, 2, 150.0);
}

static double truck_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double u = fmod(t, p[2]) / p[2];
    double f = p[0] + (p[1] - p[0]) * u; /* revs rise in a gear, fall at the change */
    double clutch = u > 0.92 ? 0.3 : 1.0;
    double h = synth__harmonics(synth__advance(s, 0, f), f, 8, p[3], (double)s->rate_hz);
    double away = 1.0 / (1.0 + 2.0 * t / p[4]); /* pulling away from the listener */
    return synth__event_env(t, p[4], 0.3, 0.8) * away * (clutch * h + 0.8 * lp_noise2(s, 0, 200.0));
}

/* Wheel-rail clatter: each car's two bogies cross a rail joint near the listener, two axles
 * 2.5 m apart each: di-dum ... di-dum di-dum ..., repeating every car length / speed. */
static double clatter(struct synth_source *s, double t)
{
    const double *p = s->p;
    while (t >= s->next_hit_s) {
        s->env += synth__uni(s, 1.2, 1.8);
        /* Axles at 2, 4.5, L - 4.5 and L - 2 m along each car: gaps 2.5, L - 9, 2.5, 4. */
        int k = (int)s->z[6];
        double gap = (k % 2 == 0) ? 2.5 : (k == 1 ? p[7] - 9.0 : 4.0);
        s->next_hit_s += gap / p[1];
        s->z[6] = (double)((k + 1) % 4);
    }
    s->env *= exp(-1.0 / (0.02 * (double)s->rate_hz));
    return s->env * lp_noise2(s, 4, 250.0);
}

static double train_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double dop = 1.0;
    double a = pass_by(t, 0.2 * p[6], p[1], p[2], SOUND_AIR, &dop);
    double f = p[0] * dop;
    double eng = a * synth__harmonics(synth__advance(s, 0, f), f, 8, 0.75, (double)s->rate_hz);
    double horn = 0.0;
    double th = t - (0.2 * p[6] - 1.0 - p[5]); /* sounded just before the crossing */
    if (p[3] > 0.0 && th >= 0.0 && th < p[5]) {
        double fh = p[4] * dop;
        horn = synth__event_env(th, p[5], 0.05, 0.1) * a *
               (sin(TWO_PI * synth__advance(s, 1, fh)) +
                0.8 * sin(TWO_PI * synth__advance(s, 2, 1.26 * fh)));
    }
    double body = synth__event_env(t, p[6], 2.0, 3.0);
    return body * (0.6 * eng + clatter(s, t)) + 1.5 * horn;
}

static double livestock_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    if (p[0] < 0.6) {
        /* Moo: voiced, pitch rising by ~20 % then falling, rich harmonics. */
        double f = p[1] * (1.0 + 0.2 * sin(PI * t / p[2]));
        double ph = synth__advance(s, 0, f);
        return synth__event_env(t, p[2], 0.2, 0.4) *
               synth__harmonics(ph, f, 10, p[4], (double)s->rate_hz);
    }
    /* Barks: 0.1-0.15 s bursts, harmonic plus noisy. */
    double u = fmod(t * p[3], 1.0);
    double gate = u < 0.4 ? sin(PI * u / 0.4) : 0.0;
    double ph = synth__advance(s, 0, p[1] * (1.0 - 0.2 * u));
    return synth__event_env(t, p[2], 0.02, 0.05) * gate *
           (synth__harmonics(ph, p[1], 3, p[4], (double)s->rate_hz) + 0.5 * synth__gauss(s));
}

static double shout_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double syl = synth__advance(s, 1, p[2]);
    double gate = 0.3 + 0.7 * sin(PI * syl);
    double f = p[0] * (1.0 + 0.15 * sin(PI * t / p[1])); /* rise and fall of a call */
    double ph = synth__advance(s, 0, f);
    return synth__event_env(t, p[1], 0.05, 0.15) * gate *
           synth__harmonics(ph, f, 6, p[3], (double)s->rate_hz);
}

static double chainsaw_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double target = fmod(t, p[2]) / p[2] < p[3] ? 1.0 : 0.0;
    s->z[6] += synth__lp_coef(s, 2.0) * (target - s->z[6]); /* the engine spins up in ~0.1 s */
    double f = p[1] + (p[0] - p[1]) * s->z[6];
    double ph = synth__advance(s, 0, f);
    return (0.4 + 0.6 * s->z[6]) * synth__harmonics(ph, f, 6, p[4], (double)s->rate_hz) +
           0.3 * lp_noise2(s, 0, 300.0);
}

static double generator_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double f = p[1] * (1.0 + 0.005 * sin(TWO_PI * p[4] * t));
    double eng = synth__harmonics(synth__advance(s, 0, f), f, 8, p[2], (double)s->rate_hz);
    double ph = synth__advance(s, 1, p[0]);
    double hum = sin(TWO_PI * ph) + 0.5 * sin(2.0 * TWO_PI * ph) + 0.3 * sin(3.0 * TWO_PI * ph);
    return eng + p[3] * 2.0 * hum + 0.2 * lp_noise2(s, 0, 200.0);
}

/* N-wave: +1 falling linearly to -1 over its length. */
static double n_wave(double t, double len)
{
    return t >= 0.0 && t < len ? 1.0 - 2.0 * t / len : 0.0;
}

static double gunshot_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double blast = 10.0 * n_wave(t, p[1]) + 4.0 * n_wave(t - p[3], 3.0 * p[1]);
    double tail = exp(-t / p[2]) * lp_noise2(s, 0, p[4]) * 3.0;
    return synth__event_env(t, p[0], 0.0005, 0.1) * (blast + tail);
}

/* ---- whale-profile distractors -------------------------------------------------------- */

/* Outboard motor or jet ski: throttle set points held for an exponential time, approached
 * with a ~0.5 s lag; harmonics of the engine/blade rate plus cavitation that grows with
 * throttle. A jet ski's impeller ventilates when it leaves the water (hops: level drops). */
static double outboard_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    if (t >= s->next_hit_s) {
        s->z[7] = synth__uni(s, 0.0, 1.0);
        s->next_hit_s += -log(1.0 - synth__uni(s, 0.0, 1.0)) * p[2] + 0.3;
    }
    s->z[6] += synth__lp_coef(s, 0.3) * (s->z[7] - s->z[6]);
    double thr = s->z[6];
    double f = p[0] * (1.0 + (p[1] - 1.0) * thr);
    double ph = synth__advance(s, 0, f);
    double blade = 1.0 + 0.5 * sin(TWO_PI * ph);
    double cav = (0.2 + thr * thr) * blade * lp_noise2(s, 0, p[4]) * 4.0;
    double level = 1.0;
    if (s->kind == SYNTH_JETSKI) {
        double hop = lp_noise2(s, 2, 0.5);
        level = hop > 0.25 ? 0.2 : 1.0;
    }
    return level * (synth__harmonics(ph, f, 12, p[3], (double)s->rate_hz) + cav);
}

static double cavitation_sample(struct synth_source *s)
{
    const double *p = s->p;
    double ph = synth__advance(s, 0, p[0]);
    double w = synth__gauss(s);
    s->z[4] += synth__lp_coef(s, 100.0) * (w - s->z[4]);
    double a = synth__lp_coef(s, p[1]);
    s->z[0] += a * ((w - s->z[4]) - s->z[0]); /* high-passed above 100 Hz, then the band */
    s->z[1] += a * (s->z[0] - s->z[1]);
    return (1.0 + p[2] * sin(TWO_PI * ph)) * s->z[1] * 3.0 + 0.2 * sin(TWO_PI * 3.0 * ph);
}

static double sonar_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double f = p[0] * (1.0 + p[1] * t / p[2]);
    return synth__event_env(t, p[2], 0.005, 0.005) * sin(TWO_PI * synth__advance(s, 0, f));
}

/* Airgun: the main pulse then bubble pulses at the bubble period, each 0.4 x the last;
 * reverberation decaying over p[2] s beneath them. */
static double airgun_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    if (t >= s->next_hit_s && s->z[6] < 5.0) {
        s->env = 8.0 * pow(0.4, s->z[6]);
        s->z[5] = s->next_hit_s;
        s->z[6] += 1.0;
        s->next_hit_s += p[0];
    }
    double tp = t - s->z[5];
    /* Each pulse a damped cosine at the water column's pass band (its ghost included). */
    double pulse = s->env * exp(-tp / 0.01) * cos(TWO_PI * p[1] * tp);
    double rev = 0.3 * exp(-t / p[2]) * lp_noise2(s, 2, 2.0 * p[1]) * 3.0;
    return synth__event_env(t, p[3], 0.001, 0.3) * (pulse + rev);
}

static double fin_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double u = t / p[2];
    double f = p[0] + (p[1] - p[0]) * u;
    double x = sin(TWO_PI * synth__advance(s, 0, f));
    if (p[3] > 0.0) {
        x += 0.3 * sin(TWO_PI * synth__advance(s, 1, p[3] * (1.0 - 0.1 * u)));
    }
    return synth__event_env(t, p[2], 0.2 * p[2], 0.3 * p[2]) * x;
}

static double dolphin_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    double u = t / p[2];
    double f = p[0] * (1.0 + (p[1] - 1.0) * u * u) * (1.0 + p[3] * sin(TWO_PI * p[4] * t));
    f = f > 950.0 ? 950.0 : f;
    return synth__event_env(t, p[2], 0.05, 0.05) * sin(TWO_PI * synth__advance(s, 0, f));
}

static double surf_sample(struct synth_source *s, double t)
{
    const double *p = s->p;
    if (t >= s->next_hit_s) {
        s->z[7] = s->next_hit_s;
        s->next_hit_s += p[0] * synth__uni(s, 0.8, 1.2);
    }
    double tb = t - s->z[7];
    double e = (1.0 - exp(-tb / 0.4)) * exp(-tb / p[1]);
    return (0.15 + e) * (lp_noise2(s, 0, p[2]) * 2.0 + lp_noise2(s, 2, 60.0) * 3.0);
}

double synth__distract_sample(struct synth_source *s, double t)
{
    switch (s->kind) {
    case SYNTH_THUNDER_FAR:
        return thunder_far_sample(s, t);
    case SYNTH_WIND_BUFFET:
        return wind_buffet_sample(s, t);
    case SYNTH_VEHICLE_PASS:
        return vehicle_sample(s, t);
    case SYNTH_DIESEL_IDLE:
        return diesel_sample(s);
    case SYNTH_TRUCK_GEAR:
        return truck_sample(s, t);
    case SYNTH_TRAIN:
        return train_sample(s, t);
    case SYNTH_LIVESTOCK:
        return livestock_sample(s, t);
    case SYNTH_SHOUT:
        return shout_sample(s, t);
    case SYNTH_CHAINSAW:
        return chainsaw_sample(s, t);
    case SYNTH_GENERATOR:
        return generator_sample(s, t);
    case SYNTH_GUNSHOT:
        return gunshot_sample(s, t);
    case SYNTH_OUTBOARD:
    case SYNTH_JETSKI:
        return outboard_sample(s, t);
    case SYNTH_CAVITATION:
        return cavitation_sample(s);
    case SYNTH_SONAR:
        return sonar_sample(s, t);
    case SYNTH_AIRGUN:
        return airgun_sample(s, t);
    case SYNTH_FIN_PULSE:
        return fin_sample(s, t);
    case SYNTH_DOLPHIN:
        return dolphin_sample(s, t);
    case SYNTH_SURF:
        return surf_sample(s, t);
    default:
        return 0.0;
    }
}
