/* SPDX-License-Identifier: MIT
 * The provisioning record applied at boot (provision.h). The record's sensing byte numbers
 * the modes as enum sensing_mode does (tests/nodefw/test_provision.c), so it is copied.
 */
#include "nodefw/provision.h"

#include <string.h>

int node_config_from_record(struct node_config *cfg, const struct proto_provision *rec)
{
    struct sensing_config s;

    if (rec->profile != cfg->profile) {
        return NODE_EINVAL;
    }
    memset(&s, 0, sizeof(s));
    s.mode = rec->sensing;
    s.wake_level_q15 = rec->wake_level_q15;
    s.listen_ms = rec->listen_ms;
    s.every_ms = rec->every_ms;
    if (s.mode == (uint8_t)SENSING_DUTY) {
        s.phase_ms = sensing_phase_ms(rec->devaddr, rec->every_ms);
    }
    if (!sensing_config_ok(&s) || rec->health_s > UINT32_MAX / 1000u) {
        return NODE_EINVAL;
    }
    cfg->devaddr = rec->devaddr;
    memcpy(cfg->nwkskey, rec->nwkskey, sizeof(cfg->nwkskey));
    memcpy(cfg->appskey, rec->appskey, sizeof(cfg->appskey));
    /* Version 3: the node joins at boot (join.h); its keys above are zero until then. */
    cfg->otaa = rec->otaa;
    cfg->deveui = rec->deveui;
    cfg->joineui = rec->joineui;
    memcpy(cfg->appkey, rec->appkey, sizeof(cfg->appkey));
    cfg->sense = s;
    cfg->agg.health_period_ms = rec->health_s * 1000u;
    return 0;
}
