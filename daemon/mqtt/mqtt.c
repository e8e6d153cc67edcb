/* SPDX-License-Identifier: MIT
 * The MQTT publisher (see mqtt.h). libmosquitto is used without its own loop or thread: its
 * socket sits in a uv_poll (readable always, writable while it has bytes queued) and a
 * one-second uv_timer runs mosquitto_loop_misc() for keepalive. The library calls our
 * callbacks from inside mosquitto_loop_read(); a lost connection is only noted there and
 * torn down after the library has returned, never from inside its own callback.
 */
#include "mqtt/mqtt.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "util/log.h"

#define INFLIGHT_MAX       64    /* outbox rows sent and not yet acknowledged */
#define VOLATILE_MAX       4096  /* QoS 0 messages waiting for their commit */
#define KEEPALIVE_S        30    /* MQTT keepalive; a dead broker is noticed within 1.5x */
#define TICK_MS            1000u /* mosquitto_loop_misc() period */
#define CONNECT_TIMEOUT_MS 10000u
#define BACKOFF_FIRST_MS   1000u
#define STATUS_LEN         256u

enum mqtt_state {
    MQTT_WAITING,    /* no client; the timer runs the next attempt */
    MQTT_CONNECTING, /* socket open, CONNACK not yet received */
    MQTT_CONNECTED,
    MQTT_STOPPED
};

struct inflight {
    int mid;          /* libmosquitto's message id */
    int64_t row;      /* outbox row id */
    uint64_t sent_ms; /* uv_now() when it was handed to the client */
};

struct volatile_msg {
    char *topic;
    char *payload;
    bool retain;
};

struct mqtt {
    uv_loop_t *loop;
    struct store *store;
    struct config_mqtt cfg;
    char gateway_id[64];
    char status_topic[STATUS_LEN];
    char since[32];         /* RFC 3339 UTC, s: when the current connection attempt began */
    struct mosquitto *mosq; /* NULL while waiting */
    uv_poll_t *poll;        /* the client's socket; a new handle per connection */
    uv_timer_t timer;       /* keepalive ticks, or the wait before the next attempt */
    enum mqtt_state state;
    bool lost;         /* the connection broke inside a libmosquitto call */
    mqtt_gate_fn gate; /* mqtt_set_gate(): rows wait while it says no */
    void *gate_arg;
    bool want_pump;         /* outbox rows may be waiting: read them at the next commit */
    unsigned handles_open;  /* timer and poll handles not yet closed */
    unsigned backoff_ms;    /* the next wait before reconnecting */
    unsigned broker;        /* the entry of [mqtt] host tried now */
    uint64_t attempt_start; /* uv_now() of the current connection attempt */
    int64_t last_sent;      /* highest outbox id handed to the client this session */
    struct inflight inflight[INFLIGHT_MAX];
    unsigned n_inflight;
    struct volatile_msg *pending; /* QoS 0 messages of the open batch */
    unsigned n_pending;
    struct mqtt_stats st;
    struct log_limit fail_limit;
    uint64_t rng; /* jitter(); never 0 */
};

static void on_timer(uv_timer_t *t);
static void update_poll(struct mqtt *m);

/* The broker of [mqtt] host's list tried now. */
static const struct config_broker *broker(const struct mqtt *m)
{
    return &m->cfg.brokers[m->broker];
}

/* The wall-clock time now, RFC 3339 UTC to the second, into @when (32 bytes). */
static void utc_now(char *when, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL || strftime(when, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        when[0] = '\0';
    }
}

/* The gateway status: {"state":"online",...,"time":since} at a connect, and "offline" with
 * its cause: "connection_lost" in the will, which the broker publishes when it loses us but
 * which is fixed at CONNECT, so its time is the connection's start as in the birth message;
 * "stopped" at a clean stop, with the time of the stop. */
