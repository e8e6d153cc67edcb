/* SPDX-License-Identifier: MIT
 * [rule.<name>] sections: a fusion rule's type, class and parameters, with their defaults,
 * and the checks that need the whole file (the class table) or the whole rule (levels that
 * rise, k <= n).
 */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

static const struct config__key_spec rule_keys[] = {
    {"type", CONFIG__V_RULE_TYPE, CONFIG__FIELD(struct config_rule, type), 0, 0},
    /* The name is kept aside until the class table is complete: size is the name's. */
    {"class", CONFIG__V_CLASS_REF, offsetof(struct config_rule, class_id), CONFIG_NAME_MAX, 0, 0},
    {"window_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, window_s), 1, 86400},
    {"min_nodes", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, min_nodes), 1, 1000},
    {"watch_confidence", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_rule, watch_confidence), 0,
     1},
    {"warning_confidence", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_rule, warning_confidence),
     0, 1},
    {"critical_confidence", CONFIG__V_DOUBLE,
     CONFIG__FIELD(struct config_rule, critical_confidence), 0, 1},
    {"clear_after_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, clear_after_s), 1, 604800},
    {"update_interval_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, update_interval_s), 0,
     86400},
    {"k", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, k), 1, 64},
    {"n", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, n), 1, 64},
    /* "More than this share": 1 would make no summary anomalous, and the rule never fire. */
    {"anomalous_ratio", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_rule, anomalous_ratio), 0,
     0.99},
    /* A storm is more zones firing at once than a herd reaches: 0 (off) or 1..1000 zones. */
    {"storm_zones", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, storm_zones), 0, 1000},
    {"storm_window_s", CONFIG__V_UINT, CONFIG__FIELD(struct config_rule, storm_window_s), 1, 86400},
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

const struct config__section_spec config__rule_section = {"rule.", rule_keys,
                                                          CONFIG__COUNT(rule_keys), 0};

void config__begin_rule(struct config__parse_ctx *ctx, const char *name)
{
    struct config_fusion *cfg = &ctx->cfg->fusion;
    struct config_rule *r;
    unsigned i;

    for (i = 0; i < cfg->rule_count; i++) {
        if (strcmp(cfg->rules[i].name, name) == 0) {
            config__fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                            ctx->rule_lines[i].line);
            return;
        }
    }
    if (cfg->rule_count >= CONFIG_RULE_MAX) {
        config__fail_at(ctx, ctx->line, "[%s]: more than %u rules", ctx->section, CONFIG_RULE_MAX);
        return;
    }
    r = &cfg->rules[cfg->rule_count];
    memset(r, 0, sizeof(*r));
    config__copy_str(r->name, sizeof(r->name), name);
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
    r->storm_zones = 0;
    r->storm_window_s = 60;
    ctx->rule_lines[cfg->rule_count].line = ctx->line;
    ctx->key_line = ctx->rule_lines[cfg->rule_count].key_line;
    cfg->rule_count++;
    ctx->kind = CONFIG__SEC_RULE;
    ctx->spec = &config__rule_section;
    ctx->base = r;
}

void config__finish_rules(struct config__parse_ctx *ctx)
{
    const struct config_fusion *cfg = &ctx->cfg->fusion;
    unsigned i;

    for (i = 0; i < cfg->rule_count; i++) {
        struct config_rule *r = &ctx->cfg->fusion.rules[i];
        const struct config__entry_lines *el = &ctx->rule_lines[i];
        int id;

        if (el->key_line[RK_TYPE] == 0) {
            config__fail_at(ctx, el->line, "[rule.%s]: missing type (cluster or persistence)",
                            r->name);
            return;
        }
        if (el->key_line[RK_CLASS] == 0) {
            config__fail_at(ctx, el->line, "[rule.%s]: missing class", r->name);
            return;
        }
        id = config_class_id(cfg, ctx->rule_class[i]);
        if (id < 0) {
            config__fail_at(ctx, el->key_line[RK_CLASS], "[rule.%s] class: unknown class '%s'",
                            r->name, ctx->rule_class[i]);
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
            config__fail_at(ctx, line != 0 ? line : el->line,
                            "[rule.%s]: confidences must not fall: watch_confidence %g, "
                            "warning_confidence %g, critical_confidence %g",
                            r->name, r->watch_confidence, r->warning_confidence,
                            r->critical_confidence);
            return;
        }
        if (r->k > r->n) {
            unsigned line =
                el->key_line[RK_K] > el->key_line[RK_N] ? el->key_line[RK_K] : el->key_line[RK_N];

            config__fail_at(ctx, line != 0 ? line : el->line, "[rule.%s] k: %u is more than n (%u)",
                            r->name, r->k, r->n);
            return;
        }
    }
}
