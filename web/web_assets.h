/* SPDX-License-Identifier: MIT
 * The page's own files (web/static/: index.html, app.js, app.css), compiled into
 * tinyfleet-web by tools/embed-web.sh, so the program needs nothing installed beside it but
 * Debian's Leaflet. Read-only data; any thread.
 */
#ifndef PROJ_WEB_WEB_ASSETS_H
#define PROJ_WEB_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path;          /* URL path, "/app.js" ("/" for index.html) */
    const char *type;          /* Content-Type */
    const unsigned char *data; /* the bytes */
    size_t len;                /* their number */
};

extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
