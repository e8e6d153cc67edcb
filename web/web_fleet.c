/* SPDX-License-Identifier: MIT
 * The fleet at one moment (web_fleet.h): nodes, their last reception, active alerts, states.
 */
#include "web_fleet.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tfp.h"

/* The last frame is the one of the node's last accepted counter in its current session
 * (a rejoined node counts from 0 again): one lookup in the (devaddr, session, fcnt) index per
 * node, no scan. learn is the state of its last health message (proto/tfp.h). */
static const char nodes_sql[] =
    "SELECT n.devaddr, n.name, n.profile, n.zone, n.lat, n.lon, n.last_seen_ms, n.battery_mv,"
    " f.rssi, f.snr, f.bearer, n.learn FROM nodes n LEFT JOIN frames f"
    " ON n.has_fcnt = 1 AND f.devaddr = n.devaddr AND f.session = n.session"
    " AND f.fcnt = n.last_fcnt ORDER BY n.devaddr";

static const char alerts_sql[] =
    "SELECT id, class, topic_key, level, opened_ms, changed_ms, json FROM alerts"
    " WHERE state <> 'cleared' ORDER BY id";

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return strdup(t != NULL ? (const char *)t : "");
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    out[0] = '\0';
    if (t != NULL) {
        strncat(out, (const char *)t, cap - 1);
    }
}

static int read_node(sqlite3_stmt *st, struct web_node *n)
{
    memset(n, 0, sizeof(*n));
    n->devaddr = (uint32_t)sqlite3_column_int64(st, 0);
    n->name = dup_col(st, 1);
    n->profile = dup_col(st, 2);
    n->zone = dup_col(st, 3);
    if (n->name == NULL || n->profile == NULL || n->zone == NULL) {
        return -ENOMEM;
    }
    n->has_pos = sqlite3_column_type(st, 4) != SQLITE_NULL;
    n->lat = sqlite3_column_double(st, 4);
    n->lon = sqlite3_column_double(st, 5);
    n->last_seen_ms = sqlite3_column_int64(st, 6);
    n->battery_mv = sqlite3_column_int(st, 7);
    n->has_rssi = sqlite3_column_type(st, 8) != SQLITE_NULL;
    n->rssi = sqlite3_column_int(st, 8);
    n->has_snr = sqlite3_column_type(st, 9) != SQLITE_NULL;
    n->snr = sqlite3_column_double(st, 9);
    copy_col(st, 10, n->bearer, sizeof(n->bearer));
    n->learning = sqlite3_column_int(st, 11) == PROTO_TFP_LEARN_LEARNING;
    return 0;
}

static int load_nodes(struct web_db *db, struct web_fleet *f)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = web_db_prepare(db, nodes_sql, &st);

    while (rc == 0 && (rc = web_db_step(db, st)) == 1) {
        if (f->node_count == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            struct web_node *p = realloc(f->nodes, ncap * sizeof(*p));

            if (p == NULL) {
                rc = -ENOMEM;
                break;
            }
            f->nodes = p;
            cap = ncap;
        }
        rc = read_node(st, &f->nodes[f->node_count]);
        f->node_count++;
    }
    (void)sqlite3_finalize(st);
    return rc;
}

static int load_alerts(struct web_db *db, struct web_fleet *f)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = web_db_prepare(db, alerts_sql, &st);

    while (rc == 0 && (rc = web_db_step(db, st)) == 1) {
        struct web_alert *a;

        rc = 0;
        if (f->alert_count == cap) {
            size_t ncap = cap == 0 ? 16 : cap * 2;
            struct web_alert *p = realloc(f->alerts, ncap * sizeof(*p));

            if (p == NULL) {
                rc = -ENOMEM;
                break;
            }
            f->alerts = p;
            cap = ncap;
        }
        a = &f->alerts[f->alert_count++];
        memset(a, 0, sizeof(*a));
        a->id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, a->cls, sizeof(a->cls));
        copy_col(st, 2, a->key, sizeof(a->key));
        copy_col(st, 3, a->level, sizeof(a->level));
        a->opened_ms = sqlite3_column_int64(st, 4);
        a->changed_ms = sqlite3_column_int64(st, 5);
        /* The daemon wrote it; one that does not parse is shown without its details. */
        a->json = cJSON_Parse((const char *)sqlite3_column_text(st, 6));
    }
    (void)sqlite3_finalize(st);
    return rc;
}

