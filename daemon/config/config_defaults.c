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

void config__default_client_id(struct config_mqtt *mqtt, const struct config_gateway *gw)
{
    memset(mqtt->client_id, 0, sizeof(mqtt->client_id));
    (void)snprintf(mqtt->client_id, sizeof(mqtt->client_id), "tinyfleetd-%.40s", gw->id);
}

void config__default_prefix(struct config_mqtt *mqtt, const struct config_gateway *gw)
{
    memset(mqtt->prefix, 0, sizeof(mqtt->prefix));
    (void)snprintf(mqtt->prefix, sizeof(mqtt->prefix), "tinyfleet/%.60s", gw->site);
}

void config__default_public_url(struct config_web *web)
{
    memset(web->public_url, 0, sizeof(web->public_url));
    (void)snprintf(web->public_url, sizeof(web->public_url), "%s://%.80s/",
                   web->tls_cert[0] != '\0' ? "https" : "http", web->listen);
}

void config_defaults(struct config *out)
{
    char host[64];
    size_t i;

    assert(out != NULL);
    /* Every byte defined, padding included: sections compare whole with memcmp(). */
    memset(out, 0, sizeof(*out));
    /* The host name identifies a gateway well enough until the operator names it; a name
     * with characters MQTT topics cannot carry falls back to a fixed one. */
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
    } else {
        host[0] = '\0';
    }
    config__copy_str(out->gateway.id, sizeof(out->gateway.id),
                     config__valid_name(host) ? host : "tinyfleet");
    config__copy_str(out->gateway.site, sizeof(out->gateway.site), "default");
    config__copy_str(out->storage.path, sizeof(out->storage.path),
                     "/var/lib/tinyfleet/tinyfleet.db");
    out->storage.retention_days = 90;
    /* FULL: an acknowledged event must survive a power cut, not only a crash. */
    out->storage.synchronous = CONFIG_SYNC_FULL;
    config__copy_str(out->coap.listen, sizeof(out->coap.listen), "0.0.0.0:5683");
    config__copy_str(out->lora.listen, sizeof(out->lora.listen), "0.0.0.0:1700");
    out->lora.dedup_window_ms = 200;
    out->lora.adr = false; /* config/tinyfleetd.conf says why */
    out->lora.adr_interval_s = 86400;
    config__copy_str(out->lora.region, sizeof(out->lora.region), "EU868");
    out->mqtt.port = 1883;
    out->mqtt.outbox_max = 100000;
    out->mqtt.reconnect_max_s = 30;
    out->mqtt.puback_timeout_s = 30;
    config__default_client_id(&out->mqtt, &out->gateway);
    config__default_prefix(&out->mqtt, &out->gateway);
    config__copy_str(out->mqtt.homeassistant_prefix, sizeof(out->mqtt.homeassistant_prefix),
                     "homeassistant");
    /* Loopback: the page shows where the nodes are; other addresses are the operator's
     * choice, with [web] user and TLS. */
    config__copy_str(out->web.listen, sizeof(out->web.listen), "127.0.0.1:8080");
    config__default_public_url(&out->web);
    out->alertmanager.resend_s = 60;
    out->alertmanager.timeout_s = 10;
    config__copy_str(out->fusion.site.scope, sizeof(out->fusion.site.scope), "gateway");
    out->fusion.site.takeover_s = 30;
    out->fusion.health.offline_after_s = 3600;
    out->fusion.health.battery_low_mv = 3300;
    for (i = 0; i < PROTO_CLASS_COUNT; i++) {
        config__copy_str(out->fusion.class_names[i], CONFIG_NAME_MAX, proto_class_name((uint8_t)i));
    }
}
