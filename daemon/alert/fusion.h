/* SPDX-License-Identifier: MIT
 * Alert fusion (ARCHITECTURE.md "Fusion"): turns detections, anomaly summaries and
 * node health into alerts with a lifecycle (open -> escalate / update -> cleared). No I/O:
 * no SQLite, no sockets, no clock, no logging. Every call carries the current time (`now_ms`,
 * Unix ms), so tests run whole scenarios on a fake clock, and every alert transition is handed
 * to the caller's emit callback synchronously, inside the call that caused it. All functions:
 * loop thread only (the object belongs to one thread); none blocks.
 *
 * Semantics (where ARCHITECTURE.md is silent, the choice is made here):
 *
 * A node's zone: the registry's zone (struct fusion_node.zone) if not empty; else the first
 * [zone.*] of the config, in file order, that contains the node's position (circle: great-
 * circle distance <= radius_m; polygon: point in polygon, see zone.h); else FUSION_UNZONED.
 * The zone is resolved at each input, so a node that moves or a reload that adds a zone
 * takes effect with the next input.
 *
 * Cluster rules ([rule.*] type = cluster). A detection is fed to the first cluster rule of
 * its class (config order); a class without one is ignored (stats.no_rule). Detections are
 * grouped by (rule, zone) in a sliding window of window_s: an entry lives while
 * time_ms > now_ms - window_s * 1000. A detection whose time_ms is already outside the window
 * when it arrives is ignored entirely (stats.stale); a time_ms in the future is taken as
 * now_ms. Over the window: per node the highest confidence p (= confidence_u8 / 255), n the
 * number of distinct nodes, fused = 1 - prod(1 - p). Level of the window:
 *   watch     some node p >= watch_confidence;
 *   warning   n >= min_nodes and fused >= warning_confidence (whatever the single p's are);
 *   critical  warning, and (the zone is a config zone marked critical, or
 *             fused >= critical_confidence). So critical always needs min_nodes nodes: one
 *             node is never critical under a rule with min_nodes >= 2 (a stronger warning,
 *             not a shortcut around the node count).
 * An alert opens when its window reaches watch or above. While it is active, every detection
 * that enters its window is contributing input. The alert describes the event as a whole:
 * `nodes` are the distinct nodes that contributed since it opened (listed up to
 * FUSION_ALERT_NODES; more nodes still count in the window's fused confidence and in
 * `detections`, but are not listed and not in the centroid; `nodes_truncated` says so),
 * `confidence` is the highest fused confidence its window reached, the position is the
 * centroid of the listed nodes that have one, each weighted by its highest p. `level` is the
 * highest level reached (no de-escalation before clearing).
 *
 * Persistence rules (type = persistence, class machine_anomaly): the anomaly summary of a
 * node is fed to the first persistence rule (any class id: the summary carries none; the
 * alert's class is the rule's class). Per node, a ring of the last n summaries remembers
 * for each whether it was anomalous (`anomalous > 0`, and above the rule's anomalous_ratio
 * of its `windows`; the ratio is 0 by default) and its score_max. Level: warning
 * when at least k of the ring's summaries are anomalous; critical when some summary in the
 * ring has score_max / 255 > critical_confidence (strictly above, as the config says),
 * even before k are anomalous. Persistence alerts have no watch level. Contributing input:
 * an anomalous summary. confidence = highest score_max / 255 seen while active; detections =
 * anomalous summaries since it opened (those in the ring at opening included). One alert
 * per node: topic key = DevAddr, nodes = that node, position = the node's.
 *
 * Lifecycle of every rule alert:
 *   open      the first transition (seq 1, new id);
 *   escalate  the level rose; published at once (never rate-limited);
 *   update    nodes, confidence or position changed (a new detection count or last_seen
 *             alone is not a change): published when update_interval_s has passed since the
 *             alert's previous published transition, else kept pending and published by the
 *             first call (input or tick) after the interval;
 *   cleared   no contributing input for clear_after_s (measured from the arrival, now_ms, of
 *             the last one), checked at every tick; the window (or the node's ring) is
 *             emptied then, so only new input opens a new alert (new id, seq 1).
 * seq is 1 at open and +1 per published transition, with no gaps.
 *
 * Node health alerts (per node, topic key = DevAddr, rule "health", confidence 1):
 *   node_offline  level warning; opens at a tick when now_ms - last_seen > offline_after_s
 *                 (a node known through fusion_node_known() but never seen counts from the
 *                 time it was made known); cleared by the first input from the node.
 *   battery_low   level watch; opens when a health message has battery_mv <= battery_low_mv;
 *                 cleared by a later health message above it. Further low messages count in
 *                 `detections` (published with the clearing); they cause no update.
 * Health alerts have no quiet clearing and no update transitions.
 * A zero threshold in [health] disables the check and clears its active alerts.
 *
 * Emit failure: when the callback returns non-zero, that transition did not happen: the
 * alert is exactly as before it (same seq, level, fields; an alert that failed to open does
 * not exist and used no id). The input that caused it is kept (the detection stays in the
 * window, the summary in the ring, the node's last_seen and battery are updated), so the
 * transition is worked out again and retried by the next call that looks at that alert:
 * any input for it, or fusion_tick().
 *
 * Bounds (memory is allocated only by calls that take input or nodes; -ENOMEM drops that
 * input):
 *   - active alerts <= opts.max_alerts (default FUSION_DEFAULT_MAX_ALERTS). At the cap an
 *     alert that would open does not (stats.refused_cap); its input is kept, so it opens at
 *     a later call once another alert has cleared.
 *   - (rule, zone) windows (with or without an alert) <= 2 * opts.max_alerts, so windows
 *     still below watch leave room for every active alert; a detection for a further pair
 *     is dropped (stats.dropped_windows). A window holds at most FUSION_WINDOW_MAX detections;
 *     when full the oldest entry is dropped (stats.window_overflow).
 *   - nodes tracked (last seen, battery, anomaly ring) <= opts.max_nodes (default
 *     FUSION_DEFAULT_MAX_NODES); input from a further node still feeds cluster windows but
 *     raises no per-node alert (persistence, health) (stats.untracked_nodes).
 *   - nodes listed in one alert <= FUSION_ALERT_NODES (see above).
 * Memory (x86-64): 2.3 KiB per (rule, zone) window plus 40 B per detection it holds (so at
 * most 42 KiB each), 2.3 KiB per active per-node alert, 144 B per tracked node and 1 KiB
 * more for a node that has sent an anomaly summary. With the defaults and every bound
 * reached: about 85 MiB of full windows and 73 MiB of nodes; a fleet of 1,000 nodes in 10
 * zones needs well under 2 MiB.
 */
