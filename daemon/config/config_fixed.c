/* SPDX-License-Identifier: MIT
 * The sections with fixed names: [gateway], [storage], [coap], [lora], [mqtt], [health], [web],
 * [fusion].
 * Each fills a struct of its own in struct config ([health] the one inside struct config_fusion);
 * [mqtt]'s checks that need the whole section run at the end.
 */
#include "config/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "config/config_int.h"

static const struct config__key_spec gateway_keys[] = {
    {"id", CONFIG__V_NAME, CONFIG__FIELD(struct config_gateway, id), 0, 0},
    {"site", CONFIG__V_NAME, CONFIG__FIELD(struct config_gateway, site), 0, 0},
    {"devaddr_range", CONFIG__V_DEVRANGE, CONFIG__FIELD(struct config_gateway, devaddr_range), 0,
     0},
    {"user", CONFIG__V_STR, CONFIG__FIELD(struct config_gateway, user), 0, 0},
};

static const struct config__key_spec storage_keys[] = {
    {"path", CONFIG__V_PATH, CONFIG__FIELD(struct config_storage, path), 0, 0},
    {"retention_days", CONFIG__V_UINT, CONFIG__FIELD(struct config_storage, retention_days), 0,
     36500},
    {"synchronous", CONFIG__V_SYNC, CONFIG__FIELD(struct config_storage, synchronous), 0, 0},
};

static const struct config__key_spec coap_keys[] = {
    {"listen", CONFIG__V_ADDR, CONFIG__FIELD(struct config_coap, listen), 0, 0},
    {"dtls_listen", CONFIG__V_ADDR, CONFIG__FIELD(struct config_coap, dtls_listen), 0, 0},
};

static const struct config__key_spec lora_keys[] = {
    {"listen", CONFIG__V_ADDR, CONFIG__FIELD(struct config_lora, listen), 0, 0},
    {"dedup_window_ms", CONFIG__V_UINT, CONFIG__FIELD(struct config_lora, dedup_window_ms), 0,
     60000},
    {"adr", CONFIG__V_BOOL, CONFIG__FIELD(struct config_lora, adr), 0, 0},
    {"adr_interval_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_lora, adr_interval_s), 60,
     2592000},
    {"region", CONFIG__V_REGION, CONFIG__FIELD(struct config_lora, region), 0, 0},
};

static const struct config__key_spec mqtt_keys[] = {
    {"host", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, host), 0, 0},
    {"port", CONFIG__V_UINT, CONFIG__FIELD(struct config_mqtt, port), 1, 65535},
    {"client_id", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, client_id), 0, 0},
    {"username", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, username), 0, 0},
    {"password", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, password), 0, 0},
    {"tls_ca", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, tls_ca), 0, 0},
    {"tls_cert", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, tls_cert), 0, 0},
    {"tls_key", CONFIG__V_STR, CONFIG__FIELD(struct config_mqtt, tls_key), 0, 0},
    {"prefix", CONFIG__V_TOPIC, CONFIG__FIELD(struct config_mqtt, prefix), 0, 0},
    {"publish_events", CONFIG__V_BOOL, CONFIG__FIELD(struct config_mqtt, publish_events), 0, 0},
    {"outbox_max", CONFIG__V_UINT, CONFIG__FIELD(struct config_mqtt, outbox_max), 100, 10000000},
    {"reconnect_max_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_mqtt, reconnect_max_s), 1,
     3600},
    {"puback_timeout_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_mqtt, puback_timeout_s), 1,
     3600},
    {"homeassistant", CONFIG__V_BOOL, CONFIG__FIELD(struct config_mqtt, homeassistant), 0, 0},
    {"homeassistant_prefix", CONFIG__V_TOPIC,
     CONFIG__FIELD(struct config_mqtt, homeassistant_prefix), 0, 0},
};

static const struct config__key_spec health_keys[] = {
    {"offline_after_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_health, offline_after_s), 0,
     31536000},
    {"battery_low_mv", CONFIG__V_UINT, CONFIG__FIELD(struct config_health, battery_low_mv), 0,
     10000},
};

