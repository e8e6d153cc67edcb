/* SPDX-License-Identifier: MIT
 * Alert fusion (fusion.h has the semantics). Each alert keeps two copies of itself: `pub`,
 * exactly what was last published, and `work`, what the next transition would publish,
 * which inputs change as they arrive. A transition copies work into a candidate, hands it to
 * the emit callback and only on success makes it the new pub; so a refused transition leaves
 * the published alert untouched and the same decision is taken again at the next call.
 * Alerts that do not exist yet are built from the input state (a window, a node's ring, a
 * node's last_seen or battery) at each attempt, so a refused opening is retried the same way.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/zone.h"

#define LEVEL_NONE 0  /* below watch: no alert */
#define RING_MAX   64 /* config n is 1..64 */

/* Per-node alerts, indices of struct node.alert. */
enum { SLOT_PERS = 0, SLOT_OFFLINE = 1, SLOT_BATTERY = 2, SLOT_COUNT };

/* Why an alert is cleared: picks the sentence of its last message. */
enum clear_reason {
    CLEAR_QUIET,     /* clear_after_s without contributing input */
    CLEAR_HEARD,     /* an offline node was heard */
    CLEAR_BATTERY,   /* a health message above the threshold */
    CLEAR_RULE_GONE, /* the rule is no longer in the config */
    CLEAR_CHECK_OFF, /* the [health] check was turned off */
    CLEAR_REMOVED    /* the node was removed from the registry */
};

struct alert {
    bool active;                       /* opened and not cleared: pub is valid */
    int rule;                          /* index in cfg.rules; -1 = rule gone (health: -1) */
    struct fusion_alert pub;           /* as last published */
    struct fusion_alert work;          /* what the next transition publishes */
    double node_p[FUSION_ALERT_NODES]; /* work: highest p of each listed node (weight) */
    bool node_pos[FUSION_ALERT_NODES]; /* work: the listed node has a position */
    double node_lat[FUSION_ALERT_NODES];
    double node_lon[FUSION_ALERT_NODES];
    int64_t last_emit_ms;  /* now_ms of the last published transition */
    int64_t last_input_ms; /* now_ms of the last contributing input */
};

/* One detection in a window. */
struct entry {
    uint32_t devaddr;
    bool has_position;
    double lat;
    double lon;
    double p;        /* confidence 0..1 */
    int64_t time_ms; /* detection time, Unix ms */
};

/* The window and the alert of one (cluster rule, zone). */
struct group {
    char zone[FUSION_NAME_LEN];
    struct entry *win; /* arrival order (until the window overflows) */
    size_t win_len;
    size_t win_cap;
    struct alert al; /* al.rule is the group's rule */
};

/* A persistence rule's memory of a node's last n summaries (oldest first). */
struct ring_entry {
    bool anomalous;
    uint8_t score_max;
    int64_t time_ms; /* arrival, Unix ms */
};

struct node {
    uint32_t devaddr;
    int64_t last_seen_ms; /* last input (or fusion_node_known()), Unix ms */
    bool has_position;
    double lat;
    double lon;
    char zone[FUSION_NAME_LEN]; /* resolved zone */
    bool battery_known;
    uint16_t battery_mv;
    unsigned ring_len;               /* entries in ring, <= the rule's n */
    struct ring_entry *ring;         /* RING_MAX entries, from the first anomaly summary */
    struct alert *alert[SLOT_COUNT]; /* NULL when none */
};

/* Window statistics find each node's best p with an open-addressing table, stamped with a
 * generation number instead of cleared between calls: O(window) per detection. Sorting the
 * window instead cost 390,000 instructions per detection with full windows (callgrind). */
#define HASH_BITS  11u /* 2048 slots: at most half full (FUSION_WINDOW_MAX entries) */
#define HASH_SLOTS (1u << HASH_BITS)
_Static_assert(FUSION_WINDOW_MAX <= HASH_SLOTS / 2, "the window table must stay half empty");
/* Rises smaller than half the published step are rounding, not news: the fused product is
 * taken in window order, which pruning can change (the same nodes then give a result one ulp
 * apart), and a restored alert's confidence is the published, rounded one. */
#define CONF_EPS (FUSION_CONFIDENCE_STEP / 2)
#define POS_EPS  (FUSION_DEGREE_STEP / 2)

struct slot {
    uint32_t devaddr;
    uint32_t gen; /* valid when equal to fusion.gen */
    double p;     /* best p of the node in this window */
};

struct fusion {
    struct config cfg;
    fusion_emit_cb emit;
    void *arg;
    size_t max_alerts;
    size_t max_nodes;
    int64_t next_id;
    uint64_t active;
    int cluster_rule[CONFIG_CLASS_MAX]; /* class id -> first cluster rule, -1 none */
    int pers_rule;                      /* first persistence rule, -1 none */
    struct group **groups;
    size_t group_len;
    struct node **nodes; /* sorted by devaddr */
    size_t node_len;
    size_t node_cap;
    struct slot *slots; /* HASH_SLOTS */
    uint32_t *used;     /* FUSION_WINDOW_MAX: slots taken in this generation */
    uint32_t gen;
    struct fusion_stats st;
};

/* ---- small helpers ---- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n;

    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

static int level_max(int a, int b)
{
    return a > b ? a : b;
}

static void rule_index(struct fusion *f)
{
    unsigned i;

    for (i = 0; i < CONFIG_CLASS_MAX; i++) {
        f->cluster_rule[i] = -1;
    }
    f->pers_rule = -1;
    for (i = 0; i < f->cfg.rule_count && i < CONFIG_RULE_MAX; i++) {
        const struct config_rule *r = &f->cfg.rules[i];

        if (r->type == CONFIG_RULE_CLUSTER && f->cluster_rule[r->class_id] < 0) {
            f->cluster_rule[r->class_id] = (int)i;
        } else if (r->type == CONFIG_RULE_PERSISTENCE && f->pers_rule < 0) {
            f->pers_rule = (int)i;
        }
    }
}

static const char *rule_class_name(const struct fusion *f, const struct config_rule *r)
{
    const char *name = config_class_name(&f->cfg, r->class_id);

    return name != NULL ? name : "unknown";
}

/* The node's zone: registry, else the first config zone holding its position, else unzoned. */
static void resolve_zone(const struct fusion *f, const struct fusion_node *n, char *out)
{
    const struct config_zone *z;

    if (n->zone != NULL && n->zone[0] != '\0') {
        copy_str(out, FUSION_NAME_LEN, n->zone);
        return;
    }
    z = n->has_position ? zone_locate(&f->cfg, n->lat, n->lon) : NULL;
    copy_str(out, FUSION_NAME_LEN, z != NULL ? z->name : FUSION_UNZONED);
}

static void devaddr_key(uint32_t devaddr, char *out)
{
    (void)snprintf(out, FUSION_NAME_LEN, "%08X", (unsigned)devaddr);
}

