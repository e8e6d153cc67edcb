/* SPDX-License-Identifier: MIT
 * Alerts and the MQTT outbox (store.h; ARCHITECTURE.md "MQTT"; schema 0002_alerts.sql): an
 * alert transition and the messages it queues are written in the batch of the frame that
 * caused it, and an outbox row is deleted only once its PUBACK came.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* Steps a one-row, one-column integer query (bound already). */
static int query_int(struct store *s, enum store__stmt id, int64_t *out)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = 0;

    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        *out = 0;
    } else {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

/* A failed write inside the batch: did it take the batch with it? (see store__check_batch()) */
static int batch_write_failed(struct store *s, int ret)
{
    store__check_batch(s);
    return ret;
}

int store_alert_transition(struct store *s, const struct store_alert *a)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && a != NULL && a->json != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__ALERT_PUT);
    store__bind_int(&b, 1, a->id);
    store__bind_text(&b, 2, a->class_name);
    store__bind_text(&b, 3, a->topic_key);
    store__bind_text(&b, 4, a->level);
    store__bind_text(&b, 5, a->state);
    store__bind_int(&b, 6, a->seq);
    store__bind_int(&b, 7, a->opened_ms);
    store__bind_int(&b, 8, a->changed_ms);
    store__bind_text(&b, 9, a->json);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__ALERT_PUT);
    if (ret == 0 && sqlite3_changes(s->db) == 0) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                       "alert %lld: seq %u is not above the stored one", (long long)a->id,
                       (unsigned)a->seq);
        return -EEXIST;
    }
    if (ret == 0) {
        b = store__bind_start(s, STORE__TRANSITION_ADD);
        store__bind_int(&b, 1, a->id);
        store__bind_int(&b, 2, a->seq);
        store__bind_int(&b, 3, a->changed_ms);
        store__bind_text(&b, 4, a->json);
        ret = store__bind_done(s, &b);
        ret = ret < 0 ? ret : store__run(s, STORE__TRANSITION_ADD);
    }
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_add(struct store *s, const char *topic, const char *payload, bool retain,
                     int64_t now_ms)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && topic != NULL && payload != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__OUTBOX_ADD);
    store__bind_text(&b, 1, topic);
    store__bind_blob(&b, 2, payload, strlen(payload));
    store__bind_int(&b, 3, retain ? 1 : 0);
    store__bind_int(&b, 4, now_ms);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__OUTBOX_ADD);
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_foreach(struct store *s, int64_t after_id, int limit, store_outbox_cb cb,
                         void *arg)
{
    sqlite3_stmt *st;
    struct store_outbox_msg m;
    struct store__binder b;
    int ret;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[STORE__OUTBOX_NEXT];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__OUTBOX_NEXT);
    store__bind_int(&b, 1, after_id);
    store__bind_int(&b, 2, limit > 0 ? limit : -1);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        m.id = sqlite3_column_int64(st, 0);
        m.topic = (const char *)sqlite3_column_text(st, 1);
        m.payload = sqlite3_column_blob(st, 2);
        m.payload_len = (size_t)sqlite3_column_bytes(st, 2);
        m.retain = sqlite3_column_int(st, 3) != 0;
        if (m.topic == NULL) {
            ret = -ENOMEM;
            break;
        }
        ret = cb(&m, arg);
        if (ret != 0) {
            break;
        }
    }
    return store__walk_end(s, st, rc, ret);
}

int store_outbox_delete(struct store *s, int64_t id)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__OUTBOX_DELETE);
    store__bind_int(&b, 1, id);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__OUTBOX_DELETE);
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_depth(struct store *s, int64_t *rows, int64_t *oldest_ms)
{
    sqlite3_stmt *st;
    int rc;
    int ret = 0;

    assert(s != NULL && rows != NULL);
    st = s->st[STORE__OUTBOX_DEPTH];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *rows = sqlite3_column_int64(st, 0);
        if (oldest_ms != NULL) {
            *oldest_ms = sqlite3_column_int64(st, 1);
        }
    } else {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

/* Deletes up to @n rows with statement @id (?1 = the limit); adds the count to *@done. */
static int trim_step(struct store *s, enum store__stmt id, int64_t n, int64_t *done)
{
    struct store__binder b = store__bind_start(s, id);
    int ret;

    store__bind_int(&b, 1, n);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, id);
    if (ret == 0) {
        *done += sqlite3_changes(s->db);
    }
    return ret;
}

