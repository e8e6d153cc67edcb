/* SPDX-License-Identifier: MIT
 * The provisioning record (provision.h): CRC-32, encoder and checking decoder. The parse
 * order is what the firmware's messages rely on: no magic means "no record" (erased flash
 * reads 0xFF), then the CRC covers every other byte, so any damage shows as "corrupt"
 * before a field is looked at; only a record with a good CRC is checked field by field.
 */
#include "nodefw/provision.h"

#include <stdbool.h>
#include <string.h>

#include "nodefw/profile.h"

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

uint32_t provision_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    size_t i;

    crc = ~crc;
    for (i = 0; i < n; i++) {
        unsigned bit;

        crc ^= p[i];
        for (bit = 0; bit < 8u; bit++) {
            /* Reflected polynomial: shift right, XOR when the bit shifted out was 1. */
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

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

    for (i = 0; i < PROVISION_NAME_LEN; i++) {
        if (name[i] == '\0') {
            ended = true;
        } else if (ended) {
            return false;
        }
    }
    return ended;
}

static bool fields_ok(const struct provision_rec *r)
{
    return r->profile < (uint8_t)DSP_PROFILE_COUNT && r->lat_ude >= -PROVISION_LAT_MAX &&
           r->lat_ude <= PROVISION_LAT_MAX && r->lon_ude >= -PROVISION_LON_MAX &&
           r->lon_ude <= PROVISION_LON_MAX && name_ok(r->name);
}

int provision_encode(const struct provision_rec *r, uint8_t *buf, size_t cap)
{
    if (r == NULL || buf == NULL) {
        return PROVISION_EINVAL;
    }
    if (cap < PROVISION_REC_LEN) {
        return PROVISION_ENOSPC;
    }
    if (!fields_ok(r)) {
        return PROVISION_EINVAL;
    }
    put_u32(buf + OFF_MAGIC, PROVISION_MAGIC);
    buf[OFF_VERSION] = (uint8_t)PROVISION_VERSION;
    buf[OFF_PROFILE] = r->profile;
    buf[OFF_RESERVED] = 0;
    buf[OFF_RESERVED + 1u] = 0;
    put_u32(buf + OFF_DEVADDR, r->devaddr);
    memcpy(buf + OFF_NWKSKEY, r->nwkskey, PROVISION_KEY_LEN);
    memcpy(buf + OFF_APPSKEY, r->appskey, PROVISION_KEY_LEN);
    put_u32(buf + OFF_LAT, (uint32_t)r->lat_ude);
    put_u32(buf + OFF_LON, (uint32_t)r->lon_ude);
    memcpy(buf + OFF_NAME, r->name, PROVISION_NAME_LEN);
    put_u32(buf + PROVISION_CRC_OFF, provision_crc32(0, buf, PROVISION_CRC_OFF));
    return (int)PROVISION_REC_LEN;
}

int provision_parse(const uint8_t *buf, size_t len, struct provision_rec *out)
{
    struct provision_rec r;

    if (buf == NULL || out == NULL) {
        return PROVISION_EINVAL;
    }
    if (len < PROVISION_REC_LEN) {
        return PROVISION_ENOSPC;
    }
    if (get_u32(buf + OFF_MAGIC) != PROVISION_MAGIC) {
        return PROVISION_EMISSING;
    }
    if (get_u32(buf + PROVISION_CRC_OFF) != provision_crc32(0, buf, PROVISION_CRC_OFF)) {
        return PROVISION_ECRC;
    }
    if (buf[OFF_VERSION] != PROVISION_VERSION) {
        return PROVISION_EVERSION;
    }
    if (buf[OFF_RESERVED] != 0 || buf[OFF_RESERVED + 1u] != 0) {
        return PROVISION_EINVAL;
    }
    r.devaddr = get_u32(buf + OFF_DEVADDR);
    memcpy(r.nwkskey, buf + OFF_NWKSKEY, PROVISION_KEY_LEN);
    memcpy(r.appskey, buf + OFF_APPSKEY, PROVISION_KEY_LEN);
    r.profile = buf[OFF_PROFILE];
    r.lat_ude = get_i32(buf + OFF_LAT);
    r.lon_ude = get_i32(buf + OFF_LON);
    memcpy(r.name, buf + OFF_NAME, PROVISION_NAME_LEN);
    if (!fields_ok(&r)) {
        return PROVISION_EINVAL;
    }
    *out = r;
    return PROVISION_OK;
}

const char *provision_strerror(int err)
{
    switch (err) {
    case PROVISION_OK:
        return "provisioning record ok";
    case PROVISION_EMISSING:
        return "no provisioning record";
    case PROVISION_ECRC:
        return "provisioning record corrupt (CRC)";
    case PROVISION_EVERSION:
        return "provisioning record of an unknown version";
    case PROVISION_EINVAL:
        return "provisioning record invalid (a field out of range)";
    case PROVISION_ENOSPC:
        return "provisioning record truncated";
    default:
        return "provisioning record unreadable";
    }
}