static const struct config__key_spec fusion_keys[] = {
    {"scope", CONFIG__V_NAME, CONFIG__FIELD(struct config_site, scope), 0, 0},
    {"takeover_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_site, takeover_s), 3, 3600},
};

static const struct config__key_spec web_keys[] = {
    {"listen", CONFIG__V_ADDR, CONFIG__FIELD(struct config_web, listen), 0, 0},
    {"tiles", CONFIG__V_STR, CONFIG__FIELD(struct config_web, tiles), 0, 0},
    {"user", CONFIG__V_STR, CONFIG__FIELD(struct config_web, user), 0, 0},
    {"password_hash", CONFIG__V_STR, CONFIG__FIELD(struct config_web, password_hash), 0, 0},
    {"tls_cert", CONFIG__V_STR, CONFIG__FIELD(struct config_web, tls_cert), 0, 0},
    {"tls_key", CONFIG__V_STR, CONFIG__FIELD(struct config_web, tls_key), 0, 0},
    {"public_url", CONFIG__V_STR, CONFIG__FIELD(struct config_web, public_url), 0, 0},
};

static const struct config__key_spec alertmanager_keys[] = {
    {"url", CONFIG__V_STR, CONFIG__FIELD(struct config_alertmanager, url), 0, 0},
    {"username", CONFIG__V_STR, CONFIG__FIELD(struct config_alertmanager, username), 0, 0},
    {"password", CONFIG__V_STR, CONFIG__FIELD(struct config_alertmanager, password), 0, 0},
    {"bearer_token", CONFIG__V_STR, CONFIG__FIELD(struct config_alertmanager, bearer_token), 0, 0},
    {"tls_ca", CONFIG__V_STR, CONFIG__FIELD(struct config_alertmanager, tls_ca), 0, 0},
    {"resend_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_alertmanager, resend_s), 1, 3600},
    {"timeout_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_alertmanager, timeout_s), 1, 300},
};

const struct config__section_spec config__fixed_sections[CONFIG__FS_COUNT] = {
    {"gateway", gateway_keys, CONFIG__COUNT(gateway_keys), offsetof(struct config, gateway)},
    {"storage", storage_keys, CONFIG__COUNT(storage_keys), offsetof(struct config, storage)},
    {"coap", coap_keys, CONFIG__COUNT(coap_keys), offsetof(struct config, coap)},
    {"lora", lora_keys, CONFIG__COUNT(lora_keys), offsetof(struct config, lora)},
    {"mqtt", mqtt_keys, CONFIG__COUNT(mqtt_keys), offsetof(struct config, mqtt)},
    {"health", health_keys, CONFIG__COUNT(health_keys), offsetof(struct config, fusion.health)},
    {"web", web_keys, CONFIG__COUNT(web_keys), offsetof(struct config, web)},
    {"alertmanager", alertmanager_keys, CONFIG__COUNT(alertmanager_keys),
     offsetof(struct config, alertmanager)},
    {"fusion", fusion_keys, CONFIG__COUNT(fusion_keys), offsetof(struct config, fusion.site)},
};

int config_changed_keys(const char *section, const void *a, const void *b, char *list, size_t cap)
{
    const struct config__section_spec *spec = NULL;
    int changed = 0;
    size_t i;

    assert(section != NULL && a != NULL && b != NULL && list != NULL && cap > 0);
    for (i = 0; i < CONFIG__FS_COUNT && spec == NULL; i++) {
        if (strcmp(section, config__fixed_sections[i].name) == 0) {
            spec = &config__fixed_sections[i];
        }
    }
    if (spec == NULL) {
        return -EINVAL;
    }
    for (i = 0; i < spec->nkeys; i++) {
        const struct config__key_spec *k = &spec->keys[i];
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
    MK_TLS_CA = 5,
    MK_TLS_CERT = 6,
    MK_TLS_KEY = 7,
    MK_PREFIX = 8,
    MK_HA_PREFIX = 14
};

/* [alertmanager] keys by their index in alertmanager_keys, for their line numbers. */
enum { AK_URL = 0, AK_PASSWORD = 2, AK_BEARER = 3, AK_TLS_CA = 4 };

void config__finish_mqtt(struct config__parse_ctx *ctx)
{
    struct config_mqtt *mqtt = &ctx->cfg->mqtt;
    const struct config_gateway *gw = &ctx->cfg->gateway;
    const unsigned *kl = ctx->fixed_line[CONFIG__FS_MQTT];

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
    if (kl[MK_HA_PREFIX] == 0 || mqtt->homeassistant_prefix[0] == '\0') {
        /* Home Assistant's own default discovery prefix. */
        config__copy_str(mqtt->homeassistant_prefix, sizeof(mqtt->homeassistant_prefix),
                         "homeassistant");
    }
}

/* [web] keys by their index in web_keys, for their line numbers. */
enum { WK_LISTEN = 0, WK_TILES, WK_USER, WK_PASSWORD_HASH, WK_TLS_CERT, WK_TLS_KEY, WK_PUBLIC_URL };

static bool is_http_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

void config__finish_web(struct config__parse_ctx *ctx)
{
    struct config_web *web = &ctx->cfg->web;
    const unsigned *kl = ctx->fixed_line[CONFIG__FS_WEB];

    if (web->listen[0] == '\0') {
        config__fail_at(ctx, kl[WK_LISTEN], "[web] listen: needs host:port");
    } else if (web->tiles[0] != '\0' && !is_http_url(web->tiles)) {
        config__fail_at(ctx, kl[WK_TILES], "[web] tiles: not an http:// or https:// URL: '%s'",
                        web->tiles);
    } else if (web->user[0] != '\0' && web->password_hash[0] == '\0') {
        config__fail_at(ctx, kl[WK_USER], "[web] user: needs password_hash as well");
    } else if (web->password_hash[0] != '\0' && web->user[0] == '\0') {
        config__fail_at(ctx, kl[WK_PASSWORD_HASH], "[web] password_hash: needs a user as well");
    } else if (web->password_hash[0] != '\0' && web->password_hash[0] != '$') {
        /* A plain password here would be compared as a hash and never match: say so. */
        config__fail_at(ctx, kl[WK_PASSWORD_HASH],
                        "[web] password_hash: not a crypt(3) hash such as '$6$...' (make one "
                        "with: mkpasswd -m sha-512)");
    } else if (web->user[0] != '\0' && strchr(web->user, ':') != NULL) {
        /* RFC 7617 section 2: the user-id cannot contain a colon. */
        config__fail_at(ctx, kl[WK_USER], "[web] user: may not contain ':'");
    } else if (web->tls_cert[0] != '\0' && web->tls_key[0] == '\0') {
        config__fail_at(ctx, kl[WK_TLS_CERT], "[web] tls_cert: needs tls_key as well");
    } else if (web->tls_key[0] != '\0' && web->tls_cert[0] == '\0') {
        config__fail_at(ctx, kl[WK_TLS_KEY], "[web] tls_key: needs tls_cert as well");
    } else if (web->public_url[0] != '\0' && kl[WK_PUBLIC_URL] != 0 &&
               !is_http_url(web->public_url)) {
        config__fail_at(ctx, kl[WK_PUBLIC_URL],
                        "[web] public_url: not an http:// or https:// URL: '%s'", web->public_url);
    } else if (kl[WK_PUBLIC_URL] == 0 || web->public_url[0] == '\0') {
        config__default_public_url(web);
    }
    for (size_t i = 0; i < CONFIG__KEYS_MAX; i++) {
        web->configured = web->configured || kl[i] != 0;
    }
}

/* One of the three listeners, as the file (or the default) gives it. */
struct listener {
    const char *name; /* "[coap] listen", ... */
    const char *addr; /* host:port, "" = off */
    unsigned line;    /* of the key, 0 = the default */
};

static bool is_any(const struct sockaddr_storage *ss)
{
    static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

    if (ss->ss_family == AF_INET) {
        return ((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr == INADDR_ANY;
    }
    return memcmp(&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, &any6,
                  sizeof(any6)) == 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? ((const struct sockaddr_in *)(const void *)ss)->sin_port
                                    : ((const struct sockaddr_in6 *)(const void *)ss)->sin6_port;
}

/* Whether two UDP sockets bound to @a and @b would collide (without SO_REUSEADDR): one port
 * and the same address, or a wildcard of one family over the other's address; [::] also
 * takes IPv4 (Linux's default bindv6only 0). Both parse: config__set_value() checked them. */
static bool same_port(const char *a, const char *b)
{
    struct sockaddr_storage x;
    struct sockaddr_storage y;

    if (config_parse_addr(a, &x) != 0 || config_parse_addr(b, &y) != 0 ||
        port_of(&x) != port_of(&y)) {
        return false;
    }
    if (x.ss_family != y.ss_family) {
        return (x.ss_family == AF_INET6 && is_any(&x)) || (y.ss_family == AF_INET6 && is_any(&y));
    }
    if (is_any(&x) || is_any(&y)) {
        return true;
    }
    if (x.ss_family == AF_INET) {
        return memcmp(&((struct sockaddr_in *)(void *)&x)->sin_addr,
                      &((struct sockaddr_in *)(void *)&y)->sin_addr, sizeof(struct in_addr)) == 0;
    }
    return memcmp(&((struct sockaddr_in6 *)(void *)&x)->sin6_addr,
                  &((struct sockaddr_in6 *)(void *)&y)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* CoAP, CoAP over DTLS and LoRa on one port: the second bind fails at start (or, with
 * libcoap's SO_REUSEADDR, the kernel splits the datagrams between two parsers), so it is a
 * config error, named at the later of the two lines. */
static void check_listeners(struct config__parse_ctx *ctx)
{
    const struct config *c = ctx->cfg;
    const struct listener l[3] = {
        {"[coap] listen", c->coap.listen, ctx->fixed_line[CONFIG__FS_COAP][0]},
        {"[coap] dtls_listen", c->coap.dtls_listen, ctx->fixed_line[CONFIG__FS_COAP][1]},
        {"[lora] listen", c->lora.listen, ctx->fixed_line[CONFIG__FS_LORA][0]},
    };
    size_t i;
    size_t j;

    for (i = 0; i < CONFIG__COUNT(l); i++) {
        for (j = i + 1; j < CONFIG__COUNT(l); j++) {
            const struct listener *a = l[i].line >= l[j].line ? &l[i] : &l[j];
            const struct listener *b = a == &l[i] ? &l[j] : &l[i];
            char other[32] = "its default";

            if (l[i].addr[0] == '\0' || l[j].addr[0] == '\0' || !same_port(l[i].addr, l[j].addr)) {
                continue;
            }
            if (b->line != 0) {
                (void)snprintf(other, sizeof(other), "line %u", b->line);
            }
            config__fail_at(ctx, a->line,
                            "%s: '%s' takes the port of %s '%s' (%s): each listener "
                            "needs a port of its own",
                            a->name, a->addr, b->name, b->addr, other);
            return;
        }
    }
}

void config__finish_fixed(struct config__parse_ctx *ctx)
{
    struct config_where *w = &ctx->cfg->where;

    check_listeners(ctx);
    w->storage_path = ctx->fixed_line[CONFIG__FS_STORAGE][0];
    w->tls_ca = ctx->fixed_line[CONFIG__FS_MQTT][MK_TLS_CA];
    w->tls_cert = ctx->fixed_line[CONFIG__FS_MQTT][MK_TLS_CERT];
    w->tls_key = ctx->fixed_line[CONFIG__FS_MQTT][MK_TLS_KEY];
    w->am_tls_ca = ctx->fixed_line[CONFIG__FS_ALERTMANAGER][AK_TLS_CA];
}

/* One URL of [alertmanager] url: http or https, a host, no user:password@ (the credentials
 * have keys of their own, which are never printed; a URL is). */
static bool am_url_ok(const char *u)
{
    const char *host = strncmp(u, "http://", 7) == 0    ? u + 7
                       : strncmp(u, "https://", 8) == 0 ? u + 8
                                                        : NULL;
    size_t authority;

    if (host == NULL) {
        return false;
    }
    authority = strcspn(host, "/?#");
    return authority > 0 && memchr(host, '@', authority) == NULL &&
           strcspn(u, " \t\"<>\\^`{|}") == strlen(u);
}

void config__finish_alertmanager(struct config__parse_ctx *ctx)
{
    struct config_alertmanager *am = &ctx->cfg->alertmanager;
    const unsigned *kl = ctx->fixed_line[CONFIG__FS_ALERTMANAGER];
    char list[sizeof(am->url)];
    char *save = NULL;
    char *u;

    memset(am->urls, 0, sizeof(am->urls));
    am->url_count = 0;
    memcpy(list, am->url, sizeof(list));
    for (u = strtok_r(list, ", \t", &save); u != NULL; u = strtok_r(NULL, ", \t", &save)) {
        size_t len = strlen(u);

        while (len > 1 && u[len - 1] == '/') {
            u[--len] = '\0'; /* ".../" + "/api/v2/alerts" would be "//api" */
        }
        if (am->url_count == CONFIG_AM_URLS) {
            config__fail_at(ctx, kl[AK_URL], "[alertmanager] url: more than %u URLs",
                            CONFIG_AM_URLS);
            return;
        }
        if (strchr(u, '@') != NULL) {
            /* Not echoed: it may hold a password. */
            config__fail_at(ctx, kl[AK_URL],
                            "[alertmanager] url: URL %u has an '@': put credentials in "
                            "username and password (or bearer_token), never in the URL",
                            am->url_count + 1);
            return;
        }
        if (len >= CONFIG_AM_URL_LEN || !am_url_ok(u)) {
            config__fail_at(ctx, kl[AK_URL],
                            "[alertmanager] url: '%.*s' is not an http:// or https:// URL "
                            "(shorter than %u bytes)",
                            (int)(len < 100 ? len : 100), u, CONFIG_AM_URL_LEN);
            return;
        }
        memcpy(am->urls[am->url_count++], u, len + 1);
    }
    if (am->password[0] != '\0' && am->username[0] == '\0') {
        config__fail_at(ctx, kl[AK_PASSWORD], "[alertmanager] password: needs a username as well");
    } else if (am->bearer_token[0] != '\0' && am->username[0] != '\0') {
        config__fail_at(ctx, kl[AK_BEARER],
                        "[alertmanager] bearer_token: use either it or username/password");
    }
}
