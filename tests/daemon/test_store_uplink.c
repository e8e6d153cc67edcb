/* SPDX-License-Identifier: MIT
 * Unit tests for the store's ingest write path (daemon/store/store_uplink.c and the batch of
 * store.c): store_uplink, store_flush, savepoints, UNIQUE(devaddr, fcnt), receptions, the node
 * check's cache, a COMMIT that really fails (a VFS that fails writes to the WAL file, as a full
 * disk would), a busy database and the counters.
 */
#include "store_fixture.h"

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

/* A learning node's health (version 2) sets the node's learning state; a later version 1
 * message (a node that does not learn) sets it back to none; other frames leave it. */
static void test_store_uplink_learning_state(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3300);
    struct proto_tfp_msg a = anomaly();
    struct store_node n;

    open_ok(fx);
    add_node(fx->s, DEV_A, "north");
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.learn, PROTO_TFP_LEARN_NONE);
    h.u.health.learn = PROTO_TFP_LEARN_LEARNING;
    h.u.health.learn_progress = 42;
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &h, 1000000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.learn, PROTO_TFP_LEARN_LEARNING);
    assert_int_equal(n.learn_progress, 42);
    h.u.health.learn = PROTO_TFP_LEARN_READY;
    h.u.health.learn_progress = 100;
    h.u.health.learn_threshold = 166;
    assert_int_equal(uplink(fx->s, DEV_A, 2, 0, &h, 2000000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 3, 0, &a, 3000000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.learn, PROTO_TFP_LEARN_READY);
    assert_int_equal(n.learn_progress, 100);
    assert_int_equal(n.learn_threshold, 166);
    assert_int_equal(sql_int(fx->path, "SELECT learn_threshold FROM nodes"), 166);
    h = health(3300);
    assert_int_equal(uplink(fx->s, DEV_A, 4, 0, &h, 4000000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.learn, PROTO_TFP_LEARN_NONE);
    assert_int_equal(n.learn_threshold, 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_node_auth_cache),
        T(test_store_uplink_flush_events),
        T(test_store_uplink_learning_state),
        T(test_store_uplink_refuses_duplicate),
        T(test_store_uplink_refused_frame_undone),
        T(test_store_reception_and_gateway_stat),
        T(test_store_flush_failure_keeps_state),
        T(test_store_uplink_busy_database),
        T(test_store_counters_add_up),
    };

    return cmocka_run_group_tests_name("store_uplink", tests, NULL, NULL);
}
