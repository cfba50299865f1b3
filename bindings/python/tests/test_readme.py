"""README.md's Python example, run as a user runs it (DATABASE_URL, a fresh interpreter) on
the test database, with the shim at 0 % and 100 %: the README cannot show code that fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict

import pytest

from conftest import REPO


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    m = re.search(r"<!-- readme-python-example -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no marked Python example"
    return m.group(1)


@pytest.mark.parametrize("percent, served", [("0", "python_calls"), ("100", "rust_calls")])
def test_the_readme_python_example_runs(pg_url: str, percent: str, served: str) -> None:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if not k.startswith("FRAISEQL_")}
    env.update(DATABASE_URL=pg_url, FRAISEQL_RUST_QB_PERCENTAGE=percent)
    done = subprocess.run([sys.executable, "-c", readme_example()], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 6, done.stdout  # five rows, then the metrics
    assert lines[0].startswith("{'id': '11111111-0000-0000-0000-0000000000")
    assert f"'{served}': 1" in lines[-1], lines[-1]
