"""Peak memory growth while publishing the large skill: skills-mcp's streamed upload against the official SDK.

Each run is a fresh process that imports everything, publishes a small skill once to warm up, then
publishes the large skill; the growth of its peak RSS (ru_maxrss) over that publish is what counts.
On Linux a child's ru_maxrss starts at its parent's peak (it survives fork and exec), so this parent
stays small: it imports no SDK, and the skills are created in a child too. VmHWM, reset just before
the publish, is printed alongside as a cross-check that needs no such care.

    .venv/bin/python -m benchmarks.memory
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import QUICK, SHAPES, emulator, machine, make_skill, median, table, verdict

BETAS = ["skills-2025-10-02"]
ROUNDS = 1 if QUICK else 3
TARGET_MB = 10.0
CONTENDERS = ("skills-mcp", "sdk-sync", "sdk-async")

Publish = Callable[[Path, str], str]  # (folder, skill_id) -> the new version's id


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _status_kib(field: str) -> int:
    """VmRSS or VmHWM (this process's own peak, which `clear_refs` resets), in KiB."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def _publisher(name: str, url: str) -> Publish:
    """A function publishing (folder, skill_id) by the contender's path; all imports done up front."""
    import anyio
    from anthropic import Anthropic, AsyncAnthropic
    from anthropic.lib import async_files_from_dir, files_from_dir

    from skills_mcp.api.upload import SkillsAPI
    from skills_mcp.config import Settings
    from skills_mcp.workflows import publish as publisher

    if name == "skills-mcp":

        def publish(folder: Path, skill_id: str) -> str:
            async def run() -> str:
                api = SkillsAPI(Settings(base_url=url))
                try:
                    with api.budget():
                        version = await publisher.create_skill_version(api, [folder.parent], skill_id, str(folder))
                finally:
                    await api.aclose()
                return version.id

            return anyio.run(run)

    elif name == "sdk-sync":
        client = Anthropic(api_key="k", base_url=url, max_retries=0)

        def publish(folder: Path, skill_id: str) -> str:
            return client.beta.skills.versions.create(skill_id, files=files_from_dir(folder), betas=BETAS).id

    else:

        def publish(folder: Path, skill_id: str) -> str:
            async def run() -> str:
                async with AsyncAnthropic(api_key="k", base_url=url, max_retries=0) as aclient:
                    files = await async_files_from_dir(folder)
                    return (await aclient.beta.skills.versions.create(skill_id, files=files, betas=BETAS)).id

            return anyio.run(run)

    return publish


def child(name: str, url: str, small: str, small_id: str, large: str, large_id: str) -> None:
    publish = _publisher(name, url)
    publish(Path(small), small_id)  # warm-up: lazy imports, first connection, caches
    before = _peak_kib()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss = _status_kib("VmRSS")
    publish(Path(large), large_id)
    print(_peak_kib() - before, _status_kib("VmHWM") - rss)


def setup(url: str, *folders: str) -> None:
    """Create one skill per folder with the SDK (in a child, so the parent never holds the SDK)."""
    from anthropic import Anthropic
    from anthropic.lib import files_from_dir

    client = Anthropic(api_key="k", base_url=url, max_retries=0)
    print(*(client.beta.skills.create(files=files_from_dir(f), betas=BETAS).id for f in folders))


def run(*args: str) -> list[str]:
    env = {**os.environ, "ANTHROPIC_API_KEY": "k"}
    cmd = [sys.executable, "-m", "benchmarks.memory", *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=Path(__file__).parents[1])
    if out.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed:\n{out.stderr}")
    return out.stdout.split()


def main() -> None:
    files, total = SHAPES["medium" if QUICK else "large"]
    with tempfile.TemporaryDirectory() as tmp, emulator() as url:
        root = Path(tmp).resolve()
        small = make_skill(root, "bench-small", *SHAPES["small"])
        large = make_skill(root, "bench-large", files, total)
        ids = run("--setup", url, str(small), str(large))
        args = [str(small), ids[0], str(large), ids[1]]
        growth: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        hwm: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        for r in range(ROUNDS):  # interleaved, in a rotating order
            for name in CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]:
                maxrss_kib, hwm_kib = run("--child", name, url, *args)
                growth[name].append(int(maxrss_kib) * 1024 / 1e6)
                hwm[name].append(int(hwm_kib) * 1024 / 1e6)

    size_mb = total / 1e6
    ours = median(growth["skills-mcp"])
    rows: list[tuple[str, ...]] = [
        (
            name,
            f"{median(g):.1f}",
            " ".join(f"{x:.1f}" for x in g),
            f"{median(hwm[name]):.1f}",
            f"{median(g) / max(ours, 0.1):.1f}x",
        )
        for name, g in growth.items()
    ]
    title = f"Peak RSS growth publishing the large skill ({files:,} files, {size_mb:.0f} MB), fresh process per run"
    header = ("contender", "ru_maxrss growth MB", f"runs ({ROUNDS})", "VmHWM growth MB", "vs skills-mcp")
    print(table(title, rows, header))
    print(f"\n{machine()}")
    sdk = min(median(growth["sdk-sync"]), median(growth["sdk-async"]))
    print(verdict("skills-mcp grows", ours, "<", TARGET_MB, "MB", digits=1))
    # The SDK buffers the whole skill: if its growth is not about the skill's size, the measurement is broken.
    floor_mb = round(0.8 * size_mb, 1)
    print(verdict(f"the SDK grows about the skill's {size_mb:g} MB", sdk, ">=", floor_mb, "MB", digits=1))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:8])
    elif sys.argv[1:2] == ["--setup"]:
        setup(*sys.argv[2:])
    else:
        main()
