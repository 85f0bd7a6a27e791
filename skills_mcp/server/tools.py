"""MCP wiring: tool schemas, descriptions and annotations over the publisher. No logic lives here.

No `from __future__ import annotations` here: with real annotations the SDK need not evaluate eleven
signatures from strings at start-up, which saves about 10 ms of every cold start.
"""

import functools
import inspect
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlparse

import httpx2
from mcp import MCPDeprecationWarning
from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ListRootsResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from skills_mcp import summaries
from skills_mcp.api import local
from skills_mcp.api.models import (
    Deleted,
    DeleteSkillResult,
    DownloadResult,
    PublishResult,
    Skill,
    SkillPage,
    SkillVersion,
    SkillVersionPage,
    ValidationReport,
)
from skills_mcp.api.wire import Wire
from skills_mcp.config import Settings
from skills_mcp.errors import SkillsMcpError
from skills_mcp.reporting import Reporter
from skills_mcp.terms import TOOL, Terms, terms
from skills_mcp.workflows.inputs import LIMIT_MAX, LIMIT_MIN, require_ids

if TYPE_CHECKING:  # at run time the publish path loads on the first call that needs it, not at start-up
    from skills_mcp.api.upload import SkillsAPI

log = logging.getLogger(__name__)
# MCP logging is deprecated in the newest spec, and still shown by clients: `_reporter` uses it on purpose.
# Set once at import; a `catch_warnings()` around the await would swap the process's filters under other tasks.
warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)

INSTRUCTIONS = """\
Publishes local Agent Skills (a folder with SKILL.md) to the Anthropic Skills API and manages them.
Start with publish_skill (it finds the skill by name or creates it); validate_skill is a dry run.
Paths are folders on the user's machine, absolute or starting with ~.
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
def _tool_call(ctx: State) -> Iterator[None]:
    """One time budget for all the API work of a call; our failures reach the agent word for word.

    Anything else is a bug: the agent hears what failed and to report it, the traceback goes to stderr.
    """
    try:
        with _api(ctx).budget():
            yield
    except SkillsMcpError as exc:
        raise ToolError(_labelled(ctx, exc.words(_terms(ctx)))) from None
    except Exception as exc:
        log.exception("unexpected failure in a tool call")
        raise ToolError(_labelled(ctx, _bug_text(exc))) from None


def _bug_text(exc: Exception) -> str:
    """Only the exception's type: its text could hold anything, even the key."""
    return (
        f"skills-mcp failed unexpectedly ({type(exc).__name__}); nothing more was done. This is a bug in "
        "skills-mcp: please report it, with the traceback the server wrote to its log (stderr)."
    )


def _labelled(ctx: State, text: str) -> str:
    """In local mode every answer says so, so nobody mistakes it for a real publish."""
    return f"{local.LABEL} {text}" if ctx.request_context.lifespan_context.settings.local else text


def _terms(ctx: State) -> Terms:
    """Tool terms: arguments and tool names, and no key to talk about in local mode."""
    return terms(TOOL, ctx.request_context.lifespan_context.settings.local)


def _wire(ctx: State) -> Wire:
    return Wire.of(ctx.request_context.lifespan_context.settings.beta)


def _reporter(ctx: State) -> Reporter:
    async def progress(done: int, total: int) -> None:
        await ctx.report_progress(done, total, f"{done:,} of {total:,} bytes")

    async def note(message: str) -> None:
        await ctx.info(message, logger_name="skills-mcp")

    return Reporter(progress=progress, note=note)


def _result(ctx: State, model: BaseModel, summary: str) -> CallToolResult:
    """A one-line summary for people, and the JSON both as structured content and as text for older clients."""
    data = model.model_dump(mode="json", exclude_none=True)
    return CallToolResult(
        content=[
            TextContent(type="text", text=_labelled(ctx, summary)),
            TextContent(type="text", text=model.model_dump_json(exclude_none=True, indent=2)),
        ],
        structured_content=data,
    )


def _api(ctx: State) -> "SkillsAPI":
    return ctx.request_context.lifespan_context.api


def _allowed(ctx: State, roots: ListRootsResult) -> list[Path]:
    return allowed_folders(ctx.request_context.lifespan_context.settings, roots)


# --- publishing -----------------------------------------------------------------------------------------


