/* SPDX-License-Identifier: MIT
 * The sections with fixed names: [gateway], [storage], [coap], [lora], [mqtt], [health]. Each
 * fills a struct of its own in struct config ([health] the one inside struct config_fusion);
 * [mqtt]'s checks that need the whole section run at the end.
 */
#include "config/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

static const struct key_spec gateway_keys[] = {
    {"id", V_NAME, FIELD(struct config_gateway, id), 0, 0},
    {"site", V_NAME, FIELD(struct config_gateway, site), 0, 0},
    {"devaddr_range", V_DEVRANGE, FIELD(struct config_gateway, devaddr_range), 0, 0},
};

static const struct key_spec storage_keys[] = {
    {"path", V_PATH, FIELD(struct config_storage, path), 0, 0},
    {"retention_days", V_UINT, FIELD(struct config_storage, retention_days), 0, 36500},
    {"synchronous", V_SYNC, FIELD(struct config_storage, synchronous), 0, 0},
};

static const struct key_spec coap_keys[] = {
    {"listen", V_ADDR, FIELD(struct config_coap, listen), 0, 0},
    {"dtls_listen", V_ADDR, FIELD(struct config_coap, dtls_listen), 0, 0},
};

static const struct key_spec lora_keys[] = {
    {"listen", V_ADDR, FIELD(struct config_lora, listen), 0, 0},
    {"dedup_window_ms", V_UINT, FIELD(struct config_lora, dedup_window_ms), 0, 60000},
};

static const struct key_spec mqtt_keys[] = {
    {"host", V_STR, FIELD(struct config_mqtt, host), 0, 0},
    {"port", V_UINT, FIELD(struct config_mqtt, port), 1, 65535},
    {"client_id", V_STR, FIELD(struct config_mqtt, client_id), 0, 0},
    {"username", V_STR, FIELD(struct config_mqtt, username), 0, 0},
    {"password", V_STR, FIELD(struct config_mqtt, password), 0, 0},
    {"tls_ca", V_STR, FIELD(struct config_mqtt, tls_ca), 0, 0},
    {"tls_cert", V_STR, FIELD(struct config_mqtt, tls_cert), 0, 0},
    {"tls_key", V_STR, FIELD(struct config_mqtt, tls_key), 0, 0},
    {"prefix", V_TOPIC, FIELD(struct config_mqtt, prefix), 0, 0},
    {"publish_events", V_BOOL, FIELD(struct config_mqtt, publish_events), 0, 0},
    {"outbox_max", V_UINT, FIELD(struct config_mqtt, outbox_max), 100, 10000000},
    {"reconnect_max_s", V_UINT, FIELD(struct config_mqtt, reconnect_max_s), 1, 3600},
};

static const struct key_spec health_keys[] = {
    {"offline_after_s", V_UINT, FIELD(struct config_health, offline_after_s), 0, 31536000},
    {"battery_low_mv", V_UINT, FIELD(struct config_health, battery_low_mv), 0, 10000},
};

const struct section_spec config__fixed_sections[FS_COUNT] = {
    {"gateway", gateway_keys, COUNT(gateway_keys), offsetof(struct config, gateway)},
    {"storage", storage_keys, COUNT(storage_keys), offsetof(struct config, storage)},
    {"coap", coap_keys, COUNT(coap_keys), offsetof(struct config, coap)},
    {"lora", lora_keys, COUNT(lora_keys), offsetof(struct config, lora)},
    {"mqtt", mqtt_keys, COUNT(mqtt_keys), offsetof(struct config, mqtt)},
    {"health", health_keys, COUNT(health_keys), offsetof(struct config, fusion.health)},
};

int config_changed_keys(const char *section, const void *a, const void *b, char *list, size_t cap)
{
    const struct section_spec *spec = NULL;
    int changed = 0;
    size_t i;

    assert(section != NULL && a != NULL && b != NULL && list != NULL && cap > 0);
    for (i = 0; i < FS_COUNT && spec == NULL; i++) {
        if (strcmp(section, config__fixed_sections[i].name) == 0) {
            spec = &config__fixed_sections[i];
        }
    }
    if (spec == NULL) {
        return -EINVAL;
    }
    for (i = 0; i < spec->nkeys; i++) {
        const struct key_spec *k = &spec->keys[i];
        size_t used = strnlen(list, cap - 1);

        if (memcmp((const char *)a + k->off, (const char *)b + k->off, k->size) == 0) {
            continue;
        }
        changed++;
        (void)snprintf(list + used, cap - used, "%s[%s] %s", used > 0 ? ", " : "", spec->name,
                       k->key);
    }
    return changed;
}

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
    struct config_mqtt *mqtt = &ctx->cfg->mqtt;
    const struct config_gateway *gw = &ctx->cfg->gateway;
    const unsigned *kl = ctx->fixed_line[FS_MQTT];

    if (mqtt->tls_cert[0] != '\0' && mqtt->tls_key[0] == '\0') {
        config__fail_at(ctx, kl[MK_TLS_CERT], "[mqtt] tls_cert: needs tls_key as well");
        return;
    }
    if (mqtt->tls_key[0] != '\0' && mqtt->tls_cert[0] == '\0') {
        config__fail_at(ctx, kl[MK_TLS_KEY], "[mqtt] tls_key: needs tls_cert as well");
        return;
    }
    /* MQTT 3.1.1, 3.1.2.9: a password may only be sent with a user name. */
    if (mqtt->password[0] != '\0' && mqtt->username[0] == '\0') {
        config__fail_at(ctx, kl[MK_PASSWORD], "[mqtt] password: needs a username as well");
        return;
    }
    if (kl[MK_CLIENT_ID] == 0 || mqtt->client_id[0] == '\0') {
        config__default_client_id(mqtt, gw);
    }
    if (kl[MK_PREFIX] == 0 || mqtt->prefix[0] == '\0') {
        config__default_prefix(mqtt, gw);
    }
}
