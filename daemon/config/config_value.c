/* SPDX-License-Identifier: MIT
 * Config values by type (enum config__vtype): names, topic prefixes, numbers in a range, booleans,
 * listen addresses (resolved here, so a bad host is a config error), the DevAddr range, a
 * zone's polygon, and config_parse_addr() for the daemon's listeners. A refused value is
 * recorded as an error naming the section and key; a string value is never repeated (it may
 * be a password). The lowest file of the parser: recording the first error and copying a
 * string live here too, for every other file.
 */
#include "config/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "config/config_int.h"
#include "util/hex.h"

/* Keep the first error only: inih reports the first failing line, and so do we. */
void config__fail_at(struct config__parse_ctx *ctx, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ctx->err_set) {
        return;
    }
    ctx->err_set = true;
    ctx->err_reads = ctx->reads;
    n = snprintf(ctx->err, sizeof(ctx->err), "%s:%u: ", ctx->path, line);
    if (n < 0 || (size_t)n >= sizeof(ctx->err)) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(ctx->err + n, sizeof(ctx->err) - (size_t)n, fmt, ap);
    va_end(ap);
}

void config__fail_key(struct config__parse_ctx *ctx, const char *key, const char *fmt, ...)
{
    char msg[CONFIG_ERR_LEN];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    config__fail_at(ctx, ctx->line, "[%s] %s: %s", ctx->section, key, msg);
}

void config__copy_str(char *dst, size_t cap, const char *src)
{
    size_t len = strnlen(src, cap - 1);

    memcpy(dst, src, len);
    memset(dst + len, 0, cap - len);
}

bool config__valid_name(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        char ch = *s;

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.')) {
            return false;
        }
    }
    return true;
}

