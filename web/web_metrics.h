/* SPDX-License-Identifier: MIT
 * /metrics: the gateway in the Prometheus text exposition format (version 0.0.4): frames by
 * bearer and reason, the MQTT outbox, active alerts by class and level, nodes by state,
 * each node's last-seen age and battery, and the database's size. Label sets are bounded:
 * bearer, reason, class, level and state come from fixed tables or the config; per-node
 * series are keyed by DevAddr only (never the free-text name) and capped at
 * WEB_METRICS_NODES_MAX nodes. Any thread, one connection per thread.
 */
#ifndef PROJ_WEB_WEB_METRICS_H
#define PROJ_WEB_WEB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "web_db.h"

#define WEB_METRICS_NODES_MAX 10000u /* nodes with per-node series; the rest are counted */

/*
 * web_metrics_text() - the metrics of the database at @cfg's [storage] path, read through
 * @db, at @now_ms (Unix ms).
 * @out: out, the text, to free(); NULL on error. @len: out, its length in bytes.
 * Return: 0; a negative code of web_db_code().
 */
WEB_DB_MUST_CHECK int web_metrics_text(struct web_db *db, const struct config *cfg, int64_t now_ms,
                                       char **out, size_t *len);

#endif
