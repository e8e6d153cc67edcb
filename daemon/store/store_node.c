/* SPDX-License-Identifier: MIT
 * The node registry (store.h): add, read, remove and list nodes, for the CLI and the daemon;
 * in daemon mode the frame check and fusion read a node through the cache of store_cache.c
 * (store_node_auth(), store_node_place()).
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* Copies @src cut to @cap - 1 bytes. Not snprintf(): three per frame looked up cost 1.6 k
 * instructions, a fifth of store_node_get() (callgrind). */
static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    size_t n = src != NULL ? strnlen((const char *)src, cap - 1) : 0;

    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

/* Fills @n from the current row of a NODE_COLUMNS statement. */
static int read_node(struct store *s, sqlite3_stmt *st, struct store_node *n)
{
    memset(n, 0, sizeof(*n));
    n->devaddr = (uint32_t)sqlite3_column_int64(st, 0);
    copy_text(n->name, sizeof(n->name), sqlite3_column_text(st, 1));
    copy_text(n->profile, sizeof(n->profile), sqlite3_column_text(st, 2));
    n->has_position = sqlite3_column_type(st, 3) != SQLITE_NULL;
    n->lat = sqlite3_column_double(st, 3);
    n->lon = sqlite3_column_double(st, 4);
    copy_text(n->zone, sizeof(n->zone), sqlite3_column_text(st, 5));
    /* The schema checks length 16; a shorter blob would mean a damaged file. */
    if (sqlite3_column_bytes(st, 6) != PROTO_AES_KEY ||
        sqlite3_column_bytes(st, 7) != PROTO_AES_KEY || sqlite3_column_blob(st, 6) == NULL ||
        sqlite3_column_blob(st, 7) == NULL) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "node %08X: key is not 16 bytes",
                       (unsigned)n->devaddr);
        return -EIO;
    }
    memcpy(n->nwkskey, sqlite3_column_blob(st, 6), PROTO_AES_KEY);
    memcpy(n->appskey, sqlite3_column_blob(st, 7), PROTO_AES_KEY);
    n->has_fcnt = sqlite3_column_int(st, 8) != 0;
    n->last_fcnt = (uint32_t)sqlite3_column_int64(st, 9);
    n->last_seen_ms = sqlite3_column_int64(st, 10);
    n->battery_mv = (int32_t)sqlite3_column_int64(st, 11);
    n->created_ms = sqlite3_column_int64(st, 12);
    n->otaa = sqlite3_column_type(st, 13) == SQLITE_TEXT;
    if (n->otaa) {
        n->deveui = strtoull((const char *)sqlite3_column_text(st, 13), NULL, 16);
        n->joineui = sqlite3_column_type(st, 14) == SQLITE_TEXT
                         ? strtoull((const char *)sqlite3_column_text(st, 14), NULL, 16)
                         : 0;
    }
    n->learn = (uint8_t)sqlite3_column_int(st, 15);
    n->learn_progress = (uint8_t)sqlite3_column_int(st, 16);
    n->learn_threshold = (uint8_t)sqlite3_column_int(st, 17);
    return 0;
}

/* Parameters 1 to 6 of NODE_ADD and NODE_UPDATE: what a person says about a node (no
 * position: lat and lon stay NULL). */
static void bind_identity(struct store__binder *b, const struct store_node *n)
{
    store__bind_int(b, 1, n->devaddr);
    store__bind_text(b, 2, n->name);
    store__bind_text(b, 3, n->profile);
    if (n->has_position) {
        store__bind_double(b, 4, n->lat);
        store__bind_double(b, 5, n->lon);
    }
    store__bind_text(b, 6, n->zone);
}

int store_node_add(struct store *s, const struct store_node *n)
{
    struct store__binder b;
    char deveui[17];
    char joineui[17];
    int ret;

    assert(s != NULL && n != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__NODE_ADD);
    bind_identity(&b, n);
    store__bind_blob(&b, 7, n->nwkskey, PROTO_AES_KEY);
    store__bind_blob(&b, 8, n->appskey, PROTO_AES_KEY);
    store__bind_int(&b, 9, n->has_fcnt ? 1 : 0);
    store__bind_int(&b, 10, n->last_fcnt);
    store__bind_int(&b, 11, n->last_seen_ms);
    store__bind_int(&b, 12, n->battery_mv);
    store__bind_int(&b, 13, n->created_ms);
    if (n->otaa) {
        (void)snprintf(deveui, sizeof(deveui), "%016llX", (unsigned long long)n->deveui);
        (void)snprintf(joineui, sizeof(joineui), "%016llX", (unsigned long long)n->joineui);
        store__bind_text(&b, 14, deveui);
        store__bind_text(&b, 15, joineui);
        store__bind_blob(&b, 16, n->appkey, PROTO_AES_KEY);
    }
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    ret = store__run(s, STORE__NODE_ADD);
    return ret == -EEXIST || ret == -EINVAL || ret == -ENOMEM || ret == 0 ? ret : -EIO;
}

