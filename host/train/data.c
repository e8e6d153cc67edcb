/*
 * data: labelled feature windows from synthesised scenes or WAV folders (see data.h).
 *
 * A scene is a background floor, optionally a target and optionally a distractor, mixed in
 * float, converted to int16 like a node's ADC and run through the firmware feature code.
 * Training draws each target's loudness physically: a source level over the background at
 * 1 m and a distance, attenuated by synth_gain() for the profile's medium, so the SNRs the
 * model sees follow from distances (and a target drawn too far to be audible, below -6 dB,
 * is drawn again rather than taught as "an elephant in pure noise"). The evaluation sets fix
 * the SNR instead, so the report can give recall and false alarms at 0, 10 and 20 dB.
 */
#include "data.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wav.h"
#include "nodefw/features.h"
#include "synth/synth.h"

#define MAX_KINDS 20

struct prof_scene {
    enum synth_kind bg;
    enum synth_medium medium;
    int n_targets;
    enum synth_kind targets[MAX_KINDS];
    int n_distractors;
    enum synth_kind distractors[MAX_KINDS];
    int n_hard; /* hard negatives: drawn for a third of the training distractors */
    enum synth_kind hard[MAX_KINDS];
    double level_lo, level_hi; /* target source level over the background at 1 m, dB */
    double dist_lo, dist_hi;   /* target distance range, m (log-uniform) */
};

/*
 * The full recipe: every distractor of host/synth a node of the profile meets. Hard negatives
 * are the kinds shaped most like the target: low bursts with a rumble's onset and harmonic
 * engines at rumble pitch; rising harmonic or tonal sounds and throttle sweeps under an upcall.
 */
static const struct prof_scene scenes_full[DSP_PROFILE_COUNT] = {
    [DSP_PROFILE_ELEPHANT] = {SYNTH_BG_LAND,
                              SYNTH_AIR,
                              1,
                              {SYNTH_RUMBLE},
                              16,
                              {SYNTH_ENGINE, SYNTH_WIND, SYNTH_RAIN, SYNTH_THUNDER, SYNTH_VOICE,
                               SYNTH_THUNDER_FAR, SYNTH_WIND_BUFFET, SYNTH_VEHICLE_PASS,
                               SYNTH_DIESEL_IDLE, SYNTH_TRUCK_GEAR, SYNTH_TRAIN, SYNTH_LIVESTOCK,
                               SYNTH_SHOUT, SYNTH_CHAINSAW, SYNTH_GENERATOR, SYNTH_GUNSHOT},
                              7,
                              {SYNTH_ENGINE, SYNTH_THUNDER, SYNTH_THUNDER_FAR, SYNTH_VEHICLE_PASS,
                               SYNTH_TRUCK_GEAR, SYNTH_TRAIN, SYNTH_WIND_BUFFET},
                              58.0,
                              68.0,
                              30.0,
                              2000.0},
    [DSP_PROFILE_WHALE] = {SYNTH_BG_SEA,
                           SYNTH_WATER,
                           2,
                           {SYNTH_UPCALL, SYNTH_HUMPBACK},
                           13,
                           {SYNTH_SHIP, SYNTH_SHRIMP, SYNTH_RAIN, SYNTH_OUTBOARD, SYNTH_JETSKI,
                            SYNTH_CAVITATION, SYNTH_SONAR, SYNTH_AIRGUN, SYNTH_FIN_PULSE,
                            SYNTH_DOLPHIN, SYNTH_SURF, SYNTH_VOICE, SYNTH_SHOUT},
                           6,
                           {SYNTH_SHIP, SYNTH_OUTBOARD, SYNTH_JETSKI, SYNTH_VOICE, SYNTH_SHOUT,
                            SYNTH_DOLPHIN},
                           60.0,
                           70.0,
                           50.0,
                           3000.0},
    /* The turbine's "targets" are its faults; the machine itself is the scene's main source. */
    [DSP_PROFILE_TURBINE] = {SYNTH_BG_PLANT,
                             SYNTH_SOLID,
                             4,
                             {SYNTH_FAULT_OUTER, SYNTH_FAULT_INNER, SYNTH_FAULT_IMBALANCE,
                              SYNTH_FAULT_MISALIGN},
                             0,
                             {SYNTH_TURBINE_HEALTHY},
                             0,
                             {SYNTH_TURBINE_HEALTHY},
                             20.0,
                             35.0,
                             1.0,
                             1.0},
};

