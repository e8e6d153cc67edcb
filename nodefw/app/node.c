/* SPDX-License-Identifier: MIT
 * The node's main loop body: samples -> classify -> aggregator -> TFP -> LoRaWAN frame ->
 * bearer. Integer only; the one frame buffer and the TFP buffer live on the stack of
 * node_step() (under 400 bytes).
 */
#include "nodefw/node.h"
#include "nodefw/node_int.h"

#include <string.h>

#include "proto/frame.h"
#include "proto/tfp.h"

/* MHDR (1) + DevAddr (4) + FCtrl (1) + FCnt (2) + FPort (1) + MIC (4), no FOpts. */
#define FRAME_OVERHEAD 13u
/* Sample steps classified per node_step() at most, so a backlog cannot starve the bearer. */
#define STEPS_PER_CALL 4u
/* After a counter storage failure, the next attempt waits this long. */
#define FCNT_RETRY_MS 60000u

/* The learned state fits its storage area and the sample block it is serialised in (C99: no
 * _Static_assert). */
typedef char node_learn_fits[NODE_LEARN_STATE_BYTES <= HAL_LEARN_MAX &&
                                     NODE_LEARN_STATE_BYTES <= sizeof(((struct node *)0)->block)
                                 ? 1
                                 : -1];

void node_default_config(struct node_config *cfg, enum dsp_profile profile, enum bearer_kind b)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->profile = (uint8_t)profile;
    cfg->bearer = (uint8_t)b;
    cfg->region = DUTYCYCLE_REGION_EU868;
    cfg->lora.freq_hz = 868100000u;
    cfg->lora.sf = 9;
    cfg->lora.bw_khz = 125;
    cfg->lora.cr = 1;
    cfg->lora.preamble = 8;
    cfg->lora.explicit_header = true;
    cfg->lora.crc = true;
    cfg->lora.low_dr_optimize = false;
    cfg->lora.power_dbm = 14;
    cfg->fcnt_k = 64;
    aggregator_profile_config(&cfg->agg, profile);
    /* The model's own minimum confidence decides what counts (classify.h "detected"). */
    cfg->agg.on_conf = 0;
    if (profile == DSP_PROFILE_TURBINE) {
        cfg->agg.anomaly_period_ms = 600000u;
        cfg->learn_s = NODE_LEARN_S_DEFAULT;
    }
}

static bool learns(const struct node *n)
{
    return n->cfg.profile == (uint8_t)DSP_PROFILE_TURBINE && n->cfg.learn_s != 0u;
}

/* Windows in cfg.learn_s seconds of sensing (one window per step of samples). */
static uint32_t learn_windows(const struct node *n)
{
    uint64_t w = (uint64_t)n->cfg.learn_s * n->rate_hz / FEAT_STEP_SAMPLES;

    if (w < NODE_LEARN_MIN_WINDOWS) {
        return NODE_LEARN_MIN_WINDOWS;
    }
    return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* The learned state's record is built in the sample block, which is free between steps (fill
 * 0) and before sensing starts: no 2 KB buffer of its own (the RAM budget of learning is
 * 4 KB). */
static uint8_t *learn_record(struct node *n)
{
    return (uint8_t *)n->block;
}

/* Write the learned state (only between steps; otherwise it stays dirty for the next one); a
 * failure is counted and learning goes on in RAM (the next write tries again). */
static void learn_save(struct node *n)
{
    if (n->fill != 0u) {
        return;
    }
    int len = node_learn_save(&n->learn, learn_record(n), sizeof(n->block));

    n->learn.dirty = 0;
    if (len > 0 && hal_learn_write(n->hal, learn_record(n), (size_t)len) == HAL_OK) {
        n->stats.learn_saves++;
        return;
    }
    n->stats.learn_errors++;
    hal_log(n->hal, "node: learned state not stored");
}

/* At boot, before sensing: what the node learned before the reboot, else a new learning
 * period. */
