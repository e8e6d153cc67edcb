/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/ingest/pfwd.c (Semtech packet-forwarder protocol v2) and
 * daemon/ingest/base64.c: datagrams written out byte by byte (header fields commented, PROTOCOL.TXT
 * sections 3 and 5) with their JSON bodies as text; every refusal code; several rxpk per datagram;
 * stat != 1 ignored; a bad rxpk entry or stat left out and counted, the rest kept; the size limits
 * at and just past their edges; RFC 4648 section 10 vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/base64.h"
#include "ingest/pfwd.h"

/* About 40 kB: static, so the test does not depend on the stack size. */
static struct pfwd_msg msg;
static uint8_t dg[PFWD_MAX_DATAGRAM + 64];

/* PUSH_DATA header (section 3.2), gateway AA555A0000000101. */
static const uint8_t push_hdr[] = {
    0x02,                                          /* protocol version 2 */
    0x12, 0x34,                                    /* random token */
    0x00,                                          /* PUSH_DATA */
    0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01 /* gateway EUI */
};

/* PULL_DATA (section 5.2), gateway AA555A0000000202: the whole datagram. */
static const uint8_t pull_data[] = {
    0x02,                                          /* protocol version 2 */
    0xBE, 0xEF,                                    /* random token */
    0x02,                                          /* PULL_DATA */
    0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x02, 0x02 /* gateway EUI */
};

/* 19-byte data-up frame (MHDR 40, DevAddr 26011F00, FCnt 1, FPort 1, ...): pfwd does not
 * look inside; it only has to come out byte for byte. Base64 QAAfASYAAQABIsgKAAUMESIzRA== */
static const uint8_t frame1[] = {0x40, 0x00, 0x1F, 0x01, 0x26, 0x00, 0x01, 0x00, 0x01, 0x22,
                                 0xC8, 0x0A, 0x00, 0x05, 0x0C, 0x11, 0x22, 0x33, 0x44};
/* Base64 QAAfASYAAgABIgH/AAAAqrvM3Q== */
static const uint8_t frame2[] = {0x40, 0x00, 0x1F, 0x01, 0x26, 0x00, 0x02, 0x00, 0x01, 0x22,
                                 0x01, 0xFF, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD};

/* A PUSH_DATA with @json as its body; returns the datagram length. */
static size_t push(const char *json)
{
    size_t n = strlen(json);

    assert_true(sizeof(push_hdr) + n <= sizeof(dg));
    memcpy(dg, push_hdr, sizeof(push_hdr));
    memcpy(dg + sizeof(push_hdr), json, n);
    return sizeof(push_hdr) + n;
}

static int parse_push(const char *json)
{
    return pfwd_parse(dg, push(json), &msg);
}

/* ---- PUSH_DATA accepted ---- */

static void test_pfwd_parse_push_one_rxpk(void **state)
{
    (void)state;
    /* The first rxpk of PROTOCOL.TXT section 4's example, with a real payload. */
    assert_int_equal(parse_push("{\"rxpk\":[{\"time\":\"2013-03-31T16:21:17.528002Z\","
                                "\"tmst\":3512348611,\"chan\":2,\"rfch\":0,\"freq\":866.349812,"
                                "\"stat\":1,\"modu\":\"LORA\",\"datr\":\"SF7BW125\","
                                "\"codr\":\"4/6\",\"rssi\":-35,\"lsnr\":5.1,\"size\":19,"
                                "\"data\":\"QAAfASYAAQABIsgKAAUMESIzRA==\"}]}"),
                     0);
    assert_int_equal(msg.version, 2);
    assert_int_equal(msg.token, 0x1234);
    assert_int_equal(msg.ident, PFWD_PUSH_DATA);
    assert_true(msg.has_eui);
    assert_memory_equal(msg.eui, push_hdr + 4, 8);
    assert_int_equal(msg.rxpk_count, 1);
    assert_int_equal(msg.ignored_count, 0);
    assert_false(msg.has_stat);
    assert_int_equal(msg.rxpk[0].len, sizeof(frame1));
    assert_memory_equal(msg.rxpk[0].phy, frame1, sizeof(frame1));
    assert_true(msg.rxpk[0].has_rssi);
    assert_int_equal(msg.rxpk[0].rssi_dbm, -35);
    assert_true(msg.rxpk[0].has_snr);
    assert_true(msg.rxpk[0].snr_db > 5.09 && msg.rxpk[0].snr_db < 5.11);
    assert_true(msg.rxpk[0].has_freq);
    assert_int_equal(msg.rxpk[0].freq_hz, 866349812u); /* MHz to Hz, Hz precision */
    assert_string_equal(msg.rxpk[0].datr, "SF7BW125");
    assert_true(msg.rxpk[0].has_tmst);
    assert_int_equal(msg.rxpk[0].tmst, 3512348611u);
    assert_string_equal(msg.rxpk[0].time, "2013-03-31T16:21:17.528002Z");
}

