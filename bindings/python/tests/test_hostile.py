"""Hostile inputs from Python (docs/reliability.md, "Hostile inputs"): each is small, and each
must be refused with a typed error, or compiled, within generous bounds: at most 100 MB of
resident memory growth and 1 s. The bounds catch blow-ups (work or memory not proportional
to the input: ``Decimal('1e300000000')`` once took 5.8 s and 1.29 GiB), not speed.

Each case runs in its own interpreter, so its peak resident set (``VmHWM``, reset after the
input is built) is its own and includes the native allocations ``tracemalloc`` cannot see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Dict, Tuple

import pytest

MAX_GROWTH_KB = 100 * 1024
MAX_SECONDS = 1.0

REGISTRY = {"views": {
    "v_user": {"typename": "User", "columns": {"id": "uuid"},
               "fields": {"age": "integer", "score": "numeric", "name": "text",
                          "metadata": "jsonb", "tags": "text[]"}},
    "v_any": {"permissive": True, "columns": {"id": "uuid"}, "fields": {"kind": "text"}},
}}

#: name -> (setup code defining `run`, expected outcome: "compiled" or an error class name).
CASES: Dict[str, Tuple[str, str]] = {
    "Decimal('1e300000000') as a numeric operand": (
        "q = where('score', 'eq', Decimal('1e300000000'))", "InvalidValueError"),
    "Decimal('-1e-300000000') in a jsonb operand": (
        "q = where('metadata', 'eq', [Decimal('-1e-300000000')])", "InvalidValueError"),
    "Decimal of 1,000,000 digits": (
        "q = where('score', 'eq', Decimal('9' * 1_000_000))", "InvalidValueError"),
    "Decimal('1E+5') for an integer field": (
        "q = where('age', 'eq', Decimal('1E+5'))", "compiled"),
    "Decimal('NaN')": ("q = where('score', 'eq', Decimal('NaN'))", "InvalidValueError"),
    "int of 10,000,000 bits": ("q = where('score', 'eq', 1 << 10_000_000)", "InvalidValueError"),
    "int of 131,073 digits": ("q = where('score', 'eq', 10 ** 131_072)", "InvalidValueError"),
    "int of 4,000 digits": ("q = where('score', 'eq', 10 ** 3_999)", "compiled"),
    "dict of 60,000 keys in a jsonb operand": (
        "q = where('metadata', 'contains', {f'k{i}': i for i in range(60_000)})", "compiled"),
    "list of 100,000 tiny ints": ("q = where('age', 'in', list(range(100_000)))", "compiled"),
    "list of 100,001 tiny ints": ("q = where('age', 'in', [7] * 100_001)", "SizeLimitError"),
    "tuple of 100,000 strings": ("q = where('tags', 'overlaps', ('t',) * 100_000)", "compiled"),
    "dict nested 100,000 deep in an operand": (
        "d = 1\nfor _ in range(100_000):\n    d = {'a': d}\nq = where('metadata', 'eq', d)",
        "DepthLimitError"),
    "list nested 100,000 deep in an operand": (
        "d = 1\nfor _ in range(100_000):\n    d = [d]\nq = where('metadata', 'eq', d)",
        "DepthLimitError"),
    "cyclic dict": ("d = {}\nd['a'] = d\nq = where('metadata', 'eq', d)", "DepthLimitError"),
    "filter nested 100,000 deep": (
        "f = {'age': {'eq': 1}}\nfor _ in range(100_000):\n    f = {'not': f}\n"
        "q = {'view': 'v_user', 'select': ['id'], 'where': f}", "DepthLimitError"),
    "selection nested 100,000 deep": (
        "s = ['kind']\nfor _ in range(100_000):\n    s = [{'field': 'kind', 'select': s}]\n"
        "q = {'view': 'v_any', 'select': s}", "DepthLimitError"),
    "field name of 1 MB": ("q = where('n' * (1 << 20), 'eq', 1)", "InvalidIdentifierError"),
    "str operand of 2 MB": ("q = where('name', 'eq', 'x' * (2 << 20))", "SizeLimitError"),
    "dotted order_by of 500,000 segments": (
        "q = {'view': 'v_any', 'select': ['id'], 'order_by': ['a.' * 500_000 + 'a']}",
        "DepthLimitError"),
    "100,001 conditions": (
        "q = {'view': 'v_user', 'select': ['id'], 'where': {'and': [{'age': {'eq': 1}}] * 100_001}}",
        "SizeLimitError"),
    "50,000 distinct selected names": (
        "q = {'view': 'v_any', 'select': [f'f{i}' for i in range(50_000)]}", "compiled"),
    "JSON text: 1e300000000": (
        "q = json.dumps({'view': 'v_user', 'select': ['id']})[:-1] + "
        "', \"where\": {\"score\": {\"eq\": 1e300000000}}}'", "InvalidValueError"),
    "JSON text: one key 100,000 times": (
        "q = '{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"age\": {' + "
        "','.join(['\"eq\": 1'] * 100_000) + '}}}'", "InvalidJsonError"),
    "JSON text: 1,000,000 nested arrays": ("q = '[' * 1_000_000 + ']' * 1_000_000",
                                           "DepthLimitError"),
    "registry dict nested 10,000 deep": (
        "f = 'text'\nfor _ in range(10_000):\n    f = {'fields': {'a': f}}\n"
        "q = None\nschema_doc = {'views': {'v': {'fields': {'a': f}}}}", "DepthLimitError"),
}

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from decimal import Decimal
    import fraiseql_qb

    def where(field, op, value):
        view = 'v_any' if field == 'kind' else 'v_user'
        return {'view': view, 'select': ['id'], 'where': {field: {op: value}}}

    def kb(field):
        for line in open('/proc/self/status'):
            if line.startswith(field):
                return int(line.split()[1])
        return 0

    schema = fraiseql_qb.Schema(json.loads(sys.argv[2]))
    schema_doc = None
    exec(sys.argv[1])
    try:
        open('/proc/self/clear_refs', 'w').write('5')
    except OSError:
        pass
    before = kb('VmRSS:')
    start = time.perf_counter()
    try:
        if schema_doc is not None:
            fraiseql_qb.Schema(schema_doc)
        else:
            fraiseql_qb.compile(q, schema)
        outcome = 'compiled'
    except fraiseql_qb.QueryBuilderError as e:
        outcome = type(e).__name__
    seconds = time.perf_counter() - start
    print(json.dumps({'outcome': outcome, 'seconds': seconds,
                      'growth_kb': kb('VmHWM:') - before}))
    """
)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_refused_or_compiled_within_bounds(name: str) -> None:
    setup, expected = CASES[name]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, setup, json.dumps(REGISTRY)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{name}: {out['outcome']} in {out['seconds']:.4f} s, +{out['growth_kb']} kB")
    # CPython 3.10 converts an int of 131,073 digits (quadratic, ~0.4 s) before the core
    # refuses it; 3.11+ refuses the conversion itself (int_max_str_digits). Both are typed.
    assert out["outcome"] == expected
    assert out["seconds"] <= MAX_SECONDS, out
    assert out["growth_kb"] <= MAX_GROWTH_KB, out
