/* SPDX-License-Identifier: MIT
 * LoRaWAN 1.0.x over-the-air activation (LoRaWAN 1.0.3 section 6.2, proto/SPEC.md section
 * 1.6): the JoinRequest a node sends (built and MIC'd with its AppKey), the JoinAccept the
 * gateway answers with (MIC'd, then "encrypted" with the AES inverse cipher, so that the
 * node decrypts it with the forward cipher it already has), and the session keys both sides
 * derive from the AppKey, the gateway's JoinNonce (AppNonce in 1.0.x), its NetID and the
 * node's DevNonce.
 *
 * EUIs are written as on the device (most significant byte first) and travel little-endian;
 * here they are uint64_t with the written order, e.g. 0x70B3D57ED0000001.
 */
#ifndef PROJ_PROTO_JOIN_H
#define PROJ_PROTO_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/aes.h"
#include "proto/err.h"

#define PROTO_MHDR_JOIN_REQUEST 0x00u /* MType 000, Major 00 */
#define PROTO_MHDR_JOIN_ACCEPT  0x20u /* MType 001, Major 00 */

#define PROTO_JOIN_REQUEST_LEN    23u /* MHDR, JoinEUI, DevEUI, DevNonce, MIC */
#define PROTO_JOIN_ACCEPT_LEN     17u /* MHDR, JoinNonce, NetID, DevAddr, DLSettings, RxDelay, MIC */
#define PROTO_JOIN_ACCEPT_MAX_LEN 33u /* ... with a 16-byte CFList */
#define PROTO_JOIN_CFLIST_LEN     16u

struct proto_join_request {
    uint64_t joineui; /* AppEUI in 1.0.0..1.0.2 */
    uint64_t deveui;
    uint16_t devnonce;
};

struct proto_join_accept {
    uint32_t join_nonce; /* 24 bits: AppNonce in 1.0.x; the gateway never repeats one per AppKey */
    uint32_t net_id;     /* 24 bits */
    uint32_t devaddr;    /* as written on the device */
    uint8_t dl_settings; /* bit 7 RFU (0), bits 6..4 RX1DRoffset, bits 3..0 RX2 data rate */
    uint8_t rx_delay;    /* bits 3..0: RECEIVE_DELAY1 in s, 0 meaning 1 */
    bool has_cflist;
    uint8_t cflist[PROTO_JOIN_CFLIST_LEN]; /* EU868: five 24-bit frequencies / 100 Hz, type 0 */
};

/* proto_join_request_build() - a JoinRequest (23 bytes) with its MIC under @appkey.
 * Return: 23, or PROTO_ENOSPC. */
PROTO_MUST_CHECK int proto_join_request_build(const struct proto_join_request *jr,
                                              const uint8_t appkey[PROTO_AES_KEY], uint8_t *buf,
                                              size_t cap);

/* proto_join_request_parse() - the fields of a JoinRequest, MIC not checked (the AppKey is
 * found by the DevEUI this returns). Return: PROTO_OK; PROTO_ETOOSHORT / PROTO_ETOOLONG (not
 * 23 bytes); PROTO_EMTYPE (not MType 000); PROTO_EMAJOR. */
PROTO_MUST_CHECK int proto_join_request_parse(const uint8_t *phy, size_t len,
                                              struct proto_join_request *out);

/* proto_join_request_verify() - the MIC of a parsed JoinRequest (@phy, 23 bytes) under
 * @appkey, in constant time. Return: PROTO_OK or PROTO_EMIC. */
PROTO_MUST_CHECK int proto_join_request_verify(const uint8_t *phy, size_t len,
                                               const uint8_t appkey[PROTO_AES_KEY]);

/* proto_join_accept_build() - the encrypted JoinAccept the gateway sends (17 or 33 bytes).
 * Return: its length; PROTO_EINVAL (a field over its width, DLSettings bit 7, RxDelay above
 * 15); PROTO_ENOSPC. */
PROTO_MUST_CHECK int proto_join_accept_build(const struct proto_join_accept *ja,
                                             const uint8_t appkey[PROTO_AES_KEY], uint8_t *buf,
                                             size_t cap);

/* proto_join_accept_parse() - what the node does with a JoinAccept: decrypt with @appkey,
 * check the MIC, fill @out. Return: PROTO_OK; PROTO_ETOOSHORT / PROTO_ETOOLONG (not 17 or
 * 33 bytes); PROTO_EMTYPE; PROTO_EMAJOR; PROTO_EMIC. */
PROTO_MUST_CHECK int proto_join_accept_parse(const uint8_t *phy, size_t len,
                                             const uint8_t appkey[PROTO_AES_KEY],
                                             struct proto_join_accept *out);

/* proto_join_session_keys() - NwkSKey and AppSKey of the session a JoinAccept opens
 * (LoRaWAN 1.0.3 section 6.2.5): AES(AppKey, 0x01 or 0x02 | JoinNonce | NetID | DevNonce |
 * pad). */
void proto_join_session_keys(const uint8_t appkey[PROTO_AES_KEY], uint32_t join_nonce,
                             uint32_t net_id, uint16_t devnonce, uint8_t nwkskey[PROTO_AES_KEY],
                             uint8_t appskey[PROTO_AES_KEY]);

#endif
