/* SPDX-License-Identifier: MIT
 * Over-the-air activation in the registry (store.h; migrations/0008_otaa.sql): an OTAA node
 * found by DevEUI, the DevNonces it used, its JoinNonce, and the session a JoinAccept opened
 * until the node's first frame under it. The daemon writes all of it in the batch of the
 * JoinRequest, so a JoinAccept leaves only once what it promises is committed.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* Steps @id once; a row is 1 (its columns read by the caller before the reset), none 0. */
static int step_row(struct store *s, enum store__stmt id)
{
    int rc = sqlite3_step(s->st[id]);

    if (rc == SQLITE_ROW) {
        return 1;
    }
    (void)sqlite3_reset(s->st[id]);
    (void)sqlite3_clear_bindings(s->st[id]);
    return rc == SQLITE_DONE ? 0 : (store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO);
}

static void row_done(struct store *s, enum store__stmt id)
{
    (void)sqlite3_reset(s->st[id]);
    (void)sqlite3_clear_bindings(s->st[id]);
}

static int copy_key(sqlite3_stmt *st, int col, uint8_t out[PROTO_AES_KEY])
{
    if (sqlite3_column_bytes(st, col) != PROTO_AES_KEY || sqlite3_column_blob(st, col) == NULL) {
        return -EIO; /* the schema checks length 16: a damaged file */
    }
    memcpy(out, sqlite3_column_blob(st, col), PROTO_AES_KEY);
    return 0;
}

int store_join_device(struct store *s, uint64_t deveui, struct store_join_device *out)
{
    struct store__binder b;
    char eui[17];
    sqlite3_stmt *st = s->st[STORE__JOIN_DEVICE];
    int ret;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    (void)snprintf(eui, sizeof(eui), "%016llX", (unsigned long long)deveui);
    b = store__bind_start(s, STORE__JOIN_DEVICE);
    store__bind_text(&b, 1, eui);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : step_row(s, STORE__JOIN_DEVICE);
    if (ret <= 0) {
        return ret == 0 ? -ENOENT : ret;
    }
    out->devaddr = (uint32_t)sqlite3_column_int64(st, 0);
    if (sqlite3_column_type(st, 1) == SQLITE_TEXT) {
        /* The schema checks 16 hex digits; anything else would mean a damaged file. */
        const char *t = (const char *)sqlite3_column_text(st, 1);
        char *end = NULL;

        out->joineui = (uint64_t)strtoull(t, &end, 16);
        ret = end == t + 16 && *end == '\0' ? 0 : -EIO;
    }
    ret = ret < 0 ? ret : copy_key(st, 2, out->appkey);
    out->join_nonce = (uint32_t)sqlite3_column_int64(st, 3);
    row_done(s, STORE__JOIN_DEVICE);
    return ret;
}

int store_join_devnonce_used(struct store *s, uint32_t devaddr, uint16_t devnonce)
{
    struct store__binder b = store__bind_start(s, STORE__JOIN_NONCE_USED);
    int ret;

    store__bind_int(&b, 1, devaddr);
    store__bind_int(&b, 2, devnonce);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : step_row(s, STORE__JOIN_NONCE_USED);
    if (ret == 1) {
        row_done(s, STORE__JOIN_NONCE_USED);
    }
    return ret;
}

/* Runs one bound write of the batch; a failure may have lost the batch. */
static int run_write(struct store *s, enum store__stmt id, struct store__binder *b)
{
    int ret = store__bind_done(s, b);

    ret = ret < 0 ? ret : store__run(s, id);
    if (ret < 0 && ret != -EEXIST) {
        store__check_batch(s);
        return -EIO;
    }
    return ret;
}

int store_join_accept(struct store *s, uint32_t devaddr, uint16_t devnonce, uint32_t join_nonce,
                      const uint8_t nwkskey[PROTO_AES_KEY], const uint8_t appskey[PROTO_AES_KEY],
                      int64_t now_ms)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__JOIN_NONCE_ADD);
    store__bind_int(&b, 1, devaddr);
    store__bind_int(&b, 2, devnonce);
    ret = run_write(s, STORE__JOIN_NONCE_ADD, &b);
    if (ret < 0) {
        return ret; /* -EEXIST: the primary key says this DevNonce was used */
    }
    b = store__bind_start(s, STORE__JOIN_NEXT);
    store__bind_int(&b, 1, devaddr);
    store__bind_int(&b, 2, join_nonce);
    ret = run_write(s, STORE__JOIN_NEXT, &b);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__JOIN_SESSION_PUT);
    store__bind_int(&b, 1, devaddr);
    store__bind_blob(&b, 2, nwkskey, PROTO_AES_KEY);
    store__bind_blob(&b, 3, appskey, PROTO_AES_KEY);
    store__bind_int(&b, 4, devnonce);
    store__bind_int(&b, 5, now_ms);
    return run_write(s, STORE__JOIN_SESSION_PUT, &b);
}

int store_join_pending(struct store *s, uint32_t devaddr, uint8_t nwkskey[PROTO_AES_KEY],
                       uint8_t appskey[PROTO_AES_KEY])
{
    struct store__binder b = store__bind_start(s, STORE__JOIN_SESSION_GET);
    sqlite3_stmt *st = s->st[STORE__JOIN_SESSION_GET];
    int ret;

    store__bind_int(&b, 1, devaddr);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : step_row(s, STORE__JOIN_SESSION_GET);
    if (ret <= 0) {
        return ret == 0 ? -ENOENT : ret;
    }
    ret = copy_key(st, 0, nwkskey);
    ret = ret < 0 ? ret : copy_key(st, 1, appskey);
    row_done(s, STORE__JOIN_SESSION_GET);
    return ret;
}

int store_join_activate(struct store *s, uint32_t devaddr)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__JOIN_ACTIVATE);
    store__bind_int(&b, 1, devaddr);
    ret = run_write(s, STORE__JOIN_ACTIVATE, &b);
    if (ret < 0) {
        return ret;
    }
    if (sqlite3_changes(s->db) == 0) {
        return -ENOENT;
    }
    b = store__bind_start(s, STORE__JOIN_SESSION_DROP);
    store__bind_int(&b, 1, devaddr);
    ret = run_write(s, STORE__JOIN_SESSION_DROP, &b);
    /* The cached keys and counter are the old session's. */
    store__auth_clear(s);
    return ret;
}
