/* SPDX-License-Identifier: MIT
 * The JSON API's documents (web_json.h). cJSON reports running out of memory by returning
 * NULL from each add; the builders collect that in one flag (struct doc) and answer -ENOMEM
 * once at the end rather than after every field.
 */
#include "web_json.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/hex.h"
#include "util/rfc3339.h"
#include "web_fleet.h"

struct doc {
    cJSON *root;
    bool ok; /* false once an allocation failed */
};

static cJSON *chk(struct doc *d, cJSON *item)
{
    d->ok = d->ok && item != NULL;
    return item;
}

static void add_str(struct doc *d, cJSON *o, const char *k, const char *v)
{
    (void)chk(d, v != NULL ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k));
}

static void add_num(struct doc *d, cJSON *o, const char *k, double v)
{
    (void)chk(d, cJSON_AddNumberToObject(o, k, v));
}

static void add_null(struct doc *d, cJSON *o, const char *k)
{
    (void)chk(d, cJSON_AddNullToObject(o, k));
}

static void add_time(struct doc *d, cJSON *o, const char *k, int64_t ms)
{
    char when[RFC3339_LEN];

    if (ms <= 0) {
        add_null(d, o, k);
        return;
    }
    rfc3339_format(ms, when);
    add_str(d, o, k, when);
}

/* A column added as a number, or null when it is NULL. */
static void add_col(struct doc *d, cJSON *o, const char *k, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        add_null(d, o, k);
    } else {
        add_num(d, o, k, sqlite3_column_double(st, col));
    }
}

static int finish(struct doc *d, int rc, char **out)
{
    *out = NULL;
    if (rc == 0 && d->ok) {
        *out = cJSON_PrintUnformatted(d->root);
    }
    cJSON_Delete(d->root);
    if (rc == 0 && *out == NULL) {
        rc = -ENOMEM;
    }
    return rc;
}

/* Node @n as a new member of @parent: an element of an array, or @key of an object. */
static void add_node(struct doc *d, cJSON *parent, const char *key, const struct web_node *n,
                     int64_t now_ms)
{
    cJSON *o = chk(d, cJSON_CreateObject());
    char hex[HEX_DEVADDR_STR_LEN];

    if (o == NULL ||
        !(key != NULL ? cJSON_AddItemToObject(parent, key, o) : cJSON_AddItemToArray(parent, o))) {
        cJSON_Delete(o);
        d->ok = false;
        return;
    }
    hex_format_devaddr(n->devaddr, hex);
    add_str(d, o, "devaddr", hex);
    add_str(d, o, "name", n->name);
    add_str(d, o, "profile", n->profile);
    add_str(d, o, "zone", n->zone);
    if (n->has_pos) {
        add_num(d, o, "lat", n->lat);
        add_num(d, o, "lon", n->lon);
    } else {
        add_null(d, o, "lat");
        add_null(d, o, "lon");
    }
    add_time(d, o, "last_seen", n->last_seen_ms);
    if (n->last_seen_ms > 0) {
        add_num(d, o, "last_seen_age_s", (double)(now_ms - n->last_seen_ms) / 1000.0);
    } else {
        add_null(d, o, "last_seen_age_s");
    }
    if (n->battery_mv >= 0) {
        add_num(d, o, "battery_mv", n->battery_mv);
    } else {
        add_null(d, o, "battery_mv");
    }
    if (n->has_rssi) {
        add_num(d, o, "rssi", n->rssi);
    } else {
        add_null(d, o, "rssi");
    }
    if (n->has_snr) {
        add_num(d, o, "snr", n->snr);
    } else {
        add_null(d, o, "snr");
    }
    add_str(d, o, "bearer", n->bearer[0] != '\0' ? n->bearer : NULL);
    add_str(d, o, "state", web_state_name(n->state));
}

