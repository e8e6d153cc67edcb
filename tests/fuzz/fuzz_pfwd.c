/* SPDX-License-Identifier: MIT
 * libFuzzer target for the packet-forwarder datagram parser (daemon/ingest/pfwd.c) and the strict
 * base64 under it. The input is one datagram as it would arrive on UDP 1700. Beyond "no
 * crash, no out-of-bounds read", it checks: only documented return codes; header fields
 * agree with the bytes; a PUSH_DATA that parses, written out again as JSON (a writer kept
 * here, from PROTOCOL.TXT section 4), parses to the same packets and status; every ack
 * built parses back to its token; and base64 text that decodes is the canonical encoding
 * of its bytes, up to the optional padding.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ingest/base64.h"
#include "ingest/pfwd.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two parse targets: the input's, and the rewritten datagram's. */
static struct pfwd_msg first;
static struct pfwd_msg again;
static uint8_t rewritten[PFWD_MAX_DATAGRAM + 1];

static bool known_code(int rc)
{
    switch (rc) {
    case 0:
    case PFWD_ESHORT:
    case PFWD_EVERSION:
    case PFWD_EIDENT:
    case PFWD_EOVERSIZE:
    case PFWD_ELENGTH:
    case PFWD_EJSON:
    case PFWD_EFIELD:
    case PFWD_EBASE64:
    case PFWD_ESIZE:
    case PFWD_ETOOMANY:
        return true;
    default:
        return false;
    }
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Section 4 written out from a parsed message: every field the parser keeps. */
static size_t rewrite(const struct pfwd_msg *m)
{
    char b64[BASE64_ENCODED_LEN(PFWD_PHY_MAX) + 1];
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = NULL;
    cJSON *o;
    cJSON *stat;
    size_t i;
    size_t n = 0;
    bool ok;

    CHECK(root != NULL);
    if (m->rxpk_count > 0) {
        arr = cJSON_AddArrayToObject(root, "rxpk");
        CHECK(arr != NULL);
    }
    for (i = 0; i < m->rxpk_count; i++) {
        const struct pfwd_rxpk *p = &m->rxpk[i];

        o = cJSON_CreateObject();
        CHECK(o != NULL);
        cJSON_AddItemToArray(arr, o);
        CHECK(base64_encode(p->phy, p->len, b64, sizeof(b64)) >= 0);
        cJSON_AddNumberToObject(o, "stat", 1);
        cJSON_AddNumberToObject(o, "size", (double)p->len);
        cJSON_AddStringToObject(o, "data", b64);
        if (p->has_rssi) {
            cJSON_AddNumberToObject(o, "rssi", p->rssi_dbm);
        }
        if (p->has_snr) {
            cJSON_AddNumberToObject(o, "lsnr", p->snr_db);
        }
        if (p->has_freq) {
            cJSON_AddNumberToObject(o, "freq", p->freq_hz / 1e6);
        }
        if (p->datr[0] != '\0') {
            cJSON_AddStringToObject(o, "datr", p->datr);
        }
        if (p->has_tmst) {
            cJSON_AddNumberToObject(o, "tmst", p->tmst);
        }
        if (p->time[0] != '\0') {
            cJSON_AddStringToObject(o, "time", p->time);
        }
    }
    if (m->has_stat) {
        stat = cJSON_Parse(m->stat_json);
        CHECK(stat != NULL && cJSON_IsObject(stat));
        cJSON_AddItemToObject(root, "stat", stat);
    }
    rewritten[0] = PFWD_VERSION;
    rewritten[1] = (uint8_t)(m->token >> 8);
    rewritten[2] = (uint8_t)m->token;
    rewritten[3] = PFWD_PUSH_DATA;
    memcpy(rewritten + PFWD_HDR_LEN, m->eui, PFWD_EUI_LEN);
    ok = cJSON_PrintPreallocated(root, (char *)rewritten + 12, (int)(sizeof(rewritten) - 12), 0);
    if (ok) {
        n = 12 + strlen((const char *)rewritten + 12);
    }
    cJSON_Delete(root);
    /* A rewrite may be longer than the input (explicit size fields): then it is no test. */
    return ok && n <= PFWD_MAX_DATAGRAM ? n : 0;
}

static void check_push_round_trip(void)
{
    size_t n = rewrite(&first);
    size_t i;
    int rc;

    if (n == 0) {
        return;
    }
    rc = pfwd_parse(rewritten, n, &again);
    CHECK(rc == 0);
    CHECK(again.token == first.token);
    CHECK(memcmp(again.eui, first.eui, PFWD_EUI_LEN) == 0);
    CHECK(again.rxpk_count == first.rxpk_count);
    CHECK(again.ignored_count == 0);
    CHECK(again.bad_count == 0);
    CHECK(again.has_stat == first.has_stat);
    CHECK(!first.has_stat || strcmp(again.stat_json, first.stat_json) == 0);
    for (i = 0; i < first.rxpk_count; i++) {
        const struct pfwd_rxpk *a = &first.rxpk[i];
        const struct pfwd_rxpk *b = &again.rxpk[i];

        CHECK(a->len == b->len && memcmp(a->phy, b->phy, a->len) == 0);
        CHECK(a->has_rssi == b->has_rssi && (!a->has_rssi || a->rssi_dbm == b->rssi_dbm));
        /* cJSON prints a double with 15 digits when they read back within one ulp (its
         * compare_double), so the rewritten lsnr may differ from the input in the last bit. */
        CHECK(a->has_snr == b->has_snr &&
              (!a->has_snr || fabs(a->snr_db - b->snr_db) <= fabs(a->snr_db) * 2 * DBL_EPSILON));
        CHECK(a->has_freq == b->has_freq && (!a->has_freq || a->freq_hz == b->freq_hz));
        CHECK(a->has_tmst == b->has_tmst && (!a->has_tmst || a->tmst == b->tmst));
        CHECK(strcmp(a->datr, b->datr) == 0);
        CHECK(strcmp(a->time, b->time) == 0);
    }
}

static void check_message(const uint8_t *data, size_t size)
{
    uint8_t ack[PFWD_ACK_LEN];
    size_t i;

    CHECK(size >= PFWD_HDR_LEN && size <= PFWD_MAX_DATAGRAM);
    CHECK(first.version == PFWD_VERSION && data[0] == PFWD_VERSION);
    CHECK(first.token == (uint16_t)(data[1] << 8 | data[2]));
    CHECK((unsigned)first.ident == data[3] && data[3] <= PFWD_TX_ACK);
    CHECK(first.has_eui == (first.ident == PFWD_PUSH_DATA || first.ident == PFWD_PULL_DATA ||
                            first.ident == PFWD_TX_ACK));
    CHECK(!first.has_eui || memcmp(first.eui, data + 4, PFWD_EUI_LEN) == 0);
    CHECK(first.ident != PFWD_PULL_DATA || size == 12);
    CHECK((first.ident != PFWD_PUSH_ACK && first.ident != PFWD_PULL_ACK) || size == 4);
    CHECK(first.rxpk_count <= PFWD_MAX_RXPK);
    /* Entries left out carry a reason pfwd_strerror() knows, and only then. */
    CHECK((first.bad_count == 0) == (first.first_bad == 0));
    CHECK(first.first_bad == 0 || (first.first_bad < 0 && known_code(first.first_bad)));
    CHECK(first.ident == PFWD_PUSH_DATA || (first.rxpk_count == 0 && !first.has_stat));
    CHECK(terminated(first.stat_json, sizeof(first.stat_json)));
    for (i = 0; i < first.rxpk_count; i++) {
        CHECK(first.rxpk[i].len <= PFWD_PHY_MAX);
        CHECK(terminated(first.rxpk[i].datr, sizeof(first.rxpk[i].datr)));
        CHECK(terminated(first.rxpk[i].time, sizeof(first.rxpk[i].time)));
        CHECK(first.rxpk[i].rssi_dbm >= -1000 && first.rxpk[i].rssi_dbm <= 1000);
    }
    /* The acks a server would send for this datagram parse back to its token. */
    CHECK(pfwd_build_push_ack(ack, sizeof(ack), first.token) == (int)PFWD_ACK_LEN);
    CHECK(pfwd_parse(ack, sizeof(ack), &again) == 0);
    CHECK(again.ident == PFWD_PUSH_ACK && again.token == first.token);
    CHECK(pfwd_build_pull_ack(ack, sizeof(ack), first.token) == (int)PFWD_ACK_LEN);
    CHECK(pfwd_parse(ack, sizeof(ack), &again) == 0);
    CHECK(again.ident == PFWD_PULL_ACK && again.token == first.token);
    if (first.ident == PFWD_PUSH_DATA) {
        check_push_round_trip();
    }
}

/* The input as base64 text: if it decodes, it is the canonical encoding of its bytes
 * (padding aside); and its bytes encode and decode back to themselves. */
static void check_base64(const uint8_t *data, size_t size)
{
    static uint8_t bytes[PFWD_MAX_DATAGRAM];
    static uint8_t back[PFWD_MAX_DATAGRAM];
    static char text[BASE64_ENCODED_LEN(PFWD_MAX_DATAGRAM) + 1];
    size_t bare = size;
    int n;
    int t;

    if (size > PFWD_MAX_DATAGRAM) {
        return;
    }
    n = base64_decode((const char *)data, size, bytes, sizeof(bytes));
    CHECK(n >= 0 || n == -EILSEQ);
    if (n >= 0) {
        t = base64_encode(bytes, (size_t)n, text, sizeof(text));
        CHECK(t >= 0);
        while (bare > 0 && data[bare - 1] == '=') {
            bare--;
        }
        CHECK((size_t)t >= bare && memcmp(text, data, bare) == 0);
        for (size_t i = bare; i < (size_t)t; i++) {
            CHECK(text[i] == '=');
        }
    }
    t = base64_encode(data, size, text, sizeof(text));
    CHECK(t == (int)BASE64_ENCODED_LEN(size));
    CHECK(base64_decode(text, (size_t)t, back, sizeof(back)) == (int)size);
    CHECK(memcmp(back, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    int rc;

    if (data == NULL) {
        data = empty; /* libFuzzer may hand an empty input as NULL */
        size = 0;
    }
    rc = pfwd_parse(data, size, &first);
    CHECK(known_code(rc));
    CHECK(rc != PFWD_EOVERSIZE || size > PFWD_MAX_DATAGRAM);
    CHECK(rc != PFWD_ESHORT || size < 12);
    if (rc == 0) {
        check_message(data, size);
    }
    check_base64(data, size);
    return 0;
}