#ifndef PROJ_DAEMON_ALERT_FUSION_H
#define PROJ_DAEMON_ALERT_FUSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "proto/tfp.h"

#if defined(__GNUC__)
#define FUSION_MUST_CHECK __attribute__((warn_unused_result))
#else
#define FUSION_MUST_CHECK
#endif

#define FUSION_ALERT_NODES        32u       /* DevAddrs listed in one alert */
#define FUSION_WINDOW_MAX         1024u     /* detections held in one (rule, zone) window */
#define FUSION_DEFAULT_MAX_ALERTS 1024u     /* active alerts, when opts.max_alerts is 0 */
#define FUSION_DEFAULT_MAX_NODES  65536u    /* nodes tracked, when opts.max_nodes is 0 */
#define FUSION_NAME_LEN           64u       /* class, zone, key and rule strings, NUL included */
#define FUSION_MESSAGE_LEN        256u      /* the message sentence, NUL included */
#define FUSION_UNZONED            "unzoned" /* zone of a node no registry or config zone holds */
#define FUSION_HEALTH_RULE        "health"  /* `rule` of node health alerts */
#define FUSION_CLASS_OFFLINE      "node_offline"
#define FUSION_CLASS_BATTERY      "battery_low"
/* The precision alerts are published with (alert_json.c rounds to it): a confidence or a position
 * that moves by less than half a step is not a change, so it makes no `update`; and an alert
 * read back from its published JSON after a restart compares equal to what it was. */
#define FUSION_CONFIDENCE_STEP 1e-4
#define FUSION_DEGREE_STEP     1e-6

enum fusion_level { FUSION_WATCH = 1, FUSION_WARNING = 2, FUSION_CRITICAL = 3 };

enum fusion_state { FUSION_OPEN = 0, FUSION_ESCALATE = 1, FUSION_UPDATE = 2, FUSION_CLEARED = 3 };

/* What made the alert; output only (fusion_restore() works it out from class and rule). */
enum fusion_kind {
    FUSION_KIND_CLUSTER = 0,     /* a cluster rule: one alert per (class, zone) */
    FUSION_KIND_PERSISTENCE = 1, /* a persistence rule: one alert per node */
    FUSION_KIND_OFFLINE = 2,     /* node_offline */
    FUSION_KIND_BATTERY = 3      /* battery_low */
};

/* The node an input comes from, as the registry knows it. Read during the call only. */
struct fusion_node {
    uint32_t devaddr;
    bool has_position; /* lat/lon valid */
    double lat;        /* degrees WGS84 */
    double lon;        /* degrees WGS84 */
    const char *zone;  /* registry zone name; NULL or "" = none (resolved by position) */
};

