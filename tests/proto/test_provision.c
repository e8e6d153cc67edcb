/* SPDX-License-Identifier: MIT
 * The provisioning record (proto/provision.h, proto/SPEC.md section 7): the byte layout
 * field by field against records written out by hand (version 2, and version 1, which is
 * still read with the defaults it implies), encode/parse round trips, and refusal of every
 * corruption: each single-bit flip of a valid record of either version, erased and zeroed
 * pages, truncation, a bad CRC, and records with good CRCs over a bad version or field,
 * including every kind of schedule the node could not run.
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
    r->sensing = PROTO_PROVISION_DUTY;
    r->listen_ms = 6000;
    r->every_ms = 60000;
    r->health_s = 21600;
}

/* The record of sample(), byte by byte as proto/SPEC.md section 7 lays it out; the CRCs
 * are zlib.crc32() of bytes 0..83 and 0..103 (computed outside this code). */
static const uint8_t golden[PROTO_PROVISION_LEN] = {
    0x54, 0x46, 0x50, 0x52,                         /* 0 magic 0x52504654, "TFPR" */
    0x02,                                           /* 4 version 2 */
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
    0x5D, 0xDF, 0x1A, 0x97,                         /* 84 CRC-32 0x971ADF5D of 0..83 */
    0x01,                                           /* 88 sensing 1: duty-cycled */
    0x00,                                           /* 89 reserved */
    0x00, 0x00,                                     /* 90 wake level 0 */
    0x70, 0x17, 0x00, 0x00,                         /* 92 listen 6000 ms */
    0x60, 0xEA, 0x00, 0x00,                         /* 96 every 60000 ms */
    0x60, 0x54, 0x00, 0x00,                         /* 100 health 21600 s */
    0x2D, 0x72, 0x92, 0x25,                         /* 104 CRC-32 0x2592722D of 0..103 */
};

/* The same node written by version 1 firmware tools (88 bytes, one CRC). */
static const uint8_t golden_v1[PROTO_PROVISION_V1_LEN] = {
    0x54, 0x46, 0x50, 0x52, 0x01, 0x01, 0x00, 0x00, /* magic, version 1, whale, reserved */
    0x00, 0x1F, 0x01, 0x26,                         /* 8 devaddr */
    0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, /* 12 nwkskey */
    0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C, /* */
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* 28 appskey */
    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, /* */
    0xBC, 0x48, 0xEC, 0xFF, 0x8C, 0xDB, 0x31, 0x02, /* 44 lat, lon */
    'w',  'a',  't',  'e',  'r',  'h',  'o',  'l',  /* 52 name */
    'e',  ' ',  'e',  'a',  's',  't',  0x00, 0x00, /* */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* */
    0x62, 0x77, 0x72, 0xB3,                         /* 84 CRC-32 0xB3727762 of 0..83 */
};

/* sample() as an OTAA node (version 3): no session keys, the join identity instead. */
static void sample_otaa(struct proto_provision *r)
{
    static const uint8_t appkey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                       0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};

    sample(r);
    memset(r->nwkskey, 0, sizeof(r->nwkskey));
    memset(r->appskey, 0, sizeof(r->appskey));
    r->otaa = true;
    r->deveui = 0x0004A30B001C0530u;
    r->joineui = 0x70B3D57ED0000000u;
    memcpy(r->appkey, appkey, sizeof(appkey));
}

/* Version 3 of sample_otaa(): version 2's layout with version 3 and zero keys, then the
 * OTAA block; the CRCs are zlib.crc32() of 0..83, 0..103 and 0..139 (computed outside this
 * code; the second equals version 2's, as a CRC over data and its own CRC does). */
static const uint8_t golden_v3_head[12] = {
    0x54, 0x46, 0x50, 0x52, /* 0 magic */
    0x03,                   /* 4 version 3 */
    0x01,                   /* 5 profile 1: whale */
    0x00, 0x00,             /* 6 reserved */
    0x00, 0x1F, 0x01, 0x26, /* 8 devaddr 26011F00 (the gateway's choice, for the operator) */
};
static const uint8_t golden_v3_tail[40] = {
    0x02, 0xEA, 0xAF, 0x87,                         /* 84 CRC-32 0x87AFEA02 of 0..83 */
    0x01, 0x00, 0x00, 0x00, 0x70, 0x17, 0x00, 0x00, /* 88 schedule as version 2 */
    0x60, 0xEA, 0x00, 0x00, 0x60, 0x54, 0x00, 0x00, /* */
    0x2D, 0x72, 0x92, 0x25,                         /* 104 CRC-32 0x2592722D of 0..103 */
    0x30, 0x05, 0x1C, 0x00, 0x0B, 0xA3, 0x04, 0x00, /* 108 DevEUI 0004A30B001C0530, LE */
    0x00, 0x00, 0x00, 0xD0, 0x7E, 0xD5, 0xB3, 0x70, /* 116 JoinEUI 70B3D57ED0000000, LE */
};
static const uint8_t golden_v3_key[20] = {
    0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, /* 124 AppKey, as printed in hex */
    0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C, /* */
    0xD3, 0xF0, 0x21, 0x9D,                         /* 140 CRC-32 0x9D21F0D3 of 0..139 */
};

