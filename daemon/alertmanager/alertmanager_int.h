/* SPDX-License-Identifier: MIT
 * The Alertmanager poster's internals, shared by its files, lowest first
 * (alertmanager_payload.c: an alert's JSON to the body of POST /api/v2/alerts;
 * alertmanager_http.c: libcurl's multi socket interface on the libuv loop; alertmanager.c:
 * the outbox, the resends, the retries), and by the unit tests. Nothing here is for other
 * modules.
 */
#ifndef PROJ_DAEMON_ALERTMANAGER_ALERTMANAGER_INT_H
#define PROJ_DAEMON_ALERTMANAGER_ALERTMANAGER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

/* ---- alertmanager_payload.c ---- */

/* What every posted alert carries besides the alert's own JSON. */
struct alertmanager__ctx {
    const char *site; /* [gateway] site: the "site" label */
    const char
        *base_url;    /* the status page's address ([web]): generatorURL is
                         "<base_url>#alert=<id>" (the page; public_url ends in /); NULL = none */
    int64_t now_ms;   /* the time of the post (Unix ms) */
    int64_t ahead_ms; /* an active alert's endsAt is now_ms plus this */
};

/*
 * alertmanager__payload_add() - append to the JSON array @arr the Alertmanager alerts of the
 * alert transition @json (alert_json.h's text): the alert at its level, firing (endsAt
 * ctx->now_ms + ctx->ahead_ms) or, when its state is "cleared", resolved (endsAt = the time
 * it cleared); and, when @resolve_lower, the same alert at each lower level resolved (endsAt
 * = now): severity is a label, so an escalation is a new Alertmanager alert, and the one it
 * replaces must end. Labels: alertname (the class), zone, key, severity (the level), rule,
 * gateway, site, alert_id; annotations: summary (the message), nodes, confidence, seq,
 * lat, lon (only with a position), description (first and last seen), ack (who and when,
 * when the JSON has one).
 * Return: 0; -EINVAL when @json is not an alert transition (nothing appended); -ENOMEM.
 */
int alertmanager__payload_add(cJSON *arr, const char *json, bool resolve_lower,
                              const struct alertmanager__ctx *ctx);

/*
 * alertmanager__cleared_silence() - when the alert JSON @json is a "cleared" transition of an
 * acknowledged alert with a silence ("ack": {"silence": ID}), copy ID into @out (@cap bytes).
 * Return: true when it did.
 */
bool alertmanager__cleared_silence(const char *json, char *out, size_t cap);

/* ---- alertmanager_http.c ---- */

struct alertmanager__http;

/* A finished request: @status is the HTTP status (0 when no answer came), @error the reason
 * of a failure (curl's text, or "HTTP 500"), "" on a 2xx. Never holds a credential: curl's
 * messages name the host, not the Authorization header. */
typedef void (*alertmanager__http_cb)(void *arg, long status, const char *error);

/* The settings of every request. All strings are copied. */
struct alertmanager__http_opts {
    const char *username;     /* basic auth, "" = none */
    const char *password;     /* with username */
    const char *bearer_token; /* "" = none */
    const char *tls_ca;       /* "" = the system's CA store */
    unsigned timeout_s;       /* the whole request, s */
};

/* alertmanager__http_new() - a client on @loop. Return: 0 and *@out, -ENOMEM, -EIO (curl
 * could not be set up). */
int alertmanager__http_new(uv_loop_t *loop, const struct alertmanager__http_opts *o,
                           alertmanager__http_cb cb, void *arg, struct alertmanager__http **out);

/* alertmanager__http_post() - POST @body (JSON, copied) to @url, or, with @body NULL, DELETE
 * @url; @cb runs from the loop when it is done. One request at a time.
 * Return: 0; -EBUSY while one runs; -ENOMEM; -EIO. */
int alertmanager__http_post(struct alertmanager__http *h, const char *url, const char *body);

/* alertmanager__http_busy() - a request is running. */
bool alertmanager__http_busy(const struct alertmanager__http *h);

/* alertmanager__http_free() - abort a running request (its callback does not run) and free
 * everything once the loop has run the close callbacks. NULL is a no-op. */
void alertmanager__http_free(struct alertmanager__http *h);

#endif
