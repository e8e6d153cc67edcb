/* SPDX-License-Identifier: MIT
 * One sensor node: the firmware's main loop body. It pulls sample blocks from the HAL,
 * classifies each window (classify.h), feeds the aggregator, and sends what the aggregator
 * makes due as LoRaWAN frames (proto_tfp_encode, proto_frame_build) over its bearer, taking
 * every frame counter from non-volatile storage (fcnt.h).
 *
 * All state is in struct node (about 4 KB; a learning turbine 2.7 KB more), owned by the caller: a
 * board keeps one in static RAM, the host fleet simulator one per simulated node. node_step() never
 * blocks except in the radio HAL; the caller sleeps when it returns NODE_IDLE.
 */
#ifndef PROJ_NODEFW_NODE_H
#define PROJ_NODEFW_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/aggregator.h"
#include "nodefw/bearer.h"
#include "nodefw/classify.h"
#include "nodefw/downlink.h"
#include "nodefw/fcnt.h"
#include "nodefw/hal.h"
#include "nodefw/learn.h"
#include "nodefw/join.h"
#include "nodefw/profile.h"
#include "nodefw/sensing.h"
#include "proto/aes.h"

enum node_err {
    NODE_EINVAL = -60,  /* bad configuration (profile, K, bearer) */
    NODE_EMODEL = -61,  /* the profile's model does not load */
    NODE_ESENSOR = -62, /* the sensor refused the profile's sample rate */
    NODE_EFCNT = -63,   /* the frame counter record is unreadable: the node stays silent */
};

/* What node_step() did. */
enum node_status {
    NODE_IDLE = 0, /* nothing to do until more samples or a timer: sleep */
    NODE_BUSY = 1, /* did work; call again */
    NODE_DONE = 2, /* the sensor stream ended and everything due was sent */
};

struct node_config {
    uint32_t devaddr;               /* ABP DevAddr, as written on the device */
    uint8_t nwkskey[PROTO_AES_KEY]; /* MIC key */
    uint8_t appskey[PROTO_AES_KEY]; /* FRMPayload key */
    uint8_t profile;                /* enum dsp_profile */
    uint8_t bearer;                 /* enum bearer_kind */
    uint8_t region;                 /* enum dutycycle_region */
    struct hal_lora_tx lora;        /* uplink modulation (LoRa bearer) */
    uint16_t fcnt_k;                /* frame counters per storage write */
    struct agg_config agg;          /* episodes, batching, periods */
    struct sensing_config sense;    /* when the node listens (sensing.h); zero: always */
    bool confirmed;                 /* send confirmed uplinks (the gateway acknowledges) */
    uint32_t learn_s; /* turbine: learning period, seconds of sensing (learn.h); 0: judge with
                         the frozen model at once */
    /* OTAA (join.h): devaddr and the session keys above then come from the join. */
    bool otaa;                     /* join at boot (or use the session stored) */
    uint64_t deveui;               /* as written on the device */
    uint64_t joineui;              /* as written on the device */
    uint8_t appkey[PROTO_AES_KEY]; /* the root key */
    uint16_t rejoin_after;         /* join again after this many uplinks without any
                                    * downlink (a confirmed uplink's ACK is one); 0: never */
};

/* The turbine's learning period in the field: two weeks, as condition monitoring does. */
#define NODE_LEARN_S_DEFAULT (14u * 86400u)

/* Counters a host program prints; the gateway sees them through health messages. */
struct node_stats {
    uint32_t windows;        /* windows classified */
    uint32_t detections;     /* windows the classifier reported */
    uint32_t frames;         /* frames handed to the bearer */
    uint32_t delivered;      /* CoAP: confirmed by the gateway */
    uint32_t tx_failed;      /* frames lost: radio error, CoAP rejected/timeout/unavailable */
    uint32_t budget_refused; /* attempts refused by the duty-cycle budget (then retried) */
    uint32_t fcnt_errors;    /* frames not sent because the counter could not be stored */
    uint32_t answers;        /* FPort 11 frames sent (answers to commands) */
    uint32_t reboots;        /* reboot commands (a host program restarts the node) */
    uint32_t learn_restarts; /* learn-restart commands */
    uint32_t learn_saves;    /* learned state written to storage */
    uint32_t learn_errors;   /* ... writes that failed (learning goes on in RAM) */
};

/* Optional per-window observer (host `classify` output, tests); NULL for none. */
typedef void (*node_window_cb)(void *arg, uint64_t end_ms, const struct node_classify_result *r);

