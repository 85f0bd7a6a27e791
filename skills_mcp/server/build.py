"""The MCP server: every tool of tools.py and as_code.py, described in the mode the settings name.

No `from __future__ import annotations`: the SDK reads the tools' annotations at server build.
"""

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx2
from mcp.server.mcpserver import MCPServer
from pydantic import Field

from skills_mcp import __version__
from skills_mcp.api.wire import Wire
from skills_mcp.config import Settings
from skills_mcp.server import as_code
from skills_mcp.server.calls import AppState, VersionOrLatest
from skills_mcp.server.tools import TOOLS

INSTRUCTIONS = """\
Publishes local Agent Skills (a folder with SKILL.md) to the Anthropic Skills API and manages them.
Start with publish_skill (it finds the skill by name or creates it); validate_skill is a dry run.
Paths are folders on the user's machine, absolute or starting with ~.
Skills uploaded through the API are shared across the API workspace; they do not appear in
claude.ai or Claude Desktop skill lists."""


# The tools whose descriptions say how versions are addressed.
_SPEAKS_OF_VERSIONS = {
    "publish_skill", "create_skill", "create_skill_version", "list_skill_versions", "get_skill", "get_skill_version",
    "download_skill_version", "delete_skill_version", "delete_skill", "rollback_skill",
}  # fmt: skip


def in_mode(tool: Callable[..., Any], wire: Wire) -> Callable[..., Any]:
    """The tool as this server describes it: its `version` argument and a note on how versions are addressed
    follow the mode, so an agent is told the form it must pass. Built once, at server build."""
    if tool.__name__ not in _SPEAKS_OF_VERSIONS:
        return tool
    signature = inspect.signature(tool, eval_str=True)

    def described_as(p: inspect.Parameter) -> inspect.Parameter:
        if p.name != "version":
            return p
        text = wire.argument_text(latest=p.annotation == VersionOrLatest)
        return p.replace(annotation=Annotated[str, Field(description=text)])

    @functools.wraps(tool)
    async def described(*args: Any, **kwargs: Any) -> Any:
        return await tool(*args, **kwargs)

    described.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[described_as(p) for p in signature.parameters.values()]
    )
    described.__doc__ = f"{inspect.cleandoc(tool.__doc__ or '')}\n\n{wire.note}"
    return described


def build_server(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> MCPServer:
    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[AppState]:
        state = AppState(settings, transport)
        try:
            yield state
        finally:
            if state.client is not None:
                await state.client.aclose()
            elif transport is not None:
                await transport.aclose()

    server = MCPServer("skills-publisher-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan)
    for tool, title, hints in TOOLS + as_code.TOOLS:
        described = in_mode(tool, Wire.of(settings.beta))  # the description as clients show it: dedented
        server.add_tool(
            described, title=title, description=inspect.cleandoc(described.__doc__ or ""), annotations=hints
        )
    return server
