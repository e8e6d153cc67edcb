/* SPDX-License-Identifier: MIT
 * TFP v1 messages as cJSON objects (see tfp_json.h). Every wire integer becomes a JSON
 * number holding the same value (all fit a double exactly, uptime_s included); the only
 * derived value is confidence, the wire byte divided by 255.
 */
#include "util/tfp_json.h"

#include <errno.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "proto/classes.h"
#include "proto/tfp.h"

/* Long enough for "class_255". */
#define CLASS_NAME_FALLBACK_LEN 16

const char *tfp_json_default_class_name(void *arg, uint8_t class_id)
{
    (void)arg;
    return proto_class_name(class_id);
}

const char *tfp_json_kind(uint8_t port)
{
    switch (port) {
    case PROTO_TFP_PORT_DETECTIONS:
        return "detection";
    case PROTO_TFP_PORT_HEALTH:
        return "health";
    case PROTO_TFP_PORT_ANOMALY:
        return "anomaly";
    default:
        return NULL;
    }
}

static int add_number(cJSON *obj, const char *key, double v)
{
    return cJSON_AddNumberToObject(obj, key, v) != NULL ? 0 : -ENOMEM;
}

int tfp_json_add_detection(cJSON *obj, const struct proto_tfp_detection *d,
                           tfp_json_class_name_cb names, void *arg)
{
    char fallback[CLASS_NAME_FALLBACK_LEN];
    const char *name;

    if (obj == NULL || d == NULL) {
        return -EINVAL;
    }
    if (names == NULL) {
        names = tfp_json_default_class_name;
    }
    name = names(arg, d->class_id);
    if (name == NULL) {
        /* An id without a name keeps its number visible rather than becoming "unknown",
         * which is class 0's own name. */
        (void)snprintf(fallback, sizeof(fallback), "class_%u", (unsigned)d->class_id);
        name = fallback;
    }
    if (cJSON_AddStringToObject(obj, "class", name) == NULL) {
        return -ENOMEM;
    }
    if (add_number(obj, "class_id", d->class_id) < 0 ||
        add_number(obj, "confidence", (double)d->confidence / 255.0) < 0 ||
        add_number(obj, "age_s", d->age_s) < 0 ||
        add_number(obj, "duration_s", d->duration_s) < 0 ||
        add_number(obj, "level_db", d->level_db) < 0) {
        return -ENOMEM;
    }
    return 0;
}

int tfp_json_add_health(cJSON *obj, const struct proto_tfp_health *h)
{
    if (obj == NULL || h == NULL) {
        return -EINVAL;
    }
    if (add_number(obj, "battery_mv", h->battery_mv) < 0 ||
        add_number(obj, "temp_c", h->temp_c) < 0 || add_number(obj, "uptime_s", h->uptime_s) < 0 ||
        add_number(obj, "model_id", h->model_id) < 0 ||
        add_number(obj, "model_ver", h->model_ver) < 0 ||
        add_number(obj, "inferences", h->inferences) < 0 ||
        add_number(obj, "detections", h->detections) < 0 ||
        add_number(obj, "tx_failures", h->tx_failures) < 0) {
        return -ENOMEM;
    }
    /* Version 2, a node learning its machine: its state (absent for version 1). */
    if (h->learn != PROTO_TFP_LEARN_NONE &&
        (cJSON_AddStringToObject(
             obj, "learn", h->learn == PROTO_TFP_LEARN_READY ? "ready" : "learning") == NULL ||
         add_number(obj, "learn_progress", h->learn_progress) < 0 ||
         add_number(obj, "learn_threshold", h->learn_threshold) < 0)) {
        return -ENOMEM;
    }
    return 0;
}

int tfp_json_add_anomaly(cJSON *obj, const struct proto_tfp_anomaly *a)
{
    if (obj == NULL || a == NULL) {
        return -EINVAL;
    }
    if (add_number(obj, "windows", a->windows) < 0 ||
        add_number(obj, "anomalous", a->anomalous) < 0 ||
        add_number(obj, "score_mean", a->score_mean) < 0 ||
        add_number(obj, "score_max", a->score_max) < 0 ||
        add_number(obj, "peak_band", a->peak_band) < 0 ||
        add_number(obj, "period_s", a->period_s) < 0) {
        return -ENOMEM;
    }
    return 0;
}

static int add_records(cJSON *obj, const struct proto_tfp_msg *msg, tfp_json_class_name_cb names,
                       void *arg)
{
    cJSON *records;
    unsigned i;

    if (msg->u.det.count == 0 || msg->u.det.count > PROTO_TFP_MAX_RECORDS) {
        return -EINVAL;
    }
    records = cJSON_AddArrayToObject(obj, "records");
    if (records == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < msg->u.det.count; i++) {
        cJSON *rec = cJSON_CreateObject();

        if (rec == NULL) {
            return -ENOMEM;
        }
        /* Attach first so that @obj owns @rec whatever happens next. */
        if (!cJSON_AddItemToArray(records, rec)) {
            cJSON_Delete(rec);
            return -ENOMEM;
        }
        if (tfp_json_add_detection(rec, &msg->u.det.rec[i], names, arg) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

cJSON *tfp_json_msg(const struct proto_tfp_msg *msg, tfp_json_class_name_cb names, void *arg)
{
    cJSON *obj = NULL;
    const char *kind;
    int rc;

    if (msg == NULL) {
        goto fail;
    }
    kind = tfp_json_kind(msg->port);
    if (kind == NULL) {
        goto fail;
    }
    obj = cJSON_CreateObject();
    if (obj == NULL || cJSON_AddStringToObject(obj, "kind", kind) == NULL) {
        goto fail;
    }
    switch (msg->port) {
    case PROTO_TFP_PORT_DETECTIONS:
        rc = add_records(obj, msg, names, arg);
        break;
    case PROTO_TFP_PORT_HEALTH:
        rc = tfp_json_add_health(obj, &msg->u.health);
        break;
    default: /* PROTO_TFP_PORT_ANOMALY: tfp_json_kind() let no other port through */
        rc = tfp_json_add_anomaly(obj, &msg->u.anomaly);
        break;
    }
    if (rc < 0) {
        goto fail;
    }
    return obj;

fail:
    cJSON_Delete(obj);
    return NULL;
}
