"""torch's CPU threads wait passively, so a shared machine does not slow training several times over."""
from __future__ import annotations

import os
import subprocess
import sys


def _policy_seen_by_torch_users(env: dict[str, str]) -> str:
    code = "import pipeline, os; print(os.environ['OMP_WAIT_POLICY'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_engine_sets_passive_waiting_before_torch_loads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_seen_by_torch_users(env) == "PASSIVE"


def test_a_policy_the_user_set_is_kept() -> None:
    assert _policy_seen_by_torch_users({**os.environ, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
