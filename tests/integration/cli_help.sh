#!/bin/sh
# SPDX-License-Identifier: MIT
# Every program says its version and every command its options: `--version` prints
# "PROGRAM VERSION" with the one version of the VERSION file, and `--help` of each program,
# tinyfleet verb and tinyfleet-node command exits 0 with a text on stdout that names every
# long option the command accepts (read from the option tables of its source, so an option
# added without a word in its help fails here).
# Run from the repository root: BUILD=/abs/build sh tests/integration/cli_help.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=cli_help
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

VERSION=$(cat VERSION)

# --- --version -----------------------------------------------------------------------------
for prog in tinyfleetd tinyfleet tinyfleet-node tinyfleet-train tinyfleet-web; do
    "$BUILD/$prog" --version >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check_run "$prog --version: exit 0, \"$prog $VERSION\" alone" \
        eval 'rc_is 0 && [ "$(cat "$tmp/out")" = "$prog $VERSION" ] && [ ! -s "$tmp/err" ]'
done

# --- --help --------------------------------------------------------------------------------
# options FILE [TABLE]: the long options of FILE's struct option tables (only the table named
# TABLE when given), one a line, "help" left out.
options() {
    if [ -n "${2:-}" ]; then
        sed -n "/ $2\[\] = {/,/};/p" "$1"
    else
        cat "$1"
    fi | grep -oE '\{"[a-z][a-z0-9-]*", *(no|required|optional)_argument' |
        sed 's/{"\([^"]*\)".*/\1/' | grep -vx help | sort -u
}

# help_names WORDS OPTION...: `WORDS --help` exits 0, prints a usage on stdout, nothing on
# stderr, and names each --OPTION.
help_names() {
    words=$1
    shift
    # shellcheck disable=SC2086 # the words are meant to split
    $words --help >"$tmp/out" 2>"$tmp/err"
    rc=$?
    missing=""
    for o in "$@"; do
        grep -qF -- "--$o" "$tmp/out" || missing="$missing --$o"
    done
    [ -n "$missing" ] && echo "not in the help:$missing" >>"$tmp/err"
    rc_is 0 && stdout_has "^usage:" && [ -z "$missing" ] && [ ! -s "$tmp/err" ]
}

# help_of WORDS SOURCE [TABLE]: help_names with the options of SOURCE (TABLE).
help_of() {
    # shellcheck disable=SC2046 # one option a word
    check_run "$(echo "$1" | sed "s|$BUILD/||") --help: exit 0, every option of $2${3:+ ($3)}" \
        help_names "$1" $(options "$2" "${3:-}")
}

help_of "$D" daemon/tinyfleetd.c
help_of "$T" cli/tinyfleet.c
help_of "$BUILD/tinyfleet-web" web/tinyfleet-web.c
help_of "$T node" cli/cli_node.c
help_of "$T events" cli/cli_events.c
help_of "$T alerts" cli/cli_alerts.c
help_of "$T stats" cli/cli_stats.c
help_of "$T frame" cli/cli_frame.c
help_of "$T provision" cli/cli_provision.c
for sub in add edit list show remove; do
    help_of "$T node $sub" cli/cli_node.c
done
for sub in encode decode; do
    help_of "$T frame $sub" cli/cli_frame.c
done
N="$BUILD/tinyfleet-node"
help_of "$N" host/node/main.c
help_of "$N classify" host/node/main.c cmd_classify
help_of "$N run" host/node/main.c run_options
help_of "$N fleet" host/node/fleet.c
# synth's table is inside cmd_synth, on a few lines.
# shellcheck disable=SC2046 # one option a word
check_run "tinyfleet-node synth --help: exit 0, every option of cmd_synth" \
    help_names "$N synth" $(sed -n '/^static int cmd_synth/,/^}/p' host/node/main.c |
        grep -oE '\{"[a-z-]+", required_argument' | sed 's/{"\([^"]*\)".*/\1/')
# tinyfleet-train reads its options by hand (strcmp), not from a table.
# shellcheck disable=SC2046 # one option a word
check_run "tinyfleet-train --help: exit 0, every option it compares" \
    help_names "$BUILD/tinyfleet-train" $(grep -oE 'strcmp\([a-z]+, "--[a-z-]+"\)' \
        host/train/main.c | sed 's/.*"--\([^"]*\)".*/\1/' | grep -vxE 'help|version' | sort -u)
check_run "tinyfleet help node: the same text as tinyfleet node --help" \
    eval '"$T" help node >"$tmp/a" && "$T" node --help >"$tmp/b" && cmp -s "$tmp/a" "$tmp/b"'

finish
