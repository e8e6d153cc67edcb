/* SPDX-License-Identifier: MIT
 * The provisioning record (nodefw/provision.h): CRC-32 against the standard check value and
 * zlib's, the byte layout field by field, encode/parse round trips, and refusal of every
 * corruption: each single-bit flip of a valid record, erased and zeroed pages, truncation,
 * and records with a good CRC over a bad version or field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/provision.h"

/* A record with every field set to something recognisable. */
static void sample(struct provision_rec *r)
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

/* IEEE CRC-32 check value (e.g. the CRC RevEng catalogue, "CRC-32/ISO-HDLC"): "123456789". */
static void test_provision_crc32_check_value(void **state)
{
    (void)state;
    assert_int_equal(provision_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(provision_crc32(0, NULL, 0), 0);
    /* zlib: crc32(0, "a", 1) = 0xE8B7BE43; crc32 of 32 zero bytes = 0x190A55AD. */
    assert_int_equal(provision_crc32(0, (const uint8_t *)"a", 1), 0xE8B7BE43u);
    {
        uint8_t z[32];

        memset(z, 0, sizeof(z));
        assert_int_equal(provision_crc32(0, z, sizeof(z)), 0x190A55ADu);
    }
    /* Continuation as zlib does it: crc32(crc32(0, a), b) == crc32(0, a || b). */
    assert_int_equal(provision_crc32(provision_crc32(0, (const uint8_t *)"1234", 4),
                                     (const uint8_t *)"56789", 5),
                     0xCBF43926u);
}

/* The encoded bytes, field by field, as provision.h lays them out. */
static void test_provision_encode_layout(void **state)
{
    static const uint8_t head[12] = {
        0x54, 0x46, 0x50, 0x52, /* magic "TFPR" */
        0x01,                   /* version */
        0x01,                   /* profile: whale */
        0x00, 0x00,             /* reserved */
        0x00, 0x1F, 0x01, 0x26, /* devaddr 26011F00 LE */
    };
    static const uint8_t pos[8] = {
        0xBC, 0x48, 0xEC, 0xFF, /* lat -1292100 = 0xFFEC48BC LE */
        0x8C, 0xDB, 0x31, 0x02, /* lon 36821900 = 0x0231DB8C LE */
    };
    struct provision_rec r;
    uint8_t buf[PROVISION_REC_LEN];
    uint8_t name[PROVISION_NAME_LEN];
    uint32_t crc;

    (void)state;
    sample(&r);
    assert_int_equal(provision_encode(&r, buf, sizeof(buf)), PROVISION_REC_LEN);
    assert_memory_equal(buf, head, sizeof(head));
    assert_memory_equal(buf + 12, r.nwkskey, 16);
    assert_memory_equal(buf + 28, r.appskey, 16);
    assert_memory_equal(buf + 44, pos, sizeof(pos));
    memset(name, 0, sizeof(name));
    memcpy(name, "waterhole east", 14);
    assert_memory_equal(buf + 52, name, sizeof(name));
    crc = provision_crc32(0, buf, PROVISION_CRC_OFF);
    assert_int_equal(buf[84], (uint8_t)crc);
    assert_int_equal(buf[85], (uint8_t)(crc >> 8));
    assert_int_equal(buf[86], (uint8_t)(crc >> 16));
    assert_int_equal(buf[87], (uint8_t)(crc >> 24));
}

static void test_provision_parse_round_trip(void **state)
{
    static const int32_t lats[] = {-90000000, 0, 1, -1, 90000000};
    static const int32_t lons[] = {-180000000, 0, 180000000, -73985656, 36821900};
    struct provision_rec r;
    struct provision_rec back;
    uint8_t page[PROVISION_PAGE_LEN];
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
        assert_int_equal(provision_encode(&r, page, sizeof(page)), PROVISION_REC_LEN);
        memset(&back, 0xA5, sizeof(back));
        assert_int_equal(provision_parse(page, sizeof(page), &back), PROVISION_OK);
        assert_int_equal(back.devaddr, r.devaddr);
        assert_memory_equal(back.nwkskey, r.nwkskey, 16);
        assert_memory_equal(back.appskey, r.appskey, 16);
        assert_int_equal(back.profile, r.profile);
        assert_int_equal(back.lat_ude, r.lat_ude);
        assert_int_equal(back.lon_ude, r.lon_ude);
        assert_memory_equal(back.name, r.name, PROVISION_NAME_LEN);
    }
    /* The longest name: 31 bytes and its NUL. */
    sample(&r);
    memset(r.name, 'x', PROVISION_NAME_LEN - 1u);
    assert_int_equal(provision_encode(&r, page, sizeof(page)), PROVISION_REC_LEN);
    assert_int_equal(provision_parse(page, PROVISION_REC_LEN, &back), PROVISION_OK);
    assert_string_equal(back.name, r.name);
}

