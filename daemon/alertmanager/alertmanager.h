/* SPDX-License-Identifier: MIT
 * The Alertmanager poster of tinyfleetd: alert transitions to Prometheus Alertmanager's API v2
 * (POST <url>/api/v2/alerts), beside MQTT and independent of it.
 *
 * - Every transition is queued in the store's Alertmanager outbox in the transaction that
 *   records it (alert_record.c); a row is deleted only once an Alertmanager answered 2xx, so
 *   an outage or a restart loses nothing. A newer transition of an alert replaces its older
 *   row (Alertmanager keeps only the latest state).
 * - Every [alertmanager] resend_s the active alerts are posted again with endsAt 4 x resend_s
 *   ahead, as Prometheus does: an Alertmanager that restarted, or a post that was lost, is
 *   made whole within resend_s; a gateway that died lets its alerts expire.
 * - A cleared alert is posted resolved (endsAt = the time it cleared). severity is a label,
 *   so an escalation is a new Alertmanager alert: the lower levels are posted resolved with it.
 * - A failed post goes to the next URL of [alertmanager] url at once; when every URL failed,
 *   the next round waits 1 s, doubling up to min(resend_s, 30) s.
 * - Posts run through libcurl's multi socket interface on the loop: the loop never waits for
 *   an Alertmanager, and MQTT never waits for this.
 * The last success and the last failure are written to the store for `tinyfleet stats`.
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_ALERTMANAGER_ALERTMANAGER_H
#define PROJ_DAEMON_ALERTMANAGER_ALERTMANAGER_H

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct alertmanager;

/*
 * alertmanager_start() - post the outbox of @store to the Alertmanagers of @cfg (copied;
 * cfg->url_count must be above 0). @site is the "site" label ([gateway] site, copied).
 * @base_url: the status page's address, for each alert's generatorURL; NULL = none (copied).
 * Return: 0 and *@out; -ENOMEM; -EIO (libcurl could not be set up).
 */
int alertmanager_start(uv_loop_t *loop, const struct config_alertmanager *cfg, const char *site,
                       const char *base_url, struct store *store, struct alertmanager **out);

/* alertmanager_note_outbox() - rows were added to the Alertmanager outbox in the open batch:
 * read them after its commit. */
void alertmanager_note_outbox(struct alertmanager *am);

/*
 * alertmanager_committed() - after each group commit (@rc its result). Outbox rows and
 * active alerts are read only here, between batches, so nothing is posted before it is
 * durable; the next post starts here when one is due.
 */
void alertmanager_committed(struct alertmanager *am, int rc);

/* alertmanager_stop() - abort a running post (its rows stay for the next start) and free
 * everything once the loop has run the close callbacks. NULL is a no-op. */
void alertmanager_stop(struct alertmanager *am);

#endif
