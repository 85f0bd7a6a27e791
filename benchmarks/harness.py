"""What every benchmark shares: an emulator in its own process, skill folders of a given shape, timing.

The emulator runs in a separate process so the client being measured has the CPU to itself, as it
would against the real API. Runs of the contenders are interleaved, so a noisy moment on a 2-core
machine hits all of them alike, and results are medians.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# BENCH_QUICK=1: every script runs once, small, to show it still works (the test suite does this).
QUICK = os.environ.get("BENCH_QUICK") == "1"

SHAPES = {  # name: (files, total bytes)
    "small": (10, 50_000),
    "medium": (200, 5_000_000),
    "large": (2_000, 28_000_000),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator(latency: float = 0.0) -> Iterator[str]:
    """A Skills API emulator on loopback, in its own process; `latency` seconds added to every request."""
    port = free_port()
    code = f"import sys; from benchmarks.harness import _serve; _serve({port}, {latency})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _serve(port: int, latency: float) -> None:
    import asyncio

    import uvicorn

    from skills_mcp.emulator import EmulatorState, create_app

    app = create_app(EmulatorState(record=False))

    async def slow(scope, receive, send):  # type: ignore[no-untyped-def]
        if latency and scope["type"] == "http":
            await asyncio.sleep(latency)
        await app(scope, receive, send)

    uvicorn.run(slow, host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None)


def make_skill(parent: Path, name: str, files: int, total: int, seed: int = 7) -> Path:
    """A valid skill folder of `files` files (SKILL.md included) holding about `total` bytes of random data."""
    rng = random.Random(seed)
    folder = parent / name
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: A benchmark skill.\n---\n# {name}\n")
    size = total // max(files - 1, 1)
    for i in range(files - 1):
        sub = folder / "assets" / f"d{i % 20:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(rng.randbytes(size))
    return folder


def interleave(contenders: dict[str, Callable[[], object]], rounds: int, warmup: int = 1) -> dict[str, list[float]]:
    """Run each contender once per round, in a rotating order; return the seconds each run took.

    `warmup` untimed runs first, so first-use costs (imports, connections, caches) are not counted.
    """
    for _ in range(warmup):
        for run in contenders.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(ours: list[float], theirs: list[float]) -> float:
    """The median of per-round ratios: both ran back to back in each round, so a slow spell of the
    machine hits both, and the ratio within a round cancels it (steadier than a ratio of medians)."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def verdict(what: str, value: float, op: str, target: float, unit: str = "", digits: int = 2) -> str:
    """One target's line, e.g. `PASS: in-process small vs SDK: 0.93 x (target <= 1.0 x)`, in one form for
    every script (tests/test_benchmarks.py reads it back). Judged on the value as printed, so that a line
    can never contradict itself at the last digit."""
    shown = round(value, digits)
    ok = {"<=": shown <= target, "<": shown < target, ">=": shown >= target}[op]
    unit = f" {unit}" if unit else ""
    return f"{'PASS' if ok else 'FAIL'}: {what}: {shown:.{digits}f}{unit} (target {op} {target:g}{unit})"


def table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    out = [f"\n{title}", line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    return "\n".join(out + [line(r) for r in rows])


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}"
