/* SPDX-License-Identifier: MIT
 * What the gateway says back to a node, whatever the bearer: the ACK of a confirmed uplink
 * and the node's oldest pending command (proto/SPEC.md sections 1.4 and 9), built into one
 * LoRaWAN downlink with the node's next FCntDown. Every step writes in the open batch (the
 * counter taken, the command's new state and its MQTT message), so the bearer sends the
 * bytes only once that batch is committed: a counter is never reused and a command is never
 * marked sent by a downlink that was not. Also the node's answers (FPort 11). Loop thread.
 */
#ifndef PROJ_DAEMON_INGEST_DOWNLINK_H
#define PROJ_DAEMON_INGEST_DOWNLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct poststore;

/* A command is sent at most this many times; the next time it is due it fails instead. */
#define DOWNLINK_MAX_TRIES 4
/* A bare ACK is 12 bytes, one command adds FPort and at most 8 bytes. */
#define DOWNLINK_PHY_MAX 32u

/* What a downlink will carry, decided before it is built (its length sets its airtime). */
struct downlink_plan {
    uint32_t devaddr;
    bool ack;     /* acknowledges a confirmed uplink */
    bool has_cmd; /* carries cmd on FPort 10 */
    struct store_command cmd;
    size_t len; /* the PHYPayload length it will have */
};

struct downlink_frame {
    uint8_t phy[DOWNLINK_PHY_MAX];
    size_t len;
    uint32_t devaddr;
    uint32_t fcnt_down;
    int64_t cmd_id; /* the command it carries, 0 for none */
};

/*
 * downlink_plan() - whether @devaddr needs a downlink now: @ack, or a pending command. On
 * the way, a pending command past its expiry becomes expired, and one sent
 * DOWNLINK_MAX_TRIES times becomes failed ("no-answer"), each published through @p.
 * Return: 1 (@out filled), 0 (nothing to send), or a negative errno (store failure).
 */
int downlink_plan(struct store *s, struct poststore *p, uint32_t devaddr, bool ack, int64_t now_ms,
                  struct downlink_plan *out);

/*
 * downlink_make() - take the node's next FCntDown, mark the plan's command sent (published
 * through @p), and build the frame (unconfirmed data down, ACK bit as planned, the command
 * encrypted with the AppSKey). Return: 0; -ENOENT (the node is gone); -ERANGE (FCntDown
 * exhausted); -EIO; -EINVAL (the frame does not build: a damaged command row).
 */
int downlink_make(struct store *s, struct poststore *p, const struct downlink_plan *plan,
                  int64_t now_ms, struct downlink_frame *out);

/* downlink_for() - downlink_plan() then downlink_make(), for a bearer that sends at once
 * (CoAP: the 2.04). Return: 1 and @out built, 0 nothing to send, or a negative errno. */
int downlink_for(struct store *s, struct poststore *p, uint32_t devaddr, bool ack, int64_t now_ms,
                 struct downlink_frame *out);

/*
 * downlink_answers() - the decrypted FPort 11 payload of a stored uplink of @devaddr: each
 * answer matched to a queued or sent command by sequence number becomes acknowledged
 * ("applied") or failed (a refusal, its name as status), published through @p. Answers
 * that match nothing (already final, or unknown) are ignored. Return: the number of
 * commands changed, or a negative errno (a payload that does not decode: -EBADMSG).
 */
int downlink_answers(struct store *s, struct poststore *p, uint32_t devaddr, const uint8_t *buf,
                     size_t len, int64_t now_ms);

#endif
