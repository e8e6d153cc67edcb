/* SPDX-License-Identifier: MIT
 * The site's subscriber connection (site_link.h): libmosquitto's socket in a uv_poll and its
 * periodic work on a one-second uv_timer, as mqtt.c does for the publisher.
 */
#include "site/site_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "util/log.h"

#define KEEPALIVE_S        10 /* a dead broker noticed within 15 s: below the default takeover_s */
#define TICK_MS            1000u
#define BACKOFF_FIRST_MS   500u
#define SUBS_MAX           4u
#define CONNECT_TIMEOUT_MS 10000u
#define TOPIC_LEN          256u

struct site_link {
    uv_loop_t *loop;
    struct config_mqtt cfg;
    char client_id[96];
    char will[TOPIC_LEN];
    char subs[SUBS_MAX][TOPIC_LEN];
    unsigned n_subs;
    site_link_cb cb;
    void *arg;
    struct mosquitto *mosq;
    uv_poll_t *poll;
    uv_timer_t timer;
    unsigned handles;
    unsigned broker;
    unsigned backoff_ms;
    bool up;
    bool lost;
    bool stopped;
    uint64_t down_since;
    uint64_t attempt_ms; /* uv_now() of the current connection attempt */
    struct log_limit fail_limit;
};

static void on_timer(uv_timer_t *t);
static void poll_again(struct site_link *l);

static void on_closed(uv_handle_t *h)
{
    struct site_link *l = h->data;

    if (h != (uv_handle_t *)&l->timer) {
        free(h);
    }
    if (--l->handles == 0 && l->stopped) {
        free(l);
    }
}

static void drop(struct site_link *l)
{
    if (l->poll != NULL) {
        (void)uv_poll_stop(l->poll);
        uv_close((uv_handle_t *)l->poll, on_closed);
        l->poll = NULL;
    }
    if (l->mosq != NULL) {
        mosquitto_destroy(l->mosq);
        l->mosq = NULL;
    }
    if (l->up) {
        l->down_since = uv_now(l->loop);
    }
    l->up = false;
    l->lost = false;
}

static void retry(struct site_link *l, const char *why)
{
    const struct config_broker *b = &l->cfg.brokers[l->broker];
    unsigned cap = l->cfg.reconnect_max_s * 1000u;

    drop(l);
    (void)log_limited(&l->fail_limit, LOG_WARNING, "site link %s:%u: %s", b->host, b->port, why);
    l->broker = (l->broker + 1) % l->cfg.broker_count;
    (void)uv_timer_start(&l->timer, on_timer, l->backoff_ms, 0);
    l->backoff_ms = l->backoff_ms >= cap / 2 ? cap : l->backoff_ms * 2;
}

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
    struct site_link *l = arg;
    unsigned i;

    if (rc != 0) {
        l->lost = true;
        return;
    }
    for (i = 0; i < l->n_subs; i++) {
        (void)mosquitto_subscribe(mosq, NULL, l->subs[i], 1);
    }
    l->up = true;
    l->backoff_ms = BACKOFF_FIRST_MS;
    log_limit_flush(&l->fail_limit, 0, true);
    log_notice("site link: connected to %s:%u as %s", l->cfg.brokers[l->broker].host,
               l->cfg.brokers[l->broker].port, l->client_id);
    l->cb(l->arg, NULL, NULL, 0);
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
    (void)mosq;
    (void)rc;
    ((struct site_link *)arg)->lost = true;
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
    struct site_link *l = arg;

    (void)mosq;
    l->cb(l->arg, msg->topic, msg->payload, msg->payloadlen);
}

static void after_io(struct site_link *l, int rc)
{
    if (l->lost || rc != MOSQ_ERR_SUCCESS) {
        retry(l, rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc) : "connection lost");
        return;
    }
    poll_again(l);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct site_link *l = p->data;
    int rc = MOSQ_ERR_SUCCESS;

    if (status < 0) {
        retry(l, uv_strerror(status));
        return;
    }
    if ((events & UV_READABLE) != 0) {
        rc = mosquitto_loop_read(l->mosq, 16);
    }
    if (rc == MOSQ_ERR_SUCCESS && !l->lost && (events & UV_WRITABLE) != 0) {
        rc = mosquitto_loop_write(l->mosq, 16);
    }
    after_io(l, rc);
}

static void poll_again(struct site_link *l)
{
    int events = UV_READABLE;

    if (l->poll == NULL || l->mosq == NULL) {
        return;
    }
    if (mosquitto_want_write(l->mosq)) {
        events |= UV_WRITABLE;
    }
    (void)uv_poll_start(l->poll, events, on_poll);
}

