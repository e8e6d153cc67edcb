/* SPDX-License-Identifier: MIT
 * The frame check shared by both bearers (ARCHITECTURE.md, "The frame"): parse, find the
 * node, rebuild the 32-bit counter, verify the MIC, refuse replays, decrypt, decode TFP,
 * store, and hand the stored frame on (poststore.h). A refused frame changes nothing but a
 * counter, so a forged or replayed frame can neither move a node's counter nor add an event.
 */
#include "ingest/uplink.h"

#include <errno.h>
#include <string.h>

#include "ingest/downlink.h"
#include "poststore/poststore.h"
#include "util/log.h"
#include "proto/command.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/tfp.h"

#define BLOCK 0x10000u /* counter values that share the 16 bits on air */

/* Refusals come from the network at line rate: at most 10 lines per reason per minute.
 * Loop thread only, like everything here. */
static struct log_limit refusal_log[STORE_REASON_COUNT] = {
    [STORE_MALFORMED] = LOG_LIMIT_INIT("malformed frame", 10, 60000),
    [STORE_UNKNOWN_NODE] = LOG_LIMIT_INIT("unknown node", 10, 60000),
    [STORE_BAD_MIC] = LOG_LIMIT_INIT("bad MIC", 10, 60000),
    [STORE_REPLAY] = LOG_LIMIT_INIT("replayed counter", 10, 60000),
    [STORE_BAD_PAYLOAD] = LOG_LIMIT_INIT("bad payload", 10, 60000),
    [STORE_STORAGE_FAILED] = LOG_LIMIT_INIT("storage failure", 10, 60000),
};

static enum store_reason finish(struct store *s, const struct store_rx *rx,
                                struct uplink_result *out, enum store_reason reason, int detail)
{
    out->reason = reason;
    out->detail = detail;
    store_count(s, rx->bearer, reason);
    if (reason != STORE_ACCEPTED) {
        /* detail is a proto_err (negative, small) or a -errno from the store. */
        const char *why = reason == STORE_STORAGE_FAILED ? strerror(-detail)
                          : detail != 0                  ? proto_strerror(detail)
                                                         : "";
        log_limited(&refusal_log[reason], reason == STORE_STORAGE_FAILED ? LOG_ERR : LOG_NOTICE,
                    "refused %s frame from %08X (fcnt %u) via %s: %s%s%s",
                    store_bearer_name(rx->bearer), (unsigned)out->devaddr, (unsigned)out->fcnt,
                    rx->gateway, store_reason_name(reason), *why != '\0' ? ": " : "", why);
    }
    return reason;
}

static bool mic_ok(const struct proto_frame *f, const struct store_node *n, uint32_t fcnt)
{
    return proto_frame_verify(f, n->nwkskey, fcnt) == PROTO_OK;
}

/*
 * The counter check (LoRaWAN 1.0.3 section 4.3.1.5). Accept only a counter above the last
 * accepted one and at most MAX_FCNT_GAP ahead. Anything else is a replay if the MIC holds
 * for the counter the frame had when it was first sent (the last one, or one in the block
 * below), and a forgery otherwise. Without that second look, an old frame replayed would be
 * counted as a bad MIC: its low bits expand to a counter 65536 too high.
 */
static enum store_reason check_counter(const struct proto_frame *f, const struct store_node *n,
                                       uint32_t *fcnt)
{
    uint32_t next;
    uint32_t ahead;
    uint32_t past;

    if (!n->has_fcnt) {
        /* The first frame after `node add`: an ABP node starts counting at 0. */
        *fcnt = f->fcnt16;
        return mic_ok(f, n, *fcnt) ? STORE_ACCEPTED : STORE_BAD_MIC;
    }
    next = proto_frame_fcnt_expand(n->last_fcnt, f->fcnt16);
    ahead = next - n->last_fcnt;
    *fcnt = next;
    if (ahead >= 1 && ahead <= PROTO_FCNT_MAX_GAP && next > n->last_fcnt) {
        return mic_ok(f, n, next) ? STORE_ACCEPTED : STORE_BAD_MIC;
    }
    past = ahead == 0 ? next : next - BLOCK;
    if (mic_ok(f, n, past)) {
        *fcnt = past;
        return STORE_REPLAY;
    }
    return mic_ok(f, n, next) ? STORE_REPLAY : STORE_BAD_MIC;
}

/*
 * An OTAA node that joined again keeps its old keys in the registry until a frame verifies
 * under the new ones (migrations/0008_otaa.sql): a frame the old keys refuse is tried
 * against the pending session, counting from 0, and if it verifies the session becomes the
 * node's in this batch. Return: the verdict under the new session, or STORE_BAD_MIC when
 * there is none or it does not verify either.
 */
