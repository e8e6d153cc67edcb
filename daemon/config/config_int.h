/* SPDX-License-Identifier: MIT
 * The config parser's internals, shared by its files: config.c (config_load(): the line
 * reader, the handler inih calls, the section headers), config_value.c (the value types),
 * config_fixed.c ([gateway], [storage], [coap], [lora], [mqtt], [health]), config_class.c,
 * config_zone.c and config_rule.c (the named sections) and config_defaults.c.
 * A section is a table of keys (struct key_spec): each names the field it fills, by offset
 * into the struct the section fills, and the type its value is parsed as.
 */
#ifndef PROJ_DAEMON_CONFIG_CONFIG_INT_H
#define PROJ_DAEMON_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum section_kind {
    SEC_NONE,  /* before the first header */
    SEC_FIXED, /* [gateway], [storage], ... */
    SEC_CLASS,
    SEC_ZONE,
    SEC_RULE,
    SEC_BAD /* an unknown section; the error is already recorded */
};

/* A section's keys: the table its lines are looked up in. */
struct section_spec {
    const char *name;
    const struct key_spec *keys;
    size_t nkeys;
    size_t off; /* fixed sections: offset of the section's struct in struct config */
};

enum { FS_GATEWAY, FS_STORAGE, FS_COAP, FS_LORA, FS_MQTT, FS_HEALTH, FS_COUNT };

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

/* config_load()'s state while inih reads the file. */
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

/* ---- config.c ---- */

/* Record the error "FILE:@line: ..." unless one is already recorded: inih reports the first
 * failing line, and so does config_load(). */
void config__fail_at(struct parse_ctx *ctx, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* config__fail_at() on the current line, as "[section] @key: ...". */
void config__fail_key(struct parse_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy @src into @dst of @cap bytes, cut to fit, always NUL-terminated, the rest of @dst
 * zeroed: a shorter value leaves no bytes of a longer one behind (sections compare whole). */
void config__copy_str(char *dst, size_t cap, const char *src);

/* ---- config_defaults.c ---- */

/* The default [mqtt] client_id ("tinyfleetd-<id>") and prefix ("tinyfleet/<site>"). */
void config__default_client_id(struct config_mqtt *mqtt, const struct config_gateway *gw);
void config__default_prefix(struct config_mqtt *mqtt, const struct config_gateway *gw);

/* ---- config_value.c ---- */

/* Non-empty, and only letters, digits, '_', '-' and '.': safe inside an MQTT topic. */
bool config__valid_name(const char *s);

/* A decimal unsigned number, the whole of @s. Return: 0, -EINVAL, -ERANGE. */
int config__parse_uint(const char *s, unsigned long long *out);

/* Store @value into the field @k describes in ctx->base. Return: 0, or -EINVAL with the
 * error recorded. */
int config__set_value(struct parse_ctx *ctx, const struct key_spec *k, const char *value);

/* ---- config_fixed.c ---- */

/* The sections with fixed names, indexed by FS_*. */
extern const struct section_spec config__fixed_sections[FS_COUNT];

/* [mqtt] checks that need the whole section, and its derived defaults. */
void config__finish_mqtt(struct parse_ctx *ctx);

/* ---- config_class.c, config_zone.c, config_rule.c ---- */

/* A [class.@name], [zone.@name] or [rule.@name] header: the entry its keys fill. */
void config__begin_class(struct parse_ctx *ctx, const char *name);
void config__begin_zone(struct parse_ctx *ctx, const char *name);
void config__begin_rule(struct parse_ctx *ctx, const char *name);

/* A class id was read (into ctx->class_id_tmp): refuse one another class has. */
void config__handle_class_id(struct parse_ctx *ctx);

/* A zone's polygon value appended to its corners (V_POLYGON). Return: 0 or -EINVAL. */
int config__parse_polygon(struct parse_ctx *ctx, const char *key, const char *value,
                          struct config_zone *z);

/* After the whole file: the class table, each zone's shape, each rule's class and levels. */
void config__finish_classes(struct parse_ctx *ctx);
void config__finish_zones(struct parse_ctx *ctx);
void config__finish_rules(struct parse_ctx *ctx);

#endif
