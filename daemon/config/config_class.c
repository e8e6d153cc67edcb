/* SPDX-License-Identifier: MIT
 * [class.<name>] sections: each gives a class name its one-byte wire id. Once the whole file
 * is read they replace the default class table; rules refer to classes by name.
 */
#include "config/config.h"

#include <assert.h>
#include <string.h>

#include "config/config_int.h"

static const struct config__key_spec class_keys[] = {
    {"id", CONFIG__V_UINT, 0, sizeof(unsigned), 0, CONFIG_CLASS_MAX - 1},
};

const struct config__section_spec config__class_section = {"class.", class_keys,
                                                           CONFIG__COUNT(class_keys), 0};

void config__begin_class(struct config__parse_ctx *ctx, const char *name)
{
    struct config__class_entry *c;
    unsigned i;

    for (i = 0; i < ctx->class_count; i++) {
        if (strcmp(ctx->classes[i].name, name) == 0) {
            config__fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                            ctx->classes[i].line);
            return;
        }
    }
    if (ctx->class_count >= CONFIG_CLASS_MAX) {
        config__fail_at(ctx, ctx->line, "[%s]: more than %u classes", ctx->section,
                        CONFIG_CLASS_MAX);
        return;
    }
    c = &ctx->classes[ctx->class_count++];
    config__copy_str(c->name, sizeof(c->name), name);
    c->line = ctx->line;
    ctx->kind = CONFIG__SEC_CLASS;
    ctx->spec = &config__class_section;
    ctx->key_line = c->key_line;
    ctx->base = &ctx->class_id_tmp;
}

void config__handle_class_id(struct config__parse_ctx *ctx)
{
    struct config__class_entry *c = &ctx->classes[ctx->class_count - 1];
    unsigned i;

    for (i = 0; i + 1 < ctx->class_count; i++) {
        const struct config__class_entry *o = &ctx->classes[i];

        if (o->key_line[0] != 0 && o->id == ctx->class_id_tmp) {
            config__fail_key(ctx, "id", "%u is already the id of [class.%s] (line %u)",
                             ctx->class_id_tmp, o->name, o->key_line[0]);
            return;
        }
    }
    c->id = ctx->class_id_tmp;
}

void config__finish_classes(struct config__parse_ctx *ctx)
{
    struct config_fusion *cfg = &ctx->cfg->fusion;
    unsigned i;

    if (ctx->class_count == 0) {
        return; /* the defaults stand */
    }
    memset(cfg->class_names, 0, sizeof(cfg->class_names));
    for (i = 0; i < ctx->class_count; i++) {
        const struct config__class_entry *c = &ctx->classes[i];

        if (c->key_line[0] == 0) {
            config__fail_at(ctx, c->line, "[class.%s]: missing id (0..%u)", c->name,
                            CONFIG_CLASS_MAX - 1);
            return;
        }
        config__copy_str(cfg->class_names[c->id], CONFIG_NAME_MAX, c->name);
    }
}

const char *config_class_name(const struct config_fusion *c, uint8_t id)
{
    assert(c != NULL);
    return c->class_names[id][0] != '\0' ? c->class_names[id] : NULL;
}

int config_class_id(const struct config_fusion *c, const char *name)
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
