/* SPDX-License-Identifier: MIT
 * The JSON of an alert transition, as published on MQTT and stored with the alert
 * (ARCHITECTURE.md, "MQTT"), and the way back from a stored message to the transition.
 * Built and parsed with cJSON. Any thread (no state).
 */
#ifndef PROJ_DAEMON_ALERT_ALERT_JSON_H
#define PROJ_DAEMON_ALERT_ALERT_JSON_H

#include "alert/fusion.h"

/*
 * alert_json() - the JSON text of transition @a (fields: id, seq, class, zone, key, rule,
 * level, state, confidence, nodes, nodes_truncated, detections, lat, lon (null without a
 * position), first_seen, last_seen, time, gateway, message), compact, from cJSON.
 * Return: the text, to free() with cJSON_free(); NULL when out of memory.
 */
char *alert_json(const struct fusion_alert *a, const char *gateway_id);

/*
 * alert_json_parse() - the inverse of alert_json() for a stored message (kind is left 0;
 * fusion works it out). Return: 0; -EINVAL for text that is not such a message.
 */
int alert_json_parse(const char *json, struct fusion_alert *out);

#endif