static void test_pfwd_parse_push_several_rxpk_and_stat(void **state)
{
    (void)state;
    /* Two good packets around a CRC failure (stat -1) and a packet without CRC (stat 0),
     * plus the gateway's status (section 4's second example, shortened). */
    assert_int_equal(
        parse_push("{\"rxpk\":["
                   "{\"stat\":1,\"rssi\":-40,\"data\":\"QAAfASYAAQABIsgKAAUMESIzRA==\"},"
                   "{\"stat\":-1,\"rssi\":-120,\"data\":\"garbage, never decoded\"},"
                   "{\"stat\":0,\"data\":\"AA==\"},"
                   "{\"stat\":1,\"rssi\":-97,\"lsnr\":-7.5,\"freq\":868.1,"
                   "\"datr\":50000,\"data\":\"QAAfASYAAgABIgH/AAAAqrvM3Q\"}],"
                   "\"stat\":{\"time\":\"2014-01-12 08:59:28 GMT\",\"lati\":46.24,"
                   "\"rxnb\":2,\"rxok\":2,\"ackr\":100.0}}"),
        0);
    assert_int_equal(msg.rxpk_count, 2);
    assert_int_equal(msg.ignored_count, 2);
    assert_memory_equal(msg.rxpk[0].phy, frame1, sizeof(frame1));
    assert_int_equal(msg.rxpk[0].rssi_dbm, -40);
    assert_false(msg.rxpk[0].has_snr);
    assert_false(msg.rxpk[0].has_freq);
    assert_false(msg.rxpk[0].has_tmst);
    assert_string_equal(msg.rxpk[0].datr, "");
    assert_string_equal(msg.rxpk[0].time, "");
    /* Unpadded base64 (padding optional, base64.h). */
    assert_int_equal(msg.rxpk[1].len, sizeof(frame2));
    assert_memory_equal(msg.rxpk[1].phy, frame2, sizeof(frame2));
    assert_int_equal(msg.rxpk[1].rssi_dbm, -97);
    assert_true(msg.rxpk[1].snr_db < -7.49 && msg.rxpk[1].snr_db > -7.51);
    assert_int_equal(msg.rxpk[1].freq_hz, 868100000u);
    assert_string_equal(msg.rxpk[1].datr, "50000"); /* FSK: bits per second */
    assert_true(msg.has_stat);
    assert_string_equal(msg.stat_json, "{\"time\":\"2014-01-12 08:59:28 GMT\",\"lati\":46.24,"
                                       "\"rxnb\":2,\"rxok\":2,\"ackr\":100}");
}

static void test_pfwd_parse_push_stat_only(void **state)
{
    (void)state;
    /* "It is possible for a packet to contain no rxpk array but a stat object." */
    assert_int_equal(parse_push("{\"stat\":{\"rxnb\":0}}"), 0);
    assert_int_equal(msg.rxpk_count, 0);
    assert_true(msg.has_stat);
    assert_string_equal(msg.stat_json, "{\"rxnb\":0}");
    /* Whitespace around the object is JSON; the stat comes back compact. */
    assert_int_equal(parse_push(" \n{ \"stat\" : { \"a\" : [ 1 , 2 ] } }\n "), 0);
    assert_string_equal(msg.stat_json, "{\"a\":[1,2]}");
}

static void test_pfwd_parse_push_empty_and_unknown_keys(void **state)
{
    (void)state;
    assert_int_equal(parse_push("{}"), 0);
    assert_int_equal(msg.rxpk_count, 0);
    assert_false(msg.has_stat);
    assert_int_equal(parse_push("{\"rxpk\":[]}"), 0);
    assert_int_equal(msg.rxpk_count, 0);
    /* Keys this parser does not know are left alone (newer forwarders add some). */
    assert_int_equal(parse_push("{\"future\":{\"x\":1},\"rxpk\":[{\"stat\":1,\"brd\":0,"
                                "\"rsig\":[{\"ant\":0}],\"data\":\"AA==\"}]}"),
                     0);
    assert_int_equal(msg.rxpk_count, 1);
    assert_int_equal(msg.rxpk[0].len, 1);
    assert_int_equal(msg.rxpk[0].phy[0], 0x00);
}

static void test_pfwd_parse_push_rounding_and_limits(void **state)
{
    (void)state;
    /* rssi rounds half away from zero; freq to the nearest Hz; the u32 edges of tmst. */
    assert_int_equal(parse_push("{\"rxpk\":[{\"stat\":1,\"rssi\":-35.5,\"freq\":4294.967295,"
                                "\"tmst\":4294967295,\"data\":\"AA==\"},"
                                "{\"stat\":1,\"rssi\":12.49,\"freq\":0,\"tmst\":0,"
                                "\"datr\":\"SF12BW500\",\"data\":\"AA==\"}]}"),
                     0);
    assert_int_equal(msg.rxpk[0].rssi_dbm, -36);
    assert_int_equal(msg.rxpk[0].freq_hz, 4294967295u);
    assert_int_equal(msg.rxpk[0].tmst, 4294967295u);
    assert_int_equal(msg.rxpk[1].rssi_dbm, 12);
    assert_int_equal(msg.rxpk[1].freq_hz, 0);
    assert_int_equal(msg.rxpk[1].tmst, 0);
    assert_string_equal(msg.rxpk[1].datr, "SF12BW500");
}

