/* SPDX-License-Identifier: MIT
 * The fleet as the page and the metrics see it at one moment: every node with its last
 * reception and its state (web_state.h), and every active alert with its published JSON.
 * Read in one read transaction, so a node's state and the alerts agree. Never the keys: the
 * queries do not select them. Any thread, one fleet per thread.
 */
#ifndef PROJ_WEB_WEB_FLEET_H
#define PROJ_WEB_WEB_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "web_db.h"
#include "web_state.h"

struct web_node {
    uint32_t devaddr;
    char *name;    /* as registered (any text: escape it where it is shown) */
    char *profile; /* "elephant", "whale", ... as registered */
    char *zone;    /* the zone it was placed in, "" = none */
    bool has_pos;  /* lat, lon valid */
    double lat;    /* degrees WGS84 */
    double lon;
    int64_t last_seen_ms; /* Unix ms of its last accepted frame; 0 = never */
    int battery_mv;       /* last reported, mV; -1 = none */
    bool has_rssi;        /* of the last frame's first reception (LoRa only) */
    int rssi;             /* dBm */
    bool has_snr;
    double snr;     /* dB */
    char bearer[8]; /* bearer of the last frame, "" = none */
    bool learning;  /* its last health message says it is learning its machine */
    enum web_state state;
};

struct web_alert {
    int64_t id;
    char cls[CONFIG_NAME_MAX]; /* class name */
    char key[40];              /* zone or DevAddr */
    char level[12];            /* watch, warning, critical */
    int64_t opened_ms;
    int64_t changed_ms;
    cJSON *json; /* the last transition's message, parsed; NULL if it does not parse */
};

struct web_fleet {
    size_t node_count;
    struct web_node *nodes; /* by DevAddr */
    size_t alert_count;
    struct web_alert *alerts; /* by id */
    size_t state_count[WEB_STATE_COUNT];
};

/*
 * web_fleet_load() - read the nodes and the active alerts from @db at @now_ms (Unix ms), the
 * states with @health's thresholds.
 * @out: out, to release with web_fleet_free() (also after an error).
 * Return: 0; a negative code of web_db_code() (-ENOMEM included).
 */
WEB_DB_MUST_CHECK int web_fleet_load(struct web_db *db, const struct config_health *health,
                                     int64_t now_ms, struct web_fleet *out);

/* web_fleet_free() - release what web_fleet_load() filled in @f, and zero it. */
void web_fleet_free(struct web_fleet *f);

#endif
