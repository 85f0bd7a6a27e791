"""validate_skill on a 10,000-file folder: the in-process check against a bare walk of the same tree.

The floor is `os.walk` plus `os.stat` of every file, the least any validation must do. The end-to-end
row is one `validate_skill` tool call through a spawned server, answer (10,000 file entries) included.

    .venv/bin/python -m benchmarks.validation
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from benchmarks.harness import QUICK, interleave, machine, median, table, verdict
from skills_mcp.skill.validation import check_folder

FILES = 500 if QUICK else 9_999  # with SKILL.md, 10,000: the most one upload may hold (limits.MAX_FILES)
PER_FOLDER = 100
ROUNDS = 1 if QUICK else 7
CALLS = 1 if QUICK else 3
TARGET_S = 1.0


def make_tree(parent: Path, name: str) -> Path:
    """SKILL.md and FILES small files, PER_FOLDER to a subfolder."""
    folder = parent / name
    folder.mkdir()
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: A benchmark skill.\n---\n# {name}\n")
    for i in range(FILES):
        sub = folder / "assets" / f"d{i // PER_FOLDER:03d}"
        if i % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        (sub / f"f{i:05d}.txt").write_text(f"file {i}\n")
    return folder


def walk_floor(folder: Path) -> int:
    count = 0
    for directory, _dirs, files in os.walk(folder):
        for name in files:
            os.stat(os.path.join(directory, name))
            count += 1
    return count


def validate_in_process(folder: Path) -> None:
    check = check_folder(str(folder), [folder.parent])
    if not check.ok or check.scan is None or len(check.scan.files) != FILES + 1:
        raise RuntimeError(f"unexpected validation result: {check.problems}")


async def tool_calls(folder: Path) -> tuple[list[float], list[float]]:
    """Seconds per validate_skill call through a spawned server, after one warm-up call; and of those, the
    seconds the Python MCP client itself spends re-checking the answer against the tool's output schema."""
    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("skills-mcp")),
        args=["--allow-dir", str(folder.parent), "--log-level", "WARNING"],
        env={"PATH": os.environ.get("PATH", "")},
    )
    async with Client(params) as client:

        async def call() -> tuple[float, float]:
            start = time.perf_counter()
            result = await client.call_tool("validate_skill", {"path": str(folder)})
            took = time.perf_counter() - start
            if result.is_error or not (result.structured_content or {}).get("ok"):
                raise RuntimeError(f"validate_skill failed: {result.content}")
            start = time.perf_counter()
            await client.session.validate_tool_result("validate_skill", result)  # what call_tool just did
            return took, time.perf_counter() - start

        await call()
        calls = [await call() for _ in range(CALLS)]
        return [c[0] for c in calls], [c[1] for c in calls]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_tree(Path(tmp).resolve(), "bench-validate")
        if walk_floor(folder) != FILES + 1:
            raise RuntimeError("the tree is not what it should be")
        validate_in_process(folder)  # warm-up: caches, lazy imports
        contenders: dict[str, Callable[[], object]] = {
            "floor": lambda: walk_floor(folder),
            "ours": lambda: validate_in_process(folder),
        }
        times = interleave(contenders, ROUNDS)
        e2e, schema = anyio.run(tool_calls, folder)

    floor, ours, tool = median(times["floor"]), median(times["ours"]), median(e2e)
    rows: list[tuple[str, ...]] = [
        ("os.walk + os.stat (floor)", f"{floor * 1000:.0f}", "1.0x"),
        ("check_folder, in process", f"{ours * 1000:.0f}", f"{ours / floor:.1f}x"),
        (f"validate_skill tool call, stdio (median of {CALLS})", f"{tool * 1000:.0f}", f"{tool / floor:.1f}x"),
        ("  of which: mcp client's output-schema check", f"{median(schema) * 1000:.0f}", ""),
    ]
    title = f"Validating {FILES:,} files + SKILL.md ({PER_FOLDER} per subfolder); medians, {ROUNDS} interleaved rounds"
    print(table(title, rows, ("what", "ms", "vs floor")))
    print(f"\n{machine()}")
    print(verdict(f"check_folder on {FILES:,} files", ours * 1000, "<", TARGET_S * 1000, "ms", digits=0))


if __name__ == "__main__":
    main()
