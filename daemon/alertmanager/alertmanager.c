/* SPDX-License-Identifier: MIT
 * The Alertmanager poster (alertmanager.h): which rows to post and when, what a success or a
 * failure does. One post at a time: the outbox's rows first, then a due resend of the active
 * alerts.
 */
#include "alertmanager/alertmanager.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alertmanager/alertmanager_int.h"
#include "util/log.h"
#include "util/rfc3339.h"

#define POST_ROWS        256   /* outbox rows in one post */
#define RESEND_MAX       2000  /* active alerts in one resend */
#define BACKOFF_FIRST_MS 1000u /* after a round in which every URL failed */
#define BACKOFF_CAP_S    30u
#define ERROR_LEN        256u
#define EXPIRE_MAX       16 /* silences of acknowledged alerts expired before one post */
#define SILENCE_ID_LEN   64u

enum post_kind { POST_NONE, POST_OUTBOX, POST_RESEND };

struct alertmanager {
    uv_loop_t *loop;
    struct store *store;
    struct alertmanager__http *http;
    struct config_alertmanager cfg;
    char site[64];
    char *base_url;      /* NULL = no generatorURL */
    uv_timer_t resend;   /* every resend_s: want_resend */
    uv_timer_t retry;    /* the wait after a failed round */
    bool want_pump;      /* outbox rows may be waiting */
    bool want_resend;    /* the active alerts are due */
    bool waiting;        /* the retry timer runs: no post until it fires */
    bool stopped;        /* alertmanager_stop() ran */
    unsigned open;       /* timers not closed yet */
    unsigned url;        /* index of the URL the next post goes to */
    unsigned tried;      /* URLs that failed in this round */
    unsigned backoff_ms; /* the next wait after a failed round */
    enum post_kind kind; /* what the running post carries */
    char *body;          /* its JSON, kept for the next URL */
    int64_t rows[POST_ROWS];
    unsigned n_rows; /* outbox rows the running post carries */
    /* Silences of acknowledged alerts that the post clears: expired first (DELETE), so that
     * the resolution reaches people; expire[next_expire..n_expire) are still to go. */
    char expire[EXPIRE_MAX][SILENCE_ID_LEN];
    unsigned n_expire;
    unsigned next_expire;
    struct log_limit fail_limit;
};

struct build {
    struct alertmanager *am;
    cJSON *arr;
    struct alertmanager__ctx ctx;
    unsigned count;
    int64_t *rows; /* outbox posts: the ids, else NULL */
};

static void build_init(struct build *b, struct alertmanager *am, int64_t *rows)
{
    memset(b, 0, sizeof(*b));
    b->am = am;
    b->rows = rows;
    b->ctx.site = am->site;
    b->ctx.base_url = am->base_url;
    b->ctx.now_ms = rfc3339_now_ms();
    b->ctx.ahead_ms = 4 * (int64_t)am->cfg.resend_s * 1000;
}

/* A stored alert JSON that cannot be read is skipped (and its row deleted with the rest):
 * posting the others matters more than one broken row. */
static int add_row(const struct store_am_msg *m, void *arg)
{
    struct build *b = arg;
    int rc = alertmanager__payload_add(b->arr, m->json, true, &b->ctx);

    if (rc == -EINVAL) {
        log_warning("alertmanager: alert %" PRId64 " seq %" PRIu32 ": unreadable, skipped",
                    m->alert_id, m->seq);
    } else if (rc < 0) {
        return rc;
    }
    /* More than EXPIRE_MAX at once: the rest end at their own endsAt (`alerts ack`). */
    if (b->am->n_expire < EXPIRE_MAX &&
        alertmanager__cleared_silence(m->json, b->am->expire[b->am->n_expire], SILENCE_ID_LEN)) {
        b->am->n_expire++;
    }
    b->rows[b->count++] = m->id;
    return 0;
}

static int add_active(const struct store_alert *a, void *arg)
{
    struct build *b = arg;
    int rc;

    if (b->count == RESEND_MAX) {
        return 1;
    }
    rc = alertmanager__payload_add(b->arr, a->json, false, &b->ctx);
    b->count++;
    return rc == -EINVAL ? 0 : rc;
}

