/* SPDX-License-Identifier: MIT
 * Unit tests for the store (daemon/store/) on a real SQLite file in a fresh /tmp directory per
 * test: migrations, the newer-schema refusal, the node registry, the batch (store_uplink,
 * store_flush, savepoints, UNIQUE(devaddr, fcnt)), a COMMIT that really fails (a VFS that
 * fails writes to the WAL file, as a full disk would), counters, pruning and the reads.
 * Results are also checked through a second, plain sqlite3 connection: what is in the file.
 */
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

/* ---- a VFS that can fail writes to WAL files (SQLITE_FULL, as a full disk) ---- */

struct fault_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, in the same allocation, after this */
    bool is_wal;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static bool fail_wal_writes;
static int wal_writes_failed;

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((struct fault_file *)(void *)f)->real;
}

static int f_close(sqlite3_file *f)
{
    return real_of(f)->pMethods->xClose(real_of(f));
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (fail_wal_writes && ((struct fault_file *)(void *)f)->is_wal) {
        wal_writes_failed++;
        return SQLITE_FULL;
    }
    return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int f_lock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int f_unlock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int f_check_reserved(sqlite3_file *f, int *out)
{
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int f_device(sqlite3_file *f)
{
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return real_of(f)->pMethods->xShmMap(real_of(f), pg, pgsz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    return real_of(f)->pMethods->xFetch(real_of(f), off, amt, pp);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods fault_methods = {
    3,           f_close,   f_read,     f_write,          f_truncate,     f_sync,
    f_file_size, f_lock,    f_unlock,   f_check_reserved, f_file_control, f_sector_size,
    f_device,    f_shm_map, f_shm_lock, f_shm_barrier,    f_shm_unmap,    f_fetch,
    f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    struct fault_file *f = (struct fault_file *)(void *)file;
    int rc;

    (void)vfs;
    f->real = (sqlite3_file *)(void *)(f + 1);
    f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
    /* SQLite calls xClose only when pMethods is set: only on success. */
    f->base.pMethods = rc == SQLITE_OK ? &fault_methods : NULL;
    return rc;
}

/* Makes the fault VFS the default, so store_open() uses it. */
static void fault_vfs_install(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_int_equal(real_vfs->iVersion >= 3, 1);
    fault_vfs = *real_vfs; /* everything but opening files stays the real VFS's */
    fault_vfs.pNext = NULL;
    fault_vfs.zName = "fault";
    fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real_vfs->szOsFile;
    fault_vfs.xOpen = f_open;
    fail_wal_writes = false;
    wal_writes_failed = 0;
    assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

static void fault_vfs_remove(void)
{
    assert_int_equal(sqlite3_vfs_unregister(&fault_vfs), SQLITE_OK);
    assert_int_equal(sqlite3_vfs_register(real_vfs, 1), SQLITE_OK);
}

/* ---- helpers ---- */

static int setup(void **state)
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

static int teardown(void **state)
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

static struct store *open_ok(struct fixture *fx)
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
static int64_t sql_int(const char *path, const char *sql)
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

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void add_node(struct store *s, uint32_t devaddr, const char *zone)
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

static struct store_rx rx_at(int64_t time_ms)
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
static int uplink(struct store *s, uint32_t devaddr, uint32_t fcnt, uint8_t fport,
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

static struct proto_tfp_msg detections(uint8_t class_a, uint8_t class_b)
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

static struct proto_tfp_msg health(uint16_t battery_mv)
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

static struct proto_tfp_msg anomaly(void)
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

static int collect(const struct store_event *e, void *arg)
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

static int events(struct store *s, struct store_event_filter f, struct seen *sn)
{
    memset(sn, 0, sizeof(*sn));
    return store_events_foreach(s, &f, collect, sn);
}

static const struct store_event_filter ALL = {0, false, 0, -1, 0};

/* ---- migrations and opening ---- */

static void test_store_open_migrates_empty_and_reopens(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;

    open_ok(fx);
    assert_true(store_schema_latest() >= 1);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                       " AND name IN ('nodes', 'frames', 'later_receptions',"
                                       " 'events', 'gateway_stats', 'counters')"),
                     6);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
                                       " AND name = 'receptions'"),
                     1);
    add_node(fx->s, DEV_A, "north");
    store_close(fx->s);
    fx->s = NULL;

    /* Again: nothing to apply, the data is still there. */
    open_ok(fx);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_string_equal(n.zone, "north");
}

/* A database of schema 2 with frames heard once and twice: 0003 moves each frame's first
 * reception into its row, keeps the later ones, and the view shows all of them. */
static void test_store_migrates_receptions_of_schema_2(void **state)
{
    struct fixture *fx = *state;
    size_t i;

    for (i = 0; i < 2; i++) {
        assert_int_equal(store__migrations[i].version, (int)i + 1);
        sql_exec(fx->path, store__migrations[i].sql);
    }
    sql_exec(fx->path,
             "PRAGMA user_version = 2;"
             "INSERT INTO nodes (devaddr, nwkskey, appskey, has_fcnt, last_fcnt, created_ms)"
             " VALUES (1, zeroblob(16), zeroblob(16), 1, 2, 0);"
             "INSERT INTO frames (id, devaddr, fcnt, fport, confirmed, received_ms, payload)"
             " VALUES (1, 1, 1, 1, 0, 1000, x''), (2, 1, 2, 1, 0, 2000, x'');"
             "INSERT INTO receptions (frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz,"
             " datr) VALUES (1, 'coap', '10.0.0.1:5683', 1000, NULL, NULL, NULL, NULL),"
             " (2, 'lora', 'AA555A0000000001', 2000, -97, 7.5, 868100000, 'SF7BW125'),"
             " (2, 'lora', 'AA555A0000000002', 2030, -110, -2.5, 868100000, 'SF7BW125');");
    open_ok(fx);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE id = 1 AND"
                                       " bearer = 'coap' AND gateway = '10.0.0.1:5683'"
                                       " AND rssi IS NULL"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE id = 2 AND"
                                       " gateway = 'AA555A0000000001' AND rssi = -97"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM later_receptions WHERE frame_id = 2"
                                       " AND gateway = 'AA555A0000000002' AND time_ms = 2030"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM later_receptions"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 3);
    assert_int_equal(sql_int(fx->path, "SELECT sum(time_ms) FROM receptions"), 5030);
}

static void test_store_open_wal_and_foreign_keys(void **state)
{
    struct fixture *fx = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    open_ok(fx);
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Foreign keys are on in the store's connection: a frame of an unknown node is refused
     * by the database itself. */
    assert_int_equal(uplink(fx->s, DEV_B, 1, 9, NULL, 5000), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
}

/* The daemon's connection: foreign keys off, integrity held by the store itself. */
static void test_store_daemon_mode_keeps_integrity(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;
    struct store_rx rx = rx_at(6000);
    int64_t frame_id = 0;

    open_ok(fx);
    add_node(fx->s, DEV_A, "north");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.devaddr, DEV_A);
    assert_int_equal(n.nwkskey[0], 0x11);
    assert_int_equal(n.appskey[15], 0x22);
    assert_false(n.has_fcnt);
    assert_string_equal(n.zone, "");
    assert_int_equal(store_node_auth(fx->s, DEV_B, &n), -ENOENT);
    /* A frame of a node that is not there is refused (the node's UPDATE finds no row) and
     * leaves nothing behind. */
    assert_int_not_equal(uplink(fx->s, DEV_B, 1, 9, NULL, 5000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    /* A later copy of a frame that is gone. */
    assert_int_equal(store_reception(fx->s, 999999, &rx), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_true(n.has_fcnt);
    assert_int_equal(n.last_fcnt, 1);
    frame_id = sql_int(fx->path, "SELECT id FROM frames WHERE devaddr = 637607680");
    assert_int_equal(store_reception(fx->s, frame_id, &rx), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions r WHERE NOT EXISTS"
                                       " (SELECT 1 FROM frames f WHERE f.id = r.frame_id)"),
                     0);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    struct fixture *fx = *state;
    char want[64];
    char sql[64];
    char err[256] = "";
    struct store *s = NULL;

    open_ok(fx);
    store_close(fx->s);
    fx->s = NULL;
    (void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_latest() + 1);
    sql_exec(fx->path, sql);

    assert_int_equal(store_open(fx->path, 1, &s, err, sizeof(err)), -EPROTO);
    assert_null(s);
    (void)snprintf(want, sizeof(want), "version %d", store_schema_latest() + 1);
    assert_non_null(strstr(err, want));
    (void)snprintf(want, sizeof(want), "(%d)", store_schema_latest());
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "newer"));
    /* Refused without touching it. */
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), store_schema_latest() + 1);
}

