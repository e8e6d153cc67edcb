/* SPDX-License-Identifier: MIT
 * Semtech packet-forwarder protocol v2 datagrams (Lora-net/packet_forwarder PROTOCOL.TXT):
 * header checks for every identifier, the PUSH_DATA JSON of section 4 through cJSON, and
 * the two acknowledgements a server sends. Pure: no I/O, no clock, no globals; the only
 * allocation is cJSON's tree, freed before returning.
 */
#include "ingest/pfwd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ingest/base64.h"

#define PFWD_EUI_HDR_LEN (PFWD_HDR_LEN + PFWD_EUI_LEN) /* bytes before a PUSH_DATA body */

/* A number field within [lo, hi]; JSON has no NaN, but "1e999" parses to infinity. The
 * rounding helpers below stay off libm (the daemon does not link it) and are only called
 * on values already inside ranges where the casts are defined. */
static bool number_in(const cJSON *item, double lo, double hi, double *out)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return false;
    }
    if (item->valuedouble < lo || item->valuedouble > hi) {
        return false;
    }
    *out = item->valuedouble;
    return true;
}

static long long round_half_away(double v)
{
    return (long long)(v < 0.0 ? v - 0.5 : v + 0.5);
}

/* True for a whole number in [0, 2^32 - 1]. */
static bool is_u32(double v)
{
    return v >= 0.0 && v <= 4294967295.0 && (double)(uint32_t)v == v;
}

/* A string field shorter than @cap, copied with its NUL. */
static bool string_copy(const cJSON *item, char *dst, size_t cap)
{
    size_t n;

    if (!cJSON_IsString(item) || item->valuestring == NULL) {
        return false;
    }
    n = strlen(item->valuestring);
    if (n >= cap) {
        return false;
    }
    memcpy(dst, item->valuestring, n + 1);
    return true;
}

/* The radio metadata of one rxpk (section 4 table). All optional: the reference forwarder
 * sends them all for LoRa, but FSK packets have no `lsnr`, and a frame is worth keeping
 * without its metadata. Present but mistyped or absurd is an error, never a guess. */
