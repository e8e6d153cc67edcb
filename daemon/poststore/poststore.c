/* SPDX-License-Identifier: MIT
 * From a stored frame to fusion and MQTT (see poststore.h): the step between the store and
 * the alerts (alert/fusion.c, alert/alert_record.c) and the publisher (mqtt/mqtt.c).
 */
#include "poststore/poststore.h"

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
#include "mqtt/homeassistant.h"
#include "mqtt/mqtt.h"
#include "alertmanager/alertmanager.h"
#include "site/site.h"
#include "util/rfc3339.h"
#include "util/tfp_json.h"

#define TICK_MS   1000u
#define TOPIC_LEN 256u
/* Outbox rows deleted per loop turn above [mqtt] outbox_max (a bound lowered at a restart):
 * a few ms of SQLite work, as retention pruning takes. */
#define TRIM_STEP_ROWS 500
#define TRIM_STEP_MS   1u /* between steps, so I/O is served in between */

struct poststore {
    uv_loop_t *loop;
    const struct config_fusion *fusion_cfg; /* the daemon's, reloaded in place */
    const struct config_mqtt *mqtt_cfg;
    const char *gateway_id;
    struct store *store;
    struct fusion *fusion;
    struct mqtt *mqtt;        /* NULL without [mqtt] host */
    struct homeassistant *ha; /* with mqtt: Home Assistant discovery, or emptying it */
    bool ha_redo;             /* the last discovery sync failed: do it whole again */
    struct alertmanager *am;  /* NULL without [alertmanager] url */
    struct site *site;        /* [fusion] scope = site, else NULL */
    uv_timer_t tick;
    uv_timer_t trim; /* steps of an outbox above its bound */
    int64_t trimmed; /* rows dropped in the current round of steps */
    unsigned open;   /* handles not closed yet: p is freed when the last one is */
    struct log_limit fail_limit;
};

/* The registry's position and zone of @devaddr for fusion (store_node_place(): cached in the
 * store, current with the CLI's changes). A node that cannot be read goes to fusion without
 * them. @place is the storage the zone points into. */
static struct fusion_node fusion_node_of(struct poststore *p, uint32_t devaddr,
                                         struct store_node *place)
{
    struct fusion_node fn = {devaddr, false, 0, 0, NULL};

    if (store_node_place(p->store, devaddr, place) == 0) {
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
    struct poststore *p = arg;
    int rc;

    if (p->site != NULL && !site_may_publish(p->site, a)) {
        return -EAGAIN; /* another gateway owns the zone: fusion keeps the input, retries */
    }
    rc = alert_record(p->store, p->mqtt, p->am, p->mqtt_cfg, p->gateway_id, a);
    if (rc < 0) {
        (void)log_limited(&p->fail_limit, LOG_ERR,
                          "alert %" PRId64 " seq %" PRIu32 " not stored, fusion retries it: %s",
                          a->id, a->seq, rc == -EIO ? store_errmsg(p->store) : strerror(-rc));
    }
    return rc;
}

/* ---- the QoS 0 messages of stored events ---- */

static const char *class_name(void *arg, uint8_t class_id)
{
    return config_class_name(arg, class_id);
}

/* Queues @o (consumed) on @topic, with the frame's common fields first. */
static void queue_json(struct poststore *p, const char *topic, cJSON *o,
                       const struct store_uplink *up, bool retain)
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
        mqtt_queue_volatile(p->mqtt, topic, text, retain);
        cJSON_free(text);
    }
    cJSON_Delete(o);
}

static void publish_detection(struct poststore *p, const struct store_uplink *up,
                              const struct proto_tfp_detection *d)
{
    char topic[TOPIC_LEN];
    char when[RFC3339_LEN];
    const char *name = config_class_name(p->fusion_cfg, d->class_id);
    cJSON *o = cJSON_CreateObject();
    int n;

    n = name != NULL ? snprintf(topic, sizeof(topic), "%s/event/%s/%08" PRIX32, p->mqtt_cfg->prefix,
                                name, up->devaddr)
                     : snprintf(topic, sizeof(topic), "%s/event/class_%u/%08" PRIX32,
                                p->mqtt_cfg->prefix, d->class_id, up->devaddr);
    rfc3339_format(up->rx->time_ms - (int64_t)d->age_s * 1000, when);
    if (n < 0 || (size_t)n >= sizeof(topic) || o == NULL ||
        cJSON_AddStringToObject(o, "kind", "detection") == NULL ||
        cJSON_AddStringToObject(o, "time", when) == NULL ||
        tfp_json_add_detection(o, d, class_name, (void *)p->fusion_cfg) < 0) {
        cJSON_Delete(o);
        return;
    }
    queue_json(p, topic, o, up, false);
}

