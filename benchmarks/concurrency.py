"""Eight publishes at once on one MCP session, against an API that takes 1 s to answer each request.

The real server runs as a process over stdio; one `create_skill_version` call alone and eight at once
(each to its own skill) are timed, interleaved. If the calls overlap, eight take about as long as one.

    .venv/bin/python -m benchmarks.concurrency
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import anyio
from anthropic import AsyncAnthropic
from anthropic.lib import async_files_from_dir
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters

from benchmarks.harness import QUICK, SHAPES, emulator, interleave, machine, make_skill, median, table, verdict

LATENCY = 0.1 if QUICK else 1.0
CALLS = 8
ROUNDS = 1 if QUICK else 3
TARGET = 1.5
BETAS = ["skills-2025-10-02"]


async def create_skills(url: str, folders: list[Path]) -> list[str]:
    ids: list[str] = [""] * len(folders)

    async def one(i: int) -> None:
        files = await async_files_from_dir(folders[i])
        ids[i] = (await client.beta.skills.create(files=files, betas=BETAS)).id

    async with AsyncAnthropic(api_key="k", base_url=url, max_retries=0) as client, anyio.create_task_group() as tg:
        for i in range(len(folders)):
            tg.start_soon(one, i)
    return ids


def server(url: str, allowed: Path) -> StdioServerParameters:
    command = str(Path(sys.executable).with_name("skills-mcp"))
    env = {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "k", "PATH": os.environ.get("PATH", "")}
    return StdioServerParameters(command=command, args=["--allow-dir", str(allowed), "--log-level", "WARNING"], env=env)


def measure(portal: BlockingPortal, client: Client, url: str, root: Path, shape: str) -> tuple[float, float]:
    """Median seconds of one call alone, and of CALLS at once, each to its own skill."""
    files, total = SHAPES[shape]
    folders = [make_skill(root / shape, f"bench-{shape}-{i}", files, total) for i in range(CALLS)]
    ids = portal.call(create_skills, url, folders)

    async def publish(skill_id: str, folder: Path) -> None:
        result = await client.call_tool("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
        if result.is_error:
            raise RuntimeError(f"publish failed: {result.content}")

    async def single() -> None:
        await publish(ids[0], folders[0])

    async def all_at_once() -> None:
        async with anyio.create_task_group() as tg:
            for skill_id, folder in zip(ids, folders, strict=True):
                tg.start_soon(publish, skill_id, folder)

    portal.call(single)  # warm-up: the first connection, the first run of each code path
    times = interleave({"single": lambda: portal.call(single), "all": lambda: portal.call(all_at_once)}, ROUNDS)
    return median(times["single"]), median(times["all"])


def main() -> None:
    rows: list[tuple[str, ...]] = []
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, emulator(latency=LATENCY) as url, ExitStack() as stack:
        root = Path(tmp).resolve()
        portal = stack.enter_context(start_blocking_portal())
        client = stack.enter_context(portal.wrap_async_context_manager(Client(server(url, root))))
        for shape in ("small",) if QUICK else ("small", "medium"):
            single, together = measure(portal, client, url, root, shape)
            files, total = SHAPES[shape]
            ratio = together / single
            rows.append(
                (f"{shape} ({files} files, {total / 1e6:.2f} MB)", f"{single:.2f}", f"{together:.2f}", f"{ratio:.2f}")
            )
            verdicts.append(verdict(f"{shape}: {CALLS} at once / one", ratio, "<=", TARGET))

    title = (
        f"create_skill_version over one stdio MCP session, {LATENCY:g} s API latency per request "
        f"(a call's read of the skill runs alongside its upload: floor {LATENCY:g} s); median of {ROUNDS}"
    )
    print(table(title, rows, ("skill", "one call s", f"{CALLS} at once s", "ratio")))
    print(f"\n{machine()}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
