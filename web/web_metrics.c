/* SPDX-License-Identifier: MIT
 * The Prometheus text of the gateway (web_metrics.h), written into an open_memstream()
 * buffer. Names follow Prometheus' conventions: base units (seconds, bytes, volts) in the
 * name, _total on counters, every family with its HELP and TYPE lines once.
 */
#include "web_metrics.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/hex.h"
#include "web_fleet.h"

static const char *const levels[] = {"watch", "warning", "critical"};

/* A label value as the exposition format wants it: backslash, quote and newline escaped. */
static void put_label(FILE *fp, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            (void)fprintf(fp, "\\%c", *v);
        } else if (*v == '\n') {
            (void)fputs("\\n", fp);
        } else {
            (void)fputc(*v, fp);
        }
    }
}

static void family(FILE *fp, const char *name, const char *type, const char *help)
{
    (void)fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_frames(FILE *fp, uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    int b;
    int r;

    family(fp, "tinyfleet_frames_total", "counter",
           "Frames and datagrams tinyfleetd counted, by bearer and reason (accepted, "
           "duplicate, or why refused), as of its last commit.");
    for (b = 0; b < STORE_BEARER_COUNT; b++) {
        for (r = 0; r < STORE_REASON_COUNT; r++) {
            (void)fprintf(fp, "tinyfleet_frames_total{bearer=\"%s\",reason=\"%s\"} %llu\n",
                          store_bearer_name((enum store_bearer)b),
                          store_reason_name((enum store_reason)r),
                          (unsigned long long)counts[b][r]);
        }
    }
}

static int put_outbox(FILE *fp, struct web_db *db, int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int64_t depth = 0;
    int64_t oldest = 0;
    int rc;

    /* outbox_size is kept by triggers; the oldest row has the lowest id (AUTOINCREMENT). */
    rc = web_db_prepare(db,
                        "SELECT (SELECT rows FROM outbox_size),"
                        " (SELECT created_ms FROM outbox ORDER BY id LIMIT 1)",
                        &st);
    if (rc == 0 && (rc = web_db_step(db, st)) == 1) {
        depth = sqlite3_column_int64(st, 0);
        oldest = sqlite3_column_int64(st, 1);
        rc = 0;
    }
    (void)sqlite3_finalize(st);
    if (rc != 0) {
        return rc;
    }
    family(fp, "tinyfleet_outbox_messages", "gauge",
           "MQTT messages waiting in the outbox for the broker's acknowledgement.");
    (void)fprintf(fp, "tinyfleet_outbox_messages %lld\n", (long long)depth);
    family(fp, "tinyfleet_outbox_oldest_age_seconds", "gauge",
           "Age of the oldest message waiting in the outbox; 0 when it is empty.");
    (void)fprintf(fp, "tinyfleet_outbox_oldest_age_seconds %.3f\n",
                  depth > 0 && oldest > 0 && now_ms > oldest ? (double)(now_ms - oldest) / 1000.0
                                                             : 0.0);
    return 0;
}

/* Active alerts by class and level: every configured class at every level (0 included, so
 * a series does not vanish when its alert clears), then any class only the database has. */
static void put_alerts(FILE *fp, const struct web_fleet *f, const struct config_fusion *fu)
{
    size_t i;
    size_t j;
    unsigned c;
    unsigned l;

    family(fp, "tinyfleet_alerts_active", "gauge",
           "Active (not cleared) alerts by class and level.");
    for (c = 0; c < CONFIG_CLASS_MAX; c++) {
        const char *cls = config_class_name(fu, (uint8_t)c);

        for (l = 0; cls != NULL && l < 3; l++) {
            size_t n = 0;

            for (i = 0; i < f->alert_count; i++) {
                n += strcmp(f->alerts[i].cls, cls) == 0 &&
                     strcmp(f->alerts[i].level, levels[l]) == 0;
            }
            (void)fprintf(fp, "tinyfleet_alerts_active{class=\"%s\",level=\"%s\"} %zu\n", cls,
                          levels[l], n);
        }
    }
    for (i = 0; i < f->alert_count; i++) {
        size_t n = 0;
        bool first = config_class_id(fu, f->alerts[i].cls) < 0;

        for (j = 0; first && j < f->alert_count; j++) {
            bool same = strcmp(f->alerts[j].cls, f->alerts[i].cls) == 0 &&
                        strcmp(f->alerts[j].level, f->alerts[i].level) == 0;

            first = !(same && j < i);
            n += same;
        }
        if (first) {
            (void)fputs("tinyfleet_alerts_active{class=\"", fp);
            put_label(fp, f->alerts[i].cls);
            (void)fputs("\",level=\"", fp);
            put_label(fp, f->alerts[i].level);
            (void)fprintf(fp, "\"} %zu\n", n);
        }
    }
}

static void put_nodes(FILE *fp, const struct web_fleet *f, int64_t now_ms)
{
    char hex[HEX_DEVADDR_STR_LEN];
    size_t shown = f->node_count < WEB_METRICS_NODES_MAX ? f->node_count : WEB_METRICS_NODES_MAX;
    size_t i;
    int s;

    family(fp, "tinyfleet_nodes", "gauge",
           "Registered nodes by state (ok, learning, battery_low, offline, alerting).");
    for (s = 0; s < WEB_STATE_COUNT; s++) {
        (void)fprintf(fp, "tinyfleet_nodes{state=\"%s\"} %zu\n", web_state_name((enum web_state)s),
                      f->state_count[s]);
    }
    family(fp, "tinyfleet_node_last_seen_age_seconds", "gauge",
           "Seconds since the node's last accepted frame (nodes never heard are left out).");
    for (i = 0; i < shown; i++) {
        if (f->nodes[i].last_seen_ms > 0) {
            hex_format_devaddr(f->nodes[i].devaddr, hex);
            (void)fprintf(fp, "tinyfleet_node_last_seen_age_seconds{devaddr=\"%s\"} %.3f\n", hex,
                          (double)(now_ms - f->nodes[i].last_seen_ms) / 1000.0);
        }
    }
    family(fp, "tinyfleet_node_battery_volts", "gauge",
           "The node's last reported battery voltage (nodes that reported none are left out).");
    for (i = 0; i < shown; i++) {
        if (f->nodes[i].battery_mv >= 0) {
            hex_format_devaddr(f->nodes[i].devaddr, hex);
            (void)fprintf(fp, "tinyfleet_node_battery_volts{devaddr=\"%s\"} %.3f\n", hex,
                          f->nodes[i].battery_mv / 1000.0);
        }
    }
    family(fp, "tinyfleet_node_series_omitted", "gauge",
           "Nodes left out of the per-node series above their cap (bounded label sets).");
    (void)fprintf(fp, "tinyfleet_node_series_omitted %zu\n", f->node_count - shown);
}

static long long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void put_files(FILE *fp, const char *path)
{
    char wal[sizeof(((struct config_storage *)NULL)->path) + 8];

    (void)snprintf(wal, sizeof(wal), "%s-wal", path);
    family(fp, "tinyfleet_database_bytes", "gauge", "Size of the SQLite database file.");
    (void)fprintf(fp, "tinyfleet_database_bytes %lld\n", file_size(path));
    family(fp, "tinyfleet_database_wal_bytes", "gauge",
           "Size of its write-ahead log (0 when there is none).");
    (void)fprintf(fp, "tinyfleet_database_wal_bytes %lld\n", file_size(wal));
}

int web_metrics_text(struct web_db *db, const struct config *cfg, int64_t now_ms, char **out,
                     size_t *len)
{
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct web_fleet f;
    FILE *fp;
    int rc;

    assert(db != NULL && cfg != NULL && out != NULL && len != NULL);
    *out = NULL;
    *len = 0;
    fp = open_memstream(out, len);
    if (fp == NULL) {
        return -ENOMEM;
    }
    rc = web_fleet_load(db, &cfg->fusion.health, now_ms, &f);
    if (rc == 0) {
        rc = web_db_counters(db, counts);
    }
    if (rc == 0) {
        put_frames(fp, counts);
        rc = put_outbox(fp, db, now_ms);
    }
    if (rc == 0) {
        put_alerts(fp, &f, &cfg->fusion);
        put_nodes(fp, &f, now_ms);
        put_files(fp, cfg->storage.path);
    }
    web_fleet_free(&f);
    if (fclose(fp) != 0 && rc == 0) {
        rc = -ENOMEM;
    }
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return rc;
}
