/*
 * evalset: the evaluation that judges a classifier the way a field node is judged (host only,
 * C11): continuous streams of everyday sounds, one distractor family at a time, scored as
 * node events per hour after the firmware's own aggregator; and target calls alone in white
 * or pink noise at a fixed SNR, scored as the share of calls the node reports. Its generator
 * parameters and seeds differ from training's (host/train/README.md, "Evaluation").
 */
#ifndef PROJ_HOST_TRAIN_EVALSET_H
#define PROJ_HOST_TRAIN_EVALSET_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "quant.h"

#define EVAL_MAX_FAMILY_KINDS 4

/* A distractor family: kinds a stream alternates between (one per minute) and, for event
 * kinds, the gap between events. */
struct eval_family {
    const char *name;
    int n_kinds;
    enum synth_kind kinds[EVAL_MAX_FAMILY_KINDS];
    double gap_lo, gap_hi; /* seconds of quiet between events */
};

/* The families of profile p (elephant, whale; none for the turbine); returns the count. */
int eval_families(enum dsp_profile p, const struct eval_family **out);

/* `seconds` of one family over the profile's background, one continuous recording cut into
 * node windows (seg = 0); the distractor 0-25 dB over the background. 0 or -1. */
int eval_family_stream(struct dset *ds, enum dsp_profile p, const struct eval_family *f,
                       double seconds, uint64_t seed);

enum eval_noise { EVAL_WHITE = 0, EVAL_PINK };

/* Call types of the recall sets. */
enum eval_call {
    EVAL_RUMBLE_SHORT = 0, /* elephant rumble 1-2 s */
    EVAL_RUMBLE_MID,       /* 2-4 s */
    EVAL_RUMBLE_LONG,      /* 4-8 s */
    EVAL_UPCALL_SHORT,     /* right whale upcall 0.4-0.8 s */
    EVAL_UPCALL_LONG,      /* 0.8-1.5 s */
    EVAL_HUMPBACK,         /* humpback song unit 0.5-3 s */
    EVAL_CALL_COUNT
};

const char *eval_call_name(enum eval_call c);
/* Whether call type c belongs to profile p. */
int eval_call_of(enum dsp_profile p, enum eval_call c);

/*
 * `events` segments of 20 s, each white or pink noise with one call of type c at snr_db
 * (RMS over the call's active part against the noise RMS), starting anywhere from 1 s in to
 * 1 s before the end. Windows overlapping the call have y = 1; seg numbers the segments,
 * continuing after the last one already in ds. 0 or -1.
 */
int eval_recall_set(struct dset *ds, enum dsp_profile p, enum eval_call c, enum eval_noise noise,
                    double snr_db, size_t events, uint64_t seed);

/*
 * Score a stream as the node reports it: the int8 model (bit-exact to the engine) at
 * detection threshold `thr` (0..255), then nodefw's aggregator with the node's settings,
 * window times from the window index. Returns the episodes the node would send per hour of
 * audio. For a recall set (segments), *hits gets the segments in which an episode overlaps
 * the call; hits may be NULL.
 */
double eval_node_events(const struct qmodel *qm, int thr, const struct dset *ds, unsigned rate,
                        size_t *hits);

/* The same for precomputed target confidences conf[0..ds->n) (0..255). */
double eval_node_events_conf(const uint8_t *conf, int thr, const struct dset *ds, unsigned rate,
                             size_t *hits);

/* Target confidences of every window of ds under qm (malloc'd, caller frees), or NULL. */
uint8_t *eval_confidences(const struct qmodel *qm, const struct dset *ds);

#endif /* PROJ_HOST_TRAIN_EVALSET_H */
