/* SPDX-License-Identifier: MIT
 * The INI config (config.h), parsed with inih. inih hands the handler neither line numbers
 * nor empty sections, so config_load() feeds it through its own line reader: the reader
 * counts physical lines, notices [section] headers (empty ones included) and indented
 * continuation lines, and stops inih at the first error. Checks that need a whole section
 * (a zone's shape, a rule's class) run after parsing, from line numbers kept on the side.
 */
#include "config/config.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ini.h>

#include "proto/classes.h"
#include "util/hex.h"

#define KEYS_MAX 16 /* keys of the largest section ([rule.*], [mqtt]) fit below this */

enum vtype {
    V_STR,       /* any text that fits, may be empty */
    V_PATH,      /* non-empty text that fits */
    V_NAME,      /* non-empty, letters, digits, '_', '-', '.': safe inside an MQTT topic */
    V_TOPIC,     /* topic prefix: no wildcards, no leading or trailing '/'; empty = default */
    V_UINT,      /* unsigned, decimal, in [min, max] */
    V_DOUBLE,    /* finite decimal number in [min, max] */
    V_BOOL,      /* true/false, yes/no, on/off, 1/0 */
    V_SYNC,      /* off, normal, full */
    V_ADDR,      /* "host:port" with a port above 0, or empty (listener disabled) */
    V_RULE_TYPE, /* cluster, persistence */
    V_CLASS_REF, /* a class name, resolved once the whole file is read */
    V_POLYGON,   /* "lat lon, lat lon, ..." continued on indented lines */
    V_DEVRANGE   /* DevAddr range: "26011F00/24" or "26011F00-26011FFF" */
};

struct key_spec {
    const char *key;
    enum vtype type;
    size_t off;  /* offset of the field in the struct the section fills */
    size_t size; /* size of that field (strings: the buffer) */
    double min;  /* V_UINT, V_DOUBLE */
    double max;
};

#define FIELD(type, member) offsetof(type, member), sizeof(((type *)NULL)->member)

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

static const struct key_spec class_keys[] = {
    {"id", V_UINT, 0, sizeof(unsigned), 0, CONFIG_CLASS_MAX - 1},
};

static const struct key_spec zone_keys[] = {
    {"critical", V_BOOL, FIELD(struct config_zone, critical), 0, 0},
    {"lat", V_DOUBLE, FIELD(struct config_zone, lat), -90, 90},
    {"lon", V_DOUBLE, FIELD(struct config_zone, lon), -180, 180},
    {"radius_m", V_DOUBLE, FIELD(struct config_zone, radius_m), 1, 1e6},
    {"polygon", V_POLYGON, FIELD(struct config_zone, polygon), 0, 0},
};
enum { ZK_CRITICAL, ZK_LAT, ZK_LON, ZK_RADIUS, ZK_POLYGON };

