/* SPDX-License-Identifier: MIT
 * An OTAA node joins (join.h, proto/SPEC.md section 1.6): at boot without a stored session,
 * and again after rejoin_after uplinks in which it heard nothing from the gateway. The
 * JoinRequest leaves only once its DevNonce is stored as used; the JoinAccept is checked
 * with the AppKey (proto_join_accept_parse()), and the session it opens is stored with the
 * frame counter at 0 and the downlink counter forgotten before it is used. A rejoin that
 * gets no answer leaves the old session in use, so a node the gateway cannot hear for a
 * while keeps sending. Over LoRa the answer comes in the join windows (5 s and 6 s after the
 * JoinRequest); over CoAP in the 2.04 of its POST.
 */
#include "nodefw/join.h"
#include "nodefw/node_int.h"

#include <string.h>

#include "proto/crc32.h"
#include "proto/frame.h"
#include "proto/le.h"
#include "proto/join.h"

#define JOIN_RETRY_MS    15000u /* the first back-off after an unanswered JoinRequest */
#define JOIN_BACKOFF_MAX 6u     /* doublings: at most 16 minutes between JoinRequests */
#define JOIN_GIVE_UP     3u     /* unanswered JoinRequests after which a host run may end */
#define FLAG_JOINED      0x01u

int node_join_session_encode(const struct node_join_session *s, uint8_t *buf, size_t cap)
{
    if (cap < NODE_JOIN_SESSION_LEN) {
        return NODE_JOIN_ENOSPC;
    }
    buf[0] = 'J';
    buf[1] = 1;
    buf[2] = s->joined ? FLAG_JOINED : 0u;
    buf[3] = (uint8_t)s->devnonce_next;
    buf[4] = (uint8_t)(s->devnonce_next >> 8);
    proto_le32_put(&buf[5], s->devaddr);
    memcpy(&buf[9], s->nwkskey, PROTO_AES_KEY);
    memcpy(&buf[25], s->appskey, PROTO_AES_KEY);
    proto_le32_put(&buf[41], proto_crc32(0, buf, 41));
    return (int)NODE_JOIN_SESSION_LEN;
}

int node_join_session_decode(const uint8_t *buf, size_t len, struct node_join_session *out)
{
    if (len != NODE_JOIN_SESSION_LEN || buf[0] != 'J' || buf[1] != 1u ||
        (buf[2] & (uint8_t)~FLAG_JOINED) != 0u ||
        proto_le32_get(&buf[41]) != proto_crc32(0, buf, 41)) {
        return NODE_JOIN_ECORRUPT;
    }
    out->joined = (buf[2] & FLAG_JOINED) != 0u;
    out->devnonce_next = (uint16_t)(buf[3] | (buf[4] << 8));
    out->devaddr = proto_le32_get(&buf[5]);
    memcpy(out->nwkskey, &buf[9], PROTO_AES_KEY);
    memcpy(out->appskey, &buf[25], PROTO_AES_KEY);
    return NODE_JOIN_OK;
}

/* The session's address and keys become the ones frames and downlinks use. */
static void use_session(struct node *n)
{
    const struct node_join_session *s = &n->join.sess;

    n->cfg.devaddr = s->devaddr;
    memcpy(n->cfg.nwkskey, s->nwkskey, PROTO_AES_KEY);
    memcpy(n->cfg.appskey, s->appskey, PROTO_AES_KEY);
    n->dl.devaddr = s->devaddr; /* dl's key pointers are n->cfg's arrays */
}

void node__join_init(struct node *n)
{
    struct node_join *j = &n->join;

    memset(j, 0, sizeof(*j));
    /* A record that does not decode (none yet, or damaged): no session, DevNonce from 0.
     * A damaged one cannot say which DevNonces were used; the gateway refuses the reused
     * ones (counted there) until the counter passes them. */
    if (n->fcnt.sess_len == 0u ||
        node_join_session_decode(n->fcnt.sess, n->fcnt.sess_len, &j->sess) != NODE_JOIN_OK) {
        memset(&j->sess, 0, sizeof(j->sess));
    }
    if (j->sess.joined) {
        use_session(n);
    }
}

bool node__join_given_up(const struct node *n)
{
    return n->cfg.otaa && !n->join.sess.joined && !n->join.pending && n->join.tries >= JOIN_GIVE_UP;
}

/* No JoinAccept for the JoinRequest out: wait longer each time; a joined node goes on with
 * its session and tries again after another rejoin_after uplinks. */
static void no_answer(struct node *n, uint64_t now)
{
    struct node_join *j = &n->join;
    uint32_t shift = j->tries < JOIN_BACKOFF_MAX ? j->tries : JOIN_BACKOFF_MAX;

    j->pending = false;
    j->stats.no_answer++;
    j->tries++;
    j->next_try_ms = now + ((uint64_t)JOIN_RETRY_MS << shift);
    j->frames_heard = n->stats.frames;
}

