"""Driver for profiling the binding path under callgrind (or perf): ``profile_binding.py WORKLOAD MODE N`` compiles
WORKLOAD N times (after one warm-up call) through MODE: ``schema`` (``_native.compile`` with a prebuilt
Schema, the default: a hit of its shape cache), ``uncached`` (the same with ``cache_size=0``),
``bind_values`` (``Prepared.bind_values`` of the query's operand values), ``json`` (the query as JSON text
through the prebuilt Schema), ``dict`` (a dict schema, parsed per call), ``public``
(``fraiseql_qb.compile``), ``shim`` (``RolloutQueryBuilder.build`` at 100% native) or
``legacy`` (``RolloutQueryBuilder.build`` at 0%: the legacy route, its builder returning a
prebuilt ``(sql, params)`` tuple, so the figure is the shim's own work on that route: the
decision, the Python ``_finish``, the legacy-result checks and the recording).

Run it twice (N and 0 iterations) and subtract, so interpreter start-up and imports cancel
(bindings/python/bench/callgrind.sh does this for every workload):

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.M.%p \\
        $FQB_VENV/bin/python bindings/python/bench/profile_binding.py M schema 2000
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
mode = sys.argv[2]
if mode == "dict":
    schema = schema_dict
elif mode == "uncached":
    schema = fraiseql_qb.Schema(schema_dict, cache_size=0)
else:
    schema = fraiseql_qb.Schema(schema_dict)
q = doc["workloads"][sys.argv[1]]["query"]
if mode == "shim":
    from fraiseql_qb import rollout

    shim = rollout.RolloutQueryBuilder(
        lambda q: ("SELECT 1", []), schema, use_native=True, percentage=100, log_mode=False,
        env={},
    )
    build = shim.build
    call = lambda q: build(q)  # noqa: E731  (every mode through one lambda: same frame cost)
elif mode == "legacy":
    from fraiseql_qb import rollout

    statement = ("SELECT t.data FROM v_user AS t WHERE (t.data->>'age')::numeric >= %s", [18])
    shim = rollout.RolloutQueryBuilder(
        lambda q: statement, schema, placeholder="format", percentage=0, log_mode=False,
        env={},
    )
    build = shim.build
    call = lambda q: build(q)  # noqa: E731
elif mode == "bind_values":
    prepared = schema.prepare(q)
    bind_values = prepared.bind_values
    q = prepared.operand_values(q)
    call = lambda q: bind_values(q)  # noqa: E731
elif mode == "json":
    native = fraiseql_qb._native.compile
    q = json.dumps(q)
    call = lambda q: native(q, schema)  # noqa: E731
elif mode == "public":
    call = lambda q: fraiseql_qb.compile(q, schema)  # noqa: E731
else:
    native = fraiseql_qb._native.compile
    call = lambda q: native(q, schema)  # noqa: E731
call(q)
for _ in range(int(sys.argv[3])):
    call(q)
