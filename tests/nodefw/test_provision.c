/* SPDX-License-Identifier: MIT
 * The firmware's side of the provisioning record (proto/provision.h): the record's profile
 * byte and the firmware's enum dsp_profile number and name the profiles the same way, so the
 * board's check "the record is for this image's profile" compares like with like; the
 * sensing byte numbers the modes as enum sensing_mode does; node_config_from_record() sets
 * identity, schedule (with a DevAddr phase) and health interval, and refuses a record for
 * another profile or a schedule the node cannot run without changing the configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/node.h"
#include "nodefw/profile.h"
#include "nodefw/provision.h"
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

static void test_provision_sensing_ids_match(void **state)
{
    (void)state;
    assert_int_equal(PROTO_PROVISION_SENSING_COUNT, SENSING_MODE_COUNT);
    assert_int_equal(PROTO_PROVISION_CONTINUOUS, SENSING_CONTINUOUS);
    assert_int_equal(PROTO_PROVISION_DUTY, SENSING_DUTY);
    assert_int_equal(PROTO_PROVISION_WAKE, SENSING_WAKE);
}

static void record(struct proto_provision *r)
{
    memset(r, 0, sizeof(*r));
    r->devaddr = 0x26011F05u;
    memset(r->nwkskey, 0x11, sizeof(r->nwkskey));
    memset(r->appskey, 0x22, sizeof(r->appskey));
    r->profile = PROTO_PROVISION_TURBINE;
    r->sensing = PROTO_PROVISION_DUTY;
    r->listen_ms = 2500;
    r->every_ms = 600000;
    r->health_s = 21600;
}

static void test_provision_config_from_record(void **state)
{
    struct proto_provision r;
    struct node_config cfg;
    struct node_config before;

    (void)state;
    record(&r);
    node_default_config(&cfg, DSP_PROFILE_TURBINE, BEARER_LORA);
    assert_int_equal(node_config_from_record(&cfg, &r), 0);
    assert_int_equal(cfg.devaddr, 0x26011F05u);
    assert_memory_equal(cfg.nwkskey, r.nwkskey, sizeof(r.nwkskey));
    assert_memory_equal(cfg.appskey, r.appskey, sizeof(r.appskey));
    assert_int_equal(cfg.sense.mode, SENSING_DUTY);
    assert_int_equal(cfg.sense.listen_ms, 2500);
    assert_int_equal(cfg.sense.every_ms, 600000);
    assert_int_equal(cfg.sense.phase_ms, sensing_phase_ms(0x26011F05u, 600000));
    assert_true(cfg.sense.phase_ms < 600000u);
    assert_int_equal(cfg.agg.health_period_ms, 21600000u);
    assert_true(sensing_config_ok(&cfg.sense));

    /* Woken by sound: the level reaches the configuration, no phase. */
    r.sensing = PROTO_PROVISION_WAKE;
    r.every_ms = 0;
    r.wake_level_q15 = 3277;
    assert_int_equal(node_config_from_record(&cfg, &r), 0);
    assert_int_equal(cfg.sense.mode, SENSING_WAKE);
    assert_int_equal(cfg.sense.wake_level_q15, 3277);
    assert_int_equal(cfg.sense.phase_ms, 0);

    /* Another profile's record, and a schedule the node cannot run: nothing changes. */
    before = cfg;
    record(&r);
    r.profile = PROTO_PROVISION_WHALE;
    assert_int_equal(node_config_from_record(&cfg, &r), NODE_EINVAL);
    record(&r);
    r.listen_ms = 700000; /* longer than its period */
    assert_int_equal(node_config_from_record(&cfg, &r), NODE_EINVAL);
    record(&r);
    r.sensing = 7;
    assert_int_equal(node_config_from_record(&cfg, &r), NODE_EINVAL);
    assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* Phases spread: 100 consecutive DevAddrs over a 60 s period land in every tenth of it, and
 * no tenth holds more than a fifth of them. */
static void test_provision_phase_spread(void **state)
{
    unsigned tenth[10] = {0};
    uint32_t a;
    unsigned i;

    (void)state;
    for (a = 0x26011F00u; a < 0x26011F00u + 100u; a++) {
        uint32_t ph = sensing_phase_ms(a, 60000);

        assert_true(ph < 60000u);
        tenth[ph / 6000u]++;
    }
    for (i = 0; i < 10u; i++) {
        assert_true(tenth[i] >= 1u && tenth[i] <= 20u);
    }
    assert_int_equal(sensing_phase_ms(0x26011F00u, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provision_sensing_ids_match),
        cmocka_unit_test(test_provision_config_from_record),
        cmocka_unit_test(test_provision_phase_spread),
        cmocka_unit_test(test_provision_profile_ids_match),
        cmocka_unit_test(test_provision_profile_names_match),
    };

    return cmocka_run_group_tests_name("test_provision", tests, NULL, NULL);
}
