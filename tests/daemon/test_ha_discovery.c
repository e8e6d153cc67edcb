/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/mqtt/ha_discovery.c: the topic layout of Home Assistant discovery
 * (<prefix>/<component>/<node_id>/<object_id>/config) and the keys its schema needs in each
 * payload (binary_sensor: state_topic, payload_on/off, json_attributes_topic; sensor:
 * device_class, unit, value_template; all: name, unique_id, object_id, device identifiers,
 * availability on the gateway's status with its payloads), parsed back with cJSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "config/config.h"
#include "mqtt/ha_discovery.h"

static void names(struct ha_discovery *d, const char *gateway_id)
{
    struct config cfg;

    config_defaults(&cfg);
    (void)snprintf(cfg.mqtt.prefix, sizeof(cfg.mqtt.prefix), "tinyfleet/amboseli");
    assert_int_equal(ha_discovery_init(d, &cfg.mqtt, gateway_id), 0);
}

static const char *str(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

    if (v == NULL) {
        fail_msg("no string \"%s\"", key);
    }
    return v;
}

/* The availability list: one entry, on the gateway's status topic, with the JSON's state. */
static void check_availability(const cJSON *o, const char *status_topic)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "availability");
    const cJSON *a;

    assert_true(cJSON_IsArray(list));
    assert_int_equal(cJSON_GetArraySize(list), 1);
    a = cJSON_GetArrayItem(list, 0);
    assert_string_equal(str(a, "topic"), status_topic);
    assert_string_equal(str(a, "payload_available"), "online");
    assert_string_equal(str(a, "payload_not_available"), "offline");
    assert_string_equal(str(a, "value_template"), "{{ value_json.state }}");
}

static const char *device_id(const cJSON *o)
{
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(o, "device");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(dev, "identifiers");

    assert_true(cJSON_IsArray(ids));
    assert_int_equal(cJSON_GetArraySize(ids), 1);
    assert_non_null(cJSON_GetStringValue(cJSON_GetArrayItem(ids, 0)));
    (void)str(dev, "name");
    return cJSON_GetStringValue(cJSON_GetArrayItem(ids, 0));
}

static void test_ha_discovery_zone_topic_and_keys(void **state)
{
    struct ha_discovery d;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    char *text;
    cJSON *o;

    (void)state;
    names(&d, "gw-7");
    assert_string_equal(d.status_topic, "tinyfleet/amboseli/gateway/gw-7/status");
    text = ha_discovery_zone(&d, "elephant", "village", topic);
    assert_non_null(text);
    assert_string_equal(topic,
                        "homeassistant/binary_sensor/tinyfleet_gw-7/village_elephant/config");
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_string_equal(str(o, "unique_id"), "tinyfleet_gw-7_village_elephant");
    assert_string_equal(str(o, "object_id"), "tinyfleet_gw-7_village_elephant");
    assert_string_equal(str(o, "name"), "elephant in village");
    assert_string_equal(str(o, "state_topic"), "tinyfleet/amboseli/ha/elephant/village/state");
    assert_string_equal(str(o, "payload_on"), "ON");
    assert_string_equal(str(o, "payload_off"), "OFF");
    assert_string_equal(str(o, "json_attributes_topic"),
                        "tinyfleet/amboseli/ha/elephant/village/attributes");
    check_availability(o, d.status_topic);
    assert_string_equal(device_id(o), "tinyfleet_gw-7");
    cJSON_Delete(o);
    cJSON_free(text);
}