/* The first recipe (before the distractor models): the old models' data, for comparison. */
static const enum synth_kind v1_elephant[] = {SYNTH_ENGINE, SYNTH_WIND, SYNTH_RAIN, SYNTH_THUNDER,
                                              SYNTH_VOICE};
static const enum synth_kind v1_whale[] = {SYNTH_SHIP, SYNTH_SHRIMP, SYNTH_RAIN};

/* The scenes in use (data_use_recipe); one process trains one recipe at a time. */
static struct prof_scene scenes[DSP_PROFILE_COUNT];
static int scenes_ready;

static void scenes_init(void)
{
    if (!scenes_ready) {
        data_use_recipe(DATA_RECIPE_DEFAULT, NULL, 0);
    }
}

static int kind_in(enum synth_kind k, const enum synth_kind *set, int n)
{
    for (int i = 0; i < n; i++) {
        if (set[i] == k) {
            return 1;
        }
    }
    return 0;
}

/* Keep the kinds of list[0..*n) not in drop[0..n_drop); keeps at least the first. */
static void drop_kinds(enum synth_kind *list, int *n, const enum synth_kind *drop, int n_drop)
{
    int m = 0;
    for (int i = 0; i < *n; i++) {
        if (!kind_in(list[i], drop, n_drop)) {
            list[m++] = list[i];
        }
    }
    *n = m;
}

int data_use_recipe(enum data_recipe r, const enum synth_kind *drop, int n_drop)
{
    memcpy(scenes, scenes_full, sizeof(scenes));
    scenes_ready = 1;
    if (r == DATA_RECIPE_V1) {
        struct prof_scene *e = &scenes[DSP_PROFILE_ELEPHANT];
        struct prof_scene *w = &scenes[DSP_PROFILE_WHALE];
        e->n_distractors = (int)(sizeof(v1_elephant) / sizeof(v1_elephant[0]));
        memcpy(e->distractors, v1_elephant, sizeof(v1_elephant));
        w->n_distractors = (int)(sizeof(v1_whale) / sizeof(v1_whale[0]));
        memcpy(w->distractors, v1_whale, sizeof(v1_whale));
        e->n_hard = 1; /* the engine */
        w->n_hard = 1; /* the ship */
    }
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        struct prof_scene *sc = &scenes[p];
        if (p == DSP_PROFILE_TURBINE) {
            continue;
        }
        drop_kinds(sc->distractors, &sc->n_distractors, drop, n_drop);
        drop_kinds(sc->hard, &sc->n_hard, drop, n_drop);
        if (sc->n_distractors == 0) {
            return -1;
        }
        if (sc->n_hard == 0) {
            sc->hard[0] = sc->distractors[0];
            sc->n_hard = 1;
        }
    }
    return 0;
}

int data_distractors(enum dsp_profile p, enum synth_kind *out, int max)
{
    scenes_init();
    int n = scenes[p].n_distractors < max ? scenes[p].n_distractors : max;
    memcpy(out, scenes[p].distractors, (size_t)n * sizeof(*out));
    return n;
}

void dset_free(struct dset *ds)
{
    free(ds->x);
    free(ds->y);
    free(ds->kind);
    free(ds->snr);
    free(ds->seg);
    memset(ds, 0, sizeof(*ds));
}

static int dset_push(struct dset *ds, const int8_t *x, int y, int kind, double snr, uint32_t seg)
{
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? 2 * ds->cap : 256;
        int8_t *nx = realloc(ds->x, cap * DATA_DIM);
        if (!nx) {
            return -1;
        }
        ds->x = nx;
        int *ny = realloc(ds->y, cap * sizeof(int));
        uint8_t *nk = ny ? realloc(ds->kind, cap) : NULL;
        float *ns = nk ? realloc(ds->snr, cap * sizeof(float)) : NULL;
        uint32_t *sg = ns ? realloc(ds->seg, cap * sizeof(uint32_t)) : NULL;
        /* Keep whatever realloc already moved, so dset_free() frees the live blocks. */
        ds->y = ny ? ny : ds->y;
        ds->kind = nk ? nk : ds->kind;
        ds->snr = ns ? ns : ds->snr;
        ds->seg = sg ? sg : ds->seg;
        if (!sg) {
            return -1;
        }
        ds->cap = cap;
    }
    memcpy(ds->x + ds->n * DATA_DIM, x, DATA_DIM);
    ds->y[ds->n] = y;
    ds->kind[ds->n] = (uint8_t)kind;
    ds->snr[ds->n] = (float)snr;
    ds->seg[ds->n] = seg;
    ds->n++;
    return 0;
}