static const struct key_spec rule_keys[] = {
    {"type", V_RULE_TYPE, FIELD(struct config_rule, type), 0, 0},
    /* The name is kept aside until the class table is complete: size is the name's. */
    {"class", V_CLASS_REF, offsetof(struct config_rule, class_id), CONFIG_NAME_MAX, 0, 0},
    {"window_s", V_UINT, FIELD(struct config_rule, window_s), 1, 86400},
    {"min_nodes", V_UINT, FIELD(struct config_rule, min_nodes), 1, 1000},
    {"watch_confidence", V_DOUBLE, FIELD(struct config_rule, watch_confidence), 0, 1},
    {"warning_confidence", V_DOUBLE, FIELD(struct config_rule, warning_confidence), 0, 1},
    {"critical_confidence", V_DOUBLE, FIELD(struct config_rule, critical_confidence), 0, 1},
    {"clear_after_s", V_UINT, FIELD(struct config_rule, clear_after_s), 1, 604800},
    {"update_interval_s", V_UINT, FIELD(struct config_rule, update_interval_s), 0, 86400},
    {"k", V_UINT, FIELD(struct config_rule, k), 1, 64},
    {"n", V_UINT, FIELD(struct config_rule, n), 1, 64},
    {"anomalous_ratio", V_DOUBLE, FIELD(struct config_rule, anomalous_ratio), 0, 1},
};
enum {
    RK_TYPE,
    RK_CLASS,
    RK_WINDOW,
    RK_MIN_NODES,
    RK_WATCH,
    RK_WARNING,
    RK_CRITICAL,
    RK_K = 9,
    RK_N = 10
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum section_kind {
    SEC_NONE,  /* before the first header */
    SEC_FIXED, /* [gateway], [storage], ... */
    SEC_CLASS,
    SEC_ZONE,
    SEC_RULE,
    SEC_BAD /* an unknown section; the error is already recorded */
};

struct section_spec {
    const char *name;
    const struct key_spec *keys;
    size_t nkeys;
};

static const struct section_spec fixed_sections[] = {
    {"gateway", gateway_keys, COUNT(gateway_keys)}, {"storage", storage_keys, COUNT(storage_keys)},
    {"coap", coap_keys, COUNT(coap_keys)},          {"lora", lora_keys, COUNT(lora_keys)},
    {"mqtt", mqtt_keys, COUNT(mqtt_keys)},          {"health", health_keys, COUNT(health_keys)},
};
enum { FS_GATEWAY, FS_STORAGE, FS_COAP, FS_LORA, FS_MQTT, FS_HEALTH, FS_COUNT };
enum {
    MK_CLIENT_ID = 2,
    MK_USERNAME = 3,
    MK_PASSWORD = 4,
    MK_TLS_CERT = 6,
    MK_TLS_KEY = 7,
    MK_PREFIX = 8
};

static const struct section_spec class_section = {"class.", class_keys, COUNT(class_keys)};
static const struct section_spec zone_section = {"zone.", zone_keys, COUNT(zone_keys)};
static const struct section_spec rule_section = {"rule.", rule_keys, COUNT(rule_keys)};

/* A [class.<name>] seen in the file; the table is built from these at the end. */
struct class_entry {
    char name[CONFIG_NAME_MAX];
    unsigned id;
    unsigned line;               /* of the [class.<name>] header */
    unsigned key_line[KEYS_MAX]; /* line of each key, 0 = not given */
};

/* Where a [zone.*] or [rule.*] and its keys were, for checks after parsing. */
struct entry_lines {
    unsigned line;
    unsigned key_line[KEYS_MAX];
};

struct parse_ctx {
    const char *path;
    FILE *file;
    struct config *cfg;
    unsigned line;  /* physical line last handed to inih */
    unsigned reads; /* reader calls: inih's own line count */
    int read_errno; /* errno of a failed read, 0 if none */
    bool indented;  /* the line starts with white space */
    bool err_set;   /* err holds the first error */
    unsigned err_reads;
    char err[CONFIG_ERR_LEN];

    /* the section in force */
    enum section_kind kind;
    const struct section_spec *spec;
    char section[CONFIG_NAME_MAX + 8]; /* its name as written, for messages */
    unsigned *key_line;                /* KEYS_MAX lines of its keys */
    void *base;                        /* the struct its keys fill */
    char prev_key[32];                 /* the key of the previous line, for continuations */

    unsigned fixed_line[FS_COUNT][KEYS_MAX];
    unsigned class_count;
    struct class_entry classes[CONFIG_CLASS_MAX];
    unsigned class_id_tmp; /* V_UINT target while parsing a class id */
    struct entry_lines zone_lines[CONFIG_ZONE_MAX];
    struct entry_lines rule_lines[CONFIG_RULE_MAX];
    char rule_class[CONFIG_RULE_MAX][CONFIG_NAME_MAX];
};

static void fail_at(struct parse_ctx *ctx, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keep the first error only: inih reports the first failing line, and so do we. */
static void fail_at(struct parse_ctx *ctx, unsigned line, const char *fmt, ...)
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

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t len = strnlen(src, cap - 1);

    memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool valid_name(const char *s)
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
    copy_str(out->gateway_id, sizeof(out->gateway_id), valid_name(host) ? host : "tinyfleet");
    copy_str(out->site, sizeof(out->site), "default");
    copy_str(out->storage_path, sizeof(out->storage_path), "/var/lib/tinyfleet/tinyfleet.db");
    out->retention_days = 90;
    /* FULL: an acknowledged event must survive a power cut, not only a crash. */
    out->storage_synchronous = CONFIG_SYNC_FULL;
    copy_str(out->coap_listen, sizeof(out->coap_listen), "0.0.0.0:5683");
    copy_str(out->lora_listen, sizeof(out->lora_listen), "0.0.0.0:1700");
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
        copy_str(out->class_names[i], CONFIG_NAME_MAX, proto_class_name((uint8_t)i));
    }
}

/* ---- values ---- */

