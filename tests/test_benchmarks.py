"""Each benchmark script still runs (quickly, tiny): numbers are measured by hand, never asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", ["cold_start", "publish", "memory", "concurrency", "validation"])
def test_benchmark_runs(script: str) -> None:
    env = {**os.environ, "BENCH_QUICK": "1", "PYTHONPATH": str(ROOT)}
    env.pop("ANTHROPIC_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| " in result.stdout and ("PASS" in result.stdout or "FAIL" in result.stdout)