/* A body of @count rxpk entries with stat 1 (one byte each). */
static const char *many_rxpk(unsigned count)
{
    static char json[PFWD_MAX_DATAGRAM];
    size_t o = 0;
    unsigned i;

    o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"rxpk\":[");
    for (i = 0; i < count; i++) {
        o += (size_t)snprintf(json + o, sizeof(json) - o, "%s{\"stat\":1,\"data\":\"%s\"}",
                              i == 0 ? "" : ",", i % 2 == 0 ? "AA==" : "/w==");
    }
    snprintf(json + o, sizeof(json) - o, "]}");
    return json;
}

static void test_pfwd_parse_push_rxpk_count_limit(void **state)
{
    (void)state;
    assert_int_equal(parse_push(many_rxpk(PFWD_MAX_RXPK)), 0);
    assert_int_equal(msg.rxpk_count, PFWD_MAX_RXPK);
    assert_int_equal(msg.rxpk[PFWD_MAX_RXPK - 1].phy[0], 0xFF);
    assert_int_equal(parse_push(many_rxpk(PFWD_MAX_RXPK + 1)), PFWD_ETOOMANY);
}

static void test_pfwd_parse_push_size_limit(void **state)
{
    static char json[PFWD_MAX_DATAGRAM + 2];
    size_t body = PFWD_MAX_DATAGRAM - sizeof(push_hdr);

    (void)state;
    /* Exactly PFWD_MAX_DATAGRAM bytes: "{}" padded with spaces is accepted... */
    memset(json, ' ', sizeof(json));
    json[0] = '{';
    json[1] = '}';
    json[body] = '\0';
    assert_int_equal(parse_push(json), 0);
    assert_int_equal(push(json), PFWD_MAX_DATAGRAM);
    /* ...one byte more is oversized, checked before anything else. */
    json[body] = ' ';
    json[body + 1] = '\0';
    assert_int_equal(parse_push(json), PFWD_EOVERSIZE);
    dg[0] = 0x01; /* even with a wrong version */
    assert_int_equal(pfwd_parse(dg, PFWD_MAX_DATAGRAM + 1, &msg), PFWD_EOVERSIZE);
    assert_int_equal(pfwd_parse(dg, 65507, &msg), PFWD_EOVERSIZE);
}

static void test_pfwd_parse_push_phy_limit(void **state)
{
    static char json[1024];
    uint8_t bytes[PFWD_PHY_MAX + 1];
    char b64[BASE64_ENCODED_LEN(PFWD_PHY_MAX + 1) + 1];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)i;
    }
    /* 255 bytes, the LoRa maximum, pass... */
    assert_int_equal(base64_encode(bytes, PFWD_PHY_MAX, b64, sizeof(b64)), 340);
    snprintf(json, sizeof(json), "{\"rxpk\":[{\"stat\":1,\"size\":255,\"data\":\"%s\"}]}", b64);
    assert_int_equal(parse_push(json), 0);
    assert_int_equal(msg.rxpk[0].len, PFWD_PHY_MAX);
    assert_memory_equal(msg.rxpk[0].phy, bytes, PFWD_PHY_MAX);
    /* ...256 are no LoRa frame. */
    assert_int_equal(base64_encode(bytes, sizeof(bytes), b64, sizeof(b64)), 344);
    snprintf(json, sizeof(json), "{\"rxpk\":[{\"stat\":1,\"data\":\"%s\"}]}", b64);
    assert_int_equal(parse_push(json), 0);
    assert_int_equal(msg.rxpk_count, 0);
    assert_int_equal(msg.bad_count, 1);
    assert_int_equal(msg.first_bad, PFWD_EFIELD);
}

static void test_pfwd_parse_push_stat_limit(void **state)
{
    static char json[PFWD_STAT_MAX + 64];
    char fill[PFWD_STAT_MAX];

    (void)state;
    /* {"s":"xxx..."} printed compact is 8 + n bytes; with its NUL it must fit PFWD_STAT_MAX.
     * cJSON wants a little slack beyond the exact size, so test well inside and past it. */
    memset(fill, 'x', sizeof(fill));
    fill[PFWD_STAT_MAX - 64] = '\0';
    snprintf(json, sizeof(json), "{\"stat\":{\"s\":\"%s\"}}", fill);
    assert_int_equal(parse_push(json), 0);
    assert_int_equal(strlen(msg.stat_json), PFWD_STAT_MAX - 64 + 8);
    fill[PFWD_STAT_MAX - 64] = 'x';
    fill[PFWD_STAT_MAX - 8] = '\0';
    snprintf(json, sizeof(json), "{\"stat\":{\"s\":\"%s\"}}", fill);
    assert_int_equal(parse_push(json), 0);
    assert_false(msg.has_stat);
    assert_int_equal(msg.bad_count, 1);
}

