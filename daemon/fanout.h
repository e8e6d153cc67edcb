/* SPDX-License-Identifier: MIT
 * What follows a stored frame, inside the batch that stores it: each detection, anomaly
 * summary and health message goes to fusion (whose alert transitions alerts.c stores and
 * queues in the outbox), and, when [mqtt] publish_events is on, each detection and each
 * health message to its QoS 0 topic:
 *   <prefix>/event/<class>/<devaddr>   the detection, as `tinyfleet events --json` shows it
 *   <prefix>/node/<devaddr>/health     the last health message (retained)
 * Also fusion's clock (a one-second tick) and the MQTT publisher's life. Loop thread only.
 */
#ifndef PROJ_DAEMON_FANOUT_H
#define PROJ_DAEMON_FANOUT_H

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct fanout;

/*
 * fanout_start() - set fusion up from @cfg (which must stay valid and is re-read after
 * fanout_reload()), continue the alerts active in @s, tell fusion about every registered
 * node, hook into store_uplink(), and start the MQTT publisher when [mqtt] host is set.
 * Return: 0 and *@out; -ENOMEM; -EIO (the store cannot be read); -EINVAL (MQTT settings).
 */
int fanout_start(uv_loop_t *loop, const struct config *cfg, struct store *s, struct fanout **out);

/* fanout_committed() - after each group commit (@rc its result): releases the MQTT messages
 * that waited for it. */
void fanout_committed(struct fanout *f, int rc);

/* fanout_reload() - the config was reloaded (rules, zones, classes, [health]): hand it to
 * fusion and read node positions and zones from the registry again. */
void fanout_reload(struct fanout *f);

/* fanout_stop() - stop the tick and the publisher; memory goes once the loop has run the
 * close callbacks. Active alerts stay in the store for the next start. NULL is a no-op. */
void fanout_stop(struct fanout *f);

#endif