static void learn_boot(struct node *n)
{
    int len = hal_learn_read(n->hal, learn_record(n), sizeof(n->block));

    node_learn_init(&n->learn);
    if (len > 0 && node_learn_load(&n->learn, learn_record(n), (size_t)len) == 0 &&
        n->learn.phase != NODE_LEARN_OFF) {
        hal_log(n->hal, n->learn.phase == NODE_LEARN_READY ? "node: learned state restored"
                                                           : "node: learning resumed");
        return;
    }
    if (len > 0 || len == HAL_ENOSPC) {
        hal_log(n->hal, "node: stored learned state unreadable; learning again");
    }
    (void)node_learn_start(&n->learn, learn_windows(n));
    learn_save(n);
}

int node_learn_restart(struct node *n)
{
    if (!learns(n)) {
        return NODE_EINVAL;
    }
    (void)node_learn_start(&n->learn, learn_windows(n));
    /* Written at once, so a power cut right after the command cannot bring the old state
     * back: the samples of a step begun are dropped (counted as consumed, for the clock). */
    n->samples += n->fill;
    n->fill = 0;
    learn_save(n);
    return 0;
}

int node_init(struct node *n, const struct node_config *cfg, const struct hal *hal)
{
    const struct dsp_profile_info *prof = dsp_profile_get((enum dsp_profile)cfg->profile);

    if (prof == NULL || cfg->bearer > BEARER_COAP || cfg->fcnt_k == 0u ||
        cfg->fcnt_k > FCNT_MAX_K || !sensing_config_ok(&cfg->sense)) {
        return NODE_EINVAL;
    }
    memset(n, 0, sizeof(*n));
    n->cfg = *cfg;
    n->hal = hal;
    n->rate_hz = prof->sample_rate_hz;
    if (node_classify_init(&n->cls, (enum dsp_profile)cfg->profile) != NODE_CLASSIFY_OK) {
        return NODE_EMODEL;
    }
    (void)node_classify_model_info((enum dsp_profile)cfg->profile, &n->model_id, &n->model_ver);
    if (fcnt_init(&n->fcnt, hal, cfg->fcnt_k) != FCNT_OK) {
        hal_log(hal, "node: frame counter record unreadable; not sending");
        return NODE_EFCNT;
    }
    node_dl_init(&n->dl, n->cfg.devaddr, n->cfg.nwkskey, n->cfg.appskey, &n->fcnt);
    if (cfg->otaa) {
        node__join_init(n); /* a stored session replaces the config's address and keys */
    }
    n->dl.sensing_ok = node__sensing_runnable;
    n->dl.sensing_ok_arg = n;
    node__sensing_stored(n);
    if (learns(n)) {
        learn_boot(n);
    }
    if (hal_sensor_start(hal, n->rate_hz) != HAL_OK) {
        return NODE_ESENSOR;
    }
    n->start_ms = hal_now_ms(hal);
    n->last_ms = n->start_ms;
    n->seg_ms = n->start_ms;
    node__sensing_init(n, n->start_ms);
    aggregator_init(&n->agg, &cfg->agg, n->start_ms);
    bearer_init(&n->bearer, (enum bearer_kind)cfg->bearer, hal, &cfg->lora,
                (enum dutycycle_region)cfg->region);
    node__apply_settings(n, n->start_ms);
    return 0;
}

/* Node-clock time of the end of the samples consumed so far (sample accurate within the
 * listening period, which starts at seg_ms). */
static uint64_t sample_time_ms(const struct node *n, uint64_t samples)
{
    if (samples < n->seg_samples) {
        return n->seg_ms;
    }
    return n->seg_ms + (samples - n->seg_samples) * 1000u / n->rate_hz;
}

