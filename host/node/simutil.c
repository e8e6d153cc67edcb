/* SPDX-License-Identifier: MIT
 * Helpers of the simulator's commands (see simutil.h).
 */
#include "simutil.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "energy_cmd.h"
#include "synth/synth.h"

int simutil_synth_kind(const char *name)
{
    int k;

    for (k = 0; k < (int)SYNTH_KIND_COUNT; k++) {
        if (strcmp(synth_kind_name((enum synth_kind)k), name) == 0) {
            return k;
        }
    }
    return -1;
}

const char *simutil_node_strerror(int rc)
{
    switch (rc) {
    case NODE_EINVAL:
        return "bad configuration";
    case NODE_EMODEL:
        return "the profile's model does not load";
    case NODE_ESENSOR:
        return "the input does not have the profile's sample rate";
    case NODE_EFCNT:
        return "the frame counter record is unreadable (corrupt NV file?): not sending";
    default:
        return "unknown error";
    }
}

void simutil_print_stats(FILE *out, const char *name, const struct node *n, uint32_t acks,
                         uint32_t ack_timeouts)
{
    const struct node_stats *s = &n->stats;
    struct energy_acct e;

    fprintf(out,
            "{\"node\":\"%s\",\"devaddr\":\"%08" PRIX32 "\",\"bearer\":\"%s\",\"windows\":%" PRIu32
            ",\"detections\":%" PRIu32 ",\"episodes\":%" PRIu32 ",\"frames\":%" PRIu32
            ",\"delivered\":%" PRIu32 ",\"tx_failed\":%" PRIu32 ",\"budget_refused\":%" PRIu32
            ",\"records_dropped\":%" PRIu32 ",\"fcnt_next\":%" PRIu32 ",\"fcnt_writes\":%" PRIu32
            ",\"airtime_ms\":%.1f,\"coap_retransmissions\":%" PRIu32 ",\"coap_rejected\":%" PRIu32
            ",\"coap_timeouts\":%" PRIu32 ",\"coap_unavailable\":%" PRIu32 ",\"push_acks\":%" PRIu32
            ",\"push_ack_timeouts\":%" PRIu32 ",\"dl_accepted\":%" PRIu32 ",\"dl_acks\":%" PRIu32
            ",\"dl_applied\":%" PRIu32 ",\"dl_refused\":%" PRIu32 ",\"dl_repeated\":%" PRIu32
            ",\"dl_dropped\":%" PRIu32 ",\"answers\":%" PRIu32,
            name, n->cfg.devaddr, n->cfg.bearer == BEARER_COAP ? "coap" : "lora", s->windows,
            s->detections, n->agg.episodes, s->frames, s->delivered, s->tx_failed,
            s->budget_refused, n->agg.dropped, n->fcnt.next, n->fcnt.writes,
            (double)n->bearer.dc.total_us / 1000.0, n->bearer.coap.retransmissions,
            n->bearer.coap.rejected, n->bearer.coap.timeouts, n->bearer.coap.unavailable, acks,
            ack_timeouts, n->dl.stats.accepted, n->dl.stats.acks, n->dl.stats.applied,
            n->dl.stats.refused, n->dl.stats.repeated,
            n->dl.stats.malformed + n->dl.stats.devaddr + n->dl.stats.old_fcnt +
                n->dl.stats.bad_mic + n->dl.stats.truncated + n->dl.stats.io,
            s->answers);
    if (hal_energy(n->hal, &e) == HAL_OK) {
        energy_cmd_print_acct(out, &e);
    }
    if (n->cfg.otaa) {
        const struct node_join_stats *j = &n->join.stats;

        fprintf(out,
                ",\"joined\":%s,\"join_requests\":%" PRIu32 ",\"join_accepts\":%" PRIu32
                ",\"join_no_answer\":%" PRIu32 ",\"join_bad_accept\":%" PRIu32
                ",\"rejoins\":%" PRIu32 ",\"devnonce_next\":%u",
                n->join.sess.joined ? "true" : "false", j->requests, j->accepts, j->no_answer,
                j->bad_accept, j->rejoins, (unsigned)n->join.sess.devnonce_next);
    }
    fprintf(out, ",\"listen_periods\":%" PRIu32 ",\"wakeups\":%" PRIu32, n->sensing.periods,
            n->sensing.wakeups);
    if (n->learn.phase != NODE_LEARN_OFF) {
        /* What the node learned: "learning" with its progress, or "ready" with the threshold. */
        fprintf(out,
                ",\"learn\":\"%s\",\"learn_progress\":%u,\"learn_threshold\":%u"
                ",\"learn_modes\":%u,\"learn_windows\":%" PRIu32 ",\"learn_saves\":%" PRIu32
                ",\"learn_errors\":%" PRIu32,
                n->learn.phase == NODE_LEARN_READY ? "ready" : "learning",
                node_learn_progress(&n->learn),
                n->learn.phase == NODE_LEARN_READY ? n->learn.threshold : 0u, n->learn.n_protos,
                n->learn.seen, s->learn_saves, s->learn_errors);
    }
    fputs("}\n", out);
    fflush(out);
}

int simutil_fwd_connect(const char *forwarder, const uint8_t eui[8], bool pull,
                        struct host_fwd *fwd)
{
    char host[256];
    char port[32];
    char err[300];

    fwd->ack_timeout_ms = 3000;
    memcpy(fwd->eui, eui, 8);
    if (forwarder[0] == 0) {
        return 0;
    }
    if (host_split_hostport(forwarder, host, sizeof(host), port, sizeof(port)) != 0) {
        fprintf(stderr, "tinyfleet-node: forwarder = %s: expected HOST:PORT\n", forwarder);
        return -1;
    }
    fwd->fd = host_udp_connect(host, port, err, sizeof(err));
    if (fwd->fd < 0) {
        fprintf(stderr, "tinyfleet-node: forwarder: %s\n", err);
        return -1;
    }
    if (pull && host_fwd_pull(fwd) != 0) {
        fprintf(stderr, "tinyfleet-node: forwarder: cannot send PULL_DATA: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int simutil_sensing(struct sensing_config *c, double listen_s, double every_s, double wake_level)
{
    memset(c, 0, sizeof(*c));
    if (listen_s <= 0) {
        return every_s > 0 || wake_level > 0 ? -1 : 0;
    }
    c->listen_ms = (uint32_t)(listen_s * 1000.0 + 0.5);
    if (wake_level > 0) {
        c->mode = SENSING_WAKE;
        /* As host_power.c compares: the same truncation, so the two agree. */
        c->wake_level_q15 = (uint16_t)(wake_level * 32767.0);
        return every_s > 0 ? -1 : 0;
    }
    c->mode = SENSING_DUTY;
    c->every_ms = (uint32_t)(every_s * 1000.0 + 0.5);
    return sensing_config_ok(c) ? 0 : -1;
}