static void test_store_open_existing_missing(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    struct store *s = NULL;

    assert_int_equal(store_open_existing(fx->path, 2, &s, err, sizeof(err)), -ENOENT);
    assert_null(s);
    assert_non_null(strstr(err, fx->path));
    assert_int_equal(access(fx->path, F_OK), -1); /* not created */

    open_ok(fx);
    store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(store_open_existing(fx->path, 2, &fx->s, err, sizeof(err)), 0);
}

static void test_store_open_not_a_database(void **state)
{
    struct fixture *fx = *state;
    char path[128];
    char err[256] = "";
    struct store *s = NULL;
    FILE *f;

    (void)snprintf(path, sizeof(path), "%s/garbage", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++) {
        (void)fputs("this is not an SQLite database\n", f);
    }
    assert_int_equal(fclose(f), 0);
    assert_int_equal(store_open(path, 1, &s, err, sizeof(err)), -EIO);
    assert_null(s);
    assert_non_null(strstr(err, "not a database"));
    assert_int_equal(store_open(fx->path, 3, &s, err, sizeof(err)), -EINVAL);
}

/* ---- node registry ---- */

static int count_nodes(const struct store_node *n, void *arg)
{
    uint32_t *order = arg;

    order[order[0] + 1] = n->devaddr;
    order[0]++;
    return n->devaddr == DEV_A + 7 ? 42 : 0;
}

