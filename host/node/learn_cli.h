/* SPDX-License-Identifier: MIT
 * `tinyfleet-node classify --learn`: the turbine node's learning period run over recordings
 * of the healthy machine (nodefw/learn.h), then the file to judge with the learned state.
 */
#ifndef PROJ_HOST_NODE_LEARN_CLI_H
#define PROJ_HOST_NODE_LEARN_CLI_H

#include <stdio.h>

#include "nodefw/learn.h"

/*
 * learn_cli_learn() - learn from @n WAV files as the node would over its learning period
 * (the period is every window of the files). @cls is the node's classify state (turbine).
 * Return: 0, or -1 with the reason on stderr (unreadable file, wrong rate, too short).
 */
int learn_cli_learn(struct node_learn *l, struct node_classify *cls, char **paths, int n);

/*
 * learn_cli_classify() - classify @path with the learned state: one JSON line per window as
 * `classify` prints, plus "learn", "score" and "threshold". Return: 0 or -1 (said on stderr).
 */
int learn_cli_classify(struct node_learn *l, struct node_classify *cls, const char *path);

#endif
