"""Python-side benchmark over the shared workloads (tests/bench/workloads.json).

Measures, per workload S/M/C/W, in one process with methods interleaved round by round (so
drift on a noisy machine hits all of them alike):

- ``compile(dict)``: ``fraiseql_qb.compile(query_dict, schema_dict)`` (schema parsed per call);
- ``compile(Schema)``: ``fraiseql_qb.compile(query_dict, prebuilt_schema)``;
- ``shim``: ``RolloutQueryBuilder.build(query_dict)`` at 100% native;
- ``SQLAlchemy``: SQLAlchemy Core statement built and compiled to PostgreSQL text through
  its compiled cache (warm), plus ``stmt.compile(dialect=postgresql.dialect())`` uncached;
- ``PyPika``: PostgreSQLQuery built and rendered;

and runs ``qb-bench-ns`` (crates/qb-bench, release) first for the core's time on the same
workloads (qb-core, sea-query). A sample is the mean of a batch of calls (~``--batch-ms``);
median and p99 are over the samples. GC is off during a batch, as in ``timeit``.

    $FQB_VENV/bin/python bindings/python/bench/bench.py [--samples 300] [--batch-ms 1]
        [--core-bin PATH | --core-json FILE | --no-core] [--json OUT]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional

import fraiseql_qb
from fraiseql_qb import rollout

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import peers  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[3]
NAMES = ["S", "M", "C", "W"]


def stats(v: List[float]) -> Dict[str, float]:
    v = sorted(v)
    at = lambda q: v[round((len(v) - 1) * q)]  # noqa: E731
    return {"min": v[0], "median": at(0.5), "p99": at(0.99), "samples": len(v)}


def calibrate(f: Callable[[], Any], batch_ns: float) -> int:
    for _ in range(50):
        f()
    n = 1
    while True:
        t = time.perf_counter_ns()
        for _ in range(n):
            f()
        dt = time.perf_counter_ns() - t
        if dt > batch_ns / 4 or n > 1 << 20:
            return max(1, int(n * batch_ns / max(dt, 1)))
        n *= 4


def measure(methods: Dict[str, Callable[[], Any]], samples: int, batch_ms: float
            ) -> Dict[str, Dict[str, float]]:
    loops = {m: calibrate(f, batch_ms * 1e6) for m, f in methods.items()}
    res: Dict[str, List[float]] = {m: [] for m in methods}
    items = list(methods.items())
    for _ in range(samples):
        for m, f in items:
            n = loops[m]
            r = range(n)
            gc.disable()
            t = time.perf_counter_ns()
            for _ in r:
                f()
            dt = time.perf_counter_ns() - t
            gc.enable()
            res[m].append(dt / n)
    return {m: stats(v) for m, v in res.items()}


def core_times(args: argparse.Namespace) -> Dict[str, Dict[str, Dict[str, float]]]:
    if args.core_json:
        lines = pathlib.Path(args.core_json).read_text().splitlines()
    elif args.core_bin:
        lines = subprocess.run([args.core_bin, "--samples", str(args.samples)], check=True,
                               capture_output=True, text=True).stdout.splitlines()
    else:
        env = dict(os.environ)
        env.setdefault("CARGO_TARGET_DIR", "/var/tmp/fqb-target")
        cmd = ["cargo", "run", "--release", "-q", "-p", "qb-bench", "--bin", "qb-bench-ns",
               "--", "--samples", str(args.samples)]
        lines = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True,
                               text=True).stdout.splitlines()
    out: Dict[str, Dict[str, Dict[str, float]]] = {}
    for line in lines:
        if line.strip():
            r = json.loads(line)
            out.setdefault(r["workload"], {})[r["method"]] = r
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--batch-ms", type=float, default=1.0)
    ap.add_argument("--workloads", default=",".join(NAMES))
    ap.add_argument("--core-bin", help="prebuilt qb-bench-ns (default: cargo run --release)")
    ap.add_argument("--core-json", help="qb-bench-ns output to use instead of running it")
    ap.add_argument("--no-core", action="store_true")
    ap.add_argument("--json", help="write all results here")
    args = ap.parse_args()

    doc = json.loads((ROOT / "tests/bench/workloads.json").read_text())
    schema_dict = json.loads((ROOT / doc["schema"]).read_text())
    schema = fraiseql_qb.Schema(schema_dict)
    shim = rollout.RolloutQueryBuilder(
        lambda q: ("SELECT 1", []), schema, use_native=True, percentage=100, log_mode=False,
        env={},
    )

    core = {} if args.no_core else core_times(args)
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    for name in args.workloads.split(","):
        q = doc["workloads"][name]["query"]
        ref = fraiseql_qb.compile(q, schema)
        assert shim.build(q).sql == ref.sql, "the shim must serve the native result"
        assert fraiseql_qb.compile(q, schema_dict).sql == ref.sql
        methods: Dict[str, Callable[[], Any]] = {
            "compile_dict": lambda q=q: fraiseql_qb.compile(q, schema_dict),
            "compile_schema": lambda q=q: fraiseql_qb.compile(q, schema),
            "shim": lambda q=q: shim.build(q),
            "sqlalchemy": lambda n=name: peers.sqlalchemy_cached(n),
            "sqlalchemy_compile": lambda n=name: peers.sqlalchemy_compile(n),
            "pypika": lambda n=name: peers.pypika_build(n),
        }
        results[name] = measure(methods, args.samples, args.batch_ms)
        for m, r in core.get(name, {}).items():
            results[name]["rust_" + m] = r
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    print_table(results)


def us(ns: Optional[float]) -> str:
    return "-" if ns is None else f"{ns / 1000:.2f}"


def print_table(results: Dict[str, Dict[str, Dict[str, float]]]) -> None:
    cols = [("rust_qb_core", "core"), ("rust_sea_query", "sea-query"),
            ("compile_dict", "py dict"), ("compile_schema", "py Schema"), ("shim", "shim"),
            ("sqlalchemy", "SQLA cached"), ("sqlalchemy_compile", "SQLA compile"),
            ("pypika", "PyPika")]
    print("times in µs, median / p99 (a sample = mean of a batch of calls)")
    head = f"{'W':<2} " + " ".join(f"{h:>15}" for _, h in cols)
    ratio_head = (" | py/core  shim-µs  SQLA/py  PyPika/py  sea/core")
    print(head + ratio_head)
    for name, r in results.items():
        cells = []
        for key, _ in cols:
            x = r.get(key)
            cells.append(f"{us(x and x['median']) + ' / ' + us(x and x['p99']):>15}")
        med = lambda k: r[k]["median"] if k in r else None  # noqa: E731
        py, core = med("compile_schema"), med("rust_qb_core")
        shim_over = (med("shim") - py) / 1000 if py else None
        ratios = [
            f"{py / core:7.1f}x" if py and core else "      -",
            f"{shim_over:8.2f}" if shim_over is not None else "       -",
            f"{med('sqlalchemy') / py:7.0f}x",
            f"{med('pypika') / py:9.1f}x",
            f"{med('rust_sea_query') / core:8.1f}x" if core and med("rust_sea_query") else "       -",
        ]
        print(f"{name:<2} " + " ".join(cells) + " | " + "  ".join(ratios))


if __name__ == "__main__":
    main()
