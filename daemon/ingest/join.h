/* SPDX-License-Identifier: MIT
 * The gateway's half of over-the-air activation (proto/SPEC.md section 1.6), whatever the
 * bearer: a JoinRequest checked (a registered DevEUI with its JoinEUI, the MIC under its
 * AppKey, a DevNonce never used), the JoinAccept built and the session it opens written into
 * the open batch as pending; the node's current keys stay until its first frame under the
 * new ones (uplink.c). A refused JoinRequest is counted and answered with nothing.
 */
#ifndef PROJ_DAEMON_INGEST_JOIN_H
#define PROJ_DAEMON_INGEST_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/join.h"
#include "store/store.h"

/* The NetID tinyfleetd puts in its JoinAccepts: 0x000000, the experimental/private network
 * type 0 ID, for a network that does not roam. */
#define JOIN_NET_ID 0x000000u

struct join_answer {
    uint32_t devaddr;
    uint8_t phy[PROTO_JOIN_ACCEPT_LEN];
    size_t len;
};

/*
 * join_process() - check the JoinRequest @phy (@len bytes) and, if it passes, write what
 * its JoinAccept promises into the open batch and build that JoinAccept into @out.
 * @bearer: what brought it (a malformed one is counted there). Loop thread.
 * Return: 0 (send @out once the batch is durable); -EINVAL (not a JoinRequest), -ENOENT
 * (unknown DevEUI or JoinEUI), -EBADMSG (bad MIC), -EEXIST (DevNonce used), -ERANGE (the
 * node's 2^24 JoinNonces are used up), -EIO: each counted (store_count_downlink()), nothing
 * written, nothing to send.
 */
int join_process(struct store *s, enum store_bearer bearer, const uint8_t *phy, size_t len,
                 int64_t now_ms, struct join_answer *out);

#endif
