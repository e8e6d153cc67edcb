/* SPDX-License-Identifier: MIT
 * The host programs' helpers (lib/hostutil.h): keys and DevAddrs from options, numbers with
 * bounds, and the class names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hostutil.h"

static void test_hostutil_hex_cases(void **state)
{
    uint8_t key[16];
    uint8_t eui[8];
    char text[33];

    (void)state;
    assert_int_equal(hostutil_hex("2B7E151628AED2A6abf7158809cf4f3c", key, 16), 0);
    assert_int_equal(key[0], 0x2B);
    assert_int_equal(key[15], 0x3C);
    hostutil_to_hex(key, 16, text);
    assert_string_equal(text, "2B7E151628AED2A6ABF7158809CF4F3C");
    memset(eui, 0xEE, sizeof(eui));
    assert_int_equal(hostutil_hex("AA555A000000010", eui, 8), -1);   /* 15 digits */
    assert_int_equal(hostutil_hex("AA555A00000001011", eui, 8), -1); /* 17 digits */
    assert_int_equal(hostutil_hex("AA555A000000010G", eui, 8), -1);  /* not a digit */
    assert_int_equal(eui[0], 0xEE);
}

static void test_hostutil_devaddr_cases(void **state)
{
    uint32_t a = 0;

    (void)state;
    assert_int_equal(hostutil_devaddr("26011F00", &a), 0);
    assert_int_equal(a, 0x26011F00u); /* as written on the device */
    assert_int_equal(hostutil_devaddr("26011F0", &a), -1);
    assert_int_equal(hostutil_devaddr("26011F0X", &a), -1);
    assert_int_equal(a, 0x26011F00u);
}

static void test_hostutil_num_bounds(void **state)
{
    double v = 0;

    (void)state;
    assert_int_equal(hostutil_num("sf", "7", 7, 12, &v), 0);
    assert_true(v == 7.0);
    assert_int_equal(hostutil_num("speed", "0.5", 0.001, 100, &v), 0);
    assert_true(v == 0.5);
    assert_int_equal(hostutil_num("sf", "13", 7, 12, &v), -1);
    assert_int_equal(hostutil_num("sf", "7x", 7, 12, &v), -1);
    assert_int_equal(hostutil_num("sf", "", 7, 12, &v), -1);
    assert_int_equal(hostutil_num("sf", "nan", 0, 12, &v), -1);
    assert_true(v == 0.5);
}

static void test_hostutil_class_name_table(void **state)
{
    (void)state;
    assert_string_equal(hostutil_class_name(1), "elephant");
    assert_string_equal(hostutil_class_name(3), "machine_anomaly");
    assert_string_equal(hostutil_class_name(7), "ship");
    assert_string_equal(hostutil_class_name(8), "unknown");
    assert_string_equal(hostutil_class_name(255), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostutil_hex_cases),
        cmocka_unit_test(test_hostutil_devaddr_cases),
        cmocka_unit_test(test_hostutil_num_bounds),
        cmocka_unit_test(test_hostutil_class_name_table),
    };

    return cmocka_run_group_tests_name("test_hostutil", tests, NULL, NULL);
}
