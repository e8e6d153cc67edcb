/* SPDX-License-Identifier: MIT
 * [zone.<name>] sections: a circle (lat, lon, radius_m) or a polygon of corners (parsed in
 * config_value.c), never both, checked once the zone's section is complete; and
 * config_zone_find().
 */
#include "config/config.h"

#include <assert.h>
#include <string.h>

#include "config/config_int.h"

static const struct config__key_spec zone_keys[] = {
    {"critical", CONFIG__V_BOOL, CONFIG__FIELD(struct config_zone, critical), 0, 0},
    {"lat", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_zone, lat), -90, 90},
    {"lon", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_zone, lon), -180, 180},
    {"radius_m", CONFIG__V_DOUBLE, CONFIG__FIELD(struct config_zone, radius_m), 1, 1e6},
    {"polygon", CONFIG__V_POLYGON, CONFIG__FIELD(struct config_zone, polygon), 0, 0},
};
enum { ZK_CRITICAL, ZK_LAT, ZK_LON, ZK_RADIUS, ZK_POLYGON };

const struct config__section_spec config__zone_section = {"zone.", zone_keys,
                                                          CONFIG__COUNT(zone_keys), 0};

void config__begin_zone(struct config__parse_ctx *ctx, const char *name)
{
    struct config_fusion *cfg = &ctx->cfg->fusion;
    struct config_zone *z;
    unsigned i;

    for (i = 0; i < cfg->zone_count; i++) {
        if (strcmp(cfg->zones[i].name, name) == 0) {
            config__fail_at(ctx, ctx->line, "[%s]: given twice (first at line %u)", ctx->section,
                            ctx->zone_lines[i].line);
            return;
        }
    }
    if (cfg->zone_count >= CONFIG_ZONE_MAX) {
        config__fail_at(ctx, ctx->line, "[%s]: more than %u zones", ctx->section, CONFIG_ZONE_MAX);
        return;
    }
    z = &cfg->zones[cfg->zone_count];
    memset(z, 0, sizeof(*z));
    config__copy_str(z->name, sizeof(z->name), name);
    ctx->zone_lines[cfg->zone_count].line = ctx->line;
    ctx->key_line = ctx->zone_lines[cfg->zone_count].key_line;
    cfg->zone_count++;
    ctx->kind = CONFIG__SEC_ZONE;
    ctx->spec = &config__zone_section;
    ctx->base = z;
}

void config__finish_zones(struct config__parse_ctx *ctx)
{
    const struct config_fusion *cfg = &ctx->cfg->fusion;
    unsigned i;

    for (i = 0; i < cfg->zone_count; i++) {
        struct config_zone *z = &ctx->cfg->fusion.zones[i];
        const unsigned *kl = ctx->zone_lines[i].key_line;
        bool any_circle = kl[ZK_LAT] != 0 || kl[ZK_LON] != 0 || kl[ZK_RADIUS] != 0;
        bool all_circle = kl[ZK_LAT] != 0 && kl[ZK_LON] != 0 && kl[ZK_RADIUS] != 0;

        if (kl[ZK_POLYGON] != 0 && any_circle) {
            config__fail_at(ctx, kl[ZK_POLYGON],
                            "[zone.%s] polygon: a zone is lat, lon and radius_m, "
                            "or a polygon, not both",
                            z->name);
            return;
        }
        if (kl[ZK_POLYGON] != 0 && z->polygon_len < 3) {
            config__fail_at(ctx, kl[ZK_POLYGON],
                            "[zone.%s] polygon: needs at least 3 corners, got %u", z->name,
                            z->polygon_len);
            return;
        }
        if (kl[ZK_POLYGON] == 0 && !all_circle) {
            config__fail_at(ctx, ctx->zone_lines[i].line,
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

const struct config_zone *config_zone_find(const struct config_fusion *c, const char *name)
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
