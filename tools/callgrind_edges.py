# SPDX-License-Identifier: MIT
"""Read a callgrind output file into its call edges, for the benchmarks' cost split.

Used by tools/bench-coap.sh and tools/bench-ingest.sh: each groups the inclusive cost of the
calls its own code makes into a library (SQLite, libcoap, cJSON, proto/'s AES) and needs
the edges rather than callgrind_annotate's per-function totals, which count a library's
nested calls into itself twice.
"""
import collections
import re


def read_edges(path):
    """Return (edges, calls, total): edges[(caller, callee)] = inclusive instructions,
    calls[callee] = number of calls, total = the file's instruction total. A function is
    the pair (object file, function name)."""
    names = {"ob": {}, "fn": {}}

    def name(kind, text):
        # Compressed names: "(12) name" defines id 12, a later "(12)" refers to it.
        m = re.match(r"\((\d+)\)\s?(.*)", text.strip())
        if not m:
            return text.strip()
        if m.group(2):
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?")

    edges = collections.Counter()
    calls = collections.Counter()
    ob = cob = fn = cfn = None
    ncalls = 0
    in_call = False
    total = 0
    for line in open(path):
        if line.startswith("ob="):
            ob = name("ob", line[3:])
        elif line.startswith("fn="):
            fn = (ob, name("fn", line[3:]))
        elif line.startswith("cob="):
            cob = name("ob", line[4:])
        elif line.startswith("cfn="):
            cfn = (cob if cob is not None else ob, name("fn", line[4:]))
        elif line.startswith("calls="):
            in_call = True
            ncalls = int(line[6:].split()[0])
        elif line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
        elif in_call and line[:1] and (line[0].isdigit() or line[0] in "+-*"):
            edges[(fn, cfn)] += int(line.split()[1])
            calls[cfn] += ncalls
            in_call = False
            cob = None
    return edges, calls, total
