/* SPDX-License-Identifier: MIT
 * Fusion's internals, shared by its files, lowest first (fusion_message.c: level and state
 * names, the sentences; fusion_alert.c: an alert's rule, its work copy and its transitions;
 * fusion_node.c: per-node state, which never runs a rule; fusion_storm.c: whether a cluster
 * rule's detections are a storm over many zones (counts, opens nothing); fusion_health.c,
 * fusion_persistence.c, fusion_cluster.c: one rule engine each, and none calls another;
 * fusion.c: the engine object and the inputs, each handed to the engines it concerns;
 * fusion_restore.c: continuing stored alerts after a restart; each calls only files before
 * it). fusion.h has the semantics.
 *
 * Each alert keeps two copies of itself: `pub`, exactly what was last published, and `work`,
 * what the next transition would publish, which inputs change as they arrive. A transition
 * copies work into a candidate, hands it to the emit callback and only on success makes it
 * the new pub (fusion__publish()); so a refused transition leaves the published alert
 * untouched and the same decision is taken again at the next call. Alerts that do not exist
 * yet are built from the input state (a window, a node's ring, a node's last_seen or battery)
 * at each attempt, so a refused opening is retried the same way.
 * Loop thread only, like the rest of fusion.
 */
#ifndef PROJ_DAEMON_ALERT_FUSION_INT_H
#define PROJ_DAEMON_ALERT_FUSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion.h"
#include "config/config.h"

#define FUSION__LEVEL_NONE 0  /* below watch: no alert */
#define FUSION__RING_MAX   64 /* config n is 1..64 */

/* Per-node alerts, indices of struct fusion__node.alert. */
enum {
    FUSION__SLOT_PERS = 0,
    FUSION__SLOT_OFFLINE = 1,
    FUSION__SLOT_BATTERY = 2,
    FUSION__SLOT_COUNT
};

/* Why an alert is cleared: picks the sentence of its last message. */
enum fusion__clear_reason {
    FUSION__CLEAR_QUIET,     /* clear_after_s without contributing input */
    FUSION__CLEAR_HEARD,     /* an offline node was heard */
    FUSION__CLEAR_BATTERY,   /* a health message above the threshold */
    FUSION__CLEAR_RULE_GONE, /* the rule is no longer in the config */
    FUSION__CLEAR_CHECK_OFF, /* the [health] check was turned off */
    FUSION__CLEAR_REMOVED    /* the node was removed from the registry */
};

