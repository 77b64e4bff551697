#!/usr/bin/env python3
"""Sums callgrind call counts and inclusive Ir per callee (name and object).

Usage: cg_calls.py CALLGRIND_OUT [SUBSTRING ...]
Prints, for each function whose name contains one of the substrings, the number of
calls to it and the inclusive instruction count of those calls (callgrind's own
numbers, summed over all call sites; recursion counted once per call edge).
"""
import re
import sys
from collections import defaultdict

def main():
    path, pats = sys.argv[1], sys.argv[2:]
    names = {}           # compressed id -> name
    calls = defaultdict(int)
    incl = defaultdict(int)
    cur_fn = None
    pending = None       # callee name after cfn=, waiting for calls= and cost line
    expect_cost = False
    def resolve(tok):
        m = re.match(r"\((\d+)\)(?: (.*))?", tok)
        if not m:
            return tok
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), tok)
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if expect_cost:
                parts = line.split()
                if len(parts) >= 2 and pending is not None:
                    incl[pending] += int(parts[1])
                expect_cost = False
                pending = None
                continue
            if line.startswith("fn="):
                cur_fn = resolve(line[3:])
            elif line.startswith("cfn="):
                pending = resolve(line[4:])
            elif line.startswith("calls="):
                if pending is not None and pending != cur_fn:
                    calls[pending] += int(line[6:].split()[0])
                    expect_cost = True
                else:
                    expect_cost = True
                    pending = None
    for name in sorted(calls, key=lambda n: -incl[n]):
        if not pats or any(p in name for p in pats):
            c = calls[name]
            print(f"{c:>8} calls {incl[name]:>14,} Ir incl ({incl[name] // max(c, 1):>12,} Ir/call)  {name}")

if __name__ == "__main__":
    main()
