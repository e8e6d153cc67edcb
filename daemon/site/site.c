/* SPDX-License-Identifier: MIT
 * Cross-gateway fusion (site.h): the messages of the site link into fusion and the ownership
 * table, the outbox rows of our inputs, and the one-second tick that renews membership, claims
 * zones without a live owner and takes over the alerts of zones just gained.
 */
#include "site/site.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alert/alert_json.h"
#include "site/site_input.h"
#include "site/site_link.h"
#include "site/site_owner.h"
#include "site/site_sync.h"
#include "util/log.h"
#include "util/rfc3339.h"

#define TICK_MS   1000u
#define TOPIC_LEN 256u
#define ID_RANGE  (INT64_C(1) << 32)

/* The latest retained alert state of one topic; @cleared keeps the last JSON of an emptied
 * one, so that an alert cleared elsewhere is recognised. */
struct state_entry {
    char topic[TOPIC_LEN];
    char *json;
    bool cleared;
};

struct site {
    uv_loop_t *loop;
    const struct config_mqtt *mcfg;
    char gw[64];
    struct store *store;
    struct fusion *fusion;
    struct mqtt *mqtt;
    struct site_link *link;
    struct site_owner *owner;
    struct site_seen *seen;
    int64_t takeover_ms;
    uint64_t member_sent;
    bool synced;         /* the retained states heard since the link came up (site_sync.h) */
    uint64_t sync_nonce; /* the marker we wait for on t_sync */
    uv_timer_t tick;
    char t_input[TOPIC_LEN];
    char t_member[TOPIC_LEN];
    char t_sync[TOPIC_LEN];
    struct state_entry *states;
    unsigned n_states;
    unsigned cap_states;
    struct log_limit fail_limit;
};