static int parse_uint(const char *s, unsigned long long *out)
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

    for (i = 0; i < COUNT(yes); i++) {
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
    if (strlen(colon + 1) > 5 || parse_uint(colon + 1, &p) < 0 || p > 65535) {
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

/* ---- the handler's work ---- */

static const struct key_spec *find_key(const struct section_spec *spec, const char *key,
                                       size_t *idx)
{
    size_t i;

    for (i = 0; i < spec->nkeys; i++) {
        if (strcmp(spec->keys[i].key, key) == 0) {
            *idx = i;
            return &spec->keys[i];
        }
    }
    return NULL;
}

static void fail_key(struct parse_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_key(struct parse_ctx *ctx, const char *key, const char *fmt, ...)
{
    char msg[CONFIG_ERR_LEN];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fail_at(ctx, ctx->line, "[%s] %s: %s", ctx->section, key, msg);
}

static void fail_unknown_key(struct parse_ctx *ctx, const char *key)
{
    char known[256];
    size_t used = 0;
    size_t i;

    known[0] = '\0';
    for (i = 0; i < ctx->spec->nkeys; i++) {
        int n = snprintf(known + used, sizeof(known) - used, "%s%s", i > 0 ? ", " : "",
                         ctx->spec->keys[i].key);

        if (n < 0 || (size_t)n >= sizeof(known) - used) {
            break;
        }
        used += (size_t)n;
    }
    fail_key(ctx, key, "unknown key (known: %s)", known);
}

/* "lat lon, lat lon, ..." appended to the zone's corners; a trailing comma is allowed so
 * the list can go on on the next (indented) line. */
static int parse_polygon(struct parse_ctx *ctx, const char *key, const char *value,
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
            fail_key(ctx, key, "not a 'lat lon' pair at '%s'", p);
            return -EINVAL;
        }
        p = end;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        lon = strtod(p, &end);
        if (end == p || !isfinite(lon)) {
            fail_key(ctx, key, "not a 'lat lon' pair at '%s'", p);
            return -EINVAL;
        }
        p = end;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p != ',' && *p != '\0') {
            fail_key(ctx, key, "expected ',' between corners at '%s'", p);
            return -EINVAL;
        }
        if (*p == ',') {
            p++;
        }
        if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
            fail_key(ctx, key, "corner %u out of range: %g %g (lat -90..90, lon -180..180)",
                     z->polygon_len + 1, lat, lon);
            return -EINVAL;
        }
        if (z->polygon_len >= CONFIG_POLYGON_MAX) {
            fail_key(ctx, key, "more than %u corners", CONFIG_POLYGON_MAX);
            return -EINVAL;
        }
        z->polygon[z->polygon_len][0] = lat;
        z->polygon[z->polygon_len][1] = lon;
        z->polygon_len++;
    }
    return 0;
}

/*
 * "26011F00/24" (a prefix: the length's high bits fixed, the others free; bits below the
 * prefix must be 0 in the address, as in CIDR) or "26011F00-26011FFF" (both ends included).
 * DevAddrs are 8 hex digits, as hex_decode_devaddr() reads them everywhere else.
 */
static int parse_devaddr_range(struct parse_ctx *ctx, const char *key, const char *value,
                               struct config_devaddr_range *out)
{
    char first_s[HEX_DEVADDR_STR_LEN];
    char why[HEX_ERR_LEN];
    const char *sep = strpbrk(value, "/-");
    uint32_t first = 0;
    uint32_t last = 0;

