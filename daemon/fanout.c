/* SPDX-License-Identifier: MIT
 * From a stored frame to fusion and MQTT (see fanout.h).
 */
#include "fanout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "alert/alert_record.h"
#include "alert/alert_restore.h"
#include "alert/fusion.h"
#include "util/log.h"
#include "mqtt/mqtt.h"
#include "util/rfc3339.h"
#include "util/tfp_json.h"

#define TICK_MS   1000u
#define TOPIC_LEN 256u

struct fanout {
    uv_loop_t *loop;
    const struct config *cfg;
    struct store *store;
    struct fusion *fusion;
    struct mqtt *mqtt; /* NULL without [mqtt] host */
    uv_timer_t tick;
    struct log_limit fail_limit;
};

/* The registry's position and zone of @devaddr for fusion (store_node_place(): cached in the
 * store, current with the CLI's changes). A node that cannot be read goes to fusion without
 * them. @place is the storage the zone points into. */
static struct fusion_node fusion_node_of(struct fanout *f, uint32_t devaddr,
                                         struct store_node *place)
{
    struct fusion_node fn = {devaddr, false, 0, 0, NULL};

    if (store_node_place(f->store, devaddr, place) == 0) {
        fn.has_position = place->has_position;
        fn.lat = place->lat;
        fn.lon = place->lon;
        fn.zone = place->zone;
    }
    return fn;
}

/* ---- fusion's transitions ---- */

static int on_alert(const struct fusion_alert *a, void *arg)
{
    struct fanout *f = arg;
    int rc = alert_record(f->store, f->mqtt, f->cfg, a);

    if (rc < 0) {
        (void)log_limited(&f->fail_limit, LOG_ERR,
                          "alert %" PRId64 " seq %" PRIu32 " not stored, fusion retries it: %s",
                          a->id, a->seq, rc == -EIO ? store_errmsg(f->store) : strerror(-rc));
    }
    return rc;
}

/* ---- the QoS 0 messages of stored events ---- */

static const char *class_name(void *arg, uint8_t class_id)
{
    return config_class_name(arg, class_id);
}

/* Queues @o (consumed) on @topic, with the frame's common fields first. */
static void queue_json(struct fanout *f, const char *topic, cJSON *o, const struct store_uplink *up,
                       bool retain)
{
    char hex[9];
    char when[RFC3339_LEN];
    char *text = NULL;

    (void)snprintf(hex, sizeof(hex), "%08" PRIX32, up->devaddr);
    rfc3339_format(up->rx->time_ms, when);
    if (o != NULL && cJSON_AddStringToObject(o, "devaddr", hex) != NULL &&
        cJSON_AddNumberToObject(o, "fcnt", up->fcnt) != NULL &&
        cJSON_AddStringToObject(o, "received", when) != NULL) {
        text = cJSON_PrintUnformatted(o);
    }
    if (text != NULL) {
        mqtt_queue_volatile(f->mqtt, topic, text, retain);
        cJSON_free(text);
    }
    cJSON_Delete(o);
}

static void publish_detection(struct fanout *f, const struct store_uplink *up,
                              const struct proto_tfp_detection *d)
{
    char topic[TOPIC_LEN];
    char when[RFC3339_LEN];
    const char *name = config_class_name(f->cfg, d->class_id);
    cJSON *o = cJSON_CreateObject();
    int n;

    n = name != NULL ? snprintf(topic, sizeof(topic), "%s/event/%s/%08" PRIX32, f->cfg->mqtt.prefix,
                                name, up->devaddr)
                     : snprintf(topic, sizeof(topic), "%s/event/class_%u/%08" PRIX32,
                                f->cfg->mqtt.prefix, d->class_id, up->devaddr);
    rfc3339_format(up->rx->time_ms - (int64_t)d->age_s * 1000, when);
    if (n < 0 || (size_t)n >= sizeof(topic) || o == NULL ||
        cJSON_AddStringToObject(o, "kind", "detection") == NULL ||
        cJSON_AddStringToObject(o, "time", when) == NULL ||
        tfp_json_add_detection(o, d, class_name, (void *)f->cfg) < 0) {
        cJSON_Delete(o);
        return;
    }
    queue_json(f, topic, o, up, false);
}

