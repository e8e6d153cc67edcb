/* SPDX-License-Identifier: MIT
 * The provisioning record: a node's identity (DevAddr, session keys), profile, position,
 * name, and (version 2) its sensing schedule and health interval, written once per device by
 * `tinyfleet provision` into a flash page of its own and read by the firmware at start. The
 * firmware refuses to run without a valid record: a node must never send under made-up keys. The
 * byte layout, where the record lives and how it is checked: proto/SPEC.md section 7. The CLI
 * encodes with this code and the firmware parses with it, so the two cannot drift apart.
 */
#ifndef PROJ_PROTO_PROVISION_H
#define PROJ_PROTO_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define PROTO_PROVISION_MAGIC    0x52504654u /* "TFPR" in memory order */
#define PROTO_PROVISION_VERSION  2u          /* what the encoder writes for ABP; 1 is still read */
#define PROTO_PROVISION_V3       3u          /* what it writes for OTAA (proto_provision.otaa) */
#define PROTO_PROVISION_LEN      108u        /* bytes of a version 2 record, CRCs included */
#define PROTO_PROVISION_V3_LEN   144u        /* bytes of a version 3 record, CRCs included */
#define PROTO_PROVISION_MAX_LEN  PROTO_PROVISION_V3_LEN /* the longest record of any version */
#define PROTO_PROVISION_CRC3_OFF 140u      /* version 3: the third CRC, over bytes 0..139 */
#define PROTO_PROVISION_V1_LEN   88u       /* bytes of a version 1 record */
#define PROTO_PROVISION_CRC_OFF  84u       /* the first CRC: it covers bytes 0..83 */
#define PROTO_PROVISION_CRC2_OFF 104u      /* version 2: the second CRC, over bytes 0..103 */
#define PROTO_PROVISION_NAME_LEN 32u       /* bytes of the name field (at most 31 + NUL) */
#define PROTO_PROVISION_KEY_LEN  16u       /* bytes of each AES-128 session key */
#define PROTO_PROVISION_PAGE_LEN 2048u     /* the flash page reserved for the record */
#define PROTO_PROVISION_LAT_MAX  90000000  /* micro-degrees */
#define PROTO_PROVISION_LON_MAX  180000000 /* micro-degrees */
/* The schedule's bounds: a period of at most a day; health between a minute and a week. */
#define PROTO_PROVISION_PERIOD_MAX_MS 86400000u
#define PROTO_PROVISION_HEALTH_MIN_S  60u
#define PROTO_PROVISION_HEALTH_MAX_S  604800u
/* The health interval a new record gets unless asked otherwise: a battery node sends
 * health four times a day (nodefw/ENERGY.md: every 15 minutes costs more than sensing on a
 * duty-cycled turbine). */
#define PROTO_PROVISION_HEALTH_DEFAULT_S 21600u
/* What a version 1 record means: the firmware's behaviour before version 2 (continuous
 * sensing, health every 15 minutes). */
#define PROTO_PROVISION_V1_HEALTH_S 900u

/* The profile byte. The firmware's enum dsp_profile numbers its profiles the same way
 * (tests/nodefw/test_provision.c holds them together). */
enum proto_provision_profile {
    PROTO_PROVISION_ELEPHANT = 0,
    PROTO_PROVISION_WHALE = 1,
    PROTO_PROVISION_TURBINE = 2,
    PROTO_PROVISION_PROFILE_COUNT = 3,
};

/* The sensing mode byte. The firmware's enum sensing_mode numbers them the same way
 * (tests/nodefw/test_provision.c holds them together). */
enum proto_provision_sensing {
    PROTO_PROVISION_CONTINUOUS = 0, /* always listening */
    PROTO_PROVISION_DUTY = 1,       /* listen_ms of every every_ms */
    PROTO_PROVISION_WAKE = 2,       /* woken by sound, then listen_ms */
    PROTO_PROVISION_SENSING_COUNT = 3,
};