/* The JoinAccept @phy: checked, the session derived and stored, then used. */
static void take_accept(struct node *n, const uint8_t *phy, size_t len, uint64_t now)
{
    struct node_join *j = &n->join;
    struct node_join_session s = j->sess;
    struct node_settings set = n->dl.settings;
    struct proto_join_accept ja;
    uint8_t rec[NODE_JOIN_SESSION_LEN];
    uint8_t tail[FCNT_TAIL_MAX];
    int tail_len;

    if (proto_join_accept_parse(phy, len, n->cfg.appkey, &ja) != PROTO_OK) {
        j->stats.bad_accept++;
        no_answer(n, now);
        return;
    }
    s.joined = true;
    s.devaddr = ja.devaddr;
    proto_join_session_keys(n->cfg.appkey, ja.join_nonce, ja.net_id, j->devnonce, s.nwkskey,
                            s.appskey);
    /* The gateway counts its downlinks from 0 again in the new session (section 6.2.5). */
    set.has_fcnt_down = false;
    set.last_fcnt_down = 0;
    tail_len = node_settings_encode(&set, tail, sizeof(tail));
    if (tail_len < 0 || node_join_session_encode(&s, rec, sizeof(rec)) < 0 ||
        fcnt_restart(&n->fcnt, rec, sizeof(rec), tail, (size_t)tail_len) != FCNT_OK) {
        j->stats.io++;
        no_answer(n, now);
        return;
    }
    j->sess = s;
    n->dl.settings = set;
    use_session(n);
    j->pending = false;
    j->tries = 0;
    j->stats.accepts++;
    j->frames_heard = n->stats.frames;
    j->dl_seen = n->dl.stats.accepted;
}

/* A JoinRequest with the next DevNonce, stored as used first. */
static void send_request(struct node *n, uint64_t now, bool *busy)
{
    struct node_join *j = &n->join;
    struct node_join_session s = j->sess;
    struct proto_join_request jr;
    uint8_t rec[NODE_JOIN_SESSION_LEN];
    uint8_t phy[PROTO_JOIN_REQUEST_LEN];
    uint32_t wait_ms = 0;
    int rc;

    if (s.devnonce_next == UINT16_MAX) {
        j->stats.nonces_gone++;
        j->next_try_ms = UINT64_MAX;
        return;
    }
    rc = bearer_admit(&n->bearer, now, PROTO_JOIN_REQUEST_LEN, &wait_ms);
    if (rc != 0) {
        if (rc == BEARER_EBUDGET) {
            j->next_try_ms = wait_ms == UINT32_MAX ? UINT64_MAX : now + wait_ms;
        }
        return;
    }
    jr.joineui = n->cfg.joineui;
    jr.deveui = n->cfg.deveui;
    jr.devnonce = s.devnonce_next;
    s.devnonce_next++;
    if (node_join_session_encode(&s, rec, sizeof(rec)) < 0 ||
        fcnt_set_session(&n->fcnt, rec, sizeof(rec)) != FCNT_OK ||
        proto_join_request_build(&jr, n->cfg.appkey, phy, sizeof(phy)) < 0) {
        j->stats.io++;
        no_answer(n, now);
        return;
    }
    j->sess.devnonce_next = s.devnonce_next;
    j->devnonce = jr.devnonce;
    j->stats.requests += 1u;
    if (j->sess.joined) {
        j->stats.rejoins++;
    }
    *busy = true;
    n->bearer.tx.rx1_delay_s = NODE_JOIN_ACCEPT_DELAY1_S;
    rc = bearer_send(&n->bearer, now, phy, sizeof(phy));
    n->bearer.tx.rx1_delay_s = 0;
    if (rc != 0) {
        no_answer(n, now);
        return;
    }
    j->pending = true;
}

/* The answer to the JoinRequest out, when it comes. */
static void wait_answer(struct node *n, uint64_t now, bool *busy)
{
    uint8_t phy[PROTO_FRAME_MAX_LEN];
    size_t len = 0;

    if (n->bearer.kind == (uint8_t)BEARER_COAP) {
        int ev = bearer_poll(&n->bearer, now);

        if (ev == BEARER_NONE) {
            return;
        }
        len = ev == BEARER_DELIVERED ? bearer_downlink(&n->bearer, phy, sizeof(phy)) : 0u;
    } else {
        len = bearer_downlink(&n->bearer, phy, sizeof(phy));
        if (len == 0u && bearer_busy(&n->bearer)) {
            return; /* a join window is still ahead */
        }
    }
    *busy = true;
    if (len == 0u) {
        no_answer(n, now);
        return;
    }
    take_accept(n, phy, len, now);
}

bool node__join_step(struct node *n, uint64_t now_ms, bool *busy)
{
    struct node_join *j = &n->join;
    bool due;

    if (!n->cfg.otaa) {
        return false;
    }
    if (j->pending) {
        wait_answer(n, now_ms, busy);
        return true;
    }
    /* Any downlink, an ACK too, says the gateway hears this session. */
    if (n->dl.stats.accepted != j->dl_seen) {
        j->dl_seen = n->dl.stats.accepted;
        j->frames_heard = n->stats.frames;
    }
    due = !j->sess.joined ||
          (n->cfg.rejoin_after != 0u && n->stats.frames - j->frames_heard >= n->cfg.rejoin_after);
    if (!due || now_ms < j->next_try_ms || bearer_busy(&n->bearer)) {
        return !j->sess.joined; /* a joined node keeps using its session meanwhile */
    }
    send_request(n, now_ms, busy);
    return j->pending || !j->sess.joined;
}