static void status_json(const struct mqtt *m, const char *state, const char *cause,
                        const char *when, char *buf, size_t cap)
{
    /* Names and ids are checked by config_value.c (letters, digits, '_', '-', '.'): no escaping. */
    if (cause == NULL) {
        (void)snprintf(buf, cap, "{\"state\":\"%s\",\"gateway\":\"%s\",\"time\":\"%s\"}", state,
                       m->gateway_id, when);
        return;
    }
    (void)snprintf(buf, cap,
                   "{\"state\":\"%s\",\"gateway\":\"%s\",\"time\":\"%s\",\"cause\":\"%s\"}", state,
                   m->gateway_id, when, cause);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct mqtt *m = h->data;

    if (h != (uv_handle_t *)&m->timer) {
        free(h); /* a poll handle */
    }
    if (--m->handles_open == 0 && m->state == MQTT_STOPPED) {
        free(m);
    }
}

/* Ends the current connection (if any) and forgets what was in flight: the rows are still
 * in the outbox and go again, from the oldest, on the next connection. */
static void drop_client(struct mqtt *m)
{
    if (m->poll != NULL) {
        (void)uv_poll_stop(m->poll);
        uv_close((uv_handle_t *)m->poll, on_handle_closed);
        m->poll = NULL;
    }
    if (m->mosq != NULL) {
        mosquitto_destroy(m->mosq); /* closes the socket, after the poll has stopped */
        m->mosq = NULL;
    }
    m->st.connected = false;
    m->n_inflight = 0;
    m->last_sent = 0;
    m->lost = false;
}

/* xorshift64* (Vigna 2016): spreading reconnects needs no more than this, and no global
 * state such as rand()'s. */
static unsigned jitter(struct mqtt *m, unsigned below)
{
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (unsigned)((m->rng * 0x2545F4914F6CDD1Dull) >> 32) % below;
}

static void schedule_retry(struct mqtt *m, const char *why)
{
    /* +-25 % jitter, so that many gateways cut off together do not return together. */
    unsigned delay = m->backoff_ms - m->backoff_ms / 4 + jitter(m, m->backoff_ms / 2 + 1);
    unsigned cap = m->cfg.reconnect_max_s * 1000u;

    drop_client(m);
    (void)log_limited(&m->fail_limit, LOG_WARNING, "mqtt %s:%u: %s; retrying in %.1f s",
                      broker(m)->host, broker(m)->port, why, delay / 1000.0);
    /* The next broker of the list: a node of a cluster that died leaves the others. */
    m->broker = (m->broker + 1) % m->cfg.broker_count;
    m->state = MQTT_WAITING;
    m->backoff_ms = m->backoff_ms >= cap / 2 ? cap : m->backoff_ms * 2;
    (void)uv_timer_start(&m->timer, on_timer, delay, 0);
}

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
    struct mqtt *m = arg;
    char birth[STATUS_LEN];

    (void)mosq;
    if (rc != 0) {
        log_error("mqtt %s:%u refused the connection: %s", broker(m)->host, broker(m)->port,
                  mosquitto_connack_string(rc));
        m->lost = true;
        return;
    }
    m->state = MQTT_CONNECTED;
    m->st.connected = true;
    m->st.connects++;
    m->backoff_ms = BACKOFF_FIRST_MS;
    m->want_pump = true; /* read at the next commit, when no batch is open */
    log_limit_flush(&m->fail_limit, 0, true);
    log_notice("mqtt: connected to %s:%u as %s", broker(m)->host, broker(m)->port,
               m->cfg.client_id);
    status_json(m, "online", NULL, m->since, birth, sizeof(birth));
    rc = mosquitto_publish(m->mosq, NULL, m->status_topic, (int)strlen(birth), birth, 1, true);
    if (rc != MOSQ_ERR_SUCCESS) {
        m->lost = true;
    }
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
    struct mqtt *m = arg;

    (void)mosq;
    (void)rc;
    m->lost = true;
}

