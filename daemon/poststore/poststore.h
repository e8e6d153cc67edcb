/* SPDX-License-Identifier: MIT
 * What follows a stored frame, inside the batch that stores it: the frame check
 * (ingest/uplink.c) hands each frame store_uplink() accepted to poststore_frame(), which
 * gives each detection, anomaly summary and health message to fusion (whose alert
 * transitions alert/alert_record.c stores and queues in the outbox), and, when [mqtt]
 * publish_events is on, each detection and each health message to its QoS 0 topic:
 *   <prefix>/event/<class>/<devaddr>   the detection, as `tinyfleet events --json` shows it
 *   <prefix>/node/<devaddr>/health     the last health message (retained)
 * Also fusion's clock (a one-second tick) and the MQTT publisher's life. Loop thread only.
 */
#ifndef PROJ_DAEMON_POSTSTORE_POSTSTORE_H
#define PROJ_DAEMON_POSTSTORE_POSTSTORE_H

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct poststore;

/*
 * poststore_start() - set fusion up from @fusion, continue the alerts active in @s, tell
 * fusion about every registered node and which of them last said they are learning their
 * machine, start the MQTT publisher when @mqtt host is set and the Alertmanager poster when
 * @am has URLs (@am is copied; its labels name @gw's site, its generatorURL is @web's
 * public_url when the file sets [web] up).
 * @fusion, @mqtt and @gw ([gateway] id, site) must stay valid while the stage runs: class
 * names, the [mqtt] prefix and publish_events are read at each frame, and poststore_reload()
 * hands @fusion to fusion again.
 * Return: 0 and *@out; -ENOMEM; -EIO (the store cannot be read); -EINVAL (MQTT settings).
 */
int poststore_start(uv_loop_t *loop, const struct config_fusion *fusion,
                    const struct config_mqtt *mqtt, const struct config_alertmanager *am,
                    const struct config_web *web, const struct config_gateway *gw, struct store *s,
                    struct poststore **out);

/*
 * poststore_frame() - @up was just stored by store_uplink() in the open batch: feed fusion
 * (its alert transitions go into the same batch, so they commit with the frame that caused
 * them) and queue the frame's QoS 0 event messages, released at the commit. Never refuses
 * the frame: a failed alert transition is logged and retried by fusion, an input fusion had
 * no memory for is logged and dropped. @p NULL: no-op (a frame check without this stage).
 */
void poststore_frame(struct poststore *p, const struct store_uplink *up);

/*
 * poststore_command() - a node command moved to a new state (store_command_set() in the open
 * batch): queue its retained QoS 1 message <prefix>/node/<DEVADDR>/command/<id> in the outbox,
 * in the same batch, so the message and the state change commit together. The payload is
 * JSON: id, devaddr, command, state, status, tries, time (RFC 3339). Nothing without an
 * [mqtt] host, or for @p NULL. Return: 0, -ENOMEM, -EIO (the outbox write failed: the caller
 * lets the batch fail with it).
 */
int poststore_command(struct poststore *p, const struct store_command *c, int64_t now_ms);

/* poststore_committed() - after each group commit (@rc its result): releases the MQTT
 * messages that waited for it. */
void poststore_committed(struct poststore *p, int rc);

/* poststore_reload() - the section @fusion of poststore_start() was reloaded in place (rules,
 * zones, classes, [health]): hand it to fusion, which keeps or clears its active alerts by
 * the new rules. Node positions and zones need no reload: each frame reads its node's from
 * the registry (store_node_place(), current with the CLI's changes). */
void poststore_reload(struct poststore *p);

/* poststore_stop() - stop the tick and the publisher; memory goes once the loop has run the
 * close callbacks. Active alerts stay in the store for the next start. NULL is a no-op. */
void poststore_stop(struct poststore *p);

#endif
