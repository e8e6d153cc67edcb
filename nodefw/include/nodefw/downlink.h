/* SPDX-License-Identifier: MIT
 * What the node does with a downlink (proto/SPEC.md sections 1.4, 1.5 and 9), on either
 * bearer: the checks in the order the SPEC gives (data down, its own DevAddr, FCntDown ahead
 * of the last one accepted, MIC with Dir 1), decryption, and the FPort 10 command decoded
 * whole, applied to the settings and answered (FPort 11) in the next uplink. Anything that
 * fails a check is dropped and counted, and changes nothing. Settings that a command changes
 * are written to non-volatile storage (with the last FCntDown, so a replayed old command is
 * refused after a reboot too) before they take effect. Integer only, no allocation.
 */
#ifndef PROJ_NODEFW_DOWNLINK_H
#define PROJ_NODEFW_DOWNLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodefw/fcnt.h"
#include "nodefw/sensing.h"
#include "proto/aes.h"
#include "proto/command.h"

#define NODE_DL_CLASSES 32u /* thresholds kept per class id, PROTO_CMD_MAX_CLASS + 1 */

/* What commands change; 0 in a field means "the firmware's default". */
struct node_settings {
    uint32_t interval_s;               /* periodic report (anomaly summary) period */
    uint32_t health_interval_s;        /* health period; 0 default */
    bool health_never;                 /* health-interval 0: no periodic health */
    uint16_t duty_permille;            /* share of the legal duty cycle, 0 = 1000 */
    uint8_t dr;                        /* uplink data rate + 1; 0 = configured */
    uint8_t min_conf[NODE_DL_CLASSES]; /* per class, value / 255; 0 = the model's own */
    bool has_fcnt_down;                /* a downlink was accepted since provisioning */
    uint32_t last_fcnt_down;           /* the last FCntDown accepted */
    bool has_seq;                      /* a command was seen */
    uint16_t last_seq;                 /* its sequence number */
    /* The sensing command's schedule (proto_cmd's sensing fields); sense_mode 0: the
     * provisioned one, else enum sensing_mode + 1. */
    uint8_t sense_mode;
    uint8_t wake_margin_db;
    uint16_t wake_level_q15;
    uint32_t listen_ms;
    uint32_t every_ms;
};

enum node_dl_err {
    NODE_DL_OK = 0,
    NODE_DL_EMALFORMED = -70, /* not a data-down frame, or FOpts with FPort 0 */
    NODE_DL_EDEVADDR = -71,   /* another node's */
    NODE_DL_EOLD = -72,       /* FCntDown not ahead of the last accepted (replay) */
    NODE_DL_EMIC = -73,       /* MIC does not verify */
    NODE_DL_ETRUNCATED = -74, /* FPort 10 shorter than a command header, or a bad version */
    NODE_DL_EIO = -75,        /* the new settings could not be stored: nothing applied */
    NODE_DL_EFULL = -76,      /* eight answers wait already: dropped, the gateway retries */
};

struct node_dl_stats {
    uint32_t accepted;  /* downlinks that passed every check */
    uint32_t acks;      /* of which with the ACK bit */
    uint32_t applied;   /* commands applied */
    uint32_t refused;   /* commands refused (unknown, bad value, bad length) */
    uint32_t repeated;  /* a command seen again: answered, not applied again */
    uint32_t malformed; /* dropped, per reason */
    uint32_t devaddr;
    uint32_t old_fcnt;
    uint32_t bad_mic;
    uint32_t truncated;
    uint32_t io;
};

/* Actions a command asks of the rest of the node, cleared by whoever does them. */
#define NODE_DL_DO_HEALTH  0x01u /* send a health message now */
#define NODE_DL_DO_LEARN   0x02u /* forget the learnt baseline */
#define NODE_DL_DO_REBOOT  0x04u /* restart once the answer went out */
#define NODE_DL_DO_SETTING 0x08u /* settings changed: re-read them */
#define NODE_DL_DO_SENSING 0x10u /* the sensing schedule changed: restart it */

/*
 * node_dl_sensing_check - set by the node (node.c): whether the board can run a commanded
 * sensing schedule @c that sensing_config_ok() accepted (woken by sound: it needs a wake
 * line). NULL: every such schedule. A schedule refused by either is answered
 * refused-bad-value and changes nothing.
 */
typedef bool (*node_dl_sensing_check)(void *arg, const struct sensing_config *c);

struct node_dl {
    uint32_t devaddr;
    const uint8_t *nwkskey; /* PROTO_AES_KEY bytes, owned by the node's config */
    const uint8_t *appskey;
    struct fcnt *fcnt; /* where the settings record is stored (fcnt_set_tail()) */
    struct node_settings settings;
    struct proto_cmd_answer answers[PROTO_CMD_ANSWER_MAX]; /* for the next FPort 11 uplink */
    uint8_t answer_count;
    uint8_t actions; /* NODE_DL_DO_* */
    bool ack;        /* the last accepted downlink carried ACK */
    node_dl_sensing_check sensing_ok;
    void *sensing_ok_arg;
    struct node_dl_stats stats;
};

/*
 * node_dl_init() - load the settings stored after the frame counter (fcnt_tail()); a missing
 * or damaged settings record means defaults. @keys and @f must outlive @d.
 */
void node_dl_init(struct node_dl *d, uint32_t devaddr, const uint8_t nwkskey[PROTO_AES_KEY],
                  const uint8_t appskey[PROTO_AES_KEY], struct fcnt *f);

/*
 * node_settings_sensing() - the commanded schedule of @s as a sensing_config for DevAddr
 * @devaddr (a duty cycle's phase is sensing_phase_ms(), as provisioning gives it).
 * Return: false when @s holds none (the provisioned schedule stays).
 */
bool node_settings_sensing(const struct node_settings *s, uint32_t devaddr,
                           struct sensing_config *out);

/*
 * node_dl_receive() - one downlink PHYPayload, from the radio's receive window or a CoAP
 * 2.04. Return: NODE_DL_OK (d->ack, d->answers and d->actions updated), or the reason it was
 * dropped (counted in d->stats).
 */
int node_dl_receive(struct node_dl *d, const uint8_t *phy, size_t len);

/*
 * node_dl_answers() - the FPort 11 payload for the answers waiting (1 + 4n bytes).
 * Return: its length, 0 when none wait, or a negative proto error. node_dl_answered() - they
 * went out in an uplink: forget them.
 */
int node_dl_answers(const struct node_dl *d, uint8_t *buf, size_t cap);
void node_dl_answered(struct node_dl *d);

/* node_settings_encode() / node_settings_decode() - the settings record (SPEC section 9.4):
 * 'S', version 2 (66 bytes; version 1's 54 are still read, without a sensing schedule),
 * fields, CRC-32. Return: its length / NODE_DL_OK or NODE_DL_EMALFORMED. */
int node_settings_encode(const struct node_settings *s, uint8_t *buf, size_t cap);
int node_settings_decode(const uint8_t *buf, size_t len, struct node_settings *out);

#endif
