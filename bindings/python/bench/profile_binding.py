"""Driver for profiling the binding path under callgrind (or perf): compiles workload
``argv[1]`` ``argv[2]`` times with a prebuilt Schema (``argv[3]`` = "dict" for a dict schema).

Run it twice (N and 0 iterations) and subtract, so interpreter start-up and imports cancel:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.M.%p \\
        $FQB_VENV/bin/python bindings/python/bench/profile_binding.py M 2000
    callgrind_annotate --inclusive=yes /tmp/cg.M.<pid> | head -60

See docs/performance.md ("Where the binding's time goes").
"""

import json
import pathlib
import sys

import fraiseql_qb

ROOT = pathlib.Path(__file__).resolve().parents[3]
doc = json.loads((ROOT / "tests/bench/workloads.json").read_text())
schema_dict = json.loads((ROOT / doc["schema"]).read_text())
schema = schema_dict if sys.argv[3:] == ["dict"] else fraiseql_qb.Schema(schema_dict)
q = doc["workloads"][sys.argv[1]]["query"]
compile_ = fraiseql_qb._native.compile
for _ in range(int(sys.argv[2])):
    compile_(q, schema, "numbered")
