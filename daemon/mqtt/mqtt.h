/* SPDX-License-Identifier: MIT
 * The MQTT publisher of tinyfleetd: libmosquitto driven by the daemon's libuv loop (the
 * client socket in a uv_poll, the client's periodic work on a uv_timer; no thread).
 *
 * Two kinds of messages (ARCHITECTURE.md "MQTT"):
 * - durable ones (alert transitions and the retained alert states) wait in the store's outbox,
 *   are published QoS 1 in outbox order and deleted only when their PUBACK arrives. After a
 *   broker outage or a restart whatever is left is sent again, from the oldest: delivery is at
 *   least once, and a subscriber that saw a message whose PUBACK was lost sees it twice (same
 *   alert id and seq).
 * - volatile ones (each stored detection, a node's last health message): QoS 0, queued in
 *   memory until the commit that holds their event, then published if the broker is
 *   connected and dropped (counted) if not.
 *
 * The session: clean, a new libmosquitto client per connection (so that nothing the library
 * keeps from an old session is resent beside the outbox), TCP_NODELAY, a last will that sets
 * <prefix>/gateway/<id>/status to {"state":"offline",...,"cause":"connection_lost"}
 * (retained; its time is the connection's start, as a will is fixed at CONNECT), the birth
 * message {"state":"online",...} with that same time on each connect, and an explicit
 * "offline" with "cause":"stopped" and the time of the stop at a clean stop.
 * Reconnects back off exponentially from 1 s to [mqtt] reconnect_max_s with +-25 % jitter;
 * each attempt goes to the next broker of [mqtt] host's list (a failed connection, or one
 * lost, moves on to the next), so a cluster's surviving nodes take over from a dead one.
 * When the oldest message in flight has waited [mqtt] puback_timeout_s for its PUBACK, the
 * connection is dropped (logged) and the outbox is sent again from the oldest row.
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_MQTT_MQTT_H
#define PROJ_DAEMON_MQTT_MQTT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct mqtt;

/* What `tinyfleet stats` and the logs report about the publisher. */
struct mqtt_stats {
    bool connected;
    uint64_t connects;         /* successful CONNACKs since start */
    uint64_t published;        /* outbox rows acknowledged (PUBACK) and deleted */
    uint64_t volatile_sent;    /* QoS 0 messages handed to the broker */
    uint64_t volatile_dropped; /* QoS 0 messages dropped: not connected, or the queue full */
    unsigned inflight;         /* outbox rows sent and not yet acknowledged */
};

/*
 * mqtt_start() - start publishing for the [mqtt] section @cfg (copied) and the gateway
 * @gateway_id ([gateway] id, copied) from the outbox of @store; the first connection attempt
 * is made at once. @cfg must list a broker (broker_count > 0).
 * Return: 0 and *@out; -ENOMEM; -EINVAL when libmosquitto refuses the settings (bad TLS
 * files: the message is logged).
 */
int mqtt_start(uv_loop_t *loop, const struct config_mqtt *cfg, const char *gateway_id,
               struct store *store, struct mqtt **out);

/*
 * mqtt_committed() - tell the publisher that the store's batch was committed (@rc 0) or lost
 * (@rc < 0): volatile messages queued for it are then published or dropped, and outbox rows
 * written by it may be sent. Call after every group commit. Outbox rows are only ever read
 * here, between batches, so a row is never published before it is durable.
 */
void mqtt_committed(struct mqtt *m, int rc);

/*
 * mqtt_queue_volatile() - queue a QoS 0 message for the next mqtt_committed(); copies @topic
 * and @payload. At most 4096 wait at once; beyond that they are dropped (counted).
 */
void mqtt_queue_volatile(struct mqtt *m, const char *topic, const char *payload, bool retain);

/* mqtt_note_outbox() - rows were added to the outbox in the open batch: read them after its
 * commit. */
void mqtt_note_outbox(struct mqtt *m);

/*
 * mqtt_set_gate() - while @gate(@arg) returns false no outbox row is sent (they wait, none
 * lost); call mqtt_note_outbox() when it opens. [fusion] scope = site holds the outbox until
 * the site has heard the retained alert states, so that transitions another gateway has
 * superseded are dropped before they go out (site.h). NULL: no gate.
 */
typedef bool (*mqtt_gate_fn)(void *arg);
void mqtt_set_gate(struct mqtt *m, mqtt_gate_fn gate, void *arg);

/* mqtt_get_stats() - the counters above. */
void mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *out);

/*
 * mqtt_stop() - publish the retained "offline" status if connected, disconnect and release
 * everything once the loop has run the close callbacks. Rows not yet acknowledged stay in
 * the outbox for the next start. NULL is a no-op.
 */
void mqtt_stop(struct mqtt *m);

#endif
