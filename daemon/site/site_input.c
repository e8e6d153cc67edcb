/* SPDX-License-Identifier: MIT
 * The site input message (site_input.h): cJSON both ways, and the set of frames seen.
 */
#include "site/site_input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/hex.h"

static bool add_det(cJSON *o, const struct store_uplink *up)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "det");
    unsigned i;

    for (i = 0; arr != NULL && i < up->msg->u.det.count && i < SITE_INPUT_DET_MAX; i++) {
        const struct proto_tfp_detection *d = &up->msg->u.det.rec[i];
        double v[3] = {d->class_id, d->confidence,
                       (double)(up->rx->time_ms - (int64_t)d->age_s * 1000)};
        cJSON *row = cJSON_CreateDoubleArray(v, 3);

        if (row == NULL || !cJSON_AddItemToArray(arr, row)) {
            cJSON_Delete(row);
            return false;
        }
    }
    return arr != NULL;
}

static bool add_kind(cJSON *o, const struct store_uplink *up)
{
    const struct proto_tfp_msg *m = up->msg;

    if (m == NULL) {
        return cJSON_AddStringToObject(o, "kind", "seen") != NULL;
    }
    if (m->port == PROTO_TFP_PORT_DETECTIONS) {
        return cJSON_AddStringToObject(o, "kind", "detection") != NULL && add_det(o, up);
    }
    if (m->port == PROTO_TFP_PORT_HEALTH) {
        return cJSON_AddStringToObject(o, "kind", "health") != NULL &&
               cJSON_AddNumberToObject(o, "battery_mv", m->u.health.battery_mv) != NULL;
    }
    if (m->port == PROTO_TFP_PORT_ANOMALY) {
        const struct proto_tfp_anomaly *a = &m->u.anomaly;
        double v[6] = {a->windows,   a->anomalous, a->score_mean,
                       a->score_max, a->peak_band, a->period_s};
        cJSON *arr = cJSON_CreateDoubleArray(v, 6);

        if (arr == NULL || !cJSON_AddItemToObject(o, "anomaly", arr)) {
            cJSON_Delete(arr);
            return false;
        }
        return cJSON_AddStringToObject(o, "kind", "anomaly") != NULL;
    }
    return cJSON_AddStringToObject(o, "kind", "seen") != NULL;
}

char *site_input_json(const char *gateway, const struct store_uplink *up,
                      const struct fusion_node *n)
{
    cJSON *o = cJSON_CreateObject();
    char hex[9];
    char *text = NULL;

    (void)snprintf(hex, sizeof(hex), "%08" PRIX32, up->devaddr);
    if (o != NULL && cJSON_AddStringToObject(o, "gateway", gateway) != NULL &&
        cJSON_AddStringToObject(o, "devaddr", hex) != NULL &&
        cJSON_AddNumberToObject(o, "fcnt", up->fcnt) != NULL &&
        cJSON_AddNumberToObject(o, "received_ms", (double)up->rx->time_ms) != NULL &&
        (!n->has_position || (cJSON_AddNumberToObject(o, "lat", n->lat) != NULL &&
                              cJSON_AddNumberToObject(o, "lon", n->lon) != NULL)) &&
        (n->zone == NULL || n->zone[0] == '\0' ||
         cJSON_AddStringToObject(o, "zone", n->zone) != NULL) &&
        add_kind(o, up)) {
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return text;
}

/* A number of @o in [lo, hi] into *@out. */
static bool num(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static bool str(const cJSON *o, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        return false;
    }
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

static bool parse_det(const cJSON *o, struct site_input *in)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "det");
    const cJSON *row;

    if (!cJSON_IsArray(arr)) {
        return false;
    }
    cJSON_ArrayForEach(row, arr)
    {
        const cJSON *c = cJSON_GetArrayItem(row, 0);
        const cJSON *p = cJSON_GetArrayItem(row, 1);
        const cJSON *t = cJSON_GetArrayItem(row, 2);

        if (in->n_det == SITE_INPUT_DET_MAX || cJSON_GetArraySize(row) != 3 || !cJSON_IsNumber(c) ||
            !cJSON_IsNumber(p) || !cJSON_IsNumber(t) || c->valuedouble < 0 ||
            c->valuedouble > 255 || p->valuedouble < 0 || p->valuedouble > 255) {
            return false;
        }
        in->det_class[in->n_det] = (uint8_t)c->valuedouble;
        in->det_conf[in->n_det] = (uint8_t)p->valuedouble;
        in->det_time_ms[in->n_det] = (int64_t)t->valuedouble;
        in->n_det++;
    }
    return true;
}