static void test_store_node_add_get_remove(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;
    struct store_node got;
    uint32_t order[8] = {0};

    open_ok(fx);
    memset(&n, 0, sizeof(n));
    n.devaddr = DEV_B;
    (void)snprintf(n.name, sizeof(n.name), "waterhole east");
    (void)snprintf(n.profile, sizeof(n.profile), "elephant");
    n.has_position = true;
    n.lat = -1.2921;
    n.lon = 36.8219;
    (void)snprintf(n.zone, sizeof(n.zone), "village");
    for (unsigned i = 0; i < PROTO_AES_KEY; i++) {
        n.nwkskey[i] = (uint8_t)i;
        n.appskey[i] = (uint8_t)(0xF0 + i);
    }
    n.battery_mv = -1;
    n.created_ms = 1764100000123;
    assert_int_equal(store_node_add(fx->s, &n), 0);
    assert_int_equal(store_node_add(fx->s, &n), -EEXIST);

    assert_int_equal(store_node_get(fx->s, DEV_B, &got), 0);
    assert_int_equal(got.devaddr, DEV_B);
    assert_string_equal(got.name, "waterhole east");
    assert_string_equal(got.profile, "elephant");
    assert_string_equal(got.zone, "village");
    assert_true(got.has_position);
    assert_true(got.lat == n.lat && got.lon == n.lon);
    assert_memory_equal(got.nwkskey, n.nwkskey, PROTO_AES_KEY);
    assert_memory_equal(got.appskey, n.appskey, PROTO_AES_KEY);
    assert_false(got.has_fcnt);
    assert_int_equal(got.battery_mv, -1);
    assert_int_equal(got.last_seen_ms, 0);
    assert_int_equal(got.created_ms, 1764100000123);
    assert_int_equal(store_node_get(fx->s, DEV_A, &got), -ENOENT);

    /* The schema refuses a latitude beyond the pole. */
    n.devaddr = DEV_A + 9;
    n.lat = 91.0;
    assert_int_equal(store_node_add(fx->s, &n), -EINVAL);

    /* DevAddr order, and the callback's non-zero value stops the walk. */
    add_node(fx->s, DEV_A + 7, "");
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, 0xFFFFFFFFu, "");
    assert_int_equal(store_node_foreach(fx->s, count_nodes, order), 42);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], DEV_A);
    assert_int_equal(order[2], DEV_B);
    assert_int_equal(order[3], DEV_A + 7);
    assert_int_equal(store_node_get(fx->s, 0xFFFFFFFFu, &got), 0);

    assert_int_equal(store_node_remove(fx->s, DEV_B), 0);
    assert_int_equal(store_node_remove(fx->s, DEV_B), -ENOENT);
    assert_int_equal(store_node_get(fx->s, DEV_B, &got), -ENOENT);
}

