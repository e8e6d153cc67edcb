/* SPDX-License-Identifier: MIT
 * An OTAA node's join (LoRaWAN 1.0.x, proto/SPEC.md section 1.6): the session record it keeps
 * in non-volatile storage beside its frame counter (fcnt.h), and the join's state in the main
 * loop (node_join.c). The DevNonce is a counter, stored one ahead before each JoinRequest goes
 * out, so the node never sends one twice (the gateway refuses a reused one, LoRaWAN 1.0.4
 * section 6.2.2); the session a JoinAccept opens is stored with the counter at 0 in one write.
 * Integer only, no allocation.
 */
#ifndef PROJ_NODEFW_JOIN_H
#define PROJ_NODEFW_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/aes.h"

/* 'J', version 1, flags, DevNonce next u16, DevAddr u32, NwkSKey, AppSKey, CRC-32 (LE). */
#define NODE_JOIN_SESSION_LEN 45u
/* JOIN_ACCEPT_DELAY1 (LoRaWAN 1.0.3 regional parameters, EU868): RX1 of a JoinRequest. */
#define NODE_JOIN_ACCEPT_DELAY1_S 5u

enum node_join_err {
    NODE_JOIN_OK = 0,
    NODE_JOIN_ECORRUPT = -80, /* not a session record, or its CRC fails */
    NODE_JOIN_ENOSPC = -81,   /* buffer too small */
};

/* What the node keeps of its joins. */
struct node_join_session {
    bool joined;                    /* a JoinAccept was taken: the fields below are a session */
    uint16_t devnonce_next;         /* the DevNonce of the next JoinRequest, never used yet */
    uint32_t devaddr;               /* from the JoinAccept */
    uint8_t nwkskey[PROTO_AES_KEY]; /* derived (proto_join_session_keys()) */
    uint8_t appskey[PROTO_AES_KEY];
};

struct node_join_stats {
    uint32_t requests;    /* JoinRequests sent */
    uint32_t accepts;     /* JoinAccepts taken: sessions started */
    uint32_t no_answer;   /* JoinRequests that got no JoinAccept (nothing, or a CoAP error) */
    uint32_t bad_accept;  /* downlinks in the join windows that were no good JoinAccept */
    uint32_t io;          /* the DevNonce or the session could not be stored: nothing sent */
    uint32_t rejoins;     /* JoinRequests of a joined node (rejoin_after uplinks unheard) */
    uint32_t nonces_gone; /* DevNonce 65535 reached: the node cannot join again */
};

/* The join's state in the main loop (struct node). */
struct node_join {
    struct node_join_session sess;
    bool pending;          /* a JoinRequest is out and its windows (or 2.04) awaited */
    uint16_t devnonce;     /* that JoinRequest's */
    uint64_t next_try_ms;  /* no JoinRequest before (back-off after one went unanswered) */
    uint32_t tries;        /* JoinRequests in a row without a JoinAccept */
    uint32_t frames_heard; /* the node's frame count when it last heard the gateway */
    uint32_t dl_seen;      /* its accepted downlinks then */
    struct node_join_stats stats;
};

/*
 * node_join_session_encode() - @s as the session record into @buf (@cap bytes).
 * Return: NODE_JOIN_SESSION_LEN, or NODE_JOIN_ENOSPC. node_join_session_decode() - check
 * and decode @len bytes. Return: NODE_JOIN_OK, or NODE_JOIN_ECORRUPT (@out untouched).
 */
int node_join_session_encode(const struct node_join_session *s, uint8_t *buf, size_t cap);
int node_join_session_decode(const uint8_t *buf, size_t len, struct node_join_session *out);

#endif