static bool parse_anomaly(const cJSON *o, struct site_input *in)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "anomaly");
    double v[6];
    int i;

    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 6) {
        return false;
    }
    for (i = 0; i < 6; i++) {
        const cJSON *x = cJSON_GetArrayItem(arr, i);

        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > (i == 5 ? 65535 : 255)) {
            return false;
        }
        v[i] = x->valuedouble;
    }
    in->anomaly.windows = (uint8_t)v[0];
    in->anomaly.anomalous = (uint8_t)v[1];
    in->anomaly.score_mean = (uint8_t)v[2];
    in->anomaly.score_max = (uint8_t)v[3];
    in->anomaly.peak_band = (uint8_t)v[4];
    in->anomaly.period_s = (uint16_t)v[5];
    return true;
}

static bool parse_kind(const cJSON *o, struct site_input *in)
{
    char kind[16];
    double mv;

    if (!str(o, "kind", kind, sizeof(kind))) {
        return false;
    }
    if (strcmp(kind, "seen") == 0) {
        in->port = 0;
        return true;
    }
    if (strcmp(kind, "detection") == 0) {
        in->port = PROTO_TFP_PORT_DETECTIONS;
        return parse_det(o, in);
    }
    if (strcmp(kind, "health") == 0 && num(o, "battery_mv", 0, 65535, &mv)) {
        in->port = PROTO_TFP_PORT_HEALTH;
        in->battery_mv = (uint16_t)mv;
        return true;
    }
    in->port = PROTO_TFP_PORT_ANOMALY;
    return strcmp(kind, "anomaly") == 0 && parse_anomaly(o, in);
}

int site_input_parse(const char *json, int len, struct site_input *out)
{
    cJSON *o = cJSON_ParseWithLength(json, (size_t)len);
    char hex[16];
    double fcnt;
    double rx;
    bool ok;

    memset(out, 0, sizeof(*out));
    ok = o != NULL && str(o, "gateway", out->gateway, sizeof(out->gateway)) &&
         str(o, "devaddr", hex, sizeof(hex)) &&
         hex_decode_devaddr(hex, &out->devaddr, NULL, 0) == 0 &&
         num(o, "fcnt", 0, 4294967295.0, &fcnt) && num(o, "received_ms", 0, 1e15, &rx) &&
         parse_kind(o, out);
    if (ok) {
        out->fcnt = (uint32_t)fcnt;
        out->received_ms = (int64_t)rx;
        out->has_position =
            num(o, "lat", -90, 90, &out->lat) && num(o, "lon", -180, 180, &out->lon);
        if (!str(o, "zone", out->zone, sizeof(out->zone))) {
            out->zone[0] = '\0';
        }
    }
    cJSON_Delete(o);
    return ok ? 0 : -EINVAL;
}

/* ---- frames seen: a FIFO ring and an open-addressing index into it ---- */

#define INDEX_SLOTS (SITE_SEEN_MAX * 2u)

struct site_seen {
    uint64_t ring[SITE_SEEN_MAX]; /* keys, oldest at @head once full */
    unsigned head;
    unsigned len;
    uint64_t index[INDEX_SLOTS]; /* key + 1; 0 = empty */
};

int site_seen_new(struct site_seen **out)
{
    *out = calloc(1, sizeof(**out));
    return *out != NULL ? 0 : -ENOMEM;
}

void site_seen_free(struct site_seen *s)
{
    free(s);
}

static unsigned slot_of(uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 32) % INDEX_SLOTS;
}

static bool index_has(const struct site_seen *s, uint64_t key)
{
    unsigned i = slot_of(key);

    while (s->index[i] != 0) {
        if (s->index[i] == key + 1) {
            return true;
        }
        i = (i + 1) % INDEX_SLOTS;
    }
    return false;
}

/* Backward-shift deletion keeps every probe chain whole (no tombstones). */
static void index_del(struct site_seen *s, uint64_t key)
{
    unsigned i = slot_of(key);
    unsigned j;

    while (s->index[i] != key + 1) {
        if (s->index[i] == 0) {
            return;
        }
        i = (i + 1) % INDEX_SLOTS;
    }
    j = i;
    for (;;) {
        unsigned home;

        s->index[i] = 0;
        do {
            j = (j + 1) % INDEX_SLOTS;
            if (s->index[j] == 0) {
                return;
            }
            home = slot_of(s->index[j] - 1);
        } while (i <= j ? (i < home && home <= j) : (i < home || home <= j));
        s->index[i] = s->index[j];
        i = j;
    }
}

bool site_seen_add(struct site_seen *s, uint32_t devaddr, uint32_t fcnt)
{
    uint64_t key = (uint64_t)devaddr << 32 | fcnt;
    unsigned i;

    if (index_has(s, key)) {
        return false;
    }
    if (s->len == SITE_SEEN_MAX) {
        index_del(s, s->ring[s->head]);
        s->ring[s->head] = key;
        s->head = (s->head + 1) % SITE_SEEN_MAX;
    } else {
        s->ring[(s->head + s->len) % SITE_SEEN_MAX] = key;
        s->len++;
    }
    i = slot_of(key);
    while (s->index[i] != 0) {
        i = (i + 1) % INDEX_SLOTS;
    }
    s->index[i] = key + 1;
    return true;
}
