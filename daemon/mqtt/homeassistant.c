/* SPDX-License-Identifier: MIT
 * Home Assistant discovery: which configs are announced and emptied, and when (homeassistant.h).
 * A sync lists the configs wanted now, sorts them by topic, and merges them with the topics
 * the store records as queued (also in topic order): new or changed ones are queued, gone ones
 * emptied. Everything goes into the open batch, so the record and the outbox commit together.
 */
#include "mqtt/homeassistant.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mqtt/ha_discovery.h"
#include "util/rfc3339.h"

struct homeassistant {
    const struct config_mqtt *cfg;
    struct store *store;
    struct mqtt *mqtt;
    struct ha_discovery names;
    int64_t data_version; /* PRAGMA data_version at the last sync */
};

/* One config: its topic and payload (both allocated), and for a zone sensor its class and
 * zone, whose state a first announcement also queues. */
struct config_msg {
    char *topic;
    char *payload;
    char class_name[CONFIG_NAME_MAX];
    char zone[CONFIG_NAME_MAX]; /* "" for anything but a zone sensor */
};

struct msg_list {
    struct config_msg *v;
    size_t n;
    size_t cap;
};

/* What one sync works on. */
struct sync_ctx {
    struct homeassistant *h;
    struct msg_list want;     /* configs wanted now, sorted by topic */
    struct msg_list recorded; /* configs the store says were queued, in topic order */
    struct msg_list active;   /* active alerts: class_name and zone (= topic key) only */
    int64_t now_ms;
    int queued;
};

static void list_free(struct msg_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].topic);
        free(l->v[i].payload);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Appends a copy of @topic and @payload (either may be NULL: a failed build is -ENOMEM). */
