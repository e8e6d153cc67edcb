/* SPDX-License-Identifier: MIT
 * The bearer-independent downlink (daemon/ingest/downlink.c) on a real store: what a plan
 * carries (ACK, the oldest pending command), a command past its expiry or its tries settled
 * on the way, the frame built with the next FCntDown and parsed back (MIC, decryption), and
 * a node's FPort 11 answers ending commands as acknowledged or failed.
 */
#include "store_fixture.h"

#include "ingest/downlink.h"
#include "proto/command.h"
#include "proto/frame.h"

static int64_t queue(struct fixture *fx, uint8_t op, int64_t now, int64_t ttl)
{
    struct proto_cmd c;
    struct store_command out;

    memset(&c, 0, sizeof(c));
    c.op = op;
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, now, ttl, &out), 0);
    return out.id;
}

static void test_downlink_plan_and_make(void **state)
{
    struct fixture *fx = *state;
    struct downlink_plan plan;
    struct downlink_frame fr;
    struct proto_frame f;
    uint8_t key[16];
    uint8_t plain[16];
    int64_t id;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    /* Nothing queued: only a confirmed uplink needs a downlink, a bare ACK of 12 bytes. */
    assert_int_equal(downlink_plan(fx->s, NULL, DEV_A, false, 1000, &plan), 0);
    assert_int_equal(downlink_plan(fx->s, NULL, DEV_A, true, 1000, &plan), 1);
    assert_false(plan.has_cmd);
    assert_int_equal(plan.len, 12);
    assert_int_equal(downlink_make(fx->s, NULL, &plan, 1000, &fr), 0);
    assert_int_equal(fr.len, 12);
    assert_int_equal(fr.fcnt_down, 0);
    assert_int_equal(proto_frame_parse_down(fr.phy, fr.len, &f), PROTO_OK);
    assert_int_equal(f.fctrl & PROTO_FCTRL_ACK, PROTO_FCTRL_ACK);
    memset(key, 0x11, sizeof(key));
    assert_int_equal(proto_frame_verify(&f, key, 0), PROTO_OK);

    /* A command: FPort 10, encrypted with the AppSKey, counter 1, the command marked sent. */
    assert_int_equal(store_flush(fx->s), 0);
    id = queue(fx, PROTO_CMD_HEALTH_NOW, 1000, 60000);
    assert_int_equal(downlink_plan(fx->s, NULL, DEV_A, false, 2000, &plan), 1);
    assert_true(plan.has_cmd);
    assert_int_equal(plan.cmd.id, id);
    assert_int_equal(plan.len, 12 + 1 + 4);
    assert_int_equal(downlink_make(fx->s, NULL, &plan, 2000, &fr), 0);
    assert_int_equal(fr.len, plan.len);
    assert_int_equal(fr.fcnt_down, 1);
    assert_int_equal(fr.cmd_id, id);
    assert_int_equal(proto_frame_parse_down(fr.phy, fr.len, &f), PROTO_OK);
    assert_false(f.fctrl & PROTO_FCTRL_ACK);
    assert_int_equal(f.fport, PROTO_CMD_PORT);
    assert_int_equal(proto_frame_verify(&f, key, 1), PROTO_OK);
    memset(key, 0x22, sizeof(key));
    assert_int_equal(proto_frame_decrypt(&f, key, 1, plain, sizeof(plain)), 4);
    assert_memory_equal(plain, ((uint8_t[]){1, (uint8_t)id, (uint8_t)(id >> 8), 6}), 4);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT tries FROM commands"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'sent' FROM commands"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT fcnt_down FROM nodes"), 2);
}

static void test_downlink_plan_settles_old_commands(void **state)
{
    struct fixture *fx = *state;
    struct downlink_plan plan;
    struct downlink_frame fr;
    int64_t tired;
    int64_t old;
    int64_t fresh;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    tired = queue(fx, PROTO_CMD_REBOOT, 1000, 600000);
    old = queue(fx, PROTO_CMD_HEALTH_NOW, 1000, 5000);
    fresh = queue(fx, PROTO_CMD_LEARN_RESTART, 1000, 600000);
    for (int i = 0; i < DOWNLINK_MAX_TRIES; i++) {
        assert_int_equal(downlink_plan(fx->s, NULL, DEV_A, false, 2000, &plan), 1);
        assert_int_equal(plan.cmd.id, tired);
        assert_int_equal(downlink_make(fx->s, NULL, &plan, 2000, &fr), 0);
    }
    /* Tries used up: failed; the next one expired at 6000; the third goes. */
    assert_int_equal(downlink_plan(fx->s, NULL, DEV_A, false, 7000, &plan), 1);
    assert_int_equal(plan.cmd.id, fresh);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'failed' AND status = 'no-answer' "
                                       "FROM commands WHERE id = 1"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'expired' FROM commands WHERE id = 2"), 1);
    assert_int_equal(old, 2);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'queued' FROM commands WHERE id = 3"), 1);
}

static void test_downlink_answers(void **state)
{
    struct fixture *fx = *state;
    struct proto_cmd_answer a[3];
    uint8_t buf[PROTO_CMD_ANSWER_MAX_LEN];
    int64_t applied;
    int64_t refused;
    int n;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    applied = queue(fx, PROTO_CMD_HEALTH_NOW, 1000, 600000);
    refused = queue(fx, PROTO_CMD_REBOOT, 1000, 600000);
    a[0] = (struct proto_cmd_answer){(uint16_t)applied, PROTO_CMD_HEALTH_NOW, PROTO_CMD_APPLIED};
    a[1] =
        (struct proto_cmd_answer){(uint16_t)refused, PROTO_CMD_REBOOT, PROTO_CMD_REFUSED_UNKNOWN};
    a[2] = (struct proto_cmd_answer){0x7777, PROTO_CMD_REBOOT, PROTO_CMD_APPLIED}; /* no such */
    n = proto_cmd_answer_encode(a, 3, buf, sizeof(buf));
    assert_int_equal(n, 13);
    assert_int_equal(downlink_answers(fx->s, NULL, DEV_A, buf, (size_t)n, 3000), 2);
    /* Heard again (the node repeats until its next downlink): nothing left to change. */
    assert_int_equal(downlink_answers(fx->s, NULL, DEV_A, buf, (size_t)n, 4000), 0);
    assert_int_equal(downlink_answers(fx->s, NULL, DEV_A, buf, 3, 4000), -EBADMSG);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'acknowledged' AND status = 'applied' "
                                       "FROM commands WHERE id = 1"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT state = 'failed' AND status = 'refused-unknown' "
                                       "FROM commands WHERE id = 2"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_downlink_plan_and_make),
        T(test_downlink_plan_settles_old_commands),
        T(test_downlink_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
