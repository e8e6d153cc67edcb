/* SPDX-License-Identifier: MIT
 * Fusion's words: the names of levels and states, and the `message` of an alert transition: one
 * plain English sentence for a person, per kind of alert and state, and for a cleared alert the
 * reason it cleared (fusion.h). The lowest file of fusion: it calls no other.
 */
#include "alert/fusion.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alert/fusion_int.h"

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

/* "machine_anomaly" -> "Machine anomaly", for sentences. */
static void class_words(const char *name, char *out, size_t cap)
{
    size_t i;

    fusion__copy_str(out, cap, name);
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] == '_') {
            out[i] = ' ';
        }
    }
    if (out[0] >= 'a' && out[0] <= 'z') {
        out[0] = (char)(out[0] - 'a' + 'A');
    }
}

/* snprintf into the message; a sentence longer than FUSION_MESSAGE_LEN is cut, which only
 * happens with names near FUSION_NAME_LEN. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

void fusion__message(struct fusion_alert *a, enum fusion__clear_reason why, long extra, long extra2)
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
        } else if (why == FUSION__CLEAR_QUIET) {
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
        } else if (why == FUSION__CLEAR_QUIET) {
            say(a->message, cap, "%s on node %s in zone %s cleared: no anomalous summary for %ld s",
                cls, a->key, a->zone, extra);
        } else if (why == FUSION__CLEAR_REMOVED) {
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
        } else if (why == FUSION__CLEAR_HEARD) {
            say(a->message, cap, "Node %s in zone %s is heard again", a->key, a->zone);
        } else if (why == FUSION__CLEAR_REMOVED) {
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
        } else if (why == FUSION__CLEAR_BATTERY) {
            say(a->message, cap, "Battery of node %s in zone %s is back to %ld mV", a->key, a->zone,
                extra);
        } else if (why == FUSION__CLEAR_REMOVED) {
            say(a->message, cap, "Node %s in zone %s was removed; battery alert cleared", a->key,
                a->zone);
        } else {
            say(a->message, cap, "Battery alert of node %s in zone %s cleared: the check is off",
                a->key, a->zone);
        }
        break;
    }
}
