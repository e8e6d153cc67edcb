/* SPDX-License-Identifier: MIT
 * Downlink state (store.h; migrations/0007_downlink.sql): each node's FCntDown and its queue
 * of commands. The CLI queues a command in its own transaction; the daemon moves it through
 * its states, and takes counters, inside the batch of the frame that caused it, so a
 * downlink is never sent on the strength of something that was not committed.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "util/rfc3339.h"

static const char *const state_names[STORE_CMD_STATE_COUNT] = {
    "queued", "sent", "acknowledged", "failed", "expired",
};

const char *store_cmd_state_name(enum store_cmd_state st)
{
    return (unsigned)st < STORE_CMD_STATE_COUNT ? state_names[st] : NULL;
}

static int state_of(const unsigned char *name, enum store_cmd_state *out)
{
    for (size_t i = 0; i < STORE_CMD_STATE_COUNT; i++) {
        if (name != NULL && strcmp((const char *)name, state_names[i]) == 0) {
            *out = (enum store_cmd_state)i;
            return 0;
        }
    }
    return -EIO; /* the schema's CHECK allows only these: a damaged file */
}

/* Fills @c from the current row of a CMD_COLUMNS statement. */
static int read_command(struct store *s, sqlite3_stmt *st, struct store_command *c)
{
    int len = sqlite3_column_bytes(st, 3);
    const void *p = sqlite3_column_blob(st, 3);
    const unsigned char *status = sqlite3_column_text(st, 5);

    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->devaddr = (uint32_t)sqlite3_column_int64(st, 1);
    c->op = (uint8_t)sqlite3_column_int(st, 2);
    if (p == NULL || len < 1 || (size_t)len > sizeof(c->payload) ||
        state_of(sqlite3_column_text(st, 4), &c->state) != 0) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "command %lld: damaged row", (long long)c->id);
        return -EIO;
    }
    memcpy(c->payload, p, (size_t)len);
    c->payload_len = (size_t)len;
    (void)snprintf(c->status, sizeof(c->status), "%s", status != NULL ? (const char *)status : "");
    c->tries = sqlite3_column_int(st, 6);
    c->created_ms = sqlite3_column_int64(st, 7);
    c->changed_ms = sqlite3_column_int64(st, 8);
    c->expires_ms = sqlite3_column_int64(st, 9);
    return 0;
}

/* One row of @id (bound already) into @out. Return: 0, -ENOENT, -EIO, -ENOMEM. */
static int query_command(struct store *s, enum store__stmt id, struct store_command *out)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = -ENOENT;

    if (rc == SQLITE_ROW) {
        ret = read_command(s, st, out);
    } else if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

/* The insert, then the payload that names the row, inside the open transaction. */
static int add_rows(struct store *s, uint32_t devaddr, const struct proto_cmd *cmd, int64_t now_ms,
                    int64_t ttl_ms, int64_t *id)
{
    static const uint8_t placeholder[PROTO_CMD_HDR_LEN];
    struct proto_cmd c = *cmd;
    struct store__binder b;
    uint8_t payload[PROTO_CMD_MAX_LEN];
    int len;
    int ret;

    b = store__bind_start(s, STORE__CMD_ADD);
    store__bind_int(&b, 1, devaddr);
    store__bind_int(&b, 2, cmd->op);
    store__bind_blob(&b, 3, placeholder, sizeof(placeholder));
    store__bind_int(&b, 4, now_ms);
    store__bind_int(&b, 5, now_ms + ttl_ms);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__CMD_ADD);
    if (ret < 0) {
        return ret == -EINVAL ? -ENOENT : ret; /* the foreign key: no such node */
    }
    *id = sqlite3_last_insert_rowid(s->db);
    c.seq = (uint16_t)(*id & 0xFFFF);
    len = proto_cmd_encode(&c, payload, sizeof(payload));
    if (len < 0) {
        return -EINVAL; /* checked before the insert; kept as a real branch */
    }
    b = store__bind_start(s, STORE__CMD_PAYLOAD);
    store__bind_int(&b, 1, *id);
    store__bind_blob(&b, 2, payload, (size_t)len);
    ret = store__bind_done(s, &b);
    return ret < 0 ? ret : store__run(s, STORE__CMD_PAYLOAD);
}

/* The "queued" message of command @id, as poststore_command() writes the later ones. */
static int add_queued_row(struct store *s, const char *prefix, uint32_t devaddr, int64_t id,
                          uint8_t op, int64_t now_ms)
{
    char topic[256];
    char json[256];
    char when[RFC3339_LEN];
    struct store__binder b;
    const char *name = proto_cmd_name(op);
    int n;
    int ret;

    rfc3339_format(now_ms, when);
    n = snprintf(topic, sizeof(topic), "%s/node/%08X/command/%lld", prefix, (unsigned)devaddr,
                 (long long)id);
    if (n < 0 || (size_t)n >= sizeof(topic)) {
        return -EINVAL;
    }
    (void)snprintf(json, sizeof(json),
                   "{\"id\":%lld,\"devaddr\":\"%08X\",\"command\":\"%s\",\"state\":\"queued\","
                   "\"status\":\"\",\"tries\":0,\"time\":\"%s\"}",
                   (long long)id, (unsigned)devaddr, name != NULL ? name : "unknown", when);
    b = store__bind_start(s, STORE__OUTBOX_ADD);
    store__bind_text(&b, 1, topic);
    store__bind_blob(&b, 2, json, strlen(json));
    store__bind_int(&b, 3, 1);
    store__bind_int(&b, 4, now_ms);
    ret = store__bind_done(s, &b);
    return ret < 0 ? ret : store__run(s, STORE__OUTBOX_ADD);
}

