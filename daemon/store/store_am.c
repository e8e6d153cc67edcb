/* SPDX-License-Identifier: MIT
 * The Alertmanager outbox, the poster's status and alert acknowledgements (store.h; schema
 * 0006_alertmanager.sql). Outbox rows are written in the batch of the transition that makes
 * them, as the MQTT outbox's are (store_outbox.c), and deleted only once an Alertmanager
 * accepted them.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* A failed write inside the batch: did it take the batch with it? (see store__check_batch()) */
static int batch_write_failed(struct store *s, int ret)
{
    store__check_batch(s);
    return ret;
}

/* Runs the bound write @id inside the batch. */
static int batch_run(struct store *s, struct store__binder *b, enum store__stmt id)
{
    int ret = store__bind_done(s, b);

    ret = ret < 0 ? ret : store__run(s, id);
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_am_add(struct store *s, int64_t alert_id, uint32_t seq, const char *json, int64_t now_ms)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && json != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__AM_ADD);
    store__bind_int(&b, 1, alert_id);
    store__bind_int(&b, 2, seq);
    store__bind_text(&b, 3, json);
    store__bind_int(&b, 4, now_ms);
    return batch_run(s, &b, STORE__AM_ADD);
}

int store_am_foreach(struct store *s, int64_t after_id, int limit, store_am_cb cb, void *arg)
{
    sqlite3_stmt *st;
    struct store_am_msg m;
    struct store__binder b;
    int ret;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[STORE__AM_NEXT];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__AM_NEXT);
    store__bind_int(&b, 1, after_id);
    store__bind_int(&b, 2, limit > 0 ? limit : -1);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        m.id = sqlite3_column_int64(st, 0);
        m.alert_id = sqlite3_column_int64(st, 1);
        m.seq = (uint32_t)sqlite3_column_int64(st, 2);
        m.json = (const char *)sqlite3_column_text(st, 3);
        if (m.json == NULL) {
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

int store_am_delete(struct store *s, int64_t id)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__AM_DELETE);
    store__bind_int(&b, 1, id);
    return batch_run(s, &b, STORE__AM_DELETE);
}

int store_am_note(struct store *s, int64_t time_ms, const char *error)
{
    enum store__stmt id = error == NULL ? STORE__AM_NOTE_OK : STORE__AM_NOTE_ERROR;
    struct store__binder b;
    int ret;

    assert(s != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, id);
    store__bind_int(&b, 1, time_ms);
    if (error != NULL) {
        store__bind_text(&b, 2, error);
    }
    return batch_run(s, &b, id);
}

int store_am_status(struct store *s, struct store_am_status *out)
{
    sqlite3_stmt *st;
    const char *err;
    int rc;
    int ret = 0;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    st = s->st[STORE__AM_DEPTH];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->queued = sqlite3_column_int64(st, 0);
        out->oldest_ms = sqlite3_column_int64(st, 1);
    } else {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    if (ret < 0) {
        return ret;
    }
    st = s->st[STORE__AM_STATUS];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->last_ok_ms = sqlite3_column_int64(st, 0);
        out->last_error_ms = sqlite3_column_int64(st, 1);
        err = (const char *)sqlite3_column_text(st, 2);
        (void)snprintf(out->last_error, sizeof(out->last_error), "%s", err != NULL ? err : "");
    } else if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

int store_ack_put(struct store *s, const struct store_ack *a)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && a != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__ACK_PUT);
    store__bind_int(&b, 1, a->alert_id);
    store__bind_text(&b, 2, a->by);
    store__bind_text(&b, 3, a->note);
    store__bind_int(&b, 4, a->time_ms);
    store__bind_text(&b, 5, a->silence_id);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__ACK_PUT);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

static void copy_column(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const char *t = (const char *)sqlite3_column_text(st, col);

    (void)snprintf(out, cap, "%s", t != NULL ? t : "");
}

int store_ack_get(struct store *s, int64_t alert_id, struct store_ack *out)
{
    sqlite3_stmt *st;
    struct store__binder b;
    int ret;
    int rc;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    b = store__bind_start(s, STORE__ACK_GET);
    store__bind_int(&b, 1, alert_id);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    st = s->st[STORE__ACK_GET];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->alert_id = alert_id;
        copy_column(st, 0, out->by, sizeof(out->by));
        copy_column(st, 1, out->note, sizeof(out->note));
        out->time_ms = sqlite3_column_int64(st, 2);
        copy_column(st, 3, out->silence_id, sizeof(out->silence_id));
    } else if (rc == SQLITE_DONE) {
        ret = -ENOENT;
    } else {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}