/* A PUBACK (QoS 1) or a QoS 0 message written: only outbox rows are tracked. */
static void on_publish(struct mosquitto *mosq, void *arg, int mid)
{
    struct mqtt *m = arg;
    unsigned i;

    (void)mosq;
    for (i = 0; i < m->n_inflight; i++) {
        if (m->inflight[i].mid != mid) {
            continue;
        }
        if (store_outbox_delete(m->store, m->inflight[i].row) < 0) {
            /* It stays in the outbox and goes again after a reconnect: a duplicate, not a
             * loss. */
            (void)log_limited(&m->fail_limit, LOG_ERR,
                              "mqtt: cannot delete outbox row %" PRId64 ": %s", m->inflight[i].row,
                              store_errmsg(m->store));
        }
        m->st.published++;
        m->inflight[i] = m->inflight[--m->n_inflight];
        m->want_pump = true;
        return;
    }
}

static void after_io(struct mqtt *m, int rc, const char *what)
{
    if (m->lost || rc != MOSQ_ERR_SUCCESS) {
        schedule_retry(m, rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc) : what);
        return;
    }
    update_poll(m);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct mqtt *m = p->data;
    int rc = MOSQ_ERR_SUCCESS;

    if (status < 0) {
        schedule_retry(m, uv_strerror(status));
        return;
    }
    if ((events & UV_READABLE) != 0) {
        rc = mosquitto_loop_read(m->mosq, 1);
    }
    if (rc == MOSQ_ERR_SUCCESS && !m->lost && (events & UV_WRITABLE) != 0) {
        rc = mosquitto_loop_write(m->mosq, 1);
    }
    after_io(m, rc, "connection closed");
}

static void update_poll(struct mqtt *m)
{
    int events = UV_READABLE;

    if (m->poll == NULL || m->mosq == NULL) {
        return;
    }
    if (mosquitto_want_write(m->mosq)) {
        events |= UV_WRITABLE;
    }
    (void)uv_poll_start(m->poll, events, on_poll);
}