static int parse_metadata(const cJSON *o, struct pfwd_rxpk *p)
{
    const cJSON *item;
    double v;

    item = cJSON_GetObjectItemCaseSensitive(o, "rssi");
    if (item != NULL) {
        /* A signed integer in dBm; +-1000 leaves room for any radio and keeps the cast
         * defined. */
        if (!number_in(item, -1000.0, 1000.0, &v)) {
            return PFWD_EFIELD;
        }
        p->has_rssi = true;
        p->rssi_dbm = (int32_t)round_half_away(v);
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "lsnr");
    if (item != NULL) {
        if (!number_in(item, -1000.0, 1000.0, &v)) {
            return PFWD_EFIELD;
        }
        p->has_snr = true;
        p->snr_db = v;
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "freq");
    if (item != NULL) {
        /* MHz with Hz precision; the result must fit the u32 Hz the store keeps. */
        if (!number_in(item, 0.0, 4294.967295, &v)) {
            return PFWD_EFIELD;
        }
        p->has_freq = true;
        p->freq_hz = (uint32_t)round_half_away(v * 1e6);
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "datr");
    if (item != NULL) {
        /* A string for LoRa ("SF7BW125"), a number of bits per second for FSK. */
        if (cJSON_IsNumber(item)) {
            if (!number_in(item, 0.0, 4294967295.0, &v) || !is_u32(v)) {
                return PFWD_EFIELD;
            }
            snprintf(p->datr, sizeof(p->datr), "%lu", (unsigned long)v);
        } else if (!string_copy(item, p->datr, sizeof(p->datr))) {
            return PFWD_EFIELD;
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "tmst");
    if (item != NULL) {
        /* 32-bit unsigned microsecond counter of the concentrator. */
        if (!number_in(item, 0.0, 4294967295.0, &v) || !is_u32(v)) {
            return PFWD_EFIELD;
        }
        p->has_tmst = true;
        p->tmst = (uint32_t)v;
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "time");
    if (item != NULL && !string_copy(item, p->time, sizeof(p->time))) {
        return PFWD_EFIELD;
    }
    return 0;
}

/* One rxpk entry (section 4). Entries whose CRC failed (-1) or that had none (0) are only
 * counted: their bytes are not a frame the radio vouches for. */
static int parse_rxpk(const cJSON *o, struct pfwd_msg *out)
{
    const cJSON *item;
    struct pfwd_rxpk *p;
    double stat;
    double size;
    int n;

    if (!cJSON_IsObject(o)) {
        return PFWD_EFIELD;
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "stat");
    if (!number_in(item, -1e9, 1e9, &stat)) {
        return PFWD_EFIELD;
    }
    if (stat != 1.0) {
        out->ignored_count++;
        return 0;
    }
    if (out->rxpk_count >= PFWD_MAX_RXPK) {
        return PFWD_ETOOMANY;
    }
    p = &out->rxpk[out->rxpk_count];
    memset(p, 0, sizeof(*p));
    item = cJSON_GetObjectItemCaseSensitive(o, "data");
    if (!cJSON_IsString(item) || item->valuestring == NULL) {
        return PFWD_EFIELD;
    }
    n = base64_decode(item->valuestring, strlen(item->valuestring), p->phy, sizeof(p->phy));
    if (n == -EMSGSIZE) {
        return PFWD_EFIELD; /* well-formed, but longer than any LoRa PHYPayload */
    }
    if (n < 0) {
        return PFWD_EBASE64;
    }
    p->len = (size_t)n;
    item = cJSON_GetObjectItemCaseSensitive(o, "size");
    if (item != NULL) {
        if (!cJSON_IsNumber(item)) {
            return PFWD_EFIELD;
        }
        size = item->valuedouble;
        if (size != (double)p->len) {
            return PFWD_ESIZE;
        }
    }
    n = parse_metadata(o, p);
    if (n != 0) {
        return n;
    }
    out->rxpk_count++;
    return 0;
}

/* Parse @len bytes of JSON into a tree. The body is copied into scratch with a NUL, so
 * cJSON never depends on the datagram's end, and an embedded NUL (which would end the text
 * early for cJSON) is refused instead of silently cutting the body. */
static int parse_json(const uint8_t *body, size_t len, struct pfwd_msg *out, cJSON **tree)
{
    const char *end = NULL;

    *tree = NULL;
    if (len == 0 || len >= sizeof(out->scratch) || memchr(body, '\0', len) != NULL) {
        return PFWD_EJSON;
    }
    memcpy(out->scratch, body, len);
    out->scratch[len] = '\0';
    *tree = cJSON_ParseWithOpts(out->scratch, &end, 1);
    if (*tree == NULL) {
        return PFWD_EJSON;
    }
    /* Sections 3.2 and 5.5: "JSON object, starting with {, ending with }". */
    if (!cJSON_IsObject(*tree)) {
        cJSON_Delete(*tree);
        *tree = NULL;
        return PFWD_EJSON;
    }
    return 0;
}

/* One part of a PUSH_DATA left out: counted, and the first reason kept for the log. */
static void note_bad(struct pfwd_msg *out, int rc)
{
    if (out->bad_count == 0) {
        out->first_bad = rc;
    }
    out->bad_count++;
}

static int parse_push_data(const uint8_t *body, size_t len, struct pfwd_msg *out)
{
    cJSON *root = NULL;
    cJSON *stat;
    const cJSON *rxpk;
    const cJSON *entry;
    int rc;

    rc = parse_json(body, len, out, &root);
    if (rc != 0) {
        goto out;
    }
    rxpk = cJSON_GetObjectItemCaseSensitive(root, "rxpk");
    if (rxpk != NULL) {
        if (!cJSON_IsArray(rxpk)) {
            rc = PFWD_EFIELD;
            goto out;
        }
        cJSON_ArrayForEach(entry, rxpk)
        {
            /* A bad entry costs only itself: forwarders never send a datagram again
             * (PROTOCOL.TXT section 1), so refusing the whole of it would lose the good
             * frames it carries too. More good frames than fit is no forwarder's datagram. */
            rc = parse_rxpk(entry, out);
            if (rc == PFWD_ETOOMANY) {
                goto out;
            }
            if (rc != 0) {
                note_bad(out, rc);
                rc = 0;
            }
        }
    }
    stat = cJSON_GetObjectItemCaseSensitive(root, "stat");
    if (stat != NULL) {
        /* Kept as the gateway's own JSON, compact; cJSON writes nothing past the buffer and
         * says when it does not fit. A bad one is counted, and the frames still count. */
        if (!cJSON_IsObject(stat) ||
            !cJSON_PrintPreallocated(stat, out->stat_json, (int)sizeof(out->stat_json), 0)) {
            out->stat_json[0] = '\0';
            note_bad(out, PFWD_EFIELD);
        } else {
            out->has_stat = true;
        }
    }
out:
    cJSON_Delete(root);
    return rc;
}

int pfwd_parse(const uint8_t *buf, size_t len, struct pfwd_msg *out)
{
    cJSON *tree = NULL;
    int rc;

    if (buf == NULL || out == NULL) {
        return -EINVAL;
    }
    out->version = 0;
    out->token = 0;
    out->ident = PFWD_PUSH_DATA;
    out->has_eui = false;
    out->rxpk_count = 0;
    out->ignored_count = 0;
    out->bad_count = 0;
    out->first_bad = 0;
    out->has_stat = false;
    out->txack = PFWD_TXACK_NONE;
    out->stat_json[0] = '\0';
    /* Oversize first: a 60 kB datagram is reported for what it is, whatever its bytes. */
    if (len > PFWD_MAX_DATAGRAM) {
        return PFWD_EOVERSIZE;
    }
    if (len < PFWD_HDR_LEN) {
        return PFWD_ESHORT;
    }
    if (buf[0] != PFWD_VERSION) {
        return PFWD_EVERSION;
    }
    if (buf[3] > PFWD_TX_ACK) {
        return PFWD_EIDENT;
    }
    out->version = buf[0];
    out->token = (uint16_t)(buf[1] << 8 | buf[2]);
    out->ident = (enum pfwd_ident)buf[3];

    switch (out->ident) {
    case PFWD_PUSH_ACK:
    case PFWD_PULL_ACK:
        /* Sections 3.3 and 5.3: the header and nothing else. */
        return len == PFWD_HDR_LEN ? 0 : PFWD_ELENGTH;
    case PFWD_PULL_RESP:
        return 0;
    case PFWD_PUSH_DATA:
    case PFWD_PULL_DATA:
    case PFWD_TX_ACK:
        break;
    }
    if (len < PFWD_EUI_HDR_LEN) {
        return PFWD_ESHORT;
    }
    memcpy(out->eui, buf + PFWD_HDR_LEN, PFWD_EUI_LEN);
    out->has_eui = true;
    if (out->ident == PFWD_PULL_DATA) {
        /* Section 5.2: the EUI ends the datagram. */
        return len == PFWD_EUI_HDR_LEN ? 0 : PFWD_ELENGTH;
    }
    if (out->ident == PFWD_TX_ACK) {
        /* Section 5.5: "no JSON (empty string)" means no error; when present it must be an
         * object, like every body of this protocol. */
        if (len == PFWD_EUI_HDR_LEN) {
            return 0;
        }
        rc = parse_json(buf + PFWD_EUI_HDR_LEN, len - PFWD_EUI_HDR_LEN, out, &tree);
        if (rc == 0) {
            /* {"txpk_ack":{"error":"TOO_LATE"}}; "warn" (newer forwarders) still means sent. */
            const cJSON *err = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(tree, "txpk_ack"), "error");

            out->txack = cJSON_IsString(err) ? pfwd_txack_of(err->valuestring) : PFWD_TXACK_NONE;
        }
        cJSON_Delete(tree);
        return rc;
    }
    return parse_push_data(buf + PFWD_EUI_HDR_LEN, len - PFWD_EUI_HDR_LEN, out);
}