static void start_post(struct alertmanager *am)
{
    char url[CONFIG_AM_URL_LEN + SILENCE_ID_LEN + 32];
    int rc;

    if (am->next_expire < am->n_expire) {
        (void)snprintf(url, sizeof(url), "%s/api/v2/silence/%s", am->cfg.urls[am->url],
                       am->expire[am->next_expire]);
        rc = alertmanager__http_post(am->http, url, NULL);
    } else {
        (void)snprintf(url, sizeof(url), "%s/api/v2/alerts", am->cfg.urls[am->url]);
        rc = alertmanager__http_post(am->http, url, am->body);
    }
    if (rc < 0) {
        (void)log_limited(&am->fail_limit, LOG_ERR, "alertmanager: cannot start a post: %s",
                          strerror(-rc));
        cJSON_free(am->body);
        am->body = NULL;
        am->kind = POST_NONE;
    }
}

/* Reads what is due and posts it. Return: true when a post started. */
static bool post_due(struct alertmanager *am, enum post_kind kind)
{
    struct build b;
    int rc;

    build_init(&b, am, am->rows);
    am->n_expire = 0;
    am->next_expire = 0;
    b.arr = cJSON_CreateArray();
    if (b.arr == NULL) {
        return false;
    }
    if (kind == POST_OUTBOX) {
        rc = store_am_foreach(am->store, 0, POST_ROWS, add_row, &b);
        am->n_rows = b.count;
    } else {
        rc = store_alerts_foreach(am->store, true, 0, add_active, &b);
        rc = rc == 1 ? 0 : rc;
    }
    if (rc < 0) {
        (void)log_limited(&am->fail_limit, LOG_ERR, "alertmanager: cannot read the store: %s",
                          rc == -EIO ? store_errmsg(am->store) : strerror(-rc));
    }
    am->body = rc == 0 && b.count > 0 ? cJSON_PrintUnformatted(b.arr) : NULL;
    cJSON_Delete(b.arr);
    if (am->body == NULL) {
        return false;
    }
    am->kind = kind;
    am->tried = 0;
    start_post(am);
    return am->kind != POST_NONE;
}

void alertmanager_committed(struct alertmanager *am, int rc)
{
    (void)rc; /* a lost batch took its rows with it: what is in the store is what counts */
    if (am == NULL || am->stopped || am->waiting || am->kind != POST_NONE) {
        return;
    }
    if (am->want_pump) {
        am->want_pump = false;
        if (post_due(am, POST_OUTBOX)) {
            return;
        }
    }
    if (am->want_resend) {
        am->want_resend = false;
        (void)post_due(am, POST_RESEND);
    }
}

static void note(struct alertmanager *am, const char *error)
{
    if (store_am_note(am->store, rfc3339_now_ms(), error) < 0) {
        (void)log_limited(&am->fail_limit, LOG_ERR, "alertmanager: cannot note the status: %s",
                          store_errmsg(am->store));
    }
}

static void on_retry(uv_timer_t *t)
{
    struct alertmanager *am = t->data;

    am->waiting = false;
    am->want_pump = true; /* read at the next commit, which this loop turn ends with */
}

static void on_success(struct alertmanager *am)
{
    unsigned i;

    if (am->kind == POST_OUTBOX) {
        for (i = 0; i < am->n_rows; i++) {
            if (store_am_delete(am->store, am->rows[i]) < 0) {
                (void)log_limited(&am->fail_limit, LOG_ERR,
                                  "alertmanager: cannot delete a posted row: %s",
                                  store_errmsg(am->store));
                break;
            }
        }
        am->want_pump = true; /* more may wait */
    }
    if (am->backoff_ms != BACKOFF_FIRST_MS) {
        log_notice("alertmanager: %s accepts alerts again", am->cfg.urls[am->url]);
        log_limit_flush(&am->fail_limit, 0, true);
    }
    am->backoff_ms = BACKOFF_FIRST_MS;
    note(am, NULL);
}