    if (*value == '\0') {
        out->set = false; /* empty: no range, as when the key is left out */
        return 0;
    }
    if (sep == NULL || (size_t)(sep - value) != HEX_DEVADDR_STR_LEN - 1u) {
        fail_key(ctx, key, "expected DEVADDR/BITS or FIRST-LAST (e.g. 26011F00/24): '%s'", value);
        return -EINVAL;
    }
    memcpy(first_s, value, HEX_DEVADDR_STR_LEN - 1u);
    first_s[HEX_DEVADDR_STR_LEN - 1u] = '\0';
    if (hex_decode_devaddr(first_s, &first, why, sizeof(why)) < 0) {
        fail_key(ctx, key, "'%s': %s", first_s, why);
        return -EINVAL;
    }
    if (*sep == '/') {
        unsigned long long bits = 0;
        uint32_t host;

        if (parse_uint(sep + 1, &bits) < 0 || bits < 1 || bits > 32) {
            fail_key(ctx, key, "prefix length must be 1..32: '%s'", value);
            return -EINVAL;
        }
        host = bits == 32 ? 0u : 0xFFFFFFFFu >> bits;
        if ((first & host) != 0) {
            fail_key(ctx, key, "'%s': the bits below the /%llu prefix must be 0 (%08X/%llu?)",
                     value, bits, (unsigned)(first & ~host), bits);
            return -EINVAL;
        }
        last = first | host;
    } else {
        if (hex_decode_devaddr(sep + 1, &last, why, sizeof(why)) < 0) {
            fail_key(ctx, key, "'%s': %s", sep + 1, why);
            return -EINVAL;
        }
        if (last < first) {
            fail_key(ctx, key, "'%s': the last DevAddr is below the first", value);
            return -EINVAL;
        }
    }
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

/* Store @value into the field @k describes; 0 or -EINVAL with the error recorded. */
static int set_value(struct parse_ctx *ctx, const struct key_spec *k, const char *value)
{
    char *field = (char *)ctx->base + k->off;
    size_t len = strlen(value);

    switch (k->type) {
    case V_STR:
    case V_PATH:
    case V_NAME:
    case V_TOPIC:
    case V_CLASS_REF:
        /* The value is not repeated: it may be a password. */
        if (len >= k->size) {
            fail_key(ctx, k->key, "too long: %zu characters (at most %zu)", len, k->size - 1);
            return -EINVAL;
        }
        if (k->type != V_STR && k->type != V_TOPIC && len == 0) {
            fail_key(ctx, k->key, "must not be empty");
            return -EINVAL;
        }
        if ((k->type == V_NAME || k->type == V_CLASS_REF) && !valid_name(value)) {
            fail_key(ctx, k->key, "only letters, digits, '_', '-' and '.' allowed: '%s'", value);
            return -EINVAL;
        }
        if (k->type == V_TOPIC && len > 0 && !valid_topic(value)) {
            fail_key(ctx, k->key, "not a topic prefix (no '+', '#', leading or trailing '/'): '%s'",
                     value);
            return -EINVAL;
        }
        if (k->type == V_CLASS_REF) {
            /* Classes may come later in the file: resolved in finish(). */
            copy_str(ctx->rule_class[ctx->cfg->rule_count - 1], CONFIG_NAME_MAX, value);
            return 0;
        }
        memcpy(field, value, len + 1);
        return 0;
    case V_UINT: {
        unsigned long long v = 0;
        int rc = parse_uint(value, &v);

        if (rc == -EINVAL) {
            fail_key(ctx, k->key, "not a number: '%s'", value);
            return -EINVAL;
        }
        if (rc < 0 || v < (unsigned long long)k->min || v > (unsigned long long)k->max) {
            fail_key(ctx, k->key, "out of range: '%s' (%.0f..%.0f)", value, k->min, k->max);
            return -EINVAL;
        }
        *(unsigned *)(void *)field = (unsigned)v;
        return 0;
    }
    case V_DOUBLE: {
        double v = 0;

        if (parse_double(value, &v) < 0) {
            fail_key(ctx, k->key, "not a number: '%s'", value);
            return -EINVAL;
        }
        if (v < k->min || v > k->max) {
            fail_key(ctx, k->key, "out of range: '%s' (%g..%g)", value, k->min, k->max);
            return -EINVAL;
        }
        *(double *)(void *)field = v;
        return 0;
    }
    case V_BOOL:
        if (parse_bool(value, (bool *)(void *)field) < 0) {
            fail_key(ctx, k->key, "must be true or false: '%s'", value);
            return -EINVAL;
        }
        return 0;
    case V_SYNC: {
        static const char *const names[] = {"off", "normal", "full"};
        size_t i;

        for (i = 0; i < COUNT(names); i++) {
            if (strcmp(value, names[i]) == 0) {
                *(int *)(void *)field = (int)i;
                return 0;
            }
        }
        fail_key(ctx, k->key, "must be off, normal or full: '%s'", value);
        return -EINVAL;
    }
    case V_ADDR: {
        struct sockaddr_storage ss;
        const char *why = NULL;
        unsigned port = 0;

        if (len >= k->size) {
            fail_key(ctx, k->key, "too long: %zu characters (at most %zu)", len, k->size - 1);
            return -EINVAL;
        }
        if (len > 0 && resolve_addr(value, &ss, &port, &why) < 0) {
            fail_key(ctx, k->key, "bad address '%s': %s", value, why);
            return -EINVAL;
        }
        if (len > 0 && port == 0) {
            fail_key(ctx, k->key, "bad address '%s': a listener needs a port 1..65535", value);
            return -EINVAL;
        }
        memcpy(field, value, len + 1);
        return 0;
    }
    case V_RULE_TYPE:
        if (strcmp(value, "cluster") == 0) {
            *(enum config_rule_type *)(void *)field = CONFIG_RULE_CLUSTER;
        } else if (strcmp(value, "persistence") == 0) {
            *(enum config_rule_type *)(void *)field = CONFIG_RULE_PERSISTENCE;
        } else {
            fail_key(ctx, k->key, "must be cluster or persistence: '%s'", value);
            return -EINVAL;
        }
        return 0;
    case V_POLYGON:
        return parse_polygon(ctx, k->key, value, (struct config_zone *)ctx->base);
    case V_DEVRANGE:
        return parse_devaddr_range(ctx, k->key, value,
                                   (struct config_devaddr_range *)(void *)field);
    }
    return -EINVAL;
}

static void handle_class_id(struct parse_ctx *ctx)
{
    struct class_entry *c = &ctx->classes[ctx->class_count - 1];
    unsigned i;

    for (i = 0; i + 1 < ctx->class_count; i++) {
        const struct class_entry *o = &ctx->classes[i];

        if (o->key_line[0] != 0 && o->id == ctx->class_id_tmp) {
            fail_key(ctx, "id", "%u is already the id of [class.%s] (line %u)", ctx->class_id_tmp,
                     o->name, o->key_line[0]);
            return;
        }
    }
    c->id = ctx->class_id_tmp;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    const struct key_spec *k;
    size_t idx = 0;
    bool continuation;

    (void)section; /* the reader tracks the section, with its line and the entry it fills */
    if (ctx->err_set) {
        return 1;
    }
    continuation = ctx->indented && ctx->prev_key[0] != '\0' && strcmp(name, ctx->prev_key) == 0;
    if (ctx->kind == SEC_NONE) {
        fail_at(ctx, ctx->line, "%s: key before the first [section]", name);
        return 0;
    }
    if (ctx->kind == SEC_BAD) {
        return 0;
    }
    k = find_key(ctx->spec, name, &idx);
    if (k == NULL) {
        fail_unknown_key(ctx, name);
        return 0;
    }
    if (continuation) {
        /* inih joins an indented line to the key above it (configparser style); only a
         * polygon is long enough to need that, elsewhere it hides a mistake. */
        if (k->type != V_POLYGON) {
            fail_key(ctx, name,
                     "an indented line continues this value; only polygon may go on over "
                     "several lines (remove the indentation)");
            return 0;
        }
    } else {
        if (ctx->key_line[idx] != 0) {
            fail_key(ctx, name, "given twice (first at line %u)", ctx->key_line[idx]);
            return 0;
        }
        ctx->key_line[idx] = ctx->line;
        copy_str(ctx->prev_key, sizeof(ctx->prev_key), name);
    }
    if (set_value(ctx, k, value) < 0) {
        return 0;
    }
    if (ctx->kind == SEC_CLASS) {
        handle_class_id(ctx);
    }
    return ctx->err_set ? 0 : 1;
}

/* ---- sections, seen by the reader ---- */

static int named_section(struct parse_ctx *ctx, const char *prefix, const char *name)
{
    size_t len = strlen(name);

    if (len == 0) {
        fail_at(ctx, ctx->line, "[%s]: a name must follow '%s'", ctx->section, prefix);
        return -EINVAL;
    }
    if (len >= CONFIG_NAME_MAX) {
        fail_at(ctx, ctx->line, "[%s]: name longer than %u characters", ctx->section,
                CONFIG_NAME_MAX - 1);
        return -EINVAL;
    }
    if (!valid_name(name)) {
        fail_at(ctx, ctx->line, "[%s]: only letters, digits, '_', '-' and '.' allowed in a name",
                ctx->section);
        return -EINVAL;
    }
    return 0;
}

static void begin_class(struct parse_ctx *ctx, const char *name)
{
    struct class_entry *c;
    unsigned i;

    for (i = 0; i < ctx->class_count; i++) {
        if (strcmp(ctx->classes[i].name, name) == 0) {
            fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                    ctx->classes[i].line);
            return;
        }
    }
    if (ctx->class_count >= CONFIG_CLASS_MAX) {
        fail_at(ctx, ctx->line, "[%s]: more than %u classes", ctx->section, CONFIG_CLASS_MAX);
        return;
    }
    c = &ctx->classes[ctx->class_count++];
    copy_str(c->name, sizeof(c->name), name);
    c->line = ctx->line;
    ctx->kind = SEC_CLASS;
    ctx->spec = &class_section;
    ctx->key_line = c->key_line;
    ctx->base = &ctx->class_id_tmp;
}