int64_t site_id_base(const char *gateway)
{
    uint32_t h = 2166136261u;
    const char *p;

    for (p = gateway; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return ((int64_t)(h % (1u << 20)) + 1) * ID_RANGE;
}

/* Cut off from the broker for takeover_s: every zone is ours, as the others have taken ours. */
static bool alone(const struct site *st)
{
    uint64_t since;

    return !site_link_up(st->link, &since) && uv_now(st->loop) - since >= (uint64_t)st->takeover_ms;
}

/* @topic after "<prefix>/<part>/", or NULL. */
static const char *after(const struct site *st, const char *topic, const char *part)
{
    size_t n = strlen(st->mcfg->prefix);
    size_t m = strlen(part);

    if (strncmp(topic, st->mcfg->prefix, n) != 0 || topic[n] != '/' ||
        strncmp(topic + n + 1, part, m) != 0 || topic[n + 1 + m] != '/') {
        return NULL;
    }
    return topic + n + m + 2;
}

static void publish_claim(struct site *st, const char *zone)
{
    char topic[TOPIC_LEN];
    char body[128];

    (void)snprintf(topic, sizeof(topic), "%s/site/claim/%s", st->mcfg->prefix, zone);
    (void)snprintf(body, sizeof(body), "{\"gateway\":\"%s\"}", st->gw);
    site_link_publish(st->link, topic, body, true);
}

static void publish_member(struct site *st)
{
    char body[160];
    char when[RFC3339_LEN];

    rfc3339_format(rfc3339_now_ms(), when);
    (void)snprintf(body, sizeof(body), "{\"gateway\":\"%s\",\"time\":\"%s\"}", st->gw, when);
    site_link_publish(st->link, st->t_member, body, true);
    st->member_sent = uv_now(st->loop);
}

/* ---- a peer's input into fusion ---- */

static void feed(struct site *st, const struct site_input *in)
{
    struct fusion_node fn = {in->devaddr, in->has_position, in->lat, in->lon,
                             in->zone[0] != '\0' ? in->zone : NULL};
    int64_t now = rfc3339_now_ms();
    unsigned i;
    int rc = 0;

    if (!site_seen_add(st->seen, in->devaddr, in->fcnt)) {
        return; /* heard here too, or from another peer: counted once */
    }
    if (in->zone[0] != '\0') {
        (void)site_owner_touch(st->owner, in->zone);
    }
    if (in->port == PROTO_TFP_PORT_DETECTIONS) {
        for (i = 0; i < in->n_det; i++) {
            int r = fusion_detection(st->fusion, &fn, in->det_class[i], in->det_conf[i],
                                     in->det_time_ms[i], now);

            rc = rc != 0 ? rc : r;
        }
    } else if (in->port == PROTO_TFP_PORT_HEALTH) {
        rc = fusion_health(st->fusion, &fn, in->battery_mv, now);
    } else if (in->port == PROTO_TFP_PORT_ANOMALY) {
        rc = fusion_anomaly(st->fusion, &fn, &in->anomaly, now);
    } else {
        rc = fusion_seen(st->fusion, &fn, now);
    }
    if (rc == -ENOMEM) {
        (void)log_limited(&st->fail_limit, LOG_ERR,
                          "site: out of memory in fusion, a peer's input "
                          "was dropped");
    }
}

static void on_input(struct site *st, const char *from, const void *payload, int len)
{
    struct site_input in;

    if (strcmp(from, st->gw) == 0) {
        return; /* our own, fed when it was stored */
    }
    if (site_input_parse(payload, len, &in) != 0 || strcmp(in.gateway, from) != 0) {
        (void)log_limited(&st->fail_limit, LOG_WARNING,
                          "site: a bad input message from %s "
                          "ignored",
                          from);
        return;
    }
    feed(st, &in);
}

/* ---- retained alert states, claims and membership ---- */

static void on_state(struct site *st, const char *topic, const void *payload, int len)
{
    struct state_entry *e = NULL;
    unsigned i;

    for (i = 0; i < st->n_states && e == NULL; i++) {
        if (strcmp(st->states[i].topic, topic) == 0) {
            e = &st->states[i];
        }
    }
    if (e == NULL) {
        if (len == 0 || strlen(topic) >= TOPIC_LEN) {
            return;
        }
        if (st->n_states == st->cap_states) {
            unsigned cap = st->cap_states != 0 ? st->cap_states * 2 : 64;
            struct state_entry *n = realloc(st->states, cap * sizeof(*n));

            if (n == NULL) {
                return;
            }
            st->states = n;
            st->cap_states = cap;
        }
        e = &st->states[st->n_states++];
        memset(e, 0, sizeof(*e));
        (void)snprintf(e->topic, sizeof(e->topic), "%s", topic);
    }
    if (len == 0) {
        e->cleared = true;
        return;
    }
    free(e->json);
    e->json = strndup(payload, (size_t)len);
    e->cleared = false;
}

static void on_claim(struct site *st, const char *zone, const void *payload, int len)
{
    cJSON *o = len > 0 ? cJSON_ParseWithLength(payload, (size_t)len) : NULL;
    const cJSON *gw = cJSON_GetObjectItemCaseSensitive(o, "gateway");

    if (len == 0 || cJSON_IsString(gw)) {
        if (site_owner_claim(st->owner, zone, len == 0 ? "" : gw->valuestring,
                             (int64_t)uv_now(st->loop))) {
            publish_claim(st, zone);
        }
    }
    cJSON_Delete(o);
}

/* ---- holding the outbox until the retained states are heard ---- */

static bool held_elsewhere(void *arg, const char *zone)
{
    const struct site *st = arg;
    const char *h = site_owner_holder(st->owner, zone);

    return h[0] != '\0' && strcmp(h, st->gw) != 0;
}

/* Our marker came back: the retained states and claims sent before it have been heard. */
static void on_synced(struct site *st)
{
    struct site_retained *r = calloc(st->n_states + 1u, sizeof(*r));
    unsigned i;
    unsigned n = 0;
    unsigned dropped = 0;
    int rc;

    if (r == NULL) {
        return; /* the gate stays shut; the next connect tries again */
    }
    for (i = 0; i < st->n_states; i++) {
        if (st->states[i].json != NULL && site_retained_parse(st->states[i].json, &r[n]) == 0) {
            r[n].active = r[n].active && !st->states[i].cleared;
            n++;
        }
    }
    rc = site_sync_drop(st->store, st->mcfg->prefix, st->gw, r, n, held_elsewhere, st, &dropped);
    free(r);
    if (rc != 0) {
        (void)log_limited(&st->fail_limit, LOG_ERR,
                          "site: the outbox cannot be checked against the retained states: %s",
                          rc == -EIO ? store_errmsg(st->store) : strerror(-rc));
        return;
    }
    if (dropped > 0) {
        log_notice("site: %u undelivered transitions dropped, superseded by another gateway",
                   dropped);
    }
    st->synced = true;
    mqtt_note_outbox(st->mqtt);
}

static void link_up(struct site *st)
{
    char nonce[32];

    publish_member(st);
    st->synced = false;
    st->sync_nonce++;
    (void)snprintf(nonce, sizeof(nonce), "%" PRIu64, st->sync_nonce);
    site_link_publish(st->link, st->t_sync, nonce, false);
}

static void on_sync(struct site *st, const void *payload, int len)
{
    char nonce[32];

    (void)snprintf(nonce, sizeof(nonce), "%" PRIu64, st->sync_nonce);
    if (!st->synced && len == (int)strlen(nonce) && memcmp(payload, nonce, (size_t)len) == 0) {
        on_synced(st);
    }
}

static bool outbox_gate(void *arg)
{
    struct site *st = arg;
    uint64_t since;

    return st->synced && site_link_up(st->link, &since);
}

static bool outbox_shut(void *arg)
{
    (void)arg;
    return false;
}

static void on_message(void *arg, const char *topic, const void *payload, int len)
{
    struct site *st = arg;
    const char *rest;

    if (topic == NULL) {
        link_up(st);
        return;
    }
    if ((rest = after(st, topic, "site/sync")) != NULL) {
        if (strcmp(rest, st->gw) == 0) {
            on_sync(st, payload, len);
        }
    } else if ((rest = after(st, topic, "site/input")) != NULL) {
        on_input(st, rest, payload, len);
    } else if ((rest = after(st, topic, "site/member")) != NULL) {
        site_owner_member(st->owner, rest, len > 0, (int64_t)uv_now(st->loop));
    } else if ((rest = after(st, topic, "site/claim")) != NULL) {
        on_claim(st, rest, payload, len);
    } else if (after(st, topic, "state/alert") != NULL) {
        on_state(st, topic, payload, len);
    }
}

/* ---- taking a zone over ---- */

/* Zone @zone became ours: each alert of it last published elsewhere continues here. */
static void take_over(struct site *st, const char *zone)
{
    unsigned i;

    for (i = 0; i < st->n_states; i++) {
        struct fusion_alert a;
        int rc;

        if (st->states[i].json == NULL || alert_json_parse(st->states[i].json, &a) != 0 ||
            strcmp(a.zone, zone) != 0) {
            continue;
        }
        if (st->states[i].cleared) {
            a.state = FUSION_CLEARED;
        }
        rc = fusion_adopt(st->fusion, &a);
        if (rc != 0) {
            log_warning("site: alert %" PRId64 " of zone %s cannot be continued: %s", a.id, zone,
                        strerror(-rc));
        } else if (!st->states[i].cleared) {
            log_notice("site: zone %s is ours; alert %" PRId64 " continues after seq %" PRIu32,
                       zone, a.id, a.seq);
        }
    }
}

static void on_tick(uv_timer_t *t)
{
    struct site *st = t->data;
    int64_t now = (int64_t)uv_now(st->loop);
    bool cut_off = alone(st);
    unsigned i;
    uint64_t since;

    if (site_link_up(st->link, &since) &&
        uv_now(st->loop) - st->member_sent >= (uint64_t)st->takeover_ms / 3) {
        publish_member(st);
    }
    for (i = 0; i < site_owner_zone_count(st->owner); i++) {
        if (!cut_off && site_owner_want_claim(st->owner, i, now)) {
            publish_claim(st, site_owner_zone(st->owner, i));
        }
        if (site_owner_gained(st->owner, i, now, cut_off)) {
            take_over(st, site_owner_zone(st->owner, i));
        }
    }
}

/* ---- start, our frames, the gate, stop ---- */

struct max_ctx {
    int64_t lo;
    int64_t hi;
    int64_t max;
};

static int max_in_range(const struct store_alert *a, void *arg)
{
    struct max_ctx *m = arg;

    if (a->id >= m->lo && a->id < m->hi && a->id > m->max) {
        m->max = a->id;
    }
    return 0;
}

static int id_range(struct site *st)
{
    struct max_ctx m;

    m.lo = site_id_base(st->gw);
    m.hi = m.lo + ID_RANGE;
    m.max = m.lo - 1;
    if (store_alerts_foreach(st->store, false, 0, max_in_range, &m) < 0) {
        return -EIO;
    }
    fusion_set_id_limit(st->fusion, m.hi);
    fusion_set_next_id(st->fusion, m.max + 1);
    return 0;
}

int site_start(uv_loop_t *loop, const struct config_fusion *fcfg, const struct config_mqtt *mcfg,
               const char *gateway_id, struct store *s, struct fusion *f, struct mqtt *m,
               struct site **out)
{
    struct site *st = calloc(1, sizeof(*st));
    char subs[2][TOPIC_LEN];
    const char *sub_list[2] = {subs[0], subs[1]};
    unsigned i;
    int rc;

    if (st == NULL) {
        return -ENOMEM;
    }
    st->loop = loop;
    st->mcfg = mcfg;
    (void)snprintf(st->gw, sizeof(st->gw), "%s", gateway_id);
    st->store = s;
    st->fusion = f;
    st->mqtt = m;
    st->takeover_ms = (int64_t)fcfg->site.takeover_s * 1000;
    log_limit_init(&st->fail_limit, "site failures", 5, 60000);
    (void)snprintf(st->t_input, sizeof(st->t_input), "%s/site/input/%s", mcfg->prefix, st->gw);
    (void)snprintf(st->t_member, sizeof(st->t_member), "%s/site/member/%s", mcfg->prefix, st->gw);
    (void)snprintf(st->t_sync, sizeof(st->t_sync), "%s/site/sync/%s", mcfg->prefix, st->gw);
    st->sync_nonce = uv_hrtime();
    (void)snprintf(subs[0], sizeof(subs[0]), "%s/site/#", mcfg->prefix);
    (void)snprintf(subs[1], sizeof(subs[1]), "%s/state/alert/#", mcfg->prefix);
    rc = id_range(st);
    rc = rc < 0 ? rc : site_owner_new(st->gw, fcfg->site.takeover_s, &st->owner);
    rc = rc < 0 ? rc : site_seen_new(&st->seen);
    for (i = 0; rc == 0 && i < fcfg->zone_count; i++) {
        (void)site_owner_touch(st->owner, fcfg->zones[i].name);
    }
    rc = rc < 0 ? rc
                : site_link_start(loop, mcfg, st->t_member, sub_list, 2, on_message, st, &st->link);
    if (rc < 0) {
        site_seen_free(st->seen);
        site_owner_free(st->owner);
        free(st);
        return rc;
    }
    mqtt_set_gate(m, outbox_gate, st);
    (void)uv_timer_init(loop, &st->tick);
    st->tick.data = st;
    (void)uv_timer_start(&st->tick, on_tick, TICK_MS, TICK_MS);
    log_notice("site: scope site, alert ids from %" PRId64 ", takeover after %u s",
               site_id_base(st->gw), fcfg->site.takeover_s);
    *out = st;
    return 0;
}

bool site_frame(struct site *st, const struct store_uplink *up, const struct fusion_node *n)
{
    char *json;

    if (!site_seen_add(st->seen, up->devaddr, up->fcnt)) {
        return false;
    }
    if (n->zone != NULL && n->zone[0] != '\0') {
        (void)site_owner_touch(st->owner, n->zone);
    }
    json = site_input_json(st->gw, up, n);
    if (json == NULL ||
        store_outbox_add(st->store, st->t_input, json, false, up->rx->time_ms) < 0) {
        (void)log_limited(&st->fail_limit, LOG_ERR,
                          "site: the input of %08" PRIX32 " was not queued for the peers",
                          up->devaddr);
    } else {
        mqtt_note_outbox(st->mqtt);
    }
    cJSON_free(json);
    return true;
}

bool site_may_publish(struct site *st, const struct fusion_alert *a)
{
    /* Only once the tick has taken the zone's alerts over: before that, a transition here
     * would open a second alert beside the one the previous owner published. */
    (void)site_owner_touch(st->owner, a->zone);
    return site_owner_held(st->owner, a->zone, (int64_t)uv_now(st->loop), alone(st));
}

static void on_closed(uv_handle_t *h)
{
    struct site *st = h->data;
    unsigned i;

    for (i = 0; i < st->n_states; i++) {
        free(st->states[i].json);
    }
    free(st->states);
    site_seen_free(st->seen);
    site_owner_free(st->owner);
    free(st);
}

void site_stop(struct site *st)
{
    if (st == NULL) {
        return;
    }
    mqtt_set_gate(st->mqtt, outbox_shut, NULL); /* st is freed; nothing unchecked goes out */
    site_link_stop(st->link);
    (void)uv_timer_stop(&st->tick);
    uv_close((uv_handle_t *)&st->tick, on_closed);
}
