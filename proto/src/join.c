/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x join messages and session keys (proto/join.h, SPEC.md section 1.6).
 */
#include "proto/join.h"

#include <string.h>

#include "proto/cmac.h"

#define MTYPE_MASK 0xE0u
#define MAJOR_MASK 0x03u

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--) {
        v = v << 8 | p[i - 1];
    }
    return v;
}

static void mic_of(const uint8_t appkey[PROTO_AES_KEY], const uint8_t *msg, size_t len,
                   uint8_t mic[4])
{
    uint8_t tag[PROTO_AES_BLOCK];

    proto_cmac(appkey, msg, len, tag);
    memcpy(mic, tag, 4);
}

int proto_join_request_build(const struct proto_join_request *jr,
                             const uint8_t appkey[PROTO_AES_KEY], uint8_t *buf, size_t cap)
{
    if (cap < PROTO_JOIN_REQUEST_LEN) {
        return PROTO_ENOSPC;
    }
    buf[0] = PROTO_MHDR_JOIN_REQUEST;
    put_le(buf + 1, jr->joineui, 8);
    put_le(buf + 9, jr->deveui, 8);
    put_le(buf + 17, jr->devnonce, 2);
    mic_of(appkey, buf, 19, buf + 19);
    return (int)PROTO_JOIN_REQUEST_LEN;
}

static int check_mhdr(uint8_t mhdr, uint8_t mtype)
{
    if ((mhdr & MTYPE_MASK) != mtype) {
        return PROTO_EMTYPE;
    }
    return (mhdr & MAJOR_MASK) != 0 ? PROTO_EMAJOR : PROTO_OK;
}

int proto_join_request_parse(const uint8_t *phy, size_t len, struct proto_join_request *out)
{
    int rc;

    if (len < PROTO_JOIN_REQUEST_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (len > PROTO_JOIN_REQUEST_LEN) {
        return PROTO_ETOOLONG;
    }
    rc = check_mhdr(phy[0], PROTO_MHDR_JOIN_REQUEST);
    if (rc != PROTO_OK) {
        return rc;
    }
    out->joineui = get_le(phy + 1, 8);
    out->deveui = get_le(phy + 9, 8);
    out->devnonce = (uint16_t)get_le(phy + 17, 2);
    return PROTO_OK;
}

int proto_join_request_verify(const uint8_t *phy, size_t len, const uint8_t appkey[PROTO_AES_KEY])
{
    uint8_t mic[4];

    if (len != PROTO_JOIN_REQUEST_LEN) {
        return PROTO_EINVAL;
    }
    mic_of(appkey, phy, len - 4, mic);
    return proto_ct_equal(mic, phy + len - 4, 4) ? PROTO_OK : PROTO_EMIC;
}

int proto_join_accept_build(const struct proto_join_accept *ja, const uint8_t appkey[PROTO_AES_KEY],
                            uint8_t *buf, size_t cap)
{
    const size_t len = ja->has_cflist ? PROTO_JOIN_ACCEPT_MAX_LEN : PROTO_JOIN_ACCEPT_LEN;
    struct proto_aes128 aes;

    if (ja->join_nonce > 0xFFFFFFu || ja->net_id > 0xFFFFFFu || (ja->dl_settings & 0x80u) != 0 ||
        ja->rx_delay > 15u) {
        return PROTO_EINVAL;
    }
    if (cap < len) {
        return PROTO_ENOSPC;
    }
    buf[0] = PROTO_MHDR_JOIN_ACCEPT;
    put_le(buf + 1, ja->join_nonce, 3);
    put_le(buf + 4, ja->net_id, 3);
    put_le(buf + 7, ja->devaddr, 4);
    buf[11] = ja->dl_settings;
    buf[12] = ja->rx_delay;
    if (ja->has_cflist) {
        memcpy(buf + 13, ja->cflist, PROTO_JOIN_CFLIST_LEN);
    }
    mic_of(appkey, buf, len - 4, buf + len - 4);
    /* Everything after the MHDR, MIC included, block by block (ECB): 16 or 32 bytes. */
    proto_aes128_init(&aes, appkey);
    for (size_t off = 1; off < len; off += PROTO_AES_BLOCK) {
        proto_aes128_decrypt(&aes, buf + off, buf + off);
    }
    return (int)len;
}

int proto_join_accept_parse(const uint8_t *phy, size_t len, const uint8_t appkey[PROTO_AES_KEY],
                            struct proto_join_accept *out)
{
    uint8_t plain[PROTO_JOIN_ACCEPT_MAX_LEN];
    uint8_t mic[4];
    struct proto_aes128 aes;
    int rc;

    if (len < PROTO_JOIN_ACCEPT_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (len != PROTO_JOIN_ACCEPT_LEN && len != PROTO_JOIN_ACCEPT_MAX_LEN) {
        return PROTO_ETOOLONG;
    }
    rc = check_mhdr(phy[0], PROTO_MHDR_JOIN_ACCEPT);
    if (rc != PROTO_OK) {
        return rc;
    }
    plain[0] = phy[0];
    proto_aes128_init(&aes, appkey);
    for (size_t off = 1; off < len; off += PROTO_AES_BLOCK) {
        proto_aes128_encrypt(&aes, phy + off, plain + off);
    }
    mic_of(appkey, plain, len - 4, mic);
    if (!proto_ct_equal(mic, plain + len - 4, 4)) {
        return PROTO_EMIC;
    }
    memset(out, 0, sizeof(*out));
    out->join_nonce = (uint32_t)get_le(plain + 1, 3);
    out->net_id = (uint32_t)get_le(plain + 4, 3);
    out->devaddr = (uint32_t)get_le(plain + 7, 4);
    out->dl_settings = plain[11];
    out->rx_delay = plain[12];
    out->has_cflist = len == PROTO_JOIN_ACCEPT_MAX_LEN;
    if (out->has_cflist) {
        memcpy(out->cflist, plain + 13, PROTO_JOIN_CFLIST_LEN);
    }
    return PROTO_OK;
}

static void session_key(struct proto_aes128 *aes, uint8_t kind, uint32_t join_nonce,
                        uint32_t net_id, uint16_t devnonce, uint8_t out[PROTO_AES_KEY])
{
    uint8_t b[PROTO_AES_BLOCK] = {0};

    b[0] = kind;
    put_le(b + 1, join_nonce, 3);
    put_le(b + 4, net_id, 3);
    put_le(b + 7, devnonce, 2);
    proto_aes128_encrypt(aes, b, out);
}

void proto_join_session_keys(const uint8_t appkey[PROTO_AES_KEY], uint32_t join_nonce,
                             uint32_t net_id, uint16_t devnonce, uint8_t nwkskey[PROTO_AES_KEY],
                             uint8_t appskey[PROTO_AES_KEY])
{
    struct proto_aes128 aes;

    proto_aes128_init(&aes, appkey);
    session_key(&aes, 0x01u, join_nonce, net_id, devnonce, nwkskey);
    session_key(&aes, 0x02u, join_nonce, net_id, devnonce, appskey);
}
