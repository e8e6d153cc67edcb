/*
 * data: labelled feature windows for tinyfleet-train (host only, C11).
 *
 * Every window is rendered by host/synth (or read from a user's WAV files), converted to
 * int16 and passed through the firmware's own streaming feature code (libnodefw.a:
 * dsp_features_push / dsp_features_window), so the trainer sees exactly the integers a node
 * computes. Labels are binary per profile: 0 = nothing to report (background, distractors,
 * a healthy machine), 1 = the profile's target (rumble; upcall or humpback unit; a fault).
 */
#ifndef PROJ_HOST_TRAIN_DATA_H
#define PROJ_HOST_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/profile.h"
#include "synth/synth.h"

/* Feature integers per window (an enum constant, so uses need no int multiplication). */
enum { DATA_DIM = FEAT_FRAMES * FEAT_BANDS };

struct dset {
    size_t n;      /* windows */
    size_t cap;    /* allocated windows */
    int8_t *x;     /* n x DATA_DIM feature integers, time major */
    int *y;        /* label 0/1 */
    uint8_t *kind; /* synth kind of the main source (enum synth_kind), 255 = background */
    float *snr;    /* SNR of the main source over the background, dB */
    uint32_t *seg; /* stream windows: segment number (episodes never span segments) */
};

/* How a generated set is drawn. */
enum data_mix {
    DATA_MIX_TRAIN = 0, /* targets and negatives, distances and SNRs drawn over the range */
    DATA_MIX_POS_AT,    /* targets only, at exactly `snr_db` over the background */
    DATA_MIX_NEG_AT,    /* negatives only (distractors at `snr_db`, some background only) */
    DATA_MIX_HEALTHY,   /* turbine: healthy windows only */
    DATA_MIX_FAULTS     /* turbine: fault windows only */
};

void dset_free(struct dset *ds);

/* Which distractors scenes draw from. FULL: every distractor of host/synth the profile's node
 * meets (the default); V1: the first recipe (engine, wind, rain, thunder, voice; ship, shrimp,
 * rain), which made the models before the distractor models existed. */
enum data_recipe { DATA_RECIPE_FULL = 0, DATA_RECIPE_V1 };

/* The recipe the committed models are trained with (`make models`). */
#define DATA_RECIPE_DEFAULT DATA_RECIPE_FULL

/*
 * Use recipe r for every later data_* call, without the kinds drop[0..n_drop) (a
 * leave-one-family-out model never sees the family). Global to the process (the trainer is
 * single-threaded). 0, or -1 if a profile would be left with no distractor.
 */
int data_use_recipe(enum data_recipe r, const enum synth_kind *drop, int n_drop);

/* The distractor kinds profile p's scenes draw from now; up to max into out, returns count. */
int data_distractors(enum dsp_profile p, enum synth_kind *out, int max);

/* Cut int16 audio into node windows exactly as a node does (one per FEAT_STEP_SAMPLES of
 * streaming features), labelled y = label, kind, snr and segment seg. 0 or -1. */
int data_windows(struct dset *ds, enum dsp_profile p, const int16_t *pcm, size_t n, int label,
                 int kind, double snr, uint32_t seg);

/* Append n windows of profile p drawn as `mix` says, deterministically from seed. */
int data_generate(struct dset *ds, enum dsp_profile p, enum data_mix mix, size_t n, double snr_db,
                  uint64_t seed);

/*
 * A continuous stream of `seconds` of background and distractors at snr_db (no target),
 * cut into windows exactly as a node does (one per FEAT_STEP_SAMPLES); consecutive windows
 * of one segment form episodes when counting false alarms.
 */
int data_stream(struct dset *ds, enum dsp_profile p, double seconds, double snr_db, uint64_t seed);

/*
 * `events` segments of 20 s, each background plus one target event at snr_db, cut into node
 * windows; y = 1 for windows overlapping the event, seg = the event's number. For recall as
 * a node reports it (an episode of consecutive detections per event).
 */
int data_event_stream(struct dset *ds, enum dsp_profile p, size_t events, double snr_db,
                      uint64_t seed);

/*
 * Load a user's recordings: dir/<class>/ *.wav, mono 16-bit PCM at the profile's rate.
 * Class folder names: "none" (or "background", "negative", "healthy") get label 0, every other
 * folder label 1. Each file is cut into windows every FEAT_STEP_SAMPLES. On error prints a
 * message to stderr naming the file and returns -1.
 */
int data_load_dir(struct dset *ds, enum dsp_profile p, const char *dir);

/* Write n int16 samples as a mono 16-bit WAV file; 0 or -1. */
int data_write_wav(const char *path, const int16_t *pcm, size_t n, unsigned rate);

/* Render one labelled clip of `samples` samples (a target if label is 1) for tests and demos. */
int data_render_clip(enum dsp_profile p, int label, double snr_db, uint64_t seed, int16_t *pcm,
                     size_t samples);

#endif /* PROJ_HOST_TRAIN_DATA_H */