static int build_ack(uint8_t *buf, size_t cap, uint16_t token, enum pfwd_ident ident)
{
    if (buf == NULL) {
        return -EINVAL;
    }
    if (cap < PFWD_ACK_LEN) {
        return -ENOSPC;
    }
    buf[0] = PFWD_VERSION;
    buf[1] = (uint8_t)(token >> 8);
    buf[2] = (uint8_t)token;
    buf[3] = (uint8_t)ident;
    return (int)PFWD_ACK_LEN;
}

int pfwd_build_push_ack(uint8_t *buf, size_t cap, uint16_t token)
{
    return build_ack(buf, cap, token, PFWD_PUSH_ACK);
}

int pfwd_build_pull_ack(uint8_t *buf, size_t cap, uint16_t token)
{
    return build_ack(buf, cap, token, PFWD_PULL_ACK);
}

const char *pfwd_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "ok";
    case PFWD_ESHORT:
        return "too short";
    case PFWD_EVERSION:
        return "wrong protocol version";
    case PFWD_EIDENT:
        return "unknown identifier";
    case PFWD_EOVERSIZE:
        return "oversized";
    case PFWD_ELENGTH:
        return "trailing bytes";
    case PFWD_EJSON:
        return "bad JSON";
    case PFWD_EFIELD:
        return "bad field";
    case PFWD_EBASE64:
        return "bad base64";
    case PFWD_ESIZE:
        return "size mismatch";
    case PFWD_ETOOMANY:
        return "too many rxpk";
    case -EINVAL:
        return "invalid argument";
    default:
        return "unknown error";
    }
}

const char *pfwd_ident_name(int ident)
{
    switch (ident) {
    case PFWD_PUSH_DATA:
        return "PUSH_DATA";
    case PFWD_PUSH_ACK:
        return "PUSH_ACK";
    case PFWD_PULL_DATA:
        return "PULL_DATA";
    case PFWD_PULL_RESP:
        return "PULL_RESP";
    case PFWD_PULL_ACK:
        return "PULL_ACK";
    case PFWD_TX_ACK:
        return "TX_ACK";
    default:
        return "unknown";
    }
}