/*
 * One alert transition: everything of the alert JSON of ARCHITECTURE.md except `gateway`
 * (the daemon's) and the RFC 3339 rendering of the times. Strings are NUL-terminated.
 */
struct fusion_alert {
    int64_t id;                       /* allocated by fusion at open, never reused */
    uint32_t seq;                     /* 1 at open, +1 per published transition */
    enum fusion_kind kind;            /* output only */
    char class_name[FUSION_NAME_LEN]; /* rule's class, node_offline or battery_low */
    char zone[FUSION_NAME_LEN];       /* the zone (per-node alerts: the node's zone) */
    char key[FUSION_NAME_LEN];        /* topic key: the zone (cluster) or the DevAddr as 8
                                         upper-case hex digits (persistence and health) */
    char rule[FUSION_NAME_LEN];       /* the [rule.<name>] name, or FUSION_HEALTH_RULE */
    enum fusion_level level;
    enum fusion_state state;
    double confidence;                  /* fused confidence 0..1 (see the top of this file) */
    unsigned node_count;                /* entries of @nodes, 0..FUSION_ALERT_NODES */
    bool nodes_truncated;               /* more nodes contributed than @nodes lists */
    uint32_t nodes[FUSION_ALERT_NODES]; /* contributing DevAddrs, in order of first input */
    uint32_t detections;                /* contributing inputs since open */
    bool has_position;                  /* lat/lon valid: some listed node has a position */
    double lat;                         /* confidence-weighted centroid, degrees WGS84 */
    double lon;                         /* confidence-weighted centroid, degrees WGS84 */
    int64_t first_seen_ms;              /* Unix ms of the earliest contributing input */
    int64_t last_seen_ms;               /* Unix ms of the latest contributing input */
    int64_t time_ms;                    /* Unix ms of this transition (the call's now_ms) */
    char message[FUSION_MESSAGE_LEN];   /* one plain English sentence for a person */
};

/*
 * The transition callback. @a is valid during the call only. Return 0 when the transition
 * is stored (it then happened); non-zero (a negative errno) when it could not be: fusion
 * then leaves the alert as it was and retries later (see the top of this file). Called
 * from inside fusion's functions: it must not call fusion functions on the same object.
 */
typedef int (*fusion_emit_cb)(const struct fusion_alert *a, void *arg);

struct fusion_opts {
    fusion_emit_cb emit; /* required */
    void *arg;           /* passed to @emit */
    size_t max_alerts;   /* active alerts (windows: twice as many); 0 = default */
    size_t max_nodes;    /* nodes tracked for per-node alerts; 0 = default */
};

struct fusion_stats {
    uint64_t active;          /* active alerts now */
    uint64_t transitions;     /* transitions published (emit returned 0) */
    uint64_t emit_failures;   /* emit returned non-zero */
    uint64_t no_rule;         /* detections of a class no cluster rule covers, or anomaly
                                 summaries without a persistence rule */
    uint64_t stale;           /* detections older than their window at arrival */
    uint64_t refused_cap;     /* openings refused: max_alerts active (counted per attempt) */
    uint64_t dropped_windows; /* detections dropped: 2 * max_alerts windows exist */
    uint64_t window_overflow; /* oldest detections dropped from a full window */
    uint64_t untracked_nodes; /* inputs from nodes beyond max_nodes */
};

struct fusion;

/*
 * fusion_new() - make a fusion engine for @cfg (copied: rules, zones, class names, [health]).
 * @opts: in, callback and bounds (see struct fusion_opts).  @out: out, free with fusion_free().
 * Ids start at 1 (see fusion_set_next_id()).
 * Return: 0; -EINVAL for a NULL argument or no emit callback; -ENOMEM.
 */
FUSION_MUST_CHECK int fusion_new(const struct config_fusion *cfg, const struct fusion_opts *opts,
                                 struct fusion **out);

/* fusion_free() - free everything; emits nothing. NULL is a no-op. */
void fusion_free(struct fusion *f);

/*
 * fusion_set_config() - apply a reloaded @cfg (SIGHUP; copied). Active rule alerts whose rule still
 * exists with the same name, type and class are kept (with their windows / rings; a ring
 * keeps its newest min(old n, new n) summaries); the others are cleared now, as are health
 * alerts whose check the new [health] disables. Windows without an active alert (detections
 * below watch, openings refused at the cap) are dropped. New rules and zones apply to the
 * next input.
 * Return: 0 (the config is applied), or the first non-zero emit return (the config is
 * applied all the same; the clearings that failed are retried by later calls).
 */