/* "machine_anomaly" -> "Machine anomaly", for sentences. */
static void class_words(const char *name, char *out, size_t cap)
{
    size_t i;

    copy_str(out, cap, name);
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] == '_') {
            out[i] = ' ';
        }
    }
    if (out[0] >= 'a' && out[0] <= 'z') {
        out[0] = (char)(out[0] - 'a' + 'A');
    }
}

const char *fusion_level_name(enum fusion_level l)
{
    switch (l) {
    case FUSION_WATCH:
        return "watch";
    case FUSION_WARNING:
        return "warning";
    case FUSION_CRITICAL:
        return "critical";
    }
    return "?";
}

const char *fusion_state_name(enum fusion_state s)
{
    switch (s) {
    case FUSION_OPEN:
        return "open";
    case FUSION_ESCALATE:
        return "escalate";
    case FUSION_UPDATE:
        return "update";
    case FUSION_CLEARED:
        return "cleared";
    }
    return "?";
}

int fusion_level_parse(const char *name)
{
    int l;

    for (l = FUSION_WATCH; l <= FUSION_CRITICAL && name != NULL; l++) {
        if (strcmp(name, fusion_level_name((enum fusion_level)l)) == 0) {
            return l;
        }
    }
    return -1;
}

int fusion_state_parse(const char *name)
{
    int s;

    for (s = FUSION_OPEN; s <= FUSION_CLEARED && name != NULL; s++) {
        if (strcmp(name, fusion_state_name((enum fusion_state)s)) == 0) {
            return s;
        }
    }
    return -1;
}

/* ---- the work copy of an alert ---- */

/* Confidence-weighted centroid of the listed nodes that have a position. A node of weight 0
 * (p = 0) still counts, with a tiny weight, so a position is never lost to rounding. */
static void work_centroid(struct alert *al)
{
    double w_sum = 0.0;
    double lat = 0.0;
    double lon = 0.0;
    unsigned i;

    for (i = 0; i < al->work.node_count; i++) {
        double w = al->node_p[i] > 1e-9 ? al->node_p[i] : 1e-9;

        if (!al->node_pos[i]) {
            continue;
        }
        w_sum += w;
        lat += w * al->node_lat[i];
        lon += w * al->node_lon[i];
    }
    al->work.has_position = w_sum > 0.0;
    al->work.lat = w_sum > 0.0 ? lat / w_sum : 0.0;
    al->work.lon = w_sum > 0.0 ? lon / w_sum : 0.0;
}

/* Add (or raise) one node in the work list; a node beyond FUSION_ALERT_NODES only sets
 * nodes_truncated. The node's latest position wins. */
static void work_add_node(struct alert *al, uint32_t devaddr, double p, bool has_pos, double lat,
                          double lon)
{
    unsigned i;

    for (i = 0; i < al->work.node_count; i++) {
        if (al->work.nodes[i] == devaddr) {
            break;
        }
    }
    if (i == al->work.node_count) {
        if (i >= FUSION_ALERT_NODES) {
            al->work.nodes_truncated = true;
            return;
        }
        al->work.nodes[i] = devaddr;
        al->node_p[i] = p;
        al->node_pos[i] = false;
        al->work.node_count++;
    }
    if (p > al->node_p[i]) {
        al->node_p[i] = p;
    }
    if (has_pos) {
        al->node_pos[i] = true;
        al->node_lat[i] = lat;
        al->node_lon[i] = lon;
    }
}

/* Did anything an `update` reports change between work and pub? */
static bool work_changed(const struct alert *al)
{
    const struct fusion_alert *w = &al->work;
    const struct fusion_alert *p = &al->pub;

    return w->node_count != p->node_count || w->nodes_truncated != p->nodes_truncated ||
           memcmp(w->nodes, p->nodes, w->node_count * sizeof(w->nodes[0])) != 0 ||
           fabs(w->confidence - p->confidence) > CONF_EPS || w->has_position != p->has_position ||
           fabs(w->lat - p->lat) > POS_EPS || fabs(w->lon - p->lon) > POS_EPS;
}

/* Start a work copy from nothing (an alert about to open). */
static void work_reset(struct alert *al, enum fusion_kind kind, const char *class_name,
                       const char *zone, const char *key, const char *rule)
{
    memset(&al->work, 0, sizeof(al->work));
    al->work.kind = kind;
    copy_str(al->work.class_name, sizeof(al->work.class_name), class_name);
    copy_str(al->work.zone, sizeof(al->work.zone), zone);
    copy_str(al->work.key, sizeof(al->work.key), key);
    copy_str(al->work.rule, sizeof(al->work.rule), rule);
}

/* ---- messages ---- */

/* snprintf into the message; a sentence longer than FUSION_MESSAGE_LEN is cut, which only
 * happens with names near FUSION_NAME_LEN. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

static void build_message(struct fusion_alert *a, enum clear_reason why, long extra, long extra2)
{
    char cls[FUSION_NAME_LEN];
    const char *lvl = fusion_level_name(a->level);
    size_t cap = sizeof(a->message);
    bool cleared = a->state == FUSION_CLEARED;

    class_words(a->class_name, cls, sizeof(cls));
    switch (a->kind) {
    case FUSION_KIND_CLUSTER:
        if (!cleared) {
            say(a->message, cap, "%s detected by %u%s node%s in zone %s (%s, confidence %.2f)", cls,
                a->node_count, a->nodes_truncated ? "+" : "",
                a->node_count == 1 && !a->nodes_truncated ? "" : "s", a->zone, lvl, a->confidence);
        } else if (why == CLEAR_QUIET) {
            say(a->message, cap,
                "%s alert in zone %s cleared: no detection for %ld s (was %s, confidence %.2f)",
                cls, a->zone, extra, lvl, a->confidence);
        } else {
            say(a->message, cap,
                "%s alert in zone %s cleared: its rule was removed from the configuration", cls,
                a->zone);
        }
        break;
    case FUSION_KIND_PERSISTENCE:
        if (!cleared) {
            say(a->message, cap,
                "%s on node %s in zone %s: %ld of the last %ld summaries anomalous, "
                "peak score %.2f (%s)",
                cls, a->key, a->zone, extra, extra2, a->confidence, lvl);
        } else if (why == CLEAR_QUIET) {
            say(a->message, cap, "%s on node %s in zone %s cleared: no anomalous summary for %ld s",
                cls, a->key, a->zone, extra);
        } else if (why == CLEAR_REMOVED) {
            say(a->message, cap, "%s on node %s in zone %s cleared: the node was removed", cls,
                a->key, a->zone);
        } else {
            say(a->message, cap,
                "%s on node %s in zone %s cleared: its rule was removed from the configuration",
                cls, a->key, a->zone);
        }
        break;
    case FUSION_KIND_OFFLINE:
        if (!cleared) {
            say(a->message, cap, "Node %s in zone %s is offline: not heard for %ld min", a->key,
                a->zone, extra / 60);
        } else if (why == CLEAR_HEARD) {
            say(a->message, cap, "Node %s in zone %s is heard again", a->key, a->zone);
        } else if (why == CLEAR_REMOVED) {
            say(a->message, cap, "Node %s in zone %s was removed; offline alert cleared", a->key,
                a->zone);
        } else {
            say(a->message, cap, "Offline alert of node %s in zone %s cleared: the check is off",
                a->key, a->zone);
        }
        break;
    case FUSION_KIND_BATTERY:
        if (!cleared) {
            say(a->message, cap, "Battery low on node %s in zone %s: %ld mV (threshold %ld mV)",
                a->key, a->zone, extra, extra2);
        } else if (why == CLEAR_BATTERY) {
            say(a->message, cap, "Battery of node %s in zone %s is back to %ld mV", a->key, a->zone,
                extra);
        } else if (why == CLEAR_REMOVED) {
            say(a->message, cap, "Node %s in zone %s was removed; battery alert cleared", a->key,
                a->zone);
        } else {
            say(a->message, cap, "Battery alert of node %s in zone %s cleared: the check is off",
                a->key, a->zone);
        }
        break;
    }
}

/* ---- transitions ---- */

