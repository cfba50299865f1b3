"""examples/python/app.py as a user runs it, under good and malformed environments: it never
crashes on a malformed rollout variable (the contract: warn, take the default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "examples" / "python" / "app.py"


def run_app(pg_url: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRAISEQL_")}
    return subprocess.run(
        [sys.executable, str(APP)],
        env={**base, "FQB_PG_URL": pg_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def metrics_of(stdout: str) -> Dict[str, object]:
    start = stdout.index("metrics: ") + len("metrics: ")
    end = stdout.index("\n}", start) + 2
    return json.loads(stdout[start:end])


@pytest.mark.parametrize(
    "env, native_share",
    [
        ({}, "none"),  # the contract's default is 0 %
        ({"FRAISEQL_RUST_QB_PERCENTAGE": "100"}, "all"),
        ({"FRAISEQL_RUST_QB_PERCENTAGE": "abc"}, "none"),
        ({"FRAISEQL_RUST_QB_PERCENTAGE": "150"}, "none"),
        ({"FRAISEQL_RUST_QB_PERCENTAGE": "-5", "FRAISEQL_USE_RUST_QUERY_BUILDER": "maybe"}, "none"),
        ({"FRAISEQL_RUST_QB_FALLBACK": "sometimes", "FRAISEQL_RUST_QB_PERCENTAGE": "100"}, "all"),
        ({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, "none"),
        ({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "x"}, "none"),
    ],
)
def test_the_example_app_runs_under_any_environment(
    pg_url: str, env: Dict[str, str], native_share: str
) -> None:
    out = run_app(pg_url, env)
    assert out.returncode == 0, out.stderr
    m = metrics_of(out.stdout)
    assert m["total_calls"] == 30
    if native_share == "none":
        assert m["rust_calls"] == 0 and m["python_calls"] == 30
    else:
        assert m["rust_calls"] == 30 and m["python_calls"] == 0
    for name, value in env.items():
        malformed = name in out.stderr and "ignoring malformed" in out.stderr
        good = value in ("100",)
        assert malformed or good, (name, out.stderr)
    # Shadow: every legacy call's two statements ran and their rows agreed.
    shadowed = m["python_calls"] if env.get("FRAISEQL_RUST_QB_SHADOW_PERCENTAGE") == "100" else 0
    assert (f"shadow: {shadowed} legacy calls compared by rows, 0 mismatches, 0 errors, "
            "0 samples dropped") in out.stdout, out.stdout
