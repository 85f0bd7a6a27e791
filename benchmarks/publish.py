"""Publish speed: skills-mcp against the official SDK and against a floor, in-process and end to end.

    python -m benchmarks.publish [--rounds-scale 1.0] [--quick]

Three skill shapes (small 10 files / 50 KB, medium 200 / 5 MB, large 2,000 / 28 MB) go to the
emulator on loopback (its own process). In-process: skills-mcp's publish path (validate, package,
stream, upload) against the SDK's `files_from_dir` plus `versions.create`, and against the floor,
one raw httpx2 POST of the same multipart body built beforehand. End to end: one MCP tool call to
`skills-mcp` against the same two ways wrapped as tools of a bare MCPServer (sdk_tool_server.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx2
from anthropic.lib import files_from_dir
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters

from benchmarks.harness import (
    QUICK,
    SHAPES,
    emulator,
    interleave,
    machine,
    make_skill,
    median,
    paired_ratio,
    table,
    verdict,
)
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.config import Settings
from skills_mcp.workflows import publish as publisher

KEY = "benchmark-key"
BETAS = ["skills-2025-10-02"]
ROUNDS = {"small": 21, "medium": 11, "large": 9}
RAW_HEADERS = {"authorization": f"Bearer {KEY}", "anthropic-version": "2026-10-21", "anthropic-beta": BETAS[0]}
HEADER = ("skill", "files / size", "skills-mcp", "official SDK", "raw POST", "vs SDK", "vs floor")


def prebuilt_body(path: str) -> tuple[dict[str, str], bytes]:
    """The multipart body of the SDK's parts for `path`, encoded once (httpx2's encoder, as the SDK)."""
    request = httpx2.Request("POST", "http://x/", files=[("files[]", f) for f in files_from_dir(path)])
    return {"content-type": request.headers["content-type"]}, request.read()


@dataclass
class Bench:
    """The long-lived clients of one run: each contender keeps its connections, as a real user would."""

    portal: BlockingPortal
    sdk: anthropic.Anthropic
    raw: httpx2.Client
    api: SkillsAPI
    ours: Client
    baselines: Client
    allowed: Path

    def shape(self, skill_id: str, folder: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        headers, body = prebuilt_body(str(folder))

        def cleanup() -> None:  # keep the emulator's memory flat: drop what each run added
            for v in self.sdk.beta.skills.versions.list(skill_id, betas=BETAS).data[:-1]:
                self.sdk.beta.skills.versions.delete(v.version, skill_id=skill_id, betas=BETAS)

        async def ours_publish() -> None:
            with self.api.budget():
                await publisher.create_skill_version(self.api, [self.allowed], skill_id, str(folder))

        def tool(client: Client, name: str) -> None:
            args = {"skill_id": skill_id, "path": str(folder)}
            result = self.portal.call(lambda: client.call_tool(name, args))
            assert not result.is_error, result.content

        def then_clean(run: Any) -> Any:
            return lambda: (run(), cleanup())

        # Every contender runs on the portal's event-loop thread, so each pays the same hop to it.
        in_process = interleave(
            {
                "skills-mcp": then_clean(lambda: self.portal.call(ours_publish)),
                "official SDK": then_clean(
                    lambda: self.portal.call(
                        lambda: self.sdk.beta.skills.versions.create(
                            skill_id, files=files_from_dir(folder), betas=BETAS
                        )
                    )
                ),
                "raw POST floor": then_clean(
                    lambda: self.portal.call(
                        lambda: self.raw.post(
                            f"/v1/skills/{skill_id}/versions", content=body, headers=headers
                        ).raise_for_status()
                    )
                ),
            },
            rounds,
        )
        end_to_end = interleave(
            {
                "skills-mcp": then_clean(lambda: tool(self.ours, "create_skill_version")),
                "official SDK": then_clean(lambda: tool(self.baselines, "sdk_publish")),
                "raw POST floor": then_clean(lambda: tool(self.baselines, "raw_publish")),
            },
            rounds,
        )
        return in_process, end_to_end


def main() -> None:
    logging.basicConfig(level=logging.WARNING)  # the path under test logs each upload at INFO
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds-scale", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="one round of the small skill: a smoke test")
    args = parser.parse_args()
    args.quick = args.quick or QUICK
    shapes = {"small": SHAPES["small"]} if args.quick else SHAPES
    os.environ["ANTHROPIC_API_KEY"] = KEY
    rows: dict[str, list[tuple[str, ...]]] = {"in-process": [], "tool call": []}
    verdicts: list[str] = []
    with emulator() as url, tempfile.TemporaryDirectory() as tmp, start_blocking_portal() as portal:
        os.environ["ANTHROPIC_BASE_URL"] = url
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": url, "PATH": os.environ.get("PATH", ""),
               "PYTHONPATH": str(Path(__file__).parents[1])}  # fmt: skip
        server = StdioServerParameters(
            command=sys.executable, args=["-m", "skills_mcp", "--allow-dir", tmp, "--log-level", "WARNING"], env=env
        )
        base = StdioServerParameters(command=sys.executable, args=["-m", "benchmarks.sdk_tool_server"], env=env)
        sdk = anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0)
        api = SkillsAPI(Settings(base_url=url))
        with (
            httpx2.Client(base_url=url, timeout=120, headers=RAW_HEADERS) as raw,
            portal.wrap_async_context_manager(Client(server)) as ours,
            portal.wrap_async_context_manager(Client(base)) as baselines,
        ):
            bench = Bench(portal, sdk, raw, api, ours, baselines, Path(tmp))
            for shape, (count, total) in shapes.items():
                folder = make_skill(Path(tmp), f"bench-{shape}", count, total)
                skill_id = sdk.beta.skills.create(files=files_from_dir(folder), betas=BETAS).id
                rounds = 1 if args.quick else max(3, round(ROUNDS[shape] * args.rounds_scale))
                for where, t in zip(rows, bench.shape(skill_id, folder, rounds), strict=True):
                    vs_sdk = paired_ratio(t["skills-mcp"], t["official SDK"])
                    vs_floor = paired_ratio(t["skills-mcp"], t["raw POST floor"])
                    times = (f"{median(t[k]) * 1000:.1f} ms" for k in ("skills-mcp", "official SDK", "raw POST floor"))
                    size = f"{count:,} / {total / 1e6:g} MB"
                    rows[where].append((shape, size, *times, f"{vs_sdk:.2f} x", f"{vs_floor:.2f} x"))
                    verdicts.append(verdict(f"{where} {shape} vs SDK", vs_sdk, "<=", 1.0, "x"))
                    if shape != "small":
                        verdicts.append(verdict(f"{where} {shape} vs floor", vs_floor, "<=", 1.3, "x"))
        portal.call(api.aclose)
    print(
        table(f"Publish, in-process: median times, median per-round ratios ({machine()})", rows["in-process"], HEADER)
    )
    print(
        table(
            "Publish, end to end as one MCP tool call: median times, median per-round ratios", rows["tool call"], HEADER
        )
    )
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    main()
