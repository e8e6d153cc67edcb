/* SPDX-License-Identifier: MIT
 * The INI config (config.h), parsed with inih. inih hands the handler neither line numbers
 * nor empty sections, so config_load() feeds it through its own line reader: the reader
 * counts physical lines, notices [section] headers (empty ones included) and indented
 * continuation lines, and stops inih at the first error. Checks that need a whole section
 * (a zone's shape, a rule's class) run after parsing, from line numbers kept on the side.
 * This file is that driver; the value types, the sections' keys and checks, and the defaults
 * have files of their own (config_int.h lists them).
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config/config_int.h"

/* ---- keys, handed over by inih ---- */

static const struct config__key_spec *find_key(const struct config__section_spec *spec,
                                               const char *key, size_t *idx)
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

static void fail_unknown_key(struct config__parse_ctx *ctx, const char *key)
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
    config__fail_key(ctx, key, "unknown key (known: %s)", known);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct config__parse_ctx *ctx = user;
    const struct config__key_spec *k;
    size_t idx = 0;
    bool continuation;

    (void)section; /* the reader tracks the section, with its line and the entry it fills */
    if (ctx->err_set) {
        return 1;
    }
    continuation = ctx->indented && ctx->prev_key[0] != '\0' && strcmp(name, ctx->prev_key) == 0;
    if (ctx->kind == CONFIG__SEC_NONE) {
        config__fail_at(ctx, ctx->line, "%s: key before the first [section]", name);
        return 0;
    }
    if (ctx->kind == CONFIG__SEC_BAD) {
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
        if (k->type != CONFIG__V_POLYGON) {
            config__fail_key(ctx, name,
                             "an indented line continues this value; only polygon may go on over "
                             "several lines (remove the indentation)");
            return 0;
        }
    } else {
        if (ctx->key_line[idx] != 0) {
            config__fail_key(ctx, name, "given twice (first at line %u)", ctx->key_line[idx]);
            return 0;
        }
        ctx->key_line[idx] = ctx->line;
        config__copy_str(ctx->prev_key, sizeof(ctx->prev_key), name);
    }
    if (config__set_value(ctx, k, value) < 0) {
        return 0;
    }
    if (ctx->kind == CONFIG__SEC_CLASS) {
        config__handle_class_id(ctx);
    }
    return ctx->err_set ? 0 : 1;
}

/* ---- sections, seen by the reader ---- */

static int named_section(struct config__parse_ctx *ctx, const char *prefix, const char *name)
{
    size_t len = strlen(name);

    if (len == 0) {
        config__fail_at(ctx, ctx->line, "[%s]: a name must follow '%s'", ctx->section, prefix);
        return -EINVAL;
    }
    if (len >= CONFIG_NAME_MAX) {
        config__fail_at(ctx, ctx->line, "[%s]: name longer than %u characters", ctx->section,
                        CONFIG_NAME_MAX - 1);
        return -EINVAL;
    }
    if (!config__valid_name(name)) {
        config__fail_at(ctx, ctx->line,
                        "[%s]: only letters, digits, '_', '-' and '.' allowed in a name",
                        ctx->section);
        return -EINVAL;
    }
    return 0;
}

static void begin_section(struct config__parse_ctx *ctx, const char *name, size_t len)
{
    size_t i;

    ctx->prev_key[0] = '\0';
    ctx->kind = CONFIG__SEC_BAD;
    ctx->sections++;
    if (len >= sizeof(ctx->section)) {
        config__fail_at(ctx, ctx->line, "[%.*s...]: unknown section",
                        (int)(sizeof(ctx->section) - 1), name);
        return;
    }
    memcpy(ctx->section, name, len);
    ctx->section[len] = '\0';
    for (i = 0; i < CONFIG__FS_COUNT; i++) {
        if (strcmp(ctx->section, config__fixed_sections[i].name) == 0) {
            /* Read twice, its keys would merge silently: say so, as for [zone.*]. */
            if (ctx->fixed_header[i] != 0) {
                config__fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)",
                                ctx->section, ctx->fixed_header[i]);
                return;
            }
            ctx->fixed_header[i] = ctx->line;
            ctx->kind = CONFIG__SEC_FIXED;
            ctx->spec = &config__fixed_sections[i];
            ctx->key_line = ctx->fixed_line[i];
            ctx->base = (char *)ctx->cfg + config__fixed_sections[i].off;
            return;
        }
    }
    if (strncmp(ctx->section, "class.", 6) == 0) {
        if (named_section(ctx, "class.", ctx->section + 6) == 0) {
            config__begin_class(ctx, ctx->section + 6);
        }
    } else if (strncmp(ctx->section, "zone.", 5) == 0) {
        if (named_section(ctx, "zone.", ctx->section + 5) == 0) {
            config__begin_zone(ctx, ctx->section + 5);
        }
    } else if (strncmp(ctx->section, "rule.", 5) == 0) {
        if (named_section(ctx, "rule.", ctx->section + 5) == 0) {
            config__begin_rule(ctx, ctx->section + 5);
        }
    } else {
        config__fail_at(ctx, ctx->line,
                        "[%s]: unknown section (known: gateway, storage, coap, lora, mqtt, health, "
                        "web, alertmanager, class.NAME, zone.NAME, rule.NAME)",
                        ctx->section);
    }
}

