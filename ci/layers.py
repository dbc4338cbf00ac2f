#!/usr/bin/env python3
"""The layer rule, checked: no cycle between sibling modules of any crate.

For every crate's `src/`, each file is a module (`a/b.rs` and `a/b/mod.rs` are `a::b`). A
reference `crate::x::y` or `super::y` (outside `#[cfg(test)]` blocks) from module M to module N
is an edge between the two children of their closest common ancestor (references between a
module and its own ancestors are the normal parent/child relation and are not edges). Any
strongly connected set of two or more siblings is a cycle and fails the check, naming the
modules and one reference per edge. Also reports files over --max-lines (SQL lives in files).

Usage: python3 ci/layers.py [--max-lines N] [CRATE_DIR...]   (default: every workspace crate)
"""
import os
import re
import sys

REF = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}", re.S)


def modules(src):
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel in (["lib"], ["main"]):
                rel = []
            mods[p] = tuple(rel)
    return mods


def strip_tests(text):
    out, skip, depth = [], False, 0
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not skip and line.strip() == "#[cfg(test)]":
            skip, depth, started = True, 0, False
            i += 1
            continue
        if skip:
            depth += line.count("{") - line.count("}")
            if "{" in line:
                started = True
            if (started and depth <= 0) or (not started and line.rstrip().endswith(";")):
                skip = False
            i += 1
            continue
        out.append(re.sub(r"//.*", "", line))
        i += 1
    return "\n".join(out)


def resolve(kind, path, here, known):
    segs = [s for s in path.split("::") if s]
    base = [] if kind == "crate" else list(here[:-1]) if here else []
    while segs and segs[0] == "super":
        base = base[:-1]
        segs = segs[1:]
    full = base + segs
    # the longest prefix that is a module file
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in known:
            return tuple(full[:n])
    return ()


def edges_of(crate_src):
    mods = modules(crate_src)
    known = set(mods.values())
    edges = {}
    for path, here in mods.items():
        text = strip_tests(open(path, encoding="utf-8").read())
        refs = []
        for m in USE_GROUP.finditer(text):
            for item in re.split(r"[,\s]+", m.group(3)):
                item = item.strip().split("::")[0]
                if item and item not in ("self", "*") and re.match(r"^[A-Za-z_]", item):
                    refs.append((m.group(1), m.group(2) + "::" + item))
        refs += [(m.group(1), m.group(2)) for m in REF.finditer(text)]
        for kind, p in refs:
            target = resolve(kind, p, here, known)
            if target == here:
                continue
            n = 0
            while n < min(len(here), len(target)) and here[n] == target[n]:
                n += 1
            if n == len(here) or n == len(target):
                continue  # ancestor/descendant
            a, b = here[: n + 1], target[: n + 1]
            edges.setdefault((a, b), f"{os.path.relpath(path, crate_src)}: {kind}{p}")
    return edges


MAX_FN = 80
FN = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def long_fns(path):
    """Functions longer than MAX_FN lines (body braces counted outside strings and comments)."""
    lines = open(path, encoding="utf-8").read().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', lines[j])
            code = re.sub(r"'(?:[^'\\]|\\.)'", "''", code)
            code = re.sub(r"//.*", "", code)
            if not started and code.rstrip().endswith(";") and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            if "{" in code:
                started = True
            if started and depth <= 0:
                break
            j += 1
        length = j - i + 1
        if started and length > MAX_FN:
            out.append((m.group(1), i + 1, length))
        i += 1
    return out


def sccs(nodes, adj):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main(argv):
    max_lines = 600
    if argv[:1] == ["--max-lines"]:
        max_lines, argv = int(argv[1]), argv[2:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    crates = argv or [
        os.path.join(root, d)
        for d in sorted(os.listdir(root))
        if os.path.isdir(os.path.join(root, d, "src"))
        and os.path.isfile(os.path.join(root, d, "Cargo.toml"))
    ]
    bad = 0
    for crate in crates:
        src = os.path.join(crate, "src")
        edges = edges_of(src)
        adj, nodes = {}, set()
        for a, b in edges:
            adj.setdefault(a, set()).add(b)
            nodes.update((a, b))
        name = os.path.basename(crate.rstrip("/"))
        for comp in sccs(sorted(nodes), adj):
            bad += 1
            names = " <-> ".join("::".join(c) for c in comp)
            print(f"{name}: module cycle {names}")
            for a in comp:
                for b in comp:
                    if (a, b) in edges:
                        print(f"    {'::'.join(a)} -> {'::'.join(b)}  ({edges[(a, b)]})")
        for dirpath, _, files in os.walk(src):
            for f in files:
                if f.endswith(".rs"):
                    p = os.path.join(dirpath, f)
                    n = sum(1 for _ in open(p, encoding="utf-8"))
                    for fname, fl, length in long_fns(p):
                        print(f"{name}: {os.path.relpath(p, root)}:{fl} fn {fname} has {length} lines (> {MAX_FN})")
                        bad += 1
                    if n > max_lines:
                        print(f"{name}: {os.path.relpath(p, root)} has {n} lines (> {max_lines})")
                        bad += 1
    if bad:
        print(f"layers: {bad} problem(s)")
        return 1
    print(f"layers: no module cycles, no file over {max_lines} lines, no function over {MAX_FN} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
