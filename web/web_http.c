/* SPDX-License-Identifier: MIT
 * The HTTP server (web_http.h) on libmicrohttpd: routing, the checks every request passes
 * (method, authentication, query parameters) and the headers every answer carries. The
 * Content-Security-Policy allows scripts, styles and data only from the page's own origin
 * (and map tiles from [web] tiles' host), so even a value that escaped escaping could not
 * run; the page itself writes data only through textContent.
 */
#include "web_http.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "util/log.h"
#include "util/rfc3339.h"
#include "web_assets.h"
#include "web_auth.h"
#include "web_db.h"
#include "web_json.h"
#include "web_metrics.h"

struct web_http {
    struct MHD_Daemon *mhd;
    const struct config *cfg;
    struct web_rates *rates;
    char leaflet_dir[256];
    char csp[512]; /* the Content-Security-Policy header */
    char *tls_key; /* PEM text, NULL without TLS */
    char *tls_cert;
    struct log_limit db_log; /* "database unavailable", at most a few a minute */
};

/* Query parameters a route accepts (a bit each). */
enum { Q_DEVADDR = 1, Q_HOURS = 2, Q_LIMIT = 4 };

struct query {
    unsigned allowed; /* Q_* */
    const char *devaddr;
    const char *hours;
    const char *limit;
    char bad[160]; /* why the query is refused, "" = fine */
};

