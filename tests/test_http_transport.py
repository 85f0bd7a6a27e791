"""Streamable HTTP: the same tools over HTTP, stateless; a token whenever it listens beyond loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from conftest import server_command, write_skill
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    """Until the port answers, without assuming how long start-up takes (the process dying ends it)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.communicate()[1]}") from None
            time.sleep(0.1)


@contextmanager
def http_server(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [server_command(), "--transport", "streamable-http", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}, **(env or {})},
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_tools_over_http_in_local_mode(tmp_path: Path) -> None:
    folder = write_skill(tmp_path)
    args = ["--local", "--data-dir", str(tmp_path / "data"), "--allow-dir", str(tmp_path)]

    async def session(url: str) -> tuple[set[str], Any, Any]:
        async with Client(url) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            published = await client.call_tool("publish_skill", {"path": str(folder)})
            again = await client.call_tool("publish_skill", {"path": str(folder)})
            return tools, published, again

    with http_server(*args) as (url, _proc):
        tools, published, again = anyio.run(session, url)
    assert {"publish_skill", "validate_skill", "download_skill_version"} <= tools
    assert published.is_error is False and again.is_error is False
    assert published.content[0].text.startswith("[LOCAL EMULATOR, not the Anthropic API] Created skill")
    assert again.structured_content["action"] == "created_version"  # stateless: state lives in the API, not here


def test_loopback_refuses_a_foreign_host_header(tmp_path: Path) -> None:
    with http_server("--local", "--data-dir", str(tmp_path)) as (url, _proc):
        ok = httpx2.post(url, json=INITIALIZE, headers=MCP_HEADERS)
        rebound = httpx2.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "host": "evil.example"})
    assert ok.status_code == 200
    assert rebound.status_code == 421  # the SDK's DNS-rebinding protection


def test_beyond_loopback_without_a_token_does_not_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [server_command(), "--transport", "streamable-http", "--host", "0.0.0.0", "--port", str(free_port()),  # noqa: S104
         "--local", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "SKILLS_MCP_HTTP_TOKEN"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "without a token" in result.stderr and "SKILLS_MCP_HTTP_TOKEN" in result.stderr


def test_beyond_loopback_every_request_needs_the_token(tmp_path: Path) -> None:
    token = "t0k3n-for-this-test-only"
    args = ["--host", "0.0.0.0", "--allowed-host", "127.0.0.1", "--local", "--data-dir", str(tmp_path)]  # noqa: S104
    with http_server(*args, env={"SKILLS_MCP_HTTP_TOKEN": token}) as (url, _proc):
        missing = httpx2.post(url, json=INITIALIZE, headers=MCP_HEADERS)
        wrong = httpx2.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": "Bearer nope"})
        right = httpx2.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": f"Bearer {token}"})

        async def tools() -> set[str]:
            async with (
                httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                return {t.name for t in (await client.list_tools()).tools}

        names = anyio.run(tools)
    assert missing.status_code == 401 and wrong.status_code == 401
    assert right.status_code == 200 and right.json()["result"]["serverInfo"]["name"] == "skills-mcp"
    assert "publish_skill" in names
