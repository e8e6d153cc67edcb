/* SPDX-License-Identifier: MIT
 * dedup's internals that its unit test checks directly: the keyed hash behind the table's
 * keys, tested against the published SipHash-2-4 vectors.
 */
#ifndef PROJ_DAEMON_INGEST_DEDUP_INT_H
#define PROJ_DAEMON_INGEST_DEDUP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/dedup.h"

/*
 * dedup__siphash24() - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012) of @len bytes at @msg under the 16-byte @key. Any thread.
 */
uint64_t dedup__siphash24(const uint8_t key[DEDUP_KEY_LEN], const uint8_t *msg, size_t len);

#endif
