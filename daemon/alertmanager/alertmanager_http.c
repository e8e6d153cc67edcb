/* SPDX-License-Identifier: MIT
 * HTTP POSTs from the libuv loop with libcurl's multi socket interface (curl's
 * docs/examples/multi-uv.c shape): curl says which sockets it waits on (a uv_poll each) and
 * when it next needs a call (one uv_timer); the loop never waits for a connect, a slow
 * Alertmanager or a DNS answer (Debian's libcurl resolves in a thread of its own).
 */
#include "alertmanager/alertmanager_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct alertmanager__http *h;
};

struct alertmanager__http {
    uv_loop_t *loop;
    CURLM *multi;
    CURL *easy;
    uv_timer_t timer;
    struct curl_slist *headers;
    alertmanager__http_cb cb;
    void *arg;
    bool busy; /* easy is in multi */
    char errbuf[CURL_ERROR_SIZE];
};

static void on_sock_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/* A request ended: take it out of the multi handle first, so that the callback may post the
 * next one. */
static void check_done(struct alertmanager__http *h)
{
    CURLMsg *msg;
    int left = 0;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        long status = 0;
        char error[CURL_ERROR_SIZE + 32];
        CURLcode res;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        res = msg->data.result;
        (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        (void)curl_multi_remove_handle(h->multi, msg->easy_handle);
        h->busy = false;
        if (res != CURLE_OK) {
            (void)snprintf(error, sizeof(error), "%s",
                           h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(res));
        } else if (status < 200 || status > 299) {
            (void)snprintf(error, sizeof(error), "HTTP %ld", status);
        } else {
            error[0] = '\0';
        }
        h->cb(h->arg, res == CURLE_OK ? status : 0, error);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock_ctx *c = p->data;
    int flags = 0;
    int running = 0;

    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    }
    if ((events & UV_READABLE) != 0) {
        flags |= CURL_CSELECT_IN;
    }
    if ((events & UV_WRITABLE) != 0) {
        flags |= CURL_CSELECT_OUT;
    }
    (void)curl_multi_socket_action(c->h->multi, c->fd, flags, &running);
    check_done(c->h);
}

static void on_timeout(uv_timer_t *t)
{
    struct alertmanager__http *h = t->data;
    int running = 0;

    (void)curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

/* CURLMOPT_SOCKETFUNCTION: watch @s for what curl waits on, or stop watching it. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct alertmanager__http *h = userp;
    struct sock_ctx *c = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (c != NULL) {
            (void)uv_poll_stop(&c->poll);
            uv_close((uv_handle_t *)&c->poll, on_sock_closed);
            (void)curl_multi_assign(h->multi, s, NULL);
        }
        return 0;
    }
    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL || uv_poll_init_socket(h->loop, &c->poll, s) < 0) {
            free(c);
            return -1; /* curl fails the request: retried later */
        }
        c->fd = s;
        c->h = h;
        c->poll.data = c;
        (void)curl_multi_assign(h->multi, s, c);
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        events |= UV_READABLE;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        events |= UV_WRITABLE;
    }
    return uv_poll_start(&c->poll, events, on_poll) < 0 ? -1 : 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants a call in @timeout_ms (-1: none). Never calls curl from
 * here: the timer does, from the loop. */
static int on_timer_request(CURLM *multi, long timeout_ms, void *userp)
{
    struct alertmanager__http *h = userp;

    (void)multi;
    if (timeout_ms < 0) {
        (void)uv_timer_stop(&h->timer);
        return 0;
    }
    return uv_timer_start(&h->timer, on_timeout, (uint64_t)timeout_ms, 0) < 0 ? -1 : 0;
}

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

/* The settings every request shares; curl copies every string. */
static int set_easy(struct alertmanager__http *h, const struct alertmanager__http_opts *o)
{
    CURL *e = h->easy;
    CURLcode rc;

    rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)o->timeout_s);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
    if (rc == CURLE_OK && o->username[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_USERNAME, o->username);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_PASSWORD, o->password);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    if (rc == CURLE_OK && o->bearer_token[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, o->bearer_token);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    }
    if (rc == CURLE_OK && o->tls_ca[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_CAINFO, o->tls_ca);
    }
    return rc == CURLE_OK ? 0 : -EIO;
}

int alertmanager__http_new(uv_loop_t *loop, const struct alertmanager__http_opts *o,
                           alertmanager__http_cb cb, void *arg, struct alertmanager__http **out)
{
    struct alertmanager__http *h = NULL;
    int rc = -ENOMEM;

    assert(loop != NULL && o != NULL && cb != NULL && out != NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -EIO;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        goto fail;
    }
    h->loop = loop;
    h->cb = cb;
    h->arg = arg;
    h->multi = curl_multi_init();
    h->easy = curl_easy_init();
    /* "Expect: 100-continue" would hold a large body back for a second. */
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    h->headers = h->headers != NULL ? curl_slist_append(h->headers, "Expect:") : NULL;
    if (h->multi == NULL || h->easy == NULL || h->headers == NULL) {
        goto fail;
    }
    rc = set_easy(h, o);
    if (rc == 0 &&
        (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
         curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
         curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_request) != CURLM_OK ||
         curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)) {
        rc = -EIO;
    }
    if (rc == 0) {
        rc = uv_timer_init(loop, &h->timer) < 0 ? -EIO : 0;
    }
    if (rc < 0) {
        goto fail;
    }
    h->timer.data = h;
    *out = h;
    return 0;
fail:
    if (h != NULL) {
        curl_slist_free_all(h->headers);
        curl_easy_cleanup(h->easy);
        (void)curl_multi_cleanup(h->multi);
        free(h);
    }
    curl_global_cleanup();
    return rc;
}

int alertmanager__http_post(struct alertmanager__http *h, const char *url, const char *body)
{
    CURLcode rc;

    assert(h != NULL && url != NULL);
    if (h->busy) {
        return -EBUSY;
    }
    h->errbuf[0] = '\0';
    rc = curl_easy_setopt(h->easy, CURLOPT_URL, url);
    if (body != NULL) {
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, NULL);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(h->easy, CURLOPT_COPYPOSTFIELDS, body);
    } else {
        /* HTTPGET drops the previous body; DELETE replaces GET's method name. */
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    if (rc != CURLE_OK) {
        return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
    }
    if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
        return -EIO;
    }
    h->busy = true;
    return 0;
}

bool alertmanager__http_busy(const struct alertmanager__http *h)
{
    return h->busy;
}

static void on_timer_closed(uv_handle_t *t)
{
    free(t->data);
}

void alertmanager__http_free(struct alertmanager__http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->busy) {
        (void)curl_multi_remove_handle(h->multi, h->easy);
        h->busy = false;
    }
    /* The multi handle holds the connections: closing it closes their sockets, and
     * on_socket() their polls. */
    (void)curl_multi_cleanup(h->multi);
    curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    curl_global_cleanup();
    (void)uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}
