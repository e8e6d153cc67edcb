/* SPDX-License-Identifier: MIT
 * The provisioning record: a node's identity (DevAddr, session keys), profile, position and
 * name, written once per device by `tinyfleet provision` into a flash page of its own and
 * read by the firmware at start. The firmware refuses to run without a valid record: a node
 * must never send under made-up keys. Freestanding: no libc beyond the mem* functions.
 *
 * Layout (88 bytes, every integer little-endian, no padding):
 *
 *   offset  size  field
 *        0     4  magic     0x52504654 ("TFPR" in memory order)
 *        4     1  version   1
 *        5     1  profile   0 elephant, 1 whale, 2 turbine (enum dsp_profile)
 *        6     2  reserved  0
 *        8     4  devaddr   LoRaWAN DevAddr, as written on the device (26011F00 = 0x26011F00)
 *       12    16  nwkskey   AES-128 network session key (MIC), bytes as printed in hex
 *       28    16  appskey   AES-128 application session key (FRMPayload)
 *       44     4  lat       int32, micro-degrees WGS84, -90e6..90e6
 *       48     4  lon       int32, micro-degrees WGS84, -180e6..180e6
 *       52    32  name      UTF-8, at most 31 bytes, NUL-padded to 32 (every byte after the
 *                           first NUL is NUL)
 *       84     4  crc       CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) of bytes 0..83
 *
 * Where it lives: the first bytes of a 2 KB flash page reserved for it, at the linker symbol
 * board_provision (STM32WL55: 0x0803E800; mps2-an386: 0x000FF800). The rest of the page is
 * erased (0xFF). Erased or zeroed flash has no magic: "no record". A magic followed by a CRC
 * that does not match is "corrupt"; a good CRC over a version or field this code does not
 * accept is refused as well.
 *
 * The daemon's `tinyfleet provision` (cli/cli_provision.c) writes the same bytes with its
 * own encoder (the daemon does not link nodefw/); this comment is the contract both follow.
 */
#ifndef NODEFW_INCLUDE_NODEFW_PROVISION_H
#define NODEFW_INCLUDE_NODEFW_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#define PROVISION_MAGIC    0x52504654u /* "TFPR" */
#define PROVISION_VERSION  1u
#define PROVISION_REC_LEN  88u /* bytes of the record, CRC included */
#define PROVISION_CRC_OFF  84u /* offset of the CRC: it covers the bytes before it */
#define PROVISION_NAME_LEN 32u /* bytes of the name field (at most 31 characters + NUL) */
#define PROVISION_KEY_LEN  16u
#define PROVISION_PAGE_LEN 2048u /* the flash page reserved for the record */
#define PROVISION_LAT_MAX  90000000
#define PROVISION_LON_MAX  180000000

enum provision_err {
    PROVISION_OK = 0,
    PROVISION_EMISSING = -40, /* no magic: erased or never-written page */
    PROVISION_ECRC = -41,     /* magic present, CRC mismatch: the record is corrupt */
    PROVISION_EVERSION = -42, /* good CRC, but a version this firmware does not know */
    PROVISION_EINVAL = -43,   /* good CRC, but a field out of range (profile, position, name,
                                 reserved bytes), or a bad argument to provision_encode() */
    PROVISION_ENOSPC = -44,   /* buffer shorter than PROVISION_REC_LEN */
};

/* A decoded record; transparent so that callers keep it on the stack or in static RAM. */
struct provision_rec {
    uint32_t devaddr;                   /* LoRaWAN DevAddr */
    uint8_t nwkskey[PROVISION_KEY_LEN]; /* network session key */
    uint8_t appskey[PROVISION_KEY_LEN]; /* application session key */
    uint8_t profile;                    /* enum dsp_profile, < DSP_PROFILE_COUNT */
    int32_t lat_ude;                    /* latitude, micro-degrees */
    int32_t lon_ude;                    /* longitude, micro-degrees */
    char name[PROVISION_NAME_LEN];      /* NUL-terminated, NUL-padded */
};

/*
 * provision_crc32() - CRC-32 of IEEE 802.3 (polynomial 0xEDB88320 reflected, initial and
 * final XOR 0xFFFFFFFF), the same value as zlib's crc32(@crc, @p, @n).
 * @crc: in, 0 to start, or the result over the bytes before @p to continue.
 * @p: in, @n bytes (NULL allowed when @n is 0).
 * Return: the CRC. Context: any (bitwise, no table: 88 bytes at start-up do not need one).
 */
uint32_t provision_crc32(uint32_t crc, const uint8_t *p, size_t n);

/*
 * provision_encode() - the record's bytes for @r, CRC included.
 * @buf: out, at least PROVISION_REC_LEN bytes (@cap).
 * Return: PROVISION_REC_LEN; PROVISION_ENOSPC when @cap is too small (nothing written);
 * PROVISION_EINVAL for a field provision_parse() would refuse (nothing written).
 */
int provision_encode(const struct provision_rec *r, uint8_t *buf, size_t cap);

/*
 * provision_parse() - check and decode a record.
 * @buf: in, @len bytes (the start of the record page; may be longer than the record).
 * @out: out, filled only on PROVISION_OK.
 * Return: PROVISION_OK; PROVISION_ENOSPC (@len too short); PROVISION_EMISSING;
 * PROVISION_ECRC; PROVISION_EVERSION; PROVISION_EINVAL. Checked in that order, so a record
 * damaged anywhere is ECRC and never decoded. Context: any.
 */
int provision_parse(const uint8_t *buf, size_t len, struct provision_rec *out);

/*
 * provision_strerror() - the message the firmware prints for @err, e.g.
 * "no provisioning record", "provisioning record corrupt (CRC)". Never NULL.
 */
const char *provision_strerror(int err);

#endif /* NODEFW_INCLUDE_NODEFW_PROVISION_H */
