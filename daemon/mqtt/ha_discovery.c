/* SPDX-License-Identifier: MIT
 * Home Assistant discovery payloads (ha_discovery.h), built with cJSON so that a node's name
 * (any text the operator gave) is escaped. Keys as Home Assistant's MQTT discovery documents
 * them (home-assistant.io/integrations/mqtt, "Discovery messages"; binary_sensor.mqtt,
 * sensor.mqtt): the full key names, not the abbreviations, so that a person can read them.
 */
#include "mqtt/ha_discovery.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define OBJECT_LEN 160u /* an object id: <zone>_<class> of two config names, or <devaddr>_... */

/* Home Assistant accepts only [a-zA-Z0-9_-] in a discovery topic's node and object ids. */
static void safe_id(char *out, size_t cap, const char *in)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i + 1 < cap; i++) {
        char c = in[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';

        if (!ok) {
            c = '_';
        }
        out[i] = c;
    }
    out[i] = '\0';
}

static int fit(int n, size_t cap)
{
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

int ha_discovery_init(struct ha_discovery *d, const struct config_mqtt *cfg, const char *gateway_id)
{
    char gw[64];

    assert(d != NULL && cfg != NULL && gateway_id != NULL);
    memset(d, 0, sizeof(*d));
    safe_id(gw, sizeof(gw), gateway_id);
    (void)snprintf(d->ha_prefix, sizeof(d->ha_prefix), "%s", cfg->homeassistant_prefix);
    (void)snprintf(d->prefix, sizeof(d->prefix), "%s", cfg->prefix);
    (void)snprintf(d->gateway_id, sizeof(d->gateway_id), "%s", gateway_id);
    (void)snprintf(d->node_id, sizeof(d->node_id), "tinyfleet_%s", gw);
    /* The topic mqtt.c gives its birth message, last will and clean-stop status. */
    return fit(snprintf(d->status_topic, sizeof(d->status_topic), "%s/gateway/%s/status", d->prefix,
                        d->gateway_id),
               sizeof(d->status_topic));
}

/* <ha>/<component>/<node_id>/<object>/config, and unique_id = object_id = <node_id>_<object>. */
static int config_topic(const struct ha_discovery *d, const char *component, const char *object,
                        char *topic, char *uid, size_t uid_cap)
{
    int rc = fit(snprintf(topic, HA_DISCOVERY_TOPIC_LEN, "%s/%s/%s/%s/config", d->ha_prefix,
                          component, d->node_id, object),
                 HA_DISCOVERY_TOPIC_LEN);

    return rc < 0 ? rc : fit(snprintf(uid, uid_cap, "%s_%s", d->node_id, object), uid_cap);
}

/* The gateway as a device: the zone sensors are its, and each node is reached through it. */
static cJSON *gateway_device(const struct ha_discovery *d)
{
    char name[96];
    cJSON *dev = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(dev, "identifiers");

    (void)snprintf(name, sizeof(name), "tinyfleet gateway %s", d->gateway_id);
    if (ids == NULL || !cJSON_AddItemToArray(ids, cJSON_CreateString(d->node_id)) ||
        cJSON_AddStringToObject(dev, "name", name) == NULL ||
        cJSON_AddStringToObject(dev, "manufacturer", "tinyfleet") == NULL ||
        cJSON_AddStringToObject(dev, "model", "tinyfleetd") == NULL) {
        cJSON_Delete(dev);
        return NULL;
    }
    return dev;
}

static cJSON *node_device(const struct ha_discovery *d, const struct store_node *n)
{
    char id[96];
    char name[96];
    cJSON *dev = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(dev, "identifiers");
    bool ok;

    (void)snprintf(id, sizeof(id), "%s_%08" PRIx32, d->node_id, n->devaddr);
    if (n->name[0] != '\0') {
        (void)snprintf(name, sizeof(name), "%s", n->name);
    } else {
        (void)snprintf(name, sizeof(name), "node %08" PRIX32, n->devaddr);
    }
    ok = ids != NULL && cJSON_AddItemToArray(ids, cJSON_CreateString(id)) &&
         cJSON_AddStringToObject(dev, "name", name) != NULL &&
         cJSON_AddStringToObject(dev, "manufacturer", "tinyfleet") != NULL &&
         cJSON_AddStringToObject(dev, "via_device", d->node_id) != NULL;
    if (ok && n->profile[0] != '\0') {
        ok = cJSON_AddStringToObject(dev, "model", n->profile) != NULL;
    }
    if (!ok) {
        cJSON_Delete(dev);
        return NULL;
    }
    return dev;
}

/* Every entity but the gateway's own status: available while the gateway's retained status
 * (mqtt.c: {"state":"online",...}, the will and the clean stop {"state":"offline",...}) says
 * online. */
static bool add_availability(cJSON *o, const struct ha_discovery *d)
{
    cJSON *list = cJSON_AddArrayToObject(o, "availability");
    cJSON *a = cJSON_CreateObject();

    if (list == NULL || !cJSON_AddItemToArray(list, a)) {
        cJSON_Delete(a);
        return false;
    }
    return cJSON_AddStringToObject(a, "topic", d->status_topic) != NULL &&
           cJSON_AddStringToObject(a, "value_template", "{{ value_json.state }}") != NULL &&
           cJSON_AddStringToObject(a, "payload_available", "online") != NULL &&
           cJSON_AddStringToObject(a, "payload_not_available", "offline") != NULL;
}

/* The keys every config has; @dev is consumed. */
static bool add_common(cJSON *o, const char *name, const char *uid, cJSON *dev)
{
    if (dev == NULL || !cJSON_AddItemToObject(o, "device", dev)) {
        cJSON_Delete(dev);
        return false;
    }
    return cJSON_AddStringToObject(o, "name", name) != NULL &&
           cJSON_AddStringToObject(o, "unique_id", uid) != NULL &&
           cJSON_AddStringToObject(o, "object_id", uid) != NULL &&
           cJSON_AddNumberToObject(o, "qos", 1) != NULL;
}

static char *finish(cJSON *o, bool ok)
{
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    return text;
}

char *ha_discovery_status(const struct ha_discovery *d, char *topic)
{
    char uid[OBJECT_LEN + 96];
    cJSON *o;
    bool ok;

    if (config_topic(d, "binary_sensor", "status", topic, uid, sizeof(uid)) < 0) {
        return NULL;
    }
    o = cJSON_CreateObject();
    ok = o != NULL && add_common(o, "Gateway status", uid, gateway_device(d)) &&
         cJSON_AddStringToObject(o, "device_class", "connectivity") != NULL &&
         cJSON_AddStringToObject(o, "state_topic", d->status_topic) != NULL &&
         cJSON_AddStringToObject(o, "value_template", "{{ value_json.state }}") != NULL &&
         cJSON_AddStringToObject(o, "payload_on", "online") != NULL &&
         cJSON_AddStringToObject(o, "payload_off", "offline") != NULL &&
         cJSON_AddStringToObject(o, "entity_category", "diagnostic") != NULL;
    return finish(o, ok);
}

int ha_discovery_state_topic(const struct ha_discovery *d, const char *class_name, const char *key,
                             const char *what, char *topic)
{
    return fit(
        snprintf(topic, HA_DISCOVERY_TOPIC_LEN, "%s/ha/%s/%s/%s", d->prefix, class_name, key, what),
        HA_DISCOVERY_TOPIC_LEN);
}

int ha_discovery_seen_topic(const struct ha_discovery *d, uint32_t devaddr, char *topic)
{
    return fit(snprintf(topic, HA_DISCOVERY_TOPIC_LEN, "%s/ha/node/%08" PRIX32 "/seen", d->prefix,
                        devaddr),
               HA_DISCOVERY_TOPIC_LEN);
}

char *ha_discovery_zone(const struct ha_discovery *d, const char *class_name, const char *zone,
                        char *topic)
{
    char object[OBJECT_LEN];
    char raw[OBJECT_LEN];
    char uid[OBJECT_LEN + 96];
    char state[HA_DISCOVERY_TOPIC_LEN];
    char attributes[HA_DISCOVERY_TOPIC_LEN];
    char name[96];
    cJSON *o;
    bool ok;

    (void)snprintf(raw, sizeof(raw), "%s_%s", zone, class_name);
    safe_id(object, sizeof(object), raw);
    if (config_topic(d, "binary_sensor", object, topic, uid, sizeof(uid)) < 0 ||
        ha_discovery_state_topic(d, class_name, zone, "state", state) < 0 ||
        ha_discovery_state_topic(d, class_name, zone, "attributes", attributes) < 0) {
        return NULL;
    }
    (void)snprintf(name, sizeof(name), "%s in %s", class_name, zone);
    o = cJSON_CreateObject();
    ok = o != NULL && add_common(o, name, uid, gateway_device(d)) && add_availability(o, d) &&
         cJSON_AddStringToObject(o, "state_topic", state) != NULL &&
         cJSON_AddStringToObject(o, "payload_on", "ON") != NULL &&
         cJSON_AddStringToObject(o, "payload_off", "OFF") != NULL &&
         cJSON_AddStringToObject(o, "json_attributes_topic", attributes) != NULL &&
         cJSON_AddStringToObject(o, "icon", "mdi:alert") != NULL;
    return finish(o, ok);
}

char *ha_discovery_node(const struct ha_discovery *d, const struct store_node *n,
                        enum ha_discovery_node_sensor which, char *topic)
{
    char object[OBJECT_LEN];
    char uid[OBJECT_LEN + 96];
    char state[HA_DISCOVERY_TOPIC_LEN];
    bool battery = which == HA_DISCOVERY_BATTERY;
    cJSON *o;
    bool ok;

    (void)snprintf(object, sizeof(object), "%08" PRIx32 "_%s", n->devaddr,
                   battery ? "battery" : "last_seen");
    if (config_topic(d, "sensor", object, topic, uid, sizeof(uid)) < 0) {
        return NULL;
    }
    if (battery) {
        /* The retained health message poststore.c publishes for each health frame. */
        if (fit(snprintf(state, sizeof(state), "%s/node/%08" PRIX32 "/health", d->prefix,
                         n->devaddr),
                sizeof(state)) < 0) {
            return NULL;
        }
    } else if (ha_discovery_seen_topic(d, n->devaddr, state) < 0) {
        return NULL;
    }
    o = cJSON_CreateObject();
    ok = o != NULL && add_common(o, battery ? "Battery" : "Last seen", uid, node_device(d, n)) &&
         add_availability(o, d) && cJSON_AddStringToObject(o, "state_topic", state) != NULL;
    if (ok && battery) {
        /* Home Assistant's voltage class takes mV; its battery class would want percent, which
         * a node's millivolts are not without knowing its cell. */
        ok = cJSON_AddStringToObject(o, "device_class", "voltage") != NULL &&
             cJSON_AddStringToObject(o, "unit_of_measurement", "mV") != NULL &&
             cJSON_AddStringToObject(o, "state_class", "measurement") != NULL &&
             cJSON_AddStringToObject(o, "value_template", "{{ value_json.battery_mv }}") != NULL;
    } else if (ok) {
        ok = cJSON_AddStringToObject(o, "device_class", "timestamp") != NULL &&
             cJSON_AddStringToObject(o, "entity_category", "diagnostic") != NULL;
    }
    return finish(o, ok);
}