static void on_result(struct node *n, const struct node_classify_result *r)
{
    struct agg_window w;

    memset(&w, 0, sizeof(w));
    w.end_ms = sample_time_ms(n, n->samples);
    w.start_ms = n->samples >= (uint64_t)FEAT_WINDOW_SAMPLES
                     ? sample_time_ms(n, n->samples - (uint64_t)FEAT_WINDOW_SAMPLES)
                     : n->start_ms;
    w.level_db = r->level_db;
    w.peak_band = r->peak_band;
    if (r->is_anomaly_model) {
        /* The turbine reports through anomaly summaries (the gateway's persistence rule),
         * not per-episode records. */
        w.scored = true;
        w.anomalous = r->anomalous != 0u;
        w.score = r->anomaly_score;
    } else if (r->detected && node__passes_threshold(n, r->class_id, r->confidence)) {
        w.class_id = r->class_id;
        w.confidence = r->confidence;
    }
    n->stats.windows++;
    if (r->detected) {
        n->stats.detections++;
    }
    aggregator_window(&n->agg, &w);
    node__sensing_heard(n, r, w.end_ms);
    if (n->on_window != NULL) {
        n->on_window(n->on_window_arg, w.end_ms, r);
    }
}

/* Samples the block is filled to next: a step, or first the listening period's lead. */
static uint32_t block_len(const struct node *n)
{
    return n->sensing.lead != 0u ? n->sensing.lead : FEAT_STEP_SAMPLES;
}

/* One step of a learning node: learn from or judge the window, write the state when due. */
static void learn_step(struct node *n)
{
    struct node_classify_result res;
    uint8_t was = n->learn.phase;

    /* While learning the result flags nothing: the node does not judge yet. */
    if (node_learn_step(&n->learn, &n->cls, n->block, FEAT_STEP_SAMPLES, &res, NULL) == 1) {
        on_result(n, &res);
    }
    if (was != NODE_LEARN_READY && n->learn.phase == NODE_LEARN_READY) {
        /* A health message now: the gateway ignores a learning node's summaries until one
         * says it is ready, so it should not wait a whole health period. */
        n->agg.next_health_ms = sample_time_ms(n, n->samples);
    }
    if (n->learn.dirty) {
        learn_save(n);
    }
}

/* Read and classify what the sensor has ready. Return: true if anything was consumed. */
static bool take_samples(struct node *n)
{
    struct node_classify_result res;
    bool did = false;
    uint32_t steps = 0;
    int got;

    while (!n->eof && steps < STEPS_PER_CALL) {
        got = hal_sensor_read(n->hal, &n->block[n->fill], block_len(n) - n->fill);
        if (got == HAL_EEOF) {
            n->eof = true;
            aggregator_flush(&n->agg, sample_time_ms(n, n->samples));
            break;
        }
        if (got <= 0) {
            break; /* nothing ready, or a sensor fault: try again next turn */
        }
        did = true;
        n->fill += (uint32_t)got;
        if (n->fill < block_len(n)) {
            continue;
        }
        if (n->sensing.lead != 0u) {
            node__sensing_lead(n);
            continue;
        }
        n->fill = 0;
        n->samples += FEAT_STEP_SAMPLES;
        steps++;
        if (learns(n)) {
            learn_step(n);
        } else if (node_classify_step(&n->cls, n->block, FEAT_STEP_SAMPLES, &res) == 1) {
            on_result(n, &res);
        }
    }
    return did;
}

static void lost(struct node *n)
{
    n->stats.tx_failed++;
    aggregator_tx_failure(&n->agg);
}

