/* SPDX-License-Identifier: MIT
 * Superseded transitions out of the outbox (site_sync.h).
 */
#include "site/site_sync.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alert/alert_json.h"
#include "util/log.h"

int site_retained_parse(const char *json, struct site_retained *out)
{
    cJSON *o = cJSON_Parse(json);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
    const cJSON *gw = cJSON_GetObjectItemCaseSensitive(o, "gateway");
    const cJSON *zone = cJSON_GetObjectItemCaseSensitive(o, "zone");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "class");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(o, "state");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
    int rc = -EINVAL;

    if (cJSON_IsNumber(id) && cJSON_IsNumber(seq) && cJSON_IsString(gw) && seq->valuedouble >= 0 &&
        seq->valuedouble <= (double)UINT32_MAX) {
        out->id = (int64_t)id->valuedouble;
        out->seq = (uint32_t)seq->valuedouble;
        (void)snprintf(out->gateway, sizeof(out->gateway), "%s", gw->valuestring);
        /* a state without zone, class, key or state is never taken for an active alert */
        (void)snprintf(out->zone, sizeof(out->zone), "%s",
                       cJSON_IsString(zone) ? zone->valuestring : "");
        (void)snprintf(out->class_name, sizeof(out->class_name), "%s",
                       cJSON_IsString(cls) ? cls->valuestring : "");
        (void)snprintf(out->key, sizeof(out->key), "%s",
                       cJSON_IsString(key) ? key->valuestring : "");
        out->active = cJSON_IsString(state) && out->zone[0] != '\0' && out->key[0] != '\0' &&
                      fusion_state_parse(state->valuestring) >= 0 &&
                      fusion_state_parse(state->valuestring) != FUSION_CLEARED;
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

struct scan {
    const char *prefix;
    const char *me;
    const struct site_retained *r;
    unsigned n;
    site_sync_elsewhere_fn elsewhere;
    void *arg;
    int64_t *ids; /* rows to delete */
    size_t n_ids;
    size_t cap_ids;
    int err;
};

/* @topic is under "<prefix>/alert/" or "<prefix>/state/alert/". */
static bool alert_topic(const char *prefix, const char *topic)
{
    size_t n = strlen(prefix);

    return strncmp(topic, prefix, n) == 0 &&
           (strncmp(topic + n, "/alert/", 7) == 0 || strncmp(topic + n, "/state/alert/", 13) == 0);
}

const char *site_sync_superseded(const char *me, const struct site_retained *r, unsigned n,
                                 const struct fusion_alert *a, site_sync_elsewhere_fn elsewhere,
                                 void *arg, const struct site_retained **by)
{
    const struct site_retained *merge = NULL;
    bool published = false;
    unsigned i;

    for (i = 0; i < n; i++) {
        if (r[i].id != a->id) {
            if (merge == NULL && r[i].active && strcmp(r[i].gateway, me) != 0 &&
                strcmp(r[i].zone, a->zone) == 0 && strcmp(r[i].class_name, a->class_name) == 0 &&
                strcmp(r[i].key, a->key) == 0) {
                merge = &r[i];
            }
            continue;
        }
        published = true;
        if (strcmp(r[i].gateway, me) == 0) {
            continue;
        }
        *by = &r[i];
        if (r[i].seq >= a->seq) {
            return "published that seq already";
        }
        if (elsewhere(arg, a->zone)) {
            return "continues it and holds the zone";
        }
    }
    if (!published && merge != NULL && elsewhere(arg, a->zone)) {
        /* the owner's active alert is the herd's: ours, never sent, is merged into it */
        *by = merge;
        return "holds the zone, merged into its active alert";
    }
    return NULL;
}

static int on_row(const struct store_outbox_msg *m, void *arg)
{
    struct scan *sc = arg;
    const struct site_retained *by = NULL;
    struct fusion_alert *a;
    const char *why;
    char *json;

    if (m->payload_len == 0 || !alert_topic(sc->prefix, m->topic)) {
        return 0;
    }
    json = strndup(m->payload, m->payload_len);
    a = malloc(sizeof(*a));
    if (json == NULL || a == NULL) {
        free(json);
        free(a);
        sc->err = -ENOMEM;
        return 1;
    }
    why = alert_json_parse(json, a) == 0
              ? site_sync_superseded(sc->me, sc->r, sc->n, a, sc->elsewhere, sc->arg, &by)
              : NULL;
    if (why != NULL) {
        if (sc->n_ids == sc->cap_ids) {
            size_t cap = sc->cap_ids != 0 ? sc->cap_ids * 2 : 16;
            int64_t *ids = realloc(sc->ids, cap * sizeof(*ids));

            if (ids == NULL) {
                free(json);
                free(a);
                sc->err = -ENOMEM;
                return 1;
            }
            sc->ids = ids;
            sc->cap_ids = cap;
        }
        sc->ids[sc->n_ids++] = m->id;
        log_notice("site: alert %" PRId64 " seq %" PRIu32 " (%s) not sent: %s %s (alert %" PRId64
                   " seq %" PRIu32 ")",
                   a->id, a->seq, m->topic, by->gateway, why, by->id, by->seq);
    }
    free(json);
    free(a);
    return 0;
}

int site_sync_drop(struct store *s, const char *prefix, const char *me,
                   const struct site_retained *r, unsigned n, site_sync_elsewhere_fn elsewhere,
                   void *arg, unsigned *dropped)
{
    struct scan sc = {prefix, me, r, n, elsewhere, arg, NULL, 0, 0, 0};
    size_t i;
    int rc;

    *dropped = 0;
    if (n == 0) {
        return 0; /* nothing retained from anyone: nothing superseded */
    }
    rc = store_outbox_foreach(s, 0, 0, on_row, &sc);
    rc = rc < 0 ? rc : sc.err;
    for (i = 0; rc == 0 && i < sc.n_ids; i++) {
        rc = store_outbox_delete(s, sc.ids[i]);
    }
    *dropped = rc == 0 ? (unsigned)sc.n_ids : 0;
    free(sc.ids);
    return rc;
}
