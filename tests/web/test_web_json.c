/* SPDX-License-Identifier: MIT
 * Unit tests of tinyfleet-web's JSON API builders (web/web_json.c, web_fleet.c, web_db.c)
 * against a real database the daemon's store made (web_fixture.h): each node's state, the
 * zones, the active alerts only, events and transitions newest first with their limits, a
 * node's history, names kept as text, keys never read; and the database missing, locked or
 * without tables giving the codes the HTTP layer answers 503 for.
 */
#include <errno.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "web_fixture.h"
#include "web_db.h"
#include "web_json.h"

static cJSON *status_json(struct fixture *f)
{
    struct web_db *db = NULL;
    char *text = NULL;
    cJSON *j;

    assert_int_equal(web_db_open(f->path, &db), 0);
    assert_int_equal(web_json_status(db, &f->cfg, NULL, NOW_MS, &text), 0);
    web_db_close(db);
    /* No key, in any spelling, anywhere in what the page gets. */
    assert_null(strstr(text, KEY_HEX));
    assert_null(strstr(text, "2b7e1516"));
    assert_null(strstr(text, "skey"));
    j = cJSON_Parse(text);
    cJSON_free(text);
    assert_non_null(j);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

    return s != NULL ? s : "(null)";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_web_json_status_states(void **state)
{
    struct fixture *f = *state;
    static const char *const want[][3] = {
        {"26011F00", "ok-node", "ok"},      {"26011F01", "<script>alert(1)</script>", "alerting"},
        {"26011F02", "low", "battery_low"}, {"26011F03", "quiet", "offline"},
        {"26011F04", "new", "offline"},
    };
    cJSON *j;
    const cJSON *nodes;
    const cJSON *n;
    size_t i;

    fill_fleet(f);
    j = status_json(f);
    nodes = cJSON_GetObjectItemCaseSensitive(j, "nodes");
    assert_int_equal(cJSON_GetArraySize(nodes), 5);
    for (i = 0; i < 5; i++) {
        n = cJSON_GetArrayItem(nodes, (int)i);
        assert_string_equal(str(n, "devaddr"), want[i][0]);
        assert_string_equal(str(n, "name"), want[i][1]);
        assert_string_equal(str(n, "state"), want[i][2]);
    }
    /* the ok node: its last frame's radio, battery, age */
    n = cJSON_GetArrayItem(nodes, 0);
    assert_int_equal((int)num(n, "rssi"), -90);
    assert_true(num(n, "snr") == 7.25);
    assert_string_equal(str(n, "bearer"), "lora");
    assert_int_equal((int)num(n, "battery_mv"), 3600);
    assert_int_equal((int)num(n, "last_seen_age_s"), 60);
    assert_true(num(n, "lat") == -2.66);
    /* a CoAP frame has no radio; a node never heard has no time and no battery */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 1), "rssi")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 4), "last_seen")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 4), "battery_mv")));
    n = cJSON_GetObjectItemCaseSensitive(j, "states");
    assert_int_equal((int)num(n, "ok"), 1);
    assert_int_equal((int)num(n, "alerting"), 1);
    assert_int_equal((int)num(n, "battery_low"), 1);
    assert_int_equal((int)num(n, "offline"), 2);
    assert_int_equal((int)num(n, "learning"), 0);
    cJSON_Delete(j);
    /* the ok node's last health says it is learning its machine (migrations/0009) */
    exec_sql(f->db, "UPDATE nodes SET learn = 1, learn_progress = 40 WHERE devaddr = 637607680");
    j = status_json(f);
    assert_string_equal(
        str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "nodes"), 0), "state"),
        "learning");
    n = cJSON_GetObjectItemCaseSensitive(j, "states");
    assert_int_equal((int)num(n, "ok"), 0);
    assert_int_equal((int)num(n, "learning"), 1);
    cJSON_Delete(j);
}

static void test_web_json_status_alerts_zones_events(void **state)
{
    struct fixture *f = *state;
    const cJSON *a;
    const cJSON *z;
    const cJSON *e;
    cJSON *j;

    fill_fleet(f);
    j = status_json(f);
    assert_string_equal(str(j, "gateway"), "gw-test");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "tiles")));
    /* only the active alert, with the row's class and level and the message's centroid */
    a = cJSON_GetObjectItemCaseSensitive(j, "alerts");
    assert_int_equal(cJSON_GetArraySize(a), 1);
    a = cJSON_GetArrayItem(a, 0);
    assert_int_equal((int)num(a, "id"), 7);
    assert_string_equal(str(a, "class"), "elephant");
    assert_string_equal(str(a, "level"), "critical");
    assert_string_equal(str(a, "message"), "Elephant <b>near</b>");
    assert_true(num(a, "lat") == -2.661);
    assert_string_equal(str(a, "opened"), "2027-01-15T07:43:20.000Z");
    /* zones: a circle and a polygon */
    z = cJSON_GetObjectItemCaseSensitive(j, "zones");
    assert_int_equal(cJSON_GetArraySize(z), 2);
    assert_true(num(cJSON_GetArrayItem(z, 0), "radius_m") == 1000);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(z, 1), "polygon")),
                     3);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(z, 1), "critical")));
    /* events newest first, detections with their class name and confidence 0..1 */
    e = cJSON_GetObjectItemCaseSensitive(j, "events");
    assert_int_equal(cJSON_GetArraySize(e), 3);
    assert_string_equal(str(cJSON_GetArrayItem(e, 0), "devaddr"), "26011F01");
    assert_string_equal(str(cJSON_GetArrayItem(e, 0), "class"), "elephant");
    assert_true(num(cJSON_GetArrayItem(e, 0), "confidence") == 1.0);
    assert_string_equal(str(cJSON_GetArrayItem(e, 2), "kind"), "health");
    /* rates: one per bearer, unknown without a rates history */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rates")), STORE_BEARER_COUNT);
    cJSON_Delete(j);
}

