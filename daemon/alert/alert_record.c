/* SPDX-License-Identifier: MIT
 * An alert transition's rows and outbox messages, in the open batch (alert_record.h).
 */
#include "alert/alert_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "alert/alert_json.h"
#include "mqtt/homeassistant.h"
#include "util/log.h"
#include "util/rfc3339.h"

#define TOPIC_LEN 256u
/* Rows a transition may drop at the outbox's bound: more than the two it adds, so that it
 * also takes a little of what is above a lowered bound; the rest goes in steps of its own
 * (poststore.c), never in one long statement. */
#define TRIM_ROWS 16

static int topic(char *out, const char *prefix, const char *kind, const struct fusion_alert *a)
{
    int n = snprintf(out, TOPIC_LEN, "%s/%s/%s/%s", prefix, kind, a->class_name, a->key);

    return n > 0 && (size_t)n < TOPIC_LEN ? 0 : -ENAMETOOLONG;
}

static int queue_messages(struct store *s, struct mqtt *m, const struct config_mqtt *cfg,
                          const struct fusion_alert *a, const char *json)
{
    char alert_topic[TOPIC_LEN];
    char state_topic[TOPIC_LEN];
    int64_t dropped = 0;
    int rc;

    rc = topic(alert_topic, cfg->prefix, "alert", a);
    rc = rc < 0 ? rc : topic(state_topic, cfg->prefix, "state/alert", a);
    rc = rc < 0 ? rc : store_outbox_add(s, alert_topic, json, false, a->time_ms);
    /* The retained state is emptied when the alert clears: a new subscriber sees only what
     * is active. */
    rc = rc < 0 ? rc
                : store_outbox_add(s, state_topic, a->state == FUSION_CLEARED ? "" : json, true,
                                   a->time_ms);
    rc = rc < 0 ? rc
                : homeassistant_alert(s, cfg, a->class_name, a->key, a->state != FUSION_CLEARED,
                                      json, a->time_ms);
    rc = rc < 0 ? rc : store_outbox_trim(s, cfg->outbox_max, TRIM_ROWS, &dropped);
    if (rc < 0) {
        return rc;
    }
    if (dropped > 0) {
        log_warning("mqtt outbox full (%u rows): dropped the %" PRId64
                    " oldest undelivered messages",
                    cfg->outbox_max, dropped);
    }
    mqtt_note_outbox(m);
    return 0;
}

/* @json with the alert's acknowledgement as "ack" ({"by", "time", "note", "silence"}), when
 * it has one (`tinyfleet alerts ack`): subscribers learn that somebody is on it. Return: the
 * text to use (@json itself, or a new one and @json freed), NULL when out of memory. */
static char *with_ack(struct store *s, int64_t id, char *json)
{
    struct store_ack ack;
    char when[RFC3339_LEN];
    cJSON *o;
    cJSON *k;
    char *text = NULL;

    if (store_ack_get(s, id, &ack) != 0) {
        return json; /* none; a failed read leaves the transition without it, not undone */
    }
    rfc3339_format(ack.time_ms, when);
    o = cJSON_Parse(json);
    k = o != NULL ? cJSON_AddObjectToObject(o, "ack") : NULL;
    if (k != NULL && cJSON_AddStringToObject(k, "by", ack.by) != NULL &&
        cJSON_AddStringToObject(k, "time", when) != NULL &&
        cJSON_AddStringToObject(k, "note", ack.note) != NULL &&
        cJSON_AddStringToObject(k, "silence", ack.silence_id) != NULL) {
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    cJSON_free(json);
    return text;
}

int alert_record(struct store *s, struct mqtt *m, struct alertmanager *am,
                 const struct config_mqtt *cfg, const char *gateway_id,
                 const struct fusion_alert *a)
{
    struct store_alert row;
    char *json = alert_json(a, gateway_id);
    int rc;

    json = json != NULL ? with_ack(s, a->id, json) : NULL;
    if (json == NULL) {
        return -ENOMEM;
    }
    row.id = a->id;
    row.seq = a->seq;
    row.class_name = a->class_name;
    row.topic_key = a->key;
    row.level = fusion_level_name(a->level);
    row.state = fusion_state_name(a->state);
    row.opened_ms = a->first_seen_ms;
    row.changed_ms = a->time_ms;
    row.json = json;
    rc = store_alert_transition(s, &row);
    if (rc == 0 && m != NULL) {
        rc = queue_messages(s, m, cfg, a, json);
    }
    if (rc == 0 && am != NULL) {
        rc = store_am_add(s, a->id, a->seq, json, a->time_ms);
        alertmanager_note_outbox(am);
    }
    if (rc == 0) {
        log_info("alert %" PRId64 " seq %" PRIu32 ": %s %s: %s", a->id, a->seq,
                 fusion_state_name(a->state), fusion_level_name(a->level), a->message);
    }
    cJSON_free(json);
    return rc;
}
