/* SPDX-License-Identifier: MIT
 * The aggregator turns a stream of per-window classifications into the few TFP messages a
 * node sends: one detection record per episode (start, duration, highest confidence, level),
 * up to 8 records per frame, a health message every health period and, for the turbine
 * profile, an anomaly summary every summary period.
 *
 * Episodes, per class: a window counts when its class is not 0 and its confidence reaches
 * on_conf. min_windows such windows in a row open an episode (debouncing a single click or
 * splash); it ends when no counting window came for hangover_ms, or when it has lasted
 * max_episode_ms (so a herd that stays an hour is reported every few minutes, not once at
 * the end). A closed episode becomes a record in a queue of AGG_QUEUE; records wait up to
 * batch_wait_ms for others to share their frame (airtime is the scarce thing: 8 records in
 * one frame cost about a third of the time on air of 8 frames).
 *
 * Sending is two-phase, so a frame refused by the duty-cycle budget loses nothing:
 * aggregator_peek() says what is due, aggregator_commit() removes it once the frame is on
 * its way. Integers only; all state is in struct aggregator.
 *
 * Episode rules: a window-level model sees 1-2 s at a time and cannot tell a call from a
 * sound that only looks like one for a window; the episode can. Off by default, set per
 * profile by aggregator_profile_config(): strong_conf lets one very confident window open
 * an episode (a call short enough to fill a single window would otherwise never make two in
 * a row); peak_conf drops an episode built only of middling windows (a call has at least one
 * window the model is sure of); max_run drops an episode that holds a run of counting windows
 * longer than any call of the class lasts (an engine, a generator: sustained sound). A
 * dropped episode is counted in `rejected` and never sent.
 */
#ifndef PROJ_NODEFW_AGGREGATOR_H
#define PROJ_NODEFW_AGGREGATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/profile.h"
#include "proto/tfp.h"

#define AGG_CLASSES 8u  /* class ids 0..7 of the TFP table; 0 (unknown) never opens episodes */
#define AGG_QUEUE   16u /* closed episodes waiting to be sent */

struct agg_config {
    uint8_t on_conf;            /* confidence (p * 255) a window needs to count */
    uint8_t min_windows;        /* counting windows in a row that open an episode, >= 1 */
    uint32_t hangover_ms;       /* quiet time that ends an episode */
    uint32_t max_episode_ms;    /* an episode this long is reported and a new one begins */
    uint32_t batch_wait_ms;     /* a record waits this long for company (0: send at once) */
    uint32_t health_period_ms;  /* health message interval; 0 = never */
    uint32_t anomaly_period_ms; /* anomaly summary interval; 0 = no summaries */
    /* Episode shape (0 = off each): see "Episode rules" above. */
    uint8_t strong_conf; /* one counting window this confident opens an episode alone */
    uint8_t peak_conf;   /* an episode whose best window stays below this is dropped */
    uint8_t max_run;     /* an episode with a longer run of counting windows is dropped */
};

/* One classified window, as the node's classifier reports it. */
struct agg_window {
    uint64_t start_ms;  /* first sample of the window, node clock */
    uint64_t end_ms;    /* just after its last sample */
    uint8_t class_id;   /* enum proto_tfp_class of the best class; 0 = nothing */
    uint8_t confidence; /* p * 255 of that class */
    uint8_t level_db;   /* loudness above the noise floor, dB */
    bool scored;        /* the anomaly score below is valid (turbine profile) */
    bool anomalous;     /* the score is over the model's threshold */
    uint8_t score;      /* anomaly score, 0..255 of the model's scale */
    uint8_t peak_band;  /* feature band with the largest error / energy */
};

/* A closed episode waiting in the queue. */
struct agg_record {
    uint8_t class_id;
    uint8_t confidence; /* highest over the episode */
    uint8_t level_db;   /* highest over the episode */
    uint64_t start_ms;  /* start of the first counting window */
    uint64_t end_ms;    /* end of the last counting window */
    uint64_t closed_ms; /* when the episode was closed (batching starts here) */
};

/* Per-class episode tracker; private to aggregator.c. */
struct agg_track {
    uint8_t state; /* 0 idle, 1 debouncing, 2 open */
    uint8_t run;   /* counting windows in a row while debouncing */
    uint8_t max_conf;
    uint8_t max_level;
    uint8_t cur;     /* counting windows in a row up to the last window */
    uint8_t longest; /* longest such run in the episode */
    uint64_t start_ms;
    uint64_t last_ms; /* end of the last counting window */
};

struct aggregator {
    struct agg_config cfg;
    struct agg_track track[AGG_CLASSES];
    struct agg_record queue[AGG_QUEUE]; /* oldest first */
    uint8_t queued;
    /* since the last health message, saturating */
    uint16_t inferences;
    uint16_t detections;
    uint8_t tx_failures;
    uint64_t next_health_ms;
    /* the current anomaly period */
    uint64_t period_start_ms;
    uint32_t windows;
    uint32_t anomalous;
    uint32_t score_sum;
    uint8_t score_max;
    uint8_t peak_band;
    bool flushing;     /* aggregator_flush() was called: everything is due now */
    bool flush_health; /* the final health message has been committed */
    /* lifetime counters */
    uint32_t episodes; /* episodes closed */
    uint32_t dropped;  /* records dropped because the queue was full */
    uint32_t rejected; /* episodes dropped by the episode rules (never sent) */
};

/* Defaults a node uses unless its configuration says otherwise (see NODE.md). */
void aggregator_default_config(struct agg_config *cfg);

/* The defaults with the episode rules of the profile's classes (NODE.md). */
void aggregator_profile_config(struct agg_config *cfg, enum dsp_profile p);

/*
 * aggregator_init() - start empty at @now_ms; the first health message is due one health
 * period later (the boot itself is visible at the gateway by the frame), the first summary
 * one summary period later.
 */
void aggregator_init(struct aggregator *agg, const struct agg_config *cfg, uint64_t now_ms);

/*
 * aggregator_window() - account one classified window (windows arrive in time order).
 * Closes episodes whose hangover passed before this window.
 */
void aggregator_window(struct aggregator *agg, const struct agg_window *w);

/*
 * aggregator_tx_failure() - count an uplink that was not delivered (bearer failure or
 * duty-cycle refusal); reported in the next health message.
 */
void aggregator_tx_failure(struct aggregator *agg);

/*
 * aggregator_flush() - the input has ended (or the node is about to sleep for long): close
 * every open episode at @now_ms and make everything due without waiting: the queued
 * records, the anomaly summary of the windows scored so far, and one last health message.
 */
void aggregator_flush(struct aggregator *agg, uint64_t now_ms);

/*
 * aggregator_peek() - the message due at @now_ms, if any: detections first (a full frame, or
 * the oldest record has waited batch_wait_ms), then the anomaly summary, then health.
 * @out: out, the message; age_s of each record counts from its start to @now_ms. For health,
 * battery_mv, temp_c, uptime_s, model_id and model_ver are left 0 for the caller to fill.
 * Return: true when @out holds a message. The message stays due until committed.
 */
bool aggregator_peek(struct aggregator *agg, uint64_t now_ms, struct proto_tfp_msg *out);

/*
 * aggregator_commit() - the message @msg from the last aggregator_peek() is on its way:
 * remove its records, or reset the counters and schedule the next health or summary.
 */
void aggregator_commit(struct aggregator *agg, uint64_t now_ms, const struct proto_tfp_msg *msg);

#endif
