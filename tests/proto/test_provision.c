/* SPDX-License-Identifier: MIT
 * The provisioning record (proto/provision.h, proto/SPEC.md section 7): the byte layout
 * field by field against a record written out by hand, encode/parse round trips, and
 * refusal of every corruption: each single-bit flip of a valid record, erased and zeroed
 * pages, truncation, a bad CRC, and records with a good CRC over a bad version or field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/crc32.h"
#include "proto/provision.h"

/* A record with every field set to something recognisable. */
static void sample(struct proto_provision *r)
{
    static const uint8_t nk[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                   0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
    static const uint8_t ak[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                   0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};

    memset(r, 0, sizeof(*r));
    r->devaddr = 0x26011F00u;
    memcpy(r->nwkskey, nk, sizeof(nk));
    memcpy(r->appskey, ak, sizeof(ak));
    r->profile = 1; /* whale */
    r->lat_ude = -1292100;
    r->lon_ude = 36821900;
    strcpy(r->name, "waterhole east");
}

/* The record of sample(), byte by byte as proto/SPEC.md section 7 lays it out; the CRC is
 * zlib.crc32() of bytes 0..83 (computed outside this code). */
static const uint8_t golden[PROTO_PROVISION_LEN] = {
    0x54, 0x46, 0x50, 0x52,                         /* 0 magic 0x52504654, "TFPR" */
    0x01,                                           /* 4 version 1 */
    0x01,                                           /* 5 profile 1: whale */
    0x00, 0x00,                                     /* 6 reserved */
    0x00, 0x1F, 0x01, 0x26,                         /* 8 devaddr 26011F00, little-endian */
    0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, /* 12 nwkskey, as printed in hex */
    0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C, /* */
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* 28 appskey */
    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, /* */
    0xBC, 0x48, 0xEC, 0xFF,                         /* 44 lat -1292100 = 0xFFEC48BC */
    0x8C, 0xDB, 0x31, 0x02,                         /* 48 lon 36821900 = 0x0231DB8C */
    'w',  'a',  't',  'e',  'r',  'h',  'o',  'l',  /* 52 name "waterhole east", */
    'e',  ' ',  'e',  'a',  's',  't',  0x00, 0x00, /* NUL-padded to 32 bytes */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* */
    0x62, 0x77, 0x72, 0xB3,                         /* 84 CRC-32 0xB3727762 of 0..83 */
};

/* The encoded bytes, field by field. */
static void test_proto_provision_encode_layout(void **state)
{
    struct proto_provision r;
    uint8_t buf[PROTO_PROVISION_LEN + 4];

    (void)state;
    sample(&r);
    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_PROVISION_LEN);
    assert_memory_equal(buf, golden, sizeof(golden));
    assert_int_equal(buf[PROTO_PROVISION_LEN], 0xEE); /* nothing past the record */
}

/* The golden bytes decode to sample()'s fields. */
static void test_proto_provision_parse_fields(void **state)
{
    struct proto_provision want;
    struct proto_provision back;

    (void)state;
    sample(&want);
    memset(&back, 0xA5, sizeof(back));
    assert_int_equal(proto_provision_parse(golden, sizeof(golden), &back), PROTO_OK);
    assert_int_equal(back.devaddr, 0x26011F00u);
    assert_memory_equal(back.nwkskey, want.nwkskey, 16);
    assert_memory_equal(back.appskey, want.appskey, 16);
    assert_int_equal(back.profile, PROTO_PROVISION_WHALE);
    assert_int_equal(back.lat_ude, -1292100);
    assert_int_equal(back.lon_ude, 36821900);
    assert_memory_equal(back.name, want.name, PROTO_PROVISION_NAME_LEN);
}

static void test_proto_provision_parse_round_trip(void **state)
{
    static const int32_t lats[] = {-90000000, 0, 1, -1, 90000000};
    static const int32_t lons[] = {-180000000, 0, 180000000, -73985656, 36821900};
    struct proto_provision r;
    struct proto_provision back;
    uint8_t page[PROTO_PROVISION_PAGE_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(lats) / sizeof(lats[0]); i++) {
        sample(&r);
        r.lat_ude = lats[i];
        r.lon_ude = lons[i];
        r.profile = (uint8_t)(i % 3u);
        r.devaddr = 0xFFFFFFFFu - (uint32_t)i;
        memset(r.name, 0, sizeof(r.name));
        memset(r.name, 'n', i * 7u); /* 0..28 characters; 31 below */
        /* The page as flashed: the record, then erased flash. */
        memset(page, 0xFF, sizeof(page));
        assert_int_equal(proto_provision_encode(&r, page, sizeof(page)), PROTO_PROVISION_LEN);
        memset(&back, 0xA5, sizeof(back));
        assert_int_equal(proto_provision_parse(page, sizeof(page), &back), PROTO_OK);
        assert_int_equal(back.devaddr, r.devaddr);
        assert_memory_equal(back.nwkskey, r.nwkskey, 16);
        assert_memory_equal(back.appskey, r.appskey, 16);
        assert_int_equal(back.profile, r.profile);
        assert_int_equal(back.lat_ude, r.lat_ude);
        assert_int_equal(back.lon_ude, r.lon_ude);
        assert_memory_equal(back.name, r.name, PROTO_PROVISION_NAME_LEN);
    }
    /* The longest name: 31 bytes and its NUL. */
    sample(&r);
    memset(r.name, 'x', PROTO_PROVISION_NAME_LEN - 1u);
    assert_int_equal(proto_provision_encode(&r, page, sizeof(page)), PROTO_PROVISION_LEN);
    assert_int_equal(proto_provision_parse(page, PROTO_PROVISION_LEN, &back), PROTO_OK);
    assert_string_equal(back.name, r.name);
}

