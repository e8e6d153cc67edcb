/* SPDX-License-Identifier: MIT
 * Unit tests of the small parts of tinyfleet-web: a node's state and its precedence
 * (web_state.c), frames per minute from counter snapshots (web_rates.c) and basic
 * authentication against a crypt(3) hash made here with libcrypt (web_auth.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "web_auth.h"
#include "web_rates.h"
#include "web_state.h"

#define NOW 1800000000000LL

struct state_case {
    int64_t last_seen_ms;
    int battery_mv;
    bool alerting;
    bool learning;
    enum web_state want;
};

static const struct state_case state_cases[] = {
    {NOW - 1000, 3600, false, false, WEB_STATE_OK},
    {NOW - 1000, 3600, false, true, WEB_STATE_LEARNING},
    {NOW - 1000, 3300, false, true, WEB_STATE_BATTERY_LOW}, /* at the threshold */
    {NOW - 1000, 3301, false, false, WEB_STATE_OK},
    {NOW - 1000, -1, false, false, WEB_STATE_OK},      /* no report is not low */
    {NOW - 3600000, 3600, false, false, WEB_STATE_OK}, /* exactly offline_after_s */
    {NOW - 3600001, 3000, false, true, WEB_STATE_OFFLINE},
    {0, -1, false, false, WEB_STATE_OFFLINE},  /* never heard */
    {0, 3000, true, true, WEB_STATE_ALERTING}, /* alerting wins over all */
};

static void test_web_state_of_table(void **state)
{
    struct config_health h = {.offline_after_s = 3600, .battery_low_mv = 3300};
    struct config_health off = {0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(state_cases) / sizeof(state_cases[0]); i++) {
        const struct state_case *c = &state_cases[i];
        struct web_state_facts f = {c->last_seen_ms, c->battery_mv, c->alerting, c->learning};

        if (web_state_of(&f, &h, NOW) != c->want) {
            fail_msg("case %zu: %s, wanted %s", i, web_state_name(web_state_of(&f, &h, NOW)),
                     web_state_name(c->want));
        }
    }
    /* thresholds 0: never offline, never low */
    assert_int_equal(web_state_of(&(struct web_state_facts){0, 1, false, false}, &off, NOW),
                     WEB_STATE_OK);
    assert_string_equal(web_state_name(WEB_STATE_BATTERY_LOW), "battery_low");
    assert_string_equal(web_state_name(WEB_STATE_COUNT), "?");
}

static void test_web_rates(void **state)
{
    static struct web_rates r;
    uint64_t c[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct web_rate out[STORE_BEARER_COUNT];
    int i;

    (void)state;
    assert_int_equal(web_rates_init(&r), 0);
    memset(c, 0, sizeof(c));
    web_rates_get(&r, out);
    assert_false(out[STORE_BEARER_LORA].valid);
    web_rates_add(&r, 1000, c);
    /* 30 s later: 60 more accepted lora frames, 3 bad MICs, 9 duplicates (not refused) */
    c[STORE_BEARER_LORA][STORE_ACCEPTED] = 60;
    c[STORE_BEARER_LORA][STORE_BAD_MIC] = 3;
    c[STORE_BEARER_LORA][STORE_DUPLICATE] = 9;
    web_rates_add(&r, 31000, c);
    web_rates_add(&r, 31000, c); /* not newer: ignored */
    web_rates_get(&r, out);
    assert_true(out[STORE_BEARER_LORA].valid);
    assert_true(out[STORE_BEARER_LORA].accepted_per_min == 120.0);
    assert_true(out[STORE_BEARER_LORA].refused_per_min == 6.0);
    assert_true(out[STORE_BEARER_COAP].accepted_per_min == 0.0);
    assert_true(out[STORE_BEARER_LORA].span_s == 30.0);
    /* many snapshots: the rate spans the newest minute only */
    for (i = 1; i <= 40; i++) {
        c[STORE_BEARER_COAP][STORE_ACCEPTED] += (uint64_t)(i <= 20 ? 100 : 5);
        web_rates_add(&r, 31000 + i * 5000, c);
    }
    web_rates_get(&r, out);
    assert_true(out[STORE_BEARER_COAP].span_s == 60.0);
    assert_true(out[STORE_BEARER_COAP].accepted_per_min == 60.0);
    /* counts going back (a new database): history restarts */
    memset(c, 0, sizeof(c));
    web_rates_add(&r, 500000, c);
    web_rates_get(&r, out);
    assert_false(out[STORE_BEARER_COAP].valid);
    web_rates_deinit(&r);
}

static void test_web_auth(void **state)
{
    struct config_web w;
    struct crypt_data cd;
    const char *salt;
    const char *h;

    (void)state;
    memset(&w, 0, sizeof(w));
    assert_true(web_auth_check(&w, NULL, NULL)); /* no user: open */
    memset(&cd, 0, sizeof(cd));
    salt = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof(cd.setting));
    assert_non_null(salt);
    h = crypt_r("s3cret pass", salt, &cd);
    assert_non_null(h);
    (void)snprintf(w.user, sizeof(w.user), "ranger");
    (void)snprintf(w.password_hash, sizeof(w.password_hash), "%s", h);
    assert_true(web_auth_hash_usable(w.password_hash));
    assert_true(web_auth_check(&w, "ranger", "s3cret pass"));
    assert_false(web_auth_check(&w, "ranger", "s3cret pasS"));
    assert_false(web_auth_check(&w, "ranger", ""));
    assert_false(web_auth_check(&w, "range", "s3cret pass"));
    assert_false(web_auth_check(&w, NULL, NULL));
    assert_false(web_auth_check(&w, "ranger", NULL));
    /* the hash itself is not the password */
    assert_false(web_auth_check(&w, "ranger", w.password_hash));
    assert_false(web_auth_hash_usable("$9$nothing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_state_of_table),
        cmocka_unit_test(test_web_rates),
        cmocka_unit_test(test_web_auth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
