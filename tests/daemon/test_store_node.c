/* SPDX-License-Identifier: MIT
 * The registry writes of `tinyfleet node edit` and the reads of `node show` and `events`
 * (store.h): store_node_update() changes what the operator may change and nothing else, a
 * daemon's node cache sees the change at its next frame, and a node's and an event's
 * reception come back as they were stored.
 */
#include "store_fixture.h"

static void set_place(struct store_node *n, const char *zone, double lat, double lon)
{
    (void)snprintf(n->zone, sizeof(n->zone), "%s", zone);
    n->has_position = true;
    n->lat = lat;
    n->lon = lon;
}

static void test_store_node_update_changes_only_the_operators_fields(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3300);
    struct store_node before;
    struct store_node n;
    struct store_node got;

    open_ok(fx);
    add_node(fx->s, DEV_A, "vilage");
    assert_int_equal(uplink(fx->s, DEV_A, 5, 0, &h, 123456), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &before), 0);
    /* A registry write waits for the open batch, as node add and remove do. */
    n = before;
    assert_int_equal(store_node_update(fx->s, &n), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &before), 0);

    n = before;
    (void)snprintf(n.name, sizeof(n.name), "waterhole west");
    (void)snprintf(n.profile, sizeof(n.profile), "whale");
    set_place(&n, "village", -2.65, 37.26);
    /* Keys and counters in @n are ignored: they are the frame check's. */
    memset(n.nwkskey, 0x99, sizeof(n.nwkskey));
    n.last_fcnt = 0;
    n.has_fcnt = false;
    assert_int_equal(store_node_update(fx->s, &n), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &got), 0);
    assert_string_equal(got.name, "waterhole west");
    assert_string_equal(got.profile, "whale");
    assert_string_equal(got.zone, "village");
    assert_true(got.has_position && got.lat == -2.65 && got.lon == 37.26);
    assert_memory_equal(got.nwkskey, before.nwkskey, PROTO_AES_KEY);
    assert_memory_equal(got.appskey, before.appskey, PROTO_AES_KEY);
    assert_true(got.has_fcnt);
    assert_int_equal(got.last_fcnt, 5);
    assert_int_equal(got.battery_mv, 3300);
    assert_int_equal(got.last_seen_ms, before.last_seen_ms);
    assert_int_equal(got.created_ms, before.created_ms);
    /* Its events stay (node remove would delete them). */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 1);

    /* No position, empty zone. */
    n.has_position = false;
    n.zone[0] = '\0';
    assert_int_equal(store_node_update(fx->s, &n), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &got), 0);
    assert_false(got.has_position);
    assert_string_equal(got.zone, "");

    /* A value the schema refuses changes nothing; an unknown node is -ENOENT. */
    set_place(&n, "x", 91.0, 0.0);
    assert_int_equal(store_node_update(fx->s, &n), -EINVAL);
    assert_int_equal(store_node_get(fx->s, DEV_A, &got), 0);
    assert_string_equal(got.zone, "");
    n.devaddr = DEV_B;
    set_place(&n, "x", 1.0, 1.0);
    assert_int_equal(store_node_update(fx->s, &n), -ENOENT);
}

/* The daemon reads a node's place through its cache; a CLI's edit on another connection
 * must show at the daemon's next frame, so that fusion files it under the new zone. */
static void test_store_node_update_reaches_the_daemon_cache(void **state)
{
    struct fixture *fx = *state;
    struct store *cli = NULL;
    struct store_node place;
    struct store_node n;
    char err[256];

    open_ok(fx);
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(store_open(fx->path, 2, &cli, err, sizeof(err)), 0);
    add_node(cli, DEV_A, "vilage");
    assert_int_equal(store_node_place(fx->s, DEV_A, &place), 0);
    assert_string_equal(place.zone, "vilage");
    assert_false(place.has_position);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(store_node_get(cli, DEV_A, &n), 0);
    set_place(&n, "village", -2.65, 37.26);
    assert_int_equal(store_node_update(cli, &n), 0);
    assert_int_equal(store_node_place(fx->s, DEV_A, &place), 0);
    assert_string_equal(place.zone, "village");
    assert_true(place.has_position && place.lat == -2.65 && place.lon == 37.26);
    assert_int_equal(store_flush(fx->s), 0);
    store_close(cli);
}

static void test_store_node_last_rx_and_event_rx(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3300);
    struct store_rx rx;
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_node_last_rx(fx->s, DEV_A, &rx), -ENOENT);
    assert_int_equal(uplink(fx->s, DEV_A, 7, 0, &h, 5000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 9, 0, &h, 6000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    /* A CoAP copy of an older frame does not make it the newest. */
    sql_exec(fx->path, "UPDATE frames SET bearer = 'coap', gateway = '127.0.0.1:5000',"
                       " rssi = NULL, snr = NULL, freq_hz = NULL, datr = NULL WHERE fcnt = 7");

    assert_int_equal(store_node_last_rx(fx->s, DEV_A, &rx), 0);
    assert_int_equal(rx.bearer, STORE_BEARER_LORA);
    assert_string_equal(rx.gateway, "AA555A0000000001");
    assert_int_equal(rx.time_ms, 6000);
    assert_true(rx.has_radio);
    assert_int_equal(rx.rssi_dbm, -97);
    assert_true(rx.snr_db == 7.5);
    assert_int_equal(rx.freq_hz, 868100000);
    assert_string_equal(rx.datr, "SF7BW125");
    assert_int_equal(store_node_last_rx(fx->s, DEV_B, &rx), -ENOENT);

    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_true(sn.ev[0].has_rx && sn.ev[0].rx.has_radio);
    assert_int_equal(sn.ev[0].rx.rssi_dbm, -97);
    assert_string_equal(sn.ev[0].rx.gateway, "AA555A0000000001");
    assert_true(sn.ev[1].has_rx);
    assert_int_equal(sn.ev[1].rx.bearer, STORE_BEARER_COAP);
    assert_false(sn.ev[1].rx.has_radio);
    assert_string_equal(sn.ev[1].rx.gateway, "127.0.0.1:5000");

    /* A frame without a stored reception has none to show. */
    sql_exec(fx->path, "UPDATE frames SET bearer = NULL, gateway = NULL");
    assert_int_equal(store_node_last_rx(fx->s, DEV_A, &rx), -ENOENT);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_false(sn.ev[0].has_rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_node_update_changes_only_the_operators_fields),
        T(test_store_node_update_reaches_the_daemon_cache),
        T(test_store_node_last_rx_and_event_rx),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
