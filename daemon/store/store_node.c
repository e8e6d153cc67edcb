/* SPDX-License-Identifier: MIT
 * The node registry (store.h): add, read, remove and list nodes, for the CLI and the daemon,
 * and in daemon mode the cache the frame check and fusion read a node from
 * (store_node_auth(), store_node_place()), kept current with PRAGMA data_version.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* What the frame check and fusion read of a node, cached in daemon mode (store__auth_clear()). */
struct store__auth_entry {
    uint32_t devaddr;
    bool has_fcnt;
    bool has_position;
    uint32_t last_fcnt;
    double lat;
    double lon;
    uint8_t nwkskey[PROTO_AES_KEY];
    uint8_t appskey[PROTO_AES_KEY];
    char zone[sizeof(((struct store_node *)0)->zone)];
};

/* Past this many nodes the cache starts again empty rather than grow without bound. */
#define AUTH_CACHE_MAX 262144u

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
    return 0;
}

int store_node_add(struct store *s, const struct store_node *n)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && n != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = store__bind_start(s, STORE__NODE_ADD);
    store__bind_int(&b, 1, n->devaddr);
    store__bind_text(&b, 2, n->name);
    store__bind_text(&b, 3, n->profile);
    if (n->has_position) {
        store__bind_double(&b, 4, n->lat);
        store__bind_double(&b, 5, n->lon);
    }
    store__bind_text(&b, 6, n->zone);
    store__bind_blob(&b, 7, n->nwkskey, PROTO_AES_KEY);
    store__bind_blob(&b, 8, n->appskey, PROTO_AES_KEY);
    store__bind_int(&b, 9, n->has_fcnt ? 1 : 0);
    store__bind_int(&b, 10, n->last_fcnt);
    store__bind_int(&b, 11, n->last_seen_ms);
    store__bind_int(&b, 12, n->battery_mv);
    store__bind_int(&b, 13, n->created_ms);
    ret = store__bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    ret = store__run(s, STORE__NODE_ADD);
    return ret == -EEXIST || ret == -EINVAL || ret == -ENOMEM || ret == 0 ? ret : -EIO;
}

/*
 * The node cache of the daemon's frame check. Reading a node's keys and counter was 4.4 k
 * instructions per CoAP frame (callgrind), 5 % of all. It is valid because every frame is
 * checked inside a batch (BEGIN IMMEDIATE: no other connection can commit meanwhile), and
 * store__batch_begin() compares PRAGMA data_version, which changes exactly when another connection
 * (the CLI: node add, node remove) has committed, and empties the cache when it did. The
 * daemon's own counter updates go into the cache as they are written (store__auth_seen()); a batch
 * that is lost or rolled back empties it (store__auth_clear()).
 */
void store__auth_clear(struct store *s)
{
    if (s->auth != NULL) {
        explicit_bzero(s->auth, s->auth_used * sizeof(*s->auth));
    }
    if (s->auth_index != NULL) {
        memset(s->auth_index, 0, s->auth_slots * sizeof(*s->auth_index));
    }
    s->auth_used = 0;
}

void store__auth_free(struct store *s)
{
    store__auth_clear(s);
    free(s->auth);
    free(s->auth_index);
    s->auth = NULL;
    s->auth_index = NULL;
    s->auth_cap = 0;
    s->auth_slots = 0;
}

/* The index slot of @devaddr: its entry, or the free slot where it would go. The entries
 * are kept dense and only the index is a hash table (of 4-byte slots), so 10,000 nodes cost
 * about 1.3 MB of entries and 128 kB of index, not a half-empty table of whole entries. */
static uint32_t *auth_slot(const struct store *s, uint32_t devaddr)
{
    size_t i = (size_t)(devaddr * 2654435761u) & (s->auth_slots - 1);

    while (s->auth_index[i] != 0 && s->auth[s->auth_index[i] - 1].devaddr != devaddr) {
        i = (i + 1) & (s->auth_slots - 1);
    }
    return &s->auth_index[i];
}

static struct store__auth_entry *auth_find(const struct store *s, uint32_t devaddr)
{
    uint32_t *slot;

    if (s->auth_slots == 0) {
        return NULL;
    }
    slot = auth_slot(s, devaddr);
    return *slot != 0 ? &s->auth[*slot - 1] : NULL;
}

/* Room for one more entry (the index at most half full); past AUTH_CACHE_MAX nodes the cache
 * starts again empty. Return: 0 or -ENOMEM (the cache is then simply not used for it). */
static int auth_reserve(struct store *s)
{
    size_t i;

    if (s->auth_used >= AUTH_CACHE_MAX) {
        store__auth_clear(s);
    }
    if (s->auth_used == s->auth_cap) {
        size_t cap = s->auth_cap != 0 ? s->auth_cap * 2 : 256;
        struct store__auth_entry *e = calloc(cap, sizeof(*e));

        if (e == NULL) {
            return -ENOMEM;
        }
        if (s->auth != NULL) {
            memcpy(e, s->auth, s->auth_used * sizeof(*e));
            explicit_bzero(s->auth, s->auth_cap * sizeof(*s->auth));
        }
        free(s->auth);
        s->auth = e;
        s->auth_cap = cap;
    }
    if ((s->auth_used + 1) * 2 > s->auth_slots) {
        size_t slots = s->auth_slots != 0 ? s->auth_slots * 2 : 512;
        uint32_t *index = calloc(slots, sizeof(*index));

        if (index == NULL) {
            return -ENOMEM;
        }
        free(s->auth_index);
        s->auth_index = index;
        s->auth_slots = slots;
        for (i = 0; i < s->auth_used; i++) {
            *auth_slot(s, s->auth[i].devaddr) = (uint32_t)(i + 1);
        }
    }
    return 0;
}

void store__auth_seen(struct store *s, uint32_t devaddr, uint32_t fcnt)
{
    struct store__auth_entry *e = auth_find(s, devaddr);

    if (e != NULL) {
        e->has_fcnt = true;
        e->last_fcnt = fcnt;
    }
}

int store__auth_check_version(struct store *s)
{
    int64_t v = 0;
    sqlite3_stmt *st = s->st[STORE__DATA_VERSION];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        store__auth_clear(s);
        return store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    if (v != s->data_version) {
        store__auth_clear(s);
        s->data_version = v;
    }
    return 0;
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
    return 0;
}

/* The daemon's cached entry of @devaddr, read from the registry on a miss. */
static int auth_get(struct store *s, uint32_t devaddr, const struct store__auth_entry **out)
{
    struct store_node n;
    struct store__auth_entry *e;
    int ret;

    ret = store__batch_begin(s); /* first, so that the cache is checked against data_version */
    if (ret < 0) {
        return ret;
    }
    e = auth_find(s, devaddr);
    if (e != NULL) {
        *out = e;
        return 0;
    }
    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    ret = node_lookup(s, STORE__NODE_AUTH, devaddr, &n, read_node_auth);
    if (ret == 0) {
        ret = auth_reserve(s);
    }
    if (ret == 0) {
        e = &s->auth[s->auth_used];
        e->devaddr = devaddr;
        e->has_fcnt = n.has_fcnt;
        e->last_fcnt = n.last_fcnt;
        e->has_position = n.has_position;
        e->lat = n.lat;
        e->lon = n.lon;
        memcpy(e->nwkskey, n.nwkskey, PROTO_AES_KEY);
        memcpy(e->appskey, n.appskey, PROTO_AES_KEY);
        memcpy(e->zone, n.zone, sizeof(e->zone));
        s->auth_used++;
        *auth_slot(s, devaddr) = (uint32_t)s->auth_used;
        *out = e;
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