/* Every single-bit flip anywhere in the record is refused; none decodes. */
static void test_proto_provision_parse_every_bit_flip_refused(void **state)
{
    struct proto_provision r;
    struct proto_provision back;
    uint8_t good[PROTO_PROVISION_LEN];
    uint8_t bad[PROTO_PROVISION_LEN];
    unsigned bit;
    int rc;

    (void)state;
    sample(&r);
    assert_int_equal(proto_provision_encode(&r, good, sizeof(good)), PROTO_PROVISION_LEN);
    for (bit = 0; bit < PROTO_PROVISION_LEN * 8u; bit++) {
        memcpy(bad, good, sizeof(bad));
        bad[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        memset(&back, 0x5A, sizeof(back));
        rc = proto_provision_parse(bad, sizeof(bad), &back);
        /* Flips inside the magic lose the record altogether; anywhere else, the CRC. */
        assert_int_equal(rc, bit < 32u ? PROTO_ENOREC : PROTO_ECRC);
        assert_int_equal(back.devaddr, 0x5A5A5A5Au); /* untouched on failure */
    }
}

static void test_proto_provision_parse_blank(void **state)
{
    struct proto_provision back;
    uint8_t page[PROTO_PROVISION_LEN];

    (void)state;
    memset(page, 0xFF, sizeof(page)); /* erased flash */
    assert_int_equal(proto_provision_parse(page, sizeof(page), &back), PROTO_ENOREC);
    memset(page, 0x00, sizeof(page)); /* zeroed RAM (QEMU without a record) */
    assert_int_equal(proto_provision_parse(page, sizeof(page), &back), PROTO_ENOREC);
    /* The magic alone, the rest erased (a write cut short by a power failure). */
    memcpy(page, golden, 4);
    memset(page + 4, 0xFF, sizeof(page) - 4u);
    assert_int_equal(proto_provision_parse(page, sizeof(page), &back), PROTO_ECRC);
}

/* Every length short of the record is refused before a byte is looked at. */
static void test_proto_provision_parse_truncated(void **state)
{
    struct proto_provision r;
    struct proto_provision back;
    uint8_t page[PROTO_PROVISION_LEN];
    size_t len;

    (void)state;
    for (len = 0; len < PROTO_PROVISION_LEN; len++) {
        assert_int_equal(proto_provision_parse(golden, len, &back), PROTO_ETOOSHORT);
    }
    assert_int_equal(proto_provision_parse(NULL, PROTO_PROVISION_LEN, &back), PROTO_EINVAL);
    assert_int_equal(proto_provision_parse(golden, PROTO_PROVISION_LEN, NULL), PROTO_EINVAL);
    sample(&r);
    assert_int_equal(proto_provision_encode(&r, page, PROTO_PROVISION_LEN - 1u), PROTO_ENOSPC);
    assert_int_equal(proto_provision_encode(&r, NULL, PROTO_PROVISION_LEN), PROTO_EINVAL);
}

/* A CRC off by one bit, or with the bytes it covers changed, is "corrupt". */
static void test_proto_provision_parse_bad_crc(void **state)
{
    struct proto_provision back;
    uint8_t bad[PROTO_PROVISION_LEN];

    (void)state;
    memcpy(bad, golden, sizeof(bad));
    bad[87] ^= 0x80; /* the CRC's top bit */
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
    memcpy(bad, golden, sizeof(bad));
    bad[4] = 0x02; /* version 2, CRC not resealed */
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
}

/* Re-seal @buf's CRC after a deliberate change, so the field checks are what refuses it. */
static void reseal(uint8_t *buf)
{
    uint32_t crc = proto_crc32(0, buf, PROTO_PROVISION_CRC_OFF);

    buf[84] = (uint8_t)crc;
    buf[85] = (uint8_t)(crc >> 8);
    buf[86] = (uint8_t)(crc >> 16);
    buf[87] = (uint8_t)(crc >> 24);
}

/* A good CRC over bad content: version, reserved bytes, profile, position, name. */
static void test_proto_provision_parse_bad_fields_refused(void **state)
{
    struct {
        size_t off;
        uint8_t value;
        int want;
    } const cases[] = {
        {4, 0x02, PROTO_ERECVER}, /* version 2 */
        {4, 0x00, PROTO_ERECVER}, /* version 0 */
        {5, 0x03, PROTO_EINVAL},  /* profile 3: no such profile */
        {6, 0x01, PROTO_EINVAL},  /* reserved */
        {7, 0x80, PROTO_EINVAL},  /* reserved */
        {47, 0x7F, PROTO_EINVAL}, /* lat far above 90e6 */
        {51, 0x7F, PROTO_EINVAL}, /* lon far above 180e6 */
        {83, 'x', PROTO_EINVAL},  /* name not NUL-terminated within 32 bytes */
        {80, 'x', PROTO_EINVAL},  /* a byte after the name's NUL */
    };
    struct proto_provision r;
    struct proto_provision back;
    uint8_t good[PROTO_PROVISION_LEN];
    uint8_t bad[PROTO_PROVISION_LEN];
    size_t i;

    (void)state;
    sample(&r);
    assert_int_equal(proto_provision_encode(&r, good, sizeof(good)), PROTO_PROVISION_LEN);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(bad, good, sizeof(bad));
        bad[cases[i].off] = cases[i].value;
        reseal(bad);
        assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), cases[i].want);
    }
    /* lat just beyond the bound: 90000001 = 0x055D4A81. */
    memcpy(bad, good, sizeof(bad));
    bad[44] = 0x81;
    bad[45] = 0x4A;
    bad[46] = 0x5D;
    bad[47] = 0x05;
    reseal(bad);
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_EINVAL);
}