int store_command_add(struct store *s, uint32_t devaddr, const struct proto_cmd *cmd,
                      int64_t now_ms, int64_t ttl_ms, struct store_command *out)
{
    return store_command_add_published(s, devaddr, cmd, now_ms, ttl_ms, NULL, out);
}

int store_command_add_published(struct store *s, uint32_t devaddr, const struct proto_cmd *cmd,
                                int64_t now_ms, int64_t ttl_ms, const char *topic_prefix,
                                struct store_command *out)
{
    uint8_t probe[PROTO_CMD_MAX_LEN];
    struct store_node n;
    int64_t id = 0;
    int ret;

    assert(s != NULL && cmd != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    if (proto_cmd_encode(cmd, probe, sizeof(probe)) < 0) {
        return -EINVAL;
    }
    /* The CLI runs with foreign keys on, the daemon does not: ask for the node either way. */
    ret = store_node_get(s, devaddr, &n);
    explicit_bzero(&n, sizeof(n));
    if (ret < 0) {
        return ret;
    }
    ret = store__run(s, STORE__BEGIN);
    if (ret < 0) {
        return -EIO;
    }
    ret = add_rows(s, devaddr, cmd, now_ms, ttl_ms, &id);
    if (ret == 0 && topic_prefix != NULL) {
        ret = add_queued_row(s, topic_prefix, devaddr, id, cmd->op, now_ms);
        ret = ret == -EINVAL ? -EIO : ret;
    }
    if (ret == 0) {
        ret = store__run(s, STORE__COMMIT) < 0 ? -EIO : 0;
    }
    if (ret < 0) {
        (void)store__run(s, STORE__ROLLBACK);
        return ret == -ENOENT || ret == -EINVAL || ret == -ENOMEM ? ret : -EIO;
    }
    /* Just queued, so the newest waiting command with these 16 bits is this one. */
    return out != NULL ? store_command_by_seq(s, devaddr, (uint16_t)(id & 0xFFFF), out) : 0;
}

int store_command_queue(struct store *s, uint32_t devaddr, const struct proto_cmd *cmd,
                        int64_t now_ms, int64_t ttl_ms, struct store_command *out)
{
    uint8_t probe[PROTO_CMD_MAX_LEN];
    struct store_node n;
    int64_t id = 0;
    int ret;

    assert(s != NULL && cmd != NULL && out != NULL);
    if (proto_cmd_encode(cmd, probe, sizeof(probe)) < 0) {
        return -EINVAL;
    }
    ret = store_node_get(s, devaddr, &n); /* the daemon runs without foreign keys */
    explicit_bzero(&n, sizeof(n));
    ret = ret < 0 ? ret : store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    ret = add_rows(s, devaddr, cmd, now_ms, ttl_ms, &id);
    if (ret < 0) {
        store__check_batch(s);
        return ret == -ENOMEM ? ret : -EIO;
    }
    return store_command_by_seq(s, devaddr, (uint16_t)(id & 0xFFFF), out);
}

int store_command_pending(struct store *s, uint32_t devaddr, struct store_command *out)
{
    int rc;

    assert(s != NULL && out != NULL);
    rc = sqlite3_bind_int64(s->st[STORE__CMD_PENDING], 1, devaddr);
    if (rc != SQLITE_OK) {
        return -EIO;
    }
    return query_command(s, STORE__CMD_PENDING, out);
}

int store_command_by_seq(struct store *s, uint32_t devaddr, uint16_t seq, struct store_command *out)
{
    struct store__binder b;
    int ret;

    assert(s != NULL && out != NULL);
    b = store__bind_start(s, STORE__CMD_BY_SEQ);
    store__bind_int(&b, 1, devaddr);
    store__bind_int(&b, 2, seq);
    ret = store__bind_done(s, &b);
    return ret < 0 ? ret : query_command(s, STORE__CMD_BY_SEQ, out);
}

int store_command_set(struct store *s, int64_t id, enum store_cmd_state state, const char *status,
                      int64_t now_ms)
{
    struct store__binder b;
    int ret;

    assert(s != NULL);
    if (store_cmd_state_name(state) == NULL) {
        return -EINVAL;
    }
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = store__bind_start(s, STORE__CMD_SET);
    store__bind_int(&b, 1, id);
    store__bind_text(&b, 2, state_names[state]);
    if (status != NULL) {
        store__bind_text(&b, 3, status);
    }
    store__bind_int(&b, 4, state == STORE_CMD_SENT ? 1 : 0);
    store__bind_int(&b, 5, now_ms);
    ret = store__bind_done(s, &b);
    ret = ret < 0 ? ret : store__run(s, STORE__CMD_SET);
    if (ret < 0) {
        store__check_batch(s);
        return ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_commands_foreach(struct store *s, const uint32_t *devaddr, store_command_cb cb, void *arg)
{
    enum store__stmt id = devaddr != NULL ? STORE__CMD_NODE : STORE__CMD_ALL;
    sqlite3_stmt *st = s->st[id];
    struct store_command c;
    int ret = 0;
    int rc;

    assert(cb != NULL);
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    if (devaddr != NULL && sqlite3_bind_int64(st, 1, *devaddr) != SQLITE_OK) {
        return -EIO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = read_command(s, st, &c);
        if (ret == 0) {
            ret = cb(&c, arg);
        }
        if (ret != 0) {
            break;
        }
    }
    return store__walk_end(s, st, rc, ret);
}

int store_fcnt_down_take(struct store *s, uint32_t devaddr, uint32_t *out)
{
    sqlite3_stmt *st;
    int64_t next = 0;
    int ret;
    int rc;

    assert(s != NULL && out != NULL);
    ret = store__batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    st = s->st[STORE__FCNT_DOWN_GET];
    if (sqlite3_bind_int64(st, 1, devaddr) != SQLITE_OK) {
        return -EIO;
    }
    rc = sqlite3_step(st);
    ret = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
    if (ret == 0) {
        next = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    if (ret < 0) {
        return ret;
    }
    if (next > (int64_t)UINT32_MAX) {
        return -ERANGE; /* 0005's CHECK lets it reach 2^32: every counter was used */
    }
    st = s->st[STORE__FCNT_DOWN_SET];
    if (sqlite3_bind_int64(st, 1, devaddr) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, next + 1) != SQLITE_OK) {
        (void)sqlite3_clear_bindings(st);
        return -EIO;
    }
    ret = store__run(s, STORE__FCNT_DOWN_SET);
    if (ret < 0) {
        store__check_batch(s);
        return -EIO;
    }
    *out = (uint32_t)next;
    return 0;
}

static const char *const dl_names[STORE_DL_COUNT] = {
    "rx1",
    "rx2",
    "coap",
    "tx_ok",
    "too_late",
    "too_early",
    "collision_packet",
    "collision_beacon",
    "tx_freq",
    "tx_power",
    "gps_unlocked",
    "tx_error_other",
    "no_tx_ack",
    "no_window",
    "duty_cycle",
    "no_route",
    "retransmission",
    "retransmission_refused",
    "join_accept",
    "join_unknown_deveui",
    "join_bad_mic",
    "join_devnonce_reused",
    "join_activated",
    "adr",
};
static const char dl_bearer[] = "downlink";

const char *store_dl_name(enum store_dl d)
{
    return (unsigned)d < STORE_DL_COUNT ? dl_names[d] : NULL;
}

void store_count_downlink(struct store *s, enum store_dl d)
{
    assert(s != NULL);
    if ((unsigned)d < STORE_DL_COUNT) {
        s->dl_delta[d]++;
        s->counts_dirty = true;
    }
}

int store__write_dl_counts(struct store *s)
{
    struct store__binder b;
    int ret;

    for (size_t i = 0; i < STORE_DL_COUNT; i++) {
        if (s->dl_delta[i] == 0) {
            continue;
        }
        b = store__bind_start(s, STORE__COUNTER_ADD);
        store__bind_text(&b, 1, dl_bearer);
        store__bind_text(&b, 2, dl_names[i]);
        store__bind_int(&b, 3, s->dl_delta[i] > INT64_MAX ? INT64_MAX : (int64_t)s->dl_delta[i]);
        ret = store__bind_done(s, &b);
        ret = ret < 0 ? ret : store__run(s, STORE__COUNTER_ADD);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

int store_downlink_stats(struct store *s, uint64_t counts[STORE_DL_COUNT])
{
    sqlite3_stmt *st;
    int ret = 0;
    int rc;

    assert(s != NULL && counts != NULL);
    memset(counts, 0, sizeof(uint64_t) * STORE_DL_COUNT);
    st = s->st[STORE__COUNTERS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *bearer = sqlite3_column_text(st, 0);
        const unsigned char *reason = sqlite3_column_text(st, 1);
        sqlite3_int64 count = sqlite3_column_int64(st, 2);

        for (size_t i = 0; bearer != NULL && reason != NULL && i < STORE_DL_COUNT; i++) {
            if (strcmp((const char *)bearer, dl_bearer) == 0 &&
                strcmp((const char *)reason, dl_names[i]) == 0) {
                counts[i] = count > 0 ? (uint64_t)count : 0;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}