static void begin_zone(struct parse_ctx *ctx, const char *name)
{
    struct config *cfg = ctx->cfg;
    struct config_zone *z;
    unsigned i;

    for (i = 0; i < cfg->zone_count; i++) {
        if (strcmp(cfg->zones[i].name, name) == 0) {
            fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                    ctx->zone_lines[i].line);
            return;
        }
    }
    if (cfg->zone_count >= CONFIG_ZONE_MAX) {
        fail_at(ctx, ctx->line, "[%s]: more than %u zones", ctx->section, CONFIG_ZONE_MAX);
        return;
    }
    z = &cfg->zones[cfg->zone_count];
    memset(z, 0, sizeof(*z));
    copy_str(z->name, sizeof(z->name), name);
    ctx->zone_lines[cfg->zone_count].line = ctx->line;
    ctx->key_line = ctx->zone_lines[cfg->zone_count].key_line;
    cfg->zone_count++;
    ctx->kind = SEC_ZONE;
    ctx->spec = &zone_section;
    ctx->base = z;
}

static void begin_rule(struct parse_ctx *ctx, const char *name)
{
    struct config *cfg = ctx->cfg;
    struct config_rule *r;
    unsigned i;

    for (i = 0; i < cfg->rule_count; i++) {
        if (strcmp(cfg->rules[i].name, name) == 0) {
            fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                    ctx->rule_lines[i].line);
            return;
        }
    }
    if (cfg->rule_count >= CONFIG_RULE_MAX) {
        fail_at(ctx, ctx->line, "[%s]: more than %u rules", ctx->section, CONFIG_RULE_MAX);
        return;
    }
    r = &cfg->rules[cfg->rule_count];
    memset(r, 0, sizeof(*r));
    copy_str(r->name, sizeof(r->name), name);
    /* Defaults: documented in config/tinyfleetd.conf. */
    r->window_s = 60;
    r->min_nodes = 2;
    r->watch_confidence = 0.5;
    r->warning_confidence = 0.7;
    r->critical_confidence = 0.9;
    r->clear_after_s = 300;
    r->update_interval_s = 30;
    r->k = 3;
    r->n = 5;
    ctx->rule_lines[cfg->rule_count].line = ctx->line;
    ctx->key_line = ctx->rule_lines[cfg->rule_count].key_line;
    cfg->rule_count++;
    ctx->kind = SEC_RULE;
    ctx->spec = &rule_section;
    ctx->base = r;
}