/* Send the due message @msg. Return: true if a frame went out (or was lost trying). */
static bool send_msg(struct node *n, uint64_t now, struct proto_tfp_msg *msg)
{
    uint8_t payload[PROTO_TFP_MAX_LEN];
    uint8_t frame[PROTO_FRAME_MAX_LEN];
    struct proto_uplink up;
    uint32_t wait_ms;
    uint32_t fcnt;
    int plen;
    int flen;
    int rc;

    if (msg->port == PROTO_TFP_PORT_HEALTH) {
        uint64_t up_s = (now - n->start_ms) / 1000u;

        msg->u.health.battery_mv = hal_battery_mv(n->hal);
        msg->u.health.temp_c = hal_temp_c(n->hal);
        msg->u.health.uptime_s = (uint32_t)(up_s > UINT32_MAX ? UINT32_MAX : up_s);
        msg->u.health.model_id = n->model_id;
        msg->u.health.model_ver = n->model_ver;
        if (n->learn.phase != NODE_LEARN_OFF) {
            /* The gateway ignores a learning node's verdicts and shows its progress. */
            bool ready = n->learn.phase == NODE_LEARN_READY;

            msg->u.health.learn = ready ? PROTO_TFP_LEARN_READY : PROTO_TFP_LEARN_LEARNING;
            msg->u.health.learn_progress = node_learn_progress(&n->learn);
            msg->u.health.learn_threshold = ready ? n->learn.threshold : 0u;
        }
    }
    plen = proto_tfp_encode(msg, payload, sizeof(payload));
    if (plen < 0) {
        aggregator_commit(&n->agg, now, msg); /* cannot happen for our messages; drop it */
        return false;
    }
    rc = bearer_admit(&n->bearer, now, FRAME_OVERHEAD + (size_t)plen, &wait_ms);
    if (rc == BEARER_EBUSY) {
        return false;
    }
    if (rc == BEARER_EBUDGET) {
        n->stats.budget_refused++;
        aggregator_tx_failure(&n->agg);
        if (wait_ms == UINT32_MAX) {
            aggregator_commit(&n->agg, now, msg); /* can never fit: drop it */
            lost(n);
        } else {
            n->send_after_ms = now + wait_ms;
        }
        return false;
    }
    if (rc != 0) {
        aggregator_commit(&n->agg, now, msg);
        lost(n);
        return false;
    }
    if (fcnt_take(&n->fcnt, &fcnt) != FCNT_OK) {
        n->stats.fcnt_errors++;
        n->send_after_ms = now + FCNT_RETRY_MS;
        return false;
    }
    memset(&up, 0, sizeof(up));
    up.confirmed = n->cfg.confirmed;
    up.devaddr = n->cfg.devaddr;
    up.fcnt = fcnt;
    up.has_fport = true;
    up.fport = msg->port;
    up.payload = payload;
    up.payload_len = (size_t)plen;
    flen = proto_frame_build(&up, n->cfg.nwkskey, n->cfg.appskey, frame, sizeof(frame));
    aggregator_commit(&n->agg, now, msg);
    if (flen < 0 || bearer_send(&n->bearer, now, frame, (size_t)flen) != 0) {
        lost(n);
        return true;
    }
    n->stats.frames++;
    return true;
}

int node_step(struct node *n)
{
    struct proto_tfp_msg msg;
    uint64_t now;
    bool busy;
    int ev;

    if (n->cfg.sense.mode != (uint8_t)SENSING_CONTINUOUS && !n->eof) {
        node__sensing(n, hal_now_ms(n->hal));
    }
    busy = n->sensing.on && take_samples(n);
    now = hal_now_ms(n->hal);
    n->last_ms = now;
    /* OTAA: until it has a session, and while it joins again, the join has the bearer. */
    if (node__join_step(n, now, &busy)) {
        if (n->eof && node__join_given_up(n)) {
            return NODE_DONE;
        }
        return busy ? NODE_BUSY : NODE_IDLE;
    }

    ev = bearer_poll(&n->bearer, now);
    if (ev == BEARER_DELIVERED) {
        n->stats.delivered++;
        busy = true;
    } else if (ev == BEARER_FAILED) {
        lost(n);
        busy = true;
    }
    busy = node__downlink_poll(n, now) || busy;
    if (!bearer_busy(&n->bearer) && now >= n->send_after_ms && node__send_answers(n, now)) {
        busy = true;
    } else if (!bearer_busy(&n->bearer) && now >= n->send_after_ms &&
               aggregator_peek(&n->agg, now, &msg)) {
        if (send_msg(n, now, &msg)) {
            busy = true;
        }
    }
    if (n->eof && !bearer_busy(&n->bearer) && !aggregator_peek(&n->agg, now, &msg)) {
        return NODE_DONE;
    }
    return busy ? NODE_BUSY : NODE_IDLE;
}

void node_flush(struct node *n)
{
    n->eof = true;
    aggregator_flush(&n->agg, sample_time_ms(n, n->samples));
}