static void test_proto_provision_v3_layout_and_parse(void **state)
{
    struct proto_provision r;
    struct proto_provision back;
    uint8_t buf[PROTO_PROVISION_V3_LEN + 4];
    unsigned bit;

    (void)state;
    sample_otaa(&r);
    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(proto_provision_encode(&r, buf, PROTO_PROVISION_LEN), PROTO_ENOSPC);
    assert_int_equal(buf[0], 0xEE);
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_PROVISION_V3_LEN);
    assert_memory_equal(buf, golden_v3_head, sizeof(golden_v3_head));
    for (bit = 12; bit < 44; bit++) {
        assert_int_equal(buf[bit], 0); /* no session keys */
    }
    assert_memory_equal(buf + 44, golden + 44, 40); /* position, name as version 2 */
    assert_memory_equal(buf + 84, golden_v3_tail, sizeof(golden_v3_tail));
    assert_memory_equal(buf + 124, golden_v3_key, sizeof(golden_v3_key));
    assert_int_equal(buf[PROTO_PROVISION_V3_LEN], 0xEE);

    memset(&back, 0xA5, sizeof(back));
    assert_int_equal(proto_provision_parse(buf, PROTO_PROVISION_V3_LEN, &back), PROTO_OK);
    assert_true(back.otaa);
    assert_true(back.deveui == 0x0004A30B001C0530u);
    assert_true(back.joineui == 0x70B3D57ED0000000u);
    assert_memory_equal(back.appkey, r.appkey, 16);
    assert_int_equal(back.devaddr, 0x26011F00u);
    assert_int_equal(back.every_ms, 60000);
    /* Version 2 stays version 2, and is not OTAA. */
    assert_int_equal(proto_provision_parse(golden, sizeof(golden), &back), PROTO_OK);
    assert_false(back.otaa);

    /* Truncated, every bit flipped, session keys in an OTAA record: refused. */
    assert_int_equal(proto_provision_parse(buf, PROTO_PROVISION_V3_LEN - 1u, &back),
                     PROTO_ETOOSHORT);
    for (bit = 32; bit < PROTO_PROVISION_V3_LEN * 8u; bit++) {
        uint8_t bad[PROTO_PROVISION_V3_LEN];

        memcpy(bad, buf, sizeof(bad));
        bad[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
    }
    r.nwkskey[3] = 1;
    assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
}

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
    assert_int_equal(back.sensing, PROTO_PROVISION_DUTY);
    assert_int_equal(back.wake_level_q15, 0);
    assert_int_equal(back.listen_ms, 6000);
    assert_int_equal(back.every_ms, 60000);
    assert_int_equal(back.health_s, 21600);
}

/* A version 1 record still reads, as what it meant: continuous sensing, health every 15
 * minutes; in a page of erased flash too, and with only its 88 bytes. */
static void test_proto_provision_parse_v1(void **state)
{
    struct proto_provision back;
    uint8_t page[PROTO_PROVISION_PAGE_LEN];

    (void)state;
    memset(&back, 0xA5, sizeof(back));
    assert_int_equal(proto_provision_parse(golden_v1, sizeof(golden_v1), &back), PROTO_OK);
    assert_int_equal(back.devaddr, 0x26011F00u);
    assert_int_equal(back.profile, PROTO_PROVISION_WHALE);
    assert_int_equal(back.lat_ude, -1292100);
    assert_string_equal(back.name, "waterhole east");
    assert_int_equal(back.sensing, PROTO_PROVISION_CONTINUOUS);
    assert_int_equal(back.listen_ms, 0);
    assert_int_equal(back.every_ms, 0);
    assert_int_equal(back.wake_level_q15, 0);
    assert_int_equal(back.health_s, PROTO_PROVISION_V1_HEALTH_S);
    assert_int_equal(PROTO_PROVISION_V1_HEALTH_S, 900);
    memset(page, 0xFF, sizeof(page));
    memcpy(page, golden_v1, sizeof(golden_v1));
    assert_int_equal(proto_provision_parse(page, sizeof(page), &back), PROTO_OK);
    assert_int_equal(back.health_s, 900);
}

