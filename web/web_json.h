/* SPDX-License-Identifier: MIT
 * The JSON API of tinyfleet-web (README, "Status page"): what the page polls, built with
 * cJSON from one read-only connection. Every string from the database or a node goes into
 * JSON through cJSON (escaped there) and into the page through textContent (escaped there);
 * no key is ever read. Any thread, one connection per thread.
 */
#ifndef PROJ_WEB_WEB_JSON_H
#define PROJ_WEB_WEB_JSON_H

#include <stdint.h>

#include "config/config.h"
#include "web_db.h"
#include "web_rates.h"

#define WEB_JSON_EVENTS_MAX      1000u /* most events /api/node and /api/status list */
#define WEB_JSON_TRANSITIONS_MAX 1000u /* most transitions /api/transitions lists */
#define WEB_JSON_STATUS_EVENTS   20u   /* the newest events of the whole fleet in /api/status */

/*
 * web_json_status() - /api/status: the gateway, the zones of @cfg, every node with its state,
 * the active alerts, the newest events and frames per minute by bearer (@rates, may be NULL)
 * at @now_ms (Unix ms).
 * @out: out, the compact JSON text, to free with cJSON_free(); NULL on error.
 * Return: 0; a negative code of web_db_code().
 */
WEB_DB_MUST_CHECK int web_json_status(struct web_db *db, const struct config *cfg,
                                      struct web_rates *rates, int64_t now_ms, char **out);

/*
 * web_json_transitions() - /api/transitions: the alert transitions at or after @since_ms,
 * newest first, at most @limit (1..WEB_JSON_TRANSITIONS_MAX).
 * Return, @out: as web_json_status().
 */
WEB_DB_MUST_CHECK int web_json_transitions(struct web_db *db, int64_t since_ms, unsigned limit,
                                           char **out);

/*
 * web_json_node() - /api/node: node @devaddr with its state, its newest @limit events
 * (1..WEB_JSON_EVENTS_MAX), its battery reports and the radio of its frames (reception
 * quality), newest first, with class names from @cfg.
 * Return, @out: as web_json_status(), and -ENOENT for a DevAddr not registered.
 */
WEB_DB_MUST_CHECK int web_json_node(struct web_db *db, const struct config *cfg, uint32_t devaddr,
                                    unsigned limit, int64_t now_ms, char **out);

#endif
