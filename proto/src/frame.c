/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x data frames, up and down (LoRaWAN 1.0.3, sections 4.1-4.4):
 *   PHYPayload = MHDR | DevAddr(4, LE) | FCtrl | FCnt(2, LE) | FOpts(0..15) | [FPort | FRMPayload]
 * | MIC(4) The MIC is the first 4 bytes of AES-CMAC(NwkSKey, B0 | PHYPayload without MIC);
 * FRMPayload is XORed with AES(key, A_i), i = 1, 2, ... Both blocks carry the full 32-bit counter,
 * although only its 16 low bits are on air, and the direction (0 up, 1 down), so a downlink
 * can never be replayed as an uplink or the other way round.
 */
#include "proto/frame.h"
#include "proto/le.h"

#include <string.h>

#include "proto/cmac.h"

#define MTYPE_MASK 0xE0u
#define MAJOR_MASK 0x03u
#define FHDR_LEN   7u /* DevAddr + FCtrl + FCnt, without FOpts */
#define DIR_UP     0u
#define DIR_DOWN   1u

/* The common shape of B0 (4.4) and A_i (4.3.3.1): tag | 0x00 x4 | Dir | DevAddr | FCnt | 0x00 |
 * last. */
static void fill_block(uint8_t blk[PROTO_AES_BLOCK], uint8_t tag, uint8_t dir, uint32_t devaddr,
                       uint32_t fcnt, uint8_t last)
{
    blk[0] = tag;
    memset(blk + 1, 0, 4);
    blk[5] = dir;
    proto_le32_put(blk + 6, devaddr);
    proto_le32_put(blk + 10, fcnt);
    blk[14] = 0;
    blk[15] = last;
}

static void compute_mic(const uint8_t *msg, size_t msg_len, const uint8_t nwkskey[PROTO_AES_KEY],
                        uint8_t dir, uint32_t devaddr, uint32_t fcnt,
                        uint8_t mic[PROTO_FRAME_MIC_LEN])
{
    struct proto_cmac cmac;
    uint8_t b0[PROTO_AES_BLOCK];
    uint8_t tag[PROTO_AES_BLOCK];

    /* msg_len <= 251 because whole frames are at most 255 bytes. */
    fill_block(b0, 0x49, dir, devaddr, fcnt, (uint8_t)msg_len);
    proto_cmac_init(&cmac, nwkskey);
    proto_cmac_update(&cmac, b0, sizeof(b0));
    proto_cmac_update(&cmac, msg, msg_len);
    proto_cmac_final(&cmac, tag);
    memcpy(mic, tag, PROTO_FRAME_MIC_LEN);
}

/* Encryption and decryption are the same keystream XOR; @in and @out may be the same. */
static void crypt_payload(const uint8_t key[PROTO_AES_KEY], uint8_t dir, uint32_t devaddr,
                          uint32_t fcnt, const uint8_t *in, size_t len, uint8_t *out)
{
    struct proto_aes128 aes;
    uint8_t s[PROTO_AES_BLOCK];

    proto_aes128_init(&aes, key);
    for (size_t off = 0; off < len; off += PROTO_AES_BLOCK) {
        size_t n = len - off < PROTO_AES_BLOCK ? len - off : PROTO_AES_BLOCK;

        /* i counts from 1; at most 16 blocks fit in a 255-byte frame. */
        fill_block(s, 0x01, dir, devaddr, fcnt, (uint8_t)(off / PROTO_AES_BLOCK + 1));
        proto_aes128_encrypt(&aes, s, s);
        for (size_t i = 0; i < n; i++) {
            out[off + i] = (uint8_t)(in[off + i] ^ s[i]);
        }
    }
}

static bool is_down(uint8_t mhdr)
{
    return (mhdr & MTYPE_MASK) == PROTO_MHDR_UNCONFIRMED_DOWN ||
           (mhdr & MTYPE_MASK) == PROTO_MHDR_CONFIRMED_DOWN;
}

