/* SPDX-License-Identifier: MIT
 * PUSH_DATA and PUSH_ACK of the packet-forwarder protocol (see fwd.h). Numbers are written
 * from integers (frequency in Hz, SNR in tenths), so the text is exact and the same on
 * every host, as the reference forwarder's fixed-point printing is.
 */
#include "fwd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Largest base64 text of a FWD_PHY_MAX frame: 4 * 85 characters and a NUL. */
#define B64_MAX 341u

void fwd_base64(const uint8_t *in, size_t n, char *out)
{
    /* The 64 digits, then the pad character at index 64. */
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    size_t i;
    size_t o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];

        out[o++] = tab[(v >> 18) & 63u];
        out[o++] = tab[(v >> 12) & 63u];
        out[o++] = tab[(v >> 6) & 63u];
        out[o++] = tab[v & 63u];
    }
    if (i < n) {
        uint32_t v = ((uint32_t)in[i] << 16) | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0u);

        out[o++] = tab[(v >> 18) & 63u];
        out[o++] = tab[(v >> 12) & 63u];
        out[o++] = tab[i + 1 < n ? (v >> 6) & 63u : 64u];
        out[o++] = '=';
    }
    out[o] = '\0';
}

/* Appends to the text at *@at (@end: one past the buffer); -1 when it does not fit. */
static int append(char **at, const char *end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int append(char **at, const char *end, const char *fmt, ...)
{
    size_t room = (size_t)(end - *at);
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(*at, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        return -1;
    }
    *at += n;
    return 0;
}

/* Hz as MHz with as many decimals as it needs (868100000 -> "868.1", at least one). */
static void format_mhz(uint32_t hz, char out[24])
{
    char frac[8];
    int last;

    (void)snprintf(frac, sizeof(frac), "%06u", (unsigned)(hz % 1000000u));
    for (last = 5; last > 0 && frac[last] == '0'; last--) {
        frac[last] = '\0';
    }
    (void)snprintf(out, 24, "%u.%s", (unsigned)(hz / 1000000u), frac);
}

static int append_rxpk(char **at, const char *end, const struct fwd_rxpk *pk)
{
    char b64[B64_MAX];
    char mhz[24];
    unsigned snr_abs = (unsigned)(pk->lsnr_x10 < 0 ? -pk->lsnr_x10 : pk->lsnr_x10);

    if (pk->len == 0 || pk->len > FWD_PHY_MAX || pk->phy == NULL) {
        return -1;
    }
    fwd_base64(pk->phy, pk->len, b64);
    format_mhz(pk->freq_hz, mhz);
    if (pk->time != NULL && append(at, end, "{\"time\":\"%s\",", pk->time) != 0) {
        return -1;
    }
    return append(at, end,
                  "%s\"tmst\":%u,\"chan\":%u,\"rfch\":0,\"freq\":%s,\"stat\":1,\"modu\":\"LORA\","
                  "\"datr\":\"SF%uBW%u\",\"codr\":\"4/%u\",\"rssi\":%d,\"lsnr\":%s%u.%u,"
                  "\"size\":%zu,\"data\":\"%s\"}",
                  pk->time != NULL ? "" : "{", (unsigned)pk->tmst, pk->chan, mhz, pk->sf,
                  pk->bw_khz, 4u + pk->cr, pk->rssi_dbm, pk->lsnr_x10 < 0 ? "-" : "", snr_abs / 10u,
                  snr_abs % 10u, pk->len, b64);
}

int fwd_push_data(uint8_t *buf, size_t cap, uint16_t token, const uint8_t eui[FWD_EUI_LEN],
                  const struct fwd_rxpk *pk, size_t n)
{
    char *at = (char *)buf + FWD_HDR_LEN;
    const char *end = (const char *)buf + cap;
    size_t i;

    if (n == 0 || cap <= FWD_HDR_LEN) {
        return -1;
    }
    buf[0] = FWD_VERSION;
    buf[1] = (uint8_t)(token >> 8);
    buf[2] = (uint8_t)token;
    buf[3] = FWD_PUSH_DATA;
    memcpy(buf + 4, eui, FWD_EUI_LEN);
    if (append(&at, end, "{\"rxpk\":[") != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((i > 0 && append(&at, end, ",") != 0) || append_rxpk(&at, end, &pk[i]) != 0) {
            return -1;
        }
    }
    /* The datagram is not a C string: the NUL vsnprintf leaves after "]}" is not sent. */
    if (append(&at, end, "]}") != 0) {
        return -1;
    }
    return (int)(at - (char *)buf);
}

int fwd_push_ack_token(const uint8_t *buf, size_t len)
{
    if (len != FWD_ACK_LEN || buf[0] != FWD_VERSION || buf[3] != FWD_PUSH_ACK) {
        return -1;
    }
    return (int)(((unsigned)buf[1] << 8) | buf[2]);
}