static void begin_section(struct parse_ctx *ctx, const char *name, size_t len)
{
    size_t i;

    ctx->prev_key[0] = '\0';
    ctx->kind = SEC_BAD;
    if (len >= sizeof(ctx->section)) {
        fail_at(ctx, ctx->line, "[%.*s...]: unknown section", (int)(sizeof(ctx->section) - 1),
                name);
        return;
    }
    memcpy(ctx->section, name, len);
    ctx->section[len] = '\0';
    for (i = 0; i < FS_COUNT; i++) {
        if (strcmp(ctx->section, fixed_sections[i].name) == 0) {
            ctx->kind = SEC_FIXED;
            ctx->spec = &fixed_sections[i];
            ctx->key_line = ctx->fixed_line[i];
            ctx->base = ctx->cfg;
            return;
        }
    }
    if (strncmp(ctx->section, "class.", 6) == 0) {
        if (named_section(ctx, "class.", ctx->section + 6) == 0) {
            begin_class(ctx, ctx->section + 6);
        }
    } else if (strncmp(ctx->section, "zone.", 5) == 0) {
        if (named_section(ctx, "zone.", ctx->section + 5) == 0) {
            begin_zone(ctx, ctx->section + 5);
        }
    } else if (strncmp(ctx->section, "rule.", 5) == 0) {
        if (named_section(ctx, "rule.", ctx->section + 5) == 0) {
            begin_rule(ctx, ctx->section + 5);
        }
    } else {
        fail_at(ctx, ctx->line,
                "[%s]: unknown section (known: gateway, storage, coap, lora, mqtt, health, "
                "class.NAME, zone.NAME, rule.NAME)",
                ctx->section);
    }
}

/*
 * inih's line source: fgets plus bookkeeping. Returning NULL ends inih's loop, which is
 * how parsing stops at the first error. inih's section rule is mirrored here: after
 * optional white space (and a UTF-8 BOM on line 1), '[' up to the first ']'.
 */
static char *reader(char *str, int num, void *stream)
{
    struct parse_ctx *ctx = stream;
    const char *p;
    size_t len;

    if (ctx->err_set) {
        return NULL;
    }
    if (fgets(str, num, ctx->file) == NULL) {
        if (ferror(ctx->file)) {
            ctx->read_errno = errno != 0 ? errno : EIO;
        }
        return NULL;
    }
    ctx->reads++;
    ctx->line++;
    len = strlen(str);
    if (len == 0 || str[len - 1] != '\n') {
        int ch = getc(ctx->file);

        if (ch != EOF) {
            (void)ungetc(ch, ctx->file);
            if (len + 1 < (size_t)num) {
                fail_at(ctx, ctx->line, "contains a NUL byte");
            } else {
                fail_at(ctx, ctx->line, "line longer than %d characters", num - 2);
            }
            return NULL;
        }
    }
    p = str;
    if (ctx->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF) {
        p += 3;
    }
    ctx->indented = *p == ' ' || *p == '\t';
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p == '[') {
        const char *close = strchr(p + 1, ']');

        if (close != NULL) {
            begin_section(ctx, p + 1, (size_t)(close - p - 1));
        }
    }
    return str;
}