static void publish_health(struct poststore *p, const struct store_uplink *up,
                           const struct proto_tfp_health *h)
{
    char topic[TOPIC_LEN];
    cJSON *o = cJSON_CreateObject();
    int n = snprintf(topic, sizeof(topic), "%s/node/%08" PRIX32 "/health", p->mqtt_cfg->prefix,
                     up->devaddr);

    if (n < 0 || (size_t)n >= sizeof(topic) || o == NULL ||
        cJSON_AddStringToObject(o, "kind", "health") == NULL || tfp_json_add_health(o, h) < 0) {
        cJSON_Delete(o);
        return;
    }
    queue_json(p, topic, o, up, true);
}

/* ---- node commands ---- */

int poststore_command(struct poststore *p, const struct store_command *c, int64_t now_ms)
{
    char topic[TOPIC_LEN];
    char when[RFC3339_LEN];
    char devaddr[9];
    char *text = NULL;
    cJSON *o;
    int rc = -ENOMEM;
    int n;

    if (p == NULL || p->mqtt == NULL) {
        return 0;
    }
    n = snprintf(topic, sizeof(topic), "%s/node/%08" PRIX32 "/command/%" PRId64,
                 p->mqtt_cfg->prefix, c->devaddr, c->id);
    if (n < 0 || (size_t)n >= sizeof(topic)) {
        return -ENOMEM;
    }
    (void)snprintf(devaddr, sizeof(devaddr), "%08" PRIX32, c->devaddr);
    rfc3339_format(now_ms, when);
    o = cJSON_CreateObject();
    if (o != NULL && cJSON_AddNumberToObject(o, "id", (double)c->id) != NULL &&
        cJSON_AddStringToObject(o, "devaddr", devaddr) != NULL &&
        cJSON_AddStringToObject(
            o, "command", proto_cmd_name(c->op) ? proto_cmd_name(c->op) : "unknown") != NULL &&
        cJSON_AddStringToObject(o, "state", store_cmd_state_name(c->state)) != NULL &&
        cJSON_AddStringToObject(o, "status", c->status) != NULL &&
        cJSON_AddNumberToObject(o, "tries", c->tries) != NULL &&
        cJSON_AddStringToObject(o, "time", when) != NULL) {
        text = cJSON_PrintUnformatted(o);
    }
    if (text != NULL) {
        rc = store_outbox_add(p->store, topic, text, true, now_ms);
        if (rc == 0) {
            mqtt_note_outbox(p->mqtt);
        }
    }
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

/* ---- a stored frame ---- */

static void note_fusion_failure(struct poststore *p, int rc, uint32_t devaddr)
{
    /* An emit failure is logged by on_alert() and retried by fusion; -ENOMEM drops one input.
     * Neither is a reason to refuse a frame that is stored. */
    if (rc == -ENOMEM) {
        (void)log_limited(&p->fail_limit, LOG_ERR,
                          "node %08" PRIX32 ": out of memory in fusion, "
                          "an input was dropped",
                          devaddr);
    }
}

void poststore_frame(struct poststore *p, const struct store_uplink *up)
{
    const struct proto_tfp_msg *m = up->msg;
    int64_t now = up->rx->time_ms;
    struct store_node place;
    struct fusion_node fn;
    bool events;
    unsigned i;
    int rc = 0;

    if (p == NULL) {
        return;
    }
    fn = fusion_node_of(p, up->devaddr, &place);
    events = p->mqtt != NULL && p->mqtt_cfg->publish_events;
    homeassistant_seen(p->ha, up->devaddr, now);
    if (p->site != NULL && !site_frame(p->site, up, &fn)) {
        return; /* a peer heard this frame first and fusion has it */
    }
    if (m == NULL) {
        rc = fusion_seen(p->fusion, &fn, now);
    } else if (m->port == PROTO_TFP_PORT_DETECTIONS) {
        for (i = 0; i < m->u.det.count; i++) {
            const struct proto_tfp_detection *d = &m->u.det.rec[i];
            int r = fusion_detection(p->fusion, &fn, d->class_id, d->confidence,
                                     now - (int64_t)d->age_s * 1000, now);

            rc = rc != 0 ? rc : r;
            if (events) {
                publish_detection(p, up, d);
            }
        }
    } else if (m->port == PROTO_TFP_PORT_HEALTH) {
        rc = fusion_health(p->fusion, &fn, m->u.health.battery_mv, now);
        int lrc =
            fusion_learning(p->fusion, &fn, m->u.health.learn == PROTO_TFP_LEARN_LEARNING, now);
        rc = rc != 0 ? rc : lrc;
        if (p->mqtt != NULL) {
            publish_health(p, up, &m->u.health);
        }
    } else if (m->port == PROTO_TFP_PORT_ANOMALY) {
        rc = fusion_anomaly(p->fusion, &fn, &m->u.anomaly, now);
    }
    note_fusion_failure(p, rc, up->devaddr);
}

/* One step of an outbox above its bound, then the next one a loop turn later: in the batch,
 * committed by the group commit after this turn's I/O. */
static void on_trim(uv_timer_t *t)
{
    struct poststore *p = t->data;
    int64_t dropped = 0;
    int rc = store_outbox_trim(p->store, p->mqtt_cfg->outbox_max, TRIM_STEP_ROWS, &dropped);

    p->trimmed += dropped;
    if (rc > 0) {
        (void)uv_timer_start(&p->trim, on_trim, TRIM_STEP_MS, 0);
        return;
    }
    if (rc < 0) {
        (void)log_limited(&p->fail_limit, LOG_ERR, "mqtt outbox: cannot drop rows: %s",
                          store_errmsg(p->store));
    }
    if (p->trimmed > 0) {
        log_warning("mqtt outbox above outbox_max (%u rows): dropped the %" PRId64
                    " oldest undelivered messages",
                    p->mqtt_cfg->outbox_max, p->trimmed);
        p->trimmed = 0;
    }
}

enum ha_when {
    HA_POLL,    /* only if another connection wrote to the database */
    HA_CHANGED, /* what changed */
    HA_ALL      /* everything again */
};

/* Home Assistant discovery; a failure (logged) makes the next tick do it whole again. */
static void ha_sync(struct poststore *p, enum ha_when when)
{
    int64_t now = rfc3339_now_ms();
    int rc;

    if (p->ha == NULL) {
        return;
    }
    if (p->ha_redo) {
        when = HA_ALL;
    }
    rc = when == HA_POLL ? homeassistant_poll(p->ha, p->fusion_cfg, now)
                         : homeassistant_sync(p->ha, p->fusion_cfg, when == HA_ALL, now);
    p->ha_redo = rc < 0;
    if (rc < 0) {
        (void)log_limited(&p->fail_limit, LOG_ERR, "Home Assistant discovery not queued: %s",
                          rc == -EIO ? store_errmsg(p->store) : strerror(-rc));
    } else if (rc > 0) {
        log_info("Home Assistant discovery: %d messages queued", rc);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct poststore *p = t->data;

    /* A failed transition was logged by on_alert(); fusion retries it at the next tick. */
    int rc = fusion_tick(p->fusion, rfc3339_now_ms());

    (void)rc;
    /* A node added, removed or renamed with the CLI shows in the registry's data_version. */
    ha_sync(p, HA_POLL);
    /* Transitions keep the outbox within its bound a few rows at a time; what is above it
     * (the bound was lowered) goes in steps. */
    if (!uv_is_active((uv_handle_t *)&p->trim)) {
        on_trim(&p->trim);
    }
}

/* ---- start and stop ---- */

struct known_ctx {
    struct poststore *p;
    int64_t now_ms;
};

static int add_known(const struct store_node *n, void *arg)
{
    struct known_ctx *k = arg;
    struct fusion_node fn = {n->devaddr, n->has_position, n->lat, n->lon, n->zone};
    int rc = fusion_node_known(k->p->fusion, &fn, n->last_seen_ms, k->now_ms);

    if (rc == -ENOSPC) {
        log_warning("node %08" PRIX32 ": beyond fusion's node limit, no per-node alerts",
                    n->devaddr);
        return 0;
    }
    /* A node that said it is learning before the restart is still learning until its next
     * health message says otherwise: its summaries must not open machine_anomaly meanwhile. */
    return rc != 0 ? rc
                   : fusion_node_learning_known(k->p->fusion, n->devaddr,
                                                n->learn == PROTO_TFP_LEARN_LEARNING);
}

struct replay_ctx {
    struct poststore *p;
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
    fn = fusion_node_of(r->p, e->devaddr, &place);
    return fusion_replay_detection(r->p->fusion, &fn, d->class_id, d->confidence, e->time_ms,
                                   e->received_ms, r->now_ms);
}

/* The detections that fed the restored alerts go back to fusion (fusion_replay_detection()):
 * those of the longest window, so that a restart does not lower what the next detection makes
 * of an alert, and those of the longest quiet time, so that an alert clears when it would
 * have without the restart. */
static int replay_windows(struct poststore *p, int64_t now_ms)
{
    struct store_event_filter filter = {0};
    struct replay_ctx r = {p, now_ms};

    filter.since_ms = fusion_replay_since(p->fusion, now_ms);
    filter.class_id = -1;
    return filter.since_ms < now_ms ? store_events_foreach(p->store, &filter, replay_one, &r) : 0;
}

int poststore_start(uv_loop_t *loop, const struct config_fusion *fusion,
                    const struct config_mqtt *mqtt, const struct config_alertmanager *am,
                    const struct config_web *web, const struct config_gateway *gw, struct store *s,
                    struct poststore **out)
{
    struct fusion_opts opts = {0};
    struct known_ctx known;
    struct poststore *p = calloc(1, sizeof(*p));
    int restored;
    int rc;

    if (p == NULL) {
        return -ENOMEM;
    }
    p->loop = loop;
    p->fusion_cfg = fusion;
    p->mqtt_cfg = mqtt;
    p->gateway_id = gw->id;
    p->store = s;
    log_limit_init(&p->fail_limit, "fusion failures", 5, 60000);
    opts.emit = on_alert;
    opts.arg = p;
    rc = fusion_new(fusion, &opts, &p->fusion);
    if (rc < 0) {
        free(p);
        return rc;
    }
    restored = alert_restore(s, p->fusion);
    known.p = p;
    known.now_ms = rfc3339_now_ms();
    rc = restored < 0 ? restored : store_node_foreach(s, add_known, &known);
    if (rc == 0 && restored > 0) {
        rc = replay_windows(p, known.now_ms);
    }
    if (rc == 0 && mqtt->broker_count > 0) {
        rc = mqtt_start(loop, mqtt, gw->id, s, &p->mqtt);
    }
    /* generatorURL: the status page, when this gateway's config sets one up ([web]). */
    if (rc == 0 && am->url_count > 0) {
        rc = alertmanager_start(loop, am, gw->site, web->configured ? web->public_url : NULL, s,
                                &p->am);
    }
    if (rc == 0 && p->mqtt != NULL) {
        rc = homeassistant_new(mqtt, gw->id, s, p->mqtt, &p->ha);
    }
    if (rc == 0 && p->mqtt != NULL && fusion->site.site) {
        rc = site_start(loop, fusion, mqtt, gw->id, s, p->fusion, p->mqtt, &p->site);
    }
    if (rc < 0) {
        homeassistant_free(p->ha);
        alertmanager_stop(p->am);
        mqtt_stop(p->mqtt);
        fusion_free(p->fusion);
        free(p);
        return rc == -ENOMEM || rc == -EINVAL ? rc : -EIO;
    }
    if (restored > 0) {
        log_info("fusion: continuing %d active alerts", restored);
    }
    (void)uv_timer_init(loop, &p->tick);
    (void)uv_timer_init(loop, &p->trim);
    p->tick.data = p;
    p->trim.data = p;
    p->open = 2;
    (void)uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
    /* Everything again at each start: a broker that lost its retained messages gets them. */
    ha_sync(p, HA_ALL);
    *out = p;
    return 0;
}

void poststore_committed(struct poststore *p, int rc)
{
    if (p->mqtt != NULL) {
        mqtt_committed(p->mqtt, rc);
    }
    alertmanager_committed(p->am, rc);
}

void poststore_reload(struct poststore *p)
{
    if (fusion_set_config(p->fusion, p->fusion_cfg, rfc3339_now_ms()) != 0) {
        log_warning("fusion: some alerts of removed rules could not be cleared yet");
    }
    /* Zones, rules or class names changed: zone sensors come and go. */
    ha_sync(p, HA_CHANGED);
}

static void on_closed(uv_handle_t *h)
{
    struct poststore *p = h->data;

    if (--p->open > 0) {
        return;
    }
    fusion_free(p->fusion);
    free(p);
}

void poststore_stop(struct poststore *p)
{
    if (p == NULL) {
        return;
    }
    site_stop(p->site);
    p->site = NULL;
    homeassistant_free(p->ha);
    p->ha = NULL;
    mqtt_stop(p->mqtt);
    p->mqtt = NULL;
    alertmanager_stop(p->am);
    p->am = NULL;
    (void)uv_timer_stop(&p->tick);
    (void)uv_timer_stop(&p->trim);
    uv_close((uv_handle_t *)&p->tick, on_closed);
    uv_close((uv_handle_t *)&p->trim, on_closed);
}