static void add_headers(const struct web_http *h, struct MHD_Response *r, const char *type)
{
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    (void)MHD_add_response_header(r, "X-Frame-Options", "DENY");
    (void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    (void)MHD_add_response_header(r, "Content-Security-Policy", h->csp);
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* Answers @status with @len bytes of @body: MHD_RESPMEM_MUST_FREE takes a malloc()ed body,
 * MHD_RESPMEM_PERSISTENT a static one. */
static enum MHD_Result reply(struct web_http *h, struct MHD_Connection *c, unsigned status,
                             const char *type, void *body, size_t len,
                             enum MHD_ResponseMemoryMode m)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, m);
    enum MHD_Result ret;

    if (r == NULL) {
        if (m == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    add_headers(h, r, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    ret = status == MHD_HTTP_UNAUTHORIZED ? MHD_queue_basic_auth_fail_response(c, "tinyfleet", r)
                                          : MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* An error answer: {"error": @msg} (the message is ours or SQLite's, JSON-escaped by cJSON). */
static enum MHD_Result reply_error(struct web_http *h, struct MHD_Connection *c, unsigned status,
                                   const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;

    if (o != NULL && cJSON_AddStringToObject(o, "error", msg) != NULL) {
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    if (text == NULL) {
        return MHD_NO;
    }
    return reply(h, c, status, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    struct query *q = cls;
    const char **slot = NULL;

    (void)kind;
    if (q->bad[0] != '\0') {
        return MHD_NO;
    }
    if ((q->allowed & Q_DEVADDR) != 0 && strcmp(key, "devaddr") == 0) {
        slot = &q->devaddr;
    } else if ((q->allowed & Q_HOURS) != 0 && strcmp(key, "hours") == 0) {
        slot = &q->hours;
    } else if ((q->allowed & Q_LIMIT) != 0 && strcmp(key, "limit") == 0) {
        slot = &q->limit;
    }
    if (slot == NULL) {
        (void)snprintf(q->bad, sizeof(q->bad), "unknown query parameter '%.60s'", key);
    } else if (*slot != NULL) {
        (void)snprintf(q->bad, sizeof(q->bad), "query parameter '%s' given twice", key);
    } else if (value == NULL || value[0] == '\0') {
        (void)snprintf(q->bad, sizeof(q->bad), "query parameter '%s' needs a value", key);
    } else {
        *slot = value;
    }
    return q->bad[0] == '\0' ? MHD_YES : MHD_NO;
}

/* @text as a decimal in [min, max] into @out; absent: @def. False (q->bad set) otherwise. */
static bool query_uint(struct query *q, const char *name, const char *text, unsigned min,
                       unsigned max, unsigned def, unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    *out = def;
    if (text == NULL) {
        return true;
    }
    for (i = 0; text[i] != '\0' && i < 8; i++) {
        if (text[i] < '0' || text[i] > '9') {
            break;
        }
        v = v * 10 + (unsigned long)(text[i] - '0');
    }
    if (text[i] != '\0' || i == 0 || v < min || v > max) {
        (void)snprintf(q->bad, sizeof(q->bad), "%s: a whole number from %u to %u expected", name,
                       min, max);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

/* @text as a DevAddr: exactly 8 hex digits. */
static bool query_devaddr(struct query *q, const char *text, uint32_t *out)
{
    uint32_t v = 0;
    size_t i;

    for (i = 0; text != NULL && i < 8; i++) {
        char ch = text[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;

        if (d < 0) {
            break;
        }
        v = v << 4 | (uint32_t)d;
    }
    if (text == NULL || i != 8 || text[8] != '\0') {
        (void)snprintf(q->bad, sizeof(q->bad), "devaddr: 8 hex digits expected");
        return false;
    }
    *out = v;
    return true;
}

static enum MHD_Result db_unavailable(struct web_http *h, struct MHD_Connection *c, int rc,
                                      const char *detail)
{
    char msg[320];

    if (rc == -ENOMEM) {
        return reply_error(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    (void)snprintf(msg, sizeof(msg), "database unavailable: %s",
                   rc == -ENOENT                         ? "no database file"
                   : rc == -EBUSY                        ? "locked"
                   : detail != NULL && detail[0] != '\0' ? detail
                                                         : "cannot open it");
    (void)log_limited(&h->db_log, LOG_WARNING, "%s: %s", h->cfg->storage.path, msg);
    return reply_error(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

/* The three JSON routes and /metrics, each from a connection of its own. */
static enum MHD_Result serve_data(struct web_http *h, struct MHD_Connection *c, const char *url,
                                  struct query *q)
{
    const int64_t now = rfc3339_now_ms();
    struct web_db *db = NULL;
    char *body = NULL;
    size_t len = 0;
    unsigned hours = 24;
    unsigned limit = 0;
    uint32_t devaddr = 0;
    enum MHD_Result ret;
    int rc;

    if (strcmp(url, "/api/transitions") == 0) {
        (void)(query_uint(q, "hours", q->hours, 1, 24 * 30, 24, &hours) &&
               query_uint(q, "limit", q->limit, 1, WEB_JSON_TRANSITIONS_MAX, 200, &limit));
    } else if (strcmp(url, "/api/node") == 0) {
        (void)(query_devaddr(q, q->devaddr, &devaddr) &&
               query_uint(q, "limit", q->limit, 1, WEB_JSON_EVENTS_MAX, 50, &limit));
    }
    if (q->bad[0] != '\0') {
        return reply_error(h, c, MHD_HTTP_BAD_REQUEST, q->bad);
    }
    rc = web_db_open(h->cfg->storage.path, &db);
    if (rc != 0) {
        return db_unavailable(h, c, rc, NULL);
    }
    if (strcmp(url, "/metrics") == 0) {
        rc = web_metrics_text(db, h->cfg, now, &body, &len);
    } else if (strcmp(url, "/api/status") == 0) {
        rc = web_json_status(db, h->cfg, h->rates, now, &body);
    } else if (strcmp(url, "/api/transitions") == 0) {
        rc = web_json_transitions(db, now - (int64_t)hours * 3600000, limit, &body);
    } else {
        rc = web_json_node(db, h->cfg, devaddr, limit, now, &body);
    }
    if (rc == -ENOENT) {
        ret = reply_error(h, c, MHD_HTTP_NOT_FOUND, "no node with this devaddr");
    } else if (rc != 0) {
        ret = db_unavailable(h, c, rc, web_db_error(db));
    } else if (strcmp(url, "/metrics") == 0) {
        ret = reply(h, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
                    MHD_RESPMEM_MUST_FREE);
    } else {
        ret =
            reply(h, c, MHD_HTTP_OK, "application/json", body, strlen(body), MHD_RESPMEM_MUST_FREE);
    }
    web_db_close(db);
    return ret;
}

/* /leaflet/NAME and /leaflet/images/NAME: only plain names of the three kinds Leaflet has, so
 * a path can never leave the directory. */
static enum MHD_Result serve_leaflet(struct web_http *h, struct MHD_Connection *c, const char *rest)
{
    const char *name = strncmp(rest, "images/", 7) == 0 ? rest + 7 : rest;
    const char *dot = strrchr(name, '.');
    const char *type = NULL;
    char path[512];
    struct stat sb;
    struct MHD_Response *r;
    enum MHD_Result ret;
    int fd;

    if (name[0] == '\0' || name[0] == '.' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
        return reply_error(h, c, MHD_HTTP_NOT_FOUND, "not found");
    }
    if (dot != NULL && strcmp(dot, ".js") == 0) {
        type = "text/javascript; charset=utf-8";
    } else if (dot != NULL && strcmp(dot, ".css") == 0) {
        type = "text/css; charset=utf-8";
    } else if (dot != NULL && strcmp(dot, ".png") == 0) {
        type = "image/png";
    }
    (void)snprintf(path, sizeof(path), "%s/%s", h->leaflet_dir, rest);
    fd = type != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) {
            (void)close(fd);
        }
        return reply_error(h, c, MHD_HTTP_NOT_FOUND, "not found");
    }
    r = MHD_create_response_from_fd((size_t)sb.st_size, fd);
    if (r == NULL) {
        (void)close(fd);
        return MHD_NO;
    }
    add_headers(h, r, type);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static bool authorised(const struct web_http *h, struct MHD_Connection *c)
{
    char *pass = NULL;
    char *user;
    bool ok;

    if (h->cfg->web.user[0] == '\0') {
        return true;
    }
    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = web_auth_check(&h->cfg->web, user, pass);
    if (pass != NULL) {
        explicit_bzero(pass, strlen(pass));
    }
    MHD_free(user);
    MHD_free(pass);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    static int started;
    struct web_http *h = cls;
    struct query q;
    size_t i;

    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = &started; /* the headers are in; the answer comes at the next call */
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* a body is never read */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return reply_error(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD");
    }
    if (!authorised(h, c)) {
        return reply_error(h, c, MHD_HTTP_UNAUTHORIZED, "authentication required");
    }
    memset(&q, 0, sizeof(q));
    q.allowed = strcmp(url, "/api/transitions") == 0 ? Q_HOURS | Q_LIMIT
                : strcmp(url, "/api/node") == 0      ? Q_DEVADDR | Q_LIMIT
                                                     : 0;
    if (strcmp(url, "/metrics") == 0 || strncmp(url, "/api/", 5) == 0) {
        if (q.allowed == 0 && strcmp(url, "/metrics") != 0 && strcmp(url, "/api/status") != 0) {
            return reply_error(h, c, MHD_HTTP_NOT_FOUND, "not found");
        }
        (void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &q);
        return serve_data(h, c, url, &q);
    }
    if (strncmp(url, "/leaflet/", 9) == 0) {
        return serve_leaflet(h, c, url + 9);
    }
    for (i = 0; i < web_asset_count; i++) {
        if (strcmp(url, web_assets[i].path) == 0) {
            return reply(h, c, MHD_HTTP_OK, web_assets[i].type, (void *)web_assets[i].data,
                         web_assets[i].len, MHD_RESPMEM_PERSISTENT);
        }
    }
    return reply_error(h, c, MHD_HTTP_NOT_FOUND, "not found");
}

/* The policy: everything from the page's origin; tiles from [web] tiles' origin, "{s}"
 * (Leaflet's subdomains) as a wildcard; a URL of another shape allows its scheme. */
static void make_csp(struct web_http *h)
{
    const char *tiles = h->cfg->web.tiles;
    char origin[200] = "";
    const char *host = strstr(tiles, "://");
    size_t n;

    if (tiles[0] != '\0' && host != NULL) {
        host += 3;
        n = strcspn(host, "/");
        if (strncmp(host, "{s}.", 4) == 0 && memchr(host + 4, '{', n - 4) == NULL) {
            (void)snprintf(origin, sizeof(origin), " %.*s*.%.*s", (int)(host - tiles), tiles,
                           (int)(n - 4), host + 4);
        } else if (memchr(host, '{', n) == NULL) {
            (void)snprintf(origin, sizeof(origin), " %.*s", (int)(host - tiles + (long)n), tiles);
        } else {
            (void)snprintf(origin, sizeof(origin), " %.*s", (int)(host - tiles - 2), tiles);
        }
    }
    (void)snprintf(h->csp, sizeof(h->csp),
                   "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                   "data:%s; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                   "frame-ancestors 'none'",
                   origin);
}

/* The whole of file @path (NUL-terminated) into @out. Return: 0 or a negative errno. */
static int read_file(const char *path, char **out)
{
    FILE *fp = fopen(path, "re");
    long len;
    int rc = 0;

    *out = NULL;
    if (fp == NULL) {
        return -errno;
    }
    /* A PEM file over 1 MB is not a certificate or key. */
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || len > 1 << 20 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        rc = -EIO;
    } else if ((*out = calloc(1, (size_t)len + 1)) == NULL) {
        rc = -ENOMEM;
    }
    if (rc == 0 && fread(*out, 1, (size_t)len, fp) != (size_t)len) {
        rc = -EIO;
    }
    (void)fclose(fp);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static int load_tls(struct web_http *h, char *err, size_t err_len)
{
    const struct config_web *w = &h->cfg->web;
    int rc;

    if (w->tls_cert[0] == '\0') {
        return 0;
    }
    rc = read_file(w->tls_cert, &h->tls_cert);
    if (rc == 0) {
        rc = read_file(w->tls_key, &h->tls_key);
        if (rc != 0) {
            (void)snprintf(err, err_len, "[web] tls_key: cannot read '%s': %s", w->tls_key,
                           strerror(-rc));
        }
    } else {
        (void)snprintf(err, err_len, "[web] tls_cert: cannot read '%s': %s", w->tls_cert,
                       strerror(-rc));
    }
    return rc == -ENOMEM ? rc : rc != 0 ? -EIO : 0;
}

int web_http_start(const struct config *cfg, struct web_rates *rates, const char *leaflet_dir,
                   struct web_http **out, char *err, size_t err_len)
{
    struct sockaddr_storage addr;
    struct web_http *h;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    int rc;

    assert(cfg != NULL && rates != NULL && leaflet_dir != NULL && out != NULL);
    *out = NULL;
    if (config_parse_addr(cfg->web.listen, &addr) != 0) {
        (void)snprintf(err, err_len, "[web] listen: cannot use '%s'", cfg->web.listen);
        return -EINVAL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return -ENOMEM;
    }
    h->cfg = cfg;
    h->rates = rates;
    (void)snprintf(h->leaflet_dir, sizeof(h->leaflet_dir), "%s", leaflet_dir);
    log_limit_init(&h->db_log, "database unavailable", 3, 60000);
    make_csp(h);
    rc = load_tls(h, err, err_len);
    if (rc != 0) {
        goto fail;
    }
    flags |= addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0;
    flags |= h->tls_cert != NULL ? MHD_USE_TLS : 0;
    /* One thread, a bounded number of connections and a timeout: RSS stays small and a slow
     * client cannot hold the server. */
    h->mhd =
        h->tls_cert != NULL
            ? MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                               MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
                               h->tls_cert, MHD_OPTION_END)
            : MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (h->mhd == NULL) {
        (void)snprintf(err, err_len, "cannot listen on %s (in use, or not an address of this host)",
                       cfg->web.listen);
        rc = -EIO;
        goto fail;
    }
    *out = h;
    return 0;
fail:
    web_http_stop(h);
    return rc;
}

unsigned web_http_port(const struct web_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);

    return i != NULL ? i->port : 0;
}

void web_http_stop(struct web_http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->mhd != NULL) {
        MHD_stop_daemon(h->mhd);
    }
    if (h->tls_key != NULL) {
        explicit_bzero(h->tls_key, strlen(h->tls_key));
    }
    free(h->tls_key);
    free(h->tls_cert);
    free(h);
}