static void test_store_node_remove_deletes_history(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg m = detections(1, 4);
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, DEV_B, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &m, 100000), 0);
    assert_int_equal(uplink(fx->s, DEV_B, 1, 0, &m, 100000), 0);
    /* Registry writes wait for the batch: they are not part of it. */
    assert_int_equal(store_node_remove(fx->s, DEV_A), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_remove(fx->s, DEV_A), 0);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_int_equal(sn.ev[0].devaddr, DEV_B);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 1);
}

/* ---- the batch ---- */

static void test_store_uplink_flush_events(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg det = detections(1, 4);
    struct proto_tfp_msg h = health(3300);
    struct proto_tfp_msg a = anomaly();
    struct store_event_filter f = ALL;
    struct store_node n;
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "north");
    add_node(fx->s, DEV_B, "south");
    assert_false(store_pending(fx->s));
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &det, 1000000), 0);
    assert_true(store_pending(fx->s));
    assert_int_equal(uplink(fx->s, DEV_A, 2, 0, &h, 2000000), 0);
    assert_int_equal(uplink(fx->s, DEV_B, 70000, 0, &a, 3000000), 0);
    assert_int_equal(uplink(fx->s, DEV_B, 70001, 42, NULL, 4000000), 0);

    /* Not in the file before the flush: another connection sees nothing. */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_false(store_pending(fx->s));
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 4);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions WHERE rssi = -97"), 4);

    /* Newest first: raw, anomaly, health, then the two detections (insertion order reversed). */
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 5);
    assert_string_equal(sn.ev[0].kind, "raw");
    assert_int_equal(sn.ev[0].msg.port, 42);
    assert_int_equal(sn.ev[0].raw_len, 4);
    assert_int_equal(sn.ev[0].raw[0], 0xDE);
    assert_int_equal(sn.ev[0].fcnt, 70001);
    assert_string_equal(sn.ev[1].kind, "anomaly");
    assert_int_equal(sn.ev[1].msg.u.anomaly.score_max, 250);
    assert_int_equal(sn.ev[1].msg.u.anomaly.period_s, 600);
    assert_string_equal(sn.ev[2].kind, "health");
    assert_int_equal(sn.ev[2].msg.u.health.battery_mv, 3300);
    assert_int_equal(sn.ev[2].msg.u.health.temp_c, -12);
    assert_int_equal(sn.ev[2].msg.u.health.uptime_s, 4000000000u);
    assert_int_equal(sn.ev[2].time_ms, 2000000);
    assert_string_equal(sn.ev[3].kind, "detection");
    assert_int_equal(sn.ev[3].msg.port, PROTO_TFP_PORT_DETECTIONS);
    assert_int_equal(sn.ev[3].msg.u.det.count, 1);
    assert_int_equal(sn.ev[3].msg.u.det.rec[0].class_id, 4);
    assert_int_equal(sn.ev[3].msg.u.det.rec[0].age_s, 4660);
    /* A detection happened age_s before it was received. */
    assert_int_equal(sn.ev[3].time_ms, 1000000 - 4660 * 1000);
    assert_int_equal(sn.ev[4].msg.u.det.rec[0].class_id, 1);
    assert_int_equal(sn.ev[4].msg.u.det.rec[0].confidence, 200);
    assert_int_equal(sn.ev[4].received_ms, 1000000);
    assert_int_equal(sn.ev[4].time_ms, 1000000 - 10000);
    assert_int_equal(sn.ev[4].devaddr, DEV_A);
    assert_int_equal(sn.ev[4].fcnt, 1);

    /* Filters: node, class, since, limit, and a stop from the callback. */
    f.has_devaddr = true;
    f.devaddr = DEV_B;
    assert_int_equal(events(fx->s, f, &sn), 0);
    assert_int_equal(sn.n, 2);
    f = ALL;
    f.class_id = 4;
    assert_int_equal(events(fx->s, f, &sn), 0);
    assert_int_equal(sn.n, 1);
    assert_int_equal(sn.ev[0].msg.u.det.rec[0].class_id, 4);
    f.has_devaddr = true;
    f.devaddr = DEV_B;
    assert_int_equal(events(fx->s, f, &sn), 0);
    assert_int_equal(sn.n, 0);
    f = ALL;
    f.since_ms = 2000000;
    assert_int_equal(events(fx->s, f, &sn), 0);
    assert_int_equal(sn.n, 3);
    f = ALL;
    f.limit = 2;
    assert_int_equal(events(fx->s, f, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_string_equal(sn.ev[1].kind, "anomaly");
    memset(&sn, 0, sizeof(sn));
    sn.stop_after = 1;
    assert_int_equal(store_events_foreach(fx->s, &ALL, collect, &sn), 99);
    assert_int_equal(sn.n, 1);

    /* The nodes moved on: counter, last seen, battery from the health message. */
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_true(n.has_fcnt);
    assert_int_equal(n.last_fcnt, 2);
    assert_int_equal(n.last_seen_ms, 2000000);
    assert_int_equal(n.battery_mv, 3300);
    assert_int_equal(store_node_get(fx->s, DEV_B, &n), 0);
    assert_int_equal(n.last_fcnt, 70001);
    assert_int_equal(n.battery_mv, -1);
}

static void test_store_uplink_refuses_duplicate(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3000);
    struct proto_tfp_msg bad = detections(1, 2);
    struct store_node n;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(uplink(fx->s, DEV_A, 4, 0, &h, 10000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 5, 0, &h, 11000), 0);
    /* The same counter again, in the batch: UNIQUE(devaddr, fcnt) refuses it ... */
    assert_int_equal(uplink(fx->s, DEV_A, 5, 0, &h, 12000), -EEXIST);
    /* ... and an older one, which would move the stored counter back. */
    assert_int_equal(uplink(fx->s, DEV_A, 3, 0, &h, 12000), -EEXIST);
    /* Messages store_uplink cannot store. */
    bad.u.det.count = 9;
    assert_int_equal(uplink(fx->s, DEV_A, 6, 0, &bad, 12000), -EINVAL);
    bad.port = 7;
    assert_int_equal(uplink(fx->s, DEV_A, 6, 0, &bad, 12000), -EINVAL);
    /* The refusals undid only themselves: the batch's frames commit. */
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 2);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 5);
    assert_int_equal(n.last_seen_ms, 11000);

    /* After the commit too. */
    assert_int_equal(uplink(fx->s, DEV_A, 5, 0, &h, 13000), -EEXIST);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 2);
}