static void publish_health(struct fanout *f, const struct store_uplink *up,
                           const struct proto_tfp_health *h)
{
    char topic[TOPIC_LEN];
    cJSON *o = cJSON_CreateObject();
    int n = snprintf(topic, sizeof(topic), "%s/node/%08" PRIX32 "/health", f->cfg->mqtt.prefix,
                     up->devaddr);

    if (n < 0 || (size_t)n >= sizeof(topic) || o == NULL ||
        cJSON_AddStringToObject(o, "kind", "health") == NULL || tfp_json_add_health(o, h) < 0) {
        cJSON_Delete(o);
        return;
    }
    queue_json(f, topic, o, up, true);
}

/* ---- the store hook ---- */

static void note_fusion_failure(struct fanout *f, int rc, uint32_t devaddr)
{
    /* An emit failure is logged by on_alert() and retried by fusion; -ENOMEM drops one input.
     * Neither is a reason to refuse a frame that is stored. */
    if (rc == -ENOMEM) {
        (void)log_limited(&f->fail_limit, LOG_ERR,
                          "node %08" PRIX32 ": out of memory in fusion, "
                          "an input was dropped",
                          devaddr);
    }
}

static int on_uplink(void *arg, const struct store_uplink *up)
{
    struct fanout *f = arg;
    const struct proto_tfp_msg *m = up->msg;
    int64_t now = up->rx->time_ms;
    struct store_node place;
    struct fusion_node fn = fusion_node_of(f, up->devaddr, &place);
    bool events = f->mqtt != NULL && f->cfg->mqtt.publish_events;
    unsigned i;
    int rc = 0;

    if (m == NULL) {
        rc = fusion_seen(f->fusion, &fn, now);
    } else if (m->port == PROTO_TFP_PORT_DETECTIONS) {
        for (i = 0; i < m->u.det.count; i++) {
            const struct proto_tfp_detection *d = &m->u.det.rec[i];
            int r = fusion_detection(f->fusion, &fn, d->class_id, d->confidence,
                                     now - (int64_t)d->age_s * 1000, now);

            rc = rc != 0 ? rc : r;
            if (events) {
                publish_detection(f, up, d);
            }
        }
    } else if (m->port == PROTO_TFP_PORT_HEALTH) {
        rc = fusion_health(f->fusion, &fn, m->u.health.battery_mv, now);
        if (f->mqtt != NULL) {
            publish_health(f, up, &m->u.health);
        }
    } else if (m->port == PROTO_TFP_PORT_ANOMALY) {
        rc = fusion_anomaly(f->fusion, &fn, &m->u.anomaly, now);
    }
    note_fusion_failure(f, rc, up->devaddr);
    return 0;
}

static void on_tick(uv_timer_t *t)
{
    struct fanout *f = t->data;

    /* A failed transition was logged by on_alert(); fusion retries it at the next tick. */
    int rc = fusion_tick(f->fusion, rfc3339_now_ms());

    (void)rc;
}

/* ---- start and stop ---- */

struct known_ctx {
    struct fanout *f;
    int64_t now_ms;
};

static int add_known(const struct store_node *n, void *arg)
{
    struct known_ctx *k = arg;
    struct fusion_node fn = {n->devaddr, n->has_position, n->lat, n->lon, n->zone};
    int rc = fusion_node_known(k->f->fusion, &fn, n->last_seen_ms, k->now_ms);

    if (rc == -ENOSPC) {
        log_warning("node %08" PRIX32 ": beyond fusion's node limit, no per-node alerts",
                    n->devaddr);
        return 0;
    }
    return rc;
}

struct replay_ctx {
    struct fanout *f;
    int64_t now_ms;
};

