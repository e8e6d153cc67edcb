/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/mqtt/homeassistant.c and store_discovery.c on a real SQLite file:
 * what a sync queues in the outbox (every config at start, each zone sensor's state from the
 * active alerts, nothing again when nothing changed), a node removed by another connection
 * (the CLI) found by the poll and its configs and state emptied, also across a restart,
 * discovery turned off emptying everything, and an alert's ON/OFF state and attributes.
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
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "mqtt/homeassistant.h"
#include "store/store.h"

#define T0    1700000000000LL
#define DEV_A 0x26011F00u
#define DEV_B 0x26011F01u

struct fixture {
    char dir[64];
    char path[96];
    struct store *s;
    struct config cfg;
    struct homeassistant *h;
};

static void add_node(struct store *s, uint32_t devaddr, const char *name)
{
    struct store_node n;

    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    n.battery_mv = -1;
    (void)snprintf(n.name, sizeof(n.name), "%s", name);
    assert_int_equal(store_node_add(s, &n), 0);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct config_fusion *f;
    char err[256] = "";

    if (fx == NULL) {
        return -1;
    }
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_homeassistant.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/tinyfleet.db", fx->dir);
    if (store_open(fx->path, 1, &fx->s, err, sizeof(err)) != 0 || store_daemon_mode(fx->s) != 0) {
        print_error("store_open: %s\n", err);
        return -1;
    }
    config_defaults(&fx->cfg);
    (void)snprintf(fx->cfg.gateway.id, sizeof(fx->cfg.gateway.id), "gw-t");
    (void)snprintf(fx->cfg.mqtt.prefix, sizeof(fx->cfg.mqtt.prefix), "tf");
    fx->cfg.mqtt.homeassistant = true;
    /* Two zones; a cluster rule for elephant only: two zone sensors. */
    f = &fx->cfg.fusion;
    f->zone_count = 2;
    (void)snprintf(f->zones[0].name, CONFIG_NAME_MAX, "village");
    (void)snprintf(f->zones[1].name, CONFIG_NAME_MAX, "river");
    f->rule_count = 2;
    f->rules[0].type = CONFIG_RULE_CLUSTER;
    f->rules[0].class_id = 1;
    f->rules[1].type = CONFIG_RULE_PERSISTENCE;
    f->rules[1].class_id = 3;
    add_node(fx->s, DEV_A, "tree 1");
    add_node(fx->s, DEV_B, "");
    assert_int_equal(homeassistant_new(&fx->cfg.mqtt, "gw-t", fx->s, NULL, &fx->h), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[128];
    size_t i;

    homeassistant_free(fx->h);
    store_close(fx->s);
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
        (void)unlink(p);
    }
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

/* The outbox as "topic payload" lines, each followed by '\n'; then emptied (as PUBACKs
 * would). */
struct outbox {
    char text[32768];
    int rows;
    int64_t last;
};

static int read_row(const struct store_outbox_msg *m, void *arg)
{
    struct outbox *o = arg;
    size_t used = strlen(o->text);

    assert_true(m->retain);
    (void)snprintf(o->text + used, sizeof(o->text) - used, "%s %.*s\n", m->topic,
                   (int)m->payload_len, (const char *)m->payload);
    o->rows++;
    o->last = m->id;
    return 0;
}

static void drain(struct fixture *fx, struct outbox *o)
{
    int64_t id;

    memset(o, 0, sizeof(*o));
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_outbox_foreach(fx->s, 0, 0, read_row, o), 0);
    for (id = 0; id <= o->last; id++) {
        assert_int_equal(store_outbox_delete(fx->s, id), 0);
    }
    assert_int_equal(store_flush(fx->s), 0);
}

static bool has_line(const struct outbox *o, const char *start)
{
    const char *p = o->text;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, start, strlen(start)) == 0) {
            return true;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}

static int count_recorded(const char *topic, const char *payload, void *arg)
{
    (void)topic;
    (void)payload;
    (*(int *)arg)++;
    return 0;
}

static int recorded(struct fixture *fx)
{
    int n = 0;

    assert_int_equal(store_discovery_foreach(fx->s, count_recorded, &n), 0);
    return n;
}

#define HA "homeassistant/"

static void test_homeassistant_sync_all_then_only_changes(void **state)
{
    struct fixture *fx = *state;
    struct outbox o;

    /* status + 2 zones x elephant + 2 nodes x 2 sensors = 7 configs, and 2 states */
    assert_int_equal(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0), 9);
    drain(fx, &o);
    assert_int_equal(o.rows, 9);
    assert_true(has_line(&o, HA "binary_sensor/tinyfleet_gw-t/status/config {"));
    assert_true(has_line(&o, HA "binary_sensor/tinyfleet_gw-t/village_elephant/config {"));
    assert_true(has_line(&o, HA "binary_sensor/tinyfleet_gw-t/river_elephant/config {"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f00_battery/config {"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f01_last_seen/config {"));
    /* no alert active: OFF; persistence rules make no zone sensor */
    assert_true(has_line(&o, "tf/ha/elephant/village/state OFF\n"));
    assert_true(has_line(&o, "tf/ha/elephant/river/state OFF\n"));
    assert_false(strstr(o.text, "machine_anomaly") != NULL);
    assert_int_equal(recorded(fx), 7);

    /* Nothing changed: a sync without @all and a poll queue nothing. */
    assert_int_equal(homeassistant_sync(fx->h, &fx->cfg.fusion, false, T0), 0);
    assert_int_equal(homeassistant_poll(fx->h, &fx->cfg.fusion, T0), 0);
    /* A zone taken out of the config (a reload): its sensor and its states are emptied. */
    fx->cfg.fusion.zone_count = 1;
    assert_int_equal(homeassistant_sync(fx->h, &fx->cfg.fusion, false, T0), 3);
    drain(fx, &o);
    assert_true(has_line(&o, HA "binary_sensor/tinyfleet_gw-t/river_elephant/config \n"));
    assert_true(has_line(&o, "tf/ha/elephant/river/state \n"));
    assert_true(has_line(&o, "tf/ha/elephant/river/attributes \n"));
    assert_int_equal(recorded(fx), 6);
}

