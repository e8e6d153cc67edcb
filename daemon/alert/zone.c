/* SPDX-License-Identifier: MIT
 * Zone geometry: haversine circle test and even-odd polygon test (zone.h). The circle test
 * compares haversine terms, sin^2(d / 2R), instead of distances: the term rises with d up to
 * the antipode, so no inverse sine or square root is needed and nothing loses precision
 * near 0 (the classic argument for haversine over the spherical law of cosines).
 */
#include "alert/zone.h"

#include <math.h>
#include <stddef.h>

#define ZONE_PI  3.14159265358979323846
#define ZONE_DEG (ZONE_PI / 180.0)

double zone_haversine(double lat1, double lon1, double lat2, double lon2)
{
    double s_lat = sin((lat2 - lat1) * ZONE_DEG / 2.0);
    double s_lon = sin((lon2 - lon1) * ZONE_DEG / 2.0);
    double h = s_lat * s_lat + cos(lat1 * ZONE_DEG) * cos(lat2 * ZONE_DEG) * s_lon * s_lon;

    /* Rounding can step just outside 0..1. */
    if (h < 0.0) {
        return 0.0;
    }
    return h > 1.0 ? 1.0 : h;
}

double zone_haversine_of(double distance_m)
{
    double half = distance_m / (2.0 * ZONE_EARTH_RADIUS_M);
    double s;

    if (!(half > 0.0)) {
        return 0.0;
    }
    if (half >= ZONE_PI / 2.0) {
        return 1.0;
    }
    s = sin(half);
    return s * s;
}

/* Even-odd rule: count the edges a ray from the point towards +lon crosses. */
static bool in_polygon(const struct config_zone *z, double lat, double lon)
{
    bool inside = false;
    unsigned i;
    unsigned j = z->polygon_len - 1;

    for (i = 0; i < z->polygon_len; j = i++) {
        double yi = z->polygon[i][0];
        double xi = z->polygon[i][1];
        double yj = z->polygon[j][0];
        double xj = z->polygon[j][1];

        if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) {
            inside = !inside;
        }
    }
    return inside;
}

bool zone_contains(const struct config_zone *z, double lat, double lon)
{
    if (z->has_circle) {
        return zone_haversine(z->lat, z->lon, lat, lon) <= zone_haversine_of(z->radius_m);
    }
    if (z->polygon_len >= 3 && z->polygon_len <= CONFIG_POLYGON_MAX) {
        return in_polygon(z, lat, lon);
    }
    return false;
}

const struct config_zone *zone_locate(const struct config_fusion *c, double lat, double lon)
{
    unsigned i;

    for (i = 0; i < c->zone_count && i < CONFIG_ZONE_MAX; i++) {
        if (zone_contains(&c->zones[i], lat, lon)) {
            return &c->zones[i];
        }
    }
    return NULL;
}
