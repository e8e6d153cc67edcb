/* SPDX-License-Identifier: MIT
 * The sections with fixed names: [gateway], [storage], [coap], [lora], [mqtt], [health]. Their
 * keys fill struct config directly; [mqtt]'s checks that need the whole section run at the end.
 */
#include "config/config.h"

#include <stdio.h>

#include "config/config_int.h"

static const struct key_spec gateway_keys[] = {
    {"id", V_NAME, FIELD(struct config, gateway_id), 0, 0},
    {"site", V_NAME, FIELD(struct config, site), 0, 0},
    {"devaddr_range", V_DEVRANGE, FIELD(struct config, devaddr_range), 0, 0},
};

static const struct key_spec storage_keys[] = {
    {"path", V_PATH, FIELD(struct config, storage_path), 0, 0},
    {"retention_days", V_UINT, FIELD(struct config, retention_days), 0, 36500},
    {"synchronous", V_SYNC, FIELD(struct config, storage_synchronous), 0, 0},
};

static const struct key_spec coap_keys[] = {
    {"listen", V_ADDR, FIELD(struct config, coap_listen), 0, 0},
    {"dtls_listen", V_ADDR, FIELD(struct config, coap_dtls_listen), 0, 0},
};

static const struct key_spec lora_keys[] = {
    {"listen", V_ADDR, FIELD(struct config, lora_listen), 0, 0},
    {"dedup_window_ms", V_UINT, FIELD(struct config, dedup_window_ms), 0, 60000},
};

static const struct key_spec mqtt_keys[] = {
    {"host", V_STR, FIELD(struct config, mqtt.host), 0, 0},
    {"port", V_UINT, FIELD(struct config, mqtt.port), 1, 65535},
    {"client_id", V_STR, FIELD(struct config, mqtt.client_id), 0, 0},
    {"username", V_STR, FIELD(struct config, mqtt.username), 0, 0},
    {"password", V_STR, FIELD(struct config, mqtt.password), 0, 0},
    {"tls_ca", V_STR, FIELD(struct config, mqtt.tls_ca), 0, 0},
    {"tls_cert", V_STR, FIELD(struct config, mqtt.tls_cert), 0, 0},
    {"tls_key", V_STR, FIELD(struct config, mqtt.tls_key), 0, 0},
    {"prefix", V_TOPIC, FIELD(struct config, mqtt.prefix), 0, 0},
    {"publish_events", V_BOOL, FIELD(struct config, mqtt.publish_events), 0, 0},
    {"outbox_max", V_UINT, FIELD(struct config, mqtt.outbox_max), 100, 10000000},
    {"reconnect_max_s", V_UINT, FIELD(struct config, mqtt.reconnect_max_s), 1, 3600},
};

static const struct key_spec health_keys[] = {
    {"offline_after_s", V_UINT, FIELD(struct config, health.offline_after_s), 0, 31536000},
    {"battery_low_mv", V_UINT, FIELD(struct config, health.battery_low_mv), 0, 10000},
};

const struct section_spec config__fixed_sections[FS_COUNT] = {
    {"gateway", gateway_keys, COUNT(gateway_keys)}, {"storage", storage_keys, COUNT(storage_keys)},
    {"coap", coap_keys, COUNT(coap_keys)},          {"lora", lora_keys, COUNT(lora_keys)},
    {"mqtt", mqtt_keys, COUNT(mqtt_keys)},          {"health", health_keys, COUNT(health_keys)},
};

/* [mqtt] keys by their index in mqtt_keys, for their line numbers. */
enum {
    MK_CLIENT_ID = 2,
    MK_USERNAME = 3,
    MK_PASSWORD = 4,
    MK_TLS_CERT = 6,
    MK_TLS_KEY = 7,
    MK_PREFIX = 8
};

void config__finish_mqtt(struct parse_ctx *ctx)
{
    struct config *cfg = ctx->cfg;
    const unsigned *kl = ctx->fixed_line[FS_MQTT];

    if (cfg->mqtt.tls_cert[0] != '\0' && cfg->mqtt.tls_key[0] == '\0') {
        config__fail_at(ctx, kl[MK_TLS_CERT], "[mqtt] tls_cert: needs tls_key as well");
        return;
    }
    if (cfg->mqtt.tls_key[0] != '\0' && cfg->mqtt.tls_cert[0] == '\0') {
        config__fail_at(ctx, kl[MK_TLS_KEY], "[mqtt] tls_key: needs tls_cert as well");
        return;
    }
    /* MQTT 3.1.1, 3.1.2.9: a password may only be sent with a user name. */
    if (cfg->mqtt.password[0] != '\0' && cfg->mqtt.username[0] == '\0') {
        config__fail_at(ctx, kl[MK_PASSWORD], "[mqtt] password: needs a username as well");
        return;
    }
    if (kl[MK_CLIENT_ID] == 0 || cfg->mqtt.client_id[0] == '\0') {
        (void)snprintf(cfg->mqtt.client_id, sizeof(cfg->mqtt.client_id), "tinyfleetd-%.40s",
                       cfg->gateway_id);
    }
    if (kl[MK_PREFIX] == 0 || cfg->mqtt.prefix[0] == '\0') {
        (void)snprintf(cfg->mqtt.prefix, sizeof(cfg->mqtt.prefix), "tinyfleet/%.60s", cfg->site);
    }
}
