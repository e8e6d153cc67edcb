/* SPDX-License-Identifier: MIT
 * The firmware's side of the provisioning record (proto/provision.h): the record's profile
 * byte and the firmware's enum dsp_profile number and name the profiles the same way, so the
 * board's check "the record is for this image's profile" compares like with like.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/profile.h"
#include "proto/provision.h"

static void test_provision_profile_ids_match(void **state)
{
    (void)state;
    assert_int_equal(PROTO_PROVISION_PROFILE_COUNT, DSP_PROFILE_COUNT);
    assert_int_equal(PROTO_PROVISION_ELEPHANT, DSP_PROFILE_ELEPHANT);
    assert_int_equal(PROTO_PROVISION_WHALE, DSP_PROFILE_WHALE);
    assert_int_equal(PROTO_PROVISION_TURBINE, DSP_PROFILE_TURBINE);
}

static void test_provision_profile_names_match(void **state)
{
    int p;

    (void)state;
    for (p = 0; p < (int)DSP_PROFILE_COUNT; p++) {
        assert_string_equal(proto_provision_profile_name((uint8_t)p),
                            dsp_profile_name((enum dsp_profile)p));
        assert_int_equal(dsp_profile_from_name(proto_provision_profile_name((uint8_t)p)), p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provision_profile_ids_match),
        cmocka_unit_test(test_provision_profile_names_match),
    };

    return cmocka_run_group_tests_name("test_provision", tests, NULL, NULL);
}
