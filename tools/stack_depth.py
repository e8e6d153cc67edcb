#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Worst-case stack of a firmware image: the deepest call path, not just the largest frame.

    stack_depth.py ELF OBJ...

Frames come from GCC's -fcallgraph-info=su files (OBJ with .o replaced by .ci: the
compiler's own frame size and direct calls of every function). Functions without a .ci
(newlib's memcpy/memset, libgcc's division helpers) are read from the ELF's disassembly:
every push, sub sp, store with sp pre-decrement and vpush in them (all paths added up, an
over-estimate) and their bl/b.w calls.

Indirect calls (the HAL's function table, the radio bus, callbacks) are resolved
conservatively: an indirect call may reach any function whose address is taken, that is,
any function an R_ARM_ABS32 relocation points at in some object, outside the vector table,
and which the image links; two levels of such calls are followed (node -> HAL -> bus). Exceptions: the deepest handler in the vector table, plus the
8-word frame the core stacks on entry (+4 for alignment), sits on top of the deepest
thread path (handlers share one priority here, so they do not nest).

Prints "stack=N path=a>b>c isr=M notes=..." on one line; exit 1 on recursion or an
unbounded (dynamic) frame.
"""
import re
import subprocess
import sys

OBJDUMP = "arm-none-eabi-objdump"
NM = "arm-none-eabi-nm"
EXC_FRAME = 36  # 8 stacked words + alignment padding (ARMv7-M B1.5.7), no FP context
LEVELS = 2  # nesting of indirect calls followed (see depth())


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def parse_ci(path, frames, calls, dynamic):
    node_re = re.compile(r'node: \{ title: "([^"]+)" label: "[^\n"]*?\\n[^"]*?\\n(\d+) bytes \(([^)]*)\)"')
    edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    with open(path, encoding="utf-8") as f:
        text = f.read()
    src = re.match(r'graph: \{ title: "([^"]+)"', text)
    for m in node_re.finditer(text):
        name, size, kind = m.group(1), int(m.group(2)), m.group(3)
        frames[name] = max(frames.get(name, 0), size)
        if kind != "static":
            dynamic.add(name)
    for m in edge_re.finditer(text):
        calls.setdefault(m.group(1), set()).add(m.group(2))
    return src.group(1) if src else ""


def address_taken(objs, sources, frames):
    """Functions some object takes the address of, and those the vector table names. A
    static function is named "source-file:name" in the .ci files, as here."""
    taken, vectors = set(), set()
    for obj in objs:
        section = None
        for line in run(OBJDUMP, "-r", obj).splitlines():
            m = re.match(r"RELOCATION RECORDS FOR \[(.*)\]:", line)
            if m:
                section = m.group(1)
                continue
            parts = line.split()
            if len(parts) < 3 or parts[1] != "R_ARM_ABS32" or section is None:
                continue
            if section.startswith((".debug", ".ARM.exidx", ".rel")):
                continue
            sym = parts[2].split("+")[0]
            if sym.startswith(".text."):
                sym = sym[len(".text."):]
            elif sym.startswith("."):
                continue
            local = sources[obj] + ":" + sym
            if local in frames:
                sym = local
            (vectors if section.startswith(".vectors") else taken).add(sym)
    return taken, vectors


def disassembled(elf, names):
    """Frames and calls of functions only the ELF knows (library code)."""
    frames, calls = {}, {}
    cur = None
    for line in run(OBJDUMP, "-d", "--no-show-raw-insn", elf).splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:", line)
        if m:
            cur = m.group(1) if m.group(1) in names else None
            if cur:
                frames[cur] = 0
                calls[cur] = set()
            continue
        if cur is None:
            continue
        ins = line.split("\t")
        if len(ins) < 3:
            continue
        op, arg = ins[1].strip(), ins[2].strip()
        if op.startswith(("push", "stmdb")) and ("sp!" in arg or op.startswith("push")):
            regs = arg[arg.find("{") + 1:arg.find("}")]
            n = 0
            for r in regs.split(","):
                r = r.strip()
                if "-" in r:
                    a, b = r.split("-")
                    n += int(b.lstrip("r")) - int(a.lstrip("r")) + 1 if a[0] == "r" else 1
                elif r:
                    n += 1
            frames[cur] += 4 * n
        elif op.startswith("sub") and arg.startswith("sp,"):
            m = re.search(r"#(\d+)", arg)
            if m:
                frames[cur] += int(m.group(1))
        elif re.search(r"\[sp, #-(\d+)\]!", arg):
            frames[cur] += int(re.search(r"\[sp, #-(\d+)\]!", arg).group(1))
        elif op.startswith("vpush"):
            frames[cur] += 8 * max(1, arg.count(","))
        elif op in ("bl", "b.w", "blx") or op.startswith("bl"):
            m = re.search(r"<([^>+]+)>", arg)
            if m and m.group(1) != cur:
                calls[cur].add(m.group(1))
    return frames, calls


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    elf, objs = sys.argv[1], sys.argv[2:]
    frames, calls, dynamic = {}, {}, set()
    sources = {obj: parse_ci(obj[:-2] + ".ci", frames, calls, dynamic) for obj in objs}
    linked = set()
    for line in run(NM, elf).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "Tt":
            linked.add(parts[2])
    # calls to functions the .ci files do not define: library code, from the ELF
    missing = {t for ts in calls.values() for t in ts if t not in frames} - {"__indirect_call"}
    lib_frames, lib_calls = disassembled(elf, linked)
    todo = [t for t in missing if t in lib_frames]
    seen = set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        frames[f] = lib_frames[f]
        calls[f] = lib_calls[f]
        todo.extend(c for c in lib_calls[f] if c not in frames and c in lib_frames)
    taken, vectors = address_taken(objs, sources, frames)
    indirect = sorted(f for f in taken
                      if f.split(":")[-1] in linked and f in frames and f not in vectors)

    notes = []
    unknown = sorted(t for t in missing if t not in frames and t in linked)
    if unknown:
        notes.append("no frame info: " + ",".join(unknown))
    memo, stack = {}, []

    # depth(f, k): f's frame plus its deepest callee, where an indirect call reaches the
    # deepest address-taken function at nesting level k - 1 and, at level 0, nothing.
    # Level 2 covers what the firmware does (node -> HAL function -> radio bus function);
    # recursion through function pointers is assumed absent.
    def depth(f, k):
        if (f, k) in memo:
            return memo[(f, k)]
        if (f, k) in stack:
            raise RecursionError(">".join(x[0] for x in stack) + ">" + f)
        stack.append((f, k))
        best, path = 0, []
        for c in sorted(calls.get(f, ())):
            if c == "__indirect_call":
                targets = [(t, k - 1) for t in indirect if t != f] if k > 0 else []
            else:
                targets = [(c, k)]
            for t, tk in targets:
                if t not in frames:
                    continue
                d, p = depth(t, tk)
                if d > best:
                    best, path = d, p
        stack.pop()
        memo[(f, k)] = (frames.get(f, 0) + best, [f] + path)
        return memo[(f, k)]

    try:
        thread, tpath = depth("cm4_reset_isr", LEVELS)
        isr, ipath = 0, []
        for v in sorted(vectors - {"cm4_reset_isr"}):
            if v in frames:
                d, p = depth(v, LEVELS)
                if d + EXC_FRAME > isr:
                    isr, ipath = d + EXC_FRAME, p
    except RecursionError as e:
        print(f"stack=? recursion: {e}")
        return 1
    bad = sorted(dynamic & {f for f, _ in memo})
    if bad:
        notes.append("dynamic frames: " + ",".join(bad))
    notes.append(f"{len(indirect)} indirect targets")
    print(f"stack={thread + isr} thread={thread} isr={isr} path={'>'.join(tpath)} "
          f"isr_path={'>'.join(ipath)} notes={'; '.join(notes)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
