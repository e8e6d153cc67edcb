/* SPDX-License-Identifier: MIT
 * What the simulator's commands (main.c, fleet.c) share beyond the host library: synthesiser
 * event names, the node's error texts and its counters as one JSON line.
 */
#ifndef PROJ_HOST_NODE_SIMUTIL_H
#define PROJ_HOST_NODE_SIMUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "host_hal.h"
#include "nodefw/node.h"

/* simutil_synth_kind() - enum synth_kind of a name ("rumble", "fault_outer"...), or -1. */
int simutil_synth_kind(const char *name);

/* simutil_node_strerror() - text of a node_init() error. */
const char *simutil_node_strerror(int rc);

/* simutil_print_stats() - the node's counters as one JSON object line on @out. */
void simutil_print_stats(FILE *out, const char *name, const struct node *n, uint32_t acks,
                         uint32_t ack_timeouts);

/*
 * simutil_sensing() - the sensing schedule of the options --listen-s, --every-s and
 * --wake-level (scenario keys listen_s, every_s, wake_level): none given, continuous;
 * listen and every, duty-cycled; listen and a wake level, woken by sound.
 * Return: 0, or -1 for an inconsistent combination.
 */
int simutil_sensing(struct sensing_config *c, double listen_s, double every_s, double wake_level);

/*
 * simutil_fwd_connect() - the simulated forwarder's socket to @forwarder ("HOST:PORT"; empty:
 * none, @fwd->fd untouched) with gateway EUI @eui; @pull: send PULL_DATA, downlinks will come.
 * Return: 0, or -1 after saying why on stderr.
 */
int simutil_fwd_connect(const char *forwarder, const uint8_t eui[8], bool pull,
                        struct host_fwd *fwd);

#endif
