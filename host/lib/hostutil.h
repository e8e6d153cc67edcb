/* SPDX-License-Identifier: MIT
 * Small helpers the host commands share: key and DevAddr parsing, class and signal names,
 * the node's error texts and its counters as one JSON line.
 */
#ifndef NODEFW_HOST_HOSTUTIL_H
#define NODEFW_HOST_HOSTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nodefw/node.h"

/* hostutil_hex() - exactly 2 * @n hex digits (either case) into @out. Return: 0 or -1. */
int hostutil_hex(const char *s, uint8_t *out, size_t n);

/* hostutil_to_hex() - @n bytes as 2 * @n upper-case hex digits and a NUL into @out. */
void hostutil_to_hex(const uint8_t *in, size_t n, char *out);

/* hostutil_devaddr() - 8 hex digits as written on the device. Return: 0 or -1. */
int hostutil_devaddr(const char *s, uint32_t *out);

/*
 * hostutil_num() - a whole string as a finite number in [@lo, @hi]; on failure prints
 * "tinyfleet-node: --@opt: a number in LO..HI expected, got 'S'" to stderr.
 * Return: 0 or -1.
 */
int hostutil_num(const char *opt, const char *s, double lo, double hi, double *out);

/* hostutil_class_name() - the default name of a wire class id ("elephant"...). */
const char *hostutil_class_name(uint8_t class_id);

/* hostutil_synth_kind() - enum synth_kind of a name ("rumble", "fault_outer"...), or -1. */
int hostutil_synth_kind(const char *name);

/* hostutil_node_strerror() - text of a node_init() error. */
const char *hostutil_node_strerror(int rc);

/* hostutil_print_stats() - the node's counters as one JSON object line on @out. */
void hostutil_print_stats(FILE *out, const char *name, const struct node *n, uint32_t acks,
                          uint32_t ack_timeouts);

#endif