static void try_connect(struct site_link *l)
{
    const struct config_mqtt *c = &l->cfg;
    const struct config_broker *b = &c->brokers[l->broker];
    int rc;
    int fd;

    l->mosq = mosquitto_new(l->client_id, false, l);
    if (l->mosq == NULL) {
        retry(l, "out of memory");
        return;
    }
    (void)mosquitto_int_option(l->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(l->mosq, on_connect);
    mosquitto_disconnect_callback_set(l->mosq, on_disconnect);
    mosquitto_message_callback_set(l->mosq, on_message);
    rc = mosquitto_will_set(l->mosq, l->will, 0, "", 1, true);
    if (rc == MOSQ_ERR_SUCCESS && c->username[0] != '\0') {
        rc = mosquitto_username_pw_set(l->mosq, c->username,
                                       c->password[0] != '\0' ? c->password : NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS && c->tls_ca[0] != '\0') {
        rc =
            mosquitto_tls_set(l->mosq, c->tls_ca, NULL, c->tls_cert[0] != '\0' ? c->tls_cert : NULL,
                              c->tls_key[0] != '\0' ? c->tls_key : NULL, NULL);
    }
    rc = rc == MOSQ_ERR_SUCCESS
             ? mosquitto_connect_async(l->mosq, b->host, (int)b->port, KEEPALIVE_S)
             : rc;
    fd = rc == MOSQ_ERR_SUCCESS ? mosquitto_socket(l->mosq) : -1;
    if (fd < 0) {
        retry(l, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return;
    }
    l->poll = malloc(sizeof(*l->poll));
    if (l->poll == NULL || uv_poll_init_socket(l->loop, l->poll, fd) < 0) {
        free(l->poll);
        l->poll = NULL;
        retry(l, "cannot poll the socket");
        return;
    }
    l->poll->data = l;
    l->handles++;
    l->attempt_ms = uv_now(l->loop);
    poll_again(l);
    (void)uv_timer_start(&l->timer, on_timer, TICK_MS, TICK_MS);
}

static void on_timer(uv_timer_t *t)
{
    struct site_link *l = t->data;

    if (l->mosq == NULL) {
        try_connect(l);
        return;
    }
    if (!l->up && uv_now(l->loop) - l->attempt_ms >= CONNECT_TIMEOUT_MS) {
        retry(l, "no CONNACK within 10 s");
        return;
    }
    after_io(l, mosquitto_loop_misc(l->mosq));
}

int site_link_start(uv_loop_t *loop, const struct config_mqtt *cfg, const char *will_topic,
                    const char *const *subs, unsigned n_subs, site_link_cb cb, void *arg,
                    struct site_link **out)
{
    struct site_link *l = calloc(1, sizeof(*l));
    unsigned i;

    if (l == NULL) {
        return -ENOMEM;
    }
    l->loop = loop;
    l->cfg = *cfg;
    (void)snprintf(l->client_id, sizeof(l->client_id), "%s-site", cfg->client_id);
    (void)snprintf(l->will, sizeof(l->will), "%s", will_topic);
    for (i = 0; i < n_subs && i < SUBS_MAX; i++) {
        (void)snprintf(l->subs[i], sizeof(l->subs[i]), "%s", subs[i]);
    }
    l->n_subs = i;
    l->cb = cb;
    l->arg = arg;
    l->backoff_ms = BACKOFF_FIRST_MS;
    l->down_since = uv_now(loop);
    log_limit_init(&l->fail_limit, "site link failures", 5, 60000);
    (void)mosquitto_lib_init();
    (void)uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    l->handles = 1;
    *out = l;
    try_connect(l);
    return 0;
}

bool site_link_up(const struct site_link *l, uint64_t *down_since_ms)
{
    *down_since_ms = l->down_since;
    return l->up;
}

void site_link_publish(struct site_link *l, const char *topic, const char *payload, bool retain)
{
    if (!l->up || l->mosq == NULL) {
        return;
    }
    if (mosquitto_publish(l->mosq, NULL, topic, (int)strlen(payload), payload, 1, retain) !=
        MOSQ_ERR_SUCCESS) {
        l->lost = true;
    }
    poll_again(l);
}

void site_link_stop(struct site_link *l)
{
    if (l == NULL) {
        return;
    }
    if (l->up && l->mosq != NULL) {
        (void)mosquitto_publish(l->mosq, NULL, l->will, 0, "", 1, true);
        (void)mosquitto_loop_write(l->mosq, 1);
        (void)mosquitto_disconnect(l->mosq);
        (void)mosquitto_loop_write(l->mosq, 1);
    }
    l->up = false;
    drop(l);
    l->stopped = true;
    (void)uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_closed);
}
