/* SPDX-License-Identifier: MIT
 * The server-to-forwarder half of the Semtech UDP protocol v2 (pfwd.h): PULL_RESP with its
 * `txpk` object, and the names of the TX_ACK outcomes. The JSON is written with snprintf
 * rather than cJSON so that `freq` keeps exactly six decimals (a float through cJSON's
 * "%1.15g" could print 868.10000000000002) and nothing is allocated.
 */
#include "ingest/pfwd.h"

#include <stdio.h>
#include <string.h>

#include "ingest/base64.h"

static const char *const txack_errors[PFWD_TXACK_COUNT] = {
    "NONE",     "TOO_LATE",     "TOO_EARLY", "COLLISION_PACKET", "COLLISION_BEACON", "TX_FREQ",
    "TX_POWER", "GPS_UNLOCKED", NULL,
};

static const char *const txack_names[PFWD_TXACK_COUNT] = {
    "none",     "too_late",     "too_early", "collision_packet", "collision_beacon", "tx_freq",
    "tx_power", "gps_unlocked", "other",
};

enum pfwd_txack pfwd_txack_of(const char *error)
{
    for (size_t i = 0; error != NULL && i < PFWD_TXACK_OTHER; i++) {
        if (strcmp(error, txack_errors[i]) == 0) {
            return (enum pfwd_txack)i;
        }
    }
    return PFWD_TXACK_OTHER;
}

const char *pfwd_txack_name(enum pfwd_txack t)
{
    return (unsigned)t < PFWD_TXACK_COUNT ? txack_names[t] : "other";
}

int pfwd_build_pull_resp(uint8_t *buf, size_t cap, uint16_t token, const struct pfwd_txpk *tx)
{
    char data[BASE64_ENCODED_LEN(PFWD_PHY_MAX) + 1];
    int n;

    if (buf == NULL || tx == NULL || tx->data == NULL || tx->datr == NULL || tx->len == 0 ||
        tx->len > PFWD_PHY_MAX || strlen(tx->datr) >= PFWD_DATR_MAX) {
        return -EINVAL;
    }
    if (cap < PFWD_HDR_LEN + 1) {
        return -ENOSPC;
    }
    if (base64_encode(tx->data, tx->len, data, sizeof(data)) < 0) {
        return -EINVAL;
    }
    buf[0] = PFWD_VERSION;
    buf[1] = (uint8_t)(token >> 8);
    buf[2] = (uint8_t)token;
    buf[3] = PFWD_PULL_RESP;
    /* Section 6: codr and ipol for LoRa; ncrc true, as LoRaWAN downlinks have no CRC. */
    n = snprintf((char *)buf + PFWD_HDR_LEN, cap - PFWD_HDR_LEN,
                 "{\"txpk\":{\"imme\":%s,\"tmst\":%lu,\"freq\":%lu.%06lu,\"rfch\":%u,\"powe\":%d,"
                 "\"modu\":\"LORA\",\"datr\":\"%s\",\"codr\":\"4/5\",\"ipol\":%s,\"ncrc\":true,"
                 "\"size\":%zu,\"data\":\"%s\"}}",
                 tx->imme ? "true" : "false", (unsigned long)tx->tmst,
                 (unsigned long)(tx->freq_hz / 1000000u), (unsigned long)(tx->freq_hz % 1000000u),
                 (unsigned)tx->rfch, (int)tx->powe, tx->datr, tx->ipol ? "true" : "false", tx->len,
                 data);
    if (n < 0 || (size_t)n >= cap - PFWD_HDR_LEN) {
        return -ENOSPC;
    }
    return (int)PFWD_HDR_LEN + n;
}