/* ---- PUSH_DATA refused: each body and the code it must give ---- */

struct body_case {
    const char *json;
    int want;
};

static const struct body_case body_cases[] = {
    /* not one JSON object (sections 3.2 and 4) */
    {"", PFWD_EJSON},
    {"{", PFWD_EJSON},
    {"not json", PFWD_EJSON},
    {"[]", PFWD_EJSON},
    {"\"rxpk\"", PFWD_EJSON},
    {"1", PFWD_EJSON},
    {"{} {}", PFWD_EJSON},
    {"{}x", PFWD_EJSON},
    {"{\"rxpk\":[{\"stat\":1,\"data\":\"AA==\"}]", PFWD_EJSON},
    {"{\"rxpk\":[{\"stat\":1,\"data\":\"AA==\",}]}", PFWD_EJSON},
    /* an rxpk that is not an array */
    {"{\"rxpk\":{}}", PFWD_EFIELD},
    {"{\"rxpk\":\"x\"}", PFWD_EFIELD},
};

static void test_pfwd_parse_push_refusals(void **state)
{
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
        rc = parse_push(body_cases[i].json);
        if (rc != body_cases[i].want) {
            print_error("case %zu: %s: got %d (%s), want %d (%s)\n", i, body_cases[i].json, rc,
                        pfwd_strerror(rc), body_cases[i].want, pfwd_strerror(body_cases[i].want));
        }
        assert_int_equal(rc, body_cases[i].want);
    }
}

/* ---- PUSH_DATA kept, one entry left out: each bad entry and the code it must give ---- */

struct entry_case {
    const char *entry; /* the bad rxpk entry, between two good ones */
    int want;          /* first_bad */
};

static const struct entry_case entry_cases[] = {
    /* not an object, or a stat that is not a number */
    {"1", PFWD_EFIELD},
    {"[]", PFWD_EFIELD},
    {"{\"data\":\"AA==\"}", PFWD_EFIELD},
    {"{\"stat\":\"1\",\"data\":\"AA==\"}", PFWD_EFIELD},
    {"{\"stat\":null,\"data\":\"AA==\"}", PFWD_EFIELD},
    /* fields of the wrong type or range */
    {"{\"stat\":1}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":1234}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"rssi\":\"-35\"}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"rssi\":1e999}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"rssi\":-1001}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"lsnr\":true}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"freq\":-868.1}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"freq\":4294.9673}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"datr\":\"SF7BW125SF7BW125\"}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"datr\":500.5}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"datr\":[]}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"tmst\":-1}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"tmst\":4294967296}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"tmst\":1.5}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"time\":1}", PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"time\":\"2013-03-31T16:21:17.528002Z+extra-text-here\"}",
     PFWD_EFIELD},
    {"{\"stat\":1,\"data\":\"AA==\",\"size\":\"1\"}", PFWD_EFIELD},
    /* data that is not strict base64 */
    {"{\"stat\":1,\"data\":\"AA*A\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"AAAAA\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"AA=A\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"AA AA\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"AB==\"}", PFWD_EBASE64},
    {"{\"stat\":1,\"data\":\"A\"}", PFWD_EBASE64},
    /* size that disagrees with the decoded length */
    {"{\"stat\":1,\"size\":2,\"data\":\"AA==\"}", PFWD_ESIZE},
    {"{\"stat\":1,\"size\":0,\"data\":\"AA==\"}", PFWD_ESIZE},
    {"{\"stat\":1,\"size\":1.5,\"data\":\"AA==\"}", PFWD_ESIZE},
    {"{\"stat\":1,\"size\":-1,\"data\":\"AA==\"}", PFWD_ESIZE},
};

/* The two good entries around each bad one: frame1 and frame2 (section 4 fields). */
#define GOOD1 "{\"stat\":1,\"rssi\":-40,\"data\":\"QAAfASYAAQABIsgKAAUMESIzRA==\"}"
#define GOOD2 "{\"stat\":1,\"rssi\":-41,\"data\":\"QAAfASYAAgABIgH/AAAAqrvM3Q==\"}"

static void check_good_pair(void)
{
    assert_int_equal(msg.rxpk_count, 2);
    assert_int_equal(msg.rxpk[0].len, sizeof(frame1));
    assert_memory_equal(msg.rxpk[0].phy, frame1, sizeof(frame1));
    assert_int_equal(msg.rxpk[0].rssi_dbm, -40);
    assert_int_equal(msg.rxpk[1].len, sizeof(frame2));
    assert_memory_equal(msg.rxpk[1].phy, frame2, sizeof(frame2));
    assert_int_equal(msg.rxpk[1].rssi_dbm, -41);
}

/* A bad entry costs only itself: the datagram parses, the good frames on both sides of it
 * are there in order, and the bad one is counted with its reason. */