async def publish_skill(
    path: SkillPath,
    roots: Roots,
    ctx: State,
    skill_id: Annotated[
        str | None,
        Field(description="Optional: the skill to add a version to. Omit it to find the skill by its SKILL.md name."),
    ] = None,
    force: Annotated[
        bool,
        Field(description="Add a version even when the skill's newest version already holds exactly these files."),
    ] = False,
) -> Annotated[CallToolResult, PublishResult]:
    """Publish a local skill folder: the tool to reach for first.

    Without skill_id, finds the custom skill whose name equals the folder's SKILL.md `name` and
    adds a new version, or creates the skill if none has that name. Publishes running at the same
    time, from any process or machine, settle on one skill (the oldest of the name). If several
    skills have the name, it refuses and lists them (title, creation time, newest version): call
    again with skill_id. With skill_id, adds a version to that skill. Validates first and reports
    every problem at once; a refused publish sends nothing. When the newest version already holds
    exactly these files it uploads nothing (action unchanged; force=true publishes anyway).
    Returns what it did (created_skill, created_version or unchanged), the skill and the new (or
    newest) version, and `warnings` if something around a landed publish could not be read.
    """
    from skills_mcp.workflows import publish as publisher

    with _tool_call(ctx):
        result = await publisher.publish_skill(
            _api(ctx), _allowed(ctx, roots), path, skill_id, _reporter(ctx), force=force
        )
    return _result(ctx, result, _published(result))


async def create_skill(
    path: SkillPath,
    roots: Roots,
    ctx: State,
    display_name: Annotated[
        str | None,
        Field(
            description="Optional human title, the skill's display_name (one line, at most 255 characters; not "
            "unique). Omit it and the API uses the SKILL.md name."
        ),
    ] = None,
    allow_duplicate: Annotated[
        bool,
        Field(
            description="Make the skill even if a skill with this SKILL.md name exists. Afterwards publish_skill "
            "needs skill_id for this name. Leave false unless the user asked for a second skill."
        ),
    ] = False,
) -> Annotated[CallToolResult, PublishResult]:
    """Create a new skill from a local folder; the upload becomes its first version.

    Prefer publish_skill, which adds a version to the skill of the same name. If a skill has the
    name already, this refuses (nothing is uploaded) unless allow_duplicate is true. If the skill
    is created but its version cannot be read back, it still succeeds, with `warnings`: do not
    create it again.
    """
    from skills_mcp.workflows import publish as publisher

    with _tool_call(ctx):
        result = await publisher.create_skill(
            _api(ctx), _allowed(ctx, roots), path, display_name, _reporter(ctx), allow_duplicate=allow_duplicate
        )
    return _result(ctx, result, _published(result))


def _published(result: PublishResult) -> str:
    """The summary of a publish, and its warnings: an agent reads one text."""
    return " ".join([summaries.published(result, TOOL), *(result.warnings or [])])


async def create_skill_version(
    skill_id: SkillId, path: SkillPath, roots: Roots, ctx: State
) -> Annotated[CallToolResult, SkillVersion]:
    """Publish a local skill folder as a new version of an existing skill.

    Validates the folder first (SKILL.md frontmatter, name rules, size, files) and reports every
    problem at once; a refused publish sends nothing. Files such as .git, __pycache__, .env and
    keys are left out; a .skillignore file in the folder adds gitignore-style patterns.
    Returns the new version's JSON (id, name, description, ...).
    """
    from skills_mcp.workflows import publish as publisher

    with _tool_call(ctx):
        result = await publisher.create_skill_version(_api(ctx), _allowed(ctx, roots), skill_id, path, _reporter(ctx))
    return _result(ctx, result, summaries.version_published(result, skill_id))


async def validate_skill(path: SkillPath, roots: Roots, ctx: State) -> Annotated[CallToolResult, ValidationReport]:
    """Dry run: check a skill folder and list exactly what would be uploaded, without contacting the API.

    Reports every problem at once (with its fix), each file and its size, the total against the
    30 MB limit, and what was left out and why (e.g. secret-looking files, .git, .skillignore).
    """
    from skills_mcp.workflows import publish as publisher

    with _tool_call(ctx):
        report = await publisher.validate(path, _allowed(ctx, roots))
        return _result(ctx, report, summaries.validated(report, path))


# --- reading --------------------------------------------------------------------------------------------


async def list_skills(
    ctx: State,
    source: Annotated[
        Literal["custom", "anthropic"] | None,
        Field(description="custom: skills uploaded by your workspace; anthropic: Anthropic's own. Omit for both."),
    ] = None,
    limit: Limit = 20,
    page: Page = None,
) -> Annotated[CallToolResult, SkillPage]:
    """List skills, one page at a time, newest first; next_page is the cursor for the following page."""
    with _tool_call(ctx):
        listing = await _api(ctx).list_skills(source=source, limit=limit, page=page)
    return _result(ctx, listing, _page_summary(ctx, summaries.count(len(listing.data), "skill"), listing.next_page))


