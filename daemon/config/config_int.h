/* SPDX-License-Identifier: MIT
 * The config parser's internals, shared by its files, lowest first (config_value.c: the value
 * types, recording the first error, copying a string; config_defaults.c: the values a file
 * leaves out; config_fixed.c ([gateway], [storage], [coap], [lora], [mqtt], [health], [web]),
 * config_class.c, config_zone.c and config_rule.c: one file per kind of section; config.c:
 * config_load(), the line reader, the handler inih calls, the section headers; each calls
 * only files before it).
 * A section is a table of keys (struct config__key_spec): each names the field it fills, by offset
 * into the struct the section fills, and the type its value is parsed as.
 */
#ifndef PROJ_DAEMON_CONFIG_CONFIG_INT_H
#define PROJ_DAEMON_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

#define CONFIG__KEYS_MAX 16 /* keys of the largest section ([rule.*], [mqtt]) fit below this */

enum config__vtype {
    CONFIG__V_STR,    /* any text that fits, may be empty */
    CONFIG__V_PATH,   /* non-empty text that fits */
    CONFIG__V_NAME,   /* non-empty, letters, digits, '_', '-', '.': safe inside an MQTT topic */
    CONFIG__V_TOPIC,  /* topic prefix: no wildcards, no leading or trailing '/'; empty = default */
    CONFIG__V_UINT,   /* unsigned, decimal, in [min, max] */
    CONFIG__V_DOUBLE, /* finite decimal number in [min, max] */
    CONFIG__V_BOOL,   /* true/false, yes/no, on/off, 1/0 */
    CONFIG__V_SYNC,   /* off, normal, full */
    CONFIG__V_ADDR,   /* "host:port" with a port above 0, or empty (listener disabled) */
    CONFIG__V_RULE_TYPE, /* cluster, persistence */
    CONFIG__V_CLASS_REF, /* a class name, resolved once the whole file is read */
    CONFIG__V_POLYGON,   /* "lat lon, lat lon, ..." continued on indented lines */
    CONFIG__V_DEVRANGE,  /* DevAddr range: "26011F00/24" or "26011F00-26011FFF" */
    CONFIG__V_REGION     /* a LoRaWAN region tinyfleetd has the table of: EU868 */
};

struct config__key_spec {
    const char *key;
    enum config__vtype type;
    size_t off;  /* offset of the field in the struct the section fills */
    size_t size; /* size of that field (strings: the buffer) */
    double min;  /* CONFIG__V_UINT, CONFIG__V_DOUBLE */
    double max;
};

#define CONFIG__FIELD(type, member) offsetof(type, member), sizeof(((type *)NULL)->member)

#define CONFIG__COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum config__section_kind {
    CONFIG__SEC_NONE,  /* before the first header */
    CONFIG__SEC_FIXED, /* [gateway], [storage], ... */
    CONFIG__SEC_CLASS,
    CONFIG__SEC_ZONE,
    CONFIG__SEC_RULE,
    CONFIG__SEC_BAD /* an unknown section; the error is already recorded */
};

/* A section's keys: the table its lines are looked up in. */
struct config__section_spec {
    const char *name;
    const struct config__key_spec *keys;
    size_t nkeys;
    size_t off; /* fixed sections: offset of the section's struct in struct config */
};

enum {
    CONFIG__FS_GATEWAY,
    CONFIG__FS_STORAGE,
    CONFIG__FS_COAP,
    CONFIG__FS_LORA,
    CONFIG__FS_MQTT,
    CONFIG__FS_HEALTH,
    CONFIG__FS_WEB,
    CONFIG__FS_ALERTMANAGER,
    CONFIG__FS_FUSION,
    CONFIG__FS_COUNT
};

/* A [class.<name>] seen in the file; the table is built from these at the end. */
struct config__class_entry {
    char name[CONFIG_NAME_MAX];
    unsigned id;
    unsigned line;                       /* of the [class.<name>] header */
    unsigned key_line[CONFIG__KEYS_MAX]; /* line of each key, 0 = not given */
};

/* Where a [zone.*] or [rule.*] and its keys were, for checks after parsing. */
struct config__entry_lines {
    unsigned line;
    unsigned key_line[CONFIG__KEYS_MAX];
};

/* config_load()'s state while inih reads the file. */
struct config__parse_ctx {
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
    enum config__section_kind kind;
    const struct config__section_spec *spec;
    char section[CONFIG_NAME_MAX + 8]; /* its name as written, for messages */
    unsigned *key_line;                /* CONFIG__KEYS_MAX lines of its keys */
    void *base;                        /* the struct its keys fill */
    char prev_key[32];                 /* the key of the previous line, for continuations */

