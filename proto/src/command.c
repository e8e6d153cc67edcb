/* SPDX-License-Identifier: MIT
 * Node commands (FPort 10, downlink) and their answers (FPort 11, uplink); see command.h.
 * Every op has exactly one argument length, so length faults are told apart from range
 * faults and each refusal has one reason.
 */
#include "proto/command.h"
#include "proto/le.h"

#include <string.h>

static const char *const op_names[PROTO_CMD_OP_MAX + 1u] = {
    NULL,         "interval", "health-interval", "threshold", "duty", "learn-restart",
    "health-now", "reboot",   "sensing",
};

static const char *const status_names[PROTO_CMD_STATUS_MAX + 1u] = {
    "applied",
    "refused-unknown",
    "refused-bad-value",
    "refused-bad-length",
};

/* Argument bytes of each op, indexed by op. */
static const uint8_t arg_len[PROTO_CMD_OP_MAX + 1u] = {0, 4, 4, 2, 3, 0, 0, 0, 12};

static bool op_known(uint8_t op)
{
    return op >= 1u && op <= PROTO_CMD_OP_MAX;
}

/* A sensing schedule the node can run: the fields a mode does not use are 0, so one
 * schedule has one encoding. */
static bool sensing_ok(const struct proto_cmd *c)
{
    uint32_t listen = c->u.sensing.listen_ms;
    uint32_t every = c->u.sensing.every_ms;
    bool no_wake = c->u.sensing.wake_level_q15 == 0u && c->u.sensing.margin_db == 0u;

    switch (c->u.sensing.mode) {
    case PROTO_CMD_SENSE_CONTINUOUS:
        return listen == 0u && every == 0u && no_wake;
    case PROTO_CMD_SENSE_DUTY:
        return listen >= 1u && listen <= every && every <= PROTO_CMD_SENSING_MAX_MS && no_wake;
    case PROTO_CMD_SENSE_WAKE:
        return listen >= 1u && listen <= PROTO_CMD_SENSING_MAX_MS && every == 0u &&
               c->u.sensing.wake_level_q15 <= PROTO_CMD_WAKE_LEVEL_MAX &&
               c->u.sensing.margin_db <= PROTO_CMD_WAKE_MARGIN_MAX_DB;
    default:
        return false;
    }
}

/* The range rules of section 9.1, shared by the encoder and the decoder. */
static int check_args(const struct proto_cmd *c)
{
    switch (c->op) {
    case PROTO_CMD_INTERVAL:
        return c->u.seconds >= PROTO_CMD_INTERVAL_MIN_S && c->u.seconds <= PROTO_CMD_INTERVAL_MAX_S
                   ? PROTO_OK
                   : PROTO_ERANGE;
    case PROTO_CMD_HEALTH_INTERVAL:
        return c->u.seconds == 0u || (c->u.seconds >= PROTO_CMD_INTERVAL_MIN_S &&
                                      c->u.seconds <= PROTO_CMD_HEALTH_INTERVAL_MAX_S)
                   ? PROTO_OK
                   : PROTO_ERANGE;
    case PROTO_CMD_THRESHOLD:
        return c->u.threshold.class_id <= PROTO_CMD_MAX_CLASS ? PROTO_OK : PROTO_ERANGE;
    case PROTO_CMD_DUTY:
        return c->u.duty.permille >= 1u && c->u.duty.permille <= PROTO_CMD_DUTY_MAX_PERMILLE &&
                       c->u.duty.dr <= PROTO_CMD_MAX_DR
                   ? PROTO_OK
                   : PROTO_ERANGE;
    case PROTO_CMD_SENSING:
        return sensing_ok(c) ? PROTO_OK : PROTO_ERANGE;
    default:
        return PROTO_OK; /* no argument */
    }
}

