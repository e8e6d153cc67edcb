/* SPDX-License-Identifier: MIT
 * `tinyfleet-node budget`: the energy budget of one node (host/lib/budget.h), printed as a
 * table with its assumptions and the source of every figure, or as JSON.
 */
#ifndef PROJ_HOST_NODE_ENERGY_CMD_H
#define PROJ_HOST_NODE_ENERGY_CMD_H

#include <stdio.h>

#include "nodefw/energy.h"

/* energy_cmd_budget() - the command, argv[0] being "budget". Return: the exit status. */
int energy_cmd_budget(int argc, char **argv);

/* energy_cmd_help - the text of `tinyfleet-node budget --help`. */
extern const char energy_cmd_help[];

/* energy_cmd_print_acct() - an account as the members of a JSON object, starting with a
 * comma: ,"energy":{"run_s":...}. */
void energy_cmd_print_acct(FILE *out, const struct energy_acct *a);

#endif