struct node {
    struct node_config cfg;
    const struct hal *hal;
    struct node_classify cls;
    struct aggregator agg;
    struct fcnt fcnt;
    struct bearer bearer;
    struct node_dl dl;     /* downlinks: counters, settings, answers waiting (downlink.h) */
    struct node_join join; /* OTAA: the session and the join in progress (join.h) */
    int16_t block[FEAT_STEP_SAMPLES]; /* the step being filled */
    uint32_t fill;                    /* samples in block */
    uint32_t rate_hz;                 /* the profile's sample rate */
    uint64_t start_ms;                /* clock when sampling started */
    uint64_t samples;                 /* samples consumed since start */
    uint64_t send_after_ms;           /* no send attempt before (duty-cycle back-off) */
    uint64_t last_ms;                 /* clock at the last step (health uptime) */
    uint64_t seg_ms;                  /* clock at the start of the listening period */
    uint64_t seg_samples;             /* samples consumed before it */
    struct sensing sensing;           /* duty cycle state (sensing.c) */
    bool eof;                         /* the sensor stream ended */
    uint16_t model_id;
    uint8_t model_ver;
    node_window_cb on_window;
    void *on_window_arg;
    struct node_stats stats;
    struct node_learn learn; /* turbine with learn_s: what it has learned (learn.h) */
};

/*
 * node_default_config() - EU868, SF9/125 kHz LoRa (a common fixed data rate for sensor
 * nodes), K = 64, the aggregator defaults, anomaly summaries every 10 minutes for the
 * turbine profile. Keys and DevAddr are zero: the caller sets them.
 */
void node_default_config(struct node_config *cfg, enum dsp_profile profile, enum bearer_kind b);

/*
 * node_init() - start a node: load its model, its frame counter, start the sensor.
 * @n: out, caller-owned state. @cfg: copied. @hal: must outlive @n.
 * Return: 0; NODE_EINVAL; NODE_EMODEL; NODE_ESENSOR; NODE_EFCNT.
 */
HAL_MUST_CHECK int node_init(struct node *n, const struct node_config *cfg, const struct hal *hal);

/*
 * node_step() - one turn of the main loop: read ready samples, classify complete steps,
 * send what is due, drive the CoAP client.
 * Return: enum node_status, or a negative node_err for a fault the node cannot continue
 * after (none today: radio and network faults are counted and the loop goes on).
 */
int node_step(struct node *n);

/*
 * node_idle_ms() - how long the node has nothing to sense (sensing.h): 0 while listening,
 * else the time until the next listening period (UINT32_MAX when only the wake-on-sound
 * line can start one). A board sleeps deeply this long, but wakes for sends: the caller
 * caps it (the aggregator's timers run on the clock, not on interrupts).
 */
uint32_t node_idle_ms(const struct node *n, uint64_t now);

/*
 * node_set_sensing() - change a running node's sensing schedule and health interval (what a
 * node command sets; the provisioning record sets them at boot through node_config).
 * @c: checked with sensing_config_ok(); a SENSING_DUTY period starts c->phase_ms from now.
 * @health_ms: the health interval (0: never); the next health message is one interval away.
 * Return: 0, or NODE_EINVAL (nothing changed). Listening stops at once unless the new mode
 * is continuous, which starts listening at once.
 */
HAL_MUST_CHECK int node_set_sensing(struct node *n, const struct sensing_config *c,
                                    uint32_t health_ms);

/*
 * node_learn_restart() - forget what the node learned and learn its machine again for
 * cfg.learn_s (the `tinyfleet-node --relearn` option; a gateway command). The new state is
 * written at once. Return: 0, or NODE_EINVAL when the node does not learn (not a turbine,
 * learn_s 0).
 */
int node_learn_restart(struct node *n);

/* node__sensing() - start or stop listening as the schedule says (sensing.c, internal). */
void node__sensing(struct node *n, uint64_t now);

/* node__sensing_init() - the schedule's state at node_init() (sensing.c, internal). */
void node__sensing_init(struct node *n, uint64_t now);

/* node__sensing_lead() - feed the lead samples in n->block to the classifier (sensing.c,
 * internal; take_samples() calls it when the lead is complete). */
void node__sensing_lead(struct node *n);

/* node__sensing_heard() - a window ending at @end_ms gave @r: a detection holds the sensor
 * on (sensing.c, internal). */
void node__sensing_heard(struct node *n, const struct node_classify_result *r, uint64_t end_ms);

/*
 * node_flush() - end of input without a sensor EOF (host tools): close episodes and send
 * everything pending; node_step() then returns NODE_DONE once nothing is left.
 */
void node_flush(struct node *n);

#endif