int store_outbox_trim(struct store *s, int64_t max_rows, int64_t step, int64_t *dropped)
{
    struct store__binder b;
    int64_t rows = 0;
    int64_t gone = 0;
    int64_t want;
    int ret;

    assert(s != NULL && dropped != NULL && max_rows >= 1 && step >= 1);
    *dropped = 0;
    ret = query_int(s, STORE__OUTBOX_SIZE, &rows);
    if (ret < 0 || rows <= max_rows) {
        return ret;
    }
    /* A bound lowered by 100,000 rows goes in steps, with the loop serving I/O in between,
     * not in one statement that stalls it. */
    want = rows - max_rows < step ? rows - max_rows : step;
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    ret = trim_step(s, STORE__OUTBOX_SUPERSEDED, want, &gone);
    if (ret == 0 && gone < want) {
        ret = trim_step(s, STORE__OUTBOX_OLDEST, want - gone, &gone);
    }
    if (ret == 0 && gone > 0) {
        b = store__bind_start(s, STORE__COUNTER_ADD);
        store__bind_text(&b, 1, "mqtt");
        store__bind_text(&b, 2, "outbox_dropped");
        store__bind_int(&b, 3, gone);
        ret = store__bind_done(s, &b);
        ret = ret < 0 ? ret : store__run(s, STORE__COUNTER_ADD);
    }
    if (ret < 0) {
        return batch_write_failed(s, ret);
    }
    *dropped = gone;
    return rows - gone > max_rows ? 1 : 0;
}

int store_outbox_dropped(struct store *s, uint64_t *out)
{
    struct store__binder b = store__bind_start(s, STORE__COUNTER_GET);
    int64_t v = 0;
    int ret;

    assert(s != NULL && out != NULL);
    store__bind_text(&b, 1, "mqtt");
    store__bind_text(&b, 2, "outbox_dropped");
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : query_int(s, STORE__COUNTER_GET, &v);
    *out = v > 0 ? (uint64_t)v : 0;
    return ret;
}

int store_alert_max_id(struct store *s, int64_t *out)
{
    assert(s != NULL && out != NULL);
    return query_int(s, STORE__ALERT_MAX_ID, out);
}

int store_alerts_foreach(struct store *s, bool active_only, int limit, store_alert_cb cb, void *arg)
{
    enum store__stmt id = active_only ? STORE__ALERTS_ACTIVE : STORE__ALERTS_RECENT;
    sqlite3_stmt *st = s->st[id];
    struct store_alert a;
    struct store__binder b;
    int ret = 0;
    int rc;

    assert(s != NULL && cb != NULL);
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    if (!active_only) {
        b = store__bind_start(s, id);
        store__bind_int(&b, 1, limit > 0 ? limit : -1);
        ret = store__bind_done(s, &b);
        if (ret < 0) {
            return ret;
        }
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&a, 0, sizeof(a));
        a.id = sqlite3_column_int64(st, 0);
        a.class_name = (const char *)sqlite3_column_text(st, 1);
        a.topic_key = (const char *)sqlite3_column_text(st, 2);
        a.level = (const char *)sqlite3_column_text(st, 3);
        a.state = (const char *)sqlite3_column_text(st, 4);
        a.seq = (uint32_t)sqlite3_column_int64(st, 5);
        a.opened_ms = sqlite3_column_int64(st, 6);
        a.changed_ms = sqlite3_column_int64(st, 7);
        a.json = (const char *)sqlite3_column_text(st, 8);
        if (a.class_name == NULL || a.topic_key == NULL || a.level == NULL || a.state == NULL ||
            a.json == NULL) {
            ret = -ENOMEM;
            break;
        }
        ret = cb(&a, arg);
        if (ret != 0) {
            break;
        }
    }
    return store__walk_end(s, st, rc, ret);
}
