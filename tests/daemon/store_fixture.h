/* SPDX-License-Identifier: MIT
 * What the store's unit tests share: a fresh /tmp directory and database path per test, and
 * helpers that register nodes, store frames in the open batch and read rows back, through the
 * store and through a plain sqlite3 connection of their own (what is in the file).
 */
#ifndef PROJ_TESTS_DAEMON_STORE_FIXTURE_H
#define PROJ_TESTS_DAEMON_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

#define DEV_A 0x26011F00u
#define DEV_B 0x26011F01u

struct fixture {
    char dir[64];
    char path[96];
    struct store *s;
};

static inline int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_store.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/tinyfleet.db", fx->dir);
    *state = fx;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[128];
    size_t i;

    store_close(fx->s);
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
        (void)unlink(p);
    }
    (void)snprintf(p, sizeof(p), "%s/garbage", fx->dir);
    (void)unlink(p);
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

static inline struct store *open_ok(struct fixture *fx)
{
    char err[256] = "";
    int rc = store_open(fx->path, 1, &fx->s, err, sizeof(err));

    if (rc != 0) {
        print_error("store_open: %d %s\n", rc, err);
    }
    assert_int_equal(rc, 0);
    return fx->s;
}

/* The first column of the first row of @sql, on a connection of its own. */
static inline int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static inline void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static inline void add_node(struct store *s, uint32_t devaddr, const char *zone)
{
    struct store_node n;

    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    (void)snprintf(n.name, sizeof(n.name), "node-%08X", (unsigned)devaddr);
    (void)snprintf(n.profile, sizeof(n.profile), "elephant");
    (void)snprintf(n.zone, sizeof(n.zone), "%s", zone);
    memset(n.nwkskey, 0x11, sizeof(n.nwkskey));
    memset(n.appskey, 0x22, sizeof(n.appskey));
    n.battery_mv = -1;
    n.created_ms = 1000;
    assert_int_equal(store_node_add(s, &n), 0);
}

static inline struct store_rx rx_at(int64_t time_ms)
{
    struct store_rx rx;

    memset(&rx, 0, sizeof(rx));
    rx.bearer = STORE_BEARER_LORA;
    (void)snprintf(rx.gateway, sizeof(rx.gateway), "AA555A0000000001");
    rx.time_ms = time_ms;
    rx.has_radio = true;
    rx.rssi_dbm = -97;
    rx.snr_db = 7.5;
    rx.freq_hz = 868100000;
    (void)snprintf(rx.datr, sizeof(rx.datr), "SF7BW125");
    return rx;
}

/* Stores one frame of @msg (NULL: raw with @fport) and returns store_uplink()'s code. */
static inline int uplink(struct store *s, uint32_t devaddr, uint32_t fcnt, uint8_t fport,
                         const struct proto_tfp_msg *msg, int64_t time_ms)
{
    static const uint8_t payload[] = {0xDE, 0xAD, 0xBE, 0xEF};
    struct store_rx rx = rx_at(time_ms);
    struct store_uplink up;
    int64_t id = -1;
    int rc;

    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.fcnt = fcnt;
    up.fport = msg != NULL ? msg->port : fport;
    up.payload = payload;
    up.payload_len = sizeof(payload);
    up.msg = msg;
    up.rx = &rx;
    rc = store_uplink(s, &up, &id);
    if (rc == 0) {
        assert_true(id > 0);
    }
    return rc;
}

static inline struct proto_tfp_msg detections(uint8_t class_a, uint8_t class_b)
{
    struct proto_tfp_msg m;

    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_DETECTIONS;
    m.u.det.count = 2;
    m.u.det.rec[0].class_id = class_a;
    m.u.det.rec[0].confidence = 200;
    m.u.det.rec[0].age_s = 10;
    m.u.det.rec[0].duration_s = 5;
    m.u.det.rec[0].level_db = 12;
    m.u.det.rec[1].class_id = class_b;
    m.u.det.rec[1].confidence = 255;
    m.u.det.rec[1].age_s = 4660;
    m.u.det.rec[1].duration_s = 255;
    m.u.det.rec[1].level_db = 0;
    return m;
}

static inline struct proto_tfp_msg health(uint16_t battery_mv)
{
    struct proto_tfp_msg m;

    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_HEALTH;
    m.u.health.battery_mv = battery_mv;
    m.u.health.temp_c = -12;
    m.u.health.uptime_s = 4000000000u;
    m.u.health.model_id = 0x1234;
    m.u.health.model_ver = 3;
    m.u.health.inferences = 60000;
    m.u.health.detections = 17;
    m.u.health.tx_failures = 2;
    return m;
}

static inline struct proto_tfp_msg anomaly(void)
{
    struct proto_tfp_msg m;

    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_ANOMALY;
    m.u.anomaly.windows = 60;
    m.u.anomaly.anomalous = 7;
    m.u.anomaly.score_mean = 80;
    m.u.anomaly.score_max = 250;
    m.u.anomaly.peak_band = 9;
    m.u.anomaly.period_s = 600;
    return m;
}

/* Collects events for checking. */
struct seen {
    int n;
    struct store_event ev[16];
    uint8_t raw[16][8];
    int stop_after; /* return 99 from the callback after this many; 0 = never */
};

static inline int collect(const struct store_event *e, void *arg)
{
    struct seen *sn = arg;

    if (sn->n < 16) {
        sn->ev[sn->n] = *e;
        if (e->raw != NULL && e->raw_len <= sizeof(sn->raw[0])) {
            memcpy(sn->raw[sn->n], e->raw, e->raw_len);
            sn->ev[sn->n].raw = sn->raw[sn->n];
        }
    }
    sn->n++;
    return sn->stop_after > 0 && sn->n >= sn->stop_after ? 99 : 0;
}

static inline int events(struct store *s, struct store_event_filter f, struct seen *sn)
{
    memset(sn, 0, sizeof(*sn));
    return store_events_foreach(s, &f, collect, sn);
}

static const struct store_event_filter ALL = {0, false, 0, -1, 0};

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