int store_node_update(struct store *s, const struct store_node *n)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && n != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__NODE_UPDATE);
    bind_identity(&b, n);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    ret = store__run(s, STORE__NODE_UPDATE);
    if (ret < 0) {
        return ret == -EINVAL || ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

/* Steps the node lookup @id for @devaddr; @read fills @out from its row. In daemon mode
 * the batch is opened first, so what is read stays true until the commit. */
static int node_lookup(struct store *s, enum store__stmt id, uint32_t devaddr,
                       struct store_node *out,
                       int (*read)(struct store *, sqlite3_stmt *, struct store_node *))
{
    sqlite3_stmt *st;
    int ret;
    int rc;

    if (s->daemon_mode) {
        ret = store__batch_begin(s);
        if (ret < 0) {
            return ret;
        }
    }
    st = s->st[id];
    rc = sqlite3_bind_int64(st, 1, devaddr);
    if (rc != SQLITE_OK) {
        return store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ret = read(s, st, out);
    } else if (rc == SQLITE_DONE) {
        ret = -ENOENT;
    } else {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

int store_node_get(struct store *s, uint32_t devaddr, struct store_node *out)
{
    assert(s != NULL && out != NULL);
    return node_lookup(s, STORE__NODE_GET, devaddr, out, read_node);
}

/* Fills the keys, counter and place of @n from the current row of STORE__NODE_AUTH. */
static int read_node_auth(struct store *s, sqlite3_stmt *st, struct store_node *n)
{
    const void *nwk = sqlite3_column_blob(st, 0);
    const void *app = sqlite3_column_blob(st, 1);

    /* The schema checks length 16; a shorter blob would mean a damaged file. */
    if (nwk == NULL || app == NULL || sqlite3_column_bytes(st, 0) != PROTO_AES_KEY ||
        sqlite3_column_bytes(st, 1) != PROTO_AES_KEY) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "node %08X: key is not 16 bytes",
                       (unsigned)n->devaddr);
        return -EIO;
    }
    memcpy(n->nwkskey, nwk, PROTO_AES_KEY);
    memcpy(n->appskey, app, PROTO_AES_KEY);
    n->has_fcnt = sqlite3_column_int(st, 2) != 0;
    n->last_fcnt = (uint32_t)sqlite3_column_int64(st, 3);
    n->has_position = sqlite3_column_type(st, 4) != SQLITE_NULL;
    n->lat = sqlite3_column_double(st, 4);
    n->lon = sqlite3_column_double(st, 5);
    copy_text(n->zone, sizeof(n->zone), sqlite3_column_text(st, 6));
    n->session = (uint32_t)sqlite3_column_int64(st, 7);
    return 0;
}

/* The daemon's cached entry of @devaddr, read from the registry on a miss. */
static int auth_get(struct store *s, uint32_t devaddr, const struct store__auth_entry **out)
{
    struct store_node n;
    int ret;

    ret = store__batch_begin(s); /* first, so that the cache is checked against data_version */
    if (ret < 0) {
        return ret;
    }
    *out = store__auth_find(s, devaddr);
    if (*out != NULL) {
        return 0;
    }
    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    ret = node_lookup(s, STORE__NODE_AUTH, devaddr, &n, read_node_auth);
    if (ret == 0) {
        ret = store__auth_add(s, &n, out);
    }
    explicit_bzero(&n, sizeof(n));
    return ret;
}

int store_node_auth(struct store *s, uint32_t devaddr, struct store_node *out)
{
    const struct store__auth_entry *e = NULL;
    int ret;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    out->devaddr = devaddr;
    if (!s->daemon_mode) {
        return node_lookup(s, STORE__NODE_AUTH, devaddr, out, read_node_auth);
    }
    ret = auth_get(s, devaddr, &e);
    if (ret == 0) {
        memcpy(out->nwkskey, e->nwkskey, PROTO_AES_KEY);
        memcpy(out->appskey, e->appskey, PROTO_AES_KEY);
        out->has_fcnt = e->has_fcnt;
        out->last_fcnt = e->last_fcnt;
        out->session = e->session;
    }
    return ret;
}

int store_node_place(struct store *s, uint32_t devaddr, struct store_node *out)
{
    const struct store__auth_entry *e = NULL;
    int ret;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    out->devaddr = devaddr;
    if (!s->daemon_mode) {
        ret = node_lookup(s, STORE__NODE_AUTH, devaddr, out, read_node_auth);
        explicit_bzero(out->nwkskey, sizeof(out->nwkskey));
        explicit_bzero(out->appskey, sizeof(out->appskey));
        return ret;
    }
    ret = auth_get(s, devaddr, &e);
    if (ret == 0) {
        out->has_position = e->has_position;
        out->lat = e->lat;
        out->lon = e->lon;
        memcpy(out->zone, e->zone, sizeof(out->zone));
    }
    return ret;
}

int store_node_remove(struct store *s, uint32_t devaddr)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__NODE_REMOVE);
    store__bind_int(&b, 1, devaddr);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    /* One statement, so one transaction: the cascade to frames, receptions and events is
     * all or nothing. */
    ret = store__run(s, STORE__NODE_REMOVE);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_node_foreach(struct store *s, store_node_cb cb, void *arg)
{
    sqlite3_stmt *st;
    struct store_node n;
    int ret = 0;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[STORE__NODE_LIST];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = read_node(s, st, &n);
        if (ret == 0) {
            ret = cb(&n, arg);
        }
        if (ret != 0) {
            break;
        }
    }
    explicit_bzero(&n, sizeof(n));
    return store__walk_end(s, st, rc, ret);
}
