"""Baselines as MCP tools, for end-to-end timing: a bare MCPServer whose tools publish the other ways.

- `sdk_publish`: the official SDK's path, `async_files_from_dir` then `versions.create`;
- `raw_publish`: the floor, one httpx2 POST of a multipart body built on the first call and reused.
"""

from __future__ import annotations

import os

import httpx2
from anthropic import AsyncAnthropic
from anthropic.lib import async_files_from_dir
from mcp.server.mcpserver import MCPServer

server = MCPServer("baselines", log_level="WARNING")  # as quiet as skills-mcp with --log-level WARNING
sdk = AsyncAnthropic(api_key=os.environ["ANTHROPIC_API_KEY"], base_url=os.environ["ANTHROPIC_BASE_URL"], max_retries=0)
raw = httpx2.AsyncClient(
    base_url=os.environ["ANTHROPIC_BASE_URL"],
    timeout=120,
    headers={"authorization": f"Bearer {os.environ['ANTHROPIC_API_KEY']}", "anthropic-version": "2026-10-21",
             "anthropic-beta": "skills-2025-10-02"},
)  # fmt: skip
bodies: dict[str, tuple[dict[str, str], bytes]] = {}


@server.tool()
async def sdk_publish(skill_id: str, path: str) -> str:
    files = await async_files_from_dir(path)
    version = await sdk.beta.skills.versions.create(skill_id, files=files, betas=["skills-2025-10-02"])
    return version.id


@server.tool()
async def raw_publish(skill_id: str, path: str) -> str:
    if path not in bodies:
        from benchmarks.publish import prebuilt_body

        bodies[path] = prebuilt_body(path)
    headers, body = bodies[path]
    response = await raw.post(f"/v1/skills/{skill_id}/versions", content=body, headers=headers)
    return str(response.json()["id"])


if __name__ == "__main__":
    server.run()