static int replay_one(const struct store_event *e, void *arg)
{
    struct replay_ctx *r = arg;
    const struct proto_tfp_detection *d = &e->msg.u.det.rec[0];
    struct store_node place;
    struct fusion_node fn;

    if (strcmp(e->kind, "detection") != 0) {
        return 0;
    }
    fn = fusion_node_of(r->f, e->devaddr, &place);
    return fusion_replay_detection(r->f->fusion, &fn, d->class_id, d->confidence, e->time_ms,
                                   r->now_ms);
}

/* The detections of the longest cluster window go back into the restored alerts' windows
 * (fusion_replay_detection()), so that a restart does not lower what the next detection
 * makes of an alert. */
static int replay_windows(struct fanout *f, int64_t now_ms)
{
    struct store_event_filter filter = {0};
    struct replay_ctx r = {f, now_ms};
    unsigned window_s = 0;
    unsigned i;

    for (i = 0; i < f->cfg->rule_count; i++) {
        if (f->cfg->rules[i].type == CONFIG_RULE_CLUSTER && f->cfg->rules[i].window_s > window_s) {
            window_s = f->cfg->rules[i].window_s;
        }
    }
    if (window_s == 0) {
        return 0;
    }
    filter.since_ms = now_ms - (int64_t)window_s * 1000;
    filter.class_id = -1;
    return store_events_foreach(f->store, &filter, replay_one, &r);
}

int fanout_start(uv_loop_t *loop, const struct config *cfg, struct store *s, struct fanout **out)
{
    struct fusion_opts opts = {0};
    struct known_ctx known;
    struct fanout *f = calloc(1, sizeof(*f));
    int restored;
    int rc;

    if (f == NULL) {
        return -ENOMEM;
    }
    f->loop = loop;
    f->cfg = cfg;
    f->store = s;
    log_limit_init(&f->fail_limit, "fusion failures", 5, 60000);
    opts.emit = on_alert;
    opts.arg = f;
    rc = fusion_new(cfg, &opts, &f->fusion);
    if (rc < 0) {
        free(f);
        return rc;
    }
    restored = alert_restore(s, f->fusion);
    known.f = f;
    known.now_ms = rfc3339_now_ms();
    rc = restored < 0 ? restored : store_node_foreach(s, add_known, &known);
    if (rc == 0 && restored > 0) {
        rc = replay_windows(f, known.now_ms);
    }
    if (rc == 0 && cfg->mqtt.host[0] != '\0') {
        rc = mqtt_start(loop, cfg, s, &f->mqtt);
    }
    if (rc < 0) {
        fusion_free(f->fusion);
        free(f);
        return rc == -ENOMEM || rc == -EINVAL ? rc : -EIO;
    }
    if (restored > 0) {
        log_info("fusion: continuing %d active alerts", restored);
    }
    (void)uv_timer_init(loop, &f->tick);
    f->tick.data = f;
    (void)uv_timer_start(&f->tick, on_tick, TICK_MS, TICK_MS);
    store_set_uplink_hook(s, on_uplink, f);
    *out = f;
    return 0;
}

void fanout_committed(struct fanout *f, int rc)
{
    if (f->mqtt != NULL) {
        mqtt_committed(f->mqtt, rc);
    }
}

void fanout_reload(struct fanout *f)
{
    if (fusion_set_config(f->fusion, f->cfg, rfc3339_now_ms()) != 0) {
        log_warning("fusion: some alerts of removed rules could not be cleared yet");
    }
}

static void on_tick_closed(uv_handle_t *h)
{
    struct fanout *f = h->data;

    fusion_free(f->fusion);
    free(f);
}

void fanout_stop(struct fanout *f)
{
    if (f == NULL) {
        return;
    }
    store_set_uplink_hook(f->store, NULL, NULL);
    mqtt_stop(f->mqtt);
    f->mqtt = NULL;
    (void)uv_timer_stop(&f->tick);
    uv_close((uv_handle_t *)&f->tick, on_tick_closed);
}