static void test_pfwd_parse_push_bad_entry_kept_apart(void **state)
{
    static char json[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++) {
        int rc;

        snprintf(json, sizeof(json), "{\"rxpk\":[" GOOD1 ",%s," GOOD2 "]}", entry_cases[i].entry);
        rc = parse_push(json);
        if (rc != 0 || msg.bad_count != 1 || msg.first_bad != entry_cases[i].want) {
            print_error("case %zu: %s: rc %d, bad_count %zu, first_bad %d (%s), want %d (%s)\n", i,
                        entry_cases[i].entry, rc, msg.bad_count, msg.first_bad,
                        pfwd_strerror(msg.first_bad), entry_cases[i].want,
                        pfwd_strerror(entry_cases[i].want));
        }
        assert_int_equal(rc, 0);
        assert_int_equal(msg.bad_count, 1);
        assert_int_equal(msg.first_bad, entry_cases[i].want);
        assert_int_equal(msg.ignored_count, 0);
        check_good_pair();
    }
}

static void test_pfwd_parse_push_bad_entries_counted(void **state)
{
    (void)state;
    /* Every bad entry is counted, the first one's reason kept; CRC failures stay apart. */
    assert_int_equal(parse_push("{\"rxpk\":[{\"stat\":1,\"data\":\"*\"}," GOOD1
                                ",{\"stat\":-1,\"data\":\"x\"},{\"stat\":1}," GOOD2
                                ",7],\"stat\":{\"rxnb\":5}}"),
                     0);
    assert_int_equal(msg.bad_count, 3);
    assert_int_equal(msg.first_bad, PFWD_EBASE64);
    assert_int_equal(msg.ignored_count, 1);
    assert_true(msg.has_stat);
    check_good_pair();
    /* Only bad entries: nothing kept, still a datagram to acknowledge. */
    assert_int_equal(parse_push("{\"rxpk\":[{\"stat\":1,\"size\":3,\"data\":\"AA==\"}]}"), 0);
    assert_int_equal(msg.rxpk_count, 0);
    assert_int_equal(msg.bad_count, 1);
    assert_int_equal(msg.first_bad, PFWD_ESIZE);
    /* A stat that is not an object is left out the same way; the frames stay. */
    assert_int_equal(parse_push("{\"rxpk\":[" GOOD1 "," GOOD2 "],\"stat\":1}"), 0);
    assert_false(msg.has_stat);
    assert_string_equal(msg.stat_json, "");
    assert_int_equal(msg.bad_count, 1);
    assert_int_equal(msg.first_bad, PFWD_EFIELD);
    check_good_pair();
    assert_int_equal(parse_push("{\"stat\":[]}"), 0);
    assert_false(msg.has_stat);
    assert_int_equal(msg.bad_count, 1);
    /* A good datagram after those: the counts start again from zero. */
    assert_int_equal(parse_push("{\"rxpk\":[" GOOD1 "," GOOD2 "]}"), 0);
    assert_int_equal(msg.bad_count, 0);
    assert_int_equal(msg.first_bad, 0);
    check_good_pair();
}

static void test_pfwd_parse_push_embedded_nul(void **state)
{
    static const char body[] = "{\"rxpk\":[]}\0{\"junk\"";
    size_t n = sizeof(push_hdr) + sizeof(body) - 1;

    (void)state;
    /* cJSON would stop at the NUL and call the rest fine; the datagram is refused. */
    memcpy(dg, push_hdr, sizeof(push_hdr));
    memcpy(dg + sizeof(push_hdr), body, sizeof(body) - 1);
    assert_int_equal(pfwd_parse(dg, n, &msg), PFWD_EJSON);
    /* A NUL as the last byte, too. */
    memcpy(dg + sizeof(push_hdr), "{}\0", 3);
    assert_int_equal(pfwd_parse(dg, sizeof(push_hdr) + 3, &msg), PFWD_EJSON);
}

/* ---- headers of every identifier ---- */

struct hdr_case {
    const char *what;
    uint8_t bytes[16];
    size_t len;
    int want;
};

