/* SPDX-License-Identifier: MIT
 * [fusion] scope = site: one site's gateways fuse together through the broker (README "Many
 * gateways, one site"). Topics under [mqtt] prefix P:
 *   P/site/input/<gateway>   QoS 1 through the outbox: each stored frame's fusion input
 *                            (site_input.h); every gateway feeds its peers' to its fusion
 *   P/site/member/<gateway>  retained, every takeover_s / 3: the gateway is alive; emptied
 *                            by its last will or a clean stop
 *   P/site/claim/<zone>      retained {"gateway":...}: who owns the zone (site_owner.h)
 *   P/site/sync/<gateway>    a marker we send ourselves at each connect: once it comes back,
 *                            the retained states have been heard and our outbox may go out
 *                            (site_sync.h drops what another gateway superseded first)
 * and it reads the retained P/state/alert/#, from which a new owner continues an alert.
 * Every gateway runs fusion on every input; only a zone's owner lets a transition happen
 * (site_may_publish()), the others keep the input and retry, so a new owner continues with
 * the same id and the next seq (fusion_adopt()). Alert ids are unique across the site: each
 * gateway allocates from a range of its own, 2^32 ids at (1 + FNV-1a(gateway id) mod 2^20)
 * * 2^32. Uses alert/ (fusion), store/ (the outbox), mqtt/ (the publisher's outbox pump) and
 * a connection of its own (site_link.h). Loop thread only.
 */
#ifndef PROJ_DAEMON_SITE_SITE_H
#define PROJ_DAEMON_SITE_SITE_H

#include <stdbool.h>

#include <uv.h>

#include "alert/fusion.h"
#include "config/config.h"
#include "mqtt/mqtt.h"
#include "store/store.h"

struct site;

/* site_id_base() - the first alert id of @gateway's range (see above). */
int64_t site_id_base(const char *gateway);

/*
 * site_start() - join the site: set @f's id range (continuing after the highest id of the
 * range in @s), connect, claim the config zones of @fcfg. Everything must outlive the site.
 * Return: 0, -ENOMEM, -EIO (the store cannot be read).
 */
int site_start(uv_loop_t *loop, const struct config_fusion *fcfg, const struct config_mqtt *mcfg,
               const char *gateway_id, struct store *s, struct fusion *f, struct mqtt *m,
               struct site **out);

/* site_frame() - @up was stored (node @n as fusion sees it): queue its input for the peers.
 * Return: true when fusion should take it, false when a peer's copy of the frame (same
 * DevAddr and FCnt) was already fed. */
bool site_frame(struct site *st, const struct store_uplink *up, const struct fusion_node *n);

/* site_may_publish() - whether this gateway owns @a's zone now (else fusion retries). */
bool site_may_publish(struct site *st, const struct fusion_alert *a);

/* site_stop() - leave (membership emptied), free once the loop has closed the handles. */
void site_stop(struct site *st);

#endif
