/* SPDX-License-Identifier: MIT
 * The provisioning record (provision.h, proto/SPEC.md section 7): encoder and checking
 * decoder. The parse order is what the firmware's messages rely on: no magic means "no
 * record" (erased flash reads 0xFF), then the CRC covers every other byte, so any damage
 * shows as "corrupt" before a field is looked at; only a record with a good CRC is checked
 * field by field. Version 2 keeps version 1's bytes and first CRC and appends the schedule
 * with a second CRC over everything: version 1 firmware reads a version 2 record as "unknown
 * version", never as corrupt, and every bit of either version stays covered. Version 3 (OTAA)
 * appends the join identity to version 2's bytes the same way, with a third CRC.
 */
#include "proto/provision.h"

#include <stdbool.h>
#include <string.h>

#include "proto/crc32.h"

#define OFF_MAGIC    0u
#define OFF_VERSION  4u
#define OFF_PROFILE  5u
#define OFF_RESERVED 6u
#define OFF_DEVADDR  8u
#define OFF_NWKSKEY  12u
#define OFF_APPSKEY  28u
#define OFF_LAT      44u
#define OFF_LON      48u
#define OFF_NAME     52u
#define OFF_SENSING  88u
#define OFF_RES2     89u
#define OFF_WAKE     90u
#define OFF_LISTEN   92u
#define OFF_EVERY    96u
#define OFF_HEALTH   100u
#define OFF_DEVEUI   108u
#define OFF_JOINEUI  116u
#define OFF_APPKEY   124u

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Two's complement on every target we build for; the cast keeps -Wsign-conversion quiet. */
static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* EUIs go little-endian, as LoRaWAN sends them (proto/SPEC.md section 1.6). */
static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static bool zero_key(const uint8_t *k)
{
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < PROTO_PROVISION_KEY_LEN; i++) {
        acc |= k[i];
    }
    return acc == 0u;
}

static int32_t get_i32(const uint8_t *p)
{
    uint32_t u = get_u32(p);

    if (u <= 0x7FFFFFFFu) {
        return (int32_t)u;
    }
    return (int32_t)(u - 0x80000000u) - 0x7FFFFFFF - 1;
}

/* A name is valid when it ends within the field and only NULs follow its end. */
static bool name_ok(const char *name)
{
    size_t i;
    bool ended = false;

    for (i = 0; i < PROTO_PROVISION_NAME_LEN; i++) {
        if (name[i] == '\0') {
            ended = true;
        } else if (ended) {
            return false;
        }
    }
    return ended;
}

/* The schedule: each mode's fields in range, the others zero (so one record has one
 * meaning). */
static bool sensing_ok(const struct proto_provision *r)
{
    bool period = r->listen_ms > 0u && r->listen_ms <= PROTO_PROVISION_PERIOD_MAX_MS;

    if (r->health_s < PROTO_PROVISION_HEALTH_MIN_S || r->health_s > PROTO_PROVISION_HEALTH_MAX_S) {
        return false;
    }
    switch (r->sensing) {
    case PROTO_PROVISION_CONTINUOUS:
        return r->listen_ms == 0u && r->every_ms == 0u && r->wake_level_q15 == 0u;
    case PROTO_PROVISION_DUTY:
        return period && r->listen_ms <= r->every_ms &&
               r->every_ms <= PROTO_PROVISION_PERIOD_MAX_MS && r->wake_level_q15 == 0u;
    case PROTO_PROVISION_WAKE:
        return period && r->every_ms == 0u && r->wake_level_q15 <= 32767u;
    default:
        return false;
    }
}

static bool fields_ok(const struct proto_provision *r)
{
    /* An OTAA record carries no session: its keys come from the join. */
    if (r->otaa && (!zero_key(r->nwkskey) || !zero_key(r->appskey))) {
        return false;
    }
    return sensing_ok(r) && r->profile < (uint8_t)PROTO_PROVISION_PROFILE_COUNT &&
           r->lat_ude >= -PROTO_PROVISION_LAT_MAX && r->lat_ude <= PROTO_PROVISION_LAT_MAX &&
           r->lon_ude >= -PROTO_PROVISION_LON_MAX && r->lon_ude <= PROTO_PROVISION_LON_MAX &&
           name_ok(r->name);
}