static const struct hdr_case hdr_cases[] = {
    {"empty", {0}, 0, PFWD_ESHORT},
    {"three bytes", {0x02, 0x00, 0x01}, 3, PFWD_ESHORT},
    /* version, token, PUSH_DATA, 7 of the 8 EUI bytes */
    {"PUSH_DATA without a whole EUI",
     {0x02, 0x00, 0x01, 0x00, 1, 2, 3, 4, 5, 6, 7},
     11,
     PFWD_ESHORT},
    {"PUSH_DATA with no body", {0x02, 0x00, 0x01, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}, 12, PFWD_EJSON},
    {"PULL_DATA without a whole EUI",
     {0x02, 0x00, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7},
     11,
     PFWD_ESHORT},
    {"PULL_DATA with a byte after the EUI",
     {0x02, 0x00, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9},
     13,
     PFWD_ELENGTH},
    {"TX_ACK without a whole EUI", {0x02, 0x00, 0x01, 0x05, 1, 2, 3}, 7, PFWD_ESHORT},
    {"TX_ACK with a bad body",
     {0x02, 0x00, 0x01, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, '{'},
     13,
     PFWD_EJSON},
    {"PUSH_ACK with a trailing byte", {0x02, 0x00, 0x01, 0x01, 0x00}, 5, PFWD_ELENGTH},
    {"PULL_ACK with a trailing byte", {0x02, 0x00, 0x01, 0x04, 0x00}, 5, PFWD_ELENGTH},
    /* version 1 (PROTOCOL.TXT before TX_ACK), 3, 0 and 0xFF */
    {"version 1", {0x01, 0x00, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8}, 12, PFWD_EVERSION},
    {"version 3", {0x03, 0x00, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8}, 12, PFWD_EVERSION},
    {"version 0", {0x00, 0x00, 0x01, 0x00}, 4, PFWD_EVERSION},
    {"version 255", {0xFF, 0xFF, 0xFF, 0xFF}, 4, PFWD_EVERSION},
    {"identifier 6", {0x02, 0x00, 0x01, 0x06, 1, 2, 3, 4, 5, 6, 7, 8}, 12, PFWD_EIDENT},
    {"identifier 0xFF", {0x02, 0x00, 0x01, 0xFF}, 4, PFWD_EIDENT},
    /* accepted shapes */
    {"PUSH_ACK", {0x02, 0xAB, 0xCD, 0x01}, 4, 0},
    {"PULL_ACK", {0x02, 0xAB, 0xCD, 0x04}, 4, 0},
    {"PULL_RESP, header only checked", {0x02, 0x00, 0x00, 0x03, '{', '}'}, 6, 0},
    {"TX_ACK without JSON: no error", {0x02, 0x00, 0x07, 0x05, 1, 2, 3, 4, 5, 6, 7, 8}, 12, 0},
    {"TX_ACK with JSON", {0x02, 0x00, 0x07, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, '{', '}'}, 14, 0},
};

static void test_pfwd_parse_headers(void **state)
{
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
        rc = pfwd_parse(hdr_cases[i].bytes, hdr_cases[i].len, &msg);
        if (rc != hdr_cases[i].want) {
            print_error("%s: got %d (%s), want %d\n", hdr_cases[i].what, rc, pfwd_strerror(rc),
                        hdr_cases[i].want);
        }
        assert_int_equal(rc, hdr_cases[i].want);
        if (rc == 0) {
            assert_int_equal(msg.ident, hdr_cases[i].bytes[3]);
            assert_int_equal(msg.token, hdr_cases[i].bytes[1] << 8 | hdr_cases[i].bytes[2]);
        }
    }
}

static void test_pfwd_parse_pull_data(void **state)
{
    (void)state;
    assert_int_equal(pfwd_parse(pull_data, sizeof(pull_data), &msg), 0);
    assert_int_equal(msg.ident, PFWD_PULL_DATA);
    assert_int_equal(msg.token, 0xBEEF);
    assert_true(msg.has_eui);
    assert_memory_equal(msg.eui, pull_data + 4, 8);
    assert_int_equal(msg.rxpk_count, 0);
    assert_false(msg.has_stat);
}

static void test_pfwd_parse_null_args(void **state)
{
    (void)state;
    assert_int_equal(pfwd_parse(NULL, 4, &msg), -EINVAL);
    assert_int_equal(pfwd_parse(pull_data, sizeof(pull_data), NULL), -EINVAL);
}

/* ---- acknowledgements ---- */

static void test_pfwd_build_acks(void **state)
{
    /* PUSH_ACK (section 3.3): version 2, the PUSH_DATA's token, identifier 0x01. */
    static const uint8_t want_push[] = {0x02, 0x12, 0x34, 0x01};
    /* PULL_ACK (section 5.3): version 2, the PULL_DATA's token, identifier 0x04. */
    static const uint8_t want_pull[] = {0x02, 0xBE, 0xEF, 0x04};
    uint8_t buf[8];

    (void)state;
    memset(buf, 0xA5, sizeof(buf));
    assert_int_equal(pfwd_build_push_ack(buf, sizeof(buf), 0x1234), 4);
    assert_memory_equal(buf, want_push, 4);
    assert_int_equal(buf[4], 0xA5);
    assert_int_equal(pfwd_build_pull_ack(buf, 4, 0xBEEF), 4);
    assert_memory_equal(buf, want_pull, 4);
    /* Round trip through the parser. */
    assert_int_equal(pfwd_parse(buf, 4, &msg), 0);
    assert_int_equal(msg.ident, PFWD_PULL_ACK);
    assert_int_equal(msg.token, 0xBEEF);
    assert_false(msg.has_eui);
    /* The token of a parsed PUSH_DATA echoed in its ack. */
    assert_int_equal(parse_push("{}"), 0);
    assert_int_equal(pfwd_build_push_ack(buf, sizeof(buf), msg.token), 4);
    assert_memory_equal(buf, want_push, 4);
    /* Too small: nothing written. */
    memset(buf, 0xA5, sizeof(buf));
    assert_int_equal(pfwd_build_push_ack(buf, 3, 1), -ENOSPC);
    assert_int_equal(pfwd_build_pull_ack(buf, 0, 1), -ENOSPC);
    assert_int_equal(buf[0], 0xA5);
    assert_int_equal(pfwd_build_push_ack(NULL, 4, 1), -EINVAL);
}

