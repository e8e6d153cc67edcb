/* SPDX-License-Identifier: MIT
 * CoAP ingest (ARCHITECTURE.md, "Bearers and ports"): POST /up on UDP and, optionally,
 * DTLS-PSK, with libcoap driven by the daemon's libuv loop (its epoll descriptor on a
 * uv_poll, its timeouts on a uv_timer), never by a thread of its own. Refusals (4.xx) are
 * answered at once; a frame's 2.04 leaves only once the store_flush() that holds it has
 * returned 0 and the commit is durable, so an acknowledged frame is never lost. Loop thread only.
 */
#ifndef PROJ_DAEMON_INGEST_INGEST_COAP_H
#define PROJ_DAEMON_INGEST_INGEST_COAP_H

#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct ingest_coap;
struct poststore;

/*
 * ingest_coap_start() - open the CoAP listener on cfg->listen and, when set, the
 * DTLS-PSK listener on cfg->dtls_listen, and start serving POST /up.
 * @loop:  in, the daemon's loop; libcoap's descriptor and timer become handles on it.
 * @store: in, the open store; must outlive the ingest (until its close callbacks have run).
 * @after: in, what follows a stored frame (uplink_process()), or NULL; must outlive the
 *         ingest's last frame (ingest_coap_stop()).
 * @cfg:   in, the [coap] section, read during the call only.
 * @out:   out, the ingest; NULL when both listen addresses are empty (CoAP disabled), in
 *         which case the other functions accept that NULL as a no-op.
 * Because libcoap binds with SO_REUSEADDR, a second server on the same address would bind
 * without error and share the traffic; the address is therefore probed first and a busy
 * one is refused.
 * Return: 0; -EINVAL when an address does not parse; -EADDRINUSE when something already
 * listens there; -ENOTSUP when this libcoap lacks epoll or, for dtls_listen, DTLS; -ENOMEM;
 * -EIO when libcoap cannot open an endpoint. Logs the reason. Loop thread.
 */
int ingest_coap_start(uv_loop_t *loop, struct store *store, struct poststore *after,
                      const struct config_coap *cfg, struct ingest_coap **out);

/*
 * ingest_coap_committed() - the daemon calls this right after each store_flush() with its
 * return value (0 when nothing was pending) and the number of the last commit that
 * succeeded. @flush_rc 0: every accepted frame received before that flush belongs to commit
 * @gen and is answered 2.04 by ingest_coap_durable(). Otherwise the batch was rolled back and
 * its frames are answered 5.03 now (the node sends again later). Frames that arrive while it
 * runs wait for the next flush, and the ingest keeps the loop from blocking until then.
 * NULL: no-op. Loop thread, not from inside a libcoap callback.
 */
void ingest_coap_committed(struct ingest_coap *c, int flush_rc, uint64_t gen);

/*
 * ingest_coap_durable() - commits up to @gen are durable: their frames are answered 2.04, on
 * the wire before this returns. NULL: no-op. Loop thread, not from inside a libcoap callback.
 */
void ingest_coap_durable(struct ingest_coap *c, uint64_t gen);

/*
 * ingest_coap_stop() - stop serving and close the listeners; @c is freed in the last close
 * callback, so it must not be used after this call. Accepted frames not yet answered (not
 * yet released by ingest_coap_durable()) get no reply: commit and sync first at shutdown. NULL:
 * no-op. Loop thread.
 */
void ingest_coap_stop(struct ingest_coap *c);

#endif
