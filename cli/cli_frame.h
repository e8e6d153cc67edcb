/* SPDX-License-Identifier: MIT
 * The `tinyfleet frame encode|decode` verbs: build a LoRaWAN data-up frame from its fields
 * and session keys, or take one apart and print what it carries as one JSON line. They need
 * no database and no configuration.
 */
#ifndef PROJ_CLI_CLI_FRAME_H
#define PROJ_CLI_CLI_FRAME_H

#include <stdio.h>

#include "cli.h"

/*
 * cli_frame_main() - run `frame SUBVERB [options]`.
 * @argc, @argv: in, the words from "frame" on (argv[0] is "frame"); getopt state is reset
 *               here, so the caller may have used getopt_long before.
 * Writes results to stdout and diagnostics, prefixed "tinyfleet: frame <subverb>: ", to
 * stderr. Key material given on the command line is never printed.
 * Return: an enum cli_exit value (cli.h), to be used as the process's exit status.
 * Main thread only (getopt is not reentrant).
 */
int cli_frame_main(int argc, char **argv);

/*
 * cli_frame_usage() - write the usage text of `frame encode|decode` to @out.
 */
void cli_frame_usage(FILE *out);

#endif
