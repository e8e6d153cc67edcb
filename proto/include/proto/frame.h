/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x data frames (LoRaWAN 1.0.3 specification, chapter 4). Uplinks: built on the
 * node, parsed and verified on the gateway; downlinks the other way round. Both bearers (radio
 * and CoAP) carry exactly these bytes. Dir (0 up, 1 down) in the B0 and A blocks follows from
 * the MType, so one verify and one decrypt serve both directions.
 * Parsing is zero copy: struct proto_frame points into the caller's buffer.
 */
#ifndef PROJ_PROTO_FRAME_H
#define PROJ_PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/aes.h"
#include "proto/err.h"

#define PROTO_MHDR_UNCONFIRMED_UP   0x40u /* MType 010, Major 00 */
#define PROTO_MHDR_CONFIRMED_UP     0x80u /* MType 100, Major 00 */
#define PROTO_MHDR_UNCONFIRMED_DOWN 0x60u /* MType 011, Major 00 */
#define PROTO_MHDR_CONFIRMED_DOWN   0xA0u /* MType 101, Major 00 */

#define PROTO_FCTRL_ADR         0x80u
#define PROTO_FCTRL_ADR_ACK_REQ 0x40u
#define PROTO_FCTRL_ACK         0x20u
#define PROTO_FCTRL_CLASS_B     0x10u /* RFU in 1.0.0, ClassB from 1.0.2 */
#define PROTO_FCTRL_FOPTS_LEN   0x0Fu
/* In a downlink bit 6 is RFU and bit 4 is FPending: the gateway has more to send. */
#define PROTO_FCTRL_DOWN_RFU 0x40u
#define PROTO_FCTRL_FPENDING 0x10u

#define PROTO_FRAME_MIN_LEN   12u  /* MHDR + DevAddr + FCtrl + FCnt + MIC */
#define PROTO_FRAME_MAX_LEN   255u /* largest PHYPayload any LoRa radio carries */
#define PROTO_FRAME_MIC_LEN   4u
#define PROTO_FRAME_MAX_FOPTS 15u

/* LoRaWAN 1.0.x MAX_FCNT_GAP: a counter further ahead than this is not accepted. */
#define PROTO_FCNT_MAX_GAP 16384u

/* A parsed frame. Pointers alias the buffer given to proto_frame_parse(). */
struct proto_frame {
    const uint8_t *phy;         /* the whole PHYPayload */
    size_t phy_len;             /* its length in bytes, MIC included */
    uint8_t mhdr;               /* raw MHDR: MType (mask 0xE0) is one of the two data-up
                                   (or two data-down) types; the RFU bits are kept as received,
                                   the MIC covers them */
    uint32_t devaddr;           /* as written on the device, e.g. 0x26011F00 */
    uint8_t fctrl;              /* raw FCtrl; see PROTO_FCTRL_* */
    const uint8_t *fopts;       /* FOpts, kept but not interpreted */
    uint8_t fopts_len;          /* 0..15 */
    uint16_t fcnt16;            /* the 16 low bits of the counter, as on air */
    bool has_fport;             /* false for a frame with no FPort and no FRMPayload */
    uint8_t fport;              /* valid when has_fport */
    const uint8_t *frm_payload; /* encrypted FRMPayload */
    size_t frm_len;             /* 0 when !has_fport */
    uint8_t mic[PROTO_FRAME_MIC_LEN];
};

/* What a node puts into one uplink. */
struct proto_uplink {
    bool confirmed;         /* MType confirmed (0x80) instead of unconfirmed (0x40) */
    uint32_t devaddr;       /* as written on the device */
    uint32_t fcnt;          /* full 32-bit counter; its 16 low bits go on air */
    uint8_t fctrl_flags;    /* PROTO_FCTRL_ADR / _ADR_ACK_REQ / _ACK / _CLASS_B */
    const uint8_t *fopts;   /* may be NULL when fopts_len is 0 */
    uint8_t fopts_len;      /* 0..15 */
    bool has_fport;         /* false: an empty frame (no FPort, no FRMPayload) */
    uint8_t fport;          /* 0 = MAC commands (encrypted with NwkSKey), 1..223 application */
    const uint8_t *payload; /* plaintext FRMPayload; may be NULL when payload_len is 0 */
    size_t payload_len;
};

/* What the gateway puts into one downlink (Class A, sent in RX1 or RX2 after an uplink). */
struct proto_downlink {
    bool confirmed;         /* MType confirmed data down (0xA0) instead of unconfirmed (0x60) */
    uint32_t devaddr;       /* the node's, as written on the device */
    uint32_t fcnt;          /* full 32-bit FCntDown; its 16 low bits go on air */
    uint8_t fctrl_flags;    /* PROTO_FCTRL_ADR / _ACK / _FPENDING (bit 6 is RFU: refused) */
    const uint8_t *fopts;   /* MAC commands, plain (1.0.x); may be NULL when fopts_len is 0 */
    uint8_t fopts_len;      /* 0..15 */
    bool has_fport;         /* false: no FPort, no FRMPayload (e.g. a bare ACK) */
    uint8_t fport;          /* 0 = MAC commands (NwkSKey), 1..223 application (AppSKey) */
    const uint8_t *payload; /* plaintext FRMPayload; may be NULL when payload_len is 0 */
    size_t payload_len;
};