/* A frame refused after some of its rows went in (the node's counter is checked last) is
 * deleted again, all of it, and the frames around it in the batch are untouched. */
static void test_store_uplink_refused_frame_undone(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg det = detections(1, 4);
    struct proto_tfp_msg h = health(3100);
    struct store_node n;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, DEV_B, "");
    assert_int_equal(uplink(fx->s, DEV_A, 5, 0, &det, 10000), 0);
    /* Counter 3: the frame, its reception and both detections are written, then the node's
     * update finds 5 stored and refuses; all four rows go again. */
    assert_int_equal(uplink(fx->s, DEV_A, 3, 0, &det, 11000), -EEXIST);
    assert_non_null(strstr(store_errmsg(fx->s), "not above"));
    assert_int_equal(uplink(fx->s, DEV_B, 1, 0, &det, 12000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 6, 0, &h, 13000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 3);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE fcnt = 3"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 3);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events WHERE received_ms = 11000"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events e WHERE NOT EXISTS"
                                       " (SELECT 1 FROM frames f WHERE f.id = e.frame_id)"),
                     0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 6);
    assert_int_equal(n.last_seen_ms, 13000);
    assert_int_equal(n.battery_mv, 3100);
}

static void test_store_reception_and_gateway_stat(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3000);
    struct store_rx rx = rx_at(10500);
    struct store_uplink up;
    int64_t id = 0;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    memset(&up, 0, sizeof(up));
    up.devaddr = DEV_A;
    up.fcnt = 1;
    up.fport = 2;
    up.msg = &h; /* no payload: as a frame without FPort would have */
    rx.bearer = STORE_BEARER_COAP;
    rx.has_radio = false;
    (void)snprintf(rx.gateway, sizeof(rx.gateway), "127.0.0.1:40000");
    up.rx = &rx;
    assert_int_equal(store_uplink(fx->s, &up, &id), 0);
    rx = rx_at(10510);
    (void)snprintf(rx.gateway, sizeof(rx.gateway), "AA555A0000000002");
    assert_int_equal(store_reception(fx->s, id, &rx), 0);
    assert_int_equal(store_reception(fx->s, id + 1000, &rx), -ENOENT);
    assert_int_equal(store_gateway_stat(fx->s, "AA555A0000000002", 10600, "{\"rxnb\":2}"), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions WHERE bearer = 'coap'"
                                       " AND rssi IS NULL"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT length(payload) FROM frames"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT json_extract(json, '$.rxnb') FROM gateway_stats"),
                     2);
}