/*
 * The one place a transition happens: candidate = work with @state, the next seq (or id and
 * seq 1 at open), @now_ms and its message; emit; on success it becomes pub (and work, so the
 * two agree), else nothing changes. Return: 0 or the callback's value.
 */
static int publish(struct fusion *f, struct alert *al, enum fusion_state state, int64_t now_ms,
                   enum clear_reason why, long extra, long extra2)
{
    struct fusion_alert c = al->work;
    int rc;

    c.state = state;
    c.time_ms = now_ms;
    if (state == FUSION_OPEN) {
        c.id = f->next_id;
        c.seq = 1;
    } else {
        c.id = al->pub.id;
        c.seq = al->pub.seq + 1;
    }
    build_message(&c, why, extra, extra2);
    rc = f->emit(&c, f->arg);
    if (rc != 0) {
        f->st.emit_failures++;
        return rc;
    }
    f->st.transitions++;
    al->pub = c;
    al->work = c;
    al->last_emit_ms = now_ms;
    if (state == FUSION_OPEN) {
        al->active = true;
        f->next_id++;
        f->active++;
    } else if (state == FUSION_CLEARED) {
        al->active = false;
        f->active--;
    }
    return 0;
}

/* Room for one more active alert? Counts the refusal when not. */
static bool may_open(struct fusion *f)
{
    if (f->active >= f->max_alerts) {
        f->st.refused_cap++;
        return false;
    }
    return true;
}

/* For an active alert, after its work copy took the latest input: escalate at once when the
 * level rose, else publish a pending change once the update interval has passed. */
static int escalate_or_update(struct fusion *f, struct alert *al, unsigned interval_s,
                              int64_t now_ms, long extra, long extra2)
{
    if (al->work.level > al->pub.level) {
        return publish(f, al, FUSION_ESCALATE, now_ms, CLEAR_QUIET, extra, extra2);
    }
    if (work_changed(al) && now_ms - al->last_emit_ms >= (int64_t)interval_s * 1000) {
        return publish(f, al, FUSION_UPDATE, now_ms, CLEAR_QUIET, extra, extra2);
    }
    return 0;
}

static int first_error(int rc, int next)
{
    return rc != 0 ? rc : next;
}

/* ---- cluster windows ---- */

struct wstats {
    unsigned nodes; /* distinct nodes in the window */
    double max_p;   /* highest single p */
    double fused;   /* 1 - prod(1 - p) over distinct nodes' best p */
    int level;      /* LEVEL_NONE or enum fusion_level */
};

static void window_stats(struct fusion *f, const struct group *g, const struct config_rule *r,
                         struct wstats *ws)
{
    const struct config_zone *z = config_zone_find(&f->cfg, g->zone);
    double prod = 1.0;
    size_t used = 0;
    size_t i;

    memset(ws, 0, sizeof(*ws));
    if (++f->gen == 0) {
        /* The stamp wrapped: old stamps could look current. */
        memset(f->slots, 0, HASH_SLOTS * sizeof(f->slots[0]));
        f->gen = 1;
    }
    for (i = 0; i < g->win_len; i++) {
        const struct entry *e = &g->win[i];
        /* Fibonacci hashing: DevAddrs share their high bits (the NetID prefix). */
        uint32_t h = (uint32_t)(e->devaddr * 2654435761u) >> (32u - HASH_BITS);

        while (f->slots[h].gen == f->gen && f->slots[h].devaddr != e->devaddr) {
            h = (h + 1u) & (HASH_SLOTS - 1u);
        }
        if (f->slots[h].gen != f->gen) {
            f->slots[h].gen = f->gen;
            f->slots[h].devaddr = e->devaddr;
            f->slots[h].p = e->p;
            f->used[used++] = h;
        } else if (e->p > f->slots[h].p) {
            f->slots[h].p = e->p;
        }
    }
    for (i = 0; i < used; i++) {
        double best = f->slots[f->used[i]].p;

        prod *= 1.0 - best;
        if (best > ws->max_p) {
            ws->max_p = best;
        }
    }
    ws->nodes = (unsigned)used;
    ws->fused = used > 0 ? 1.0 - prod : 0.0;
    ws->level = LEVEL_NONE;
    if (used > 0 && ws->max_p >= r->watch_confidence) {
        ws->level = FUSION_WATCH;
    }
    if (ws->nodes >= r->min_nodes && ws->fused >= r->warning_confidence) {
        ws->level = FUSION_WARNING;
        if ((z != NULL && z->critical) || ws->fused >= r->critical_confidence) {
            ws->level = FUSION_CRITICAL;
        }
    }
}

/* Drop entries whose time is at or before @cutoff_ms, keeping arrival order. */
static void window_prune(struct group *g, int64_t cutoff_ms)
{
    size_t i;
    size_t k = 0;

    for (i = 0; i < g->win_len; i++) {
        if (g->win[i].time_ms > cutoff_ms) {
            g->win[k++] = g->win[i];
        }
    }
    g->win_len = k;
}

/* Add @e to the window. A full window loses its oldest detection (by time), whose place @e
 * takes: no shifting, so arrival order holds only until a window overflows. */