    unsigned fixed_line[CONFIG__FS_COUNT][CONFIG__KEYS_MAX];
    unsigned fixed_header[CONFIG__FS_COUNT]; /* line of each fixed section's header, 0 = none */
    unsigned sections;                       /* section headers read */
    unsigned class_count;
    struct config__class_entry classes[CONFIG_CLASS_MAX];
    unsigned class_id_tmp; /* CONFIG__V_UINT target while parsing a class id */
    struct config__entry_lines zone_lines[CONFIG_ZONE_MAX];
    struct config__entry_lines rule_lines[CONFIG_RULE_MAX];
    char rule_class[CONFIG_RULE_MAX][CONFIG_NAME_MAX];
};

/* ---- config_value.c ---- */

/* Record the error "FILE:@line: ..." unless one is already recorded: inih reports the first
 * failing line, and so does config_load(). */
void config__fail_at(struct config__parse_ctx *ctx, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* config__fail_at() on the current line, as "[section] @key: ...". */
void config__fail_key(struct config__parse_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy @src into @dst of @cap bytes, cut to fit, always NUL-terminated, the rest of @dst
 * zeroed: a shorter value leaves no bytes of a longer one behind (sections compare whole). */
void config__copy_str(char *dst, size_t cap, const char *src);

/* Non-empty, and only letters, digits, '_', '-' and '.': safe inside an MQTT topic. */
bool config__valid_name(const char *s);

/* A decimal unsigned number, the whole of @s. Return: 0, -EINVAL, -ERANGE. */
int config__parse_uint(const char *s, unsigned long long *out);

/* Store @value into the field @k describes in ctx->base. Return: 0, or -EINVAL with the
 * error recorded. */
int config__set_value(struct config__parse_ctx *ctx, const struct config__key_spec *k,
                      const char *value);

/* ---- config_defaults.c ---- */

/* The default [mqtt] client_id ("tinyfleetd-<id>") and prefix ("tinyfleet/<site>"). */
void config__default_client_id(struct config_mqtt *mqtt, const struct config_gateway *gw);
void config__default_prefix(struct config_mqtt *mqtt, const struct config_gateway *gw);

/* [web] public_url's default: http://<listen>/, https:// with a TLS certificate. */
void config__default_public_url(struct config_web *web);

/* ---- config_fixed.c ---- */

/* The sections with fixed names, indexed by FS_*. */
extern const struct config__section_spec config__fixed_sections[CONFIG__FS_COUNT];

/* [mqtt] checks that need the whole section, and its derived defaults. */
void config__finish_mqtt(struct config__parse_ctx *ctx);

/* [web] checks that need the whole section, and its default public_url. */
void config__finish_web(struct config__parse_ctx *ctx);
/* [alertmanager]: the URL list split and checked, the credentials checked together. */
void config__finish_alertmanager(struct config__parse_ctx *ctx);

/* ---- config_broker.c ---- */

/* [mqtt] host's list of brokers into cfg->mqtt.brokers, and [fusion] scope. */
void config__finish_broker(struct config__parse_ctx *ctx);

/* After the whole file: no two listeners on one port, and where the keys that
 * config_check_files() looks at were given (cfg->where). */
void config__finish_fixed(struct config__parse_ctx *ctx);

/* ---- config_class.c, config_zone.c, config_rule.c ---- */

/* The keys of [class.*], [zone.*] and [rule.*] (the unit test walks every ranged key). */
extern const struct config__section_spec config__class_section;
extern const struct config__section_spec config__zone_section;
extern const struct config__section_spec config__rule_section;

/* A [class.@name], [zone.@name] or [rule.@name] header: the entry its keys fill. */
void config__begin_class(struct config__parse_ctx *ctx, const char *name);
void config__begin_zone(struct config__parse_ctx *ctx, const char *name);
void config__begin_rule(struct config__parse_ctx *ctx, const char *name);

/* A class id was read (into ctx->class_id_tmp): refuse one another class has. */
void config__handle_class_id(struct config__parse_ctx *ctx);

/* After the whole file: the class table, each zone's shape, each rule's class and levels. */
void config__finish_classes(struct config__parse_ctx *ctx);
void config__finish_zones(struct config__parse_ctx *ctx);
void config__finish_rules(struct config__parse_ctx *ctx);

#endif