/* A COMMIT that fails for real: the WAL file cannot be written (SQLITE_FULL). */
static void test_store_flush_failure_keeps_state(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h1 = health(3300);
    struct proto_tfp_msg h2 = health(2900);
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct store_node n;
    struct seen sn;

    fault_vfs_install();
    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &h1, 10000), 0);
    store_count(fx->s, STORE_BEARER_LORA, STORE_ACCEPTED);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(uplink(fx->s, DEV_A, 2, 0, &h2, 20000), 0);
    store_count(fx->s, STORE_BEARER_LORA, STORE_ACCEPTED);
    store_count(fx->s, STORE_BEARER_LORA, STORE_BAD_MIC);
    fail_wal_writes = true;
    assert_int_equal(store_flush(fx->s), -EIO);
    fail_wal_writes = false;
    assert_true(wal_writes_failed > 0);
    assert_true(strlen(store_errmsg(fx->s)) > 0);

    /* Nothing of the batch: the node's counter, last seen and battery are as before it. */
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 1);
    assert_int_equal(n.last_seen_ms, 10000);
    assert_int_equal(n.battery_mv, 3300);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 1);
    assert_int_equal(sql_int(fx->path, "SELECT last_fcnt FROM nodes"), 1);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_ACCEPTED], 1);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_BAD_MIC], 0);

    /* The counts wait for the next flush; the frame that was not stored counts as
     * storage_failed, not accepted. */
    assert_true(store_pending(fx->s));
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_ACCEPTED], 1);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_STORAGE_FAILED], 1);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_BAD_MIC], 1);

    /* The node retries: the same counter is accepted now, nothing was half-stored. */
    assert_int_equal(uplink(fx->s, DEV_A, 2, 0, &h2, 30000), 0);
    store_count(fx->s, STORE_BEARER_LORA, STORE_ACCEPTED);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 2);
    assert_int_equal(n.battery_mv, 2900);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_ACCEPTED], 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 2);

    store_close(fx->s);
    fx->s = NULL;
    fault_vfs_remove();
}