static int list_add(struct msg_list *l, const char *topic, const char *payload,
                    const char *class_name, const char *zone)
{
    struct config_msg *m;

    if (topic == NULL || payload == NULL) {
        return -ENOMEM;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? l->cap * 2 : 64;
        struct config_msg *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            return -ENOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    m = &l->v[l->n];
    memset(m, 0, sizeof(*m));
    m->topic = strdup(topic);
    m->payload = strdup(payload);
    if (m->topic == NULL || m->payload == NULL) {
        free(m->topic);
        free(m->payload);
        return -ENOMEM;
    }
    (void)snprintf(m->class_name, sizeof(m->class_name), "%s", class_name);
    (void)snprintf(m->zone, sizeof(m->zone), "%s", zone);
    l->n++;
    return 0;
}

/* Appends the config @payload (built by ha_discovery, freed here) on @topic. */
static int want(struct msg_list *l, const char *topic, char *payload, const char *class_name,
                const char *zone)
{
    int rc = list_add(l, payload != NULL ? topic : NULL, payload, class_name, zone);

    cJSON_free(payload);
    return rc;
}

static int by_topic(const void *a, const void *b)
{
    return strcmp(((const struct config_msg *)a)->topic, ((const struct config_msg *)b)->topic);
}

/* Whether class @class_id has a cluster rule: only those make zone-keyed alerts. */
static bool has_cluster_rule(const struct config_fusion *f, unsigned class_id)
{
    unsigned i;

    for (i = 0; i < f->rule_count; i++) {
        if (f->rules[i].type == CONFIG_RULE_CLUSTER && f->rules[i].class_id == class_id) {
            return true;
        }
    }
    return false;
}

static int want_zones(struct sync_ctx *c, const struct config_fusion *f)
{
    char topic[HA_DISCOVERY_TOPIC_LEN];
    unsigned z;
    unsigned id;
    int rc = 0;

    for (z = 0; z < f->zone_count && rc == 0; z++) {
        for (id = 0; id < CONFIG_CLASS_MAX && rc == 0; id++) {
            const char *cls = f->class_names[id];

            if (cls[0] == '\0' || !has_cluster_rule(f, id)) {
                continue;
            }
            rc =
                want(&c->want, topic, ha_discovery_zone(&c->h->names, cls, f->zones[z].name, topic),
                     cls, f->zones[z].name);
        }
    }
    return rc;
}

static int want_node(const struct store_node *n, void *arg)
{
    struct sync_ctx *c = arg;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    int rc;

    rc = want(&c->want, topic, ha_discovery_node(&c->h->names, n, HA_DISCOVERY_BATTERY, topic), "",
              "");
    return rc < 0 ? rc
                  : want(&c->want, topic,
                         ha_discovery_node(&c->h->names, n, HA_DISCOVERY_LAST_SEEN, topic), "", "");
}

static int record_one(const char *topic, const char *payload, void *arg)
{
    return list_add(arg, topic, payload, "", "");
}

static int active_one(const struct store_alert *a, void *arg)
{
    return list_add(arg, "", "", a->class_name, a->topic_key);
}

/* Fills c->want (sorted, without repeats), c->recorded and c->active. */
static int collect(struct sync_ctx *c, const struct config_fusion *f)
{
    struct homeassistant *h = c->h;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    size_t i;
    size_t kept = 0;
    int rc = 0;

    if (h->cfg->homeassistant) {
        rc = want(&c->want, topic, ha_discovery_status(&h->names, topic), "", "");
        rc = rc < 0 ? rc : want_zones(c, f);
        rc = rc < 0 ? rc : store_node_foreach(h->store, want_node, c);
    }
    rc = rc < 0 ? rc : store_discovery_foreach(h->store, record_one, &c->recorded);
    rc = rc < 0 ? rc : store_alerts_foreach(h->store, true, 0, active_one, &c->active);
    if (rc < 0) {
        return rc;
    }
    if (c->want.n > 1) { /* v is NULL when nothing is wanted */
        qsort(c->want.v, c->want.n, sizeof(*c->want.v), by_topic);
    }
    /* Two names that differ only in a byte ids cannot carry ("a.b", "a_b") make one topic:
     * announced once. */
    for (i = 0; i < c->want.n; i++) {
        if (kept > 0 && strcmp(c->want.v[kept - 1].topic, c->want.v[i].topic) == 0) {
            free(c->want.v[i].topic);
            free(c->want.v[i].payload);
            continue;
        }
        c->want.v[kept++] = c->want.v[i];
    }
    c->want.n = kept;
    return 0;
}

static int queue(struct sync_ctx *c, const char *topic, const char *payload)
{
    int rc = store_outbox_add(c->h->store, topic, payload, true, c->now_ms);

    c->queued += rc == 0;
    return rc;
}

static bool is_active(const struct sync_ctx *c, const struct config_msg *m)
{
    size_t i;

    for (i = 0; i < c->active.n; i++) {
        if (strcmp(c->active.v[i].class_name, m->class_name) == 0 &&
            strcmp(c->active.v[i].zone, m->zone) == 0) {
            return true;
        }
    }
    return false;
}

/* Queues config @m and records it; @with_state: also its zone sensor's state. */
static int announce(struct sync_ctx *c, const struct config_msg *m, bool with_state)
{
    char state[HA_DISCOVERY_TOPIC_LEN];
    int rc = queue(c, m->topic, m->payload);

    rc = rc < 0 ? rc : store_discovery_put(c->h->store, m->topic, m->payload);
    if (rc < 0 || !with_state || m->zone[0] == '\0') {
        return rc;
    }
    rc = ha_discovery_state_topic(&c->h->names, m->class_name, m->zone, "state", state);
    return rc < 0 ? rc : queue(c, state, is_active(c, m) ? "ON" : "OFF");
}

/* Empties a config no longer wanted, and the state topics of ours it named. */
static int retract(struct sync_ctx *c, const struct config_msg *m)
{
    static const char *const keys[] = {"state_topic", "json_attributes_topic"};
    char ours[HA_DISCOVERY_TOPIC_LEN];
    cJSON *o = cJSON_Parse(m->payload);
    size_t len;
    size_t i;
    int rc;

    (void)snprintf(ours, sizeof(ours), "%s/ha/", c->h->names.prefix);
    len = strlen(ours);
    rc = queue(c, m->topic, "");
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, keys[i]));

        if (t != NULL && strncmp(t, ours, len) == 0) {
            rc = queue(c, t, "");
        }
    }
    cJSON_Delete(o);
    return rc < 0 ? rc : store_discovery_delete(c->h->store, m->topic);
}

