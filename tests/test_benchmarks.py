"""Each benchmark script still runs (quickly, tiny) and reports in its documented form.

Numbers are measured by hand (docs/performance.md); a quick run on a shared machine says nothing
about speed, so no verdict is required to pass. What is checked is that each script measures what it
says: its tables with their columns and rows, every ratio a number, one verdict line per target, in
one form, that agrees with its own number and target and judges a number the script showed.
"""

from __future__ import annotations

import operator
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLISH_HEADER = ("skill", "files / size", "skills-mcp", "official SDK", "raw POST", "vs SDK", "vs floor")
VERDICT = re.compile(
    r"(?P<word>PASS|FAIL): (?P<what>.+): (?P<value>\d+(?:\.\d+)?)(?: (?P<unit>\S+))?"
    r" \(target (?P<op><=|<|>=) (?P<target>\d+(?:\.\d+)?)(?: (?P=unit))?\)"
)
RATIO = re.compile(r"\d+\.\d+ ?x?")
COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


@dataclass(frozen=True)
class Expected:
    tables: list[tuple[tuple[str, ...], int]]  # each table's header and its number of rows, in order
    verdicts: list[str]  # what each verdict line judges, in order


EXPECTED = {  # in quick mode (BENCH_QUICK=1)
    "cold_start": Expected(
        [(("server", "median", "best", "vs minimal"), 2)], ["cold start vs minimal MCPServer, per-round median"]
    ),
    "publish": Expected(
        [(PUBLISH_HEADER, 1), (PUBLISH_HEADER, 1)], ["in-process small vs SDK", "tool call small vs SDK"]
    ),
    "memory": Expected(
        [(("contender", "ru_maxrss growth MB", "runs (1)", "VmHWM growth MB", "vs skills-mcp"), 3)],
        ["skills-mcp grows", "the SDK grows about the skill's 5 MB"],
    ),
    "concurrency": Expected([(("skill", "one call s", "8 at once s", "ratio"), 1)], ["small: 8 at once / one"]),
    "validation": Expected([(("what", "ms", "vs floor"), 4)], ["check_folder on 500 files"]),
}


def tables(lines: list[str]) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Each markdown table printed: its header and rows, as cells."""
    found: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = []
    block: list[tuple[str, ...]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            if not line.startswith("|-"):
                block.append(tuple(cell.strip() for cell in line.strip().strip("|").split("|")))
        elif block:
            found.append((block[0], block[1:]))
            block = []
    return found


@pytest.mark.parametrize("script", list(EXPECTED))
def test_benchmark_runs_and_reports_in_its_form(script: str) -> None:
    env = {**os.environ, "BENCH_QUICK": "1", "PYTHONPATH": str(ROOT)}
    env.pop("ANTHROPIC_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    expected = EXPECTED[script]

    printed = tables(lines)
    assert [(header, len(rows)) for header, rows in printed] == expected.tables, result.stdout
    for header, rows in printed:
        ratio_columns = [i for i, name in enumerate(header) if name.startswith("vs ") or name == "ratio"]
        for row in rows:
            assert all(RATIO.fullmatch(row[i]) for i in ratio_columns if row[i]), row

    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    matches = [VERDICT.fullmatch(line) for line in verdicts]
    assert all(matches), verdicts
    assert [m["what"] for m in matches if m] == expected.verdicts
    shown = set(re.findall(r"\d+(?:\.\d+)?", "\n".join(line for line in lines if line not in verdicts)))
    for m in filter(None, matches):
        holds = COMPARE[m["op"]](float(m["value"]), float(m["target"]))
        assert m["word"] == ("PASS" if holds else "FAIL"), m.string
        assert m["value"] in shown, f"{m.string!r} judges a number the script never showed"