/* The daemon's node cache: another connection's change is seen at the next batch (PRAGMA
 * data_version), the daemon's own counter moves with its frames, and a batch that failed to
 * commit leaves no cached counter ahead of the file. */
static void test_store_node_auth_cache(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;

    fault_vfs_install();
    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.nwkskey[0], 0x11);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_true(n.has_fcnt);
    assert_int_equal(n.last_fcnt, 1);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(store_node_place(fx->s, DEV_A, &n), 0);
    assert_string_equal(n.zone, "");
    assert_false(n.has_position);
    assert_int_equal(store_flush(fx->s), 0); /* reads open the batch: let the CLI write */

    /* The CLI re-registers the node with new keys, a new counter state and a new place. */
    sql_exec(fx->path, "UPDATE nodes SET nwkskey = zeroblob(16), has_fcnt = 0, last_fcnt = 0,"
                       " zone = 'east', lat = -2.5, lon = 37.5");
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.nwkskey[0], 0x00);
    assert_false(n.has_fcnt);
    assert_int_equal(store_node_place(fx->s, DEV_A, &n), 0);
    assert_string_equal(n.zone, "east");
    assert_true(n.has_position && n.lat == -2.5 && n.lon == 37.5);
    assert_int_equal(n.nwkskey[0], 0x00); /* place() gives no keys */
    assert_int_equal(store_node_place(fx->s, DEV_B, &n), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    /* ... and removes it: unknown from the next batch on. */
    sql_exec(fx->path, "DELETE FROM nodes");
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);

    /* A frame whose batch fails to commit: the next batch reads the counter from the file. */
    assert_int_equal(uplink(fx->s, DEV_A, 7, 9, NULL, 6000), 0);
    fail_wal_writes = true;
    assert_int_equal(store_flush(fx->s), -EIO);
    fail_wal_writes = false;
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_false(n.has_fcnt);
    assert_int_equal(store_flush(fx->s), 0);

    store_close(fx->s);
    fx->s = NULL;
    fault_vfs_remove();
}

/* Another connection holds the write lock past the busy timeout: the first write of a
 * batch fails after waiting, and leaves no batch behind. */
static void test_store_uplink_busy_database(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3000);
    struct timespec t0;
    struct timespec t1;
    sqlite3 *other = NULL;
    double waited;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &h, 1000), -EIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited > 4.5); /* the 5 s busy timeout, so CLI and daemon can share */
    assert_non_null(strstr(store_errmsg(fx->s), "locked"));
    assert_false(store_pending(fx->s));
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &h, 1000), 0);
    assert_int_equal(store_flush(fx->s), 0);
}

static void test_store_counters_add_up(void **state)
{
    struct fixture *fx = *state;
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    int i;

    open_ok(fx);
    assert_int_equal(store_flush(fx->s), 0); /* nothing pending */
    for (i = 0; i < 5; i++) {
        store_count(fx->s, STORE_BEARER_COAP, STORE_ACCEPTED);
    }
    store_count(fx->s, STORE_BEARER_LORA, STORE_REPLAY);
    store_count(fx->s, STORE_BEARER_COUNT, STORE_REPLAY);      /* ignored */
    store_count(fx->s, STORE_BEARER_LORA, STORE_REASON_COUNT); /* ignored */
    assert_true(store_pending(fx->s));
    assert_int_equal(store_flush(fx->s), 0);
    assert_false(store_pending(fx->s));
    store_count(fx->s, STORE_BEARER_COAP, STORE_ACCEPTED);
    store_count(fx->s, STORE_BEARER_LORA, STORE_BAD_DATAGRAM);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_COAP][STORE_ACCEPTED], 6);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_REPLAY], 1);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_BAD_DATAGRAM], 1);
    assert_int_equal(counts[STORE_BEARER_LORA][STORE_ACCEPTED], 0);
    assert_int_equal(sql_int(fx->path, "SELECT count FROM counters WHERE bearer = 'coap'"
                                       " AND reason = 'accepted'"),
                     6);
    /* Survive a reopen. */
    store_close(fx->s);
    fx->s = NULL;
    open_ok(fx);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_COAP][STORE_ACCEPTED], 6);
}

