"""Prepared binds against compiles, in one process (issue 15's "bind on a prepared M at most
1 µs"): per workload, the best of 7 `timeit` repeats of an uncached `compile`, a `compile` hit
of the Schema's shape cache, `Prepared.bind(query)` and `Prepared.bind_values(values)` (the
query's operand values, taken once with `Prepared.operand_values`). Figures in
docs/performance.md ("Binding from operand values").

    $FQB_VENV/bin/python bindings/python/bench/bind_values.py [S M C W] [--number 20000]
"""

import argparse
import json
import pathlib
import timeit

import fraiseql_qb

ROOT = pathlib.Path(__file__).resolve().parents[3]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workloads", nargs="*", default=["S", "M", "C", "W"])
    ap.add_argument("--number", type=int, default=20000)
    args = ap.parse_args()
    doc = json.loads((ROOT / "tests/bench/workloads.json").read_text())
    registry = json.loads((ROOT / doc["schema"]).read_text())
    uncached = fraiseql_qb.Schema(registry, cache_size=0)
    cached = fraiseql_qb.Schema(registry)
    compile_ = fraiseql_qb.compile
    print("workload  compile(uncached)  compile(hit)  Prepared.bind  Prepared.bind_values  (µs)")
    for name in args.workloads:
        q = doc["workloads"][name]["query"]
        p = cached.prepare(q)
        values = p.operand_values(q)
        assert p.bind_values(values) == p.bind(q) == compile_(q, uncached).params
        runs = {
            "uncached": lambda: compile_(q, uncached),
            "hit": lambda: compile_(q, cached),
            "bind": lambda: p.bind(q),
            "values": lambda: p.bind_values(values),
        }
        best = {}
        for _ in range(7):  # interleaved, so drift hits every mode alike
            for mode, run in runs.items():
                t = timeit.timeit(run, number=args.number) / args.number * 1e6
                best[mode] = min(best.get(mode, t), t)
        print(
            f"{name:<9} {best['uncached']:>17.2f}  {best['hit']:>12.2f}  {best['bind']:>13.2f}"
            f"  {best['values']:>20.2f}   ({len(values)} values: {p.operands})"
        )


if __name__ == "__main__":
    main()