/* A NUL byte on line @str (@n bytes): named with the key when the line has one before it. */
static void fail_nul(struct config__parse_ctx *ctx, const char *str, size_t n)
{
    const char *nul = memchr(str, '\0', n);
    const char *eq = memchr(str, '=', (size_t)(nul - str));
    const char *k = str;
    const char *end;

    while (k < nul && (*k == ' ' || *k == '\t')) {
        k++;
    }
    end = eq;
    while (end != NULL && end > k && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    if (eq != NULL && end > k && ctx->kind != CONFIG__SEC_NONE && ctx->kind != CONFIG__SEC_BAD) {
        config__fail_at(ctx, ctx->line, "[%s] %.*s: contains a NUL byte", ctx->section,
                        (int)(end - k), k);
    } else {
        config__fail_at(ctx, ctx->line, "contains a NUL byte");
    }
}

/*
 * inih's line source: getc plus bookkeeping. Returning NULL ends inih's loop, which is
 * how parsing stops at the first error. Bytes are read one by one rather than with fgets(),
 * which cannot tell a NUL inside a line from the end of the text, so that a NUL anywhere
 * (a truncated copy, a binary file) is refused instead of cutting a value short. inih's
 * section rule is mirrored here: after optional white space (and a UTF-8 BOM on line 1),
 * '[' up to the first ']'.
 */
static char *reader(char *str, int num, void *stream)
{
    struct config__parse_ctx *ctx = stream;
    const char *p;
    bool nul = false;
    size_t len = 0;
    int ch = EOF;

    if (ctx->err_set) {
        return NULL;
    }
    while (len + 1 < (size_t)num && (ch = getc(ctx->file)) != EOF) {
        nul = nul || ch == '\0';
        str[len++] = (char)ch;
        if (ch == '\n') {
            break;
        }
    }
    if (ferror(ctx->file)) {
        ctx->read_errno = errno != 0 ? errno : EIO;
        return NULL;
    }
    if (len == 0) {
        return NULL;
    }
    str[len] = '\0';
    ctx->reads++;
    ctx->line++;
    if (nul) {
        fail_nul(ctx, str, len);
        return NULL;
    }
    if (str[len - 1] != '\n' && ch != EOF) {
        ch = getc(ctx->file);
        if (ch != EOF) {
            config__fail_at(ctx, ctx->line, "line longer than %d characters", num - 2);
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

int config_load(const char *path, struct config *out, char *err, size_t err_len)
{
    struct config__parse_ctx *ctx = NULL;
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
        config__fail_at(ctx, (unsigned)line,
                        "syntax error: expected [section], key = value, or a comment (; or #)");
    } else if (line < 0) {
        rc = -ENOMEM;
        (void)snprintf(ctx->err, sizeof(ctx->err), "%s: out of memory", path);
        goto out;
    }
    if (!ctx->err_set && ctx->sections == 0) {
        /* Nothing but blank lines and comments, or nothing at all: a copy that went wrong
         * more likely than a wish for every default. */
        ctx->err_set = true;
        (void)snprintf(ctx->err, sizeof(ctx->err),
                       "%s: empty: no [section] in the file (a file of defaults needs at least "
                       "[gateway])",
                       path);
    }
    if (!ctx->err_set) {
        config__finish_classes(ctx);
    }
    if (!ctx->err_set) {
        config__finish_zones(ctx);
    }
    if (!ctx->err_set) {
        config__finish_rules(ctx);
    }
    if (!ctx->err_set) {
        config__finish_mqtt(ctx);
    }
    if (!ctx->err_set) {
        config__finish_broker(ctx);
    }
    if (!ctx->err_set) {
        config__finish_web(ctx);
        config__finish_alertmanager(ctx);
    }
    if (!ctx->err_set) {
        config__finish_fixed(ctx);
    }
    if (ctx->err_set) {
        rc = -EINVAL;
    }
out:
    if (rc < 0 && err != NULL && err_len > 0) {
        config__copy_str(err, err_len, ctx != NULL ? ctx->err : "out of memory");
    }
    if (ctx != NULL && ctx->file != NULL) {
        (void)fclose(ctx->file);
    }
    free(ctx);
    return rc;
}
