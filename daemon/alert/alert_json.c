/* SPDX-License-Identifier: MIT
 * Alert transitions to JSON and back (alert_json.h).
 */
#include "alert/alert_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/rfc3339.h"

/* Fewer digits than a double has: 0.93 rather than 0.92999999999999994, and positions to
 * about 0.1 m (fusion.h: FUSION_CONFIDENCE_STEP, FUSION_DEGREE_STEP). */
static double rounded(double v, double scale)
{
    return round(v * scale) / scale;
}

static bool add_time(cJSON *o, const char *name, int64_t ms)
{
    char text[RFC3339_LEN];

    rfc3339_format(ms, text);
    return cJSON_AddStringToObject(o, name, text) != NULL;
}

char *alert_json(const struct fusion_alert *a, const char *gateway_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *nodes;
    char hex[9];
    char *text = NULL;
    bool ok;
    unsigned i;

    if (o == NULL) {
        return NULL;
    }
    ok = cJSON_AddNumberToObject(o, "id", (double)a->id) != NULL &&
         cJSON_AddNumberToObject(o, "seq", a->seq) != NULL &&
         cJSON_AddStringToObject(o, "class", a->class_name) != NULL &&
         cJSON_AddStringToObject(o, "zone", a->zone) != NULL &&
         cJSON_AddStringToObject(o, "key", a->key) != NULL &&
         cJSON_AddStringToObject(o, "rule", a->rule) != NULL &&
         cJSON_AddStringToObject(o, "level", fusion_level_name(a->level)) != NULL &&
         cJSON_AddStringToObject(o, "state", fusion_state_name(a->state)) != NULL &&
         cJSON_AddNumberToObject(o, "confidence",
                                 rounded(a->confidence, 1 / FUSION_CONFIDENCE_STEP)) != NULL;
    nodes = ok ? cJSON_AddArrayToObject(o, "nodes") : NULL;
    ok = nodes != NULL;
    for (i = 0; ok && i < a->node_count && i < FUSION_ALERT_NODES; i++) {
        cJSON *n;

        (void)snprintf(hex, sizeof(hex), "%08" PRIX32, a->nodes[i]);
        n = cJSON_CreateString(hex);
        ok = n != NULL && cJSON_AddItemToArray(nodes, n);
    }
    ok = ok && cJSON_AddBoolToObject(o, "nodes_truncated", a->nodes_truncated) != NULL &&
         cJSON_AddNumberToObject(o, "detections", a->detections) != NULL;
    if (ok && a->has_position) {
        ok = cJSON_AddNumberToObject(o, "lat", rounded(a->lat, 1 / FUSION_DEGREE_STEP)) != NULL &&
             cJSON_AddNumberToObject(o, "lon", rounded(a->lon, 1 / FUSION_DEGREE_STEP)) != NULL;
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "lat") != NULL && cJSON_AddNullToObject(o, "lon") != NULL;
    }
    ok = ok && add_time(o, "first_seen", a->first_seen_ms) &&
         add_time(o, "last_seen", a->last_seen_ms) && add_time(o, "time", a->time_ms) &&
         cJSON_AddStringToObject(o, "gateway", gateway_id) != NULL &&
         cJSON_AddStringToObject(o, "message", a->message) != NULL;
    if (ok) {
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return text;
}

/* ---- reading a stored message back ---- */

static bool get_string(const cJSON *o, const char *name, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        return false;
    }
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

static bool get_number(const cJSON *o, const char *name, double min, double max, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max)) {
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static bool get_time(const cJSON *o, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) && rfc3339_parse(v->valuestring, out) == 0;
}

static bool get_nodes(const cJSON *o, struct fusion_alert *a)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "nodes");
    const cJSON *n;
    char *end;

    if (!cJSON_IsArray(list)) {
        return false;
    }
    cJSON_ArrayForEach(n, list)
    {
        if (!cJSON_IsString(n) || strlen(n->valuestring) != 8 ||
            a->node_count == FUSION_ALERT_NODES) {
            return false;
        }
        a->nodes[a->node_count++] = (uint32_t)strtoul(n->valuestring, &end, 16);
        if (*end != '\0') {
            return false;
        }
    }
    return true;
}

int alert_json_parse(const char *json, struct fusion_alert *out)
{
    cJSON *o = cJSON_Parse(json);
    const cJSON *lat;
    double id = 0;
    double seq = 0;
    double detections = 0;
    char level[16];
    char state[16];
    int lv;
    int st;
    bool ok;

    memset(out, 0, sizeof(*out));
    if (o == NULL) {
        return -EINVAL;
    }
    ok = get_number(o, "id", 1, 9007199254740992.0, &id) &&
         get_number(o, "seq", 1, UINT32_MAX, &seq) &&
         get_string(o, "class", out->class_name, sizeof(out->class_name)) &&
         get_string(o, "zone", out->zone, sizeof(out->zone)) &&
         get_string(o, "key", out->key, sizeof(out->key)) &&
         get_string(o, "rule", out->rule, sizeof(out->rule)) &&
         get_string(o, "level", level, sizeof(level)) &&
         get_string(o, "state", state, sizeof(state)) &&
         get_number(o, "confidence", 0, 1, &out->confidence) && get_nodes(o, out) &&
         get_number(o, "detections", 0, UINT32_MAX, &detections) &&
         get_time(o, "first_seen", &out->first_seen_ms) &&
         get_time(o, "last_seen", &out->last_seen_ms) && get_time(o, "time", &out->time_ms) &&
         get_string(o, "message", out->message, sizeof(out->message));
    lv = ok ? fusion_level_parse(level) : -1;
    st = ok ? fusion_state_parse(state) : -1;
    lat = cJSON_GetObjectItemCaseSensitive(o, "lat");
    if (ok && cJSON_IsNumber(lat)) {
        out->has_position =
            get_number(o, "lat", -90, 90, &out->lat) && get_number(o, "lon", -180, 180, &out->lon);
        ok = out->has_position;
    }
    out->nodes_truncated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "nodes_truncated"));
    cJSON_Delete(o);
    if (!ok || lv < 0 || st < 0) {
        return -EINVAL;
    }
    out->id = (int64_t)id;
    out->seq = (uint32_t)seq;
    out->detections = (uint32_t)detections;
    out->level = (enum fusion_level)lv;
    out->state = (enum fusion_state)st;
    return 0;
}