static double uniform(uint64_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * synth_uniform(rng);
}

static unsigned rate_of(enum dsp_profile p)
{
    return dsp_profile_get(p)->sample_rate_hz;
}

/*
 * Add an event or continuous source into buf[0..n) so that the window overlaps at least 60 %
 * of an event (or of the window, for long events): a window that holds only the last 100 ms
 * of a rumble is not a labelled rumble.
 */
static int add_source(float *buf, size_t n, enum synth_kind kind, unsigned rate, uint64_t seed,
                      float gain, uint64_t *rng)
{
    struct synth_source src;
    if (synth_source_init(&src, kind, rate, seed) != 0) {
        return -1;
    }
    size_t dur = (size_t)src.dur_n;
    if (dur == 0) {
        synth_render(&src, buf, n, gain);
        return 0;
    }
    size_t shortest = dur < n ? dur : n;
    size_t min_ov = shortest * 6 / 10;
    /* Window start o relative to the event start, in [min_ov - n, dur - min_ov]. */
    double lo = (double)min_ov - (double)n;
    double hi = (double)dur - (double)min_ov;
    long o = lround(uniform(rng, lo, hi));
    float *tmp = calloc(dur, sizeof(float));
    if (!tmp) {
        return -1;
    }
    /* Only up to the window's end: a long event (a 30 s train) would otherwise dominate the
     * time to make a data set. The samples rendered do not depend on how many follow. */
    long need = o + (long)n < (long)dur ? o + (long)n : (long)dur;
    if (need > 0) {
        synth_render(&src, tmp, (size_t)need, 1.0f);
    }
    for (size_t i = 0; i < n; i++) {
        long e = o + (long)i;
        if (e >= 0 && e < (long)dur) {
            buf[i] += gain * tmp[e];
        }
    }
    free(tmp);
    return 0;
}

/* Features of one clip of exactly FEAT_WINDOW_SAMPLES samples, through the firmware code. */
static int clip_features(enum dsp_profile p, const int16_t *pcm, int8_t *x)
{
    struct dsp_features st;
    if (dsp_features_init(&st, p) != DSP_OK ||
        dsp_features_push(&st, pcm, FEAT_WINDOW_SAMPLES) < 0) {
        return -1;
    }
    return dsp_features_window(&st, (int8_t(*)[FEAT_BANDS])x, NULL) == DSP_OK ? 0 : -1;
}