static bool is_up(uint8_t mhdr)
{
    return (mhdr & MTYPE_MASK) == PROTO_MHDR_UNCONFIRMED_UP ||
           (mhdr & MTYPE_MASK) == PROTO_MHDR_CONFIRMED_UP;
}

/* The one parser of both directions; @down says which MTypes are accepted. */
static int parse_frame(const uint8_t *phy, size_t len, bool down, struct proto_frame *out)
{
    size_t mac_end;
    size_t pos;

    if (phy == NULL || out == NULL) {
        return PROTO_EINVAL;
    }
    if (len < PROTO_FRAME_MIN_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (len > PROTO_FRAME_MAX_LEN) {
        return PROTO_ETOOLONG;
    }
    if (down ? !is_down(phy[0]) : !is_up(phy[0])) {
        return PROTO_EMTYPE;
    }
    if ((phy[0] & MAJOR_MASK) != 0) {
        return PROTO_EMAJOR;
    }

    memset(out, 0, sizeof(*out));
    out->phy = phy;
    out->phy_len = len;
    out->mhdr = phy[0];
    out->devaddr = proto_le32_get(phy + 1);
    out->fctrl = phy[5];
    out->fopts_len = (uint8_t)(out->fctrl & PROTO_FCTRL_FOPTS_LEN);
    out->fcnt16 = (uint16_t)(phy[6] | phy[7] << 8);
    out->fopts = phy + 1 + FHDR_LEN;

    mac_end = len - PROTO_FRAME_MIC_LEN;
    pos = 1 + FHDR_LEN + out->fopts_len;
    if (pos > mac_end) {
        return PROTO_ETOOSHORT;
    }
    if (pos < mac_end) {
        out->has_fport = true;
        out->fport = phy[pos];
        out->frm_payload = phy + pos + 1;
        out->frm_len = mac_end - pos - 1;
    }
    /* LoRaWAN 1.0.3 section 4.3.1.6: MAC commands go in FOpts or in an FPort 0 payload, never
     * both; a receiver ignores such a frame. */
    if (out->has_fport && out->fport == 0 && out->fopts_len > 0) {
        return PROTO_EFOPTS;
    }
    memcpy(out->mic, phy + mac_end, PROTO_FRAME_MIC_LEN);
    return PROTO_OK;
}

int proto_frame_parse(const uint8_t *phy, size_t len, struct proto_frame *out)
{
    return parse_frame(phy, len, false, out);
}

int proto_frame_parse_down(const uint8_t *phy, size_t len, struct proto_frame *out)
{
    return parse_frame(phy, len, true, out);
}

static uint8_t dir_of(const struct proto_frame *f)
{
    return is_down(f->mhdr) ? DIR_DOWN : DIR_UP;
}

int proto_frame_verify(const struct proto_frame *f, const uint8_t nwkskey[PROTO_AES_KEY],
                       uint32_t fcnt32)
{
    uint8_t mic[PROTO_FRAME_MIC_LEN];

    compute_mic(f->phy, f->phy_len - PROTO_FRAME_MIC_LEN, nwkskey, dir_of(f), f->devaddr, fcnt32,
                mic);
    return proto_ct_equal(mic, f->mic, PROTO_FRAME_MIC_LEN) ? PROTO_OK : PROTO_EMIC;
}

int proto_frame_decrypt(const struct proto_frame *f, const uint8_t key[PROTO_AES_KEY],
                        uint32_t fcnt32, uint8_t *out, size_t cap)
{
    if (!f->has_fport) {
        return PROTO_ENOPORT;
    }
    if (f->frm_len > cap) {
        return PROTO_ENOSPC;
    }
    crypt_payload(key, dir_of(f), f->devaddr, fcnt32, f->frm_payload, f->frm_len, out);
    return (int)f->frm_len;
}

/* The one builder of both directions: @mhdr is the whole MHDR, @dir goes into B0 and A_i. */
static int build_frame(const struct proto_uplink *up, uint8_t mhdr, uint8_t dir,
                       const uint8_t nwkskey[PROTO_AES_KEY], const uint8_t appskey[PROTO_AES_KEY],
                       uint8_t *buf, size_t cap)
{
    size_t total;
    size_t pos;

    if (up->fopts_len > PROTO_FRAME_MAX_FOPTS || (up->fopts_len > 0 && up->fopts == NULL) ||
        (up->payload_len > 0 && up->payload == NULL) || (up->payload_len > 0 && !up->has_fport)) {
        return PROTO_EINVAL;
    }
    if (up->has_fport && up->fport == 0 && up->fopts_len > 0) {
        return PROTO_EFOPTS; /* what proto_frame_parse() refuses is never built */
    }
    if (up->payload_len > PROTO_FRAME_MAX_LEN) {
        return PROTO_ETOOLONG;
    }
    total = 1 + FHDR_LEN + up->fopts_len + (up->has_fport ? 1 + up->payload_len : 0) +
            PROTO_FRAME_MIC_LEN;
    if (total > PROTO_FRAME_MAX_LEN) {
        return PROTO_ETOOLONG;
    }
    if (total > cap) {
        return PROTO_ENOSPC;
    }

    buf[0] = mhdr;
    proto_le32_put(buf + 1, up->devaddr);
    buf[5] = (uint8_t)((up->fctrl_flags & ~PROTO_FCTRL_FOPTS_LEN) | up->fopts_len);
    buf[6] = (uint8_t)up->fcnt;
    buf[7] = (uint8_t)(up->fcnt >> 8);
    pos = 1 + FHDR_LEN;
    if (up->fopts_len > 0) {
        memcpy(buf + pos, up->fopts, up->fopts_len);
        pos += up->fopts_len;
    }
    if (up->has_fport) {
        buf[pos++] = up->fport;
        crypt_payload(up->fport == 0 ? nwkskey : appskey, dir, up->devaddr, up->fcnt, up->payload,
                      up->payload_len, buf + pos);
        pos += up->payload_len;
    }
    compute_mic(buf, pos, nwkskey, dir, up->devaddr, up->fcnt, buf + pos);
    return (int)total;
}

int proto_frame_build(const struct proto_uplink *up, const uint8_t nwkskey[PROTO_AES_KEY],
                      const uint8_t appskey[PROTO_AES_KEY], uint8_t *buf, size_t cap)
{
    if (up == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    return build_frame(
        up, (uint8_t)(up->confirmed ? PROTO_MHDR_CONFIRMED_UP : PROTO_MHDR_UNCONFIRMED_UP), DIR_UP,
        nwkskey, appskey, buf, cap);
}

int proto_frame_build_down(const struct proto_downlink *dn, const uint8_t nwkskey[PROTO_AES_KEY],
                           const uint8_t appskey[PROTO_AES_KEY], uint8_t *buf, size_t cap)
{
    struct proto_uplink f;

    if (dn == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    if ((dn->fctrl_flags & PROTO_FCTRL_DOWN_RFU) != 0) {
        return PROTO_EINVAL; /* bit 6 is RFU in a downlink */
    }
    /* The same fields on air; only MType, the FCtrl bits' meaning and Dir differ. */
    memset(&f, 0, sizeof(f));
    f.devaddr = dn->devaddr;
    f.fcnt = dn->fcnt;
    f.fctrl_flags = dn->fctrl_flags;
    f.fopts = dn->fopts;
    f.fopts_len = dn->fopts_len;
    f.has_fport = dn->has_fport;
    f.fport = dn->fport;
    f.payload = dn->payload;
    f.payload_len = dn->payload_len;
    return build_frame(
        &f, (uint8_t)(dn->confirmed ? PROTO_MHDR_CONFIRMED_DOWN : PROTO_MHDR_UNCONFIRMED_DOWN),
        DIR_DOWN, nwkskey, appskey, buf, cap);
}

uint32_t proto_frame_fcnt_expand(uint32_t last, uint16_t fcnt16)
{
    uint16_t ahead = (uint16_t)(fcnt16 - (uint16_t)(last & 0xFFFFu));

    return last + ahead;
}
