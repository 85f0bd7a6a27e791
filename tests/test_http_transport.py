"""Streamable HTTP: the same tools over HTTP, stateless; the Host check and a token on every bind address."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from conftest import server_command, write_skill
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE

from skills_mcp.server.streamable_http import OPT_OUT, security_settings

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
TOKEN = "t0k3n-for-this-test-only"
TOKEN_LINE = "    token: "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, proc: subprocess.Popen[str], address: str = "127.0.0.1", stderr: Callable[[], str] | None = None
) -> None:
    """Until the port answers, without assuming how long start-up takes (the process dying ends it).

    `stderr` gives the process's error output for the message when something else is reading it."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {stderr() if stderr else proc.communicate()[1]}") from None
            time.sleep(0.1)


class Served:
    """A running server; its stderr is read line by line as it comes, by a thread, so a test can wait for a line."""

    def __init__(self, url: str, host: str, proc: subprocess.Popen[str]) -> None:
        self.url = url
        self.host = host  # the Host header a client connecting to `url` sends
        self.proc = proc
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for line in self.proc.stderr:
                with self._changed:
                    self.stderr.append(line)
                    self._changed.notify_all()
        with self._changed:
            self.stderr.append("")  # end of stream
            self._changed.notify_all()

    def read_token(self) -> str:
        """The generated token from the start-up message (60 s is a safety net, not an expectation)."""

        def found() -> str | None:
            lines = [line for line in self.stderr if line.startswith(TOKEN_LINE)]
            ended = self.stderr and self.stderr[-1] == ""
            return lines[0].removeprefix(TOKEN_LINE).strip() if lines else "" if ended else None

        with self._changed:
            token = self._changed.wait_for(found, timeout=60)
        assert token, f"no token on stderr: {''.join(self.stderr)}"
        return token

    def stopped_stderr(self) -> str:
        self.stop()
        return "".join(self.stderr)

    def stop(self) -> str:
        """Stop the server; what it wrote to stdout (which should be nothing). Stderr stays the thread's to read."""
        assert self.proc.stdout is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        out = "" if self.proc.stdout.closed else self.proc.stdout.read()
        self.proc.stdout.close()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        return out


