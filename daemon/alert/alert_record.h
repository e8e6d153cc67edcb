/* SPDX-License-Identifier: MIT
 * What the daemon does with an alert transition fusion hands it: the alert's rows in the
 * store and its two outbox messages, all in the open batch, so that they commit with the
 * frame that caused the transition.
 *
 * Topics (prefix from [mqtt] prefix, key = fusion_alert.key: the zone of a cluster alert,
 * the DevAddr of a per-node alert, so that each active alert has a state topic of its own):
 *   <prefix>/alert/<class>/<key>        QoS 1, not retained: every transition
 *   <prefix>/state/alert/<class>/<key>  QoS 1, retained: the active alert; "" when cleared
 * and with [mqtt] homeassistant, Home Assistant's state of it (homeassistant_alert()):
 *   <prefix>/ha/<class>/<key>/attributes, <prefix>/ha/<class>/<key>/state ("ON", "OFF")
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_ALERT_ALERT_RECORD_H
#define PROJ_DAEMON_ALERT_ALERT_RECORD_H

#include "config/config.h"
#include "alert/fusion.h"
#include "alertmanager/alertmanager.h"
#include "mqtt/mqtt.h"
#include "store/store.h"

/*
 * alert_record() - store transition @a in the batch (alert row, transition row, with its
 * alert_json() text, which names @gateway_id) and, when @m is not NULL, queue its
 * messages in the outbox under @cfg's prefix and apply its outbox_max; when @am is not NULL,
 * queue it in the Alertmanager outbox too. An acknowledged alert's JSON carries "ack"
 * ({"by", "time", "note", "silence"}: store_ack_get(); README, "Reaching people").
 * Return: 0 or a negative errno (the transition did not happen: fusion retries it).
 */
int alert_record(struct store *s, struct mqtt *m, struct alertmanager *am,
                 const struct config_mqtt *cfg, const char *gateway_id,
                 const struct fusion_alert *a);

#endif
