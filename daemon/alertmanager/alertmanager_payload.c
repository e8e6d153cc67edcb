/* SPDX-License-Identifier: MIT
 * An alert transition's JSON (alert_json.h) to Alertmanager's API v2 alert objects
 * (POST /api/v2/alerts: labels, annotations, startsAt, endsAt, generatorURL), with cJSON.
 * Label and annotation values are strings in that API, so numbers are written as text.
 */
#include "alertmanager/alertmanager_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/rfc3339.h"

static const char *const levels[] = {"watch", "warning", "critical"};
#define LEVELS   (sizeof(levels) / sizeof(levels[0]))
#define TEXT_LEN 512u /* a generatorURL: base URL ([web], < 256) and the path */

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool add_time(cJSON *o, const char *name, int64_t ms)
{
    char text[RFC3339_LEN];

    rfc3339_format(ms, text);
    return cJSON_AddStringToObject(o, name, text) != NULL;
}

/* A number of the alert JSON as annotation text ("" when absent or null). */
static bool add_number(cJSON *to, const char *name, const cJSON *from)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, name);
    char text[32];

    if (!cJSON_IsNumber(v)) {
        return true;
    }
    (void)snprintf(text, sizeof(text), "%.15g", v->valuedouble);
    return cJSON_AddStringToObject(to, name, text) != NULL;
}

static bool add_nodes(cJSON *to, const cJSON *from)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(from, "nodes");
    const cJSON *n;
    char text[9 * 64 + 1] = "";
    size_t used = 0;

    cJSON_ArrayForEach(n, list)
    {
        if (cJSON_IsString(n) && used + strlen(n->valuestring) + 2 < sizeof(text)) {
            used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", used > 0 ? "," : "",
                                     n->valuestring);
        }
    }
    return cJSON_AddStringToObject(to, "nodes", text) != NULL;
}

static bool add_annotations(cJSON *alert, const cJSON *j, const char *first, const char *last)
{
    cJSON *an = cJSON_AddObjectToObject(alert, "annotations");
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(j, "ack");
    char text[512];
    bool ok;

    if (an == NULL) {
        return false;
    }
    (void)snprintf(text, sizeof(text), "first seen %s, last seen %s", first, last);
    ok = cJSON_AddStringToObject(an, "summary", str_of(j, "message")) != NULL && add_nodes(an, j) &&
         add_number(an, "confidence", j) && add_number(an, "seq", j) && add_number(an, "lat", j) &&
         add_number(an, "lon", j) && cJSON_AddStringToObject(an, "description", text) != NULL;
    if (ok && cJSON_IsObject(ack) && str_of(ack, "by") != NULL && str_of(ack, "time") != NULL) {
        (void)snprintf(text, sizeof(text), "acknowledged by %s at %s", str_of(ack, "by"),
                       str_of(ack, "time"));
        ok = cJSON_AddStringToObject(an, "ack", text) != NULL;
    }
    return ok;
}

/* One Alertmanager alert of @j at level @level, ending at @ends_ms. */
static int add_one(cJSON *arr, const cJSON *j, const char *level, int64_t ends_ms,
                   const struct alertmanager__ctx *ctx)
{
    cJSON *alert = cJSON_CreateObject();
    cJSON *labels = alert != NULL ? cJSON_AddObjectToObject(alert, "labels") : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const char *first = str_of(j, "first_seen");
    char text[TEXT_LEN];
    bool ok;

    if (labels == NULL) {
        cJSON_Delete(alert);
        return -ENOMEM;
    }
    (void)snprintf(text, sizeof(text), "%.0f", id->valuedouble);
    ok = cJSON_AddStringToObject(labels, "alertname", str_of(j, "class")) != NULL &&
         cJSON_AddStringToObject(labels, "zone", str_of(j, "zone")) != NULL &&
         cJSON_AddStringToObject(labels, "key", str_of(j, "key")) != NULL &&
         cJSON_AddStringToObject(labels, "severity", level) != NULL &&
         cJSON_AddStringToObject(labels, "rule", str_of(j, "rule")) != NULL &&
         cJSON_AddStringToObject(labels, "gateway", str_of(j, "gateway")) != NULL &&
         cJSON_AddStringToObject(labels, "site", ctx->site) != NULL &&
         cJSON_AddStringToObject(labels, "alert_id", text) != NULL &&
         add_annotations(alert, j, first, str_of(j, "last_seen")) &&
         cJSON_AddStringToObject(alert, "startsAt", first) != NULL &&
         add_time(alert, "endsAt", ends_ms);
    if (ok && ctx->base_url != NULL) {
        (void)snprintf(text, sizeof(text), "%s#alert=%.0f", ctx->base_url, id->valuedouble);
        ok = cJSON_AddStringToObject(alert, "generatorURL", text) != NULL;
    }
    if (!ok || !cJSON_AddItemToArray(arr, alert)) {
        cJSON_Delete(alert);
        return -ENOMEM;
    }
    return 0;
}

/* The fields every alert JSON has (alert_json()); without them it is not one. */
static bool is_alert(const cJSON *j)
{
    static const char *const need[] = {"class", "zone",      "key",       "rule",
                                       "level", "state",     "message",   "gateway",
                                       "time",  "last_seen", "first_seen"};
    int64_t ms;
    size_t i;

    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "id"))) {
        return false;
    }
    for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (str_of(j, need[i]) == NULL) {
            return false;
        }
    }
    return rfc3339_parse(str_of(j, "first_seen"), &ms) == 0 &&
           rfc3339_parse(str_of(j, "time"), &ms) == 0;
}

int alertmanager__payload_add(cJSON *arr, const char *json, bool resolve_lower,
                              const struct alertmanager__ctx *ctx)
{
    cJSON *j = cJSON_Parse(json);
    int64_t cleared_ms = 0;
    size_t level = LEVELS;
    size_t i;
    bool cleared;
    int rc = 0;

    if (j == NULL || !is_alert(j)) {
        cJSON_Delete(j);
        return -EINVAL; /* cJSON cannot tell bad text from no memory */
    }
    for (i = 0; i < LEVELS; i++) {
        if (strcmp(str_of(j, "level"), levels[i]) == 0) {
            level = i;
        }
    }
    cleared = strcmp(str_of(j, "state"), "cleared") == 0;
    (void)rfc3339_parse(str_of(j, "time"), &cleared_ms);
    if (level == LEVELS) {
        rc = -EINVAL;
    }
    for (i = 0; rc == 0 && resolve_lower && i < level; i++) {
        rc = add_one(arr, j, levels[i], ctx->now_ms, ctx);
    }
    if (rc == 0) {
        rc =
            add_one(arr, j, levels[level], cleared ? cleared_ms : ctx->now_ms + ctx->ahead_ms, ctx);
    }
    cJSON_Delete(j);
    return rc;
}

bool alertmanager__cleared_silence(const char *json, char *out, size_t cap)
{
    cJSON *j = cJSON_Parse(json);
    const char *state = str_of(j, "state");
    const char *id = str_of(cJSON_GetObjectItemCaseSensitive(j, "ack"), "silence");
    bool ok = state != NULL && strcmp(state, "cleared") == 0 && id != NULL && id[0] != '\0' &&
              strlen(id) < cap;

    if (ok) {
        memcpy(out, id, strlen(id) + 1);
    }
    cJSON_Delete(j);
    return ok;
}
