/* SPDX-License-Identifier: MIT
 * Adaptive data rate (daemon/ingest/adr.c): the data rates that count, the demodulation
 * floors, the target SF from a best SNR (its hysteresis: a target keeps itself, and a margin
 * between 0 and 5.5 dB moves nothing), the history of ADR_HISTORY uplinks whose best SNR
 * decides, the interval between two changes of a node; and on a real store the duty command
 * queued in the batch with the new data rate, the share of the last acknowledged duty command,
 * nothing while a duty command is pending, and the "adr" counter.
 */
#include "store_fixture.h"

#include "ingest/adr.h"
#include "proto/command.h"

static void test_adr_sf_of(void **state)
{
    (void)state;
    assert_int_equal(adr_sf_of("SF7BW125"), 7);
    assert_int_equal(adr_sf_of("SF12BW125"), 12);
    assert_int_equal(adr_sf_of("SF9BW250"), -1); /* not a DR0..DR5 rate */
    assert_int_equal(adr_sf_of("SF6BW125"), -1);
    assert_int_equal(adr_sf_of("SF13BW125"), -1);
    assert_int_equal(adr_sf_of("SF9BW1250"), -1);
    assert_int_equal(adr_sf_of("SFBW125"), -1);
    assert_int_equal(adr_sf_of("50000"), -1); /* FSK */
    assert_int_equal(adr_sf_of(""), -1);
    assert_int_equal(adr_sf_of(NULL), -1);
}

static void test_adr_floor_and_target(void **state)
{
    (void)state;
    assert_int_equal(adr_floor_cdb(7), -750);
    assert_int_equal(adr_floor_cdb(10), -1500);
    assert_int_equal(adr_floor_cdb(12), -2000);
    /* 5.5 dB (the simulator's forwarder): SF7 keeps 5.5 + 7.5 - 10 = 3 dB. */
    assert_int_equal(adr_target_sf(550, 12), 7);
    assert_int_equal(adr_target_sf(550, 9), 7);
    assert_int_equal(adr_target_sf(549, 12), 8); /* SF7 would keep 2.99 dB */
    /* 0 dB at SF12: SF10 keeps 5 dB, SF9 would keep 2.5. */
    assert_int_equal(adr_target_sf(0, 12), 10);
    /* A margin of 0 .. 5.49 dB at SF9 (SNR -2.5 .. 2.99 dB) moves nothing. */
    assert_int_equal(adr_target_sf(-250, 9), 9);
    assert_int_equal(adr_target_sf(299, 9), 9);
    assert_int_equal(adr_target_sf(300, 9), 8);
    /* A negative margin: one SF slower, however negative; never past SF12. */
    assert_int_equal(adr_target_sf(-251, 9), 10);
    assert_int_equal(adr_target_sf(-5000, 9), 10);
    assert_int_equal(adr_target_sf(-5000, 12), 12);
    assert_int_equal(adr_target_sf(3000, 7), 7);
}

/* For every SNR and SF: a faster target is one the same SNR keeps, and it keeps at least 3 dB
 * over the installation margin; a slower one only comes from a negative margin. */
static void test_adr_target_is_stable(void **state)
{
    (void)state;
    for (int32_t snr = -3000; snr <= 2000; snr += 10) {
        for (int sf = 7; sf <= 12; sf++) {
            int t = adr_target_sf(snr, sf);
            int32_t margin = snr - adr_floor_cdb(sf) - ADR_INSTALL_CDB;

            assert_true(t >= 7 && t <= 12);
            if (t < sf) {
                assert_int_equal(adr_target_sf(snr, t), t);
                assert_true(snr - adr_floor_cdb(t) - ADR_INSTALL_CDB >= ADR_HYST_CDB);
            } else if (t > sf) {
                assert_int_equal(t, sf + 1);
                assert_true(margin < 0);
            } else {
                assert_true(margin >= 0 || sf == 12);
            }
        }
    }
}

static void test_adr_history_and_interval(void **state)
{
    struct adr *a = NULL;
    uint64_t t = 1000;
    int i;

    (void)state;
    assert_int_equal(adr_new(3600000u, &a), 0);
    /* One strong uplink (the third) among weak ones: the best of the last 20 decides. */
    for (i = 0; i < ADR_HISTORY - 1; i++) {
        assert_int_equal(adr_observe(a, DEV_A, 12, i == 2 ? 550 : -1500, t += 1000), 0);
    }
    assert_int_equal(adr_observe(a, DEV_B, 12, 550, t), 0); /* another node's own history */
    assert_int_equal(adr_observe(a, DEV_A, 12, -1500, t += 1000), 7);
    /* Not queued (say, a pending command): asked again at the next uplink. */
    assert_int_equal(adr_observe(a, DEV_A, 12, -1500, t += 1000), 7);
    adr_changed(a, DEV_A, t);
    /* The node still sends at SF12 until it applies it; the interval holds any new change. */
    assert_int_equal(adr_observe(a, DEV_A, 12, -1500, t += 1000), 0);
    assert_int_equal(adr_observe(a, DEV_A, 7, -1500, t += 3590000), 0);
    /* An hour on, the strong uplink has left the history: -15 dB at SF7 is below the floor,
     * one SF slower. */
    assert_int_equal(adr_observe(a, DEV_A, 7, -1500, t += 10000), 8);
    adr_free(a);
    adr_free(NULL);
}

