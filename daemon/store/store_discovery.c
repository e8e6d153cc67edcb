/* SPDX-License-Identifier: MIT
 * The Home Assistant discovery configs queued so far (store.h; schema 0005_ha_discovery.sql):
 * what lets the daemon empty the config of a node removed while it was stopped, and queue a
 * config again only when it changed. Written in the batch, with the outbox rows they describe.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

int store_discovery_foreach(struct store *s, store_discovery_cb cb, void *arg)
{
    sqlite3_stmt *st;
    int ret = 0;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[STORE__DISCOVERY_LIST];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *topic = (const char *)sqlite3_column_text(st, 0);
        const char *payload = (const char *)sqlite3_column_text(st, 1);

        if (topic == NULL || payload == NULL) {
            ret = -ENOMEM;
            break;
        }
        ret = cb(topic, payload, arg);
        if (ret != 0) {
            break;
        }
    }
    return store__walk_end(s, st, rc, ret);
}

/* A failed write inside the batch: did it take the batch with it? (see store__check_batch()) */
static int write_failed(struct store *s, int ret)
{
    store__check_batch(s);
    return ret;
}

int store_discovery_put(struct store *s, const char *topic, const char *payload)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && topic != NULL && payload != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__DISCOVERY_PUT);
    store__bind_text(&b, 1, topic);
    store__bind_text(&b, 2, payload);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__DISCOVERY_PUT);
    return ret < 0 ? write_failed(s, ret) : 0;
}

int store_discovery_delete(struct store *s, const char *topic)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && topic != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__DISCOVERY_DELETE);
    store__bind_text(&b, 1, topic);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__DISCOVERY_DELETE);
    return ret < 0 ? write_failed(s, ret) : 0;
}

int store_data_version(struct store *s, int64_t *out)
{
    sqlite3_stmt *st;
    int rc;

    assert(s != NULL && out != NULL);
    st = s->st[STORE__DATA_VERSION];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        return store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    return 0;
}