/* Render one scene; returns the target's SNR over the background (or the main source's). */
static int render_scene(enum dsp_profile p, enum data_mix mix, int label, double snr_db,
                        uint64_t *rng, float *buf, size_t n, int *kind_out, double *snr_out)
{
    scenes_init();
    const struct prof_scene *sc = &scenes[p];
    unsigned rate = rate_of(p);
    memset(buf, 0, n * sizeof(float));
    double bg_db = uniform(rng, -50.0, -20.0);
    float g_bg = (float)(pow(10.0, bg_db / 20.0) / SYNTH_REF_RMS);
    struct synth_source bg;
    synth_source_init(&bg, sc->bg, rate, (uint64_t)(synth_uniform(rng) * 9.0e15));
    synth_render(&bg, buf, n, g_bg);
    *kind_out = 255;
    *snr_out = 0.0;

    if (p == DSP_PROFILE_TURBINE) {
        /* The machine is always there; a fault kind renders machine + fault. */
        enum synth_kind k = SYNTH_TURBINE_HEALTHY;
        if (label) {
            k = sc->targets[(int)(synth_uniform(rng) * sc->n_targets)];
        }
        /* An accelerometer on the gearbox: the machine at -30..-20 dBFS (load changes its
         * level), the sensor and plant floor level_lo..level_hi dB below it. */
        double snr = uniform(rng, sc->level_lo, sc->level_hi);
        double machine_db = uniform(rng, -30.0, -20.0);
        memset(buf, 0, n * sizeof(float));
        synth_render(&bg, buf, n, (float)(pow(10.0, (machine_db - snr) / 20.0) / SYNTH_REF_RMS));
        struct synth_source m;
        synth_source_init(&m, k, rate, (uint64_t)(synth_uniform(rng) * 9.0e15));
        /* Fault severity 0.2..1: from an early, barely visible defect to a developed one. */
        m.severity = uniform(rng, 0.2, 1.0);
        synth_render(&m, buf, n, (float)(pow(10.0, machine_db / 20.0) / SYNTH_REF_RMS));
        *kind_out = (int)k;
        *snr_out = snr;
        return 0;
    }

    if (label) {
        enum synth_kind k = sc->targets[(int)(synth_uniform(rng) * sc->n_targets)];
        if (sc->n_targets == 2 && synth_uniform(rng) < 0.4) {
            k = sc->targets[0]; /* whale: upcalls are the main target, 70 % of examples */
        }
        double snr = snr_db;
        if (mix == DATA_MIX_TRAIN) {
            do {
                double level = uniform(rng, sc->level_lo, sc->level_hi);
                double d = exp(uniform(rng, log(sc->dist_lo), log(sc->dist_hi)));
                snr = level + 20.0 * log10(synth_gain(sc->medium, d));
            } while (snr < -6.0);
        }
        if (add_source(buf, n, k, rate, (uint64_t)(synth_uniform(rng) * 9.0e15),
                       g_bg * (float)synth_snr_gain(snr), rng) != 0) {
            return -1;
        }
        *kind_out = (int)k;
        *snr_out = snr;
    }
    /* Distractors: in every negative but 1 in 6 (background only), in 1 of 4 targets. */
    double pd = label ? 0.25 : 5.0 / 6.0;
    if (synth_uniform(rng) < pd) {
        enum synth_kind k = sc->distractors[(int)(synth_uniform(rng) * sc->n_distractors)];
        /* Hard negatives: in training, a third of the distractors are those most like the
         * target (an engine's steady harmonics at rumble pitch, thunder's and traffic's low
         * onsets; a ship's tonals, voices and throttle sweeps under an upcall), which the
         * model otherwise sees too rarely to separate. */
        if (mix == DATA_MIX_TRAIN && synth_uniform(rng) < 1.0 / 3.0) {
            k = sc->hard[sc->n_hard > 1 ? (int)(synth_uniform(rng) * sc->n_hard) : 0];
        }
        double snr = mix == DATA_MIX_NEG_AT ? snr_db : uniform(rng, -5.0, label ? 15.0 : 30.0);
        if (add_source(buf, n, k, rate, (uint64_t)(synth_uniform(rng) * 9.0e15),
                       g_bg * (float)synth_snr_gain(snr), rng) != 0) {
            return -1;
        }
        if (!label) {
            *kind_out = (int)k;
            *snr_out = snr;
        }
    }
    return 0;
}

int data_generate(struct dset *ds, enum dsp_profile p, enum data_mix mix, size_t n, double snr_db,
                  uint64_t seed)
{
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 12345;
    float buf[FEAT_WINDOW_SAMPLES];
    int16_t pcm[FEAT_WINDOW_SAMPLES];
    int8_t x[DATA_DIM];
    for (size_t i = 0; i < n; i++) {
        int label = 0;
        switch (mix) {
        case DATA_MIX_TRAIN:
            label = synth_uniform(&rng) < 0.5;
            break;
        case DATA_MIX_POS_AT:
        case DATA_MIX_FAULTS:
            label = 1;
            break;
        case DATA_MIX_NEG_AT:
        case DATA_MIX_HEALTHY:
            label = 0;
            break;
        }
        int kind = 0;
        double snr = 0.0;
        if (render_scene(p, mix, label, snr_db, &rng, buf, FEAT_WINDOW_SAMPLES, &kind, &snr) != 0) {
            return -1;
        }
        synth_to_int16(buf, pcm, FEAT_WINDOW_SAMPLES);
        if (clip_features(p, pcm, x) != 0 || dset_push(ds, x, label, kind, snr, 0) != 0) {
            return -1;
        }
    }
    return 0;
}

int data_render_clip(enum dsp_profile p, int label, double snr_db, uint64_t seed, int16_t *pcm,
                     size_t samples)
{
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 777;
    float *buf = calloc(samples, sizeof(float));
    if (!buf) {
        return -1;
    }
    int kind = 0;
    double snr = 0.0;
    int rc = render_scene(p, DATA_MIX_POS_AT, label, snr_db, &rng, buf, samples, &kind, &snr);
    if (rc == 0) {
        synth_to_int16(buf, pcm, samples);
    }
    free(buf);
    return rc;
}