static void add_zones(struct doc *d, const struct config_fusion *fu)
{
    cJSON *arr = chk(d, cJSON_AddArrayToObject(d->root, "zones"));
    unsigned i;
    unsigned k;

    for (i = 0; arr != NULL && i < fu->zone_count; i++) {
        const struct config_zone *z = &fu->zones[i];
        cJSON *o = chk(d, cJSON_CreateObject());
        cJSON *poly;

        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            d->ok = false;
            return;
        }
        add_str(d, o, "name", z->name);
        (void)chk(d, cJSON_AddBoolToObject(o, "critical", z->critical));
        if (z->has_circle) {
            add_num(d, o, "lat", z->lat);
            add_num(d, o, "lon", z->lon);
            add_num(d, o, "radius_m", z->radius_m);
            continue;
        }
        poly = chk(d, cJSON_AddArrayToObject(o, "polygon"));
        for (k = 0; poly != NULL && k < z->polygon_len; k++) {
            const double ll[2] = {z->polygon[k][0], z->polygon[k][1]};

            cJSON *pt = chk(d, cJSON_CreateDoubleArray(ll, 2));

            if (pt != NULL && !cJSON_AddItemToArray(poly, pt)) {
                cJSON_Delete(pt);
                d->ok = false;
            }
        }
    }
}

static void add_alerts(struct doc *d, const struct web_fleet *f)
{
    cJSON *arr = chk(d, cJSON_AddArrayToObject(d->root, "alerts"));
    size_t i;

    for (i = 0; arr != NULL && i < f->alert_count; i++) {
        const struct web_alert *a = &f->alerts[i];
        cJSON *o = a->json != NULL ? cJSON_Duplicate(a->json, true) : cJSON_CreateObject();

        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            d->ok = false;
            return;
        }
        /* The row's own fields win over the message's: they are what fusion holds now. */
        cJSON_DeleteItemFromObjectCaseSensitive(o, "class");
        cJSON_DeleteItemFromObjectCaseSensitive(o, "level");
        add_str(d, o, "class", a->cls);
        add_str(d, o, "level", a->level);
        add_time(d, o, "opened", a->opened_ms);
        add_time(d, o, "changed", a->changed_ms);
    }
}

static void add_rates(struct doc *d, struct web_rates *rates)
{
    struct web_rate r[STORE_BEARER_COUNT];
    cJSON *arr = chk(d, cJSON_AddArrayToObject(d->root, "rates"));
    int b;

    memset(r, 0, sizeof(r));
    if (rates != NULL) {
        web_rates_get(rates, r);
    }
    for (b = 0; arr != NULL && b < STORE_BEARER_COUNT; b++) {
        cJSON *o = chk(d, cJSON_CreateObject());

        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            d->ok = false;
            return;
        }
        add_str(d, o, "bearer", store_bearer_name((enum store_bearer)b));
        if (r[b].valid) {
            add_num(d, o, "accepted_per_min", r[b].accepted_per_min);
            add_num(d, o, "refused_per_min", r[b].refused_per_min);
            add_num(d, o, "span_s", r[b].span_s);
        } else {
            add_null(d, o, "accepted_per_min");
            add_null(d, o, "refused_per_min");
            add_null(d, o, "span_s");
        }
    }
}

/* One event row (columns of EVENT_COLS from column @c0) as an object of @arr. */
#define EVENT_COLS                                                                                 \
    "e.kind, e.time_ms, e.devaddr, e.class_id, e.confidence, e.battery_mv, e.temp_c,"              \
    " e.windows, e.anomalous, e.score_max"

static void add_event(struct doc *d, cJSON *arr, sqlite3_stmt *st, const struct config *cfg)
{
    cJSON *o = chk(d, cJSON_CreateObject());
    char hex[HEX_DEVADDR_STR_LEN];
    const char *cls = NULL;

    if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        d->ok = false;
        return;
    }
    add_str(d, o, "kind", (const char *)sqlite3_column_text(st, 0));
    add_time(d, o, "time", sqlite3_column_int64(st, 1));
    hex_format_devaddr((uint32_t)sqlite3_column_int64(st, 2), hex);
    add_str(d, o, "devaddr", hex);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        cls = config_class_name(&cfg->fusion, (uint8_t)sqlite3_column_int(st, 3));
    }
    add_str(d, o, "class", cls);
    if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
        add_num(d, o, "confidence", sqlite3_column_double(st, 4) / 255.0);
    } else {
        add_null(d, o, "confidence");
    }
    add_col(d, o, "battery_mv", st, 5);
    add_col(d, o, "temp_c", st, 6);
    add_col(d, o, "windows", st, 7);
    add_col(d, o, "anomalous", st, 8);
    add_col(d, o, "score_max", st, 9);
}

