/* SPDX-License-Identifier: MIT
 * The node's main loop meets its downlinks (node_int.h): a downlink the bearer received is
 * judged by downlink.c, its command's effect reaches the aggregator and the radio, and the
 * answers leave as an FPort 11 uplink before the next queued message, so the gateway learns
 * what happened as early as the duty cycle allows.
 */
#include "nodefw/node_int.h"

#include <string.h>

#include "proto/command.h"
#include "proto/frame.h"

/* MHDR, DevAddr, FCtrl, FCnt, FPort, MIC (13 bytes), no FOpts. */
#define ANSWER_OVERHEAD 13u
#define FCNT_RETRY_MS   60000u /* as node.c: storage failed, try again later */

void node__apply_settings(struct node *n, uint64_t now_ms)
{
    const struct node_settings *s = &n->dl.settings;

    n->agg.cfg.health_period_ms = n->cfg.agg.health_period_ms;
    n->agg.cfg.anomaly_period_ms = n->cfg.agg.anomaly_period_ms;
    if (s->health_never) {
        n->agg.cfg.health_period_ms = 0;
    } else if (s->health_interval_s != 0u) {
        n->agg.cfg.health_period_ms = s->health_interval_s * 1000u;
    }
    /* The periodic report is the anomaly summary; a profile without one has none to set. */
    if (s->interval_s != 0u && n->cfg.agg.anomaly_period_ms != 0u) {
        n->agg.cfg.anomaly_period_ms = s->interval_s * 1000u;
    }
    if (n->agg.cfg.health_period_ms != 0u) {
        n->agg.next_health_ms = now_ms + n->agg.cfg.health_period_ms;
    }
    n->bearer.tx = n->cfg.lora;
    if (s->dr != 0u && s->dr <= PROTO_CMD_MAX_DR + 1u) {
        /* EU868 DR0 = SF12 .. DR5 = SF7 at 125 kHz; SF11 and SF12 need the low data rate
         * optimisation (symbols over 16 ms). */
        n->bearer.tx.sf = (uint8_t)(12u - (s->dr - 1u));
        n->bearer.tx.bw_khz = 125;
        n->bearer.tx.low_dr_optimize = n->bearer.tx.sf >= 11u;
    }
}

bool node__sensing_runnable(void *arg, const struct sensing_config *c)
{
    const struct node *n = arg;

    return c->mode != (uint8_t)SENSING_WAKE || hal_has_wake_line(n->hal);
}

void node__sensing_stored(struct node *n)
{
    struct sensing_config c;

    /* A stored schedule the board cannot run now (another board, a damaged record that
     * passed its CRC) leaves the provisioned one: the node keeps listening somehow. */
    if (node_settings_sensing(&n->dl.settings, n->cfg.devaddr, &c) && sensing_config_ok(&c) &&
        node__sensing_runnable(n, &c)) {
        n->cfg.sense = c;
        if (c.mode == (uint8_t)SENSING_WAKE) {
            hal_wake_config(n->hal, c.wake_level_q15, c.wake_margin_db);
        }
    }
}

/* The commanded schedule, now; the health interval stays (its next message comes one
 * interval from now, as after any settings change). */
static void apply_sensing(struct node *n)
{
    struct sensing_config c;

    if (!node_settings_sensing(&n->dl.settings, n->cfg.devaddr, &c)) {
        return;
    }
    if (c.mode == (uint8_t)SENSING_WAKE) {
        hal_wake_config(n->hal, c.wake_level_q15, c.wake_margin_db);
    }
    if (node_set_sensing(n, &c, n->agg.cfg.health_period_ms) != 0) {
        return; /* not reached: downlink.c checked it as node_set_sensing() does */
    }
}

bool node__passes_threshold(const struct node *n, uint8_t class_id, uint8_t conf)
{
    return class_id >= NODE_DL_CLASSES || conf >= n->dl.settings.min_conf[class_id];
}

bool node__downlink_poll(struct node *n, uint64_t now_ms)
{
    uint8_t phy[PROTO_FRAME_MAX_LEN];
    size_t len = bearer_downlink(&n->bearer, phy, sizeof(phy));

    if (len == 0u) {
        return false;
    }
    if (node_dl_receive(&n->dl, phy, len) != NODE_DL_OK) {
        return true; /* dropped and counted in n->dl.stats */
    }
    if ((n->dl.actions & NODE_DL_DO_SETTING) != 0u) {
        node__apply_settings(n, now_ms);
    }
    if ((n->dl.actions & NODE_DL_DO_SENSING) != 0u) {
        apply_sensing(n);
    }
    if ((n->dl.actions & NODE_DL_DO_HEALTH) != 0u) {
        n->agg.next_health_ms = now_ms; /* aggregator_peek() makes it due now */
    }
    if ((n->dl.actions & NODE_DL_DO_LEARN) != 0u) {
        /* A node that learns its machine forgets it and learns again (written at once); any
         * node also starts a new summary period, so no summary mixes old and new. */
        (void)node_learn_restart(n); /* NODE_EINVAL: this node does not learn */
        n->agg.period_start_ms = now_ms;
        n->agg.windows = 0;
        n->agg.anomalous = 0;
        n->agg.score_sum = 0;
        n->agg.score_max = 0;
        n->stats.learn_restarts++;
    }
    if ((n->dl.actions & NODE_DL_DO_REBOOT) != 0u) {
        n->stats.reboots++; /* the board or host program restarts once the answer is out */
    }
    n->dl.actions = 0;
    return true;
}

bool node__send_answers(struct node *n, uint64_t now_ms)
{
    uint8_t payload[PROTO_CMD_ANSWER_MAX_LEN];
    uint8_t frame[PROTO_FRAME_MAX_LEN];
    struct proto_uplink up;
    uint32_t wait_ms;
    uint32_t fcnt;
    int plen = node_dl_answers(&n->dl, payload, sizeof(payload));
    int flen;

    if (plen <= 0) {
        return false;
    }
    if (bearer_admit(&n->bearer, now_ms, ANSWER_OVERHEAD + (size_t)plen, &wait_ms) != 0) {
        if (wait_ms != 0u && wait_ms != UINT32_MAX) {
            n->send_after_ms = now_ms + wait_ms;
        }
        return false; /* the answers wait; the gateway resends the command meanwhile */
    }
    if (fcnt_take(&n->fcnt, &fcnt) != FCNT_OK) {
        n->stats.fcnt_errors++;
        n->send_after_ms = now_ms + FCNT_RETRY_MS;
        return false;
    }
    memset(&up, 0, sizeof(up));
    up.confirmed = n->cfg.confirmed;
    up.devaddr = n->cfg.devaddr;
    up.fcnt = fcnt;
    up.has_fport = true;
    up.fport = PROTO_CMD_ANSWER_PORT;
    up.payload = payload;
    up.payload_len = (size_t)plen;
    flen = proto_frame_build(&up, n->cfg.nwkskey, n->cfg.appskey, frame, sizeof(frame));
    /* Sent or lost, the answers are not kept: a command the gateway hears no answer to is
     * sent again, and a command seen again is answered again (downlink.h). */
    node_dl_answered(&n->dl);
    if (flen < 0 || bearer_send(&n->bearer, now_ms, frame, (size_t)flen) != 0) {
        n->stats.tx_failed++;
        return true;
    }
    n->stats.frames++;
    n->stats.answers++;
    return true;
}