/* ---- whole-file checks ---- */

static void finish_classes(struct parse_ctx *ctx)
{
    struct config *cfg = ctx->cfg;
    unsigned i;

    if (ctx->class_count == 0) {
        return; /* the defaults stand */
    }
    memset(cfg->class_names, 0, sizeof(cfg->class_names));
    for (i = 0; i < ctx->class_count; i++) {
        const struct class_entry *c = &ctx->classes[i];

        if (c->key_line[0] == 0) {
            fail_at(ctx, c->line, "[class.%s]: missing id (0..%u)", c->name, CONFIG_CLASS_MAX - 1);
            return;
        }
        copy_str(cfg->class_names[c->id], CONFIG_NAME_MAX, c->name);
    }
}

static void finish_zones(struct parse_ctx *ctx)
{
    const struct config *cfg = ctx->cfg;
    unsigned i;

    for (i = 0; i < cfg->zone_count; i++) {
        struct config_zone *z = &ctx->cfg->zones[i];
        const unsigned *kl = ctx->zone_lines[i].key_line;
        bool any_circle = kl[ZK_LAT] != 0 || kl[ZK_LON] != 0 || kl[ZK_RADIUS] != 0;
        bool all_circle = kl[ZK_LAT] != 0 && kl[ZK_LON] != 0 && kl[ZK_RADIUS] != 0;

        if (kl[ZK_POLYGON] != 0 && any_circle) {
            fail_at(ctx, kl[ZK_POLYGON],
                    "[zone.%s] polygon: a zone is lat, lon and radius_m, "
                    "or a polygon, not both",
                    z->name);
            return;
        }
        if (kl[ZK_POLYGON] != 0 && z->polygon_len < 3) {
            fail_at(ctx, kl[ZK_POLYGON], "[zone.%s] polygon: needs at least 3 corners, got %u",
                    z->name, z->polygon_len);
            return;
        }
        if (kl[ZK_POLYGON] == 0 && !all_circle) {
            fail_at(ctx, ctx->zone_lines[i].line,
                    "[zone.%s]: missing %s (a zone is lat, lon and radius_m, or a polygon)",
                    z->name,
                    kl[ZK_LAT] == 0   ? "lat"
                    : kl[ZK_LON] == 0 ? "lon"
                                      : "radius_m");
            return;
        }
        z->has_circle = all_circle;
    }
}

static void finish_rules(struct parse_ctx *ctx)
{
    const struct config *cfg = ctx->cfg;
    unsigned i;

    for (i = 0; i < cfg->rule_count; i++) {
        struct config_rule *r = &ctx->cfg->rules[i];
        const struct entry_lines *el = &ctx->rule_lines[i];
        int id;

        if (el->key_line[RK_TYPE] == 0) {
            fail_at(ctx, el->line, "[rule.%s]: missing type (cluster or persistence)", r->name);
            return;
        }
        if (el->key_line[RK_CLASS] == 0) {
            fail_at(ctx, el->line, "[rule.%s]: missing class", r->name);
            return;
        }
        id = config_class_id(cfg, ctx->rule_class[i]);
        if (id < 0) {
            fail_at(ctx, el->key_line[RK_CLASS], "[rule.%s] class: unknown class '%s'", r->name,
                    ctx->rule_class[i]);
            return;
        }
        r->class_id = (uint8_t)id;
        /* Levels only rise from watch to critical (ARCHITECTURE.md, Fusion). */
        if (r->type == CONFIG_RULE_CLUSTER && (r->watch_confidence > r->warning_confidence ||
                                               r->warning_confidence > r->critical_confidence)) {
            unsigned line = el->key_line[RK_CRITICAL];

            if (el->key_line[RK_WARNING] > line) {
                line = el->key_line[RK_WARNING];
            }
            if (el->key_line[RK_WATCH] > line) {
                line = el->key_line[RK_WATCH];
            }
            fail_at(ctx, line != 0 ? line : el->line,
                    "[rule.%s]: confidences must not fall: watch_confidence %g, "
                    "warning_confidence %g, critical_confidence %g",
                    r->name, r->watch_confidence, r->warning_confidence, r->critical_confidence);
            return;
        }
        if (r->k > r->n) {
            unsigned line =
                el->key_line[RK_K] > el->key_line[RK_N] ? el->key_line[RK_K] : el->key_line[RK_N];

            fail_at(ctx, line != 0 ? line : el->line, "[rule.%s] k: %u is more than n (%u)",
                    r->name, r->k, r->n);
            return;
        }
    }
}

