/* SPDX-License-Identifier: MIT
 * Adaptive data rate (adr.h): a sorted array of nodes, each with a ring of its last best
 * SNRs; a binary search per uplink, a move only when a node is seen for the first time.
 */
#include "ingest/adr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poststore/poststore.h"
#include "proto/command.h"
#include "util/log.h"

struct adr_node {
    uint32_t devaddr;
    uint8_t count; /* SNRs in the ring, up to ADR_HISTORY */
    uint8_t next;  /* where the next one goes */
    bool changed;  /* a change was queued, at changed_ms */
    int16_t snr_cdb[ADR_HISTORY];
    uint64_t changed_ms;
};

struct adr {
    uint64_t interval_ms;
    struct adr_node *node; /* sorted by devaddr */
    size_t n;
    size_t cap;
    bool full_logged;
};

int adr_sf_of(const char *datr)
{
    char *end = NULL;
    long sf;

    if (datr == NULL || strncmp(datr, "SF", 2) != 0) {
        return -1;
    }
    sf = strtol(datr + 2, &end, 10);
    if (end == datr + 2 || strcmp(end, "BW125") != 0 || sf < ADR_SF_MIN || sf > ADR_SF_MAX) {
        return -1;
    }
    return (int)sf;
}

int32_t adr_floor_cdb(int sf)
{
    return -750 - 250 * (sf - ADR_SF_MIN);
}

int adr_target_sf(int32_t snr_max_cdb, int sf)
{
    int target = sf;

    if (snr_max_cdb - adr_floor_cdb(sf) - ADR_INSTALL_CDB < 0) {
        return sf < ADR_SF_MAX ? sf + 1 : sf;
    }
    while (target > ADR_SF_MIN &&
           snr_max_cdb - adr_floor_cdb(target - 1) - ADR_INSTALL_CDB >= ADR_HYST_CDB) {
        target--;
    }
    return target;
}

int adr_new(uint64_t interval_ms, struct adr **out)
{
    struct adr *a = calloc(1, sizeof(*a));

    *out = a;
    if (a == NULL) {
        return -ENOMEM;
    }
    a->interval_ms = interval_ms;
    return 0;
}

void adr_free(struct adr *a)
{
    if (a != NULL) {
        free(a->node);
        free(a);
    }
}

/* The index of @devaddr, or where it would go (*@found false). */
static size_t find(const struct adr *a, uint32_t devaddr, bool *found)
{
    size_t lo = 0;
    size_t hi = a->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (a->node[mid].devaddr < devaddr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < a->n && a->node[lo].devaddr == devaddr;
    return lo;
}

static struct adr_node *node_of(struct adr *a, uint32_t devaddr)
{
    bool found;
    size_t i = find(a, devaddr, &found);

    if (found) {
        return &a->node[i];
    }
    if (a->n == a->cap) {
        size_t cap = a->cap == 0 ? 64 : a->cap * 2;
        struct adr_node *p;

        if (a->n >= ADR_NODES_MAX) {
            if (!a->full_logged) {
                log_msg(LOG_WARNING, "adr: %u nodes followed; %08X and later ones keep their SF",
                        (unsigned)ADR_NODES_MAX, (unsigned)devaddr);
                a->full_logged = true;
            }
            return NULL;
        }
        p = realloc(a->node, cap * sizeof(*p));
        if (p == NULL) {
            return NULL;
        }
        a->node = p;
        a->cap = cap;
    }
    memmove(&a->node[i + 1], &a->node[i], (a->n - i) * sizeof(a->node[0]));
    a->n++;
    memset(&a->node[i], 0, sizeof(a->node[i]));
    a->node[i].devaddr = devaddr;
    return &a->node[i];
}

int adr_observe(struct adr *a, uint32_t devaddr, int sf, int32_t snr_cdb, uint64_t now_ms)
{
    struct adr_node *n = node_of(a, devaddr);
    int32_t best = INT32_MIN;
    int target;

    if (n == NULL) {
        return -ENOMEM;
    }
    n->snr_cdb[n->next] = (int16_t)(snr_cdb < -10000 ? -10000 : snr_cdb > 10000 ? 10000 : snr_cdb);
    n->next = (uint8_t)((n->next + 1) % ADR_HISTORY);
    if (n->count < ADR_HISTORY) {
        n->count++;
    }
    if (n->count < ADR_HISTORY) {
        return 0;
    }
    if (n->changed && now_ms - n->changed_ms < a->interval_ms) {
        return 0;
    }
    for (size_t i = 0; i < ADR_HISTORY; i++) {
        best = n->snr_cdb[i] > best ? n->snr_cdb[i] : best;
    }
    target = adr_target_sf(best, sf);
    return target != sf ? target : 0;
}

void adr_changed(struct adr *a, uint32_t devaddr, uint64_t now_ms)
{
    struct adr_node *n = node_of(a, devaddr);

    if (n != NULL) {
        n->changed = true;
        n->changed_ms = now_ms;
    }
}

/* What adr_uplink() needs from a node's commands. */
struct duty_seen {
    bool pending;      /* a duty command queued or sent */
    uint16_t permille; /* the last acknowledged one's share, 0: none */
};

static int see_duty(const struct store_command *c, void *arg)
{
    struct duty_seen *d = arg;
    struct proto_cmd pc;

    if (c->op != PROTO_CMD_DUTY) {
        return 0;
    }
    if (c->state == STORE_CMD_QUEUED || c->state == STORE_CMD_SENT) {
        d->pending = true;
    } else if (c->state == STORE_CMD_ACKNOWLEDGED &&
               proto_cmd_decode(c->payload, c->payload_len, &pc) == PROTO_OK) {
        d->permille = pc.u.duty.permille;
    }
    return 0;
}

int adr_uplink(struct adr *a, struct store *s, struct poststore *p, uint32_t devaddr,
               const char *datr, int32_t snr_cdb, int64_t wall_ms, uint64_t now_ms)
{
    struct duty_seen seen = {false, 0};
    struct proto_cmd cmd;
    struct store_command c;
    int sf = adr_sf_of(datr);
    int target;
    int rc;

    if (a == NULL || sf < 0) {
        return 0;
    }
    target = adr_observe(a, devaddr, sf, snr_cdb, now_ms);
    if (target <= 0) {
        return 0;
    }
    rc = store_commands_foreach(s, &devaddr, see_duty, &seen);
    if (rc < 0 || seen.pending) {
        return rc < 0 ? rc : 0; /* the operator's, or ours not answered yet: wait */
    }
    memset(&cmd, 0, sizeof(cmd));
    cmd.op = PROTO_CMD_DUTY;
    cmd.u.duty.permille = seen.permille != 0 ? seen.permille : PROTO_CMD_DUTY_MAX_PERMILLE;
    cmd.u.duty.dr = (uint8_t)(ADR_SF_MAX - target);
    rc = store_command_queue(s, devaddr, &cmd, wall_ms, ADR_TTL_MS, &c);
    rc = rc < 0 ? rc : poststore_command(p, &c, wall_ms);
    if (rc < 0) {
        return rc;
    }
    adr_changed(a, devaddr, now_ms);
    store_count_downlink(s, STORE_DL_ADR);
    log_msg(LOG_INFO, "adr: %08X from SF%d to SF%d (command %lld)", (unsigned)devaddr, sf, target,
            (long long)c.id);
    return 1;
}
