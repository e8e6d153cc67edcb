/* SPDX-License-Identifier: MIT
 * The bearer-independent downlink (downlink.h): which command goes next, the states a
 * command moves through (proto/SPEC.md section 9, migrations/0007_downlink.sql), and the
 * frame. Each state change is written and published in the same batch.
 */
#include "ingest/downlink.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "poststore/poststore.h"
#include "proto/command.h"
#include "proto/frame.h"

/* The command's new state in the store and on MQTT, both in the batch. */
static int transition(struct store *s, struct poststore *p, struct store_command *c,
                      enum store_cmd_state state, const char *status, int64_t now_ms)
{
    int rc = store_command_set(s, c->id, state, status, now_ms);

    if (rc < 0) {
        return rc;
    }
    c->state = state;
    if (status != NULL) {
        (void)snprintf(c->status, sizeof(c->status), "%s", status);
    }
    if (state == STORE_CMD_SENT) {
        c->tries++;
    }
    c->changed_ms = now_ms;
    return poststore_command(p, c, now_ms);
}

int downlink_plan(struct store *s, struct poststore *p, uint32_t devaddr, bool ack, int64_t now_ms,
                  struct downlink_plan *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    out->devaddr = devaddr;
    out->ack = ack;
    /* Each pass settles one command for good, so this ends with the queue. */
    while ((rc = store_command_pending(s, devaddr, &out->cmd)) == 0) {
        if (out->cmd.expires_ms <= now_ms) {
            rc = transition(s, p, &out->cmd, STORE_CMD_EXPIRED, NULL, now_ms);
        } else if (out->cmd.tries >= DOWNLINK_MAX_TRIES) {
            rc = transition(s, p, &out->cmd, STORE_CMD_FAILED, "no-answer", now_ms);
        } else {
            out->has_cmd = true;
            break;
        }
        if (rc < 0) {
            return rc;
        }
    }
    if (rc < 0 && rc != -ENOENT) {
        return rc;
    }
    if (!out->has_cmd && !ack) {
        return 0;
    }
    out->len = PROTO_FRAME_MIN_LEN + (out->has_cmd ? 1 + out->cmd.payload_len : 0);
    return 1;
}

int downlink_make(struct store *s, struct poststore *p, const struct downlink_plan *plan,
                  int64_t now_ms, struct downlink_frame *out)
{
    struct proto_downlink dn;
    struct store_node node;
    struct store_command cmd = plan->cmd;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_node_auth(s, plan->devaddr, &node);
    rc = rc < 0 ? rc : store_fcnt_down_take(s, plan->devaddr, &out->fcnt_down);
    if (rc == 0 && plan->has_cmd) {
        rc = transition(s, p, &cmd, STORE_CMD_SENT, NULL, now_ms);
        out->cmd_id = cmd.id;
    }
    if (rc < 0) {
        explicit_bzero(&node, sizeof(node));
        return rc;
    }
    memset(&dn, 0, sizeof(dn));
    dn.devaddr = plan->devaddr;
    dn.fcnt = out->fcnt_down;
    dn.fctrl_flags = plan->ack ? PROTO_FCTRL_ACK : 0;
    if (plan->has_cmd) {
        dn.has_fport = true;
        dn.fport = PROTO_CMD_PORT;
        dn.payload = cmd.payload;
        dn.payload_len = cmd.payload_len;
    }
    rc = proto_frame_build_down(&dn, node.nwkskey, node.appskey, out->phy, sizeof(out->phy));
    explicit_bzero(&node, sizeof(node));
    if (rc < 0) {
        return -EINVAL;
    }
    out->len = (size_t)rc;
    out->devaddr = plan->devaddr;
    return 0;
}

int downlink_for(struct store *s, struct poststore *p, uint32_t devaddr, bool ack, int64_t now_ms,
                 struct downlink_frame *out)
{
    struct downlink_plan plan;
    int rc = downlink_plan(s, p, devaddr, ack, now_ms, &plan);

    if (rc <= 0) {
        return rc;
    }
    rc = downlink_make(s, p, &plan, now_ms, out);
    return rc < 0 ? rc : 1;
}

int downlink_answers(struct store *s, struct poststore *p, uint32_t devaddr, const uint8_t *buf,
                     size_t len, int64_t now_ms)
{
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];
    struct store_command c;
    int changed = 0;
    int n = proto_cmd_answer_decode(buf, len, a);
    int rc;

    if (n < 0) {
        return -EBADMSG;
    }
    for (int i = 0; i < n; i++) {
        rc = store_command_by_seq(s, devaddr, a[i].seq, &c);
        if (rc == -ENOENT || (rc == 0 && c.op != a[i].op)) {
            continue; /* answered already, or not ours: answers repeat until heard */
        }
        if (rc == 0) {
            rc = transition(s, p, &c,
                            a[i].status == PROTO_CMD_APPLIED ? STORE_CMD_ACKNOWLEDGED
                                                             : STORE_CMD_FAILED,
                            proto_cmd_status_name(a[i].status), now_ms);
        }
        if (rc < 0) {
            return rc;
        }
        changed++;
    }
    return changed;
}
