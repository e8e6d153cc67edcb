/* SPDX-License-Identifier: MIT
 * Zone geometry for fusion: is a point inside a [zone.*] of the config (a circle of radius_m
 * around a centre, or a polygon of corners)? Pure functions, no allocation.
 * The daemon links no libm, so the two trigonometric functions the circle test needs are
 * computed here (zone.c); they are exact to about 1e-15, far below a metre on the Earth.
 */
#ifndef PROJ_DAEMON_ALERT_ZONE_H
#define PROJ_DAEMON_ALERT_ZONE_H

#include <stdbool.h>

#include "config/config.h"

#define ZONE_EARTH_RADIUS_M 6371008.8 /* mean Earth radius (IUGG), metres */

/*
 * zone_contains() - whether the point @lat, @lon (degrees WGS84) lies in @z.
 * Circle: the great-circle (haversine) distance to the centre on a sphere of
 * ZONE_EARTH_RADIUS_M is <= radius_m. Polygon: even-odd ray casting on the corners as
 * planar lat/lon coordinates (good for zones well inside one hemisphere of longitude; a
 * polygon crossing the 180th meridian is not supported); a point exactly on an edge may
 * fall on either side. A zone with neither a circle nor 3 corners contains nothing.
 * Any thread.
 */
bool zone_contains(const struct config_zone *z, double lat, double lon);

/*
 * zone_locate() - the first zone of @c, in config order, containing @lat, @lon, or NULL.
 * The pointer lives as long as @c. Any thread.
 */
const struct config_zone *zone_locate(const struct config_fusion *c, double lat, double lon);

/*
 * zone_haversine() - sin^2(d / (2 R)) for the great-circle distance d between two points
 * (degrees): 0 for the same point, 1 for antipodes. Monotonic in d, so comparing it with
 * zone_haversine_of(r) tells d <= r without an inverse sine. Exposed for tests.
 */
double zone_haversine(double lat1, double lon1, double lat2, double lon2);

/* zone_haversine_of() - sin^2(@distance_m / (2 R)); @distance_m is clamped to 0..pi R. */
double zone_haversine_of(double distance_m);

#endif