static void test_ha_discovery_node_sensors(void **state)
{
    struct ha_discovery d;
    struct store_node n;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    const cJSON *dev;
    char *text;
    cJSON *o;

    (void)state;
    names(&d, "gw-7");
    memset(&n, 0, sizeof(n));
    n.devaddr = 0x26011F0Au;
    /* Any text the operator gave a node is escaped, never taken as JSON. */
    (void)snprintf(n.name, sizeof(n.name), "<script>\"x\"\\</script>");
    (void)snprintf(n.profile, sizeof(n.profile), "elephant");

    text = ha_discovery_node(&d, &n, HA_DISCOVERY_BATTERY, topic);
    assert_non_null(text);
    assert_string_equal(topic, "homeassistant/sensor/tinyfleet_gw-7/26011f0a_battery/config");
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_string_equal(str(o, "unique_id"), "tinyfleet_gw-7_26011f0a_battery");
    assert_string_equal(str(o, "object_id"), "tinyfleet_gw-7_26011f0a_battery");
    assert_string_equal(str(o, "state_topic"), "tinyfleet/amboseli/node/26011F0A/health");
    assert_string_equal(str(o, "device_class"), "voltage");
    assert_string_equal(str(o, "unit_of_measurement"), "mV");
    assert_string_equal(str(o, "value_template"), "{{ value_json.battery_mv }}");
    check_availability(o, d.status_topic);
    assert_string_equal(device_id(o), "tinyfleet_gw-7_26011f0a");
    dev = cJSON_GetObjectItemCaseSensitive(o, "device");
    assert_string_equal(str(dev, "name"), "<script>\"x\"\\</script>");
    assert_string_equal(str(dev, "model"), "elephant");
    assert_string_equal(str(dev, "via_device"), "tinyfleet_gw-7");
    cJSON_Delete(o);
    cJSON_free(text);

    n.name[0] = '\0';
    text = ha_discovery_node(&d, &n, HA_DISCOVERY_LAST_SEEN, topic);
    assert_non_null(text);
    assert_string_equal(topic, "homeassistant/sensor/tinyfleet_gw-7/26011f0a_last_seen/config");
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_string_equal(str(o, "unique_id"), "tinyfleet_gw-7_26011f0a_last_seen");
    assert_string_equal(str(o, "state_topic"), "tinyfleet/amboseli/ha/node/26011F0A/seen");
    assert_string_equal(str(o, "device_class"), "timestamp");
    check_availability(o, d.status_topic);
    /* The same device as the battery's; a node without a name is called by its DevAddr. */
    assert_string_equal(device_id(o), "tinyfleet_gw-7_26011f0a");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o, "device"), "name"),
                        "node 26011F0A");
    cJSON_Delete(o);
    cJSON_free(text);
}

static void test_ha_discovery_status_has_no_availability(void **state)
{
    struct ha_discovery d;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    char *text;
    cJSON *o;

    (void)state;
    names(&d, "gw-7");
    text = ha_discovery_status(&d, topic);
    assert_non_null(text);
    assert_string_equal(topic, "homeassistant/binary_sensor/tinyfleet_gw-7/status/config");
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_string_equal(str(o, "state_topic"), d.status_topic);
    assert_string_equal(str(o, "device_class"), "connectivity");
    assert_string_equal(str(o, "payload_on"), "online");
    assert_string_equal(str(o, "payload_off"), "offline");
    assert_string_equal(str(o, "unique_id"), "tinyfleet_gw-7_status");
    /* It must show offline, not "unavailable", when the gateway is gone. */
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "availability"));
    cJSON_Delete(o);
    cJSON_free(text);
}

/* Bytes Home Assistant refuses in a topic's ids ('.' is valid in config names) become '_';
 * the state topics under [mqtt] prefix keep the names as they are. */
static void test_ha_discovery_ids_keep_to_the_allowed_bytes(void **state)
{
    struct ha_discovery d;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    char *text;
    cJSON *o;

    (void)state;
    names(&d, "gw.7");
    text = ha_discovery_zone(&d, "elephant", "north.side", topic);
    assert_non_null(text);
    assert_string_equal(topic,
                        "homeassistant/binary_sensor/tinyfleet_gw_7/north_side_elephant/config");
    o = cJSON_Parse(text);
    assert_string_equal(str(o, "unique_id"), "tinyfleet_gw_7_north_side_elephant");
    assert_string_equal(str(o, "state_topic"), "tinyfleet/amboseli/ha/elephant/north.side/state");
    check_availability(o, "tinyfleet/amboseli/gateway/gw.7/status");
    cJSON_Delete(o);
    cJSON_free(text);
}

static void test_ha_discovery_prefix_and_state_topics(void **state)
{
    struct config cfg;
    struct ha_discovery d;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    char *text;

    (void)state;
    config_defaults(&cfg);
    (void)snprintf(cfg.mqtt.prefix, sizeof(cfg.mqtt.prefix), "p");
    (void)snprintf(cfg.mqtt.homeassistant_prefix, sizeof(cfg.mqtt.homeassistant_prefix), "ha/x");
    assert_int_equal(ha_discovery_init(&d, &cfg.mqtt, "g"), 0);
    text = ha_discovery_zone(&d, "whale", "bay", topic);
    assert_non_null(text);
    assert_string_equal(topic, "ha/x/binary_sensor/tinyfleet_g/bay_whale/config");
    cJSON_free(text);
    assert_int_equal(ha_discovery_state_topic(&d, "node_offline", "26011F00", "state", topic), 0);
    assert_string_equal(topic, "p/ha/node_offline/26011F00/state");
    assert_int_equal(ha_discovery_seen_topic(&d, 0x1u, topic), 0);
    assert_string_equal(topic, "p/ha/node/00000001/seen");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ha_discovery_zone_topic_and_keys),
        cmocka_unit_test(test_ha_discovery_node_sensors),
        cmocka_unit_test(test_ha_discovery_status_has_no_availability),
        cmocka_unit_test(test_ha_discovery_ids_keep_to_the_allowed_bytes),
        cmocka_unit_test(test_ha_discovery_prefix_and_state_topics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