/* Applies the [mqtt] settings to a new client. Return: 0 or -EINVAL (logged). */
static int setup_client(struct mqtt *m)
{
    const struct config_mqtt *c = &m->cfg;
    char will[STATUS_LEN];
    int rc;

    (void)mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* ARCHITECTURE.md: facts */
    (void)mosquitto_max_inflight_messages_set(m->mosq, INFLIGHT_MAX);
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_callback_set(m->mosq, on_publish);
    status_json(m, "offline", "connection_lost", m->since, will, sizeof(will));
    rc = mosquitto_will_set(m->mosq, m->status_topic, (int)strlen(will), will, 1, true);
    if (rc == MOSQ_ERR_SUCCESS && c->username[0] != '\0') {
        rc = mosquitto_username_pw_set(m->mosq, c->username,
                                       c->password[0] != '\0' ? c->password : NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS && c->tls_ca[0] != '\0') {
        rc =
            mosquitto_tls_set(m->mosq, c->tls_ca, NULL, c->tls_cert[0] != '\0' ? c->tls_cert : NULL,
                              c->tls_key[0] != '\0' ? c->tls_key : NULL, NULL);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        log_error("mqtt: cannot set the client up: %s", mosquitto_strerror(rc));
        return -EINVAL;
    }
    return 0;
}

static void try_connect(struct mqtt *m)
{
    int rc;
    int fd;

    utc_now(m->since, sizeof(m->since));
    m->mosq = mosquitto_new(m->cfg.client_id, true, m);
    if (m->mosq == NULL) {
        schedule_retry(m, "out of memory");
        return;
    }
    if (setup_client(m) < 0) {
        schedule_retry(m, "bad client settings");
        return;
    }
    m->attempt_start = uv_now(m->loop);
    /* Resolves the host name synchronously (getaddrinfo): use an address or a local name. */
    rc = mosquitto_connect_async(m->mosq, broker(m)->host, (int)broker(m)->port, KEEPALIVE_S);
    fd = rc == MOSQ_ERR_SUCCESS ? mosquitto_socket(m->mosq) : -1;
    if (fd < 0) {
        schedule_retry(m, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return;
    }
    m->poll = malloc(sizeof(*m->poll));
    if (m->poll == NULL || uv_poll_init_socket(m->loop, m->poll, fd) < 0) {
        free(m->poll);
        m->poll = NULL;
        schedule_retry(m, "cannot poll the socket");
        return;
    }
    m->poll->data = m;
    m->handles_open++;
    m->state = MQTT_CONNECTING;
    update_poll(m);
    (void)uv_timer_start(&m->timer, on_timer, TICK_MS, TICK_MS);
}

/*
 * True when the oldest message in flight has waited [mqtt] puback_timeout_s for its PUBACK,
 * with the reason in @why. A broker that still answers PINGREQ but no longer acknowledges
 * (stuck in its storage, or a middlebox that loses the PUBACKs) passes the keepalive and would
 * otherwise hold the whole window for ever. The rows are still in the outbox: the next
 * connection sends them again, from the oldest, so nothing is lost and the order is kept.
 */
static bool puback_overdue(const struct mqtt *m, char *why, size_t cap)
{
    uint64_t now = uv_now(m->loop);
    unsigned oldest = 0;
    unsigned i;

    if (m->n_inflight == 0) {
        return false;
    }
    for (i = 1; i < m->n_inflight; i++) {
        if (m->inflight[i].sent_ms < m->inflight[oldest].sent_ms) {
            oldest = i;
        }
    }
    if (now - m->inflight[oldest].sent_ms < (uint64_t)m->cfg.puback_timeout_s * 1000u) {
        return false;
    }
    (void)snprintf(why, cap, "no PUBACK for outbox row %" PRId64 " within %u s (%u in flight)",
                   m->inflight[oldest].row, m->cfg.puback_timeout_s, m->n_inflight);
    return true;
}

static void on_timer(uv_timer_t *t)
{
    struct mqtt *m = t->data;
    char why[128];

    switch (m->state) {
    case MQTT_WAITING:
        try_connect(m);
        break;
    case MQTT_CONNECTING:
        if (uv_now(m->loop) - m->attempt_start >= CONNECT_TIMEOUT_MS) {
            schedule_retry(m, "no CONNACK within 10 s");
            break;
        }
        /* The TLS handshake and CONNECT also need loop_misc's retries. */
        after_io(m, mosquitto_loop_misc(m->mosq), "keepalive failed");
        break;
    case MQTT_CONNECTED:
        if (puback_overdue(m, why, sizeof(why))) {
            schedule_retry(m, why);
            break;
        }
        after_io(m, mosquitto_loop_misc(m->mosq), "keepalive failed");
        break;
    case MQTT_STOPPED:
        break;
    }
}

int mqtt_start(uv_loop_t *loop, const struct config_mqtt *cfg, const char *gateway_id,
               struct store *store, struct mqtt **out)
{
    struct mqtt *m;
    int n;

    assert(cfg->broker_count > 0 && gateway_id != NULL);
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->loop = loop;
    m->store = store;
    m->cfg = *cfg;
    (void)snprintf(m->gateway_id, sizeof(m->gateway_id), "%s", gateway_id);
    n = snprintf(m->status_topic, sizeof(m->status_topic), "%s/gateway/%s/status", m->cfg.prefix,
                 m->gateway_id);
    if (n < 0 || (size_t)n >= sizeof(m->status_topic)) {
        free(m);
        return -EINVAL;
    }
    m->backoff_ms = BACKOFF_FIRST_MS;
    log_limit_init(&m->fail_limit, "mqtt failures", 5, 60000);
    m->rng = uv_hrtime() | 1u;
    (void)mosquitto_lib_init();
    (void)uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    m->handles_open = 1;
    m->state = MQTT_WAITING;
    *out = m;
    try_connect(m);
    return 0;
}

static int publish_row(const struct store_outbox_msg *row, void *arg)
{
    struct mqtt *m = arg;
    int mid = 0;
    int rc;

    rc = mosquitto_publish(m->mosq, &mid, row->topic, (int)row->payload_len, row->payload, 1,
                           row->retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        m->lost = true;
        return 1;
    }
    m->inflight[m->n_inflight].mid = mid;
    m->inflight[m->n_inflight].row = row->id;
    m->inflight[m->n_inflight].sent_ms = uv_now(m->loop);
    m->n_inflight++;
    m->last_sent = row->id;
    return m->n_inflight < INFLIGHT_MAX ? 0 : 1;
}

/* Sends the outbox rows after the last one sent, up to the in-flight window. Between
 * batches only (mqtt_committed()), so every row read is committed. */
static void pump(struct mqtt *m)
{
    unsigned room = INFLIGHT_MAX - m->n_inflight;
    unsigned before = m->n_inflight;
    int rc;

    if (m->state != MQTT_CONNECTED || room == 0 || (m->gate != NULL && !m->gate(m->gate_arg))) {
        return; /* want_pump stays: read them once connected, or once the gate opens */
    }
    rc = store_outbox_foreach(m->store, m->last_sent, (int)room, publish_row, m);
    if (rc < 0) {
        (void)log_limited(&m->fail_limit, LOG_ERR, "mqtt: cannot read the outbox: %s",
                          store_errmsg(m->store));
        return;
    }
    /* Fewer rows than room: the outbox is drained up to now. */
    m->want_pump = m->n_inflight - before == room;
    after_io(m, MOSQ_ERR_SUCCESS, "publish failed");
}

static void free_pending(struct mqtt *m)
{
    unsigned i;

    for (i = 0; i < m->n_pending; i++) {
        free(m->pending[i].topic);
        free(m->pending[i].payload);
    }
    m->n_pending = 0;
}

void mqtt_committed(struct mqtt *m, int rc)
{
    bool sent = m->n_pending > 0;
    unsigned i;

    for (i = 0; i < m->n_pending; i++) {
        const struct volatile_msg *v = &m->pending[i];

        if (rc == 0 && m->state == MQTT_CONNECTED && !m->lost &&
            mosquitto_publish(m->mosq, NULL, v->topic, (int)strlen(v->payload), v->payload, 0,
                              v->retain) == MOSQ_ERR_SUCCESS) {
            m->st.volatile_sent++;
        } else {
            m->st.volatile_dropped++;
        }
    }
    free_pending(m);
    /* Called after every turn of the loop: only when something was published does the
     * socket's poll need a look (writable while the client has bytes queued). */
    if (rc == 0 && m->want_pump) {
        pump(m);
    } else if (sent && m->state == MQTT_CONNECTED) {
        after_io(m, MOSQ_ERR_SUCCESS, "publish failed");
    }
}

void mqtt_queue_volatile(struct mqtt *m, const char *topic, const char *payload, bool retain)
{
    struct volatile_msg *v;

    if (m->pending == NULL) {
        m->pending = calloc(VOLATILE_MAX, sizeof(*m->pending));
    }
    if (m->pending == NULL || m->n_pending == VOLATILE_MAX) {
        m->st.volatile_dropped++;
        return;
    }
    v = &m->pending[m->n_pending];
    v->topic = strdup(topic);
    v->payload = strdup(payload);
    v->retain = retain;
    if (v->topic == NULL || v->payload == NULL) {
        free(v->topic);
        free(v->payload);
        m->st.volatile_dropped++;
        return;
    }
    m->n_pending++;
}

void mqtt_set_gate(struct mqtt *m, mqtt_gate_fn gate, void *arg)
{
    m->gate = gate;
    m->gate_arg = arg;
}

void mqtt_note_outbox(struct mqtt *m)
{
    m->want_pump = true;
}

void mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *out)
{
    *out = m->st;
    out->inflight = m->n_inflight;
}

void mqtt_stop(struct mqtt *m)
{
    char bye[STATUS_LEN];
    char when[32];

    if (m == NULL) {
        return;
    }
    if (m->state == MQTT_CONNECTED && !m->lost) {
        /* A clean DISCONNECT does not fire the will, so say it ourselves. */
        utc_now(when, sizeof(when));
        status_json(m, "offline", "stopped", when, bye, sizeof(bye));
        (void)mosquitto_publish(m->mosq, NULL, m->status_topic, (int)strlen(bye), bye, 1, true);
        (void)mosquitto_disconnect(m->mosq);
    }
    free_pending(m);
    free(m->pending);
    m->pending = NULL;
    drop_client(m);
    m->state = MQTT_STOPPED;
    (void)uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, on_handle_closed);
}