/* Every single-bit flip anywhere in the record is refused; none decodes. */
static void test_provision_parse_every_bit_flip_refused(void **state)
{
    struct provision_rec r;
    struct provision_rec back;
    uint8_t good[PROVISION_REC_LEN];
    uint8_t bad[PROVISION_REC_LEN];
    unsigned bit;
    int rc;

    (void)state;
    sample(&r);
    assert_int_equal(provision_encode(&r, good, sizeof(good)), PROVISION_REC_LEN);
    for (bit = 0; bit < PROVISION_REC_LEN * 8u; bit++) {
        memcpy(bad, good, sizeof(bad));
        bad[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        memset(&back, 0x5A, sizeof(back));
        rc = provision_parse(bad, sizeof(bad), &back);
        /* Flips inside the magic lose the record altogether; anywhere else, the CRC. */
        assert_int_equal(rc, bit < 32u ? PROVISION_EMISSING : PROVISION_ECRC);
        assert_int_equal(back.devaddr, 0x5A5A5A5Au); /* untouched on failure */
    }
}

static void test_provision_parse_blank_and_short(void **state)
{
    struct provision_rec r;
    struct provision_rec back;
    uint8_t page[PROVISION_REC_LEN];

    (void)state;
    memset(page, 0xFF, sizeof(page)); /* erased flash */
    assert_int_equal(provision_parse(page, sizeof(page), &back), PROVISION_EMISSING);
    memset(page, 0x00, sizeof(page)); /* zeroed RAM (QEMU without a record) */
    assert_int_equal(provision_parse(page, sizeof(page), &back), PROVISION_EMISSING);
    sample(&r);
    assert_int_equal(provision_encode(&r, page, sizeof(page)), PROVISION_REC_LEN);
    assert_int_equal(provision_parse(page, PROVISION_REC_LEN - 1u, &back), PROVISION_ENOSPC);
    assert_int_equal(provision_parse(NULL, PROVISION_REC_LEN, &back), PROVISION_EINVAL);
    assert_int_equal(provision_parse(page, PROVISION_REC_LEN, NULL), PROVISION_EINVAL);
    assert_int_equal(provision_encode(&r, page, PROVISION_REC_LEN - 1u), PROVISION_ENOSPC);
    /* The magic alone, the rest erased (a write cut short by a power failure). */
    memset(page + 4, 0xFF, sizeof(page) - 4u);
    assert_int_equal(provision_parse(page, sizeof(page), &back), PROVISION_ECRC);
}

/* Re-seal @buf's CRC after a deliberate change, so the field checks are what refuses it. */
static void reseal(uint8_t *buf)
{
    uint32_t crc = provision_crc32(0, buf, PROVISION_CRC_OFF);

    buf[84] = (uint8_t)crc;
    buf[85] = (uint8_t)(crc >> 8);
    buf[86] = (uint8_t)(crc >> 16);
    buf[87] = (uint8_t)(crc >> 24);
}

/* A good CRC over bad content: version, reserved bytes, profile, position, name. */
static void test_provision_parse_bad_fields_refused(void **state)
{
    struct {
        size_t off;
        uint8_t value;
        int want;
    } const cases[] = {
        {4, 0x02, PROVISION_EVERSION}, /* version 2 */
        {4, 0x00, PROVISION_EVERSION}, /* version 0 */
        {5, 0x03, PROVISION_EINVAL},   /* profile 3: no such profile */
        {6, 0x01, PROVISION_EINVAL},   /* reserved */
        {7, 0x80, PROVISION_EINVAL},   /* reserved */
        {47, 0x7F, PROVISION_EINVAL},  /* lat far above 90e6 */
        {51, 0x7F, PROVISION_EINVAL},  /* lon far above 180e6 */
        {83, 'x', PROVISION_EINVAL},   /* name not NUL-terminated within 32 bytes */
        {80, 'x', PROVISION_EINVAL},   /* a byte after the name's NUL */
    };
    struct provision_rec r;
    struct provision_rec back;
    uint8_t good[PROVISION_REC_LEN];
    uint8_t bad[PROVISION_REC_LEN];
    size_t i;

    (void)state;
    sample(&r);
    assert_int_equal(provision_encode(&r, good, sizeof(good)), PROVISION_REC_LEN);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(bad, good, sizeof(bad));
        bad[cases[i].off] = cases[i].value;
        reseal(bad);
        assert_int_equal(provision_parse(bad, sizeof(bad), &back), cases[i].want);
    }
    /* lat just beyond the bound: 90000001 = 0x055D4A81. */
    memcpy(bad, good, sizeof(bad));
    bad[44] = 0x81;
    bad[45] = 0x4A;
    bad[46] = 0x5D;
    bad[47] = 0x05;
    reseal(bad);
    assert_int_equal(provision_parse(bad, sizeof(bad), &back), PROVISION_EINVAL);
}

