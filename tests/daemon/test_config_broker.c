/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/config/config_broker.c: [mqtt] host as a list of brokers (each with
 * its own port or [mqtt] port), bad entries refused with the entry named, and [fusion] scope
 * and takeover_s with their defaults.
 */
#include <errno.h>
#include <string.h>

#include "config_fixture.h"

static void test_broker_list(void **state)
{
    struct fixture *f = *state;
    const struct config_mqtt *m = &f->cfg.mqtt;

    assert_int_equal(load(f, "[mqtt]\nport = 1999\n"
                             "host = 10.0.0.1:1884, broker.local  [::1]:1885,10.0.0.2\n"),
                     0);
    assert_int_equal(m->broker_count, 4);
    assert_string_equal(m->brokers[0].host, "10.0.0.1");
    assert_int_equal(m->brokers[0].port, 1884);
    assert_string_equal(m->brokers[1].host, "broker.local");
    assert_int_equal(m->brokers[1].port, 1999);
    assert_string_equal(m->brokers[2].host, "::1");
    assert_int_equal(m->brokers[2].port, 1885);
    assert_string_equal(m->brokers[3].host, "10.0.0.2");
    assert_int_equal(m->brokers[3].port, 1999);

    /* one host, the port of [mqtt] port: as before lists existed */
    assert_int_equal(load(f, "[mqtt]\nhost = broker\n"), 0);
    assert_int_equal(m->broker_count, 1);
    assert_string_equal(m->brokers[0].host, "broker");
    assert_int_equal(m->brokers[0].port, 1883);
    assert_int_equal(load(f, "[gateway]\n"), 0);
    assert_int_equal(m->broker_count, 0);
}

static const struct {
    const char *text;
    const char *want;
} bad[] = {
    {"[mqtt]\nhost = a:0\n", ":2: [mqtt] host: bad entry 'a:0': bad port (1..65535)"},
    {"[mqtt]\nhost = a, b:x\n", ":2: [mqtt] host: bad entry 'b:x': bad port"},
    {"[mqtt]\nhost = a:\n", ":2: [mqtt] host: bad entry 'a:': bad port"},
    {"[mqtt]\nhost = ::1\n", ":2: [mqtt] host: bad entry '::1': an IPv6 address needs brackets"},
    {"[mqtt]\nhost = [::1\n", ":2: [mqtt] host: bad entry '[::1': no closing ']'"},
    {"[mqtt]\nhost = :1883\n", ":2: [mqtt] host: bad entry ':1883': empty host"},
    {"[mqtt]\nhost = a b c d e f g h i\n", ":2: [mqtt] host: more than 8 brokers"},
    {"[fusion]\nscope = region\n", ":2: [fusion] scope: 'region' is neither gateway nor site"},
    {"[fusion]\nscope = site\n", ":2: [fusion] scope: site needs [mqtt] host"},
    {"[fusion]\ntakeover_s = 2\n", ":2: [fusion] takeover_s: out of range: '2' (3..3600)"},
};

static void test_broker_refusals(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = load(f, bad[i].text);

        if (rc != -EINVAL || strstr(f->err, bad[i].want) == NULL) {
            fail_msg("case %zu: rc %d, '%s', wanted '%s'", i, rc, f->err, bad[i].want);
        }
    }
}

static void test_fusion_scope(void **state)
{
    struct fixture *f = *state;
    const struct config_site *s = &f->cfg.fusion.site;

    assert_int_equal(load(f, "[gateway]\n"), 0);
    assert_string_equal(s->scope, "gateway");
    assert_false(s->site);
    assert_int_equal(s->takeover_s, 30);
    assert_int_equal(load(f, "[mqtt]\nhost = b\n[fusion]\nscope = site\ntakeover_s = 6\n"), 0);
    assert_true(s->site);
    assert_int_equal(s->takeover_s, 6);
    assert_int_equal(load(f, "[fusion]\nscope = gateway\n"), 0);
    assert_false(s->site);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_broker_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fusion_scope, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
