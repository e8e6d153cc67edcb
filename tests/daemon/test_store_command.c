/* SPDX-License-Identifier: MIT
 * Downlink state in the store (store_command.c, migrations/0007_downlink.sql): a queued
 * command carries its row id as sequence number in its payload, the oldest waiting one comes
 * first, an answer finds its command by those 16 bits, states move and are listed, and
 * FCntDown only ever rises, survives a reopen and is not handed out twice, also when a batch
 * is lost.
 */
#include "store_fixture.h"

#include "proto/command.h"

static struct proto_cmd cmd_of(uint8_t op, uint32_t seconds)
{
    struct proto_cmd c;

    memset(&c, 0, sizeof(c));
    c.op = op;
    c.u.seconds = seconds;
    return c;
}

static int count_cb(const struct store_command *c, void *arg)
{
    int64_t *ids = arg;

    ids[++ids[0]] = c->id;
    return 0;
}

static void test_store_command_queue(void **state)
{
    struct fixture *fx = *state;
    struct proto_cmd c = cmd_of(PROTO_CMD_INTERVAL, 900);
    struct proto_cmd got;
    struct store_command a;
    struct store_command b;
    struct store_command p;
    int64_t ids[8] = {0};
    uint32_t dev = DEV_A;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, DEV_B, "");
    c.seq = 0xBEEF; /* ignored: the row id decides */
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 5000, 60000, &a), 0);
    assert_int_equal(a.state, STORE_CMD_QUEUED);
    assert_int_equal(a.op, PROTO_CMD_INTERVAL);
    assert_int_equal(a.expires_ms, 65000);
    assert_int_equal(proto_cmd_decode(a.payload, a.payload_len, &got), PROTO_OK);
    assert_int_equal(got.seq, (uint16_t)a.id);
    assert_int_equal(got.u.seconds, 900);

    c = cmd_of(PROTO_CMD_HEALTH_NOW, 0);
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 6000, 60000, &b), 0);
    assert_true(b.id > a.id);
    assert_int_equal(store_command_add(fx->s, DEV_B, &c, 6000, 60000, NULL), 0);

    /* Refused whole: unknown node, bad command. */
    assert_int_equal(store_command_add(fx->s, 0x01020304u, &c, 6000, 60000, NULL), -ENOENT);
    c = cmd_of(PROTO_CMD_INTERVAL, 10);
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 6000, 60000, NULL), -EINVAL);
    c = cmd_of(9, 0);
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 6000, 60000, NULL), -EINVAL);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), 3);

    /* The oldest waiting command first; sent keeps it waiting; an answer ends it. */
    assert_int_equal(store_command_pending(fx->s, DEV_A, &p), 0);
    assert_int_equal(p.id, a.id);
    assert_int_equal(store_command_set(fx->s, a.id, STORE_CMD_SENT, NULL, 7000), 0);
    assert_int_equal(store_command_set(fx->s, a.id, STORE_CMD_SENT, NULL, 8000), 0);
    assert_int_equal(store_command_pending(fx->s, DEV_A, &p), 0);
    assert_int_equal(p.id, a.id);
    assert_int_equal(p.tries, 2);
    assert_int_equal(p.state, STORE_CMD_SENT);
    /* A node that is not DEV_A does not answer for it. */
    assert_int_equal(store_command_by_seq(fx->s, DEV_B, (uint16_t)a.id, &p), -ENOENT);
    assert_int_equal(store_command_by_seq(fx->s, DEV_A, (uint16_t)a.id, &p), 0);
    assert_int_equal(p.id, a.id);
    assert_int_equal(store_command_set(fx->s, a.id, STORE_CMD_ACKNOWLEDGED, "applied", 9000), 0);
    assert_int_equal(store_command_by_seq(fx->s, DEV_A, (uint16_t)a.id, &p), -ENOENT);
    assert_int_equal(store_command_pending(fx->s, DEV_A, &p), 0);
    assert_int_equal(p.id, b.id);
    assert_int_equal(store_command_set(fx->s, b.id, STORE_CMD_FAILED, "refused-unknown", 9000), 0);
    assert_int_equal(store_command_pending(fx->s, DEV_A, &p), -ENOENT);
    assert_int_equal(store_command_set(fx->s, 999, STORE_CMD_FAILED, NULL, 9000), -ENOENT);
    assert_int_equal(store_command_set(fx->s, a.id, STORE_CMD_STATE_COUNT, NULL, 9000), -EINVAL);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(store_commands_foreach(fx->s, &dev, count_cb, ids), 0);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], a.id);
    assert_int_equal(ids[2], b.id);
    ids[0] = 0;
    assert_int_equal(store_commands_foreach(fx->s, NULL, count_cb, ids), 0);
    assert_int_equal(ids[0], 3);
    assert_int_equal(sql_int(fx->path,
                             "SELECT count(*) FROM commands WHERE state = 'acknowledged' AND"
                             " status = 'applied' AND tries = 2 AND changed_ms = 9000"),
                     1);
    assert_string_equal(store_cmd_state_name(STORE_CMD_EXPIRED), "expired");
    assert_null(store_cmd_state_name(STORE_CMD_STATE_COUNT));

    /* Removing the node removes its queue. */
    assert_int_equal(store_node_remove(fx->s, DEV_A), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), 1);
}

static void test_store_command_add_waits_for_batch(void **state)
{
    struct fixture *fx = *state;
    struct proto_cmd c = cmd_of(PROTO_CMD_REBOOT, 0);
    uint32_t f;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), 0);
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 1, 1, NULL), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_command_add(fx->s, DEV_A, &c, 1, 1, NULL), 0);
}

static void test_store_fcnt_down(void **state)
{
    struct fixture *fx = *state;
    uint32_t f = 99;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), 0);
    assert_int_equal(f, 0);
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), 0);
    assert_int_equal(f, 1);
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_B, &f), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    store_close(fx->s);
    open_ok(fx);
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), 0);
    assert_int_equal(f, 2);
    assert_int_equal(store_flush(fx->s), 0);

    /* The last counter, then none. */
    sql_exec(fx->path, "UPDATE nodes SET fcnt_down = 4294967295");
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), 0);
    assert_int_equal(f, 0xFFFFFFFFu);
    assert_int_equal(store_fcnt_down_take(fx->s, DEV_A, &f), -ERANGE);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT fcnt_down FROM nodes"), 4294967296LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_command_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_command_add_waits_for_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_fcnt_down, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