/* The encoder refuses what the parser would refuse, and writes nothing then. */
static void test_provision_encode_bad_fields_refused(void **state)
{
    struct provision_rec r;
    uint8_t buf[PROVISION_REC_LEN];
    uint8_t untouched[PROVISION_REC_LEN];

    (void)state;
    memset(buf, 0xEE, sizeof(buf));
    memcpy(untouched, buf, sizeof(buf));
    sample(&r);
    r.profile = 3;
    assert_int_equal(provision_encode(&r, buf, sizeof(buf)), PROVISION_EINVAL);
    sample(&r);
    r.lat_ude = 90000001;
    assert_int_equal(provision_encode(&r, buf, sizeof(buf)), PROVISION_EINVAL);
    sample(&r);
    r.lon_ude = -180000001;
    assert_int_equal(provision_encode(&r, buf, sizeof(buf)), PROVISION_EINVAL);
    sample(&r);
    memset(r.name, 'y', sizeof(r.name)); /* 32 bytes, no NUL */
    assert_int_equal(provision_encode(&r, buf, sizeof(buf)), PROVISION_EINVAL);
    assert_int_equal(provision_encode(NULL, buf, sizeof(buf)), PROVISION_EINVAL);
    assert_memory_equal(buf, untouched, sizeof(buf));
}

static void test_provision_strerror_messages(void **state)
{
    (void)state;
    assert_string_equal(provision_strerror(PROVISION_EMISSING), "no provisioning record");
    assert_string_equal(provision_strerror(PROVISION_ECRC), "provisioning record corrupt (CRC)");
    assert_non_null(provision_strerror(-1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provision_crc32_check_value),
        cmocka_unit_test(test_provision_encode_layout),
        cmocka_unit_test(test_provision_parse_round_trip),
        cmocka_unit_test(test_provision_parse_every_bit_flip_refused),
        cmocka_unit_test(test_provision_parse_blank_and_short),
        cmocka_unit_test(test_provision_parse_bad_fields_refused),
        cmocka_unit_test(test_provision_encode_bad_fields_refused),
        cmocka_unit_test(test_provision_strerror_messages),
    };

    return cmocka_run_group_tests_name("test_provision", tests, NULL, NULL);
}