static enum store_reason try_pending(struct store *s, const struct proto_frame *f,
                                     struct store_node *node, uint32_t *fcnt)
{
    struct store_node fresh = *node;
    enum store_reason v;

    if (store_join_pending(s, f->devaddr, fresh.nwkskey, fresh.appskey) != 0) {
        return STORE_BAD_MIC;
    }
    fresh.has_fcnt = false;
    fresh.last_fcnt = 0;
    fresh.session = node->session + 1u; /* as store_join_activate() counts it */
    v = check_counter(f, &fresh, fcnt);
    if (v != STORE_ACCEPTED) {
        explicit_bzero(&fresh, sizeof(fresh));
        return STORE_BAD_MIC;
    }
    if (store_join_activate(s, f->devaddr) != 0) {
        explicit_bzero(&fresh, sizeof(fresh));
        return STORE_STORAGE_FAILED;
    }
    store_count_downlink(s, STORE_DL_JOIN_ACTIVATED);
    *node = fresh;
    explicit_bzero(&fresh, sizeof(fresh));
    return STORE_ACCEPTED;
}

enum store_reason uplink_process(struct store *s, struct poststore *after, const uint8_t *phy,
                                 size_t len, const struct store_rx *rx, struct uplink_result *out)
{
    struct proto_frame f;
    struct store_node node;
    struct proto_tfp_msg msg;
    struct store_uplink up;
    uint8_t plain[PROTO_FRAME_MAX_LEN];
    enum store_reason verdict;
    int n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = proto_frame_parse(phy, len, &f);
    if (rc != PROTO_OK) {
        return finish(s, rx, out, STORE_MALFORMED, rc);
    }
    out->devaddr = f.devaddr;

    rc = store_node_auth(s, f.devaddr, &node);
    if (rc == -ENOENT) {
        return finish(s, rx, out, STORE_UNKNOWN_NODE, 0);
    }
    if (rc != 0) {
        return finish(s, rx, out, STORE_STORAGE_FAILED, rc);
    }

    out->confirmed = (f.mhdr & 0xE0u) == PROTO_MHDR_CONFIRMED_UP;
    verdict = check_counter(&f, &node, &out->fcnt);
    if (verdict == STORE_BAD_MIC) {
        verdict = try_pending(s, &f, &node, &out->fcnt);
    }
    /* LoRaWAN 1.0.3 section 4.3.1.2: a confirmed frame repeated with the same counter gets
     * its ACK again (check_counter() verified the MIC for that counter). */
    out->retransmission =
        verdict == STORE_REPLAY && out->confirmed && node.has_fcnt && out->fcnt == node.last_fcnt;
    if (verdict != STORE_ACCEPTED) {
        return finish(s, rx, out, verdict, verdict == STORE_BAD_MIC ? PROTO_EMIC : 0);
    }

    memset(&up, 0, sizeof(up));
    up.devaddr = f.devaddr;
    up.session = node.session;
    up.fcnt = out->fcnt;
    up.confirmed = (f.mhdr & PROTO_MHDR_CONFIRMED_UP) != 0;
    up.rx = rx;
    if (f.has_fport) {
        /* FPort 0 carries MAC commands, encrypted with the NwkSKey (section 4.3.3). */
        n = proto_frame_decrypt(&f, f.fport == 0 ? node.nwkskey : node.appskey, out->fcnt, plain,
                                sizeof(plain));
        if (n < 0) {
            return finish(s, rx, out, STORE_MALFORMED, n);
        }
        up.fport = f.fport;
        up.payload = plain;
        up.payload_len = (size_t)n;
        rc = proto_tfp_decode(f.fport, plain, (size_t)n, &msg);
        if (rc == PROTO_OK) {
            up.msg = &msg;
        } else if (rc != PROTO_EPORT && rc != PROTO_EVERSION) {
            /* A message we know, but broken: refuse rather than store half of it. */
            return finish(s, rx, out, STORE_BAD_PAYLOAD, rc);
        }
        /* An FPort or version we do not know is kept raw and never guessed at. */
    }

    rc = store_uplink(s, &up, &out->frame_id);
    if (rc != 0) {
        return finish(s, rx, out, STORE_STORAGE_FAILED, rc);
    }
    if (f.has_fport && f.fport == PROTO_CMD_ANSWER_PORT &&
        downlink_answers(s, after, f.devaddr, plain, (size_t)n, rx->time_ms) < 0) {
        log_limited(&refusal_log[STORE_BAD_PAYLOAD], LOG_NOTICE,
                    "node %08X: command answers (FPort 11) not understood or not recorded",
                    (unsigned)f.devaddr);
    }
    /* In the frame's batch, so an alert transition it causes commits with it. */
    poststore_frame(after, &up);
    return finish(s, rx, out, STORE_ACCEPTED, 0);
}
