/* SPDX-License-Identifier: MIT
 * The values of every key a config file leaves out, and the default class table
 * (config_defaults(), config.h). The rules' defaults are set where a [rule.*] begins
 * (config_rule.c); all are documented in config/tinyfleetd.conf.
 */
#include "config/config.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"
#include "proto/classes.h"

void config_defaults(struct config *out)
{
    char host[64];
    size_t i;

    assert(out != NULL);
    memset(out, 0, sizeof(*out));
    /* The host name identifies a gateway well enough until the operator names it; a name
     * with characters MQTT topics cannot carry falls back to a fixed one. */
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
    } else {
        host[0] = '\0';
    }
    config__copy_str(out->gateway_id, sizeof(out->gateway_id),
                     config__valid_name(host) ? host : "tinyfleet");
    config__copy_str(out->site, sizeof(out->site), "default");
    config__copy_str(out->storage_path, sizeof(out->storage_path),
                     "/var/lib/tinyfleet/tinyfleet.db");
    out->retention_days = 90;
    /* FULL: an acknowledged event must survive a power cut, not only a crash. */
    out->storage_synchronous = CONFIG_SYNC_FULL;
    config__copy_str(out->coap_listen, sizeof(out->coap_listen), "0.0.0.0:5683");
    config__copy_str(out->lora_listen, sizeof(out->lora_listen), "0.0.0.0:1700");
    out->dedup_window_ms = 200;
    out->mqtt.port = 1883;
    out->mqtt.outbox_max = 100000;
    out->mqtt.reconnect_max_s = 30;
    (void)snprintf(out->mqtt.client_id, sizeof(out->mqtt.client_id), "tinyfleetd-%.40s",
                   out->gateway_id);
    (void)snprintf(out->mqtt.prefix, sizeof(out->mqtt.prefix), "tinyfleet/%.60s", out->site);
    out->health.offline_after_s = 3600;
    out->health.battery_low_mv = 3300;
    for (i = 0; i < PROTO_CLASS_COUNT; i++) {
        config__copy_str(out->class_names[i], CONFIG_NAME_MAX, proto_class_name((uint8_t)i));
    }
}
