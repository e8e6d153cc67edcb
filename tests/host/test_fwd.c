/* SPDX-License-Identifier: MIT
 * The packet-forwarder client (lib/fwd.h): a PUSH_DATA's header byte by byte and its JSON
 * to the letter, several rxpk in one datagram, the number formats (MHz, signed SNR), every
 * refusal, PUSH_ACK recognition, and base64 against RFC 4648's vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fwd.h"

static const uint8_t eui[FWD_EUI_LEN] = {0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01};
static const uint8_t phy[3] = {0x40, 0x00, 0x1F};

static struct fwd_rxpk sample(void)
{
    struct fwd_rxpk pk = {.time = "2024-05-01T12:00:00.000000Z",
                          .tmst = 3512348611u,
                          .chan = 2,
                          .freq_hz = 868100000u,
                          .sf = 7,
                          .bw_khz = 125,
                          .cr = 1,
                          .rssi_dbm = -35,
                          .lsnr_x10 = 51,
                          .phy = phy,
                          .len = sizeof(phy)};

    return pk;
}

static void test_fwd_push_data_one_rxpk(void **state)
{
    static const uint8_t head[FWD_HDR_LEN] = {
        0x02,                                          /* protocol version 2 */
        0xBE, 0xEF,                                    /* token */
        0x00,                                          /* PUSH_DATA */
        0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01 /* gateway EUI */
    };
    static const char json[] =
        "{\"rxpk\":[{\"time\":\"2024-05-01T12:00:00.000000Z\",\"tmst\":3512348611,\"chan\":2,"
        "\"rfch\":0,\"freq\":868.1,\"stat\":1,\"modu\":\"LORA\",\"datr\":\"SF7BW125\","
        "\"codr\":\"4/5\",\"rssi\":-35,\"lsnr\":5.1,\"size\":3,\"data\":\"QAAf\"}]}";
    struct fwd_rxpk pk = sample();
    uint8_t buf[FWD_HDR_LEN + FWD_RXPK_MAX];
    int n;

    (void)state;
    n = fwd_push_data(buf, sizeof(buf), 0xBEEF, eui, &pk, 1);
    assert_int_equal(n, FWD_HDR_LEN + sizeof(json) - 1u);
    assert_memory_equal(buf, head, sizeof(head));
    assert_memory_equal(buf + FWD_HDR_LEN, json, sizeof(json) - 1u);
}

/* Without a time, with a negative SNR, an exact frequency and several frames. */
static void test_fwd_push_data_fields(void **state)
{
    static const char json[] =
        "{\"rxpk\":[{\"tmst\":1,\"chan\":0,\"rfch\":0,\"freq\":869.525,\"stat\":1,\"modu\":"
        "\"LORA\",\"datr\":\"SF12BW250\",\"codr\":\"4/8\",\"rssi\":-120,\"lsnr\":-0.5,"
        "\"size\":3,\"data\":\"QAAf\"},{\"tmst\":2,\"chan\":0,\"rfch\":0,\"freq\":868.0,"
        "\"stat\":1,\"modu\":\"LORA\",\"datr\":\"SF12BW250\",\"codr\":\"4/8\",\"rssi\":-120,"
        "\"lsnr\":-12.0,\"size\":3,\"data\":\"QAAf\"}]}";
    struct fwd_rxpk pk[2];
    uint8_t buf[FWD_HDR_LEN + 2 * FWD_RXPK_MAX];
    int n;

    (void)state;
    pk[0] = sample();
    pk[0].time = NULL;
    pk[0].tmst = 1;
    pk[0].chan = 0;
    pk[0].freq_hz = 869525000u;
    pk[0].sf = 12;
    pk[0].bw_khz = 250;
    pk[0].cr = 4;
    pk[0].rssi_dbm = -120;
    pk[0].lsnr_x10 = -5;
    pk[1] = pk[0];
    pk[1].tmst = 2;
    pk[1].freq_hz = 868000000u;
    pk[1].lsnr_x10 = -120;
    n = fwd_push_data(buf, sizeof(buf), 1, eui, pk, 2);
    assert_int_equal(n, FWD_HDR_LEN + sizeof(json) - 1u);
    assert_memory_equal(buf + FWD_HDR_LEN, json, sizeof(json) - 1u);
}

static void test_fwd_push_data_refused(void **state)
{
    uint8_t big[FWD_PHY_MAX + 1];
    struct fwd_rxpk pk = sample();
    uint8_t buf[FWD_HDR_LEN + FWD_RXPK_MAX];
    int n;

    (void)state;
    n = fwd_push_data(buf, sizeof(buf), 1, eui, &pk, 1);
    assert_true(n > 0);
    /* The datagram and the byte for the NUL the text ends with; one byte less is refused. */
    assert_int_equal(fwd_push_data(buf, (size_t)n + 1u, 1, eui, &pk, 1), n);
    assert_int_equal(fwd_push_data(buf, (size_t)n, 1, eui, &pk, 1), -1);
    assert_int_equal(fwd_push_data(buf, FWD_HDR_LEN, 1, eui, &pk, 1), -1);
    assert_int_equal(fwd_push_data(buf, sizeof(buf), 1, eui, &pk, 0), -1);
    pk.len = 0;
    assert_int_equal(fwd_push_data(buf, sizeof(buf), 1, eui, &pk, 1), -1);
    memset(big, 0, sizeof(big));
    pk.phy = big;
    pk.len = FWD_PHY_MAX + 1u;
    assert_int_equal(fwd_push_data(buf, sizeof(buf), 1, eui, &pk, 1), -1);
    /* The largest frame fits FWD_RXPK_MAX. */
    pk.len = FWD_PHY_MAX;
    assert_true(fwd_push_data(buf, sizeof(buf), 1, eui, &pk, 1) > 0);
}

static void test_fwd_push_ack_token_cases(void **state)
{
    static const struct {
        uint8_t bytes[6];
        size_t len;
        int want;
    } cases[] = {
        {{0x02, 0xBE, 0xEF, 0x01}, 4, 0xBEEF},   /* PUSH_ACK */
        {{0x02, 0x00, 0x00, 0x01}, 4, 0},        /* token 0 */
        {{0x01, 0xBE, 0xEF, 0x01}, 4, -1},       /* protocol version 1 */
        {{0x02, 0xBE, 0xEF, 0x04}, 4, -1},       /* PULL_ACK */
        {{0x02, 0xBE, 0xEF}, 3, -1},             /* short */
        {{0x02, 0xBE, 0xEF, 0x01, 0x00}, 5, -1}, /* a PUSH_ACK is 4 bytes */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(fwd_push_ack_token(cases[i].bytes, cases[i].len), cases[i].want);
    }
}

/* RFC 4648 section 10. */
static void test_fwd_base64_vectors(void **state)
{
    static const char *const want[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[16];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        fwd_base64((const uint8_t *)"foobar", i, out);
        assert_string_equal(out, want[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fwd_push_data_one_rxpk),
        cmocka_unit_test(test_fwd_push_data_fields),
        cmocka_unit_test(test_fwd_push_data_refused),
        cmocka_unit_test(test_fwd_push_ack_token_cases),
        cmocka_unit_test(test_fwd_base64_vectors),
    };

    return cmocka_run_group_tests_name("test_fwd", tests, NULL, NULL);
}