static int window_push(struct fusion *f, struct group *g, const struct entry *e)
{
    if (g->win_len == FUSION_WINDOW_MAX) {
        size_t oldest = 0;
        size_t i;

        for (i = 1; i < g->win_len; i++) {
            if (g->win[i].time_ms < g->win[oldest].time_ms) {
                oldest = i;
            }
        }
        g->win[oldest] = *e;
        f->st.window_overflow++;
        return 0;
    }
    if (g->win_len == g->win_cap) {
        size_t cap = g->win_cap != 0 ? g->win_cap * 2 : 16;
        struct entry *w;

        if (cap > FUSION_WINDOW_MAX) {
            cap = FUSION_WINDOW_MAX;
        }
        w = realloc(g->win, cap * sizeof(*w));
        if (w == NULL) {
            return -ENOMEM;
        }
        g->win = w;
        g->win_cap = cap;
    }
    g->win[g->win_len++] = *e;
    return 0;
}

/* Build a cluster alert's work copy from its window (the alert is about to open). */
static void group_work_from_window(struct fusion *f, struct group *g, const struct wstats *ws)
{
    const struct config_rule *r = &f->cfg.rules[g->al.rule];
    struct alert *al = &g->al;
    size_t i;

    work_reset(al, FUSION_KIND_CLUSTER, rule_class_name(f, r), g->zone, g->zone, r->name);
    al->work.level = (enum fusion_level)ws->level;
    al->work.confidence = ws->fused;
    al->work.detections = (uint32_t)g->win_len;
    for (i = 0; i < g->win_len; i++) {
        const struct entry *e = &g->win[i];

        work_add_node(al, e->devaddr, e->p, e->has_position, e->lat, e->lon);
        if (i == 0 || e->time_ms < al->work.first_seen_ms) {
            al->work.first_seen_ms = e->time_ms;
        }
        if (e->time_ms > al->work.last_seen_ms) {
            al->work.last_seen_ms = e->time_ms;
        }
    }
    work_centroid(al);
}

/*
 * Everything due for one group at @now_ms; @e is the detection that just entered its window
 * (NULL at a tick). Return: 0 or the emit callback's value.
 */
static int group_eval(struct fusion *f, struct group *g, const struct entry *e, int64_t now_ms)
{
    struct alert *al = &g->al;
    const struct config_rule *r;
    struct wstats ws;

    if (al->rule < 0) {
        g->win_len = 0;
        if (!al->active) {
            return 0;
        }
        return publish(f, al, FUSION_CLEARED, now_ms, CLEAR_RULE_GONE, 0, 0);
    }
    r = &f->cfg.rules[al->rule];
    window_prune(g, now_ms - (int64_t)r->window_s * 1000);
    if (al->active && now_ms - al->last_input_ms >= (int64_t)r->clear_after_s * 1000) {
        int rc = publish(f, al, FUSION_CLEARED, now_ms, CLEAR_QUIET,
                         (long)((now_ms - al->last_input_ms) / 1000), 0);

        if (rc == 0) {
            g->win_len = 0;
        }
        return rc;
    }
    window_stats(f, g, r, &ws);
    if (!al->active) {
        if (ws.level == LEVEL_NONE || !may_open(f)) {
            return 0;
        }
        group_work_from_window(f, g, &ws);
        return publish(f, al, FUSION_OPEN, now_ms, CLEAR_QUIET, 0, 0);
    }
    if (e != NULL) {
        work_add_node(al, e->devaddr, e->p, e->has_position, e->lat, e->lon);
        work_centroid(al);
        al->work.detections++;
        if (e->time_ms > al->work.last_seen_ms) {
            al->work.last_seen_ms = e->time_ms;
        }
        if (e->time_ms < al->work.first_seen_ms) {
            al->work.first_seen_ms = e->time_ms;
        }
    }
    al->work.level = (enum fusion_level)level_max((int)al->work.level, ws.level);
    if (ws.fused > al->work.confidence + CONF_EPS) {
        al->work.confidence = ws.fused;
    }
    return escalate_or_update(f, al, r->update_interval_s, now_ms, 0, 0);
}

static struct group *group_find(struct fusion *f, int rule, const char *zone)
{
    size_t i;

    for (i = 0; i < f->group_len; i++) {
        struct group *g = f->groups[i];

        if (g->al.rule == rule && strcmp(g->zone, zone) == 0) {
            return g;
        }
    }
    return NULL;
}

/* A new group for @rule and @zone; NULL at the cap (counted) or without memory (*err). */
static struct group *group_add(struct fusion *f, int rule, const char *zone, int *err)
{
    struct group *g;

