/* SPDX-License-Identifier: MIT
 * [mqtt] host as a list of brokers, and [fusion] scope: checks that need the whole file.
 * A list lets a gateway reach a clustered broker (NATS, or mosquitto bridges) through any of
 * its nodes: mqtt.c tries them in turn.
 */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

enum { MK_HOST = 0, MK_PORT = 1 };
enum { FK_SCOPE = 0 };

/* One "host", "host:port" or "[v6]:port" entry of @len bytes at @s into @b (port: @dflt).
 * Return: 0, or -1 with the reason in @why. */
static int parse_entry(const char *s, size_t len, unsigned dflt, struct config_broker *b,
                       const char **why)
{
    const char *colon = NULL;
    const char *host = s;
    size_t host_len = len;
    unsigned long long port = dflt;
    char num[8];

    if (s[0] == '[') {
        const char *end = memchr(s, ']', len);

        if (end == NULL) {
            *why = "no closing ']'";
            return -1;
        }
        host = s + 1;
        host_len = (size_t)(end - host);
        colon = end + 1 < s + len ? end + 1 : NULL;
        if (colon != NULL && *colon != ':') {
            *why = "expected ':' after ']'";
            return -1;
        }
    } else {
        colon = memchr(s, ':', len);
        host_len = colon != NULL ? (size_t)(colon - s) : len;
        if (colon != NULL && memchr(colon + 1, ':', len - host_len - 1) != NULL) {
            *why = "an IPv6 address needs brackets: [addr]:port";
            return -1;
        }
    }
    if (host_len == 0 || host_len >= sizeof(b->host)) {
        *why = host_len == 0 ? "empty host" : "host name too long";
        return -1;
    }
    if (colon != NULL) {
        size_t n = len - (size_t)(colon + 1 - s);

        if (n == 0 || n >= sizeof(num)) {
            *why = "bad port";
            return -1;
        }
        memcpy(num, colon + 1, n);
        num[n] = '\0';
        if (config__parse_uint(num, &port) != 0 || port < 1 || port > 65535) {
            *why = "bad port (1..65535)";
            return -1;
        }
    }
    memset(b->host, 0, sizeof(b->host));
    memcpy(b->host, host, host_len);
    b->port = (unsigned)port;
    return 0;
}

static void finish_hosts(struct config__parse_ctx *ctx)
{
    struct config_mqtt *mqtt = &ctx->cfg->mqtt;
    unsigned line = ctx->fixed_line[CONFIG__FS_MQTT][MK_HOST];
    const char *p = mqtt->host;
    const char *why = NULL;

    mqtt->broker_count = 0;
    memset(mqtt->brokers, 0, sizeof(mqtt->brokers));
    while (*p != '\0') {
        size_t len;

        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == 0) {
            break;
        }
        if (mqtt->broker_count == CONFIG_MQTT_HOSTS) {
            config__fail_at(ctx, line, "[mqtt] host: more than %u brokers", CONFIG_MQTT_HOSTS);
            return;
        }
        if (parse_entry(p, len, mqtt->port, &mqtt->brokers[mqtt->broker_count], &why) != 0) {
            config__fail_at(ctx, line, "[mqtt] host: bad entry '%.*s': %s", (int)len, p, why);
            return;
        }
        mqtt->broker_count++;
        p += len;
    }
}

void config__finish_broker(struct config__parse_ctx *ctx)
{
    struct config_site *site = &ctx->cfg->fusion.site;

    finish_hosts(ctx);
    if (ctx->err_set) {
        return;
    }
    if (strcmp(site->scope, "gateway") != 0 && strcmp(site->scope, "site") != 0) {
        config__fail_at(ctx, ctx->fixed_line[CONFIG__FS_FUSION][FK_SCOPE],
                        "[fusion] scope: '%s' is neither gateway nor site", site->scope);
        return;
    }
    site->site = strcmp(site->scope, "site") == 0;
    if (site->site && ctx->cfg->mqtt.broker_count == 0) {
        config__fail_at(ctx, ctx->fixed_line[CONFIG__FS_FUSION][FK_SCOPE],
                        "[fusion] scope: site needs [mqtt] host (the site's broker)");
    }
}
