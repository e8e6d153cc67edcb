/* SPDX-License-Identifier: MIT
 * Home Assistant MQTT discovery payloads: the topics and the JSON of each config tinyfleetd
 * announces ([mqtt] homeassistant; the sync is homeassistant.h). Pure builders: no I/O.
 *
 * Topic layout (Home Assistant's <discovery_prefix>/<component>/<node_id>/<object_id>/config):
 *   <ha>/binary_sensor/tinyfleet_<gw>/status/config              the gateway's connectivity
 *   <ha>/binary_sensor/tinyfleet_<gw>/<zone>_<class>/config      a zone x class alert
 *   <ha>/sensor/tinyfleet_<gw>/<devaddr>_battery/config          a node's battery (mV)
 *   <ha>/sensor/tinyfleet_<gw>/<devaddr>_last_seen/config        a node's last frame (time)
 * with <ha> = [mqtt] homeassistant_prefix, <gw> = [gateway] id, <devaddr> 8 lower-case hex
 * digits; names keep letters, digits, '_' and '-', and any other byte ('.') becomes '_' (so
 * zones "a.b" and "a_b" would share ids: name them apart). unique_id and object_id are
 * "tinyfleet_<gw>_" + the topic's object id: stable across restarts, renames and reorders.
 * The states the configs point at (all under [mqtt] prefix <p>, retained):
 *   <p>/gateway/<gw>/status               mqtt.c's birth/will JSON: availability of every entity
 *   <p>/ha/<class>/<zone>/state           "ON" / "OFF" (homeassistant_alert())
 *   <p>/ha/<class>/<zone>/attributes      the alert JSON of the last transition
 *   <p>/node/<DEVADDR>/health             poststore.c's health JSON: battery_mv
 *   <p>/ha/node/<DEVADDR>/seen            RFC 3339 UTC time of the node's last accepted frame
 * Any thread (no shared state).
 */
#ifndef PROJ_DAEMON_MQTT_HA_DISCOVERY_H
#define PROJ_DAEMON_MQTT_HA_DISCOVERY_H

#include <stdint.h>

#include "config/config.h"
#include "store/store.h"

#define HA_DISCOVERY_TOPIC_LEN 320u /* any topic built here fits, NUL included */

/* What every payload names: filled once by ha_discovery_init(). */
struct ha_discovery {
    char ha_prefix[128];                       /* [mqtt] homeassistant_prefix */
    char prefix[128];                          /* [mqtt] prefix */
    char node_id[80];                          /* "tinyfleet_<gw>", '.' as '_' */
    char gateway_id[64];                       /* [gateway] id as given */
    char status_topic[HA_DISCOVERY_TOPIC_LEN]; /* <prefix>/gateway/<gw>/status */
};

/* The two sensors of a node. */
enum ha_discovery_node_sensor { HA_DISCOVERY_BATTERY = 0, HA_DISCOVERY_LAST_SEEN = 1 };

/*
 * ha_discovery_init() - the names for the [mqtt] section @cfg and the gateway @gateway_id.
 * Return: 0; -ENAMETOOLONG when a topic would not fit (cannot happen with the config's
 * length limits, checked anyway).
 */
int ha_discovery_init(struct ha_discovery *d, const struct config_mqtt *cfg,
                      const char *gateway_id);

/*
 * Each builder writes the config topic into @topic (HA_DISCOVERY_TOPIC_LEN bytes) and returns
 * the JSON payload, allocated (free it with cJSON_free()), or NULL when out of memory or a
 * topic would not fit.
 *   ha_discovery_status()  the gateway's connectivity binary_sensor (no availability: it says
 *                          itself whether the gateway is online).
 *   ha_discovery_zone()    the binary_sensor of class @class_name in zone @zone.
 *   ha_discovery_node()    sensor @which of node @n (name, profile and devaddr are read).
 */
char *ha_discovery_status(const struct ha_discovery *d, char *topic);
char *ha_discovery_zone(const struct ha_discovery *d, const char *class_name, const char *zone,
                        char *topic);
char *ha_discovery_node(const struct ha_discovery *d, const struct store_node *n,
                        enum ha_discovery_node_sensor which, char *topic);

/*
 * ha_discovery_state_topic() - <prefix>/ha/<class>/<key>/@what (what: "state", "attributes")
 * into @topic (HA_DISCOVERY_TOPIC_LEN bytes), for the alert of class @class_name with topic
 * key @key (a zone, or a DevAddr for per-node alerts). Return: 0 or -ENAMETOOLONG.
 */
int ha_discovery_state_topic(const struct ha_discovery *d, const char *class_name, const char *key,
                             const char *what, char *topic);

/* ha_discovery_seen_topic() - <prefix>/ha/node/<DEVADDR>/seen into @topic. Return: 0 or
 * -ENAMETOOLONG. */
int ha_discovery_seen_topic(const struct ha_discovery *d, uint32_t devaddr, char *topic);

#endif
