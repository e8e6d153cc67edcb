/* SPDX-License-Identifier: MIT
 * The built-in class table: every id of ARCHITECTURE.md by name, and no name past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/classes.h"
#include "proto/tfp.h"

static void test_proto_class_name_table(void **state)
{
    static const struct {
        uint8_t id;
        const char *name;
    } want[] = {
        {PROTO_TFP_CLASS_UNKNOWN, "unknown"}, {PROTO_TFP_CLASS_ELEPHANT, "elephant"},
        {PROTO_TFP_CLASS_WHALE, "whale"},     {PROTO_TFP_CLASS_MACHINE_ANOMALY, "machine_anomaly"},
        {PROTO_TFP_CLASS_HUMAN, "human"},     {PROTO_TFP_CLASS_VEHICLE, "vehicle"},
        {PROTO_TFP_CLASS_GUNSHOT, "gunshot"}, {PROTO_TFP_CLASS_SHIP, "ship"},
    };
    size_t i;

    (void)state;
    assert_int_equal(sizeof(want) / sizeof(want[0]), PROTO_CLASS_COUNT);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(want[i].id, i);
        assert_string_equal(proto_class_name(want[i].id), want[i].name);
    }
}

static void test_proto_class_name_out_of_table(void **state)
{
    unsigned id;

    (void)state;
    for (id = PROTO_CLASS_COUNT; id <= 255u; id++) {
        assert_null(proto_class_name((uint8_t)id));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_class_name_table),
        cmocka_unit_test(test_proto_class_name_out_of_table),
    };

    return cmocka_run_group_tests_name("test_classes", tests, NULL, NULL);
}
