"""The player's own unit tests (frame/time at rational rates, edit building, stroke serialisation, shortcuts),
run with Node's test runner through `npm test`; a failure names the failing tests."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def test_frontend_unit_tests_pass():
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: `make test` installs Debian's nodejs and npm")
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail("frontend/node_modules is missing: run `make frontend` (npm ci) first")
    result = subprocess.run([npm, "test", "--silent"], cwd=FRONTEND, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    failing = [t for t in re.findall(r"^\s*✖ (.+?)(?: \(\d[\d.]*ms\))?$", output, flags=re.MULTILINE) if t != "failing tests:"]
    passed = re.search(r"^ℹ pass (\d+)", output, flags=re.MULTILINE)
    assert result.returncode == 0, (
        f"npm test failed; failing tests: {sorted(set(failing)) or 'none reported (type or build error)'}\n{output[-3000:]}")
    assert passed and int(passed.group(1)) >= 20, f"expected the frontend unit tests to run, got:\n{output[-2000:]}"