@contextmanager
def http_server(
    *args: str, bind: str = "127.0.0.1", connect: str | None = None, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """`skills-mcp --transport streamable-http` bound to `bind`, reached at `connect` (default: `bind`)."""
    port = free_port()
    connect = connect or bind
    proc = subprocess.Popen(
        [server_command(), "--transport", "streamable-http", "--host", bind, "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}, **(env or {})},
    )  # fmt: skip
    host = f"[{connect}]:{port}" if ":" in connect else f"{connect}:{port}"
    served = Served(f"http://{host}/mcp", host, proc)
    try:
        wait_for_port(port, proc, connect, stderr=served.stopped_stderr)
        yield served
    finally:
        out = served.stop()
    assert out == "", out  # stdout is not for people, nor for tokens


def local_args(tmp_path: Path) -> list[str]:
    return ["--local", "--data-dir", str(tmp_path / "data"), "--allow-dir", str(tmp_path)]


def post(served: Served, *, token: str | None = TOKEN, host: str | None = None, **headers: str) -> httpx2.Response:
    sent = {**MCP_HEADERS, **headers, "host": host or served.host}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    return httpx2.post(served.url, json=INITIALIZE, headers=sent)


def tool_names(url: str, token: str) -> set[str]:
    async def names() -> set[str]:
        async with (
            httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            return {t.name for t in (await client.list_tools()).tools}

    return anyio.run(names)


def start_fails(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Start the HTTP server expecting a refusal: exit 5 (configuration) and a message on stderr."""
    result = subprocess.run(
        [server_command(), "--transport", "streamable-http", "--port", str(free_port()), *args],
        capture_output=True, text=True, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}, **(env or {})},
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert result.stdout == ""
    return result.stderr


# --- the tools work ------------------------------------------------------------------------------------------


def test_tools_over_http_in_local_mode(tmp_path: Path) -> None:
    folder = write_skill(tmp_path)

    async def session(url: str) -> tuple[set[str], Any, Any]:
        async with (
            httpx2.AsyncClient(headers={"authorization": f"Bearer {TOKEN}"}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            tools = {t.name for t in (await client.list_tools()).tools}
            published = await client.call_tool("publish_skill", {"path": str(folder)})
            again = await client.call_tool("publish_skill", {"path": str(folder), "force": True})
            return tools, published, again

    with http_server(*local_args(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN}) as served:
        tools, published, again = anyio.run(session, served.url)
    assert {"publish_skill", "validate_skill", "download_skill_version"} <= tools
    assert published.is_error is False and again.is_error is False
    assert published.content[0].text.startswith("[LOCAL EMULATOR, not the Anthropic API] Created skill")
    assert again.structured_content["action"] == "created_version"  # stateless: state lives in the API, not here


# --- the Host check, on every bind address -------------------------------------------------------------------

BINDS = [
    pytest.param("127.0.0.1", "127.0.0.1", id="127.0.0.1"),
    pytest.param("127.0.0.2", "127.0.0.2", id="127.0.0.2"),
    pytest.param("::1", "::1", id="::1"),
    pytest.param("0:0:0:0:0:0:0:1", "::1", id="0:0:0:0:0:0:0:1"),
    pytest.param("localhost", "127.0.0.1", id="localhost"),
    pytest.param("0.0.0.0", "127.0.0.1", id="0.0.0.0"),  # noqa: S104 (bound, but reached only on loopback)
]


@pytest.mark.parametrize(("bind", "connect"), BINDS)
def test_every_bind_refuses_a_foreign_host_and_accepts_allowed_ones(tmp_path: Path, bind: str, connect: str) -> None:
    args = [*local_args(tmp_path), "--allowed-host", "myhost.example"]
    with http_server(*args, bind=bind, connect=connect, env={"SKILLS_MCP_HTTP_TOKEN": TOKEN}) as served:
        port = served.host.rpartition(":")[2]
        own = post(served)
        rebound = post(served, host="evil.example")
        rebound_with_port = post(served, host=f"evil.example:{port}")
        foreign_origin = post(served, origin="http://evil.example")
        named = post(served, host=f"myhost.example:{port}")
        named_without_port = post(served, host="myhost.example")
        loopback = {name: post(served, host=f"{name}:{port}").status_code for name in ("127.0.0.1", "localhost")}
        no_token_rebound = post(served, token=None, host="evil.example")
    assert own.status_code == 200 and own.json()["result"]["serverInfo"]["name"] == "skills-publisher-mcp"
    assert rebound.status_code == rebound_with_port.status_code == 421  # the SDK's DNS-rebinding protection
    assert foreign_origin.status_code == 403
    assert named.status_code == named_without_port.status_code == 200  # --allowed-host, on loopback too
    assert loopback == {"127.0.0.1": 200, "localhost": 200}
    assert no_token_rebound.status_code == 401


def test_python_client_reaches_a_wildcard_bind_through_loopback(tmp_path: Path) -> None:
    args = [*local_args(tmp_path), "--allowed-host", "myhost.example"]
    with http_server(*args, bind="0.0.0.0", connect="127.0.0.1", env={"SKILLS_MCP_HTTP_TOKEN": TOKEN}) as served:  # noqa: S104
        names = tool_names(served.url, TOKEN)  # sends Host: 127.0.0.1:PORT
    assert "publish_skill" in names


def test_security_settings_name_every_form_a_client_writes() -> None:
    settings = security_settings("0:0:0:0:0:0:0:1", ["MyHost.example", "proxy.example:8443"])
    assert settings.enable_dns_rebinding_protection is True
    assert set(settings.allowed_hosts) == {
        "127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*",
        "myhost.example", "myhost.example:*", "proxy.example:8443",
    }  # fmt: skip
    assert "http://[::1]:*" in settings.allowed_origins and "https://proxy.example:8443" in settings.allowed_origins
    assert "evil.example" not in str(settings)


# --- the token -----------------------------------------------------------------------------------------------


def test_every_request_needs_the_token_in_its_header(tmp_path: Path) -> None:
    with http_server(*local_args(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN}) as served:
        missing = post(served, token=None)
        wrong = post(served, token="nope")
        prefix = post(served, token=TOKEN[:-1])
        basic = post(served, token=None, authorization=f"Basic {TOKEN}")
        bare = post(served, token=None, authorization=TOKEN)
        cases = {scheme: post(served, token=None, authorization=f"{scheme} {TOKEN}").status_code
                 for scheme in ("Bearer", "bearer", "BEARER", "bEaReR")}  # fmt: skip
        in_query = httpx2.post(
            served.url, params={"token": TOKEN, "access_token": TOKEN}, json=INITIALIZE, headers=MCP_HEADERS
        )
    assert {r.status_code for r in (missing, wrong, prefix, basic, bare, in_query)} == {401}
    assert missing.headers["www-authenticate"] == "Bearer"
    assert cases == {"Bearer": 200, "bearer": 200, "BEARER": 200, "bEaReR": 200}


def test_a_token_is_generated_printed_once_on_stderr_and_required(tmp_path: Path) -> None:
    with http_server(*local_args(tmp_path)) as served:
        token = served.read_token()
        missing = post(served, token=None)
        accepted = post(served, token=token)
        names = tool_names(served.url, token)
    assert len(token) >= 32
    assert missing.status_code == 401 and accepted.status_code == 200 and "publish_skill" in names
    stderr = "".join(served.stderr)
    assert stderr.count(token) == 1, stderr  # once, never logged again
    assert served.url in stderr


@pytest.mark.parametrize("bind", ["127.0.0.1", "127.0.0.2"])
def test_the_loud_opt_out_serves_loopback_without_a_token(tmp_path: Path, bind: str) -> None:
    with http_server(*local_args(tmp_path), OPT_OUT, bind=bind) as served:
        open_door = post(served, token=None)
        rebound = post(served, token=None, host="evil.example")
    assert open_door.status_code == 200
    assert rebound.status_code == 421  # still no DNS rebinding
    stderr = "".join(served.stderr)
    assert "WITHOUT A TOKEN" in stderr and TOKEN_LINE not in stderr


def test_the_opt_out_is_refused_beyond_loopback(tmp_path: Path) -> None:
    message = start_fails(tmp_path, "--host", "0.0.0.0", "--allowed-host", "x.example", OPT_OUT,  # noqa: S104
                          *local_args(tmp_path))  # fmt: skip
    assert "is for loopback only" in message and "Traceback" not in message


def test_the_opt_out_and_a_token_together_are_refused(tmp_path: Path) -> None:
    message = start_fails(tmp_path, OPT_OUT, *local_args(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN})
    assert "not both" in message and TOKEN not in message


# --- what a start needs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])  # noqa: S104
def test_http_without_allow_dir_does_not_start(tmp_path: Path, bind: str) -> None:
    message = start_fails(tmp_path, "--host", bind, "--allowed-host", "x.example", "--local", "--data-dir",
                          str(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN})  # fmt: skip
    assert "Streamable HTTP needs --allow-dir" in message and "Traceback" not in message


def test_a_wildcard_bind_without_allowed_host_does_not_start(tmp_path: Path) -> None:
    message = start_fails(tmp_path, "--host", "0.0.0.0", *local_args(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN})  # noqa: S104
    assert "--allowed-host NAME" in message


def test_beyond_loopback_without_a_configured_token_one_is_generated(tmp_path: Path) -> None:
    args = [*local_args(tmp_path), "--allowed-host", "myhost.example"]
    with http_server(*args, bind="0.0.0.0", connect="127.0.0.1") as served:  # noqa: S104
        token = served.read_token()
        missing = post(served, token=None)
        accepted = post(served, token=token)
    assert missing.status_code == 401 and accepted.status_code == 200


# --- bodies --------------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413(tmp_path: Path) -> None:
    def body() -> Iterator[bytes]:  # chunked, no length announced: the limit is counted as it arrives
        chunk = b" " * 65536
        for _ in range(DEFAULT_MAX_REQUEST_BODY_SIZE // len(chunk)):
            yield chunk
        yield b"{}"

    with http_server(*local_args(tmp_path), env={"SKILLS_MCP_HTTP_TOKEN": TOKEN}) as served:
        headers = {**MCP_HEADERS, "authorization": f"Bearer {TOKEN}"}
        big = httpx2.post(served.url, content=body(), headers=headers)
        ok = post(served)
    assert big.status_code == 413
    assert ok.status_code == 200  # and it keeps serving
