/* SPDX-License-Identifier: MIT
 * What the node's own files share (nodefw/app/node.c, nodefw/app/node_downlink.c): the
 * downlink side of the main loop. Not for boards or host programs.
 */
#ifndef PROJ_NODEFW_NODE_INT_H
#define PROJ_NODEFW_NODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/node.h"

/* node__apply_settings() - the stored settings (downlink.h) into the aggregator's periods
 * and the bearer's data rate, as of @now_ms. */
void node__apply_settings(struct node *n, uint64_t now_ms);

/* node__sensing_runnable() - the node_dl_sensing_check of a node (@arg): a wake schedule
 * needs the board's wake line. */
bool node__sensing_runnable(void *arg, const struct sensing_config *c);

/* node__sensing_stored() - at node_init(), before the schedule starts: a commanded schedule
 * in the stored settings replaces the provisioned one (and reaches the board's wake line). */
void node__sensing_stored(struct node *n);

/* node__passes_threshold() - whether a detection of @class_id at @conf counts under the
 * per-class threshold a command set (none: it counts). */
bool node__passes_threshold(const struct node *n, uint8_t class_id, uint8_t conf);

/* node__downlink_poll() - take a downlink the bearer got, check and apply it (downlink.h),
 * and act on its command. Return: true if one came. */
bool node__downlink_poll(struct node *n, uint64_t now_ms);

/* node__send_answers() - when command answers wait, send them as an FPort 11 uplink.
 * Return: true if a frame went out (or was lost trying). */
bool node__send_answers(struct node *n, uint64_t now_ms);

/* node__join_init() - an OTAA node's session from the storage (fcnt.h) into its config and
 * downlink state; none stored: it joins first. */
void node__join_init(struct node *n);

/*
 * node__join_step() - an OTAA node's join (node_join.c): a JoinRequest when the node has
 * no session, or has heard nothing for rejoin_after uplinks, and its JoinAccept taken.
 * @busy: set when it did work. Return: true while the join holds the bearer (the caller
 * sends nothing else this turn), false for ABP nodes and once a session is in use.
 */
bool node__join_step(struct node *n, uint64_t now_ms, bool *busy);

/* node__join_given_up() - no session and no JoinAccept for the last few JoinRequests (a host
 * run at its input's end stops then). */
bool node__join_given_up(const struct node *n);

#endif
