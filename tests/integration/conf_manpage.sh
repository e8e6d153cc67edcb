#!/bin/sh
# SPDX-License-Identifier: MIT
# tinyfleetd.conf(5) describes every key the shipped config/tinyfleetd.conf sets in its fixed
# sections ([gateway], [storage], ..., [web]; not the named [class.*], [zone.*], [rule.*]):
# each key is a `.B key` (or `.BR key1 ", " key2`) item under the man page's `.SS [section]`.
# A key added to the config without its man page entry fails here.
# Run from the repository root: BUILD=/abs/build sh tests/integration/conf_manpage.sh

set -u

NAME=conf_manpage
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

missing() {
    python3 - config/tinyfleetd.conf man/tinyfleetd.conf.5 >"$tmp/missing" 2>&1 <<'PY'
import re, shlex, sys
conf, man = {}, {}
section = None
for line in open(sys.argv[1]):
    m = re.match(r"\[([a-z_]+)\]\s*$", line)
    if m:
        section = m.group(1)
        conf.setdefault(section, [])
    elif re.match(r"\[", line):
        section = None
    elif section and re.match(r"[a-z_]+\s*=", line):
        conf[section].append(line.split("=")[0].strip())
section = None
for line in open(sys.argv[2]):
    m = re.match(r"\.S[SH] (\S+)", line)
    if m:
        section = m.group(1).strip("[]") if line.startswith(".SS [") else None
        man.setdefault(section, set())
    # `.B key`, or `.BR key1 ", " key2`: the bold words are every other one from the first.
    if section and re.match(r"\.BR? ", line):
        words = shlex.split(line)[1:]
        step = 2 if line.startswith(".BR") else 1
        man[section].update(w.replace("\\-", "-") for w in words[::step])
gaps = ["[%s] %s" % (s, k) for s, keys in conf.items() for k in keys if k not in man.get(s, ())]
print("\n".join(gaps) if gaps else "none; %d keys in %d sections" % (
    sum(len(k) for k in conf.values()), len(conf)))
sys.exit(1 if gaps or not conf.get("web") else 0)
PY
}
check "tinyfleetd.conf(5) has an entry for every key of the shipped config's fixed sections" \
    "$tmp/missing" missing
cat "$tmp/missing"
finish
