/* SPDX-License-Identifier: MIT
 * Registering a node under a DevAddr (cli.h cli_register_node()): the one given, or the
 * lowest free one of the config's [gateway] devaddr_range, for `provision` and `node add
 * --otaa` alike.
 */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "util/hex.h"
#include "util/rfc3339.h"
#include "store/store.h"

struct pick {
    uint32_t first;
    uint32_t last;
    uint32_t next;  /* the lowest DevAddr not yet seen registered */
    bool full;      /* every DevAddr of the range is registered */
    unsigned taken; /* registered nodes inside the range */
};

/* store_node_foreach() visits nodes in DevAddr order: the first gap is the answer. */
static int pick_cb(const struct store_node *n, void *arg)
{
    struct pick *p = arg;

    if (n->devaddr < p->next) {
        return 0;
    }
    if (n->devaddr != p->next || n->devaddr > p->last) {
        return 1; /* a gap at p->next (or past the range) */
    }
    p->taken++;
    if (p->next == p->last) {
        p->full = true;
        return 1;
    }
    p->next++;
    return 0;
}

static int pick_devaddr(const char *who, struct store *s, uint32_t first, uint32_t last,
                        uint32_t *out)
{
    struct pick p = {first, last, first, false, 0};
    int rc = store_node_foreach(s, pick_cb, &p);

    if (rc < 0) {
        cli_errf(who, "cannot list the registered nodes: %s", store_errmsg(s));
        return CLI_EXIT_FAIL;
    }
    if (p.full) {
        cli_errf(who,
                 "the DevAddr range %08X-%08X is full (%u nodes registered): widen [gateway] "
                 "devaddr_range or give --devaddr",
                 (unsigned)first, (unsigned)last, p.taken);
        return CLI_EXIT_FAIL;
    }
    *out = p.next;
    return CLI_EXIT_OK;
}

int cli_register_node(struct cli_db *db, const char *who, bool given, struct store_node *n)
{
    const struct config_devaddr_range *r =
        db->config != NULL ? &db->config->gateway.devaddr_range : NULL;
    char devaddr[HEX_DEVADDR_STR_LEN];
    int attempt;
    int rc;

    if (!given && (r == NULL || !r->set)) {
        cli_errf(who, "no DevAddr: set [gateway] devaddr_range in the config (-c FILE) or give "
                      "--devaddr");
        return CLI_EXIT_FAIL;
    }
    if (given && r != NULL && r->set && (n->devaddr < r->first || n->devaddr > r->last)) {
        cli_errf(who, "--devaddr %08X is outside [gateway] devaddr_range %08X-%08X",
                 (unsigned)n->devaddr, (unsigned)r->first, (unsigned)r->last);
        return CLI_EXIT_FAIL;
    }
    /* A DevAddr taken between the pick and the insert (another provision at the same
     * moment) is skipped. */
    for (attempt = 0; attempt < 16; attempt++) {
        if (!given && pick_devaddr(who, db->store, r->first, r->last, &n->devaddr) != 0) {
            return CLI_EXIT_FAIL;
        }
        hex_format_devaddr(n->devaddr, devaddr);
        n->created_ms = rfc3339_now_ms();
        rc = store_node_add(db->store, n);
        if (rc == 0) {
            return CLI_EXIT_OK;
        }
        if (rc != -EEXIST) {
            cli_errf(who, "cannot register node %s: %s", devaddr, store_errmsg(db->store));
            return CLI_EXIT_FAIL;
        }
        if (given || (n->otaa && store_join_device(db->store, n->deveui,
                                                   &(struct store_join_device){0}) == 0)) {
            cli_errf(who, "node %s (or its DevEUI) is already registered", devaddr);
            return CLI_EXIT_FAIL;
        }
    }
    cli_errf(who, "no free DevAddr after %d attempts: other provisioning runs took them", attempt);
    return CLI_EXIT_FAIL;
}