static int cmp_devaddr(const void *key, const void *elem)
{
    uint32_t k = *(const uint32_t *)key;
    uint32_t e = ((const struct web_node *)elem)->devaddr;

    return k < e ? -1 : k > e;
}

/* The node with DevAddr @hex (8 hex digits), or NULL. */
static struct web_node *find_hex(struct web_fleet *f, const char *hex)
{
    char *end = NULL;
    unsigned long v;

    if (hex == NULL || strlen(hex) != 8) {
        return NULL;
    }
    v = strtoul(hex, &end, 16);
    if (end == NULL || *end != '\0') {
        return NULL;
    }
    return bsearch(&(uint32_t){(uint32_t)v}, f->nodes, f->node_count, sizeof(*f->nodes),
                   cmp_devaddr);
}

/* Flags every node an active alert names: a per-node alert's key, a cluster's node list. */
static void mark_alerting(struct web_fleet *f, bool *alerting)
{
    size_t i;

    if (alerting == NULL) {
        return; /* no nodes */
    }
    for (i = 0; i < f->alert_count; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(f->alerts[i].json, "nodes");
        const cJSON *item;
        struct web_node *n = find_hex(f, f->alerts[i].key);

        if (n != NULL) {
            alerting[n - f->nodes] = true;
        }
        cJSON_ArrayForEach(item, list)
        {
            n = find_hex(f, cJSON_GetStringValue(item));
            if (n != NULL) {
                alerting[n - f->nodes] = true;
            }
        }
    }
}

int web_fleet_load(struct web_db *db, const struct config_health *health, int64_t now_ms,
                   struct web_fleet *out)
{
    bool *alerting = NULL;
    size_t i;
    int rc;

    assert(db != NULL && health != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    /* One read transaction: the states follow from the alerts of the same moment. */
    rc = sqlite3_exec(web_db_sql(db), "BEGIN", NULL, NULL, NULL);
    rc = rc == SQLITE_OK ? load_nodes(db, out) : web_db_code(rc);
    if (rc == 0) {
        rc = load_alerts(db, out);
    }
    (void)sqlite3_exec(web_db_sql(db), "COMMIT", NULL, NULL, NULL);
    if (rc == 0 && out->node_count > 0) {
        alerting = calloc(out->node_count, sizeof(*alerting));
        rc = alerting == NULL ? -ENOMEM : 0;
    }
    if (rc != 0) {
        return rc;
    }
    mark_alerting(out, alerting);
    for (i = 0; i < out->node_count; i++) {
        struct web_node *n = &out->nodes[i];
        const struct web_state_facts facts = {
            .last_seen_ms = n->last_seen_ms,
            .battery_mv = n->battery_mv,
            .alerting = alerting != NULL && alerting[i],
            .learning = n->learning,
        };

        n->state = web_state_of(&facts, health, now_ms);
        out->state_count[n->state]++;
    }
    free(alerting);
    return 0;
}

void web_fleet_free(struct web_fleet *f)
{
    size_t i;

    if (f == NULL) {
        return;
    }
    for (i = 0; i < f->node_count; i++) {
        free(f->nodes[i].name);
        free(f->nodes[i].profile);
        free(f->nodes[i].zone);
    }
    for (i = 0; i < f->alert_count; i++) {
        cJSON_Delete(f->alerts[i].json);
    }
    free(f->nodes);
    free(f->alerts);
    memset(f, 0, sizeof(*f));
}
