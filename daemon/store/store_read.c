/* SPDX-License-Identifier: MIT
 * Reads for the CLI (store.h): events by filter, newest first, and the counters the daemon
 * flushed. The daemon itself reads events only at start, to refill fusion's windows.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* Fills @rx from the seven reception columns of @st from @col on (bearer, gateway,
 * received_ms, rssi, snr, freq_hz, datr; store_sql.c). Return: whether the row has a bearer
 * this binary knows. */
static bool read_rx(sqlite3_stmt *st, int col, struct store_rx *rx)
{
    const unsigned char *bearer = sqlite3_column_text(st, col);
    const unsigned char *gateway = sqlite3_column_text(st, col + 1);
    const unsigned char *datr = sqlite3_column_text(st, col + 6);
    int i;

    memset(rx, 0, sizeof(*rx));
    for (i = 0; bearer != NULL && i < STORE_BEARER_COUNT; i++) {
        if (strcmp((const char *)bearer, store_bearer_name((enum store_bearer)i)) == 0) {
            rx->bearer = (enum store_bearer)i;
            break;
        }
    }
    if (bearer == NULL || i == STORE_BEARER_COUNT) {
        return false;
    }
    (void)snprintf(rx->gateway, sizeof(rx->gateway), "%s",
                   gateway != NULL ? (const char *)gateway : "");
    rx->time_ms = sqlite3_column_int64(st, col + 2);
    rx->has_radio = sqlite3_column_type(st, col + 3) != SQLITE_NULL;
    rx->rssi_dbm = (int32_t)sqlite3_column_int(st, col + 3);
    rx->snr_db = sqlite3_column_double(st, col + 4);
    rx->freq_hz = (uint32_t)sqlite3_column_int64(st, col + 5);
    (void)snprintf(rx->datr, sizeof(rx->datr), "%s", datr != NULL ? (const char *)datr : "");
    return true;
}

/* Fills @e from the current row of an EVENT_COLUMNS statement. */
static int read_event(struct store *s, sqlite3_stmt *st, struct store_event *e)
{
    static const char *const kinds[] = {"detection", "health", "anomaly", "raw"};
    const unsigned char *kind = sqlite3_column_text(st, 5);
    size_t i;

    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->devaddr = (uint32_t)sqlite3_column_int64(st, 1);
    e->fcnt = (uint32_t)sqlite3_column_int64(st, 2);
    e->received_ms = sqlite3_column_int64(st, 3);
    e->time_ms = sqlite3_column_int64(st, 4);
    for (i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp((const char *)kind, kinds[i]) == 0) {
            e->kind = kinds[i]; /* static, so the caller may keep it */
        }
    }
    if (e->kind == NULL) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "event %lld: unknown kind", (long long)e->id);
        return -EIO;
    }
    /* The schema's CHECKs bound every column below to its wire type's range. */
    if (e->kind == kinds[0]) {
        struct proto_tfp_detection *d = &e->msg.u.det.rec[0];

        e->msg.port = PROTO_TFP_PORT_DETECTIONS;
        e->msg.u.det.count = 1;
        d->class_id = (uint8_t)sqlite3_column_int(st, 8);
        d->confidence = (uint8_t)sqlite3_column_int(st, 9);
        d->age_s = (uint16_t)sqlite3_column_int(st, 10);
        d->duration_s = (uint8_t)sqlite3_column_int(st, 11);
        d->level_db = (uint8_t)sqlite3_column_int(st, 12);
    } else if (e->kind == kinds[1]) {
        struct proto_tfp_health *h = &e->msg.u.health;

        e->msg.port = PROTO_TFP_PORT_HEALTH;
        h->battery_mv = (uint16_t)sqlite3_column_int(st, 13);
        h->temp_c = (int8_t)sqlite3_column_int(st, 14);
        h->uptime_s = (uint32_t)sqlite3_column_int64(st, 15);
        h->model_id = (uint16_t)sqlite3_column_int(st, 16);
        h->model_ver = (uint8_t)sqlite3_column_int(st, 17);
        h->inferences = (uint16_t)sqlite3_column_int(st, 18);
        h->detections = (uint16_t)sqlite3_column_int(st, 19);
        h->tx_failures = (uint8_t)sqlite3_column_int(st, 20);
    } else if (e->kind == kinds[2]) {
        struct proto_tfp_anomaly *a = &e->msg.u.anomaly;

        e->msg.port = PROTO_TFP_PORT_ANOMALY;
        a->windows = (uint8_t)sqlite3_column_int(st, 21);
        a->anomalous = (uint8_t)sqlite3_column_int(st, 22);
        a->score_mean = (uint8_t)sqlite3_column_int(st, 23);
        a->score_max = (uint8_t)sqlite3_column_int(st, 24);
        a->peak_band = (uint8_t)sqlite3_column_int(st, 25);
        a->period_s = (uint16_t)sqlite3_column_int(st, 26);
    } else {
        e->msg.port = (uint8_t)sqlite3_column_int(st, 6);
        e->raw = sqlite3_column_blob(st, 7);
        e->raw_len = (size_t)sqlite3_column_bytes(st, 7);
    }
    e->has_rx = read_rx(st, 27, &e->rx);
    return 0;
}