/* A decoded record; transparent so that callers keep it on the stack or in static RAM. */
struct proto_provision {
    uint32_t devaddr;                         /* LoRaWAN DevAddr */
    uint8_t nwkskey[PROTO_PROVISION_KEY_LEN]; /* network session key (MIC) */
    uint8_t appskey[PROTO_PROVISION_KEY_LEN]; /* application session key (FRMPayload) */
    uint8_t profile;                          /* enum proto_provision_profile */
    int32_t lat_ude;                          /* latitude, micro-degrees WGS84 */
    int32_t lon_ude;                          /* longitude, micro-degrees WGS84 */
    char name[PROTO_PROVISION_NAME_LEN];      /* NUL-terminated, NUL-padded */
    /* Version 2; a version 1 record decodes to continuous sensing and health every
     * PROTO_PROVISION_V1_HEALTH_S. Which combinations are valid: proto/SPEC.md section 7. */
    uint8_t sensing;         /* enum proto_provision_sensing */
    uint16_t wake_level_q15; /* PROTO_PROVISION_WAKE: the wake threshold, full scale 32767;
                              * 0: the board's own (a wake-on-sound microphone's) */
    uint32_t listen_ms;      /* DUTY, WAKE: listening time per period or wake-up */
    uint32_t every_ms;       /* DUTY: the period */
    uint32_t health_s;       /* health message interval */
    /* Version 3: the node joins over the air (proto/SPEC.md section 1.6). Its session keys
     * above are then zero (the join derives them); devaddr is what the gateway handed out at
     * `node add --otaa`, for the operator: the JoinAccept's is the one used. */
    bool otaa;
    uint64_t deveui;                         /* as written on the device, MSB first */
    uint64_t joineui;                        /* as written on the device */
    uint8_t appkey[PROTO_PROVISION_KEY_LEN]; /* the root key the node joins with */
};

/*
 * proto_provision_encode() - the record's bytes for @r, CRCs included: version 2, or
 * version 3 when @r->otaa.
 * @r:   in, the fields.
 * @buf: out, @cap bytes; PROTO_PROVISION_LEN (version 2) or PROTO_PROVISION_V3_LEN are written.
 * Return: the length written; PROTO_ENOSPC when @cap is too small; PROTO_EINVAL for a NULL
 * argument or a field proto_provision_parse() would refuse. Nothing is written on failure.
 * Context: any.
 */
PROTO_MUST_CHECK int proto_provision_encode(const struct proto_provision *r, uint8_t *buf,
                                            size_t cap);

/*
 * proto_provision_parse() - check and decode a record.
 * @buf: in, @len bytes (the start of the record page; may be longer than the record).
 * @out: out, filled only on PROTO_OK; a version 1 record with version 2's defaults.
 * Return: PROTO_OK; PROTO_EINVAL for a NULL argument; PROTO_ETOOSHORT (@len below
 * PROTO_PROVISION_V1_LEN); PROTO_ENOREC (no magic); PROTO_ECRC (the first CRC);
 * PROTO_ERECVER (not version 1, 2 or 3); PROTO_ETOOSHORT (version 2 or 3, @len below its
 * length); PROTO_ECRC (the second CRC, the third for version 3); PROTO_EINVAL (a field out of
 * range; version 3: session keys not zero).
 * Checked in that order, so a record damaged anywhere is PROTO_ECRC and never decoded.
 * Context: any.
 */
PROTO_MUST_CHECK int proto_provision_parse(const uint8_t *buf, size_t len,
                                           struct proto_provision *out);

/*
 * proto_provision_strerror() - the message the firmware prints for a result of
 * proto_provision_parse(), e.g. "no provisioning record", "provisioning record corrupt
 * (CRC)". Return: a static string, never NULL. Context: any.
 */
const char *proto_provision_strerror(int err);

/*
 * proto_provision_profile_name() - the name of a profile byte: "elephant", "whale",
 * "turbine". Return: a static string, or NULL for a value the record does not allow.
 */
const char *proto_provision_profile_name(uint8_t profile);

#endif /* PROJ_PROTO_PROVISION_H */
