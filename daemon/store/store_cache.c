/* SPDX-License-Identifier: MIT
 * The daemon's node cache: what the frame check and fusion read of a node, kept in memory so
 * a frame costs no registry query. Dense entries behind a hash index of 4-byte slots; valid
 * while PRAGMA data_version says no other connection has committed (store__batch_begin()).
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* Past this many nodes the cache starts again empty rather than grow without bound. */
#define AUTH_CACHE_MAX 262144u

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

struct store__auth_entry *store__auth_find(const struct store *s, uint32_t devaddr)
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
    struct store__auth_entry *e = store__auth_find(s, devaddr);

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

int store__auth_add(struct store *s, const struct store_node *n,
                    const struct store__auth_entry **out)
{
    struct store__auth_entry *e;
    int ret = auth_reserve(s);

    if (ret < 0) {
        return ret;
    }
    e = &s->auth[s->auth_used];
    e->devaddr = n->devaddr;
    e->has_fcnt = n->has_fcnt;
    e->session = n->session;
    e->last_fcnt = n->last_fcnt;
    e->has_position = n->has_position;
    e->lat = n->lat;
    e->lon = n->lon;
    memcpy(e->nwkskey, n->nwkskey, PROTO_AES_KEY);
    memcpy(e->appskey, n->appskey, PROTO_AES_KEY);
    memcpy(e->zone, n->zone, sizeof(e->zone));
    s->auth_used++;
    *auth_slot(s, n->devaddr) = (uint32_t)s->auth_used;
    *out = e;
    return 0;
}
