/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/site/site_owner.c and site_input.c: claims heard together settle on
 * the lowest gateway id whatever their order; a settled holder keeps its zone against later
 * claims (and is told to re-assert); a dead holder's zone goes to the next claim; ownership
 * only after the settling time and while alive; alone, every zone is ours. A frame (DevAddr,
 * FCnt) is seen once, also after the ring has wrapped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "site/site_input.h"
#include "site/site_owner.h"

static void test_tie_lowest_wins_any_order(void **state)
{
    struct site_owner *b = NULL;
    struct site_owner *c = NULL;

    (void)state;
    assert_int_equal(site_owner_new("gw-b", 6, &b), 0);
    assert_int_equal(site_owner_new("gw-c", 6, &c), 0);
    site_owner_member(b, "gw-b", true, 0);
    site_owner_member(b, "gw-c", true, 0);
    site_owner_member(c, "gw-b", true, 0);
    site_owner_member(c, "gw-c", true, 0);
    /* b hears c's claim first, c hears b's first */
    assert_false(site_owner_claim(b, "z", "gw-c", 100));
    assert_false(site_owner_claim(b, "z", "gw-b", 150));
    assert_false(site_owner_claim(c, "z", "gw-b", 100));
    assert_true(site_owner_claim(c, "z", "gw-c", 150) == false);
    assert_string_equal(site_owner_holder(b, "z"), "gw-b");
    assert_string_equal(site_owner_holder(c, "z"), "gw-b");
    assert_false(site_owner_mine(b, "z", 1000, false)); /* not settled yet */
    assert_true(site_owner_mine(b, "z", 100 + SITE_OWNER_SETTLE_MS, false));
    assert_false(site_owner_mine(c, "z", 100 + SITE_OWNER_SETTLE_MS, false));
    /* settled: a later claim, even from a lower id, does not take it; the holder re-asserts */
    assert_true(site_owner_claim(b, "z", "gw-a", 5000));
    assert_string_equal(site_owner_holder(b, "z"), "gw-b");
    assert_true(site_owner_mine(c, "z", 5000, true)); /* alone: every zone */
    site_owner_free(b);
    site_owner_free(c);
}

static void test_dead_holder_taken_over(void **state)
{
    struct site_owner *c = NULL;
    int i;

    (void)state;
    assert_int_equal(site_owner_new("gw-c", 6, &c), 0);
    site_owner_member(c, "gw-a", true, 0);
    site_owner_member(c, "gw-c", true, 0);
    assert_false(site_owner_claim(c, "z", "gw-a", 10));
    i = site_owner_touch(c, "z");
    assert_true(i >= 0);
    assert_false(site_owner_want_claim(c, (unsigned)i, 3000)); /* gw-a alive */
    site_owner_member(c, "gw-a", false, 3000);                 /* its last will */
    assert_true(site_owner_want_claim(c, (unsigned)i, 3001));
    assert_false(site_owner_want_claim(c, (unsigned)i, 3500)); /* not twice within a second */
    assert_false(site_owner_claim(c, "z", "gw-c", 3600));
    assert_false(site_owner_gained(c, (unsigned)i, 4000, false));
    assert_true(site_owner_gained(c, (unsigned)i, 3600 + SITE_OWNER_SETTLE_MS, false));
    assert_false(site_owner_gained(c, (unsigned)i, 3700 + SITE_OWNER_SETTLE_MS, false));
    assert_true(site_owner_held(c, "z", 3700 + SITE_OWNER_SETTLE_MS, false));
    /* our own membership lapses after takeover_s without a renewal: no longer ours */
    assert_false(site_owner_mine(c, "z", 6000 + 1, false));
    site_owner_free(c);
}

static void test_seen_once(void **state)
{
    struct site_seen *s = NULL;
    uint32_t i;

    (void)state;
    assert_int_equal(site_seen_new(&s), 0);
    assert_true(site_seen_add(s, 0x26011F00, 7));
    assert_false(site_seen_add(s, 0x26011F00, 7));
    assert_true(site_seen_add(s, 0x26011F00, 8));
    assert_true(site_seen_add(s, 0x26011F01, 7));
    for (i = 0; i < SITE_SEEN_MAX + 10; i++) {
        assert_true(site_seen_add(s, 0x27000000, 1000 + i));
    }
    /* the oldest have left the ring; the newest are still known */
    assert_true(site_seen_add(s, 0x26011F00, 7));
    assert_false(site_seen_add(s, 0x27000000, 1000 + SITE_SEEN_MAX + 9));
    assert_false(site_seen_add(s, 0x27000000, 1000 + 20));
    site_seen_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tie_lowest_wins_any_order),
        cmocka_unit_test(test_dead_holder_taken_over),
        cmocka_unit_test(test_seen_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