static void finish_mqtt(struct parse_ctx *ctx)
{
    struct config *cfg = ctx->cfg;
    const unsigned *kl = ctx->fixed_line[FS_MQTT];

    if (cfg->mqtt.tls_cert[0] != '\0' && cfg->mqtt.tls_key[0] == '\0') {
        fail_at(ctx, kl[MK_TLS_CERT], "[mqtt] tls_cert: needs tls_key as well");
        return;
    }
    if (cfg->mqtt.tls_key[0] != '\0' && cfg->mqtt.tls_cert[0] == '\0') {
        fail_at(ctx, kl[MK_TLS_KEY], "[mqtt] tls_key: needs tls_cert as well");
        return;
    }
    /* MQTT 3.1.1, 3.1.2.9: a password may only be sent with a user name. */
    if (cfg->mqtt.password[0] != '\0' && cfg->mqtt.username[0] == '\0') {
        fail_at(ctx, kl[MK_PASSWORD], "[mqtt] password: needs a username as well");
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

int config_load(const char *path, struct config *out, char *err, size_t err_len)
{
    struct parse_ctx *ctx = NULL;
    int rc = 0;
    int line;

    if (err != NULL && err_len > 0) {
        err[0] = '\0';
    }
    if (path == NULL || out == NULL) {
        return -EINVAL;
    }
    /* ~20 KB of bookkeeping: on the heap, so a loop callback's stack is not the limit. */
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    ctx->path = path;
    ctx->cfg = out;
    config_defaults(out);
    ctx->file = fopen(path, "re");
    if (ctx->file == NULL) {
        rc = -errno;
        (void)snprintf(ctx->err, sizeof(ctx->err), "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    line = ini_parse_stream(reader, ctx, handler, ctx);
    if (ctx->read_errno != 0) {
        rc = -ctx->read_errno;
        (void)snprintf(ctx->err, sizeof(ctx->err), "%s:%u: cannot read: %s", path, ctx->line + 1,
                       strerror(ctx->read_errno));
        goto out;
    }
    if (line > 0 && (!ctx->err_set || (unsigned)line < ctx->err_reads)) {
        /* No long line came before it (the reader stops at those), so inih's count is the
         * physical line. */
        ctx->err_set = false;
        fail_at(ctx, (unsigned)line,
                "syntax error: expected [section], key = value, or a comment (; or #)");
    } else if (line < 0) {
        rc = -ENOMEM;
        (void)snprintf(ctx->err, sizeof(ctx->err), "%s: out of memory", path);
        goto out;
    }
    if (!ctx->err_set) {
        finish_classes(ctx);
    }
    if (!ctx->err_set) {
        finish_zones(ctx);
    }
    if (!ctx->err_set) {
        finish_rules(ctx);
    }
    if (!ctx->err_set) {
        finish_mqtt(ctx);
    }
    if (ctx->err_set) {
        rc = -EINVAL;
    }
out:
    if (rc < 0 && err != NULL && err_len > 0) {
        copy_str(err, err_len, ctx != NULL ? ctx->err : "out of memory");
    }
    if (ctx != NULL && ctx->file != NULL) {
        (void)fclose(ctx->file);
    }
    free(ctx);
    return rc;
}

const char *config_class_name(const struct config *c, uint8_t id)
{
    assert(c != NULL);
    return c->class_names[id][0] != '\0' ? c->class_names[id] : NULL;
}

int config_class_id(const struct config *c, const char *name)
{
    unsigned i;

    assert(c != NULL);
    if (name == NULL || name[0] == '\0') {
        return -1;
    }
    for (i = 0; i < CONFIG_CLASS_MAX; i++) {
        if (strncmp(c->class_names[i], name, CONFIG_NAME_MAX) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const struct config_zone *config_zone_find(const struct config *c, const char *name)
{
    unsigned i;

    assert(c != NULL && name != NULL);
    for (i = 0; i < c->zone_count && i < CONFIG_ZONE_MAX; i++) {
        if (strcmp(c->zones[i].name, name) == 0) {
            return &c->zones[i];
        }
    }
    return NULL;
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
