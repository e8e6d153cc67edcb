/* SPDX-License-Identifier: MIT
 * Home Assistant MQTT discovery ([mqtt] homeassistant; payloads and topics: ha_discovery.h).
 * Which configs are announced, and when:
 * - wanted: the gateway's status, each [zone.*] x each class with a cluster rule, and each
 *   node of the registry (battery, last seen);
 * - at start every wanted config is queued again (a broker that lost its retained messages
 *   gets them back), at a reload (zones, rules, classes) and whenever another connection has
 *   written to the database (PRAGMA data_version: the CLI's node add, remove, update) only
 *   those that are new or changed;
 * - a config queued before and no longer wanted (a node removed, a zone or rule taken out,
 *   homeassistant turned off) is emptied: an empty retained message on its topic and on the
 *   state topics under <prefix>/ha/ it named, so Home Assistant removes the entity.
 * What was queued is recorded in the store (store_discovery_*()), in the same batch as the
 * outbox rows, so a node removed while the daemon was stopped is emptied at the next start.
 * Configs and alert states go through the outbox (QoS 1, retained, kept across broker outages
 * and restarts); a node's last-seen time is a QoS 0 retained message like its health.
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_MQTT_HOMEASSISTANT_H
#define PROJ_DAEMON_MQTT_HOMEASSISTANT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "mqtt/mqtt.h"
#include "store/store.h"

#if defined(__GNUC__)
#define HOMEASSISTANT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define HOMEASSISTANT_MUST_CHECK
#endif

struct homeassistant;

/*
 * homeassistant_new() - discovery for the [mqtt] section @cfg (read at each call: it must
 * outlive the object) and gateway @gateway_id (copied), queued in @s's outbox for @m.
 * Whether @cfg->homeassistant is on or off, the object exists: off, it empties what an
 * earlier run announced. Queues nothing yet: call homeassistant_sync(.., true, ..).
 * Return: 0 and *@out; -ENOMEM; -ENAMETOOLONG (a prefix too long for a topic).
 */
HOMEASSISTANT_MUST_CHECK int homeassistant_new(const struct config_mqtt *cfg,
                                               const char *gateway_id, struct store *s,
                                               struct mqtt *m, struct homeassistant **out);

/*
 * homeassistant_sync() - queue, in the open batch, the configs wanted now for @fusion (zones,
 * rules, class names) and the registry: all of them when @all, else those new or changed
 * since they were last queued; empty those no longer wanted. A zone x class sensor queued for
 * the first time (or, with @all, every one) also gets its state: ON when the store has an
 * active alert of that class and zone, else OFF.
 * Return: the number of messages queued (0 when nothing changed); -ENOMEM; -EIO (the store:
 * nothing is recorded that was not queued, so the next sync tries again).
 */
HOMEASSISTANT_MUST_CHECK int homeassistant_sync(struct homeassistant *h,
                                                const struct config_fusion *fusion, bool all,
                                                int64_t now_ms);

/*
 * homeassistant_poll() - homeassistant_sync(@h, @fusion, false, @now_ms) when another
 * connection has written to the database since the last poll or sync (a node added, removed
 * or renamed with the CLI), else nothing. Cheap enough for every second (one PRAGMA).
 * Return: as homeassistant_sync(); 0 when nothing changed.
 */
HOMEASSISTANT_MUST_CHECK int homeassistant_poll(struct homeassistant *h,
                                                const struct config_fusion *fusion, int64_t now_ms);

/*
 * homeassistant_alert() - queue in the open batch the retained state ("ON" while @active,
 * else "OFF") and attributes (@json, the transition's alert JSON) of the alert of class
 * @class_name under topic key @key (a zone; per-node alerts have their DevAddr), at
 * @time_ms. Nothing when @cfg->homeassistant is off. Stateless: alert_record.c calls it with
 * the transition's other messages. Return: 0; -ENAMETOOLONG; -EIO.
 */
HOMEASSISTANT_MUST_CHECK int homeassistant_alert(struct store *s, const struct config_mqtt *cfg,
                                                 const char *class_name, const char *key,
                                                 bool active, const char *json, int64_t time_ms);

/* homeassistant_seen() - queue (QoS 0, retained, sent at the next commit) the time @time_ms
 * (Unix ms) of node @devaddr's latest accepted frame, for its last-seen sensor. Nothing when
 * discovery is off. */
void homeassistant_seen(struct homeassistant *h, uint32_t devaddr, int64_t time_ms);

/* homeassistant_free() - release @h; queued messages stay queued. NULL is a no-op. */
void homeassistant_free(struct homeassistant *h);

#endif