/*
 * proto_frame_parse() - split a PHYPayload into its fields; checks structure only.
 * @phy: in, the received bytes; must outlive @out.
 * @len: in, their number.
 * @out: out, filled on success.
 * Return: PROTO_OK; PROTO_ETOOSHORT, PROTO_ETOOLONG (over 255 bytes), PROTO_EMTYPE (not a
 * data-up frame), PROTO_EMAJOR, PROTO_EFOPTS (FOpts with FPort 0: MAC commands in both
 * places, which LoRaWAN 1.0.3 section 4.3.1.6 says to ignore); PROTO_EINVAL for NULL
 * arguments. Any context.
 */
PROTO_MUST_CHECK int proto_frame_parse(const uint8_t *phy, size_t len, struct proto_frame *out);

/*
 * proto_frame_parse_down() - proto_frame_parse() for downlinks: the same checks, but only the
 * two data-down MTypes (0x60, 0xA0) are accepted, uplinks give PROTO_EMTYPE. The node calls
 * it; proto_frame_verify() and proto_frame_decrypt() then use Dir = 1.
 */
PROTO_MUST_CHECK int proto_frame_parse_down(const uint8_t *phy, size_t len,
                                            struct proto_frame *out);

/*
 * proto_frame_verify() - check the MIC (B0 block, LoRaWAN 1.0.3 section 4.4).
 * @f: in, a parsed frame, up or down (Dir follows from its MType).
 * @nwkskey: in, 16 bytes.
 * @fcnt32: in, the full counter (see proto_frame_fcnt_expand()).
 * Return: PROTO_OK or PROTO_EMIC. The comparison takes constant time.
 */
PROTO_MUST_CHECK int proto_frame_verify(const struct proto_frame *f,
                                        const uint8_t nwkskey[PROTO_AES_KEY], uint32_t fcnt32);

/*
 * proto_frame_decrypt() - decrypt FRMPayload (A-block keystream, LoRaWAN 1.0.3 section 4.3.3).
 * @key: in, NwkSKey when f->fport is 0, AppSKey otherwise; the caller chooses.
 * @out: out, @cap bytes; receives f->frm_len plaintext bytes.
 * Return: the plaintext length, PROTO_ENOSPC, or PROTO_ENOPORT for a frame without FPort.
 */
PROTO_MUST_CHECK int proto_frame_decrypt(const struct proto_frame *f,
                                         const uint8_t key[PROTO_AES_KEY], uint32_t fcnt32,
                                         uint8_t *out, size_t cap);

/*
 * proto_frame_build() - encrypt, frame and sign an uplink.
 * @up: in, the frame's fields and plaintext.
 * @nwkskey, @appskey: in, 16 bytes each (the FPort 0 payload is encrypted with NwkSKey).
 * @buf: out, @cap bytes.
 * Return: the PHYPayload length; PROTO_ENOSPC when it does not fit @cap, PROTO_ETOOLONG when
 * it would exceed PROTO_FRAME_MAX_LEN, PROTO_EINVAL for fopts_len > 15 or a payload without
 * FPort, PROTO_EFOPTS for FOpts with FPort 0 (proto_frame_parse() would refuse it).
 */
PROTO_MUST_CHECK int proto_frame_build(const struct proto_uplink *up,
                                       const uint8_t nwkskey[PROTO_AES_KEY],
                                       const uint8_t appskey[PROTO_AES_KEY], uint8_t *buf,
                                       size_t cap);

/*
 * proto_frame_build_down() - encrypt, frame and sign a downlink (Dir = 1 in B0 and A_i).
 * @dn: in, the frame's fields and plaintext; @fcnt is the node's FCntDown.
 * Return: as proto_frame_build(); also PROTO_EINVAL for the RFU FCtrl bit 6.
 */
PROTO_MUST_CHECK int proto_frame_build_down(const struct proto_downlink *dn,
                                            const uint8_t nwkskey[PROTO_AES_KEY],
                                            const uint8_t appskey[PROTO_AES_KEY], uint8_t *buf,
                                            size_t cap);

/*
 * proto_frame_fcnt_expand() - the full 32-bit counter whose 16 low bits are @fcnt16 and
 * which is the nearest at or after @last (LoRaWAN 1.0.3 section 4.3.1.5). Pure function.
 * @last: the last counter accepted from this device.
 * Return: last + ((fcnt16 - last) mod 2^16). A result equal to @last is a replay; the
 * caller also refuses results more than PROTO_FCNT_MAX_GAP ahead, or that wrapped below @last.
 */
uint32_t proto_frame_fcnt_expand(uint32_t last, uint16_t fcnt16);

#endif
