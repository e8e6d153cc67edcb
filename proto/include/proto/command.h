/* SPDX-License-Identifier: MIT
 * Node commands: what the gateway asks a node to change (downlink FPort 10) and the node's
 * answer (uplink FPort 11). One command per downlink, each with a sequence number the answer
 * repeats; byte layouts in proto/SPEC.md section 9. All integers little-endian.
 * A command is decoded whole or refused whole: the decoder checks every byte and every
 * value before it reports success, so a node never applies half of one.
 */
#ifndef PROJ_PROTO_COMMAND_H
#define PROJ_PROTO_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define PROTO_CMD_PORT        10u /* downlink: one command */
#define PROTO_CMD_ANSWER_PORT 11u /* uplink: answers to commands */
#define PROTO_CMD_VERSION     1u
#define PROTO_CMD_HDR_LEN     4u                        /* version, seq (2), op */
#define PROTO_CMD_MAX_LEN     (PROTO_CMD_HDR_LEN + 12u) /* sensing's arguments */

#define PROTO_CMD_ANSWER_MAX     8u /* answers in one uplink */
#define PROTO_CMD_ANSWER_REC_LEN 4u /* seq (2), op, status */
#define PROTO_CMD_ANSWER_MAX_LEN (1u + PROTO_CMD_ANSWER_MAX * PROTO_CMD_ANSWER_REC_LEN) /* 33 */

/* Limits of the arguments (section 9.1); a value outside them is PROTO_ERANGE. */
#define PROTO_CMD_INTERVAL_MIN_S        60u
#define PROTO_CMD_INTERVAL_MAX_S        86400u
#define PROTO_CMD_HEALTH_INTERVAL_MAX_S 604800u
#define PROTO_CMD_MAX_CLASS             31u   /* class ids fit the 5 bits the gateway allows */
#define PROTO_CMD_DUTY_MAX_PERMILLE     1000u /* of the sub-band's legal duty cycle */
#define PROTO_CMD_MAX_DR                5u    /* EU868 DR0 (SF12) .. DR5 (SF7), 125 kHz */
/* sensing: the bounds the provisioning record has (a period of at most a day), a wake level
 * in Q15 full scale and an adaptive wake line at most 60 dB over the background. */
#define PROTO_CMD_SENSING_MAX_MS     86400000u
#define PROTO_CMD_WAKE_LEVEL_MAX     32767u
#define PROTO_CMD_WAKE_MARGIN_MAX_DB 60u

enum proto_cmd_op {
    PROTO_CMD_INTERVAL = 1,        /* u32 seconds between periodic reports */
    PROTO_CMD_HEALTH_INTERVAL = 2, /* u32 seconds between health messages, 0 = never */
    PROTO_CMD_THRESHOLD = 3,       /* u8 class, u8 minimum confidence (value / 255) */
    PROTO_CMD_DUTY = 4,            /* u16 per mille of the legal duty cycle, u8 data rate */
    PROTO_CMD_LEARN_RESTART = 5,   /* no argument: forget the learnt baseline */
    PROTO_CMD_HEALTH_NOW = 6,      /* no argument: send a health message now */
    PROTO_CMD_REBOOT = 7,          /* no argument: restart after confirming */
    PROTO_CMD_SENSING = 8,         /* the sensing schedule: mode, listen, every, wake line */
};
#define PROTO_CMD_OP_MAX 8u

/* The sensing command's modes, numbered as the provisioning record's sensing byte. */
enum proto_cmd_sensing_mode {
    PROTO_CMD_SENSE_CONTINUOUS = 0, /* always listening: every other field 0 */
    PROTO_CMD_SENSE_DUTY = 1,       /* listen_ms at the start of every every_ms */
    PROTO_CMD_SENSE_WAKE = 2,       /* off until the wake-on-sound line, then listen_ms */
};

/* The node's answer to one command. */
enum proto_cmd_status {
    PROTO_CMD_APPLIED = 0,
    PROTO_CMD_REFUSED_UNKNOWN = 1,   /* an op (or version) this node does not know */
    PROTO_CMD_REFUSED_BAD_VALUE = 2, /* an argument out of range */
    PROTO_CMD_REFUSED_BAD_LENGTH = 3 /* arguments truncated or trailing bytes */
};
#define PROTO_CMD_STATUS_MAX 3u