int proto_provision_encode(const struct proto_provision *r, uint8_t *buf, size_t cap)
{
    size_t len;

    if (r == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    len = r->otaa ? PROTO_PROVISION_V3_LEN : PROTO_PROVISION_LEN;
    if (cap < len) {
        return PROTO_ENOSPC;
    }
    if (!fields_ok(r)) {
        return PROTO_EINVAL;
    }
    put_u32(buf + OFF_MAGIC, PROTO_PROVISION_MAGIC);
    buf[OFF_VERSION] = (uint8_t)(r->otaa ? PROTO_PROVISION_V3 : PROTO_PROVISION_VERSION);
    buf[OFF_PROFILE] = r->profile;
    buf[OFF_RESERVED] = 0;
    buf[OFF_RESERVED + 1u] = 0;
    put_u32(buf + OFF_DEVADDR, r->devaddr);
    memcpy(buf + OFF_NWKSKEY, r->nwkskey, PROTO_PROVISION_KEY_LEN);
    memcpy(buf + OFF_APPSKEY, r->appskey, PROTO_PROVISION_KEY_LEN);
    put_u32(buf + OFF_LAT, (uint32_t)r->lat_ude);
    put_u32(buf + OFF_LON, (uint32_t)r->lon_ude);
    memcpy(buf + OFF_NAME, r->name, PROTO_PROVISION_NAME_LEN);
    put_u32(buf + PROTO_PROVISION_CRC_OFF, proto_crc32(0, buf, PROTO_PROVISION_CRC_OFF));
    buf[OFF_SENSING] = r->sensing;
    buf[OFF_RES2] = 0;
    put_u16(buf + OFF_WAKE, r->wake_level_q15);
    put_u32(buf + OFF_LISTEN, r->listen_ms);
    put_u32(buf + OFF_EVERY, r->every_ms);
    put_u32(buf + OFF_HEALTH, r->health_s);
    put_u32(buf + PROTO_PROVISION_CRC2_OFF, proto_crc32(0, buf, PROTO_PROVISION_CRC2_OFF));
    if (r->otaa) {
        put_u64(buf + OFF_DEVEUI, r->deveui);
        put_u64(buf + OFF_JOINEUI, r->joineui);
        memcpy(buf + OFF_APPKEY, r->appkey, PROTO_PROVISION_KEY_LEN);
        put_u32(buf + PROTO_PROVISION_CRC3_OFF, proto_crc32(0, buf, PROTO_PROVISION_CRC3_OFF));
    }
    return (int)len;
}

/* Version 3's OTAA block, after the checks of version 2's bytes. */
static int parse_v3(const uint8_t *buf, size_t len, struct proto_provision *r)
{
    if (len < PROTO_PROVISION_V3_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (get_u32(buf + PROTO_PROVISION_CRC3_OFF) != proto_crc32(0, buf, PROTO_PROVISION_CRC3_OFF)) {
        return PROTO_ECRC;
    }
    r->otaa = true;
    r->deveui = get_u64(buf + OFF_DEVEUI);
    r->joineui = get_u64(buf + OFF_JOINEUI);
    memcpy(r->appkey, buf + OFF_APPKEY, PROTO_PROVISION_KEY_LEN);
    return PROTO_OK;
}

int proto_provision_parse(const uint8_t *buf, size_t len, struct proto_provision *out)
{
    struct proto_provision r;

    if (buf == NULL || out == NULL) {
        return PROTO_EINVAL;
    }
    if (len < PROTO_PROVISION_V1_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (get_u32(buf + OFF_MAGIC) != PROTO_PROVISION_MAGIC) {
        return PROTO_ENOREC;
    }
    if (get_u32(buf + PROTO_PROVISION_CRC_OFF) != proto_crc32(0, buf, PROTO_PROVISION_CRC_OFF)) {
        return PROTO_ECRC;
    }
    if (buf[OFF_VERSION] != 1u && buf[OFF_VERSION] != PROTO_PROVISION_VERSION &&
        buf[OFF_VERSION] != PROTO_PROVISION_V3) {
        return PROTO_ERECVER;
    }
    memset(&r, 0, sizeof(r));
    if (buf[OFF_VERSION] == 1u) {
        r.sensing = (uint8_t)PROTO_PROVISION_CONTINUOUS;
        r.health_s = PROTO_PROVISION_V1_HEALTH_S;
    } else {
        if (len < PROTO_PROVISION_LEN) {
            return PROTO_ETOOSHORT;
        }
        if (get_u32(buf + PROTO_PROVISION_CRC2_OFF) !=
            proto_crc32(0, buf, PROTO_PROVISION_CRC2_OFF)) {
            return PROTO_ECRC;
        }
        if (buf[OFF_RES2] != 0) {
            return PROTO_EINVAL;
        }
        r.sensing = buf[OFF_SENSING];
        r.wake_level_q15 = get_u16(buf + OFF_WAKE);
        r.listen_ms = get_u32(buf + OFF_LISTEN);
        r.every_ms = get_u32(buf + OFF_EVERY);
        r.health_s = get_u32(buf + OFF_HEALTH);
        if (buf[OFF_VERSION] == PROTO_PROVISION_V3) {
            int rc = parse_v3(buf, len, &r);

            if (rc != PROTO_OK) {
                return rc;
            }
        }
    }
    if (buf[OFF_RESERVED] != 0 || buf[OFF_RESERVED + 1u] != 0) {
        return PROTO_EINVAL;
    }
    r.devaddr = get_u32(buf + OFF_DEVADDR);
    memcpy(r.nwkskey, buf + OFF_NWKSKEY, PROTO_PROVISION_KEY_LEN);
    memcpy(r.appskey, buf + OFF_APPSKEY, PROTO_PROVISION_KEY_LEN);
    r.profile = buf[OFF_PROFILE];
    r.lat_ude = get_i32(buf + OFF_LAT);
    r.lon_ude = get_i32(buf + OFF_LON);
    memcpy(r.name, buf + OFF_NAME, PROTO_PROVISION_NAME_LEN);
    if (!fields_ok(&r)) {
        return PROTO_EINVAL;
    }
    *out = r;
    return PROTO_OK;
}

const char *proto_provision_strerror(int err)
{
    switch (err) {
    case PROTO_OK:
        return "provisioning record ok";
    case PROTO_ENOREC:
        return "no provisioning record";
    case PROTO_ECRC:
        return "provisioning record corrupt (CRC)";
    case PROTO_ERECVER:
        return "provisioning record of an unknown version";
    case PROTO_EINVAL:
        return "provisioning record invalid (a field out of range)";
    case PROTO_ETOOSHORT:
    case PROTO_ENOSPC:
        return "provisioning record truncated";
    default:
        return "provisioning record unreadable";
    }
}

const char *proto_provision_profile_name(uint8_t profile)
{
    static const char *const names[PROTO_PROVISION_PROFILE_COUNT] = {
        [PROTO_PROVISION_ELEPHANT] = "elephant",
        [PROTO_PROVISION_WHALE] = "whale",
        [PROTO_PROVISION_TURBINE] = "turbine",
    };

    return profile < (uint8_t)PROTO_PROVISION_PROFILE_COUNT ? names[profile] : NULL;
}