static int add_recent_events(struct doc *d, struct web_db *db, const struct config *cfg)
{
    cJSON *arr = chk(d, cJSON_AddArrayToObject(d->root, "events"));
    sqlite3_stmt *st = NULL;
    int rc = web_db_prepare(db,
                            "SELECT " EVENT_COLS " FROM events e ORDER BY e.received_ms DESC,"
                            " e.id DESC LIMIT ?1",
                            &st);

    if (rc == 0) {
        (void)sqlite3_bind_int(st, 1, (int)WEB_JSON_STATUS_EVENTS);
    }
    while (rc == 0 && arr != NULL && (rc = web_db_step(db, st)) == 1) {
        add_event(d, arr, st, cfg);
        rc = 0;
    }
    (void)sqlite3_finalize(st);
    return rc;
}

int web_json_status(struct web_db *db, const struct config *cfg, struct web_rates *rates,
                    int64_t now_ms, char **out)
{
    struct doc d = {cJSON_CreateObject(), true};
    struct web_fleet f;
    cJSON *arr;
    cJSON *states;
    size_t i;
    int rc;

    assert(db != NULL && cfg != NULL && out != NULL);
    d.ok = d.root != NULL;
    rc = web_fleet_load(db, &cfg->fusion.health, now_ms, &f);
    if (rc == 0) {
        rc = add_recent_events(&d, db, cfg);
    }
    if (rc == 0 && d.ok) {
        add_time(&d, d.root, "time", now_ms);
        add_str(&d, d.root, "gateway", cfg->gateway.id);
        add_str(&d, d.root, "site", cfg->gateway.site);
        add_str(&d, d.root, "tiles", cfg->web.tiles[0] != '\0' ? cfg->web.tiles : NULL);
        add_zones(&d, &cfg->fusion);
        arr = chk(&d, cJSON_AddArrayToObject(d.root, "nodes"));
        for (i = 0; arr != NULL && i < f.node_count; i++) {
            add_node(&d, arr, NULL, &f.nodes[i], now_ms);
        }
        states = chk(&d, cJSON_AddObjectToObject(d.root, "states"));
        for (i = 0; states != NULL && i < WEB_STATE_COUNT; i++) {
            add_num(&d, states, web_state_name((enum web_state)i), (double)f.state_count[i]);
        }
        add_alerts(&d, &f);
        add_rates(&d, rates);
    }
    web_fleet_free(&f);
    return finish(&d, rc, out);
}

int web_json_transitions(struct web_db *db, int64_t since_ms, unsigned limit, char **out)
{
    struct doc d = {cJSON_CreateObject(), true};
    cJSON *arr = chk(&d, cJSON_AddArrayToObject(d.root, "transitions"));
    sqlite3_stmt *st = NULL;
    int rc;

    assert(db != NULL && out != NULL);
    d.ok = d.ok && d.root != NULL;
    rc = web_db_prepare(db,
                        "SELECT json FROM alert_transitions WHERE time_ms >= ?1"
                        " ORDER BY time_ms DESC, alert_id DESC, seq DESC LIMIT ?2",
                        &st);
    if (rc == 0) {
        (void)sqlite3_bind_int64(st, 1, since_ms);
        (void)sqlite3_bind_int(st, 2, (int)limit);
    }
    while (rc == 0 && arr != NULL && (rc = web_db_step(db, st)) == 1) {
        cJSON *o = cJSON_Parse((const char *)sqlite3_column_text(st, 0));

        rc = 0;
        if (o != NULL && !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            d.ok = false;
        }
    }
    (void)sqlite3_finalize(st);
    return finish(&d, rc, out);
}

