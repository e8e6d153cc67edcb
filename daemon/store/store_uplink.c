/* SPDX-License-Identifier: MIT
 * The ingest write path (store.h): an accepted frame's rows (frame, events, the node's new
 * counter), a later copy's reception and a forwarder's status, all in the open batch. A
 * frame is stored whole or not at all: what a refused frame wrote is deleted again by id,
 * without a savepoint (see store_uplink()).
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* A reception's bearer, gateway and radio fields into parameters @first to @first + 5. */
static void bind_rx(struct store__binder *b, int first, const struct store_rx *rx)
{
    store__bind_text(b, first, store_bearer_name(rx->bearer));
    store__bind_text(b, first + 1, rx->gateway);
    if (rx->has_radio) {
        store__bind_int(b, first + 2, rx->rssi_dbm);
        store__bind_double(b, first + 3, rx->snr_db);
        store__bind_int(b, first + 4, rx->freq_hz);
        store__bind_text(b, first + 5, rx->datr);
    }
}

/* One events row: @m NULL for raw, else its kind; @rec picks the detection record. */
static int insert_event(struct store *s, int64_t frame_id, const struct store_uplink *up,
                        const struct proto_tfp_msg *m, unsigned rec)
{
    struct store__binder b = store__bind_start(s, STORE__EVENT_ADD);
    int64_t received_ms = up->rx->time_ms;
    int64_t time_ms = received_ms;
    const char *kind = "raw";
    int ret;

    store__bind_int(&b, 1, frame_id);
    store__bind_int(&b, 2, up->devaddr);
    if (m != NULL && m->port == PROTO_TFP_PORT_DETECTIONS) {
        const struct proto_tfp_detection *d = &m->u.det.rec[rec];

        kind = "detection";
        /* ARCHITECTURE.md: a detection happened age_s before the gateway received it. */
        time_ms = received_ms - (int64_t)d->age_s * 1000;
        store__bind_int(&b, 6, d->class_id);
        store__bind_int(&b, 7, d->confidence);
        store__bind_int(&b, 8, d->age_s);
        store__bind_int(&b, 9, d->duration_s);
        store__bind_int(&b, 10, d->level_db);
    } else if (m != NULL && m->port == PROTO_TFP_PORT_HEALTH) {
        const struct proto_tfp_health *h = &m->u.health;

        kind = "health";
        store__bind_int(&b, 11, h->battery_mv);
        store__bind_int(&b, 12, h->temp_c);
        store__bind_int(&b, 13, h->uptime_s);
        store__bind_int(&b, 14, h->model_id);
        store__bind_int(&b, 15, h->model_ver);
        store__bind_int(&b, 16, h->inferences);
        store__bind_int(&b, 17, h->detections);
        store__bind_int(&b, 18, h->tx_failures);
    } else if (m != NULL && m->port == PROTO_TFP_PORT_ANOMALY) {
        const struct proto_tfp_anomaly *a = &m->u.anomaly;

        kind = "anomaly";
        store__bind_int(&b, 19, a->windows);
        store__bind_int(&b, 20, a->anomalous);
        store__bind_int(&b, 21, a->score_mean);
        store__bind_int(&b, 22, a->score_max);
        store__bind_int(&b, 23, a->peak_band);
        store__bind_int(&b, 24, a->period_s);
    }
    store__bind_text(&b, 3, kind);
    store__bind_int(&b, 4, received_ms);
    store__bind_int(&b, 5, time_ms);
    ret = store__bind_done(s, &b);
    return ret < 0 ? ret : store__run(s, STORE__EVENT_ADD);
}

/* The rows one frame added so far, to delete them again if a later statement fails. */
struct frame_rows {
    int64_t frame;                        /* frames.id, 0 = none yet */
    int64_t event[PROTO_TFP_MAX_RECORDS]; /* events.id */
    unsigned events;                      /* entries in event[] */
};

/*
 * Undoes a frame's rows after a later statement of it failed: children first, so the
 * frame's own delete finds nothing to cascade to. Each row by its id, so nothing but what
 * this frame added can go. Return: 0 or -errno.
 */
static int undo_rows(struct store *s, const struct frame_rows *r)
{
    struct store__binder b;
    unsigned i;
    int ret = 0;

    for (i = 0; ret == 0 && i <= r->events; i++) {
        enum store__stmt id = i < r->events ? STORE__UNDO_EVENT : STORE__UNDO_FRAME;
        int64_t row = i < r->events ? r->event[i] : r->frame;

        if (row == 0) {
            continue;
        }
        b = store__bind_start(s, id);
        store__bind_int(&b, 1, row);
        ret = store__bind_done(s, &b);
        ret = ret < 0 ? ret : store__run(s, id);
    }
    return ret;
}

/*
 * The statements of one frame. The node's UPDATE comes last: it is the one statement that
 * changes an existing row, so when anything before it fails, deleting the frame's new rows
 * is a complete undo; and after it succeeds, nothing is left to fail.
 */