static void test_store_close_commits_pending(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg a = anomaly();
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &a, 1000), 0);
    store_count(fx->s, STORE_BEARER_COAP, STORE_ACCEPTED);
    store_close(fx->s);
    fx->s = NULL;
    open_ok(fx);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 1);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_COAP][STORE_ACCEPTED], 1);
}

static void test_store_prune_batches(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg det = detections(1, 2);
    struct store_node n;
    struct seen sn;
    int total = 0;
    int calls = 0;
    int rc;
    uint32_t i;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    /* 25 old frames of 4 rows each (frame with its first reception, a later reception, two
     * events), 3 old forwarder stats, then 5 recent frames. */
    for (i = 1; i <= 25; i++) {
        struct store_rx later = rx_at(1000 + i);

        assert_int_equal(uplink(fx->s, DEV_A, i, 0, &det, 1000 + i), 0);
        assert_int_equal(store_reception(fx->s, i, &later), 0);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(store_gateway_stat(fx->s, "AA555A0000000001", 2000 + i, "{}"), 0);
    }
    for (i = 26; i <= 30; i++) {
        assert_int_equal(uplink(fx->s, DEV_A, i, 0, &det, 1000000 + i), 0);
    }
    /* Not while a batch is open: only store_flush() commits one. */
    assert_int_equal(store_prune(fx->s, 500000, 7), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_prune(fx->s, 500000, 0), -EINVAL);

    do {
        rc = store_prune(fx->s, 500000, 7);
        assert_true(rc >= 0 && rc <= 7);
        total += rc;
        calls++;
    } while (rc > 0 && calls < 100);
    assert_int_equal(rc, 0);
    assert_int_equal(total, 25 * 4 + 3);
    assert_int_equal(calls, 103 / 7 + 1 + 1); /* 14 full steps, one of 5, the final 0 */

    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 10);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM gateway_stats"), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 30);
    assert_int_equal(store_prune(fx->s, 500000, 7), 0);
}

static void test_store_names(void **state)
{
    (void)state;
    assert_string_equal(store_bearer_name(STORE_BEARER_COAP), "coap");
    assert_string_equal(store_bearer_name(STORE_BEARER_LORA), "lora");
    assert_string_equal(store_bearer_name(STORE_BEARER_COUNT), "unknown");
    assert_string_equal(store_reason_name(STORE_ACCEPTED), "accepted");
    assert_string_equal(store_reason_name(STORE_UNKNOWN_NODE), "unknown_node");
    assert_string_equal(store_reason_name(STORE_STORAGE_FAILED), "storage_failed");
    assert_string_equal(store_reason_name(STORE_REASON_COUNT), "unknown");
    for (int r = 0; r < STORE_REASON_COUNT; r++) {
        assert_string_not_equal(store_reason_name((enum store_reason)r), "unknown");
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_open_migrates_empty_and_reopens),
        T(test_store_migrates_receptions_of_schema_2),
        T(test_store_open_wal_and_foreign_keys),
        T(test_store_daemon_mode_keeps_integrity),
        T(test_store_node_auth_cache),
        T(test_store_open_refuses_newer_schema),
        T(test_store_open_existing_missing),
        T(test_store_open_not_a_database),
        T(test_store_node_add_get_remove),
        T(test_store_node_remove_deletes_history),
        T(test_store_uplink_flush_events),
        T(test_store_uplink_refuses_duplicate),
        T(test_store_uplink_refused_frame_undone),
        T(test_store_reception_and_gateway_stat),
        T(test_store_flush_failure_keeps_state),
        T(test_store_uplink_busy_database),
        T(test_store_counters_add_up),
        T(test_store_close_commits_pending),
        T(test_store_prune_batches),
        cmocka_unit_test(test_store_names),
    };

    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
