/* SPDX-License-Identifier: MIT
 * What colour a node is on the status page and which `state` label it has in /metrics: one
 * function of the facts the database holds about the node, in one order of precedence, so
 * the page, the JSON API and the metrics never disagree. A new state (a node still learning
 * its baseline, once nodes report it) is a new enum value, a name and a line in
 * web_state_of(); nothing else changes. Any thread (no state).
 */
#ifndef PROJ_WEB_WEB_STATE_H
#define PROJ_WEB_WEB_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

/* In increasing precedence: a node that is both alerting and low on battery is alerting. */
enum web_state {
    WEB_STATE_OK = 0,
    WEB_STATE_LEARNING,    /* still learning its anomaly baseline */
    WEB_STATE_BATTERY_LOW, /* battery at or below [health] battery_low_mv */
    WEB_STATE_OFFLINE,     /* silent longer than [health] offline_after_s, or never heard */
    WEB_STATE_ALERTING,    /* named by an active alert */
    WEB_STATE_COUNT
};

/* What the database says about one node. */
struct web_state_facts {
    int64_t last_seen_ms; /* Unix ms of its last accepted frame; 0 = never */
    int battery_mv;       /* last reported battery, mV; -1 = none reported */
    bool alerting;        /* an active alert names it (per-node key or in its node list) */
    bool learning;        /* it reports learning its baseline; no node reports this yet */
};

/*
 * web_state_of() - the state of a node with @facts at @now_ms (Unix ms), with the thresholds
 * of @health (0 disables offline or battery low, as for the daemon's health alerts).
 * Return: the state of highest precedence that holds.
 */
enum web_state web_state_of(const struct web_state_facts *facts, const struct config_health *health,
                            int64_t now_ms);

/* web_state_name() - "ok", "learning", "battery_low", "offline", "alerting"; "?" else. */
const char *web_state_name(enum web_state s);

#endif