/* Cut int16 audio into node windows (one per FEAT_STEP_SAMPLES, streaming features). */
int data_windows(struct dset *ds, enum dsp_profile p, const int16_t *pcm, size_t n, int label,
                 int kind, double snr, uint32_t seg)
{
    struct dsp_features st;
    int8_t x[DATA_DIM];
    if (dsp_features_init(&st, p) != DSP_OK) {
        return -1;
    }
    for (size_t i = 0; i + FEAT_STEP_SAMPLES <= n; i += FEAT_STEP_SAMPLES) {
        if (dsp_features_push(&st, pcm + i, FEAT_STEP_SAMPLES) < 0) {
            return -1;
        }
        int rc = dsp_features_window(&st, (int8_t(*)[FEAT_BANDS])x, NULL);
        if (rc == DSP_EAGAIN) {
            continue;
        }
        if (rc != DSP_OK || dset_push(ds, x, label, kind, snr, seg) != 0) {
            return -1;
        }
    }
    return 0;
}

int data_stream(struct dset *ds, enum dsp_profile p, double seconds, double snr_db, uint64_t seed)
{
    scenes_init();
    const struct prof_scene *sc = &scenes[p];
    unsigned rate = rate_of(p);
    const double seg_s = 30.0;
    size_t n = (size_t)(seg_s * rate);
    float *buf = malloc(n * sizeof(float));
    int16_t *pcm = malloc(n * sizeof(int16_t));
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 999;
    int rc = buf && pcm ? 0 : -1;
    uint32_t segs = (uint32_t)ceil(seconds / seg_s);
    for (uint32_t s = 0; s < segs && rc == 0; s++) {
        memset(buf, 0, n * sizeof(float));
        float g_bg = (float)(pow(10.0, uniform(&rng, -50.0, -20.0) / 20.0) / SYNTH_REF_RMS);
        struct synth_source bg;
        synth_source_init(&bg, sc->bg, rate, (uint64_t)(synth_uniform(&rng) * 9.0e15));
        synth_render(&bg, buf, n, g_bg);
        /* One distractor kind per segment, or background only one time in (kinds + 1). */
        int pick = (int)(synth_uniform(&rng) * (sc->n_distractors + 1));
        int kind = 255;
        if (pick < sc->n_distractors) {
            kind = (int)sc->distractors[pick];
            float g = g_bg * (float)synth_snr_gain(snr_db);
            struct synth_source d;
            synth_source_init(&d, (enum synth_kind)kind, rate,
                              (uint64_t)(synth_uniform(&rng) * 9.0e15));
            if (d.dur_n == 0) {
                synth_render(&d, buf, n, g);
            } else {
                /* Events (thunder, voices) at random times, about one every 8 s. */
                size_t at = (size_t)(uniform(&rng, 0.0, 4.0) * rate);
                while (at < n) {
                    struct synth_source e;
                    synth_source_init(&e, (enum synth_kind)kind, rate,
                                      (uint64_t)(synth_uniform(&rng) * 9.0e15));
                    size_t len = (size_t)e.dur_n < n - at ? (size_t)e.dur_n : n - at;
                    synth_render(&e, buf + at, len, g);
                    at += (size_t)e.dur_n + (size_t)(uniform(&rng, 1.0, 10.0) * rate);
                }
            }
        }
        synth_to_int16(buf, pcm, n);
        rc = data_windows(ds, p, pcm, n, 0, kind, snr_db, s);
    }
    free(buf);
    free(pcm);
    return rc;
}

int data_event_stream(struct dset *ds, enum dsp_profile p, size_t events, double snr_db,
                      uint64_t seed)
{
    scenes_init();
    const struct prof_scene *sc = &scenes[p];
    unsigned rate = rate_of(p);
    const double seg_s = 20.0;
    size_t n = (size_t)(seg_s * rate);
    float *buf = malloc(n * sizeof(float));
    int16_t *pcm = malloc(n * sizeof(int16_t));
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 4242;
    int rc = buf && pcm ? 0 : -1;
    for (uint32_t s = 0; s < events && rc == 0; s++) {
        memset(buf, 0, n * sizeof(float));
        float g_bg = (float)(pow(10.0, uniform(&rng, -50.0, -20.0) / 20.0) / SYNTH_REF_RMS);
        struct synth_source bg;
        struct synth_source ev;
        synth_source_init(&bg, sc->bg, rate, (uint64_t)(synth_uniform(&rng) * 9.0e15));
        synth_render(&bg, buf, n, g_bg);
        enum synth_kind k = sc->targets[(int)(synth_uniform(&rng) * sc->n_targets)];
        synth_source_init(&ev, k, rate, (uint64_t)(synth_uniform(&rng) * 9.0e15));
        size_t dur = (size_t)ev.dur_n;
        /* The event starts 3 s in or later and ends 2 s before the segment does. */
        size_t start = (size_t)(uniform(&rng, 3.0, seg_s - 2.0 - (double)dur / rate) * rate);
        synth_render(&ev, buf + start, dur, g_bg * (float)synth_snr_gain(snr_db));
        synth_to_int16(buf, pcm, n);
        size_t first = ds->n;
        rc = data_windows(ds, p, pcm, n, 0, (int)k, snr_db, s);
        /* Window j ends at sample 1024 (j + 3) (the first needs 3072 samples pushed). */
        for (size_t j = first; rc == 0 && j < ds->n; j++) {
            size_t end = (size_t)FEAT_STEP_SAMPLES * (j - first + 3);
            size_t begin = end - FEAT_WINDOW_SAMPLES;
            ds->y[j] = begin < start + dur && end > start;
        }
    }
    free(buf);
    free(pcm);
    return rc;
}

