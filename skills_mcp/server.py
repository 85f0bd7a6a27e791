"""MCP wiring: tool schemas, descriptions and annotations over the publisher. No logic lives here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

from mcp.server.mcpserver import Context, ListRoots, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ListRootsResult, TextContent, ToolAnnotations
from pydantic import Field

from . import __version__, publisher
from .api_client import SkillsAPI
from .config import Settings
from .errors import SkillsMcpError
from .models import SkillVersion

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
Publishes local Agent Skills (a folder with SKILL.md) to the Anthropic Skills API.
Paths are local folders on the user's machine, absolute or starting with ~.
Skills uploaded through the API are shared across the API workspace; they do not appear in
claude.ai or Claude Desktop skill lists."""

SkillId = Annotated[
    str,
    Field(
        description="The id of an existing skill, exactly as the API returned it (e.g. skill_01AbCd...).",
        examples=["skill_01AbCdEfGhIjKlMnOpQrStUv"],
    ),
]
SkillPath = Annotated[
    str,
    Field(
        description=(
            "The skill folder on this machine: absolute or starting with ~ (e.g. ~/skills/pdf-tools). "
            "It must contain SKILL.md, and its folder name must equal the `name` in SKILL.md's frontmatter."
        ),
        examples=["~/skills/pdf-tools"],
    ),
]


@dataclass
class AppState:
    api: SkillsAPI
    settings: Settings


def _roots(ctx: Context[AppState]) -> ListRoots | ListRootsResult:
    """Ask the client for its roots only when no --allow-dir was given and the client offers roots."""
    settings = ctx.request_context.lifespan_context.settings
    caps = ctx.client_capabilities
    if settings.allow_dirs or caps is None or caps.roots is None:
        return ListRootsResult(roots=[])
    return ListRoots()


Roots = Annotated[ListRootsResult, Resolve(_roots)]


def allowed_folders(settings: Settings, roots: ListRootsResult) -> list[Path]:
    """--allow-dir if given; else the client's file:// roots; else the home folder."""
    if settings.allow_dirs:
        return list(settings.allow_dirs)
    from_roots = [
        Path(unquote(urlparse(str(root.uri)).path)).resolve()
        for root in roots.roots
        if str(root.uri).startswith("file://")
    ]
    return from_roots or [Path.home().resolve()]


async def create_skill_version(
    skill_id: SkillId, path: SkillPath, roots: Roots, ctx: Context[AppState]
) -> Annotated[CallToolResult, SkillVersion]:
    """Publish a local skill folder as a new version of an existing skill.

    Validates the folder first (SKILL.md frontmatter, name rules, size, files) and reports every
    problem at once; a refused publish sends nothing. Files such as .git, __pycache__, .env and
    keys are left out; a .skillignore file in the folder adds gitignore-style patterns.
    Returns the new version's JSON (id, version, name, description, ...).
    """
    state = ctx.request_context.lifespan_context

    async def progress(sent: int, total: int) -> None:
        await ctx.report_progress(sent, total, f"uploaded {sent:,} of {total:,} bytes")

    try:
        version = await publisher.create_skill_version(
            state.api, allowed_folders(state.settings, roots), skill_id, path, on_progress=progress
        )
    except SkillsMcpError as exc:
        raise ToolError(str(exc)) from None
    result = SkillVersion.model_validate(version)
    label = f"version {result.version} ({result.id})" if result.version else f"version {result.id}"
    summary = f"Published {result.name or 'skill'} {label} to skill {result.skill_id or skill_id}."
    return CallToolResult(
        content=[TextContent(type="text", text=summary)],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


def build_server(settings: Settings) -> MCPServer:
    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[AppState]:
        api = SkillsAPI(settings)
        try:
            yield AppState(api, settings)
        finally:
            await api.aclose()

    server = MCPServer("skills-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan)
    server.add_tool(
        create_skill_version,
        title="Publish a new skill version",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    return server