    *err = 0;
    if (f->group_len >= 2 * f->max_alerts) {
        f->st.dropped_windows++;
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    copy_str(g->zone, sizeof(g->zone), zone);
    g->al.rule = rule;
    f->groups[f->group_len++] = g;
    return g;
}

static void group_free(struct group *g)
{
    if (g != NULL) {
        free(g->win);
        free(g);
    }
}

/* ---- nodes ---- */

static size_t node_lower_bound(const struct fusion *f, uint32_t devaddr)
{
    size_t lo = 0;
    size_t hi = f->node_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->nodes[mid]->devaddr < devaddr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static struct node *node_find(const struct fusion *f, uint32_t devaddr)
{
    size_t i = node_lower_bound(f, devaddr);

    return i < f->node_len && f->nodes[i]->devaddr == devaddr ? f->nodes[i] : NULL;
}

/* The node's state, made if new. NULL with *err = 0 beyond max_nodes (counted), or -ENOMEM. */
static struct node *node_get(struct fusion *f, uint32_t devaddr, int64_t now_ms, int *err)
{
    size_t i = node_lower_bound(f, devaddr);
    struct node *n;

    *err = 0;
    if (i < f->node_len && f->nodes[i]->devaddr == devaddr) {
        return f->nodes[i];
    }
    if (f->node_len >= f->max_nodes) {
        f->st.untracked_nodes++;
        return NULL;
    }
    if (f->node_len == f->node_cap) {
        size_t cap = f->node_cap != 0 ? f->node_cap * 2 : 64;
        struct node **v;

        if (cap > f->max_nodes) {
            cap = f->max_nodes;
        }
        v = realloc(f->nodes, cap * sizeof(struct node *));
        if (v == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        f->nodes = v;
        f->node_cap = cap;
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    n->devaddr = devaddr;
    n->last_seen_ms = now_ms;
    copy_str(n->zone, sizeof(n->zone), FUSION_UNZONED);
    memmove(&f->nodes[i + 1], &f->nodes[i], (f->node_len - i) * sizeof(struct node *));
    f->nodes[i] = n;
    f->node_len++;
    return n;
}

static void node_update(const struct fusion *f, struct node *n, const struct fusion_node *in)
{
    if (in->has_position) {
        n->has_position = true;
        n->lat = in->lat;
        n->lon = in->lon;
    }
    resolve_zone(f, in, n->zone);
}

static void node_free(struct node *n)
{
    unsigned s;

    if (n == NULL) {
        return;
    }
    for (s = 0; s < SLOT_COUNT; s++) {
        free(n->alert[s]);
    }
    free(n->ring);
    free(n);
}

/* Start a per-node alert's work copy; reuses or allocates the slot. NULL without memory. */
static struct alert *node_alert_prepare(struct node *n, unsigned slot, enum fusion_kind kind,
                                        const char *class_name, const char *rule, int rule_idx)
{
    struct alert *al = n->alert[slot];
    char key[FUSION_NAME_LEN];

    if (al == NULL) {
        al = calloc(1, sizeof(*al));
        if (al == NULL) {
            return NULL;
        }
        n->alert[slot] = al;
    }
    devaddr_key(n->devaddr, key);
    al->rule = rule_idx;
    work_reset(al, kind, class_name, n->zone, key, rule);
    work_add_node(al, n->devaddr, 1.0, n->has_position, n->lat, n->lon);
    work_centroid(al);
    return al;
}

/* Free an inactive slot (after clearing, or after an opening that failed). */
static void node_alert_drop(struct node *n, unsigned slot)
{
    if (n->alert[slot] != NULL && !n->alert[slot]->active) {
        free(n->alert[slot]);
        n->alert[slot] = NULL;
    }
}

/* Open when @want and none is active, clear when not @want and one is. */
static int health_eval(struct fusion *f, struct node *n, unsigned slot, bool want, bool off,
                       enum clear_reason why, int64_t now_ms)
{
    struct alert *al = n->alert[slot];
    const struct config_health *h = &f->cfg.health;
    int rc = 0;

    if (al != NULL && al->active) {
        if (want) {
            return 0;
        }
        rc = publish(f, al, FUSION_CLEARED, now_ms, off ? CLEAR_CHECK_OFF : why,
                     (long)n->battery_mv, 0);
    } else if (want && may_open(f)) {
        bool offline = slot == SLOT_OFFLINE;

        al = node_alert_prepare(n, slot, offline ? FUSION_KIND_OFFLINE : FUSION_KIND_BATTERY,
                                offline ? FUSION_CLASS_OFFLINE : FUSION_CLASS_BATTERY,
                                FUSION_HEALTH_RULE, -1);
        if (al == NULL) {
            return -ENOMEM;
        }
        al->work.level = offline ? FUSION_WARNING : FUSION_WATCH;
        al->work.confidence = 1.0;
        al->work.detections = 1;
        al->work.first_seen_ms = offline ? n->last_seen_ms : now_ms;
        al->work.last_seen_ms = al->work.first_seen_ms;
        al->last_input_ms = now_ms;
        if (offline) {
            rc = publish(f, al, FUSION_OPEN, now_ms, CLEAR_QUIET,
                         (long)((now_ms - n->last_seen_ms) / 1000), 0);
        } else {
            rc = publish(f, al, FUSION_OPEN, now_ms, CLEAR_QUIET, (long)n->battery_mv,
                         (long)h->battery_low_mv);
        }
    }
    node_alert_drop(n, slot);
    return rc;
}

static int offline_eval(struct fusion *f, struct node *n, int64_t now_ms)
{
    unsigned after_s = f->cfg.health.offline_after_s;
    bool want = after_s != 0 && now_ms - n->last_seen_ms > (int64_t)after_s * 1000;

    return health_eval(f, n, SLOT_OFFLINE, want, after_s == 0, CLEAR_HEARD, now_ms);
}

static int battery_eval(struct fusion *f, struct node *n, int64_t now_ms)
{
    unsigned low = f->cfg.health.battery_low_mv;
    bool want = low != 0 && n->battery_known && n->battery_mv <= low;

    return health_eval(f, n, SLOT_BATTERY, want, low == 0, CLEAR_BATTERY, now_ms);
}

/* ---- persistence ---- */

static int ring_push(struct node *n, unsigned cap, const struct ring_entry *e)
{
    if (cap == 0 || cap > RING_MAX) {
        return 0;
    }
    if (n->ring == NULL) {
        n->ring = calloc(RING_MAX, sizeof(n->ring[0]));
        if (n->ring == NULL) {
            return -ENOMEM;
        }
    }
    while (n->ring_len >= cap) {
        memmove(&n->ring[0], &n->ring[1], (n->ring_len - 1) * sizeof(n->ring[0]));
        n->ring_len--;
    }
    n->ring[n->ring_len++] = *e;
    return 0;
}

struct ring_stats {
    unsigned anomalous; /* anomalous summaries in the ring */
    uint8_t score_max;  /* highest score_max in the ring */
    int64_t first_ms;   /* arrival of the oldest anomalous one */
    int64_t last_ms;    /* arrival of the newest anomalous one */
    int level;
};

static void ring_stats(const struct node *n, const struct config_rule *r, struct ring_stats *rs)
{
    unsigned i;

    memset(rs, 0, sizeof(*rs));
    for (i = 0; i < n->ring_len; i++) {
        const struct ring_entry *e = &n->ring[i];

        if (e->score_max > rs->score_max) {
            rs->score_max = e->score_max;
        }
        if (!e->anomalous) {
            continue;
        }
        if (rs->anomalous == 0) {
            rs->first_ms = e->time_ms;
        }
        rs->last_ms = e->time_ms;
        rs->anomalous++;
    }
    rs->level = LEVEL_NONE;
    if (rs->anomalous >= r->k) {
        rs->level = FUSION_WARNING;
    }
    if ((double)rs->score_max / 255.0 > r->critical_confidence) {
        rs->level = FUSION_CRITICAL;
    }
}

/* Everything due for a node's persistence alert; @e is the summary just pushed, or NULL. */
static int pers_eval(struct fusion *f, struct node *n, const struct ring_entry *e, int64_t now_ms)
{
    struct alert *al = n->alert[SLOT_PERS];
    const struct config_rule *r;
    struct ring_stats rs;
    int rc;

    if (al != NULL && al->active && al->rule < 0) {
        rc = publish(f, al, FUSION_CLEARED, now_ms, CLEAR_RULE_GONE, 0, 0);
        if (rc == 0) {
            n->ring_len = 0;
        }
        node_alert_drop(n, SLOT_PERS);
        return rc;
    }
    if (f->pers_rule < 0) {
        return 0;
    }
    r = &f->cfg.rules[f->pers_rule];
    ring_stats(n, r, &rs);
    if (al == NULL || !al->active) {
        if (rs.level == LEVEL_NONE || !may_open(f)) {
            return 0;
        }
        al = node_alert_prepare(n, SLOT_PERS, FUSION_KIND_PERSISTENCE, rule_class_name(f, r),
                                r->name, f->pers_rule);
        if (al == NULL) {
            return -ENOMEM;
        }
        al->work.level = (enum fusion_level)rs.level;
        al->work.confidence = (double)rs.score_max / 255.0;
        al->work.detections = rs.anomalous;
        al->work.first_seen_ms = rs.anomalous > 0 ? rs.first_ms : now_ms;
        al->work.last_seen_ms = rs.anomalous > 0 ? rs.last_ms : now_ms;
        al->last_input_ms = now_ms;
        rc =
            publish(f, al, FUSION_OPEN, now_ms, CLEAR_QUIET, (long)rs.anomalous, (long)n->ring_len);
        node_alert_drop(n, SLOT_PERS);
        return rc;
    }
    if (now_ms - al->last_input_ms >= (int64_t)r->clear_after_s * 1000) {
        rc = publish(f, al, FUSION_CLEARED, now_ms, CLEAR_QUIET,
                     (long)((now_ms - al->last_input_ms) / 1000), 0);
        if (rc == 0) {
            n->ring_len = 0;
        }
        node_alert_drop(n, SLOT_PERS);
        return rc;
    }
    if (e != NULL && e->anomalous) {
        al->work.detections++;
        al->work.last_seen_ms = e->time_ms;
        if ((double)e->score_max / 255.0 > al->work.confidence) {
            al->work.confidence = (double)e->score_max / 255.0;
        }
        work_add_node(al, n->devaddr, 1.0, n->has_position, n->lat, n->lon);
        work_centroid(al);
    }
    al->work.level = (enum fusion_level)level_max((int)al->work.level, rs.level);
    return escalate_or_update(f, al, r->update_interval_s, now_ms, (long)rs.anomalous,
                              (long)n->ring_len);
}

/* ---- public API ---- */

int fusion_new(const struct config *cfg, const struct fusion_opts *opts, struct fusion **out)
{
    struct fusion *f = NULL;

    if (cfg == NULL || opts == NULL || opts->emit == NULL || out == NULL) {
        return -EINVAL;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        goto fail;
    }
    f->cfg = *cfg;
    f->emit = opts->emit;
    f->arg = opts->arg;
    f->max_alerts = opts->max_alerts != 0 ? opts->max_alerts : FUSION_DEFAULT_MAX_ALERTS;
    f->max_nodes = opts->max_nodes != 0 ? opts->max_nodes : FUSION_DEFAULT_MAX_NODES;
    f->next_id = 1;
    f->groups = calloc(2 * f->max_alerts, sizeof(struct group *));
    f->slots = calloc(HASH_SLOTS, sizeof(f->slots[0]));
    f->used = calloc(FUSION_WINDOW_MAX, sizeof(f->used[0]));
    if (f->groups == NULL || f->slots == NULL || f->used == NULL) {
        goto fail;
    }
    rule_index(f);
    *out = f;
    return 0;
fail:
    fusion_free(f);
    return -ENOMEM;
}

void fusion_free(struct fusion *f)
{
    size_t i;

    if (f == NULL) {
        return;
    }
    for (i = 0; f->groups != NULL && i < f->group_len; i++) {
        group_free(f->groups[i]);
    }
    for (i = 0; f->nodes != NULL && i < f->node_len; i++) {
        node_free(f->nodes[i]);
    }
    free(f->groups);
    free(f->nodes);
    free(f->slots);
    free(f->used);
    free(f);
}

void fusion_set_next_id(struct fusion *f, int64_t next_id)
{
    size_t i;
    unsigned s;

    if (next_id < 1) {
        next_id = 1;
    }
    /* Never below an id in use. */
    for (i = 0; i < f->group_len; i++) {
        if (f->groups[i]->al.active && f->groups[i]->al.pub.id >= next_id) {
            next_id = f->groups[i]->al.pub.id + 1;
        }
    }
    for (i = 0; i < f->node_len; i++) {
        for (s = 0; s < SLOT_COUNT; s++) {
            const struct alert *al = f->nodes[i]->alert[s];

            if (al != NULL && al->active && al->pub.id >= next_id) {
                next_id = al->pub.id + 1;
            }
        }
    }
    f->next_id = next_id;
}

int64_t fusion_next_id(const struct fusion *f)
{
    return f->next_id;
}

/* The rule named @name with @type and @class_id, or -1. */
static int rule_find(const struct config *c, const char *name, enum config_rule_type type,
                     const char *class_name)
{
    unsigned i;

    for (i = 0; i < c->rule_count && i < CONFIG_RULE_MAX; i++) {
        const struct config_rule *r = &c->rules[i];
        const char *cn = config_class_name(c, r->class_id);

        if (strcmp(r->name, name) == 0 && r->type == type && cn != NULL &&
            strcmp(cn, class_name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Work through every group and node: what fusion_tick() does. */
static int eval_all(struct fusion *f, int64_t now_ms)
{
    size_t i;
    size_t k = 0;
    int rc = 0;

    for (i = 0; i < f->group_len; i++) {
        struct group *g = f->groups[i];

        rc = first_error(rc, group_eval(f, g, NULL, now_ms));
        if (!g->al.active && g->win_len == 0) {
            group_free(g);
            continue;
        }
        f->groups[k++] = g;
    }
    f->group_len = k;
    for (i = 0; i < f->node_len; i++) {
        struct node *n = f->nodes[i];

        rc = first_error(rc, pers_eval(f, n, NULL, now_ms));
        rc = first_error(rc, offline_eval(f, n, now_ms));
        rc = first_error(rc, battery_eval(f, n, now_ms));
    }
    return rc;
}

int fusion_set_config(struct fusion *f, const struct config *cfg, int64_t now_ms)
{
    size_t i;
    unsigned newest_n;

    if (f == NULL || cfg == NULL) {
        return -EINVAL;
    }
    f->cfg = *cfg;
    rule_index(f);
    for (i = 0; i < f->group_len; i++) {
        struct alert *al = &f->groups[i]->al;

        if (al->active) {
            al->rule = rule_find(&f->cfg, al->pub.rule, CONFIG_RULE_CLUSTER, al->pub.class_name);
        } else {
            /* A window without an alert belongs to the rule its class maps to now, if the
             * rule kept its name; else it is dropped. */
            al->rule = -1;
            f->groups[i]->win_len = 0;
        }
    }
    newest_n = f->pers_rule >= 0 ? f->cfg.rules[f->pers_rule].n : 0;
    for (i = 0; i < f->node_len; i++) {
        struct node *n = f->nodes[i];
        struct alert *al = n->alert[SLOT_PERS];

        if (n->ring_len > newest_n) {
            unsigned drop = n->ring_len - newest_n;

            memmove(&n->ring[0], &n->ring[drop], newest_n * sizeof(n->ring[0]));
            n->ring_len = newest_n;
        }
        if (al != NULL && al->active) {
            al->rule =
                (f->pers_rule >= 0 && strcmp(f->cfg.rules[f->pers_rule].name, al->pub.rule) == 0 &&
                 strcmp(rule_class_name(f, &f->cfg.rules[f->pers_rule]), al->pub.class_name) == 0)
                    ? f->pers_rule
                    : -1;
        }
    }
    return eval_all(f, now_ms);
}

int fusion_node_known(struct fusion *f, const struct fusion_node *in, int64_t last_seen_ms,
                      int64_t now_ms)
{
    struct node *n;
    int err;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    n = node_get(f, in->devaddr, last_seen_ms > 0 ? last_seen_ms : now_ms, &err);
    if (n == NULL) {
        return err != 0 ? err : -ENOSPC;
    }
    if (last_seen_ms > n->last_seen_ms) {
        n->last_seen_ms = last_seen_ms;
    }
    node_update(f, n, in);
    return 0;
}

int fusion_node_forget(struct fusion *f, uint32_t devaddr, int64_t now_ms)
{
    size_t i;
    unsigned s;
    struct node *n;
    int rc = 0;

    if (f == NULL) {
        return -EINVAL;
    }
    n = node_find(f, devaddr);
    if (n == NULL) {
        return -ENOENT;
    }
    for (s = 0; s < SLOT_COUNT; s++) {
        struct alert *al = n->alert[s];

        if (al != NULL && al->active) {
            rc = first_error(
                rc, publish(f, al, FUSION_CLEARED, now_ms, CLEAR_REMOVED, (long)n->battery_mv, 0));
        }
        node_alert_drop(n, s);
    }
    if (rc != 0) {
        return rc;
    }
    i = node_lower_bound(f, devaddr);
    memmove(&f->nodes[i], &f->nodes[i + 1], (f->node_len - i - 1) * sizeof(struct node *));
    f->node_len--;
    node_free(n);
    return 0;
}

/* The common start of every input: the node is alive. NULL when untracked (or *err). */
static struct node *input_node(struct fusion *f, const struct fusion_node *in, int64_t now_ms,
                               int *rc)
{
    struct node *n = node_get(f, in->devaddr, now_ms, rc);

    if (n == NULL) {
        return NULL;
    }
    n->last_seen_ms = now_ms;
    node_update(f, n, in);
    *rc = offline_eval(f, n, now_ms);
    return n;
}

int fusion_seen(struct fusion *f, const struct fusion_node *in, int64_t now_ms)
{
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    (void)input_node(f, in, now_ms, &rc);
    return rc;
}

int fusion_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                     uint8_t confidence, int64_t time_ms, int64_t now_ms)
{
    char zone[FUSION_NAME_LEN];
    struct entry e;
    struct group *g;
    const struct config_rule *r;
    int rule;
    int rc = 0;
    int err;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    (void)input_node(f, in, now_ms, &rc);
    if (rc == -ENOMEM) {
        return rc;
    }
    rule = f->cluster_rule[class_id];
    if (rule < 0) {
        f->st.no_rule++;
        return rc;
    }
    r = &f->cfg.rules[rule];
    if (time_ms > now_ms) {
        time_ms = now_ms;
    }
    if (time_ms <= now_ms - (int64_t)r->window_s * 1000) {
        f->st.stale++;
        return rc;
    }
    memset(&e, 0, sizeof(e));
    e.devaddr = in->devaddr;
    e.has_position = in->has_position;
    e.lat = in->lat;
    e.lon = in->lon;
    e.p = (double)confidence / 255.0;
    e.time_ms = time_ms;
    resolve_zone(f, in, zone);
    g = group_find(f, rule, zone);
    if (g == NULL) {
        g = group_add(f, rule, zone, &err);
        if (g == NULL) {
            return err != 0 ? err : rc;
        }
    }
    err = window_push(f, g, &e);
    if (err != 0) {
        return err;
    }
    g->al.last_input_ms = now_ms;
    return first_error(rc, group_eval(f, g, &e, now_ms));
}

int fusion_replay_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                            uint8_t confidence, int64_t time_ms, int64_t now_ms)
{
    char zone[FUSION_NAME_LEN];
    struct entry e;
    struct group *g;
    int rule;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    rule = f->cluster_rule[class_id];
    if (rule < 0 || time_ms > now_ms ||
        time_ms <= now_ms - (int64_t)f->cfg.rules[rule].window_s * 1000) {
        return 0;
    }
    resolve_zone(f, in, zone);
    g = group_find(f, rule, zone);
    /* Only the window of an alert that was restored, and only what it already counted: a
     * detection from before it opened belonged to an alert that has cleared since. */
    if (g == NULL || !g->al.active || time_ms < g->al.pub.first_seen_ms) {
        return 0;
    }
    memset(&e, 0, sizeof(e));
    e.devaddr = in->devaddr;
    e.has_position = in->has_position;
    e.lat = in->lat;
    e.lon = in->lon;
    e.p = (double)confidence / 255.0;
    e.time_ms = time_ms;
    return window_push(f, g, &e);
}

int fusion_anomaly(struct fusion *f, const struct fusion_node *in,
                   const struct proto_tfp_anomaly *a, int64_t now_ms)
{
    struct ring_entry e;
    struct node *n;
    int rc = 0;

    if (f == NULL || in == NULL || a == NULL) {
        return -EINVAL;
    }
    n = input_node(f, in, now_ms, &rc);
    if (f->pers_rule < 0) {
        f->st.no_rule++;
        return rc;
    }
    if (n == NULL) {
        return rc;
    }
    /* One anomalous window in a summary of thousands can be a model's false positive:
     * [rule.*] anomalous_ratio says how many make the summary count (fusion.h). */
    e.anomalous =
        a->anomalous > 0 &&
        (double)a->anomalous > f->cfg.rules[f->pers_rule].anomalous_ratio * (double)a->windows;
    e.score_max = a->score_max;
    e.time_ms = now_ms;
    if (ring_push(n, f->cfg.rules[f->pers_rule].n, &e) != 0) {
        return -ENOMEM;
    }
    if (e.anomalous && n->alert[SLOT_PERS] != NULL && n->alert[SLOT_PERS]->active) {
        n->alert[SLOT_PERS]->last_input_ms = now_ms;
    }
    return first_error(rc, pers_eval(f, n, &e, now_ms));
}

int fusion_health(struct fusion *f, const struct fusion_node *in, uint16_t battery_mv,
                  int64_t now_ms)
{
    struct node *n;
    struct alert *al;
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    n = input_node(f, in, now_ms, &rc);
    if (n == NULL) {
        return rc;
    }
    n->battery_known = true;
    n->battery_mv = battery_mv;
    al = n->alert[SLOT_BATTERY];
    if (al != NULL && al->active && f->cfg.health.battery_low_mv != 0 &&
        battery_mv <= f->cfg.health.battery_low_mv) {
        /* Another low reading: counted, published with the next transition. */
        al->work.detections++;
        al->work.last_seen_ms = now_ms;
        al->last_input_ms = now_ms;
    }
    return first_error(rc, battery_eval(f, n, now_ms));
}

int fusion_tick(struct fusion *f, int64_t now_ms)
{
    if (f == NULL) {
        return -EINVAL;
    }
    return eval_all(f, now_ms);
}

static int hex_key(const char *key, uint32_t *out)
{
    uint32_t v = 0;
    unsigned i;

    for (i = 0; i < 8; i++) {
        char c = key[i];
        unsigned d;

        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            return -EINVAL;
        }
        v = v << 4 | d;
    }
    if (key[8] != '\0') {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* Load a stored alert into @al as both pub and work. */
static void restore_into(struct alert *al, const struct fusion_alert *a, int rule,
                         enum fusion_kind kind)
{
    unsigned i;

    al->active = true;
    al->rule = rule;
    al->pub = *a;
    al->pub.node_count = a->node_count <= FUSION_ALERT_NODES ? a->node_count : FUSION_ALERT_NODES;
    al->pub.class_name[FUSION_NAME_LEN - 1] = '\0';
    al->pub.zone[FUSION_NAME_LEN - 1] = '\0';
    al->pub.key[FUSION_NAME_LEN - 1] = '\0';
    al->pub.rule[FUSION_NAME_LEN - 1] = '\0';
    al->pub.message[FUSION_MESSAGE_LEN - 1] = '\0';
    al->pub.kind = kind;
    al->work = al->pub;
    /* The nodes' own weights and positions are not stored: each restored node stands at the
     * stored centroid with the alert's confidence until it reports again. */
    for (i = 0; i < al->pub.node_count; i++) {
        al->node_p[i] = a->confidence;
        al->node_pos[i] = a->has_position;
        al->node_lat[i] = a->lat;
        al->node_lon[i] = a->lon;
    }
    al->last_emit_ms = a->time_ms;
    al->last_input_ms = a->last_seen_ms > a->time_ms ? a->last_seen_ms : a->time_ms;
}

/* Restore a cluster alert (or one whose rule is gone) as the alert of a (rule, key) group. */
static int restore_group(struct fusion *f, const struct fusion_alert *a, int rule)
{
    struct group *g;
    size_t i;
    int err;

    for (i = 0; i < f->group_len; i++) {
        const struct alert *al = &f->groups[i]->al;

        if (al->active && strcmp(al->pub.rule, a->rule) == 0 &&
            strcmp(f->groups[i]->zone, a->key) == 0) {
            return -EEXIST;
        }
    }
    if (f->active >= f->max_alerts) {
        return -ENOSPC;
    }
    g = group_find(f, rule, a->key);
    if (g == NULL || g->al.active) {
        g = group_add(f, rule, a->key, &err);
        if (g == NULL) {
            return err != 0 ? err : -ENOSPC;
        }
    }
    restore_into(&g->al, a, rule, FUSION_KIND_CLUSTER);
    return 0;
}

/* Restore a per-node alert into @slot of its node (made if fusion_node_known() did not). */
static int restore_node(struct fusion *f, const struct fusion_alert *a, unsigned slot, int rule,
                        enum fusion_kind kind)
{
    struct node *n;
    struct alert *al;
    uint32_t devaddr;
    int err;

    if (hex_key(a->key, &devaddr) != 0) {
        return -EINVAL;
    }
    n = node_find(f, devaddr);
    if (n != NULL && n->alert[slot] != NULL && n->alert[slot]->active) {
        return -EEXIST;
    }
    if (f->active >= f->max_alerts) {
        return -ENOSPC;
    }
    if (n == NULL) {
        /* An offline alert's last_seen is when the node was last heard. */
        n = node_get(f, devaddr, kind == FUSION_KIND_OFFLINE ? a->last_seen_ms : a->time_ms, &err);
        if (n == NULL) {
            return err != 0 ? err : -ENOSPC;
        }
        copy_str(n->zone, sizeof(n->zone), a->zone);
    }
    al = n->alert[slot];
    if (al == NULL) {
        al = calloc(1, sizeof(*al));
        if (al == NULL) {
            return -ENOMEM;
        }
        n->alert[slot] = al;
    }
    restore_into(al, a, rule, kind);
    if (kind == FUSION_KIND_BATTERY) {
        /* Low until a health message says otherwise. */
        n->battery_known = true;
        n->battery_mv = 0;
    }
    return 0;
}

int fusion_restore(struct fusion *f, const struct fusion_alert *a)
{
    int rule;
    int rc;

    if (f == NULL || a == NULL || a->seq == 0 || a->id < 1 || (int)a->state < FUSION_OPEN ||
        (int)a->state >= FUSION_CLEARED || (int)a->level < FUSION_WATCH ||
        (int)a->level > FUSION_CRITICAL) {
        return -EINVAL;
    }
    if (strcmp(a->class_name, FUSION_CLASS_OFFLINE) == 0) {
        rc = restore_node(f, a, SLOT_OFFLINE, -1, FUSION_KIND_OFFLINE);
    } else if (strcmp(a->class_name, FUSION_CLASS_BATTERY) == 0) {
        rc = restore_node(f, a, SLOT_BATTERY, -1, FUSION_KIND_BATTERY);
    } else if (strcmp(a->key, a->zone) == 0) {
        /* Cluster alerts are keyed by their zone, per-node ones by the DevAddr. */
        rc = restore_group(f, a, rule_find(&f->cfg, a->rule, CONFIG_RULE_CLUSTER, a->class_name));
    } else {
        /* Only the first persistence rule is fed (fusion.h); another one's alert is gone. */
        rule = rule_find(&f->cfg, a->rule, CONFIG_RULE_PERSISTENCE, a->class_name);
        rc = restore_node(f, a, SLOT_PERS, rule == f->pers_rule ? rule : -1,
                          FUSION_KIND_PERSISTENCE);
    }
    if (rc != 0) {
        return rc;
    }
    f->active++;
    if (a->id >= f->next_id) {
        f->next_id = a->id + 1;
    }
    return 0;
}

int fusion_foreach_active(const struct fusion *f,
                          int (*cb)(const struct fusion_alert *a, void *arg), void *arg)
{
    size_t i;
    unsigned s;
    int rc;

    for (i = 0; i < f->group_len; i++) {
        if (f->groups[i]->al.active) {
            rc = cb(&f->groups[i]->al.pub, arg);
            if (rc != 0) {
                return rc;
            }
        }
    }
    for (i = 0; i < f->node_len; i++) {
        for (s = 0; s < SLOT_COUNT; s++) {
            const struct alert *al = f->nodes[i]->alert[s];

            if (al != NULL && al->active) {
                rc = cb(&al->pub, arg);
                if (rc != 0) {
                    return rc;
                }
            }
        }
    }
    return 0;
}

void fusion_get_stats(const struct fusion *f, struct fusion_stats *out)
{
    *out = f->st;
    out->active = f->active;
}
