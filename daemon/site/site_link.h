/* SPDX-License-Identifier: MIT
 * The site's own connection to the broker: a persistent session (clean_session false, client
 * id "<[mqtt] client_id>-site"), so that the broker keeps what peers publish while this
 * gateway is away and hands it over when it returns; subscriptions made again at each
 * connect; a last will given by the caller; control messages (membership, claims) published
 * at once, QoS 1, never through the outbox (a claim resent after an outage would be stale).
 * libmosquitto in the libuv loop as mqtt.c does it, with the same list of brokers tried in
 * turn and the same backoff. Loop thread only.
 */
#ifndef PROJ_DAEMON_SITE_SITE_LINK_H
#define PROJ_DAEMON_SITE_SITE_LINK_H

#include <stdbool.h>

#include <uv.h>

#include "config/config.h"

struct site_link;

/* A message arrived (@payload @len bytes, not NUL-terminated), or the link came up
 * (@topic NULL). */
typedef void (*site_link_cb)(void *arg, const char *topic, const void *payload, int len);

/*
 * site_link_start() - connect to @cfg's brokers with the will @will_topic = "" (retained) and
 * subscribe to @subs (@n_subs topic filters, QoS 1) at each connect. Return: 0, -ENOMEM.
 */
int site_link_start(uv_loop_t *loop, const struct config_mqtt *cfg, const char *will_topic,
                    const char *const *subs, unsigned n_subs, site_link_cb cb, void *arg,
                    struct site_link **out);

/* site_link_up() - connected; *@since_ms: uv_now() when it last went down (or started). */
bool site_link_up(const struct site_link *l, uint64_t *down_since_ms);

/* site_link_publish() - QoS 1 now if connected (else dropped: the caller sends again). */
void site_link_publish(struct site_link *l, const char *topic, const char *payload, bool retain);

/* site_link_stop() - empty the will's topic ourselves (a clean DISCONNECT sends no will),
 * disconnect, free once the loop has closed the handles. NULL is a no-op. */
void site_link_stop(struct site_link *l);

#endif