int config__parse_uint(const char *s, unsigned long long *out)
{
    char *end = NULL;

    if (*s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (*end != '\0') {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;

    if (*s == '\0') {
        return -EINVAL;
    }
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(*out)) {
        return -EINVAL;
    }
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t i;

    for (i = 0; i < CONFIG__COUNT(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Split "host:port" / "[v6]:port"; @host receives the host without brackets. */
static int split_hostport(const char *hp, char *host, size_t host_cap, unsigned *port,
                          const char **why)
{
    const char *colon;
    const char *h = hp;
    size_t hlen;
    unsigned long long p = 0;

    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');

        if (close == NULL || close[1] != ':') {
            *why = "expected [address]:port";
            return -EINVAL;
        }
        h = hp + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(hp, ':');
        if (colon == NULL) {
            *why = "expected host:port";
            return -EINVAL;
        }
        if (memchr(hp, ':', (size_t)(colon - hp)) != NULL) {
            *why = "an IPv6 address needs brackets: [address]:port";
            return -EINVAL;
        }
        hlen = (size_t)(colon - hp);
    }
    if (hlen == 0) {
        *why = "host missing before the port";
        return -EINVAL;
    }
    if (hlen >= host_cap) {
        *why = "host name too long";
        return -EINVAL;
    }
    if (strlen(colon + 1) > 5 || config__parse_uint(colon + 1, &p) < 0 || p > 65535) {
        *why = "port must be a number 0..65535";
        return -EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (unsigned)p;
    return 0;
}

static int resolve_addr(const char *hp, struct sockaddr_storage *out, unsigned *port_out,
                        const char **why)
{
    char host[256];
    unsigned port = 0;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    int rc;

    rc = split_hostport(hp, host, sizeof(host), &port, why);
    if (rc < 0) {
        return rc;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = hp[0] == '[' ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = hp[0] == '[' ? AI_NUMERICHOST : 0;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        *why = hp[0] == '[' ? "not an IPv6 address" : "host does not resolve";
        return -EINVAL;
    }
    if (res->ai_addrlen > sizeof(*out) ||
        (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
        freeaddrinfo(res);
        *why = "host resolves to an unusable address";
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (out->ss_family == AF_INET) {
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    } else {
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    }
    *port_out = port;
    return 0;
}

int config_parse_addr(const char *hostport, struct sockaddr_storage *out)
{
    struct sockaddr_storage tmp;
    const char *why = NULL;
    unsigned port = 0;
    int rc;

    if (hostport == NULL || out == NULL) {
        return -EINVAL;
    }
    rc = resolve_addr(hostport, &tmp, &port, &why);
    if (rc < 0) {
        return rc;
    }
    *out = tmp;
    return 0;
}

/*
 * "26011F00/24" (a prefix: the length's high bits fixed, the others free; bits below the
 * prefix must be 0 in the address, as in CIDR) or "26011F00-26011FFF" (both ends included).
 * DevAddrs are 8 hex digits, as hex_decode_devaddr() reads them everywhere else.
 */
static int parse_devaddr_range(struct config__parse_ctx *ctx, const char *key, const char *value,
                               struct config_devaddr_range *out)
{
    char first_s[HEX_DEVADDR_STR_LEN];
    char why[HEX_ERR_LEN];
    const char *sep = strpbrk(value, "/-");
    uint32_t first = 0;
    uint32_t last = 0;

    if (*value == '\0') {
        memset(out, 0, sizeof(*out)); /* empty: no range, as when the key is left out */
        return 0;
    }
    if (sep == NULL || (size_t)(sep - value) != HEX_DEVADDR_STR_LEN - 1u) {
        config__fail_key(ctx, key, "expected DEVADDR/BITS or FIRST-LAST (e.g. 26011F00/24): '%s'",
                         value);
        return -EINVAL;
    }
    memcpy(first_s, value, HEX_DEVADDR_STR_LEN - 1u);
    first_s[HEX_DEVADDR_STR_LEN - 1u] = '\0';
    if (hex_decode_devaddr(first_s, &first, why, sizeof(why)) < 0) {
        config__fail_key(ctx, key, "'%s': %s", first_s, why);
        return -EINVAL;
    }
    if (*sep == '/') {
        unsigned long long bits = 0;
        uint32_t host;

        if (config__parse_uint(sep + 1, &bits) < 0 || bits < 1 || bits > 32) {
            config__fail_key(ctx, key, "prefix length must be 1..32: '%s'", value);
            return -EINVAL;
        }
        host = bits == 32 ? 0u : 0xFFFFFFFFu >> bits;
        if ((first & host) != 0) {
            config__fail_key(ctx, key,
                             "'%s': the bits below the /%llu prefix must be 0 (%08X/%llu?)", value,
                             bits, (unsigned)(first & ~host), bits);
            return -EINVAL;
        }
        last = first | host;
    } else {
        if (hex_decode_devaddr(sep + 1, &last, why, sizeof(why)) < 0) {
            config__fail_key(ctx, key, "'%s': %s", sep + 1, why);
            return -EINVAL;
        }
        if (last < first) {
            config__fail_key(ctx, key, "'%s': the last DevAddr is below the first", value);
            return -EINVAL;
        }
    }
    memset(out, 0, sizeof(*out));
    out->set = true;
    out->first = first;
    out->last = last;
    return 0;
}

static bool valid_topic(const char *s)
{
    size_t len = strlen(s);

    return len > 0 && strpbrk(s, "+#") == NULL && s[0] != '/' && s[len - 1] != '/';
}

/* CONFIG__V_STR, CONFIG__V_PATH, CONFIG__V_NAME, CONFIG__V_TOPIC, CONFIG__V_CLASS_REF: text that
 * fits the field. The value is not repeated in messages about its length or emptiness: it may be a
 * password. */
static int set_text(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                    const char *value, char *field)
{
    size_t len = strlen(value);

    if (len >= k->size) {
        config__fail_key(ctx, k->key, "too long: %zu characters (at most %zu)", len, k->size - 1);
        return -EINVAL;
    }
    if (k->type != CONFIG__V_STR && k->type != CONFIG__V_TOPIC && len == 0) {
        config__fail_key(ctx, k->key, "must not be empty");
        return -EINVAL;
    }
    if ((k->type == CONFIG__V_NAME || k->type == CONFIG__V_CLASS_REF) &&
        !config__valid_name(value)) {
        config__fail_key(ctx, k->key, "only letters, digits, '_', '-' and '.' allowed: '%s'",
                         value);
        return -EINVAL;
    }
    if (k->type == CONFIG__V_TOPIC && len > 0 && !valid_topic(value)) {
        config__fail_key(ctx, k->key,
                         "not a topic prefix (no '+', '#', leading or trailing '/'): '%s'", value);
        return -EINVAL;
    }
    if (k->type == CONFIG__V_CLASS_REF) {
        /* Classes may come later in the file: resolved in config__finish_rules(). */
        config__copy_str(ctx->rule_class[ctx->cfg->fusion.rule_count - 1], CONFIG_NAME_MAX, value);
        return 0;
    }
    config__copy_str(field, k->size, value);
    return 0;
}

static int set_uint(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                    const char *value, char *field)
{
    unsigned long long v = 0;
    int rc = config__parse_uint(value, &v);

    if (rc == -EINVAL) {
        config__fail_key(ctx, k->key, "not a number: '%s'", value);
        return -EINVAL;
    }
    if (rc < 0 || v < (unsigned long long)k->min || v > (unsigned long long)k->max) {
        config__fail_key(ctx, k->key, "out of range: '%s' (%.0f..%.0f)", value, k->min, k->max);
        return -EINVAL;
    }
    *(unsigned *)(void *)field = (unsigned)v;
    return 0;
}

static int set_double(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                      const char *value, char *field)
{
    double v = 0;

    if (parse_double(value, &v) < 0) {
        config__fail_key(ctx, k->key, "not a number: '%s'", value);
        return -EINVAL;
    }
    if (v < k->min || v > k->max) {
        config__fail_key(ctx, k->key, "out of range: '%s' (%g..%g)", value, k->min, k->max);
        return -EINVAL;
    }
    *(double *)(void *)field = v;
    return 0;
}

static int set_sync(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                    const char *value, char *field)
{
    static const char *const names[] = {"off", "normal", "full"};
    size_t i;

    for (i = 0; i < CONFIG__COUNT(names); i++) {
        if (strcmp(value, names[i]) == 0) {
            *(int *)(void *)field = (int)i;
            return 0;
        }
    }
    config__fail_key(ctx, k->key, "must be off, normal or full: '%s'", value);
    return -EINVAL;
}

/* CONFIG__V_REGION: only a region whose table the downlink planner has (daemon/ingest/
 * region.c): a gateway must never schedule EU868 windows and powers on another region's
 * channels. */
static int set_region(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                      const char *value, char *field)
{
    static const char *const others[] = {"US915", "AU915", "AS923", "CN470", "CN779",
                                         "EU433", "IN865", "KR920", "RU864"};
    size_t i;

    if (strcmp(value, "EU868") == 0) {
        config__copy_str(field, k->size, value);
        return 0;
    }
    for (i = 0; i < CONFIG__COUNT(others); i++) {
        if (strcmp(value, others[i]) == 0) {
            config__fail_key(ctx, k->key, "region %s is not supported yet: only EU868", value);
            return -EINVAL;
        }
    }
    config__fail_key(ctx, k->key, "unknown region '%s': only EU868 is supported", value);
    return -EINVAL;
}

/* CONFIG__V_ADDR: resolved now, so that a host that does not resolve is a config error. */
static int set_addr(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                    const char *value, char *field)
{
    struct sockaddr_storage ss;
    const char *why = NULL;
    unsigned port = 0;
    size_t len = strlen(value);

    if (len >= k->size) {
        config__fail_key(ctx, k->key, "too long: %zu characters (at most %zu)", len, k->size - 1);
        return -EINVAL;
    }
    if (len > 0 && resolve_addr(value, &ss, &port, &why) < 0) {
        config__fail_key(ctx, k->key, "bad address '%s': %s", value, why);
        return -EINVAL;
    }
    if (len > 0 && port == 0) {
        config__fail_key(ctx, k->key, "bad address '%s': a listener needs a port 1..65535", value);
        return -EINVAL;
    }
    config__copy_str(field, k->size, value);
    return 0;
}

static int set_rule_type(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                         const char *value, char *field)
{
    if (strcmp(value, "cluster") == 0) {
        *(enum config_rule_type *)(void *)field = CONFIG_RULE_CLUSTER;
    } else if (strcmp(value, "persistence") == 0) {
        *(enum config_rule_type *)(void *)field = CONFIG_RULE_PERSISTENCE;
    } else {
        config__fail_key(ctx, k->key, "must be cluster or persistence: '%s'", value);
        return -EINVAL;
    }
    return 0;
}

/* "lat lon, lat lon, ..." appended to the zone's corners; a trailing comma is allowed so
 * the list can go on on the next (indented) line. */
static int parse_polygon(struct config__parse_ctx *ctx, const char *key, const char *value,
                         struct config_zone *z)
{
    const char *p = value;

    while (*p != '\0') {
        double lat;
        double lon;
        char *end = NULL;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        lat = strtod(p, &end);
        if (end == p || !isfinite(lat)) {
            config__fail_key(ctx, key, "not a 'lat lon' pair at '%s'", p);
            return -EINVAL;
        }
        p = end;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        lon = strtod(p, &end);
        if (end == p || !isfinite(lon)) {
            config__fail_key(ctx, key, "not a 'lat lon' pair at '%s'", p);
            return -EINVAL;
        }
        p = end;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p != ',' && *p != '\0') {
            config__fail_key(ctx, key, "expected ',' between corners at '%s'", p);
            return -EINVAL;
        }
        if (*p == ',') {
            p++;
        }
        if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
            config__fail_key(ctx, key, "corner %u out of range: %g %g (lat -90..90, lon -180..180)",
                             z->polygon_len + 1, lat, lon);
            return -EINVAL;
        }
        if (z->polygon_len >= CONFIG_POLYGON_MAX) {
            config__fail_key(ctx, key, "more than %u corners", CONFIG_POLYGON_MAX);
            return -EINVAL;
        }
        z->polygon[z->polygon_len][0] = lat;
        z->polygon[z->polygon_len][1] = lon;
        z->polygon_len++;
    }
    return 0;
}

int config__set_value(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                      const char *value)
{
    char *field = (char *)ctx->base + k->off;

    switch (k->type) {
    case CONFIG__V_STR:
    case CONFIG__V_PATH:
    case CONFIG__V_NAME:
    case CONFIG__V_TOPIC:
    case CONFIG__V_CLASS_REF:
        return set_text(ctx, k, value, field);
    case CONFIG__V_UINT:
        return set_uint(ctx, k, value, field);
    case CONFIG__V_DOUBLE:
        return set_double(ctx, k, value, field);
    case CONFIG__V_BOOL:
        if (parse_bool(value, (bool *)(void *)field) < 0) {
            config__fail_key(ctx, k->key, "must be true or false: '%s'", value);
            return -EINVAL;
        }
        return 0;
    case CONFIG__V_SYNC:
        return set_sync(ctx, k, value, field);
    case CONFIG__V_ADDR:
        return set_addr(ctx, k, value, field);
    case CONFIG__V_RULE_TYPE:
        return set_rule_type(ctx, k, value, field);
    case CONFIG__V_POLYGON:
        return parse_polygon(ctx, k->key, value, (struct config_zone *)ctx->base);
    case CONFIG__V_DEVRANGE:
        return parse_devaddr_range(ctx, k->key, value,
                                   (struct config_devaddr_range *)(void *)field);
    case CONFIG__V_REGION:
        return set_region(ctx, k, value, field);
    }
    return -EINVAL;
}

const char *config_sync_name(int synchronous)
{
    switch (synchronous) {
    case CONFIG_SYNC_OFF:
        return "off";
    case CONFIG_SYNC_NORMAL:
        return "normal";
    case CONFIG_SYNC_FULL:
        return "full";
    default:
        return "?";
    }
}
