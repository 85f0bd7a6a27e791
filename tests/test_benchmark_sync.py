"""benchmarks/sync.py still runs (quick: 8 skills, one round) and reports in the form the others use.

As in test_benchmarks.py, nothing about speed is asserted: a quick run on a shared machine says
nothing. What is checked: its two tables, every ratio a number, the three verdict lines in the one
form, each agreeing with its own number and target, and judging a number the script showed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from test_benchmarks import COMPARE, RATIO, ROOT, VERDICT, tables


def test_sync_benchmark_runs_and_reports_in_its_form() -> None:
    env = {**os.environ, "BENCH_QUICK": "1", "PYTHONPATH": str(ROOT)}
    env.pop("ANTHROPIC_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.sync"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()

    (speed_header, speed), (memory_header, memory) = tables(lines)
    assert speed_header == ("run", "median ms", "reference ms", "ratio")
    assert [row[0] for row in speed] == ["all unchanged, lock current", "all changed", "one changed skill"]
    assert all(RATIO.fullmatch(row[3]) for row in speed[:2]), speed
    assert speed[0][2] == "100 (floor)"  # 8 skills, 4 at once: 2 waves of 50 ms
    assert memory_header == ("run", "peak growth MB") and [row[0] for row in memory] == [
        "all 8 unchanged",
        "all 8 changed",
    ]
    assert re.search(r"Sync of 8 small skills .*concurrency 4, 50 ms per request", result.stdout)

    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    matches = [VERDICT.fullmatch(line) for line in verdicts]
    assert all(matches), verdicts
    assert [m["what"] for m in matches if m] == [
        "all unchanged vs the latency floor",
        "all changed vs one changed x 2",
        "peak memory growth, all changed",
    ]
    shown = set(re.findall(r"\d+(?:\.\d+)?", "\n".join(line for line in lines if line not in verdicts)))
    for m in filter(None, matches):
        holds = COMPARE[m["op"]](float(m["value"]), float(m["target"]))
        assert m["word"] == ("PASS" if holds else "FAIL"), m.string
        assert m["value"] in shown, f"{m.string!r} judges a number the script never showed"
