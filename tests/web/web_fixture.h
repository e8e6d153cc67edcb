/* SPDX-License-Identifier: MIT
 * What the tests of web/ share: a real database made by the daemon's own store_open() (every
 * migration applied) in a fresh /tmp directory, filled with SQL by the test, and a config with
 * two zones. A small fleet (fill_fleet()) at a fixed "now": an ok node, an alerting one, one
 * with a low battery, one offline, one never heard, named with HTML in it.
 */
#ifndef PROJ_TESTS_WEB_WEB_FIXTURE_H
#define PROJ_TESTS_WEB_WEB_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "store/store.h"

#define NOW_MS 1800000000000LL /* the tests' "now", Unix ms */

struct fixture {
    char dir[64];
    char path[96];
    struct config cfg;
    sqlite3 *db; /* a writing connection of the test's own */
};

static inline void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
    }
}

static inline int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct store *st = NULL;
    char err[512];
    struct config_zone *z;

    if (f == NULL) {
        return -1;
    }
    (void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_web.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    (void)snprintf(f->path, sizeof(f->path), "%s/tinyfleet.db", f->dir);
    if (store_open(f->path, 1, &st, err, sizeof(err)) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    store_close(st);
    config_defaults(&f->cfg);
    (void)snprintf(f->cfg.storage.path, sizeof(f->cfg.storage.path), "%s", f->path);
    (void)snprintf(f->cfg.gateway.id, sizeof(f->cfg.gateway.id), "gw-test");
    f->cfg.fusion.zone_count = 2;
    z = &f->cfg.fusion.zones[0];
    (void)snprintf(z->name, sizeof(z->name), "corridor");
    z->has_circle = true;
    z->lat = -2.66;
    z->lon = 37.26;
    z->radius_m = 1000;
    z = &f->cfg.fusion.zones[1];
    (void)snprintf(z->name, sizeof(z->name), "railway");
    z->critical = true;
    z->polygon_len = 3;
    z->polygon[0][0] = -2.62;
    z->polygon[0][1] = 37.18;
    z->polygon[1][0] = -2.62;
    z->polygon[1][1] = 37.33;
    z->polygon[2][0] = -2.61;
    z->polygon[2][1] = 37.25;
    if (sqlite3_open(f->path, &f->db) != SQLITE_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    (void)sqlite3_close(f->db);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* The fleet. Keys are all 0x2B...: the output must never contain them. */
#define KEY_HEX "2B7E151628AED2A6ABF7158809CF4F3C"
static inline void fill_fleet(struct fixture *f)
{
    exec_sql(
        f->db,
        "INSERT INTO nodes (devaddr, name, profile, lat, lon, zone, nwkskey, appskey, has_fcnt,"
        " last_fcnt, last_seen_ms, battery_mv, created_ms) VALUES"
        /* 26011F00 ok: heard 60 s ago, 3600 mV */
        " (637607680, 'ok-node', 'elephant', -2.660, 37.260, 'corridor', x'" KEY_HEX "', x'" KEY_HEX
        "', 1, 2, 1799999940000, 3600, 1),"
        /* 26011F01 alerting (in the elephant alert's node list) */
        " (637607681, '<script>alert(1)</script>', 'elephant', -2.661, 37.262, 'corridor',"
        " x'" KEY_HEX "', x'" KEY_HEX "', 1, 1, 1799999950000, 3700, 1),"
        /* 26011F02 battery low: 3200 mV at or below the default 3300 */
        " (637607682, 'low', 'whale', NULL, NULL, '', x'" KEY_HEX "', x'" KEY_HEX "', 1, 1,"
        " 1799999990000, 3200, 1),"
        /* 26011F03 offline: 2 h ago, over the default 3600 s */
        " (637607683, 'quiet', 'turbine', -4.0, 39.8, '', x'" KEY_HEX "', x'" KEY_HEX "', 1, 1,"
        " 1799992800000, 3900, 1),"
        /* 26011F04 never heard */
        " (637607684, 'new', 'turbine', NULL, NULL, '', x'" KEY_HEX "', x'" KEY_HEX "', 0, 0, 0,"
        " -1, 1);"
        "INSERT INTO frames (id, devaddr, fcnt, fport, confirmed, received_ms, payload, bearer,"
        " gateway, rssi, snr) VALUES"
        " (1, 637607680, 1, 2, 0, 1799999900000, x'00', 'lora', 'AA555A0000000001', -100, 5.5),"
        " (2, 637607680, 2, 1, 0, 1799999940000, x'00', 'lora', 'AA555A0000000001', -90, 7.25),"
        " (3, 637607681, 1, 1, 0, 1799999950000, x'00', 'coap', '127.0.0.1:40000', NULL, NULL);"
        "INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms, class_id, confidence,"
        " battery_mv, temp_c) VALUES"
        " (1, 637607680, 'health', 1799999900000, 1799999900000, NULL, NULL, 3600, 25),"
        " (2, 637607680, 'detection', 1799999940000, 1799999930000, 1, 204, NULL, NULL),"
        " (3, 637607681, 'detection', 1799999950000, 1799999950000, 1, 255, NULL, NULL);"
        "INSERT INTO alerts (id, class, topic_key, level, state, seq, opened_ms, changed_ms, json)"
        " VALUES (7, 'elephant', 'corridor', 'critical', 'escalate', 2, 1799999000000,"
        " 1799999950000, '{\"id\":7,\"seq\":2,\"class\":\"elephant\",\"zone\":\"corridor\","
        "\"level\":\"critical\",\"state\":\"escalate\",\"nodes\":[\"26011F01\"],\"lat\":-2.661,"
        "\"lon\":37.262,\"message\":\"Elephant <b>near</b>\"}'),"
        " (8, 'whale', 'lane', 'watch', 'cleared', 2, 1799000000000, 1799000100000, '{}');"
        "INSERT INTO alert_transitions (alert_id, seq, time_ms, json) VALUES"
        " (7, 1, 1799999000000, '{\"id\":7,\"seq\":1,\"state\":\"open\"}'),"
        " (7, 2, 1799999950000, '{\"id\":7,\"seq\":2,\"state\":\"escalate\"}'),"
        " (8, 1, 1700000000000, '{\"id\":8,\"seq\":1,\"state\":\"open\"}');"
        "INSERT INTO counters (bearer, reason, count) VALUES ('lora', 'accepted', 1234),"
        " ('lora', 'bad_mic', 5), ('coap', 'accepted', 77), ('coap', 'nonsense', 9);"
        "INSERT INTO outbox (topic, payload, retain, created_ms) VALUES"
        " ('t/a', x'00', 1, 1799999990000), ('t/b', x'00', 0, 1799999995000);");
}

#endif