static void test_web_json_transitions(void **state)
{
    struct fixture *f = *state;
    struct web_db *db = NULL;
    char *text = NULL;
    cJSON *j;
    const cJSON *t;

    fill_fleet(f);
    assert_int_equal(web_db_open(f->path, &db), 0);
    /* the last 24 h: alert 7's two, newest first; alert 8's is older */
    assert_int_equal(web_json_transitions(db, NOW_MS - 86400000, 100, &text), 0);
    j = cJSON_Parse(text);
    cJSON_free(text);
    t = cJSON_GetObjectItemCaseSensitive(j, "transitions");
    assert_int_equal(cJSON_GetArraySize(t), 2);
    assert_string_equal(str(cJSON_GetArrayItem(t, 0), "state"), "escalate");
    assert_string_equal(str(cJSON_GetArrayItem(t, 1), "state"), "open");
    cJSON_Delete(j);
    assert_int_equal(web_json_transitions(db, 0, 1, &text), 0);
    j = cJSON_Parse(text);
    cJSON_free(text);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "transitions")), 1);
    cJSON_Delete(j);
    web_db_close(db);
}

static void test_web_json_node(void **state)
{
    struct fixture *f = *state;
    struct web_db *db = NULL;
    char *text = NULL;
    const cJSON *a;
    cJSON *j;

    fill_fleet(f);
    assert_int_equal(web_db_open(f->path, &db), 0);
    assert_int_equal(web_json_node(db, &f->cfg, 0x26011F00u, 50, NOW_MS, &text), 0);
    assert_null(strstr(text, KEY_HEX));
    j = cJSON_Parse(text);
    cJSON_free(text);
    assert_string_equal(str(cJSON_GetObjectItem(j, "node"), "state"), "ok");
    a = cJSON_GetObjectItem(j, "events");
    assert_int_equal(cJSON_GetArraySize(a), 2);
    assert_string_equal(str(cJSON_GetArrayItem(a, 0), "kind"), "detection");
    assert_true(num(cJSON_GetArrayItem(a, 0), "confidence") == 0.8);
    a = cJSON_GetObjectItem(j, "battery");
    assert_int_equal(cJSON_GetArraySize(a), 1);
    assert_int_equal((int)num(cJSON_GetArrayItem(a, 0), "battery_mv"), 3600);
    a = cJSON_GetObjectItem(j, "reception");
    assert_int_equal(cJSON_GetArraySize(a), 2);
    assert_int_equal((int)num(cJSON_GetArrayItem(a, 0), "rssi"), -90);
    assert_int_equal((int)num(cJSON_GetArrayItem(a, 1), "rssi"), -100);
    cJSON_Delete(j);
    /* limit 1: one of each */
    assert_int_equal(web_json_node(db, &f->cfg, 0x26011F00u, 1, NOW_MS, &text), 0);
    j = cJSON_Parse(text);
    cJSON_free(text);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "reception")), 1);
    cJSON_Delete(j);
    assert_int_equal(web_json_node(db, &f->cfg, 0x26011FFFu, 50, NOW_MS, &text), -ENOENT);
    assert_null(text);
    web_db_close(db);
}

static void test_web_db_unavailable(void **state)
{
    struct fixture *f = *state;
    struct web_db *db = NULL;
    char path[160];
    char *text = NULL;
    sqlite3 *w = NULL;

    /* missing: never created */
    (void)snprintf(path, sizeof(path), "%s/none.db", f->dir);
    assert_int_equal(web_db_open(path, &db), -ENOENT);
    assert_null(db);
    assert_int_equal(access(path, F_OK), -1);
    /* a file without the tables (not migrated): an error, not a crash */
    (void)snprintf(path, sizeof(path), "%s/empty.db", f->dir);
    assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
    exec_sql(w, "CREATE TABLE x (a INTEGER)");
    assert_int_equal(web_db_open(path, &db), 0);
    assert_int_equal(web_json_status(db, &f->cfg, NULL, NOW_MS, &text), -EIO);
    assert_non_null(strstr(web_db_error(db), "no such table"));
    web_db_close(db);
    /* locked: a rollback-journal database a writer holds exclusively */
    exec_sql(w, "BEGIN EXCLUSIVE; INSERT INTO x VALUES (1)");
    assert_int_equal(web_db_open(path, &db), 0);
    assert_int_equal(web_json_transitions(db, 0, 10, &text), -EBUSY);
    web_db_close(db);
    exec_sql(w, "COMMIT");
    (void)sqlite3_close(w);
}

static void test_web_db_never_writes(void **state)
{
    struct fixture *f = *state;
    struct web_db *db = NULL;
    sqlite3_stmt *st = NULL;

    fill_fleet(f);
    assert_int_equal(web_db_open(f->path, &db), 0);
    assert_int_equal(web_db_prepare(db, "DELETE FROM nodes", &st), 0);
    assert_true(web_db_step(db, st) < 0);
    (void)sqlite3_finalize(st);
    web_db_close(db);
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT count(*) FROM nodes", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 5);
    (void)sqlite3_finalize(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_web_json_status_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_json_status_alerts_zones_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_json_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_json_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_db_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_db_never_writes, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
