"""Shared fixtures: the emulator on loopback, and the real `skills-mcp` process driven over stdio."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, Tool
from skill_factory import make_skill, skill_md_text

from skills_mcp.emulator import EmulatorState, FaultQueue, create_app, serve_in_thread

SKILLS_BETA = "skills-2025-10-02"
# Distinctive, so a search of every output for it cannot miss a leak.
API_KEY = "sk-ant-api03-TEST-KEY-never-to-be-printed-7f3a9c"


@dataclass
class Emulator:
    url: str
    state: EmulatorState

    def upload_count(self) -> int:
        return len(self.state.uploads())


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    state = EmulatorState(api_keys={API_KEY}, faults=FaultQueue())  # faults: a test control, off in the product
    with serve_in_thread(create_app(state)) as url:
        yield Emulator(url, state)


@pytest.fixture
def api(emulator: Emulator) -> Emulator:
    """The emulator, emptied for this test."""
    emulator.state.reset()
    return emulator


_sdk_clients: list[anthropic.Anthropic] = []


def official_sdk(url: str, key: str = API_KEY) -> anthropic.Anthropic:
    """The official SDK pointed at `url`, closed when the test ends: an unclosed client's socket warns
    whenever the garbage collector happens to find it, which would fail some later, unrelated test."""
    client = anthropic.Anthropic(api_key=key, base_url=url, max_retries=0)
    _sdk_clients.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_sdk_clients() -> Iterator[None]:
    yield
    while _sdk_clients:
        _sdk_clients.pop().close()


def server_command(name: str = "skills-mcp") -> str:
    """The installed console script `name`, from the same environment as the tests."""
    script = Path(sys.executable).with_name(name)
    return str(script) if script.exists() else shutil.which(name) or name


class McpSession:
    """A synchronous handle on one `skills-mcp` process, so tests stay plain functions."""

    def __init__(self, args: list[str], env: dict[str, str], errlog: Path, command: str | None = None) -> None:
        self._stack = ExitStack()
        self.portal: BlockingPortal = self._stack.enter_context(start_blocking_portal())
        self._errlog = self._stack.enter_context(errlog.open("w", encoding="utf-8"))
        params = StdioServerParameters(command=command or server_command(), args=args, env=env)
        # stdio_client is itself a Transport; passing it keeps the server's stderr in our log file.
        client = Client(stdio_client(params, errlog=self._errlog))
        self.client: Client = self._stack.enter_context(self.portal.wrap_async_context_manager(client))
        self.errlog = errlog
        self.results: list[CallToolResult] = []

    def tools(self) -> dict[str, Tool]:
        return {t.name: t for t in self.portal.call(self.client.list_tools).tools}

    def call(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> CallToolResult:
        result = self.portal.call(lambda: self.client.call_tool(name, arguments, **kwargs))
        self.results.append(result)
        return result

    def close(self) -> None:
        self._stack.close()


def server_env(emulator: Emulator, *, key: str | None = API_KEY) -> dict[str, str]:
    env = {"ANTHROPIC_BASE_URL": emulator.url, "PYTHONUNBUFFERED": "1"}
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    for name in ("PATH", "HOME", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@pytest.fixture(scope="session")
def skills_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one folder the shared server may read."""
    return tmp_path_factory.mktemp("allowed")


@pytest.fixture(scope="session")
def mcp(emulator: Emulator, skills_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpSession]:
    errlog = tmp_path_factory.mktemp("logs") / "server-stderr.log"
    session = McpSession(["--allow-dir", str(skills_root)], server_env(emulator), errlog)
    yield session
    session.close()


@pytest.fixture(scope="session")
def mcp_beta(emulator: Emulator, skills_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpSession]:
    """The shared server in the beta mode: anthropic-beta: skills-2025-10-02, versions by epoch string."""
    errlog = tmp_path_factory.mktemp("logs") / "server-beta-stderr.log"
    session = McpSession(["--allow-dir", str(skills_root), "--beta", SKILLS_BETA], server_env(emulator), errlog)
    yield session
    session.close()


@dataclass
class Mode:
    """A server in one API mode, and how that mode names things, for tests that run in both."""

    mcp: McpSession
    beta: bool

    def ref(self, version: dict[str, Any]) -> str:
        """How the mode addresses a version: its epoch `version` under the beta header, else its id."""
        return str(version["version"] if self.beta else version["id"])

    def latest(self, skill: dict[str, Any]) -> str:
        return str(skill["latest_version"] if self.beta else skill["latest_version_id"])

    @property
    def title_field(self) -> str:
        return "display_title" if self.beta else "display_name"


@pytest.fixture(params=["ga", "beta"])
def mode(request: pytest.FixtureRequest) -> Mode:
    """The shared server without the beta header (the default), then with it."""
    beta = request.param == "beta"
    return Mode(request.getfixturevalue("mcp_beta" if beta else "mcp"), beta)


@pytest.fixture
def workdir(skills_root: Path, request: pytest.FixtureRequest) -> Path:
    """A folder of this test's own inside the allowed folder."""
    path = skills_root / request.node.name.replace("[", "_").replace("]", "").replace("/", "_")
    path.mkdir()
    return path


def write_skill(
    parent: Path,
    name: str = "pdf-tools",
    *,
    frontmatter: str | None = None,
    body: str = "# PDF tools\n\nUse scripts/fill.py to fill forms.\n",
    files: dict[str, bytes | str] | None = None,
) -> Path:
    """A skill folder `parent/name`; frontmatter (raw YAML) defaults to a valid one for `name`."""
    if frontmatter is None:
        frontmatter = f"name: {name}\ndescription: Fill in PDF forms. Use when the user has a PDF form.\n"
    skill_md = skill_md_text(name, frontmatter=textwrap.dedent(frontmatter), body=body)
    return make_skill(parent, name, {"SKILL.md": skill_md, **(files or {})})