FUSION_MUST_CHECK int fusion_set_config(struct fusion *f, const struct config_fusion *cfg,
                                        int64_t now_ms);

/* fusion_set_next_id() - the id the next opened alert gets (e.g. max(stored id) + 1 after a
 * restart). Ids below one already used by fusion_restore() are raised above it. */
void fusion_set_next_id(struct fusion *f, int64_t next_id);

/* fusion_set_id_limit() - ids at or above @limit belong to another engine (another gateway
 * of the site, whose alerts fusion_adopt() takes over): they never raise the next id. 0: no
 * limit (the default). */
void fusion_set_id_limit(struct fusion *f, int64_t limit);

/*
 * fusion_adopt() - take over alert @a as another engine last published it (the same id; the
 * next transition gets @a->seq + 1), replacing the active alert of the same rule and key, if
 * any, unless that one has the same id and a seq at or above @a's (then nothing changes). A
 * cluster alert keeps its window and, if later, the arrival of its last input. @a cleared:
 * the active alert of that rule and key, if any, is forgotten without a transition. Emits
 * nothing. Return: 0, or what fusion_restore() returns.
 */
FUSION_MUST_CHECK int fusion_adopt(struct fusion *f, const struct fusion_alert *a);

/* fusion_next_id() - the id the next opened alert would get. */
int64_t fusion_next_id(const struct fusion *f);

/*
 * fusion_node_known() - at start, tell fusion that node @n exists and when it was last seen
 * (@last_seen_ms, Unix ms; 0 = never, then the offline time counts from @now_ms). Updates
 * the node's position and zone. A node already tracked keeps the later of the two times.
 * Emits nothing. Return: 0; -ENOSPC at max_nodes (the node gets no per-node alerts);
 * -ENOMEM; -EINVAL.
 */
FUSION_MUST_CHECK int fusion_node_known(struct fusion *f, const struct fusion_node *n,
                                        int64_t last_seen_ms, int64_t now_ms);

/*
 * fusion_node_learning_known() - at start, after fusion_node_known(): the learning state node
 * @devaddr last reported, as the registry stored it (what fusion_learning() was told before
 * the restart), so that a node still learning raises no machine_anomaly alert before its
 * next health message. Not an input: last_seen and the node's alerts are left as they are.
 * Return: 0; -ENOENT when the node is not tracked; -EINVAL.
 */
FUSION_MUST_CHECK int fusion_node_learning_known(struct fusion *f, uint32_t devaddr, bool learning);

/*
 * fusion_node_forget() - the node was removed from the registry: its per-node alerts are
 * cleared now and its state dropped (its past detections stay in the cluster windows).
 * Return: 0, -ENOENT when not tracked, or the first non-zero emit return (the node is then
 * kept, and the clearing retried by the next fusion_node_forget() or fusion_tick()).
 */
FUSION_MUST_CHECK int fusion_node_forget(struct fusion *f, uint32_t devaddr, int64_t now_ms);

/*
 * Inputs. Each updates the node's last_seen (= @now_ms), position and zone, clears its
 * node_offline alert, then does its own work and whatever transitions are due for the alerts
 * it touches. The daemon calls them after the event is stored, in the same batch.
 *   fusion_seen()       any accepted frame (raw ones too).
 *   fusion_detection()  one detection record: @class_id and @confidence (p = confidence/255)
 *                       as on the wire, @time_ms = reception time minus age_s (Unix ms).
 *   fusion_anomaly()    one anomaly summary (@a read during the call only).
 *   fusion_health()     one health message's battery, mV.
 * Return: 0; -EINVAL for a NULL argument; -ENOMEM (the input is dropped); or the first
 * non-zero emit return (the input is kept and the transition retried later).
 */
FUSION_MUST_CHECK int fusion_seen(struct fusion *f, const struct fusion_node *n, int64_t now_ms);
FUSION_MUST_CHECK int fusion_detection(struct fusion *f, const struct fusion_node *n,
                                       uint8_t class_id, uint8_t confidence, int64_t time_ms,
                                       int64_t now_ms);
FUSION_MUST_CHECK int fusion_anomaly(struct fusion *f, const struct fusion_node *n,
                                     const struct proto_tfp_anomaly *a, int64_t now_ms);
FUSION_MUST_CHECK int fusion_health(struct fusion *f, const struct fusion_node *n,
                                    uint16_t battery_mv, int64_t now_ms);

