/* SPDX-License-Identifier: MIT
 * What the daemon does with an alert transition fusion hands it: the alert JSON of
 * ARCHITECTURE.md ("MQTT"), the alert's rows in the store, and its two outbox messages,
 * all in the open batch, so that they commit with the frame that caused the transition.
 * And the way back at start: the active alerts read from the store into fusion.
 *
 * Topics (prefix from [mqtt] prefix, key = fusion_alert.key: the zone of a cluster alert,
 * the DevAddr of a per-node alert, so that each active alert has a state topic of its own):
 *   <prefix>/alert/<class>/<key>        QoS 1, not retained: every transition
 *   <prefix>/state/alert/<class>/<key>  QoS 1, retained: the active alert; "" when cleared
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_ALERTS_H
#define PROJ_DAEMON_ALERTS_H

#include <stddef.h>

#include "config/config.h"
#include "alert/fusion.h"
#include "mqtt/mqtt.h"
#include "store/store.h"

/*
 * alerts_json() - the JSON text of transition @a (fields: id, seq, class, zone, key, rule,
 * level, state, confidence, nodes, nodes_truncated, detections, lat, lon (null without a
 * position), first_seen, last_seen, time, gateway, message), compact, from cJSON.
 * Return: the text, to free() with cJSON_free(); NULL when out of memory.
 */
char *alerts_json(const struct fusion_alert *a, const char *gateway_id);

/*
 * alerts_from_json() - the inverse of alerts_json() for a stored message (kind is left 0;
 * fusion works it out). Return: 0; -EINVAL for text that is not such a message.
 */
int alerts_from_json(const char *json, struct fusion_alert *out);

/*
 * alerts_record() - store transition @a in the batch (alert row, transition row) and, when
 * @m is not NULL, queue its two messages in the outbox and apply [mqtt] outbox_max.
 * Return: 0 or a negative errno (the transition did not happen: fusion retries it).
 */
int alerts_record(struct store *s, struct mqtt *m, const struct config *cfg,
                  const struct fusion_alert *a);

/*
 * alerts_restore() - hand every active alert of the store to fusion_restore() and set the
 * next id above every stored one. An alert that cannot be restored (its JSON damaged, its
 * rule gone) is logged and skipped; fusion clears what it restores without a rule.
 * Return: the number restored, or -EIO when the store cannot be read.
 */
int alerts_restore(struct store *s, struct fusion *f);

#endif