int store_events_foreach(struct store *s, const struct store_event_filter *f, store_event_cb cb,
                         void *arg)
{
    struct store__binder b;
    struct store_event e;
    enum store__stmt id;
    sqlite3_stmt *st;
    int ret;
    int rc;

    assert(s != NULL && f != NULL && cb != NULL);
    if (f->class_id >= 0) {
        id = f->has_devaddr ? STORE__EV_NODE_CLASS : STORE__EV_CLASS;
    } else {
        id = f->has_devaddr ? STORE__EV_NODE : STORE__EV_ALL;
    }
    st = s->st[id];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    b = store__bind_start(s, id);
    store__bind_int(&b, 1, f->since_ms);
    store__bind_int(&b, 2, f->devaddr);
    store__bind_int(&b, 3, f->class_id);
    store__bind_int(&b, 4, f->limit > 0 ? f->limit : -1);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = read_event(s, st, &e);
        if (ret == 0) {
            ret = cb(&e, arg);
        }
        if (ret != 0) {
            break;
        }
    }
    return store__walk_end(s, st, rc, ret);
}

int store_node_last_rx(struct store *s, uint32_t devaddr, struct store_rx *out)
{
    sqlite3_stmt *st;
    int ret = -ENOENT;
    int rc;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    st = s->st[STORE__NODE_LAST_RX];
    rc = sqlite3_bind_int64(st, 1, devaddr);
    if (rc != SQLITE_OK) {
        return store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        /* A frame stored without its reception (none are since 0003) has none to show. */
        ret = read_rx(st, 0, out) ? 0 : -ENOENT;
    } else if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

int store_stats(struct store *s, uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    sqlite3_stmt *st;
    int ret = 0;
    int rc;
    int i;
    int j;

    assert(s != NULL && counts != NULL);
    memset(counts, 0, sizeof(uint64_t) * STORE_BEARER_COUNT * STORE_REASON_COUNT);
    st = s->st[STORE__COUNTERS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *bearer = sqlite3_column_text(st, 0);
        const unsigned char *reason = sqlite3_column_text(st, 1);
        sqlite3_int64 count = sqlite3_column_int64(st, 2);

        /* Names this binary does not know (a newer daemon's reasons) are skipped. */
        for (i = 0; bearer != NULL && i < STORE_BEARER_COUNT; i++) {
            for (j = 0; reason != NULL && j < STORE_REASON_COUNT; j++) {
                if (strcmp((const char *)bearer, store_bearer_name((enum store_bearer)i)) == 0 &&
                    strcmp((const char *)reason, store_reason_name((enum store_reason)j)) == 0) {
                    counts[i][j] = count > 0 ? (uint64_t)count : 0;
                }
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}