/* The encoder refuses what the parser would refuse, and writes nothing then. */
static void test_proto_provision_encode_bad_fields_refused(void **state)
{
    struct proto_provision r;
    uint8_t buf[PROTO_PROVISION_LEN];
    uint8_t untouched[PROTO_PROVISION_LEN];

    (void)state;
    memset(buf, 0xEE, sizeof(buf));
    memcpy(untouched, buf, sizeof(buf));
    sample(&r);
    r.profile = 3;
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
    sample(&r);
    r.lat_ude = 90000001;
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
    sample(&r);
    r.lon_ude = -180000001;
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
    sample(&r);
    memset(r.name, 'y', sizeof(r.name)); /* 32 bytes, no NUL */
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
    assert_int_equal(proto_provision_encode(NULL, buf, sizeof(buf)), PROTO_EINVAL);
    assert_memory_equal(buf, untouched, sizeof(buf));
}

static void test_proto_provision_strerror_messages(void **state)
{
    const int codes[] = {PROTO_ENOREC, PROTO_ECRC, PROTO_ERECVER, PROTO_EINVAL, PROTO_ETOOSHORT};
    size_t i;
    size_t j;

    (void)state;
    assert_string_equal(proto_provision_strerror(PROTO_ENOREC), "no provisioning record");
    assert_string_equal(proto_provision_strerror(PROTO_ECRC), "provisioning record corrupt (CRC)");
    assert_non_null(proto_provision_strerror(-1000));
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_string_not_equal(proto_strerror(codes[i]), "unknown error");
        for (j = 0; j < i; j++) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(proto_provision_strerror(codes[i]),
                                    proto_provision_strerror(codes[j]));
        }
    }
}

static void test_proto_provision_profile_name_table(void **state)
{
    (void)state;
    assert_string_equal(proto_provision_profile_name(PROTO_PROVISION_ELEPHANT), "elephant");
    assert_string_equal(proto_provision_profile_name(PROTO_PROVISION_WHALE), "whale");
    assert_string_equal(proto_provision_profile_name(PROTO_PROVISION_TURBINE), "turbine");
    assert_null(proto_provision_profile_name(PROTO_PROVISION_PROFILE_COUNT));
    assert_null(proto_provision_profile_name(255));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_provision_encode_layout),
        cmocka_unit_test(test_proto_provision_parse_fields),
        cmocka_unit_test(test_proto_provision_parse_round_trip),
        cmocka_unit_test(test_proto_provision_parse_every_bit_flip_refused),
        cmocka_unit_test(test_proto_provision_parse_blank),
        cmocka_unit_test(test_proto_provision_parse_truncated),
        cmocka_unit_test(test_proto_provision_parse_bad_crc),
        cmocka_unit_test(test_proto_provision_parse_bad_fields_refused),
        cmocka_unit_test(test_proto_provision_encode_bad_fields_refused),
        cmocka_unit_test(test_proto_provision_strerror_messages),
        cmocka_unit_test(test_proto_provision_profile_name_table),
    };

    return cmocka_run_group_tests_name("test_provision", tests, NULL, NULL);
}