int proto_cmd_encode(const struct proto_cmd *cmd, uint8_t *buf, size_t cap)
{
    size_t len;
    int rc;

    if (cmd == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    if (!op_known(cmd->op)) {
        return PROTO_ECMD;
    }
    rc = check_args(cmd);
    if (rc != PROTO_OK) {
        return rc;
    }
    len = PROTO_CMD_HDR_LEN + arg_len[cmd->op];
    if (len > cap) {
        return PROTO_ENOSPC;
    }
    buf[0] = PROTO_CMD_VERSION;
    buf[1] = (uint8_t)cmd->seq;
    buf[2] = (uint8_t)(cmd->seq >> 8);
    buf[3] = cmd->op;
    switch (cmd->op) {
    case PROTO_CMD_INTERVAL:
    case PROTO_CMD_HEALTH_INTERVAL:
        proto_le32_put(buf + 4, cmd->u.seconds);
        break;
    case PROTO_CMD_THRESHOLD:
        buf[4] = cmd->u.threshold.class_id;
        buf[5] = cmd->u.threshold.min_conf;
        break;
    case PROTO_CMD_DUTY:
        buf[4] = (uint8_t)cmd->u.duty.permille;
        buf[5] = (uint8_t)(cmd->u.duty.permille >> 8);
        buf[6] = cmd->u.duty.dr;
        break;
    case PROTO_CMD_SENSING:
        buf[4] = cmd->u.sensing.mode;
        proto_le32_put(buf + 5, cmd->u.sensing.listen_ms);
        proto_le32_put(buf + 9, cmd->u.sensing.every_ms);
        buf[13] = (uint8_t)cmd->u.sensing.wake_level_q15;
        buf[14] = (uint8_t)(cmd->u.sensing.wake_level_q15 >> 8);
        buf[15] = cmd->u.sensing.margin_db;
        break;
    default:
        break;
    }
    return (int)len;
}

int proto_cmd_decode(const uint8_t *buf, size_t len, struct proto_cmd *out)
{
    const uint8_t *a;

    if (buf == NULL || out == NULL) {
        return PROTO_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (len < PROTO_CMD_HDR_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (buf[0] != PROTO_CMD_VERSION) {
        return PROTO_EVERSION;
    }
    out->seq = (uint16_t)(buf[1] | buf[2] << 8);
    out->op = buf[3];
    if (!op_known(out->op)) {
        return PROTO_ECMD;
    }
    if (len < PROTO_CMD_HDR_LEN + arg_len[out->op]) {
        return PROTO_ETOOSHORT;
    }
    if (len > PROTO_CMD_HDR_LEN + arg_len[out->op]) {
        return PROTO_ETRAILING;
    }
    a = buf + PROTO_CMD_HDR_LEN;
    switch (out->op) {
    case PROTO_CMD_INTERVAL:
    case PROTO_CMD_HEALTH_INTERVAL:
        out->u.seconds = proto_le32_get(a);
        break;
    case PROTO_CMD_THRESHOLD:
        out->u.threshold.class_id = a[0];
        out->u.threshold.min_conf = a[1];
        break;
    case PROTO_CMD_DUTY:
        out->u.duty.permille = (uint16_t)(a[0] | a[1] << 8);
        out->u.duty.dr = a[2];
        break;
    case PROTO_CMD_SENSING:
        out->u.sensing.mode = a[0];
        out->u.sensing.listen_ms = proto_le32_get(a + 1);
        out->u.sensing.every_ms = proto_le32_get(a + 5);
        out->u.sensing.wake_level_q15 = proto_le16_get(a + 9);
        out->u.sensing.margin_db = a[11];
        break;
    default:
        break;
    }
    return check_args(out);
}

uint8_t proto_cmd_status_of(int decode_rc)
{
    switch (decode_rc) {
    case PROTO_OK:
        return PROTO_CMD_APPLIED;
    case PROTO_ERANGE:
        return PROTO_CMD_REFUSED_BAD_VALUE;
    case PROTO_ETOOSHORT:
    case PROTO_ETRAILING:
        return PROTO_CMD_REFUSED_BAD_LENGTH;
    default:
        return PROTO_CMD_REFUSED_UNKNOWN; /* unknown op or version */
    }
}

int proto_cmd_answer_encode(const struct proto_cmd_answer *a, size_t n, uint8_t *buf, size_t cap)
{
    size_t len;

    if (a == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    if (n < 1u || n > PROTO_CMD_ANSWER_MAX) {
        return PROTO_ECOUNT;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i].status > PROTO_CMD_STATUS_MAX) {
            return PROTO_ERANGE;
        }
    }
    len = 1u + n * PROTO_CMD_ANSWER_REC_LEN;
    if (len > cap) {
        return PROTO_ENOSPC;
    }
    buf[0] = (uint8_t)(PROTO_CMD_VERSION << 5 | n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = buf + 1u + i * PROTO_CMD_ANSWER_REC_LEN;

        r[0] = (uint8_t)a[i].seq;
        r[1] = (uint8_t)(a[i].seq >> 8);
        r[2] = a[i].op;
        r[3] = a[i].status;
    }
    return (int)len;
}

int proto_cmd_answer_decode(const uint8_t *buf, size_t len,
                            struct proto_cmd_answer out[PROTO_CMD_ANSWER_MAX])
{
    size_t n;

    if (buf == NULL || out == NULL) {
        return PROTO_EINVAL;
    }
    if (len < 1u) {
        return PROTO_ETOOSHORT;
    }
    if (buf[0] >> 5 != PROTO_CMD_VERSION) {
        return PROTO_EVERSION;
    }
    n = buf[0] & 0x1Fu;
    if (n < 1u || n > PROTO_CMD_ANSWER_MAX) {
        return PROTO_ECOUNT;
    }
    if (len < 1u + n * PROTO_CMD_ANSWER_REC_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (len > 1u + n * PROTO_CMD_ANSWER_REC_LEN) {
        return PROTO_ETRAILING;
    }
    for (size_t i = 0; i < n; i++) {
        if (buf[1u + i * PROTO_CMD_ANSWER_REC_LEN + 3u] > PROTO_CMD_STATUS_MAX) {
            return PROTO_ERANGE;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = buf + 1u + i * PROTO_CMD_ANSWER_REC_LEN;

        out[i].seq = (uint16_t)(r[0] | r[1] << 8);
        out[i].op = r[2];
        out[i].status = r[3];
    }
    return (int)n;
}

const char *proto_cmd_name(uint8_t op)
{
    return op_known(op) ? op_names[op] : NULL;
}

/* strcmp is not among the functions proto/ may use. */
static bool str_eq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

uint8_t proto_cmd_op_of(const char *name)
{
    if (name == NULL) {
        return 0;
    }
    for (uint8_t op = 1; op <= PROTO_CMD_OP_MAX; op++) {
        if (str_eq(name, op_names[op])) {
            return op;
        }
    }
    return 0;
}

const char *proto_cmd_status_name(uint8_t status)
{
    return status <= PROTO_CMD_STATUS_MAX ? status_names[status] : NULL;
}