struct fusion__alert {
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
struct fusion__entry {
    uint32_t devaddr;
    bool has_position;
    double lat;
    double lon;
    double p;        /* confidence 0..1 */
    int64_t time_ms; /* detection time, Unix ms */
};

/* The window and the alert of one (cluster rule, zone). */
struct fusion__group {
    char zone[FUSION_NAME_LEN];
    struct fusion__entry *win; /* arrival order (until the window overflows) */
    size_t win_len;
    size_t win_cap;
    int64_t last_det_ms;     /* detection time of its newest detection (storm count) */
    struct fusion__alert al; /* al.rule is the group's rule */
};

/* A persistence rule's memory of a node's last n summaries (oldest first). */
struct fusion__ring_entry {
    bool anomalous;
    uint8_t score_max;
    int64_t time_ms; /* arrival, Unix ms */
};

struct fusion__node {
    uint32_t devaddr;
    int64_t last_seen_ms; /* last input (or fusion_node_known()), Unix ms */
    bool has_position;
    double lat;
    double lon;
    char zone[FUSION_NAME_LEN]; /* resolved zone */
    bool battery_known;
    uint16_t battery_mv;
    bool learning;     /* its last health message said it is still learning its machine */
    unsigned ring_len; /* entries in ring, <= the rule's n */
    struct fusion__ring_entry *ring; /* FUSION__RING_MAX entries, from the first anomaly summary */
    struct fusion__alert *alert[FUSION__SLOT_COUNT]; /* NULL when none */
};

/* Window statistics find each node's best p with an open-addressing table, stamped with a
 * generation number instead of cleared between calls: O(window) per detection. Sorting the
 * window instead cost 390,000 instructions per detection with full windows (callgrind). */
#define FUSION__HASH_BITS  11u /* 2048 slots: at most half full (FUSION_WINDOW_MAX entries) */
#define FUSION__HASH_SLOTS (1u << FUSION__HASH_BITS)
_Static_assert(FUSION_WINDOW_MAX <= FUSION__HASH_SLOTS / 2,
               "the window table must stay half empty");
/* Rises smaller than half the published step are rounding, not news: the fused product is
 * taken in window order, which pruning can change (the same nodes then give a result one ulp
 * apart), and a restored alert's confidence is the published, rounded one. */
#define FUSION__CONF_EPS (FUSION_CONFIDENCE_STEP / 2)
#define FUSION__POS_EPS  (FUSION_DEGREE_STEP / 2)

struct fusion__slot {
    uint32_t devaddr;
    uint32_t gen; /* valid when equal to fusion.gen */
    double p;     /* best p of the node in this window */
};

struct fusion {
    struct config_fusion cfg; /* a copy: rules, zones, class names, [health] */
    fusion_emit_cb emit;
    void *arg;
    size_t max_alerts;
    size_t max_nodes;
    int64_t next_id;
    int64_t id_limit; /* ids at or above it (another gateway's) never raise next_id; 0 none */
    uint64_t active;
    int cluster_rule[CONFIG_CLASS_MAX]; /* class id -> first cluster rule, -1 none */
    int pers_rule;                      /* first persistence rule, -1 none */
    struct fusion__group **groups;
    size_t group_len;
    struct fusion__node **nodes; /* sorted by devaddr */
    size_t node_len;
    size_t node_cap;
    struct fusion__slot *slots; /* FUSION__HASH_SLOTS */
    uint32_t *used;             /* FUSION_WINDOW_MAX: slots taken in this generation */
    uint32_t gen;
    int64_t storm_until_ms[CONFIG_RULE_MAX]; /* per rule: new alerts held until then */
    struct fusion_stats st;
};

/* The first failure of several calls that all run: a refused transition does not stop the
 * others. */
static inline int first_error(int rc, int next)
{
    return rc != 0 ? rc : next;
}

/* An id this engine may have allocated: below fusion_set_id_limit()'s limit. */
static inline bool fusion__own_id(const struct fusion *f, int64_t id)
{
    return f->id_limit == 0 || id < f->id_limit;
}

static inline int level_max(int a, int b)
{
    return a > b ? a : b;
}

/* Copy @src (NULL = "") into @dst of @cap bytes, cut to fit, always NUL-terminated. Inline:
 * every input resolves its node's zone, which copies a name, and as a call this cost 0.6 %
 * of fusion's instructions (callgrind). */
static inline void fusion__copy_str(char *dst, size_t cap, const char *src)
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

/* Free a node's inactive alert slot (after clearing, or after an opening that failed). */
static inline void fusion__node_alert_drop(struct fusion__node *n, unsigned slot)
{
    if (n->alert[slot] != NULL && !n->alert[slot]->active) {
        free(n->alert[slot]);
        n->alert[slot] = NULL;
    }
}

/* ---- fusion_message.c ---- */

/* Write the sentence of transition @a (its kind, state and level) into a->message. @why says
 * why a cleared alert cleared; @extra and @extra2 are the numbers the sentence quotes: quiet
 * seconds, anomalous and total summaries, offline seconds, battery and threshold mV. */
void fusion__message(struct fusion_alert *a, enum fusion__clear_reason why, long extra,
                     long extra2);

/* ---- fusion_alert.c ---- */

/* The class name of rule @r, "unknown" when the class table has none. */
const char *fusion__rule_class_name(const struct fusion *f, const struct config_rule *r);

/* The rule of @c named @name with @type and the class named @class_name, or -1. */
int fusion__rule_find(const struct config_fusion *c, const char *name, enum config_rule_type type,
                      const char *class_name);

/* Confidence-weighted centroid of the work copy's listed nodes that have a position. */
void fusion__work_centroid(struct fusion__alert *al);

/* Add (or raise) one node in the work copy's node list; the node's latest position wins. */
void fusion__work_add_node(struct fusion__alert *al, uint32_t devaddr, double p, bool has_pos,
                           double lat, double lon);

/* Start a work copy from nothing (an alert about to open). */
void fusion__work_reset(struct fusion__alert *al, enum fusion_kind kind, const char *class_name,
                        const char *zone, const char *key, const char *rule);

/*
 * fusion__publish() - the one place a transition happens: the work copy with @state, the
 * next seq (or a new id and seq 1 at open), @now_ms and its message (@why, @extra, @extra2:
 * see fusion__message()) is emitted; on success it becomes pub, else nothing changes.
 * Return: 0 or the emit callback's value.
 */
int fusion__publish(struct fusion *f, struct fusion__alert *al, enum fusion_state state,
                    int64_t now_ms, enum fusion__clear_reason why, long extra, long extra2);

/* Room for one more active alert? Counts the refusal when not. */
bool fusion__may_open(struct fusion *f);

/* For an active alert whose work copy took the latest input: escalate at once when the level
 * rose, else publish a pending change once @interval_s has passed since the last transition.
 * Return: 0 or the emit callback's value. */
int fusion__escalate_or_update(struct fusion *f, struct fusion__alert *al, unsigned interval_s,
                               int64_t now_ms, long extra, long extra2);

/* ---- fusion_node.c ---- */

/* The node's zone into @out (FUSION_NAME_LEN): registry, else the first config zone holding
 * its position, else FUSION_UNZONED. */
void fusion__resolve_zone(const struct fusion *f, const struct fusion_node *n, char *out);

/* The tracked node @devaddr, or NULL. */
struct fusion__node *fusion__node_find(const struct fusion *f, uint32_t devaddr);

/* The node's state, made if new (last seen @now_ms). NULL with *err = 0 beyond max_nodes
 * (counted), or *err = -ENOMEM. */
struct fusion__node *fusion__node_get(struct fusion *f, uint32_t devaddr, int64_t now_ms, int *err);

/* Take the position (when it has one) and zone of @in into @n. */
void fusion__node_update(const struct fusion *f, struct fusion__node *n,
                         const struct fusion_node *in);

/* Untrack node @n and free it (its alerts must be inactive). */
void fusion__node_remove(struct fusion *f, struct fusion__node *n);

/* Free @n and its alerts and ring; NULL is a no-op. */
void fusion__node_free(struct fusion__node *n);

/* Start a per-node alert's work copy in @slot; reuses or allocates it. NULL without memory. */
struct fusion__alert *fusion__node_alert_prepare(struct fusion__node *n, unsigned slot,
                                                 enum fusion_kind kind, const char *class_name,
                                                 const char *rule, int rule_idx);

/* The node's part of every input: it is alive (last seen @now_ms, position, zone); its
 * node_offline alert is the caller's to evaluate. Return: the node; NULL with *err = 0 when
 * untracked, or *err = -ENOMEM. */
struct fusion__node *fusion__input_node(struct fusion *f, const struct fusion_node *in,
                                        int64_t now_ms, int *err);

/* ---- fusion_storm.c ---- */

/* Group @g of a cluster rule took a detection dated @time_ms: when more than the rule's
 * storm_zones zones have had one within storm_window_s of @now_ms, the rule's new alerts are
 * held for storm_window_s from now. No-op when storm_zones is 0. */
void fusion__storm_note(struct fusion *f, struct fusion__group *g, int64_t time_ms, int64_t now_ms);

/* Are new alerts of @g's rule held at @now_ms (a storm seen within storm_window_s)? */
bool fusion__storm_holds(const struct fusion *f, const struct fusion__group *g, int64_t now_ms);

/* Does @g's newest detection still count towards a storm at @now_ms? Such a group is kept
 * even without alert or window, or its zone would drop out of the count. */
bool fusion__storm_counts(const struct fusion *f, const struct fusion__group *g, int64_t now_ms);

/* ---- fusion_health.c ---- */

/* Open or clear the node's node_offline alert as its last_seen and [health] say. */
int fusion__offline_eval(struct fusion *f, struct fusion__node *n, int64_t now_ms);

/* Open or clear the node's battery_low alert as its battery and [health] say. */
int fusion__battery_eval(struct fusion *f, struct fusion__node *n, int64_t now_ms);

/* A health message of node @n reporting @battery_mv: counted into an active battery_low alert,
 * which then opens or clears. Return: 0, -ENOMEM or the emit callback's value. */
int fusion__health_battery(struct fusion *f, struct fusion__node *n, uint16_t battery_mv,
                           int64_t now_ms);

/* ---- fusion_persistence.c ---- */

/* After a new config: rings keep their newest summaries up to the new n, and active alerts
 * keep their rule only if it is still the first persistence rule, with the same class. */
void fusion__pers_reconfig(struct fusion *f);

/* Everything due for a node's persistence alert; @e is the summary just pushed, or NULL.
 * Return: 0, -ENOMEM or the emit callback's value. */
int fusion__pers_eval(struct fusion *f, struct fusion__node *n, const struct fusion__ring_entry *e,
                      int64_t now_ms);

/* An anomaly summary @a of node @n (NULL when untracked), after the node's offline evaluation
 * gave @rc. Return: what fusion_anomaly() returns. */
int fusion__pers_anomaly(struct fusion *f, struct fusion__node *n,
                         const struct proto_tfp_anomaly *a, int64_t now_ms, int rc);

/* ---- fusion_cluster.c ---- */

/* The group of @rule and @zone, or NULL. */
struct fusion__group *fusion__group_find(struct fusion *f, int rule, const char *zone);

/* A new group for @rule and @zone; NULL at the cap (counted) or without memory (*err). */
struct fusion__group *fusion__group_add(struct fusion *f, int rule, const char *zone, int *err);

/* Free @g and its window; NULL is a no-op. */
void fusion__group_free(struct fusion__group *g);

/* Rebind every group to the rules of a new config: an active alert keeps its rule if it still
 * exists, windows without an alert are emptied. */
void fusion__cluster_reconfig(struct fusion *f);

/* Everything due for every group at @now_ms; groups with neither alert nor window are freed.
 * Return: 0 or the first emit callback's error. */
int fusion__cluster_tick(struct fusion *f, int64_t now_ms);

/* A detection of class @class_id by node @in, after the node's offline evaluation gave @rc.
 * Return: what fusion_detection() returns. */
int fusion__cluster_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                              uint8_t confidence, int64_t time_ms, int64_t now_ms, int rc);

#endif
