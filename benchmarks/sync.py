"""Sync speed and memory: a folder of 50 small skills against the emulator, 50 ms added to every request.

    python -m benchmarks.sync [--rounds 5] [--concurrency 4] [--quick]

With `concurrency` requests in flight, a sync that makes one request per skill cannot finish before
the latency floor, ceil(skills / concurrency) x 50 ms. Measured, in-process (the sync workflow the
CLI and the tools run), against the emulator in its own process:
- all unchanged, the lock file current: one small read per skill, so within 2 x the floor;
- all changed: within 1.3 x the time of one changed skill's sync times ceil(skills / concurrency),
  that is, the skills overlap as well as `concurrency` lets them;
- the peak of Python memory allocated during each sync (tracemalloc, a separate untimed run): under
  10 MB, as nothing holds a skill's files or a version's archive whole.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from benchmarks.harness import QUICK, SHAPES, emulator, machine, make_skill, median, paired_ratio, table, verdict
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.config import Settings
from skills_mcp.workflows.plan import PlanResult
from skills_mcp.workflows.sync import sync

KEY = "benchmark-key"
LATENCY = 0.05
HEADER = ("run", "median ms", "reference ms", "ratio")


def touch(folder: Path, mark: str) -> None:
    """Change a skill's content (its SKILL.md body), so its next sync uploads a new version."""
    skill_md = folder / "SKILL.md"
    skill_md.write_text(skill_md.read_text().split("\n<!--")[0] + f"\n<!-- {mark} -->\n")


async def run(api: SkillsAPI, root: Path, folder: Path, concurrency: int) -> PlanResult:
    with api.budget():
        result = await sync(api, [root], str(folder), concurrency=concurrency)
    failed = [s for s in result.skills if s.status == "failed" or s.action == "invalid"]
    if failed or result.problems:
        raise SystemExit(f"the sync failed: {result.problems} {[(s.path, s.problems) for s in failed]}")
    return result


async def timed(job: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await job()
    return time.perf_counter() - start


async def peak_mb(job: Callable[[], Awaitable[object]]) -> float:
    """The peak of Python allocations while `job` runs, above what was allocated before it."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await job()
        return (tracemalloc.get_traced_memory()[1] - before) / 1e6
    finally:
        tracemalloc.stop()


async def bench(
    url: str, root: Path, count: int, concurrency: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    files, total = SHAPES["small"]
    many, one = root / "skills", root / "one"
    folders = [make_skill(many, f"skill-{i:02d}", files, total, seed=i) for i in range(count)]
    single = make_skill(one, "one-skill", files, total, seed=count)
    api = SkillsAPI(Settings(base_url=url))
    times: dict[str, list[float]] = {"unchanged": [], "changed": [], "one": []}
    try:
        await run(api, root, many, concurrency)  # creates them all and writes the lock file: untimed
        await run(api, root, one, concurrency)
        for r in range(rounds):
            times["unchanged"].append(await timed(lambda: run(api, root, many, concurrency)))
            for folder in folders:
                touch(folder, f"round {r}")
            times["changed"].append(await timed(lambda: run(api, root, many, concurrency)))
            touch(single, f"round {r}")
            times["one"].append(await timed(lambda: run(api, root, one, concurrency)))
        memory = {"unchanged": await peak_mb(lambda: run(api, root, many, concurrency))}
        for folder in folders:
            touch(folder, "memory")
        memory["changed"] = await peak_mb(lambda: run(api, root, many, concurrency))
    finally:
        await api.aclose()
    return times, memory


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="8 skills, one round: a smoke test")
    args = parser.parse_args()
    if args.quick or QUICK:
        args.skills, args.rounds = 8, 1
    os.environ["ANTHROPIC_API_KEY"] = KEY
    with emulator(latency=LATENCY) as url, tempfile.TemporaryDirectory() as tmp:
        times, memory = anyio.run(bench, url, Path(tmp), args.skills, args.concurrency, args.rounds)
    waves = math.ceil(args.skills / args.concurrency)
    floor = waves * LATENCY
    one = median(times["one"])
    unchanged_ratio = median(times["unchanged"]) / floor
    changed_ratio = paired_ratio(times["changed"], [t * waves for t in times["one"]])
    rows = [
        ("all unchanged, lock current", f"{median(times['unchanged']) * 1000:.0f}", f"{floor * 1000:.0f} (floor)",
         f"{unchanged_ratio:.2f} x"),
        ("all changed", f"{median(times['changed']) * 1000:.0f}", f"{one * waves * 1000:.0f} (one x {waves})",
         f"{changed_ratio:.2f} x"),
        ("one changed skill", f"{one * 1000:.0f}", "", ""),
    ]  # fmt: skip
    title = (
        f"Sync of {args.skills} small skills ({SHAPES['small'][0]} files, {SHAPES['small'][1] // 1000} KB each), "
        f"concurrency {args.concurrency}, {LATENCY * 1000:.0f} ms per request, median of {args.rounds} "
        f"({machine()})"
    )
    print(table(title, rows, HEADER))
    print(table("Peak Python memory during one sync (tracemalloc)", [
        (f"all {args.skills} unchanged", f"{memory['unchanged']:.1f}"),
        (f"all {args.skills} changed", f"{memory['changed']:.1f}"),
    ], ("run", "peak growth MB")))  # fmt: skip
    print()
    print(verdict("all unchanged vs the latency floor", unchanged_ratio, "<=", 2.0, "x"))
    print(verdict(f"all changed vs one changed x {waves}", changed_ratio, "<=", 1.3, "x"))
    print(verdict("peak memory growth, all changed", memory["changed"], "<", 10, "MB", digits=1))


if __name__ == "__main__":
    main()
