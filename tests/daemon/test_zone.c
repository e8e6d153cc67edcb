/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/zone.c: the haversine term at angles whose sines are known exactly,
 * a circle's edge one metre either side (one degree of latitude is R pi / 180 metres), the
 * example config's railway polygon, a concave polygon's notch, and the first-zone rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "alert/zone.h"

#define PI 3.14159265358979323846

static void near(double got, double want, double tol)
{
    double d = got - want;

    if (d < -tol || d > tol) {
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
    }
}

static void test_zone_haversine_known_angles(void **state)
{
    (void)state;
    near(zone_haversine(0.0, 0.0, 0.0, 0.0), 0.0, 0.0);
    /* A quarter of the equator: sin^2(pi/4) = 1/2. */
    near(zone_haversine(0.0, 0.0, 0.0, 90.0), 0.5, 1e-15);
    /* 60 degrees of a meridian: sin^2(pi/6) = 1/4; from the south, the same. */
    near(zone_haversine(0.0, 10.0, 60.0, 10.0), 0.25, 1e-15);
    near(zone_haversine(-30.0, 10.0, 30.0, 10.0), 0.25, 1e-15);
    /* 90 degrees of longitude at 45 N: cos^2(45) sin^2(45) = 1/4. */
    near(zone_haversine(45.0, 0.0, 45.0, 90.0), 0.25, 1e-15);
    /* Antipodes, and across the antimeridian the long way round numerically. */
    near(zone_haversine(0.0, 0.0, 0.0, 180.0), 1.0, 1e-15);
    near(zone_haversine(0.0, 170.0, 0.0, -170.0), zone_haversine(0.0, 0.0, 0.0, 20.0), 1e-15);
    /* The metre scale: a quarter meridian is R pi / 2. */
    near(zone_haversine_of(ZONE_EARTH_RADIUS_M * PI / 2.0), 0.5, 1e-15);
    near(zone_haversine_of(0.0), 0.0, 0.0);
    near(zone_haversine_of(1e12), 1.0, 0.0);
}

static struct config_zone circle(double lat, double lon, double r)
{
    struct config_zone z;

    memset(&z, 0, sizeof(z));
    strcpy(z.name, "c");
    z.has_circle = true;
    z.lat = lat;
    z.lon = lon;
    z.radius_m = r;
    return z;
}

static void test_zone_contains_circle_edge(void **state)
{
    /* One degree of latitude: 111194.93 m on the mean sphere. */
    double deg = ZONE_EARTH_RADIUS_M * PI / 180.0;
    struct config_zone in = circle(0.0, 37.0, deg + 1.0);
    struct config_zone out = circle(0.0, 37.0, deg - 1.0);
    struct config_zone village = circle(-2.6530, 37.2600, 1500.0);

    (void)state;
    assert_true(zone_contains(&in, 1.0, 37.0));
    assert_false(zone_contains(&out, 1.0, 37.0));
    assert_true(zone_contains(&in, -1.0, 37.0));
    assert_false(zone_contains(&out, -1.0, 37.0));
    /* 0.013 degrees of latitude is 1446 m: inside 1500 m; 0.0136 (1512 m) is not. */
    assert_true(zone_contains(&village, -2.6530 + 0.013, 37.2600));
    assert_false(zone_contains(&village, -2.6530 + 0.0136, 37.2600));
    assert_true(zone_contains(&village, -2.6530, 37.2600));
}

static void set_polygon(struct config_zone *z, const double (*pts)[2], unsigned n)
{
    memset(z, 0, sizeof(*z));
    strcpy(z->name, "p");
    z->polygon_len = n;
    memcpy(z->polygon, pts, n * sizeof(pts[0]));
}

static void test_zone_contains_polygon(void **state)
{
    /* config/tinyfleetd.conf's railway strip. */
    static const double railway[][2] = {
        {-2.640, 37.200}, {-2.640, 37.320}, {-2.648, 37.320}, {-2.648, 37.200}};
    /* An L: the square 0..2 x 0..2 without its upper right quarter 1..2 x 1..2. */
    static const double ell[][2] = {{0, 0}, {0, 2}, {1, 2}, {1, 1}, {2, 1}, {2, 0}};
    struct config_zone z;

    (void)state;
    set_polygon(&z, railway, 4);
    assert_true(zone_contains(&z, -2.644, 37.26));
    assert_false(zone_contains(&z, -2.650, 37.26));
    assert_false(zone_contains(&z, -2.644, 37.33));
    assert_false(zone_contains(&z, -2.644, 37.19));
    set_polygon(&z, ell, 6);
    assert_true(zone_contains(&z, 0.5, 0.5));
    assert_true(zone_contains(&z, 0.5, 1.5));
    assert_true(zone_contains(&z, 1.5, 0.5));
    assert_false(zone_contains(&z, 1.5, 1.5)); /* the notch */
    assert_false(zone_contains(&z, -0.5, 0.5));
    /* Fewer than 3 corners: nothing is inside. */
    set_polygon(&z, ell, 2);
    assert_false(zone_contains(&z, 0.0, 1.0));
}

static void test_zone_locate_first_in_config_order(void **state)
{
    struct config c;
    const struct config_zone *z;

    (void)state;
    config_defaults(&c);
    c.fusion.zone_count = 2;
    c.fusion.zones[0] = circle(-2.6530, 37.2600, 1500.0);
    strcpy(c.fusion.zones[0].name, "village");
    c.fusion.zones[1] = circle(-2.7000, 37.2500, 12000.0);
    strcpy(c.fusion.zones[1].name, "reserve");
    /* The village lies inside the reserve: the first zone listed wins. */
    z = zone_locate(&c.fusion, -2.6530, 37.2600);
    assert_non_null(z);
    assert_string_equal(z->name, "village");
    z = zone_locate(&c.fusion, -2.7500, 37.2500);
    assert_non_null(z);
    assert_string_equal(z->name, "reserve");
    assert_null(zone_locate(&c.fusion, 10.0, 10.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_haversine_known_angles),
        cmocka_unit_test(test_zone_contains_circle_edge),
        cmocka_unit_test(test_zone_contains_polygon),
        cmocka_unit_test(test_zone_locate_first_in_config_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