static void test_pfwd_strerror_distinct(void **state)
{
    static const int codes[] = {PFWD_ESHORT,  PFWD_EVERSION, PFWD_EIDENT, PFWD_EOVERSIZE,
                                PFWD_ELENGTH, PFWD_EJSON,    PFWD_EFIELD, PFWD_EBASE64,
                                PFWD_ESIZE,   PFWD_ETOOMANY};
    size_t n = sizeof(codes) / sizeof(codes[0]);
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < n; i++) {
        assert_true(codes[i] < 0);
        assert_string_not_equal(pfwd_strerror(codes[i]), "unknown error");
        for (j = i + 1; j < n; j++) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(pfwd_strerror(codes[i]), pfwd_strerror(codes[j]));
        }
    }
    assert_string_equal(pfwd_strerror(0), "ok");
    assert_string_equal(pfwd_strerror(PFWD_EBASE64), "bad base64");
    assert_string_equal(pfwd_strerror(-12345), "unknown error");
    assert_string_equal(pfwd_ident_name(PFWD_PUSH_DATA), "PUSH_DATA");
    assert_string_equal(pfwd_ident_name(PFWD_TX_ACK), "TX_ACK");
    assert_string_equal(pfwd_ident_name(6), "unknown");
}

/* ---- base64 ---- */

struct b64_vector {
    const char *plain;
    const char *padded;
    const char *bare; /* the same without padding */
};

/* RFC 4648 section 10. */
static const struct b64_vector rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_base64_rfc4648_vectors(void **state)
{
    char text[16];
    uint8_t bytes[16];
    size_t i;
    size_t n;

    (void)state;
    for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        n = strlen(rfc4648[i].plain);
        assert_int_equal(base64_encode((const uint8_t *)rfc4648[i].plain, n, text, sizeof(text)),
                         (int)strlen(rfc4648[i].padded));
        assert_string_equal(text, rfc4648[i].padded);
        memset(bytes, 0, sizeof(bytes));
        assert_int_equal(
            base64_decode(rfc4648[i].padded, strlen(rfc4648[i].padded), bytes, sizeof(bytes)),
            (int)n);
        assert_memory_equal(bytes, rfc4648[i].plain, n);
        memset(bytes, 0, sizeof(bytes));
        assert_int_equal(
            base64_decode(rfc4648[i].bare, strlen(rfc4648[i].bare), bytes, sizeof(bytes)), (int)n);
        assert_memory_equal(bytes, rfc4648[i].plain, n);
    }
}

static void test_base64_all_bytes_round_trip(void **state)
{
    uint8_t in[256];
    uint8_t out[256];
    char text[BASE64_ENCODED_LEN(256) + 1];
    size_t len;
    size_t i;
    int n;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)(255 - i);
    }
    for (len = 0; len <= sizeof(in); len++) {
        n = base64_encode(in, len, text, sizeof(text));
        assert_int_equal(n, (int)BASE64_ENCODED_LEN(len));
        assert_int_equal(base64_decode(text, (size_t)n, out, sizeof(out)), (int)len);
        assert_memory_equal(out, in, len);
    }
    /* Both extra alphabet characters: 0xFB 0xFF -> "+/8=". */
    assert_int_equal(base64_decode("+/8=", 4, out, sizeof(out)), 2);
    assert_int_equal(out[0], 0xFB);
    assert_int_equal(out[1], 0xFF);
}

struct b64_bad {
    const char *text;
    int want;
};

static const struct b64_bad b64_bad_cases[] = {
    {"A", -EILSEQ},          /* 4n + 1 characters cannot make whole bytes */
    {"AAAAA", -EILSEQ},      /* the same, longer */
    {"A===", -EILSEQ},       /* three '=' */
    {"====", -EILSEQ},       /* only padding */
    {"AA=", -EILSEQ},        /* padding that does not complete the group */
    {"AA==AA==", -EILSEQ},   /* padding inside */
    {"AA=A", -EILSEQ},       /* '=' before a data character */
    {"Zg=", -EILSEQ},        /* one '=' where two belong */
    {"Zm9v\n", -EILSEQ},     /* newline */
    {" Zm9v", -EILSEQ},      /* leading space */
    {"Zm 9v", -EILSEQ},      /* space inside */
    {"Zm9-", -EILSEQ},       /* URL-safe alphabet (RFC 4648 section 5) */
    {"Zm9_", -EILSEQ},       /* URL-safe alphabet */
    {"Zm9v*", -EILSEQ},      /* punctuation */
    {"Zh==", -EILSEQ},       /* non-zero unused bits: "Zg==" is the canonical 'f' */
    {"Zm9=", -EILSEQ},       /* non-zero unused bits: "Zm8=" is "fo" */
    {"Zh", -EILSEQ},         /* the same unpadded */
    {"Zm\xc3\xa9", -EILSEQ}, /* a UTF-8 letter */
    {"Zm9v\x80", -EILSEQ},   /* a high byte */
};