static void test_adr_many_nodes(void **state)
{
    struct adr *a = NULL;

    (void)state;
    assert_int_equal(adr_new(0, &a), 0);
    /* Nodes arriving in any order each keep their own history (the sorted table's moves). */
    for (uint32_t k = 0; k < ADR_HISTORY; k++) {
        for (uint32_t d = 0; d < 300; d++) {
            uint32_t dev = (d * 7919u) % 300u;
            int32_t snr = (int32_t)dev * 5 - 1000;
            int t = adr_target_sf(snr, 12);

            assert_int_equal(adr_observe(a, dev, 12, snr, k),
                             k + 1 < ADR_HISTORY || t == 12 ? 0 : t);
        }
    }
    adr_free(a);
}

/* The command rows in the file. */
static void commands_are(struct fixture *fx, int64_t n)
{
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), n);
}

static int64_t dl_adr(struct fixture *fx)
{
    uint64_t c[STORE_DL_COUNT];

    assert_int_equal(store_downlink_stats(fx->s, c), 0);
    return (int64_t)c[STORE_DL_ADR];
}

static void test_adr_uplink_queues_duty(void **state)
{
    struct fixture *fx = *state;
    struct proto_cmd cmd;
    struct store_command out;
    struct adr *a = NULL;
    struct store *cli = NULL;
    char err[256];
    int i;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(adr_new(0, &a), 0);
    assert_string_equal(store_dl_name(STORE_DL_ADR), "adr");
    /* FSK and other bandwidths do not count; a node at SF12 heard at 5.5 dB moves to SF7. */
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "50000", 550, 5000, 1), 0);
    for (i = 0; i < ADR_HISTORY - 1; i++) {
        assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 5000, 1), 0);
    }
    commands_are(fx, 0);
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 5000, 2), 1);
    assert_int_equal(store_flush(fx->s), 0);
    commands_are(fx, 1);
    /* duty, seq 1, permille 1000 (E803), DR5 = SF7; queued, expires in a day. */
    assert_int_equal(sql_int(fx->path, "SELECT op = 4 AND hex(payload) = '01010004E80305' AND "
                                       "state = 'queued' AND expires_ms = 5000 + 86400000 "
                                       "FROM commands"),
                     1);
    assert_int_equal(dl_adr(fx), 1);
    /* Queued (and later sent): no second one. */
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 6000, 3), 0);
    assert_int_equal(store_command_set(fx->s, 1, STORE_CMD_SENT, NULL, 6000), 0);
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 6000, 4), 0);
    /* Acknowledged: the node is at SF7 and keeps it. */
    assert_int_equal(store_command_set(fx->s, 1, STORE_CMD_ACKNOWLEDGED, "applied", 7000), 0);
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF7BW125", 550, 7000, 5), 0);
    assert_int_equal(store_flush(fx->s), 0);
    commands_are(fx, 1);
    /* The operator's duty command, share 250 at DR0, acknowledged: the next change keeps 250. */
    memset(&cmd, 0, sizeof(cmd));
    cmd.op = PROTO_CMD_DUTY;
    cmd.u.duty.permille = 250;
    cmd.u.duty.dr = 0;
    assert_int_equal(store_open(fx->path, 1, &cli, err, sizeof(err)), 0); /* as the CLI */
    assert_int_equal(store_command_add(cli, DEV_A, &cmd, 8000, 60000, &out), 0);
    store_close(cli);
    /* Pending: ADR waits even though the node is at SF12 again. */
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 8000, 6), 0);
    assert_int_equal(store_command_set(fx->s, out.id, STORE_CMD_ACKNOWLEDGED, "applied", 9000), 0);
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_A, "SF12BW125", 550, 9000, 7), 1);
    assert_int_equal(store_flush(fx->s), 0);
    commands_are(fx, 3);
    assert_int_equal(sql_int(fx->path, "SELECT hex(payload) = '01030004FA0005' FROM commands "
                                       "WHERE id = 3"),
                     1);
    assert_int_equal(dl_adr(fx), 2);
    /* A node the registry does not have: refused, nothing written. */
    for (i = 0; i < ADR_HISTORY - 1; i++) {
        assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_B, "SF12BW125", 550, 9000, 8), 0);
    }
    assert_int_equal(adr_uplink(a, fx->s, NULL, DEV_B, "SF12BW125", 550, 9000, 8), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    commands_are(fx, 3);
    adr_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adr_sf_of),
        cmocka_unit_test(test_adr_floor_and_target),
        cmocka_unit_test(test_adr_target_is_stable),
        cmocka_unit_test(test_adr_history_and_interval),
        cmocka_unit_test(test_adr_many_nodes),
        T(test_adr_uplink_queues_duty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