/* ---- WAV files -------------------------------------------------------------------------- */

/* Read a mono 16-bit PCM WAV at `rate`; returns samples (malloc'd) or NULL with a message. */
static int16_t *read_wav(const char *path, unsigned rate, size_t *n_out)
{
    char err[160];
    uint32_t file_rate = 0;
    int16_t *pcm = wav_read_all(path, &file_rate, n_out, err, sizeof(err));

    if (pcm != NULL && file_rate != rate) {
        snprintf(err, sizeof(err), "wrong sample rate for this profile (%u Hz)",
                 (unsigned)file_rate);
        free(pcm);
        pcm = NULL;
    }
    if (pcm == NULL) {
        fprintf(stderr, "tinyfleet-train: %s: %s (need mono 16-bit PCM at %u Hz)\n", path, err,
                rate);
    }
    return pcm;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory's entries (not starting with '.'); NULL on error. */
static char **list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        return NULL;
    }
    char **names = NULL;
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char **nn = realloc(names, (n + 1) * sizeof(char *));
        if (!nn) {
            break;
        }
        names = nn;
        names[n] = strdup(e->d_name);
        if (names[n]) {
            n++;
        }
    }
    closedir(d);
    /* Directory order differs between file systems: sort so training is reproducible. */
    if (n > 0) {
        qsort(names, n, sizeof(char *), cmp_str);
    }
    *count = n;
    return names ? names : calloc(1, sizeof(char *));
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

static int is_negative_class(const char *name)
{
    static const char *const neg[] = {"none", "background", "negative", "healthy", "noise"};
    for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
        if (strcmp(name, neg[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int data_load_dir(struct dset *ds, enum dsp_profile p, const char *dir)
{
    size_t nc = 0;
    char **classes = list_dir(dir, &nc);
    if (!classes) {
        fprintf(stderr, "tinyfleet-train: %s: cannot read the directory\n", dir);
        return -1;
    }
    int rc = 0;
    uint32_t seg = 0;
    for (size_t c = 0; c < nc && rc == 0; c++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, classes[c]);
        size_t nf = 0;
        char **files = list_dir(path, &nf);
        if (!files) {
            continue; /* a plain file beside the class folders */
        }
        int label = is_negative_class(classes[c]) ? 0 : 1;
        for (size_t i = 0; i < nf && rc == 0; i++) {
            size_t len = strlen(files[i]);
            if (len < 4 || strcmp(files[i] + len - 4, ".wav") != 0) {
                continue;
            }
            char fp[8192];
            snprintf(fp, sizeof(fp), "%s/%s", path, files[i]);
            size_t n = 0;
            int16_t *pcm = read_wav(fp, rate_of(p), &n);
            if (!pcm) {
                rc = -1;
                break;
            }
            if (n < FEAT_WINDOW_SAMPLES + FEAT_STEP_SAMPLES) {
                fprintf(stderr,
                        "tinyfleet-train: %s: shorter than one window (%d samples), "
                        "skipped\n",
                        fp, FEAT_WINDOW_SAMPLES + FEAT_STEP_SAMPLES);
            } else {
                rc = data_windows(ds, p, pcm, n, label, 255, 0.0, seg++);
            }
            free(pcm);
        }
        free_list(files, nf);
    }
    free_list(classes, nc);
    return rc;
}

int data_write_wav(const char *path, const int16_t *pcm, size_t n, unsigned rate)
{
    return wav_write(path, rate, pcm, n);
}
