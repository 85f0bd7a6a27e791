"""What every tool call shares: the server's state, the argument types, the allowed folders, one time budget
with our failures as tool errors, and the shape of a result (a summary for people, the JSON for programs).

No `from __future__ import annotations`: the SDK reads these annotations at server build.
"""

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse

import httpx2
from mcp import MCPDeprecationWarning
from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ListRootsResult, TextContent
from pydantic import BaseModel, Field

from skills_mcp.api import local
from skills_mcp.api.wire import Wire
from skills_mcp.config import Settings
from skills_mcp.errors import SkillsMcpError
from skills_mcp.reporting import Reporter
from skills_mcp.terms import TOOL, Terms, terms
from skills_mcp.workflows.inputs import LIMIT_MAX, LIMIT_MIN

if TYPE_CHECKING:  # at run time the publish path loads on the first call that needs it, not at start-up
    from skills_mcp.api.upload import SkillsAPI

log = logging.getLogger(__name__)
# MCP logging is deprecated in the newest spec, and still shown by clients: `reporter` uses it on purpose.
# Set once at import; a `catch_warnings()` around the await would swap the process's filters under other tasks.
warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)

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
            "The skill on this machine, absolute or starting with ~: a folder (e.g. ~/skills/pdf-tools), or a "
            ".skill/.zip archive of it (entries <name>/SKILL.md, <name>/..., as skill-creator packages it). "
            "It must contain SKILL.md, and its folder name must equal the `name` in SKILL.md's frontmatter."
        ),
        examples=["~/skills/pdf-tools"],
    ),
]
# Described at server build, for the mode it speaks (see `_in_mode`).
Version = Annotated[str, Field(description="A version of the skill.")]
VersionOrLatest = Annotated[str, Field(description="A version of the skill, or 'latest' for the newest.")]
Limit = Annotated[
    int, Field(ge=LIMIT_MIN, le=LIMIT_MAX, description=f"How many to return on this page ({LIMIT_MIN}-{LIMIT_MAX}).")
]
Page = Annotated[str | None, Field(description="The next_page cursor from the previous call; omit for the first.")]


@dataclass
class AppState:
    """What every call shares: the settings, and one API client made on the first call that needs it."""

    settings: Settings
    transport: httpx2.AsyncBaseTransport | None = None
    client: "SkillsAPI | None" = None

    @property
    def api(self) -> "SkillsAPI":
        if self.client is None:
            from skills_mcp.api.upload import SkillsAPI

            self.client = SkillsAPI(self.settings, transport=self.transport)
        return self.client


State = Context[AppState]


def _roots(ctx: State) -> ListRoots | ListRootsResult:
    """Ask the client for its roots only when no --allow-dir was given and the client offers roots."""
    caps = ctx.client_capabilities
    if ctx.request_context.lifespan_context.settings.allow_dirs or caps is None or caps.roots is None:
        return ListRootsResult(roots=[])
    return ListRoots()


Roots = Annotated[ListRootsResult, Resolve(_roots)]


def allowed_folders(settings: Settings, roots: ListRootsResult) -> list[Path]:
    """--allow-dir if given; else the client's file:// roots; else the home folder."""
    if settings.allow_dirs:
        return list(settings.allow_dirs)
    # url2pathname percent-decodes, exactly once: file:///srv/pct%2541 is the folder 'pct%41', not 'pctA'.
    from urllib.request import url2pathname  # file:///C:/x is C:\\x on Windows, /x elsewhere

    from_roots = [
        Path(url2pathname(urlparse(str(root.uri)).path)).resolve()
        for root in roots.roots
        if str(root.uri).startswith("file://")
    ]
    return from_roots or [Path.home().resolve()]


@contextmanager
def tool_call(ctx: State) -> Iterator[None]:
    """One time budget for all the API work of a call; our failures reach the agent word for word.

    Anything else is a bug: the agent hears what failed and to report it, the traceback goes to stderr.
    """
    try:
        with api(ctx).budget():
            yield
    except SkillsMcpError as exc:
        raise ToolError(labelled(ctx, exc.words(terms_of(ctx)))) from None
    except Exception as exc:
        log.exception("unexpected failure in a tool call")
        raise ToolError(labelled(ctx, _bug_text(exc))) from None


def _bug_text(exc: Exception) -> str:
    """Only the exception's type: its text could hold anything, even the key."""
    return (
        f"skills-mcp failed unexpectedly ({type(exc).__name__}); nothing more was done. This is a bug in "
        "skills-mcp: please report it, with the traceback the server wrote to its log (stderr)."
    )


def labelled(ctx: State, text: str) -> str:
    """In local mode every answer says so, so nobody mistakes it for a real publish."""
    return f"{local.LABEL} {text}" if ctx.request_context.lifespan_context.settings.local else text


def terms_of(ctx: State) -> Terms:
    """Tool terms: arguments and tool names, and no key to talk about in local mode."""
    return terms(TOOL, ctx.request_context.lifespan_context.settings.local)


def wire_of(ctx: State) -> Wire:
    return Wire.of(ctx.request_context.lifespan_context.settings.beta)


def reporter(ctx: State) -> Reporter:
    async def progress(done: int, total: int) -> None:
        await ctx.report_progress(done, total, f"{done:,} of {total:,} bytes")

    async def note(message: str) -> None:
        await ctx.info(message, logger_name="skills-mcp")

    return Reporter(progress=progress, note=note, terms=terms_of(ctx))


def result(ctx: State, model: BaseModel, summary: str) -> CallToolResult:
    """A one-line summary for people, and the JSON both as structured content and as text for older clients."""
    data = model.model_dump(mode="json", exclude_none=True)
    return CallToolResult(
        content=[
            TextContent(type="text", text=labelled(ctx, summary)),
            TextContent(type="text", text=model.model_dump_json(exclude_none=True, indent=2)),
        ],
        structured_content=data,
    )


def api(ctx: State) -> "SkillsAPI":
    return ctx.request_context.lifespan_context.api


def allowed(ctx: State, roots: ListRootsResult) -> list[Path]:
    return allowed_folders(ctx.request_context.lifespan_context.settings, roots)