static void test_homeassistant_poll_sees_a_node_removed_by_the_cli(void **state)
{
    struct fixture *fx = *state;
    struct store *cli = NULL;
    struct outbox o;
    char err[256] = "";

    assert_true(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0) > 0);
    drain(fx, &o);
    /* Another connection, as `tinyfleet node remove` and `node add` are. */
    assert_int_equal(store_open(fx->path, 1, &cli, err, sizeof(err)), 0);
    assert_int_equal(store_node_remove(cli, DEV_A), 0);
    add_node(cli, 0x26011F02u, "new");
    /* 2 configs and the seen state emptied, 2 configs new */
    assert_int_equal(homeassistant_poll(fx->h, &fx->cfg.fusion, T0), 5);
    drain(fx, &o);
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f00_battery/config \n"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f00_last_seen/config \n"));
    assert_true(has_line(&o, "tf/ha/node/26011F00/seen \n"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f02_battery/config {"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f02_last_seen/config {"));
    /* The health topic is not ours to empty. */
    assert_false(strstr(o.text, "tf/node/26011F00/health") != NULL);

    /* Removed while the daemon was stopped: the next start (a sync of everything) empties
     * it, from the record in the store. */
    assert_int_equal(store_node_remove(cli, DEV_B), 0);
    homeassistant_free(fx->h);
    fx->h = NULL;
    assert_int_equal(homeassistant_new(&fx->cfg.mqtt, "gw-t", fx->s, NULL, &fx->h), 0);
    assert_true(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0) > 0);
    drain(fx, &o);
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f01_battery/config \n"));
    assert_true(has_line(&o, HA "sensor/tinyfleet_gw-t/26011f02_battery/config {"));
    store_close(cli);
}

static void test_homeassistant_off_empties_what_was_announced(void **state)
{
    struct fixture *fx = *state;
    struct outbox o;

    assert_true(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0) > 0);
    drain(fx, &o);
    fx->cfg.mqtt.homeassistant = false;
    /* 7 configs emptied, and the states they named: 2 zones x 2, 2 nodes' seen */
    assert_int_equal(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0), 7 + 4 + 2);
    drain(fx, &o);
    assert_true(has_line(&o, HA "binary_sensor/tinyfleet_gw-t/status/config \n"));
    assert_false(strstr(o.text, "{") != NULL);
    assert_int_equal(recorded(fx), 0);
    assert_int_equal(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0), 0);
}

static void test_homeassistant_alert_state_and_attributes(void **state)
{
    struct fixture *fx = *state;
    struct store_alert a = {7, 1, "elephant", "village", "watch", "open", T0, T0, "{\"id\":7}"};
    struct outbox o;

    assert_int_equal(store_alert_transition(fx->s, &a), 0);
    assert_int_equal(
        homeassistant_alert(fx->s, &fx->cfg.mqtt, "elephant", "village", true, "{\"id\":7}", T0),
        0);
    drain(fx, &o);
    assert_string_equal(o.text, "tf/ha/elephant/village/attributes {\"id\":7}\n"
                                "tf/ha/elephant/village/state ON\n");
    /* A start while it is active: its sensor says ON, the other zone's OFF. */
    assert_true(homeassistant_sync(fx->h, &fx->cfg.fusion, true, T0) > 0);
    drain(fx, &o);
    assert_true(has_line(&o, "tf/ha/elephant/village/state ON\n"));
    assert_true(has_line(&o, "tf/ha/elephant/river/state OFF\n"));
    assert_int_equal(homeassistant_alert(fx->s, &fx->cfg.mqtt, "elephant", "village", false,
                                         "{\"id\":7,\"state\":\"cleared\"}", T0),
                     0);
    drain(fx, &o);
    assert_true(has_line(&o, "tf/ha/elephant/village/state OFF\n"));
    /* Off: nothing. */
    fx->cfg.mqtt.homeassistant = false;
    assert_int_equal(
        homeassistant_alert(fx->s, &fx->cfg.mqtt, "elephant", "village", true, "{\"id\":8}", T0),
        0);
    drain(fx, &o);
    assert_int_equal(o.rows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_homeassistant_sync_all_then_only_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_homeassistant_poll_sees_a_node_removed_by_the_cli,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_homeassistant_off_empties_what_was_announced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_homeassistant_alert_state_and_attributes, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