/* The merge of two topic-ordered lists. */
static int merge(struct sync_ctx *c, bool all)
{
    size_t i = 0;
    size_t j = 0;
    int rc = 0;

    while (rc == 0 && (i < c->want.n || j < c->recorded.n)) {
        int cmp = i == c->want.n       ? 1
                  : j == c->recorded.n ? -1
                                       : strcmp(c->want.v[i].topic, c->recorded.v[j].topic);

        if (cmp < 0) {
            rc = announce(c, &c->want.v[i++], true);
        } else if (cmp > 0) {
            rc = retract(c, &c->recorded.v[j++]);
        } else {
            if (all || strcmp(c->want.v[i].payload, c->recorded.v[j].payload) != 0) {
                rc = announce(c, &c->want.v[i], all);
            }
            i++;
            j++;
        }
    }
    return rc;
}

int homeassistant_sync(struct homeassistant *h, const struct config_fusion *fusion, bool all,
                       int64_t now_ms)
{
    struct sync_ctx c;
    int rc;

    assert(h != NULL && fusion != NULL);
    memset(&c, 0, sizeof(c));
    c.h = h;
    c.now_ms = now_ms;
    /* Read first: a CLI commit after it is seen by the next poll. */
    rc = store_data_version(h->store, &h->data_version);
    rc = rc < 0 ? rc : collect(&c, fusion);
    rc = rc < 0 ? rc : merge(&c, all);
    list_free(&c.want);
    list_free(&c.recorded);
    list_free(&c.active);
    if (c.queued > 0 && h->mqtt != NULL) {
        mqtt_note_outbox(h->mqtt);
    }
    return rc < 0 ? rc : c.queued;
}

int homeassistant_poll(struct homeassistant *h, const struct config_fusion *fusion, int64_t now_ms)
{
    int64_t v = 0;
    int rc;

    assert(h != NULL);
    rc = store_data_version(h->store, &v);
    if (rc < 0 || v == h->data_version) {
        return rc;
    }
    return homeassistant_sync(h, fusion, false, now_ms);
}

int homeassistant_alert(struct store *s, const struct config_mqtt *cfg, const char *class_name,
                        const char *key, bool active, const char *json, int64_t time_ms)
{
    struct ha_discovery names;
    char topic[HA_DISCOVERY_TOPIC_LEN];
    int rc;

    assert(s != NULL && cfg != NULL && class_name != NULL && key != NULL && json != NULL);
    if (!cfg->homeassistant) {
        return 0;
    }
    /* The names need only the prefix here; the gateway id is not part of these topics. */
    rc = ha_discovery_init(&names, cfg, "");
    rc = rc < 0 ? rc : ha_discovery_state_topic(&names, class_name, key, "attributes", topic);
    /* Attributes first: an automation triggered by ON reads the alert that turned it on. */
    rc = rc < 0 ? rc : store_outbox_add(s, topic, json, true, time_ms);
    rc = rc < 0 ? rc : ha_discovery_state_topic(&names, class_name, key, "state", topic);
    return rc < 0 ? rc : store_outbox_add(s, topic, active ? "ON" : "OFF", true, time_ms);
}

void homeassistant_seen(struct homeassistant *h, uint32_t devaddr, int64_t time_ms)
{
    char topic[HA_DISCOVERY_TOPIC_LEN];
    char when[RFC3339_LEN];

    if (h == NULL || !h->cfg->homeassistant || h->mqtt == NULL ||
        ha_discovery_seen_topic(&h->names, devaddr, topic) < 0) {
        return;
    }
    rfc3339_format(time_ms, when);
    mqtt_queue_volatile(h->mqtt, topic, when, true);
}

int homeassistant_new(const struct config_mqtt *cfg, const char *gateway_id, struct store *s,
                      struct mqtt *m, struct homeassistant **out)
{
    struct homeassistant *h;
    int rc;

    assert(cfg != NULL && gateway_id != NULL && s != NULL && out != NULL);
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return -ENOMEM;
    }
    rc = ha_discovery_init(&h->names, cfg, gateway_id);
    if (rc < 0) {
        free(h);
        return rc;
    }
    h->cfg = cfg;
    h->store = s;
    h->mqtt = m;
    *out = h;
    return 0;
}

void homeassistant_free(struct homeassistant *h)
{
    free(h);
}