async def list_skill_versions(
    ctx: State, skill_id: SkillId, limit: Limit = 20, page: Page = None
) -> Annotated[CallToolResult, SkillVersionPage]:
    """List a skill's versions, one page at a time, newest first; next_page is the cursor for the following page."""
    with _tool_call(ctx):
        require_ids(_wire(ctx), skill_id)
        versions = await _api(ctx).list_skill_versions(skill_id, limit=limit, page=page)
    what = f"{summaries.count(len(versions.data), 'version')} of {skill_id}"
    return _result(ctx, versions, _page_summary(ctx, what, versions.next_page))


async def get_skill(ctx: State, skill_id: SkillId) -> Annotated[CallToolResult, Skill]:
    """Get one skill: its title, source, and newest version."""
    with _tool_call(ctx):
        require_ids(_wire(ctx), skill_id)
        skill = await _api(ctx).get_skill(skill_id)
    return _result(ctx, skill, summaries.skill(skill))


async def get_skill_version(
    ctx: State,
    skill_id: SkillId,
    version: VersionOrLatest,
) -> Annotated[CallToolResult, SkillVersion]:
    """Get one version of a skill (name, description, when it was made); 'latest' gives the newest."""
    with _tool_call(ctx):
        require_ids(_wire(ctx), skill_id, version)
        found = await _api(ctx).get_skill_version(skill_id, version)
    return _result(ctx, found, summaries.version_of(found, skill_id))


async def download_skill_version(
    skill_id: SkillId,
    version: VersionOrLatest,
    destination: Annotated[
        str, Field(description="An existing folder (absolute or ~); the files go to destination/<skill name>/.")
    ],
    roots: Roots,
    ctx: State,
    overwrite: Annotated[bool, Field(description="Replace destination/<skill name> if it already exists.")] = False,
) -> Annotated[CallToolResult, DownloadResult]:
    """Download a version's files and unpack them into destination/<skill name>/.

    Refuses to overwrite an existing folder unless overwrite is true, and refuses archives with
    paths leaving the folder, absolute paths, symlinks, or sizes beyond sane limits.
    """
    from skills_mcp.workflows import lifecycle

    with _tool_call(ctx):
        result = await lifecycle.download(
            _api(ctx), _allowed(ctx, roots), skill_id, version, destination,
            overwrite=overwrite, reporter=_reporter(ctx),
        )  # fmt: skip
    return _result(ctx, result, summaries.downloaded(result))


# --- deleting -------------------------------------------------------------------------------------------


async def delete_skill_version(ctx: State, skill_id: SkillId, version: Version) -> Annotated[CallToolResult, Deleted]:
    """Delete one version of a skill. This cannot be undone."""
    with _tool_call(ctx):
        require_ids(_wire(ctx), skill_id, version)
        deleted = await _api(ctx).delete_skill_version(skill_id, version)
    return _result(ctx, deleted, summaries.deleted_version(deleted.id, skill_id))


async def delete_skill(
    ctx: State,
    skill_id: SkillId,
    delete_versions: Annotated[
        bool, Field(description="Delete every version first (all pages), then the skill. Cannot be undone.")
    ] = False,
) -> Annotated[CallToolResult, DeleteSkillResult]:
    """Delete a skill. A skill that still has versions is refused unless delete_versions is true."""
    from skills_mcp.workflows import lifecycle

    with _tool_call(ctx):
        result = await lifecycle.delete_skill(_api(ctx), skill_id, delete_versions=delete_versions)
    return _result(ctx, result, summaries.deleted_skill(skill_id, result))


def _page_summary(ctx: State, what: str, next_page: str | None) -> str:
    return summaries.page(what, next_page, _terms(ctx))


# The tools whose descriptions say how versions are addressed.
_SPEAKS_OF_VERSIONS = {
    "publish_skill", "create_skill", "create_skill_version", "list_skill_versions", "get_skill", "get_skill_version",
    "download_skill_version", "delete_skill_version", "delete_skill", "rollback_skill",
}  # fmt: skip


def _in_mode(tool: Callable[..., Any], wire: Wire) -> Callable[..., Any]:
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


_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
_READ = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)
_DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)

TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (publish_skill, "Publish a skill (find or create)", _WRITE),
    (create_skill, "Create a skill", _WRITE),
    (create_skill_version, "Publish a new skill version", _WRITE),
    (validate_skill, "Validate a skill folder (dry run)",
     ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)),
    (list_skills, "List skills", _READ),
    (list_skill_versions, "List a skill's versions", _READ),
    (get_skill, "Get a skill", _READ),
    (get_skill_version, "Get a skill version", _READ),
    (download_skill_version, "Download a skill version",
     ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)),
    (delete_skill_version, "Delete a skill version", _DELETE),
    (delete_skill, "Delete a skill", _DELETE),
]  # fmt: skip