/*
 * fusion_learning() - the learning state a health message reported (version 2, proto/SPEC.md
 * 2.2): @learning true while the node still learns its machine. Until a later message says
 * it is ready, the node's anomaly summaries raise no persistence (machine_anomaly) alert and
 * do not count towards one; becoming a learner again forgets the summaries counted so far.
 * Call it with each health message, before or after fusion_health().
 * Return: as fusion_health().
 */
FUSION_MUST_CHECK int fusion_learning(struct fusion *f, const struct fusion_node *n, bool learning,
                                      int64_t now_ms);

/*
 * fusion_tick() - time passes: prunes windows, clears quiet alerts, opens node_offline
 * alerts, publishes pending updates, and retries transitions whose emit failed. Call about
 * once a second; work is O(windows + tracked nodes).
 * Return: 0, or the first non-zero emit return (the others are still tried).
 */
FUSION_MUST_CHECK int fusion_tick(struct fusion *f, int64_t now_ms);

/*
 * fusion_restore() - after a restart, hand back an active alert as last stored (any state
 * but cleared). It continues: same id, the next transition gets seq + 1, the level never
 * drops, `detections`, nodes and confidence go on from the stored values. A cluster alert's
 * quiet time counts from @a->last_seen_ms until fusion_replay_detection() moves it to the
 * arrival of its last stored input; a per-node alert's from max(@a->last_seen_ms,
 * @a->time_ms). Input for its class and zone (or node)
 * joins it. Its kind is worked out from @a->class_name (node_offline, battery_low), else
 * from its key (a cluster alert's key is its zone, a persistence alert's a DevAddr), with
 * the rule named @a->rule; an alert whose rule is gone, or whose health check is off,
 * is restored and then cleared by the next fusion_tick(). Emits nothing. The next id is
 * raised above @a->id. Call before the first input, before or after fusion_node_known():
 * the node of a per-node alert is tracked from here on (an offline alert's node as last
 * heard at @a->last_seen_ms), and fusion_node_known() then keeps the later last_seen.
 * Return: 0; -EINVAL (NULL, state cleared or out of range, seq 0, id < 1, a level out of
 * range, a per-node alert whose key is not 8 hex digits); -EEXIST (an active alert for the same
 * rule and key); -ENOSPC (max_alerts active, or a per-node alert beyond max_nodes); -ENOMEM.
 */
FUSION_MUST_CHECK int fusion_restore(struct fusion *f, const struct fusion_alert *a);

/*
 * fusion_replay_detection() - after fusion_restore(), hand back a stored detection (its
 * time @time_ms and its arrival @received_ms, the now_ms fusion_detection() had, Unix ms) so
 * that the restored cluster alert it fed goes on as without the restart: its quiet time
 * counts from the arrival of its last input (clear_after_s later it clears, not earlier), and
 * what is inside the rule's window at @now_ms goes back into the window, so that the level
 * goes on from what the window held (two nodes in the window, then a third arrives...).
 * Nothing is emitted or counted. A detection is taken only when its class's cluster rule has
 * a restored active alert for the node's zone, it was not stale when it arrived, and its time
 * is not before the alert's first_seen (it was part of that alert). Call after
 * fusion_restore() and before the first input, in any order of detections, for every stored
 * detection received at or after fusion_replay_since(). Return: 0 (also for a detection not
 * taken); -EINVAL; -ENOMEM.
 */
FUSION_MUST_CHECK int fusion_replay_detection(struct fusion *f, const struct fusion_node *n,
                                              uint8_t class_id, uint8_t confidence, int64_t time_ms,
                                              int64_t received_ms, int64_t now_ms);

/*
 * fusion_replay_since() - the earliest arrival (Unix ms) fusion_replay_detection() needs at
 * @now_ms: the longest window_s or clear_after_s of the cluster rules before @now_ms.
 */
int64_t fusion_replay_since(const struct fusion *f, int64_t now_ms);

/*
 * fusion_foreach_active() - call @cb for each active alert (its last published state,
 * message included), in no particular order; stop at and return the first non-zero return of
 * @cb. @cb must not call fusion functions that change @f. Return: 0 or @cb's value.
 */
int fusion_foreach_active(const struct fusion *f,
                          int (*cb)(const struct fusion_alert *a, void *arg), void *arg);

/* fusion_get_stats() - the counters of struct fusion_stats. */
void fusion_get_stats(const struct fusion *f, struct fusion_stats *out);

/* Stable lower-case names, as in the alert JSON ("watch", "open", ...; "?" out of range), and
 * their inverses for reading stored alerts back: the value, or -1 for an unknown name. */
const char *fusion_level_name(enum fusion_level l);
const char *fusion_state_name(enum fusion_state s);
int fusion_level_parse(const char *name);
int fusion_state_parse(const char *name);

#endif
