#!/bin/sh
# SPDX-License-Identifier: MIT
# The documentation runs as written: every `sh` block of every Markdown file of the
# repository and every `.\" sh` example of the man pages, in order, one file at a time, each
# in a fresh copy of the checkout (its tracked files, with `build` naming the built tree, as
# after `make` in a fresh clone). Every command must exit 0 and print what the docs show
# (the rules: tests/tools/doc_blocks.py, README "Building and checking"). README.md runs
# with the PATH the test was given, so it must put build/ on PATH itself as it tells a
# reader to; the other files run with build/ on PATH (what README set up, or `make
# install`). Each file runs in a network namespace of its own when `unshare -n` is allowed,
# so the fixed ports of config/local.conf (5683, 5684, 1700, 11883) are free whatever else
# runs on the machine. The runner itself is checked first: a failing command, a wrong
# output and a script block's failing line must each fail it.
# Run from the repository root: BUILD=/abs/build sh tests/integration/docs.sh

set -u

NAME=docs
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
BLOCKS="$PWD/tests/tools/doc_blocks.py"
top=$PWD

# --- the runner fails when it must ------------------------------------------------------------
# runner: runs the document on stdin, as $tmp/self.md; $? is doc_blocks.py's exit status.
runner() {
    cat >"$tmp/self.md"
    (cd "$tmp" && TMPDIR=$tmp /usr/bin/python3 "$BLOCKS" run self.md >"$tmp/self.out" 2>&1)
}
# shellcheck disable=SC2016 # the $ lines are the documents' text, not this script's
runner <<'DOC'
```sh
$ X=2026-11-25T21:19:49.068Z; echo "at $X  key 5E744AE8481EAB80AF129CEBA97983FC"
at 2000-01-01T00:00:00Z key <key>
$ printf 'a\nb\nc\n'
a
...
$ echo "v:1 t:ACK c:2.04 i:ba21"
v:1 t:ACK c:2.04 i:…
```
DOC
check "runner: masked times and keys, '...' and '…' match" "$tmp/self.out" test $? -eq 0
runner <<'DOC'
```sh
$ true
$ false
$ echo never
```
DOC
check "runner: a command that exits 1 fails the document" "$tmp/self.out" test $? -eq 1
runner <<'DOC'
```sh
$ echo 3 nodes
4 nodes
```
DOC
check "runner: an output other than the one shown fails the document" "$tmp/self.out" test $? -eq 1
runner <<'DOC'
```sh
false
echo never
```
DOC
check "runner: a failing line of a script block fails the document" "$tmp/self.out" test $? -eq 1
runner <<'DOC'
```
$ false
```
```text
$ false
```
DOC
check "runner: plain and text blocks are not run" "$tmp/self.out" test $? -eq 0

# --- the documents ---------------------------------------------------------------------------
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard >"$tmp/files"
else
    find . -path ./build -prune -o -path '*/node_modules' -prune -o -type f -print |
        sed 's|^\./||' >"$tmp/files"
fi
grep -E '(^|/)[^/]*\.md$|^man/[^/]*\.[1-9]$' "$tmp/files" | grep -v node_modules >"$tmp/docs"

netns=""
if unshare -n sh -c 'ip link set lo up' 2>/dev/null; then
    netns=yes
else
    echo "docs: no network namespace here (unshare -n refused): the fixed ports must be free"
fi

while read -r doc; do
    grep -qE '^(```|~~~)sh[[:space:]]*$|^\.\\" sh$' "$doc" || continue
    scratch="$tmp/clone"
    rm -rf "$scratch"
    mkdir "$scratch"
    # A copy of the checkout with its times kept, so make finds the build up to date.
    tr '\n' '\0' <"$tmp/files" | xargs -0 tar -cf - --no-recursion 2>/dev/null |
        tar -xpf - -C "$scratch"
    ln -s "$BUILD" "$scratch/build"
    path=$PATH
    [ "$doc" = README.md ] || path="$BUILD:$PATH"
    if [ -n "$netns" ]; then
        # shellcheck disable=SC2016 # $1 and $2 are the inner sh's
        (cd "$scratch" && PATH=$path TMPDIR=$tmp unshare -n sh -c \
            'ip link set lo up && exec /usr/bin/python3 "$1" run "$2"' sh "$BLOCKS" "$doc") \
            >"$tmp/doc.out" 2>&1
    else
        (cd "$scratch" && PATH=$path TMPDIR=$tmp /usr/bin/python3 "$BLOCKS" run "$doc") \
            >"$tmp/doc.out" 2>&1
    fi
    rc=$?
    tail -n 1 "$tmp/doc.out"
    check "$doc runs as written" "$tmp/doc.out" test "$rc" -eq 0
done <"$tmp/docs"
cd "$top" || exit 1

finish
