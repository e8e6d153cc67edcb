/* SPDX-License-Identifier: MIT
 * Adaptive data rate for LoRa nodes, decided at the gateway ([lora] adr): the best SNR of
 * each of a node's last ADR_HISTORY uplinks (the best forwarder's, once every copy is in)
 * against the demodulation floor of the spreading factor it used. The margin left after the
 * installation margin moves the node to the fastest SF that still keeps ADR_HYST_CDB of it,
 * or one SF slower when it is negative; the change goes to the node as the `duty` command
 * (proto/SPEC.md 9.1) through the command queue, so it is retried, answered, shown by `tinyfleet
 * commands` and published like any other. The history is in memory only: after a restart a node
 * needs ADR_HISTORY uplinks again before its next change. Loop thread only.
 */
#ifndef PROJ_DAEMON_INGEST_ADR_H
#define PROJ_DAEMON_INGEST_ADR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct adr;
struct poststore;

#define ADR_HISTORY     20     /* uplinks whose best SNR counts; a decision needs them all */
#define ADR_INSTALL_CDB 1000   /* installation margin, 0.01 dB: 10 dB, as network servers */
#define ADR_HYST_CDB    300    /* margin a faster SF must keep, 0.01 dB: the hysteresis */
#define ADR_NODES_MAX   100000 /* nodes followed; more are not adapted (logged once) */
#define ADR_TTL_MS      (86400 * 1000LL) /* the command's expiry, as the CLI's default */
#define ADR_SF_MIN      7
#define ADR_SF_MAX      12

/* adr_sf_of() - the SF of a 125 kHz LoRa data rate ("SF9BW125"). Return: 7..12, or -1 for
 * anything else (FSK, other bandwidths): those uplinks do not count. */
int adr_sf_of(const char *datr);

/* adr_floor_cdb() - the SNR an uplink at @sf (7..12) needs to be demodulated, 0.01 dB
 * (SX1276/SX1261 datasheets: SF7 -7.5 dB .. SF12 -20 dB, 2.5 dB per step). */
int32_t adr_floor_cdb(int sf);

/* adr_target_sf() - the SF a node heard at best with @snr_max_cdb at @sf should use, with
 * margin(s) = snr_max - floor(s) - ADR_INSTALL_CDB: the fastest s < @sf with margin(s) >=
 * ADR_HYST_CDB (down to 7); else, when margin(@sf) < 0, one SF slower (up to 12); else @sf.
 * One step faster needs 5.5 dB of margin and leaves at least 3; one slower needs a margin
 * below 0: a node does not flap on SNR changes under 3 dB, and the SF chosen is one the same
 * SNR would keep (a target's target is itself). */
int adr_target_sf(int32_t snr_max_cdb, int sf);

/* adr_new() - the per-node histories, a change at most every @interval_ms per node.
 * Return: 0 and *@out, or -ENOMEM. adr_free(NULL) is a no-op. */
int adr_new(uint64_t interval_ms, struct adr **out);
void adr_free(struct adr *a);

/* adr_observe() - record @devaddr's uplink at @sf heard at best with @snr_cdb.
 * Return: the SF it should move to, when ADR_HISTORY uplinks are in, its interval since the
 * last change has passed and the target differs from @sf; else 0. -ENOMEM: not followed. */
int adr_observe(struct adr *a, uint32_t devaddr, int sf, int32_t snr_cdb, uint64_t now_ms);

/* adr_changed() - a change for @devaddr was queued at @now_ms: its interval starts. */
void adr_changed(struct adr *a, uint32_t devaddr, uint64_t now_ms);

/*
 * adr_uplink() - adr_observe() for a stored LoRa uplink, and when a change is due and the node
 * has no duty command queued or sent, the `duty` command with the new data rate (DR = 12 -
 * SF) queued in the open batch, its "queued" state published through @p, counted as "adr".
 * The share of the duty cycle is the node's last acknowledged duty command's, else 1000.
 * @wall_ms: the command's time. Return: 1 queued, 0 nothing to do, a negative errno (store).
 */
int adr_uplink(struct adr *a, struct store *s, struct poststore *p, uint32_t devaddr,
               const char *datr, int32_t snr_cdb, int64_t wall_ms, uint64_t now_ms);

#endif