/* Rows of @sql (?1 DevAddr, ?2 limit) into array @name of the root, each by @add. */
static int add_node_rows(struct doc *d, struct web_db *db, const char *name, const char *sql,
                         uint32_t devaddr, unsigned limit, const struct config *cfg,
                         void (*add)(struct doc *, cJSON *, sqlite3_stmt *, const struct config *))
{
    cJSON *arr = chk(d, cJSON_AddArrayToObject(d->root, name));
    sqlite3_stmt *st = NULL;
    int rc = web_db_prepare(db, sql, &st);

    if (rc == 0) {
        (void)sqlite3_bind_int64(st, 1, devaddr);
        (void)sqlite3_bind_int(st, 2, (int)limit);
    }
    while (rc == 0 && arr != NULL && (rc = web_db_step(db, st)) == 1) {
        add(d, arr, st, cfg);
        rc = 0;
    }
    (void)sqlite3_finalize(st);
    return rc;
}

static void add_battery(struct doc *d, cJSON *arr, sqlite3_stmt *st, const struct config *cfg)
{
    cJSON *o = chk(d, cJSON_CreateObject());

    (void)cfg;
    if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        d->ok = false;
        return;
    }
    add_time(d, o, "time", sqlite3_column_int64(st, 0));
    add_col(d, o, "battery_mv", st, 1);
    add_col(d, o, "temp_c", st, 2);
}

static void add_reception(struct doc *d, cJSON *arr, sqlite3_stmt *st, const struct config *cfg)
{
    cJSON *o = chk(d, cJSON_CreateObject());

    (void)cfg;
    if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        d->ok = false;
        return;
    }
    add_time(d, o, "time", sqlite3_column_int64(st, 0));
    add_num(d, o, "fcnt", sqlite3_column_double(st, 1));
    add_str(d, o, "bearer", (const char *)sqlite3_column_text(st, 2));
    add_str(d, o, "gateway", (const char *)sqlite3_column_text(st, 3));
    add_col(d, o, "rssi", st, 4);
    add_col(d, o, "snr", st, 5);
}

/* A node's rows go through its frames, newest counter first: the (devaddr, fcnt) index,
 * then events_frame (0001_initial.sql says why events have no index by node). */
static const char node_events_sql[] =
    "SELECT " EVENT_COLS " FROM frames f JOIN events e ON e.frame_id = f.id"
    " WHERE f.devaddr = ?1 ORDER BY f.fcnt DESC, e.id DESC LIMIT ?2";
static const char node_battery_sql[] =
    "SELECT e.time_ms, e.battery_mv, e.temp_c FROM frames f JOIN events e ON e.frame_id = f.id"
    " WHERE f.devaddr = ?1 AND e.kind = 'health' ORDER BY f.fcnt DESC LIMIT ?2";
static const char node_radio_sql[] =
    "SELECT received_ms, fcnt, bearer, gateway, rssi, snr FROM frames WHERE devaddr = ?1"
    " ORDER BY fcnt DESC LIMIT ?2";

int web_json_node(struct web_db *db, const struct config *cfg, uint32_t devaddr, unsigned limit,
                  int64_t now_ms, char **out)
{
    struct doc d = {cJSON_CreateObject(), true};
    struct web_fleet f;
    const struct web_node *n = NULL;
    size_t i;
    int rc;

    assert(db != NULL && cfg != NULL && out != NULL);
    d.ok = d.root != NULL;
    rc = web_fleet_load(db, &cfg->fusion.health, now_ms, &f);
    for (i = 0; rc == 0 && i < f.node_count && n == NULL; i++) {
        n = f.nodes[i].devaddr == devaddr ? &f.nodes[i] : NULL;
    }
    if (rc == 0 && n == NULL) {
        rc = -ENOENT;
    }
    if (rc == 0 && d.ok) {
        add_node(&d, d.root, "node", n, now_ms);
        rc = add_node_rows(&d, db, "events", node_events_sql, devaddr, limit, cfg, add_event);
    }
    if (rc == 0) {
        rc = add_node_rows(&d, db, "battery", node_battery_sql, devaddr, limit, cfg, add_battery);
    }
    if (rc == 0) {
        rc = add_node_rows(&d, db, "reception", node_radio_sql, devaddr, limit, cfg, add_reception);
    }
    web_fleet_free(&f);
    return finish(&d, rc, out);
}
