/* SPDX-License-Identifier: MIT
 * JoinRequest to JoinAccept (join.h). The checks run cheapest first and each refusal has its
 * own counter; the DevNonce check comes after the MIC, so a forged request cannot make a
 * real node's next DevNonce look used.
 */
#include "ingest/join.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

/* JoinAccept settings: RX1 on the uplink's data rate (offset 0), RX2 at DR0 (SF12, the
 * region's RX2 data rate), RECEIVE_DELAY1 1 s, as the region table (region.c) schedules. */
#define JOIN_DL_SETTINGS 0x00u
#define JOIN_RX_DELAY    1u

static struct log_limit join_log = LOG_LIMIT_INIT("refused JoinRequest", 10, 60000);

static int refuse(struct store *s, enum store_dl why, int rc, uint64_t deveui, const char *what)
{
    store_count_downlink(s, why);
    log_limited(&join_log, LOG_NOTICE, "refused JoinRequest from DevEUI %016llX: %s",
                (unsigned long long)deveui, what);
    return rc;
}

int join_process(struct store *s, enum store_bearer bearer, const uint8_t *phy, size_t len,
                 int64_t now_ms, struct join_answer *out)
{
    struct proto_join_request jr;
    struct store_join_device dev;
    struct proto_join_accept ja;
    uint8_t nwkskey[PROTO_AES_KEY];
    uint8_t appskey[PROTO_AES_KEY];
    int rc;

    memset(out, 0, sizeof(*out));
    if (proto_join_request_parse(phy, len, &jr) != PROTO_OK) {
        store_count(s, bearer, STORE_MALFORMED);
        return -EINVAL;
    }
    rc = store_join_device(s, jr.deveui, &dev);
    if (rc == -ENOENT || (rc == 0 && dev.joineui != jr.joineui)) {
        return refuse(s, STORE_DL_JOIN_UNKNOWN, -ENOENT, jr.deveui, "unknown DevEUI or JoinEUI");
    }
    if (rc != 0) {
        return refuse(s, STORE_DL_TX_OTHER, -EIO, jr.deveui, "registry unreadable");
    }
    if (proto_join_request_verify(phy, len, dev.appkey) != PROTO_OK) {
        return refuse(s, STORE_DL_JOIN_BAD_MIC, -EBADMSG, jr.deveui, "bad MIC");
    }
    rc = store_join_devnonce_used(s, dev.devaddr, jr.devnonce);
    if (rc != 0) {
        return rc > 0 ? refuse(s, STORE_DL_JOIN_DEVNONCE, -EEXIST, jr.deveui, "DevNonce reused")
                      : refuse(s, STORE_DL_TX_OTHER, -EIO, jr.deveui, "registry unreadable");
    }
    if (dev.join_nonce >= 0xFFFFFFu) {
        return refuse(s, STORE_DL_TX_OTHER, -ERANGE, jr.deveui, "JoinNonces used up");
    }
    memset(&ja, 0, sizeof(ja));
    ja.join_nonce = dev.join_nonce + 1u;
    ja.net_id = JOIN_NET_ID;
    ja.devaddr = dev.devaddr;
    ja.dl_settings = JOIN_DL_SETTINGS;
    ja.rx_delay = JOIN_RX_DELAY;
    proto_join_session_keys(dev.appkey, ja.join_nonce, ja.net_id, jr.devnonce, nwkskey, appskey);
    rc = proto_join_accept_build(&ja, dev.appkey, out->phy, sizeof(out->phy));
    if (rc < 0) {
        return refuse(s, STORE_DL_TX_OTHER, -EIO, jr.deveui, "JoinAccept not built");
    }
    out->len = (size_t)rc;
    out->devaddr = dev.devaddr;
    rc = store_join_accept(s, dev.devaddr, jr.devnonce, ja.join_nonce, nwkskey, appskey, now_ms);
    explicit_bzero(nwkskey, sizeof(nwkskey));
    explicit_bzero(appskey, sizeof(appskey));
    if (rc != 0) {
        out->len = 0;
        return rc == -EEXIST
                   ? refuse(s, STORE_DL_JOIN_DEVNONCE, -EEXIST, jr.deveui, "DevNonce reused")
                   : refuse(s, STORE_DL_TX_OTHER, -EIO, jr.deveui, "not stored");
    }
    log_info("join: DevEUI %016llX accepted as %08X (JoinNonce %u)", (unsigned long long)jr.deveui,
             (unsigned)dev.devaddr, (unsigned)ja.join_nonce);
    return 0;
}