static void test_base64_decode_refusals(void **state)
{
    uint8_t out[16];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(b64_bad_cases) / sizeof(b64_bad_cases[0]); i++) {
        memset(out, 0xA5, sizeof(out));
        if (base64_decode(b64_bad_cases[i].text, strlen(b64_bad_cases[i].text), out, sizeof(out)) !=
            b64_bad_cases[i].want) {
            print_error("case %zu: \"%s\"\n", i, b64_bad_cases[i].text);
            fail();
        }
        assert_int_equal(out[0], 0xA5); /* nothing written */
    }
    /* A NUL inside the given length is just another bad character. */
    assert_int_equal(base64_decode("Zg\0=", 4, out, sizeof(out)), -EILSEQ);
}

static void test_base64_decode_limits(void **state)
{
    uint8_t out[4];

    (void)state;
    /* "foob" needs 4 bytes: 3 is too few, and nothing is written. */
    memset(out, 0xA5, sizeof(out));
    assert_int_equal(base64_decode("Zm9vYg==", 8, out, 3), -EMSGSIZE);
    assert_int_equal(out[0], 0xA5);
    assert_int_equal(base64_decode("Zm9vYg==", 8, out, 4), 4);
    /* Only @len characters are read: the rest of the string does not matter. */
    assert_int_equal(base64_decode("Zm9v!!!!", 4, out, sizeof(out)), 3);
    assert_int_equal(base64_decode("", 0, NULL, 0), 0);
    assert_int_equal(base64_decode(NULL, 0, NULL, 0), 0);
    assert_int_equal(base64_decode(NULL, 4, out, sizeof(out)), -EINVAL);
    assert_int_equal(base64_decode("Zm9v", 4, NULL, 4), -EINVAL);
    assert_int_equal(base64_decode("Zm9v", 4, NULL, 0), -EMSGSIZE);
}

static void test_base64_encode_limits(void **state)
{
    char text[9];

    (void)state;
    /* "foob" -> "Zm9vYg==": 8 characters and a NUL. */
    assert_int_equal(base64_encode((const uint8_t *)"foob", 4, text, 9), 8);
    assert_string_equal(text, "Zm9vYg==");
    memset(text, 'x', sizeof(text));
    assert_int_equal(base64_encode((const uint8_t *)"foob", 4, text, 8), -ENOSPC);
    assert_int_equal(text[0], '\0');
    assert_int_equal(base64_encode((const uint8_t *)"", 0, text, 1), 0);
    assert_string_equal(text, "");
    assert_int_equal(base64_encode(NULL, 0, text, 1), 0);
    assert_int_equal(base64_encode((const uint8_t *)"f", 1, text, 0), -ENOSPC);
    assert_int_equal(base64_encode(NULL, 1, text, sizeof(text)), -EINVAL);
    assert_int_equal(base64_encode((const uint8_t *)"f", 1, NULL, 8), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pfwd_parse_push_one_rxpk),
        cmocka_unit_test(test_pfwd_parse_push_several_rxpk_and_stat),
        cmocka_unit_test(test_pfwd_parse_push_stat_only),
        cmocka_unit_test(test_pfwd_parse_push_empty_and_unknown_keys),
        cmocka_unit_test(test_pfwd_parse_push_rounding_and_limits),
        cmocka_unit_test(test_pfwd_parse_push_rxpk_count_limit),
        cmocka_unit_test(test_pfwd_parse_push_size_limit),
        cmocka_unit_test(test_pfwd_parse_push_phy_limit),
        cmocka_unit_test(test_pfwd_parse_push_stat_limit),
        cmocka_unit_test(test_pfwd_parse_push_refusals),
        cmocka_unit_test(test_pfwd_parse_push_bad_entry_kept_apart),
        cmocka_unit_test(test_pfwd_parse_push_bad_entries_counted),
        cmocka_unit_test(test_pfwd_parse_push_embedded_nul),
        cmocka_unit_test(test_pfwd_parse_headers),
        cmocka_unit_test(test_pfwd_parse_pull_data),
        cmocka_unit_test(test_pfwd_parse_null_args),
        cmocka_unit_test(test_pfwd_build_acks),
        cmocka_unit_test(test_pfwd_strerror_distinct),
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_base64_all_bytes_round_trip),
        cmocka_unit_test(test_base64_decode_refusals),
        cmocka_unit_test(test_base64_decode_limits),
        cmocka_unit_test(test_base64_encode_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
