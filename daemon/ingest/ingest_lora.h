/* SPDX-License-Identifier: MIT
 * LoRa ingest: tinyfleetd's side of the Semtech UDP packet-forwarder protocol v2
 * (ARCHITECTURE.md, "Bearers and ports"). Frames from `rxpk` entries go through dedup and
 * uplink_process(); a PUSH_ACK leaves only after the group commit holding what its
 * PUSH_DATA brought, so an acknowledged datagram is never lost. Loop thread only.
 */
#ifndef PROJ_DAEMON_INGEST_INGEST_LORA_H
#define PROJ_DAEMON_INGEST_INGEST_LORA_H

#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "store/store.h"

struct ingest_lora;
struct poststore;

/*
 * ingest_lora_start() - bind a UDP socket to cfg->listen and start receiving.
 * @loop:  in, the daemon's loop; the socket is a handle on it.
 * @store: in, the open store; must outlive the ingest (until the close callback has run).
 * @after: in, what follows a stored frame (uplink_process()), or NULL; must outlive the
 *         ingest's last frame (ingest_lora_stop()).
 * @cfg:   in, the [lora] section, read during the call only.
 * @out:   out, the ingest; NULL when cfg->listen is empty (LoRa ingest disabled), in
 *         which case the other functions accept that NULL as a no-op.
 * Return: 0; -EINVAL when the listen address does not parse; -ENOMEM; a negative errno from libuv
 * (-EADDRINUSE, -EACCES, ...) when the socket cannot be bound. Logs the reason. Loop thread.
 */
int ingest_lora_start(uv_loop_t *loop, struct store *store, struct poststore *after,
                      const struct config_lora *cfg, struct ingest_lora **out);

/*
 * ingest_lora_committed() - the daemon calls this after each group commit with the return
 * value of store_flush() (0 when nothing was pending) and the number of the last commit
 * that succeeded. @flush_rc 0: the PUSH_ACKs held since the previous call belong to commit
 * @gen and leave with ingest_lora_durable(). Otherwise the batch was rolled back: its
 * PUSH_ACKs are never sent (the forwarder logs the missing ack), and its frames are
 * forgotten by dedup, so a later copy from another forwarder is processed afresh.
 * NULL: no-op. Loop thread.
 */
void ingest_lora_committed(struct ingest_lora *l, int flush_rc, uint64_t gen);

/*
 * ingest_lora_durable() - commits up to @gen are durable: PUSH_ACKs are sent from here only.
 * Receiving resumes if the table of held acks had filled. NULL: no-op. Loop thread.
 */
void ingest_lora_durable(struct ingest_lora *l, uint64_t gen);

/*
 * ingest_lora_stop() - stop receiving and close the socket; @l is freed in the close
 * callback, so it must not be used after this call. PUSH_ACKs still held (not yet released
 * by ingest_lora_durable()) are dropped. NULL: no-op. Loop thread.
 */
void ingest_lora_stop(struct ingest_lora *l);

#endif
