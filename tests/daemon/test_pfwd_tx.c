/* SPDX-License-Identifier: MIT
 * The server-to-forwarder half of the Semtech protocol (daemon/ingest/pfwd_tx.c): PULL_RESP
 * bytes field by field, its limits, and the TX_ACK outcomes pfwd_parse() reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ingest/pfwd.h"

static const uint8_t ack_frame[12] = {0x60, 0x00, 0x1F, 0x01, 0x26, 0x20,
                                      0x00, 0x00, 0xA2, 0x60, 0xFA, 0x71};

static void test_pfwd_build_pull_resp_fields(void **state)
{
    struct pfwd_txpk tx = {false, 0xFFFFFFF0u, 868100000u,       0, 14, "SF7BW125",
                           true,  ack_frame,   sizeof(ack_frame)};
    uint8_t buf[PFWD_PULL_RESP_MAX];
    const cJSON *t;
    cJSON *root;
    int n;

    (void)state;
    n = pfwd_build_pull_resp(buf, sizeof(buf), 0xBEEF, &tx);
    assert_true(n > 4);
    assert_int_equal(buf[0], 2);    /* version */
    assert_int_equal(buf[1], 0xBE); /* token, big-endian, as TX_ACK repeats it */
    assert_int_equal(buf[2], 0xEF);
    assert_int_equal(buf[3], 0x03); /* PULL_RESP */
    root = cJSON_ParseWithLength((const char *)buf + 4, (size_t)n - 4);
    assert_non_null(root);
    t = cJSON_GetObjectItemCaseSensitive(root, "txpk");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(t, "imme")));
    assert_true(cJSON_GetObjectItemCaseSensitive(t, "tmst")->valuedouble == 4294967280.0);
    assert_true(cJSON_GetObjectItemCaseSensitive(t, "freq")->valuedouble == 868.1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t, "rfch")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t, "powe")->valueint, 14);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "modu")->valuestring, "LORA");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "datr")->valuestring, "SF7BW125");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "codr")->valuestring, "4/5");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ipol")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ncrc")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t, "size")->valueint, 12);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "data")->valuestring,
                        "YAAfASYgAACiYPpx");
    cJSON_Delete(root);
    /* Six decimals, never a float's rounding: 869.525 MHz. */
    tx.freq_hz = 869525000u;
    n = pfwd_build_pull_resp(buf, sizeof(buf), 1, &tx);
    assert_true(n > 0);
    buf[n - 1] = '\0';
    assert_non_null(strstr((const char *)buf + 4, "\"freq\":869.525000,"));
}

static void test_pfwd_build_pull_resp_limits(void **state)
{
    uint8_t big[PFWD_PHY_MAX + 1] = {0};
    struct pfwd_txpk tx = {false, 0, 868100000u, 0, 14, "SF12BW125", true, big, PFWD_PHY_MAX};
    uint8_t buf[PFWD_PULL_RESP_MAX];
    int n;

    (void)state;
    n = pfwd_build_pull_resp(buf, sizeof(buf), 1, &tx); /* the largest fits the bound */
    assert_true(n > 0 && (size_t)n <= sizeof(buf));
    assert_int_equal(pfwd_build_pull_resp(buf, (size_t)n - 1, 1, &tx), -ENOSPC);
    assert_int_equal(pfwd_build_pull_resp(buf, 4, 1, &tx), -ENOSPC);
    tx.len = PFWD_PHY_MAX + 1;
    assert_int_equal(pfwd_build_pull_resp(buf, sizeof(buf), 1, &tx), -EINVAL);
    tx.len = 0;
    assert_int_equal(pfwd_build_pull_resp(buf, sizeof(buf), 1, &tx), -EINVAL);
    tx.len = 1;
    tx.datr = NULL;
    assert_int_equal(pfwd_build_pull_resp(buf, sizeof(buf), 1, &tx), -EINVAL);
    assert_int_equal(pfwd_build_pull_resp(NULL, sizeof(buf), 1, &tx), -EINVAL);
}

static int tx_ack(const char *json, struct pfwd_msg *msg)
{
    uint8_t dg[256] = {2, 0x12, 0x34, 5, 1, 2, 3, 4, 5, 6, 7, 8};
    size_t len = strlen(json);

    memcpy(dg + 12, json, len);
    return pfwd_parse(dg, 12 + len, msg);
}

static void test_pfwd_parse_tx_ack(void **state)
{
    static const struct {
        const char *json;
        int rc;
        enum pfwd_txack txack;
    } cases[] = {
        {"", 0, PFWD_TXACK_NONE}, /* no JSON: no error (section 5.5) */
        {"{\"txpk_ack\":{\"error\":\"NONE\"}}", 0, PFWD_TXACK_NONE},
        {"{\"txpk_ack\":{\"warn\":\"TX_POWER\",\"value\":14}}", 0, PFWD_TXACK_NONE},
        {"{\"txpk_ack\":{\"error\":\"TOO_LATE\"}}", 0, PFWD_TXACK_TOO_LATE},
        {"{\"txpk_ack\":{\"error\":\"TOO_EARLY\"}}", 0, PFWD_TXACK_TOO_EARLY},
        {"{\"txpk_ack\":{\"error\":\"COLLISION_PACKET\"}}", 0, PFWD_TXACK_COLLISION_PACKET},
        {"{\"txpk_ack\":{\"error\":\"COLLISION_BEACON\"}}", 0, PFWD_TXACK_COLLISION_BEACON},
        {"{\"txpk_ack\":{\"error\":\"TX_FREQ\"}}", 0, PFWD_TXACK_TX_FREQ},
        {"{\"txpk_ack\":{\"error\":\"TX_POWER\"}}", 0, PFWD_TXACK_TX_POWER},
        {"{\"txpk_ack\":{\"error\":\"GPS_UNLOCKED\"}}", 0, PFWD_TXACK_GPS_UNLOCKED},
        {"{\"txpk_ack\":{\"error\":\"MELTED\"}}", 0, PFWD_TXACK_OTHER},
        {"{\"txpk_ack\":{\"error\":7}}", 0, PFWD_TXACK_NONE},
        {"[1]", PFWD_EJSON, PFWD_TXACK_NONE},
        {"{\"txpk_ack\":", PFWD_EJSON, PFWD_TXACK_NONE},
    };
    struct pfwd_msg *msg = calloc(1, sizeof(*msg));

    (void)state;
    assert_non_null(msg);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(tx_ack(cases[i].json, msg), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(msg->ident, PFWD_TX_ACK);
            assert_int_equal(msg->token, 0x1234);
            assert_int_equal(msg->txack, cases[i].txack);
        }
    }
    free(msg);
    assert_string_equal(pfwd_txack_name(PFWD_TXACK_COLLISION_PACKET), "collision_packet");
    assert_string_equal(pfwd_txack_name(PFWD_TXACK_COUNT), "other");
    assert_int_equal(pfwd_txack_of(NULL), PFWD_TXACK_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pfwd_build_pull_resp_fields),
        cmocka_unit_test(test_pfwd_build_pull_resp_limits),
        cmocka_unit_test(test_pfwd_parse_tx_ack),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