/* Version 2 needs all of its 108 bytes; version 1 only its 88. */
static void test_proto_provision_parse_v2_truncated(void **state)
{
    struct proto_provision back;
    size_t len;

    (void)state;
    for (len = PROTO_PROVISION_V1_LEN; len < PROTO_PROVISION_LEN; len++) {
        assert_int_equal(proto_provision_parse(golden, len, &back), PROTO_ETOOSHORT);
    }
    assert_int_equal(proto_provision_parse(golden, PROTO_PROVISION_LEN, &back), PROTO_OK);
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
        /* Flips inside the magic lose the record altogether; anywhere else, a CRC. */
        assert_int_equal(rc, bit < 32u ? PROTO_ENOREC : PROTO_ECRC);
        assert_int_equal(back.devaddr, 0x5A5A5A5Au); /* untouched on failure */
    }
    /* The same for a version 1 record. */
    for (bit = 32; bit < PROTO_PROVISION_V1_LEN * 8u; bit++) {
        memcpy(bad, golden_v1, PROTO_PROVISION_V1_LEN);
        bad[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        assert_int_equal(proto_provision_parse(bad, PROTO_PROVISION_V1_LEN, &back), PROTO_ECRC);
        assert_int_equal(back.devaddr, 0x5A5A5A5Au);
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
    bad[87] ^= 0x80; /* the first CRC's top bit */
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
    memcpy(bad, golden, sizeof(bad));
    bad[107] ^= 0x80; /* the second CRC's top bit */
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
    memcpy(bad, golden, sizeof(bad));
    bad[4] = 0x01; /* version 1, CRC not resealed */
    assert_int_equal(proto_provision_parse(bad, sizeof(bad), &back), PROTO_ECRC);
}

static void put_crc(uint8_t *p, uint32_t crc)
{
    p[0] = (uint8_t)crc;
    p[1] = (uint8_t)(crc >> 8);
    p[2] = (uint8_t)(crc >> 16);
    p[3] = (uint8_t)(crc >> 24);
}

/* Re-seal @buf's CRCs after a deliberate change, so the field checks are what refuses it. */
static void reseal(uint8_t *buf)
{
    put_crc(buf + PROTO_PROVISION_CRC_OFF, proto_crc32(0, buf, PROTO_PROVISION_CRC_OFF));
    put_crc(buf + PROTO_PROVISION_CRC2_OFF, proto_crc32(0, buf, PROTO_PROVISION_CRC2_OFF));
}

/* A good CRC over bad content: version, reserved bytes, profile, position, name. */
static void test_proto_provision_parse_bad_fields_refused(void **state)
{
    struct {
        size_t off;
        uint8_t value;
        int want;
    } const cases[] = {
        {4, 0x04, PROTO_ERECVER},   /* version 4 */
        {4, 0x03, PROTO_ETOOSHORT}, /* version 3 needs its 144 bytes */
        {4, 0x00, PROTO_ERECVER},   /* version 0 */
        {5, 0x03, PROTO_EINVAL},    /* profile 3: no such profile */
        {6, 0x01, PROTO_EINVAL},    /* reserved */
        {7, 0x80, PROTO_EINVAL},    /* reserved */
        {47, 0x7F, PROTO_EINVAL},   /* lat far above 90e6 */
        {51, 0x7F, PROTO_EINVAL},   /* lon far above 180e6 */
        {83, 'x', PROTO_EINVAL},    /* name not NUL-terminated within 32 bytes */
        {80, 'x', PROTO_EINVAL},    /* a byte after the name's NUL */
        {88, 0x03, PROTO_EINVAL},   /* sensing 3: no such mode */
        {89, 0x01, PROTO_EINVAL},   /* reserved */
        {90, 0x01, PROTO_EINVAL},   /* a wake level for a duty cycle */
        {93, 0xEB, PROTO_EINVAL},   /* listen 60272 ms: longer than the 60000 ms period */
        {102, 0x10, PROTO_EINVAL},  /* health 1070688 s: above a week */
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

static void put_schedule(uint8_t *buf, const struct proto_provision *r)
{
    buf[88] = r->sensing;
    buf[90] = (uint8_t)r->wake_level_q15;
    buf[91] = (uint8_t)(r->wake_level_q15 >> 8);
    put_crc(buf + 92, r->listen_ms);
    put_crc(buf + 96, r->every_ms);
    put_crc(buf + 100, r->health_s);
    reseal(buf);
}

/* Schedules: each mode with its fields in range round-trips; anything else is refused by
 * the encoder and, written by hand with good CRCs, by the parser. */
static void test_proto_provision_schedules(void **state)
{
    static const struct {
        uint8_t sensing;
        uint16_t wake;
        uint32_t listen_ms, every_ms, health_s;
        int ok;
    } cases[] = {
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 900, 1},
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 60, 1},      /* the shortest health interval */
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 604800, 1},  /* the longest: a week */
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 59, 0},      /* health too often */
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 0, 0},       /* health never: refused */
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 0, 604801, 0},  /* above a week */
        {PROTO_PROVISION_CONTINUOUS, 0, 1000, 0, 900, 0},  /* a listening time, continuous */
        {PROTO_PROVISION_CONTINUOUS, 0, 0, 60000, 900, 0}, /* a period, continuous */
        {PROTO_PROVISION_CONTINUOUS, 5, 0, 0, 900, 0},     /* a wake level, continuous */
        {PROTO_PROVISION_DUTY, 0, 2500, 600000, 21600, 1}, /* the turbine's */
        {PROTO_PROVISION_DUTY, 0, 1, 1, 21600, 1},
        {PROTO_PROVISION_DUTY, 0, 86400000, 86400000, 21600, 1}, /* a day */
        {PROTO_PROVISION_DUTY, 0, 0, 60000, 21600, 0},           /* listening 0 */
        {PROTO_PROVISION_DUTY, 0, 60001, 60000, 21600, 0},       /* longer than the period */
        {PROTO_PROVISION_DUTY, 0, 1000, 86400001, 21600, 0},     /* a period over a day */
        {PROTO_PROVISION_DUTY, 100, 1000, 60000, 21600, 0},      /* a wake level */
        {PROTO_PROVISION_WAKE, 3277, 10000, 0, 21600, 1},        /* 0.1 of full scale */
        {PROTO_PROVISION_WAKE, 0, 10000, 0, 21600, 1},           /* the board's own level */
        {PROTO_PROVISION_WAKE, 32767, 10000, 0, 21600, 1},
        {PROTO_PROVISION_WAKE, 32768, 10000, 0, 21600, 0},    /* above full scale */
        {PROTO_PROVISION_WAKE, 3277, 0, 0, 21600, 0},         /* listening 0 */
        {PROTO_PROVISION_WAKE, 3277, 10000, 60000, 21600, 0}, /* a period */
        {3, 0, 1000, 1000, 21600, 0},                         /* no such mode */
    };
    struct proto_provision r;
    struct proto_provision back;
    uint8_t good[PROTO_PROVISION_LEN];
    uint8_t buf[PROTO_PROVISION_LEN];
    size_t i;

    (void)state;
    sample(&r);
    assert_int_equal(proto_provision_encode(&r, good, sizeof(good)), PROTO_PROVISION_LEN);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sample(&r);
        r.sensing = cases[i].sensing;
        r.wake_level_q15 = cases[i].wake;
        r.listen_ms = cases[i].listen_ms;
        r.every_ms = cases[i].every_ms;
        r.health_s = cases[i].health_s;
        memset(buf, 0xEE, sizeof(buf));
        if (cases[i].ok) {
            assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_PROVISION_LEN);
            assert_int_equal(proto_provision_parse(buf, sizeof(buf), &back), PROTO_OK);
            assert_int_equal(back.sensing, r.sensing);
            assert_int_equal(back.wake_level_q15, r.wake_level_q15);
            assert_int_equal(back.listen_ms, r.listen_ms);
            assert_int_equal(back.every_ms, r.every_ms);
            assert_int_equal(back.health_s, r.health_s);
        } else {
            assert_int_equal(proto_provision_encode(&r, buf, sizeof(buf)), PROTO_EINVAL);
            assert_int_equal(buf[0], 0xEE); /* nothing written */
            memcpy(buf, good, sizeof(buf));
            put_schedule(buf, &r);
            assert_int_equal(proto_provision_parse(buf, sizeof(buf), &back), PROTO_EINVAL);
        }
    }
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
        cmocka_unit_test(test_proto_provision_parse_v1),
        cmocka_unit_test(test_proto_provision_v3_layout_and_parse),
        cmocka_unit_test(test_proto_provision_parse_v2_truncated),
        cmocka_unit_test(test_proto_provision_schedules),
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