static void on_done(void *arg, long status, const char *error)
{
    struct alertmanager *am = arg;
    char text[ERROR_LEN];
    unsigned cap = am->cfg.resend_s < BACKOFF_CAP_S ? am->cfg.resend_s : BACKOFF_CAP_S;

    if (am->next_expire < am->n_expire && (error[0] == '\0' || status > 0)) {
        /* Expired, or the Alertmanager answered that it cannot be (gone already, expired by
         * hand): either way on to the next, then the post. */
        if (error[0] != '\0') {
            log_notice("alertmanager: silence %s not expired: %s", am->expire[am->next_expire],
                       error);
        }
        am->next_expire++;
        start_post(am);
        return;
    }
    if (error[0] == '\0') {
        on_success(am);
        goto done;
    }
    /* The URL, never a credential: config.c refuses user:password@ in it. */
    (void)snprintf(text, sizeof(text), "%s: %s", am->cfg.urls[am->url], error);
    note(am, text);
    am->url = (am->url + 1) % am->cfg.url_count;
    if (++am->tried < am->cfg.url_count) {
        (void)log_limited(&am->fail_limit, LOG_WARNING, "alertmanager %s; trying %s", text,
                          am->cfg.urls[am->url]);
        start_post(am);
        return;
    }
    (void)log_limited(&am->fail_limit, LOG_WARNING, "alertmanager %s; retrying in %.1f s", text,
                      am->backoff_ms / 1000.0);
    am->waiting = true;
    (void)uv_timer_start(&am->retry, on_retry, am->backoff_ms, 0);
    am->backoff_ms = am->backoff_ms * 2 >= cap * 1000u ? cap * 1000u : am->backoff_ms * 2;
    if (am->kind == POST_RESEND) {
        am->want_resend = true;
    }
done:
    cJSON_free(am->body);
    am->body = NULL;
    am->kind = POST_NONE;
}

static void on_resend(uv_timer_t *t)
{
    struct alertmanager *am = t->data;

    am->want_resend = true;
}

int alertmanager_start(uv_loop_t *loop, const struct config_alertmanager *cfg, const char *site,
                       const char *base_url, struct store *store, struct alertmanager **out)
{
    struct alertmanager__http_opts o;
    struct alertmanager *am;
    uint64_t period;
    int rc;

    assert(loop != NULL && cfg != NULL && cfg->url_count > 0 && site != NULL && out != NULL);
    am = calloc(1, sizeof(*am));
    if (am == NULL) {
        return -ENOMEM;
    }
    am->loop = loop;
    am->store = store;
    am->cfg = *cfg;
    (void)snprintf(am->site, sizeof(am->site), "%s", site);
    am->base_url = base_url != NULL ? strdup(base_url) : NULL;
    am->backoff_ms = BACKOFF_FIRST_MS;
    am->want_pump = true; /* rows left by the last run */
    am->want_resend = true;
    log_limit_init(&am->fail_limit, "alertmanager failures", 3, 60000);
    o.username = cfg->username;
    o.password = cfg->password;
    o.bearer_token = cfg->bearer_token;
    o.tls_ca = cfg->tls_ca;
    o.timeout_s = cfg->timeout_s;
    rc = base_url != NULL && am->base_url == NULL ? -ENOMEM : 0;
    rc = rc < 0 ? rc : alertmanager__http_new(loop, &o, on_done, am, &am->http);
    if (rc < 0) {
        free(am->base_url);
        free(am);
        return rc;
    }
    (void)uv_timer_init(loop, &am->resend);
    (void)uv_timer_init(loop, &am->retry);
    am->resend.data = am;
    am->retry.data = am;
    am->open = 2;
    period = (uint64_t)cfg->resend_s * 1000u;
    (void)uv_timer_start(&am->resend, on_resend, period, period);
    log_info("alertmanager: posting alerts to %s%s (resend every %u s)", cfg->urls[0],
             cfg->url_count > 1 ? " and the others of [alertmanager] url" : "", cfg->resend_s);
    *out = am;
    return 0;
}

void alertmanager_note_outbox(struct alertmanager *am)
{
    if (am != NULL) {
        am->want_pump = true;
    }
}

static void on_closed(uv_handle_t *h)
{
    struct alertmanager *am = h->data;

    if (--am->open == 0) {
        free(am->base_url);
        free(am);
    }
}

void alertmanager_stop(struct alertmanager *am)
{
    if (am == NULL) {
        return;
    }
    am->stopped = true;
    alertmanager__http_free(am->http);
    am->http = NULL;
    cJSON_free(am->body);
    am->body = NULL;
    (void)log_limit_flush(&am->fail_limit, 0, true);
    (void)uv_timer_stop(&am->resend);
    (void)uv_timer_stop(&am->retry);
    uv_close((uv_handle_t *)&am->resend, on_closed);
    uv_close((uv_handle_t *)&am->retry, on_closed);
}