struct proto_cmd {
    uint16_t seq; /* chosen by the gateway; the answer repeats it */
    uint8_t op;   /* enum proto_cmd_op */
    union {
        uint32_t seconds; /* INTERVAL, HEALTH_INTERVAL */
        struct {
            uint8_t class_id;
            uint8_t min_conf; /* confidence p = value / 255 */
        } threshold;
        struct {
            uint16_t permille; /* 1..1000 */
            uint8_t dr;        /* 0..PROTO_CMD_MAX_DR */
        } duty;
        struct {
            uint8_t mode;            /* enum proto_cmd_sensing_mode */
            uint8_t margin_db;       /* WAKE: adaptive line, dB over the background; 0 fixed */
            uint16_t wake_level_q15; /* WAKE: the line's level, 0: the board's own */
            uint32_t listen_ms;      /* DUTY, WAKE: 1..PROTO_CMD_SENSING_MAX_MS */
            uint32_t every_ms;       /* DUTY: listen_ms..PROTO_CMD_SENSING_MAX_MS */
        } sensing;
    } u;
};

struct proto_cmd_answer {
    uint16_t seq;
    uint8_t op;
    uint8_t status; /* enum proto_cmd_status */
};

/*
 * proto_cmd_encode() - one command as its FRMPayload.
 * @cmd: in, checked as the decoder would check it.
 * @buf: out, @cap bytes (PROTO_CMD_MAX_LEN always suffices).
 * Return: the length; PROTO_ECMD for an unknown op, PROTO_ERANGE for an argument out of
 * range, PROTO_ENOSPC, PROTO_EINVAL for NULL. Any context.
 */
PROTO_MUST_CHECK int proto_cmd_encode(const struct proto_cmd *cmd, uint8_t *buf, size_t cap);

/*
 * proto_cmd_decode() - check and decode one command.
 * @buf: in, the decrypted FRMPayload of an FPort 10 downlink.
 * @out: out; on PROTO_OK the whole command. On every error but PROTO_ETOOSHORT-before-the-
 *       header (@len < 4) and PROTO_EVERSION, out->seq and out->op are set, so the node can
 *       answer with proto_cmd_status_of().
 * Return: PROTO_OK; PROTO_ETOOSHORT (no whole header, or truncated arguments),
 * PROTO_EVERSION, PROTO_ECMD (unknown op), PROTO_ETRAILING, PROTO_ERANGE, PROTO_EINVAL.
 */
PROTO_MUST_CHECK int proto_cmd_decode(const uint8_t *buf, size_t len, struct proto_cmd *out);

/*
 * proto_cmd_status_of() - the answer a node gives for a proto_cmd_decode() result.
 * Return: an enum proto_cmd_status value.
 */
uint8_t proto_cmd_status_of(int decode_rc);

/*
 * proto_cmd_answer_encode() - @n answers (1..8) as an FPort 11 FRMPayload.
 * Return: the length (1 + 4n); PROTO_ECOUNT, PROTO_ERANGE (a status above 3), PROTO_ENOSPC,
 * PROTO_EINVAL.
 */
PROTO_MUST_CHECK int proto_cmd_answer_encode(const struct proto_cmd_answer *a, size_t n,
                                             uint8_t *buf, size_t cap);

/*
 * proto_cmd_answer_decode() - the answers of an FPort 11 uplink.
 * @out: out, room for PROTO_CMD_ANSWER_MAX answers.
 * Return: their number (1..8); PROTO_ETOOSHORT, PROTO_EVERSION, PROTO_ECOUNT,
 * PROTO_ETRAILING, PROTO_ERANGE (a status above 3), PROTO_EINVAL. Nothing is returned
 * unless the whole payload is valid.
 */
PROTO_MUST_CHECK int proto_cmd_answer_decode(const uint8_t *buf, size_t len,
                                             struct proto_cmd_answer out[PROTO_CMD_ANSWER_MAX]);

/*
 * proto_cmd_name() - the operator's name of an op ("interval", "health-interval",
 * "threshold", "duty", "learn-restart", "health-now", "reboot", "sensing"). Return: NULL if
 * unknown.
 * proto_cmd_op_of() - the reverse; Return: the op or 0 if the name is unknown.
 * proto_cmd_status_name() - "applied", "refused-unknown", "refused-bad-value",
 * "refused-bad-length"; Return: NULL if unknown.
 */
const char *proto_cmd_name(uint8_t op);
uint8_t proto_cmd_op_of(const char *name);
const char *proto_cmd_status_name(uint8_t status);

#endif
