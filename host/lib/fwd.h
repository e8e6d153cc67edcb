/* SPDX-License-Identifier: MIT
 * The client side of the Semtech UDP packet-forwarder protocol (v2, lora_pkt_fwd
 * PROTOCOL.TXT): the PUSH_DATA datagram a forwarder sends for received LoRa frames, with
 * its rxpk JSON written as the reference forwarder writes it, and the PUSH_ACK it gets back.
 * The simulator's radio, the tests and the load generators all speak to the gateway through
 * this; the gateway's parser of the same datagrams is daemon/ingest/pfwd.c.
 */
#ifndef PROJ_HOST_LIB_FWD_H
#define PROJ_HOST_LIB_FWD_H

#include <stddef.h>
#include <stdint.h>

#define FWD_VERSION   2u    /* protocol version byte */
#define FWD_PUSH_DATA 0x00u /* identifier of PUSH_DATA */
#define FWD_PUSH_ACK  0x01u /* identifier of PUSH_ACK */
#define FWD_HDR_LEN   12u   /* version, token (2), identifier, gateway EUI (8) */
#define FWD_EUI_LEN   8u
#define FWD_PHY_MAX   255u /* the largest PHYPayload a LoRa radio carries */
#define FWD_ACK_LEN   4u   /* version, token (2), identifier */
/* Room for one rxpk object with a FWD_PHY_MAX frame: base64 (340) and the fields. */
#define FWD_RXPK_MAX 640u

/* One received frame and its radio metadata: one element of "rxpk" (section 4). */
struct fwd_rxpk {
    const char *time;   /* "time": UTC, ISO 8601 with microseconds ("...T12:00:00.000000Z"),
                           or NULL to leave the field out */
    uint32_t tmst;      /* "tmst": concentrator counter, microseconds */
    unsigned chan;      /* "chan": IF channel */
    uint32_t freq_hz;   /* "freq": centre frequency, Hz (written in MHz, exact) */
    unsigned sf;        /* "datr" SF<sf>BW<bw_khz>: spreading factor 7..12 */
    unsigned bw_khz;    /* bandwidth, kHz */
    unsigned cr;        /* "codr" 4/<4 + cr>: coding rate, 1 (4/5) .. 4 (4/8) */
    int rssi_dbm;       /* "rssi", dBm */
    int lsnr_x10;       /* "lsnr": SNR, tenths of a dB (written with one decimal) */
    const uint8_t *phy; /* the PHYPayload ("data", base64), @len bytes */
    size_t len;         /* "size", 1..FWD_PHY_MAX */
};

/*
 * fwd_push_data() - a PUSH_DATA datagram (PROTOCOL.TXT section 3.2) carrying @n frames:
 * the 12-byte header, then {"rxpk":[...]} (not NUL-terminated).
 * @buf:   out, @cap bytes: the datagram and one byte more (the text is written with a NUL,
 *         which is not part of the datagram).
 * @token: the random token the PUSH_ACK will echo.
 * @eui:   the gateway's EUI, FWD_EUI_LEN bytes, most significant first.
 * @pk:    in, @n frames (@n >= 1).
 * Return: the datagram's length; -1 when it does not fit @cap, @n is 0 or a frame is empty
 * or longer than FWD_PHY_MAX bytes (@buf's contents are then undefined).
 */
int fwd_push_data(uint8_t *buf, size_t cap, uint16_t token, const uint8_t eui[FWD_EUI_LEN],
                  const struct fwd_rxpk *pk, size_t n);

/*
 * fwd_push_ack_token() - whether @buf is a PUSH_ACK (section 3.3: 4 bytes, version 2,
 * identifier 1) and which token it acknowledges.
 * Return: the token (0..65535), or -1 for any other datagram.
 */
int fwd_push_ack_token(const uint8_t *buf, size_t len);

/*
 * fwd_base64() - @n bytes as RFC 4648 section 4 base64 with padding, NUL-terminated.
 * @out: out, 4 * ceil(@n / 3) + 1 bytes.
 */
void fwd_base64(const uint8_t *in, size_t n, char *out);

#endif