static int uplink_rows(struct store *s, const struct store_uplink *up, struct frame_rows *r)
{
    const struct proto_tfp_msg *m = up->msg;
    struct store__binder b = store__bind_start(s, STORE__FRAME_ADD);
    unsigned i;
    unsigned n;
    int ret;

    store__bind_int(&b, 1, up->devaddr);
    store__bind_int(&b, 2, up->fcnt);
    store__bind_int(&b, 3, up->fport);
    store__bind_int(&b, 4, up->confirmed ? 1 : 0);
    store__bind_int(&b, 5, up->rx->time_ms);
    store__bind_blob(&b, 6, up->payload, up->payload_len);
    bind_rx(&b, 7, up->rx);
    store__bind_int(&b, 13, up->session);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__FRAME_ADD);
    if (ret < 0) {
        return ret; /* one row, checked before it is written: nothing to undo */
    }
    r->frame = sqlite3_last_insert_rowid(s->db);
    /* store_uplink() checked the count: at most PROTO_TFP_MAX_RECORDS rows. */
    n = m != NULL && m->port == PROTO_TFP_PORT_DETECTIONS ? m->u.det.count : 1u;
    for (i = 0; i < n; i++) {
        ret = insert_event(s, r->frame, up, m, i);
        if (ret < 0) {
            return ret;
        }
        r->event[r->events++] = sqlite3_last_insert_rowid(s->db);
    }

    b = store__bind_start(s, STORE__NODE_SEEN);
    store__bind_int(&b, 1, up->devaddr);
    store__bind_int(&b, 2, up->fcnt);
    store__bind_int(&b, 3, up->rx->time_ms);
    if (m != NULL && m->port == PROTO_TFP_PORT_HEALTH) {
        store__bind_int(&b, 4, m->u.health.battery_mv);
        store__bind_int(&b, 5, m->u.health.learn);
        store__bind_int(&b, 6, m->u.health.learn_progress);
        store__bind_int(&b, 7, m->u.health.learn_threshold);
    }
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__NODE_SEEN);
    if (ret < 0) {
        return ret;
    }
    if (sqlite3_changes(s->db) == 0) {
        /* The frame row went in, so the node exists: its stored counter is at or above
         * this one. Storing the frame would move the counter back. */
        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                       "node %08X: counter %u is not above the stored last_fcnt",
                       (unsigned)up->devaddr, (unsigned)up->fcnt);
        return -EEXIST;
    }
    return 0;
}

int store_uplink(struct store *s, const struct store_uplink *up, int64_t *frame_id)
{
    struct frame_rows rows;
    int ret;

    assert(s != NULL && up != NULL && up->rx != NULL && frame_id != NULL);
    if (up->msg != NULL) {
        const struct proto_tfp_msg *m = up->msg;

        if (m->port < PROTO_TFP_PORT_DETECTIONS || m->port > PROTO_TFP_PORT_ANOMALY ||
            (m->port == PROTO_TFP_PORT_DETECTIONS &&
             (m->u.det.count == 0 || m->u.det.count > PROTO_TFP_MAX_RECORDS))) {
            return -EINVAL;
        }
    }
    if (up->payload == NULL && up->payload_len > 0) {
        return -EINVAL;
    }
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    memset(&rows, 0, sizeof(rows));
    /*
     * No savepoint per frame: SQLite copies every page a savepoint touches, whole, into its
     * statement journal, and the hot pages (the last leaf of each table and index) were
     * already dirty from the previous frames, so each frame copied and freed about ten 4 kB
     * pages. Measured under callgrind (forwarder ingest, one event per frame): 154 k
     * instructions per frame in store_uplink() with the savepoint, 102 k without. Single
     * statements are still atomic (SQLite checks a row's constraints before writing it,
     * and rolls the whole transaction back on an I/O error in the middle of a statement),
     * so a frame is undone by undo_rows() instead.
     */
    ret = uplink_rows(s, up, &rows);
    if (ret == 0) {
        store__auth_seen(s, up->devaddr, up->fcnt);
        *frame_id = rows.frame;
        return 0;
    }
    /* Undo this frame only; the batch's earlier frames stay. If SQLite already dropped the
     * transaction there is nothing to undo here, and store__check_batch() marks the batch lost.
     * -EIO from a statement is neither a refused row (a constraint, checked before SQLite
     * writes) nor a rolled-back transaction (I/O error, full disk, no memory): a damaged
     * file, say, where a statement may have stopped half-way. What it wrote cannot be told
     * apart, so the batch is given up rather than committed with part of a frame. */
    store__check_batch(s);
    if (ret != -EEXIST && ret != -ENOENT && ret != -EINVAL && ret != -ENOMEM) {
        s->batch_lost = true;
    }
    if (!s->batch_lost) {
        char msg[STORE__ERRMSG_LEN];

        memcpy(msg, s->errmsg, sizeof(msg)); /* keep the cause, not the undo's result */
        if (undo_rows(s, &rows) < 0) {
            store__check_batch(s);
            s->batch_lost = true; /* half a frame may be in it: do not commit it */
        }
        memcpy(s->errmsg, msg, sizeof(msg));
    }
    if (ret == -EEXIST || ret == -ENOENT || ret == -ENOMEM) {
        return ret;
    }
    return -EIO;
}

int store_reception(struct store *s, int64_t frame_id, const struct store_rx *rx)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && rx != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__RX_ADD_LATER);
    store__bind_int(&b, 1, frame_id);
    bind_rx(&b, 2, rx);
    store__bind_int(&b, 8, rx->time_ms);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__RX_ADD_LATER);
    if (ret < 0) {
        store__check_batch(s);
        return ret == -ENOENT || ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_gateway_stat(struct store *s, const char *gateway, int64_t time_ms, const char *stat_json)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && gateway != NULL && stat_json != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__GWSTAT_ADD);
    store__bind_text(&b, 1, gateway);
    store__bind_int(&b, 2, time_ms);
    store__bind_text(&b, 3, stat_json);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__GWSTAT_ADD);
    if (ret < 0) {
        store__check_batch(s);
        return ret == -ENOMEM ? ret : -EIO;
    }
    return 0;
}
