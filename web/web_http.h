/* SPDX-License-Identifier: MIT
 * tinyfleet-web's HTTP server: libmicrohttpd with one internal polling thread. Routes: "/" and
 * the page's files (web_assets.h), Debian's Leaflet under /leaflet/, the JSON API under
 * /api/ (web_json.h) and /metrics (web_metrics.h). GET and HEAD only (405 else); basic
 * authentication on every path when [web] user is set (401); unknown query parameters or bad
 * values 400; unknown paths 404; the database missing, locked or not migrated 503.
 */
#ifndef PROJ_WEB_WEB_HTTP_H
#define PROJ_WEB_WEB_HTTP_H

#include <stddef.h>

#include "config/config.h"
#include "web_rates.h"

#if defined(__GNUC__)
#define WEB_HTTP_MUST_CHECK __attribute__((warn_unused_result))
#else
#define WEB_HTTP_MUST_CHECK
#endif

#define WEB_HTTP_LEAFLET_DIR "/usr/share/javascript/leaflet" /* Debian's libjs-leaflet */

struct web_http;

/*
 * web_http_start() - listen on @cfg's [web] listen and serve in a thread of its own.
 * @cfg:         in, the configuration; must outlive the server.
 * @rates:       in, the frame rates the main thread keeps; must outlive the server.
 * @leaflet_dir: in, where leaflet.js, leaflet.css and images/ are (WEB_HTTP_LEAFLET_DIR).
 * @out:         out, the server, to stop with web_http_stop().
 * @err:         out, on error one line ("cannot listen on 127.0.0.1:8080: ...").
 * Return: 0; -EINVAL for a listen address that does not parse; -EIO when the TLS files cannot
 * be read or the server does not start (address in use, ...); -ENOMEM.
 */
WEB_HTTP_MUST_CHECK int web_http_start(const struct config *cfg, struct web_rates *rates,
                                       const char *leaflet_dir, struct web_http **out, char *err,
                                       size_t err_len);

/* web_http_port() - the TCP port the server listens on (the one chosen for port 0). */
unsigned web_http_port(const struct web_http *h);

/* web_http_stop() - close the listener, finish the requests in progress, free @h (NULL: no-op). */
void web_http_stop(struct web_http *h);

#endif
