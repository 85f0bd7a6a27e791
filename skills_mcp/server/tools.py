"""The publishing and lifecycle tools: schemas, descriptions and annotations over the workflows. No logic lives here.

No `from __future__ import annotations` here: with real annotations the SDK need not evaluate eleven
signatures from strings at start-up, which saves about 10 ms of every cold start.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from skills_mcp import summaries
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
from skills_mcp.server import calls
from skills_mcp.server.calls import Limit, Page, Roots, SkillId, SkillPath, State, Version, VersionOrLatest
from skills_mcp.terms import TOOL
from skills_mcp.workflows.inputs import require_ids

if TYPE_CHECKING:  # at run time the publish path loads on the first call that needs it, not at start-up
    pass

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

    with calls.tool_call(ctx):
        result = await publisher.publish_skill(
            calls.api(ctx), calls.allowed(ctx, roots), path, skill_id, calls.reporter(ctx), force=force
        )
    return calls.result(ctx, result, _published(result))


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

    with calls.tool_call(ctx):
        result = await publisher.create_skill(
            calls.api(ctx),
            calls.allowed(ctx, roots),
            path,
            display_name,
            calls.reporter(ctx),
            allow_duplicate=allow_duplicate,
        )
    return calls.result(ctx, result, _published(result))


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

    with calls.tool_call(ctx):
        result = await publisher.create_skill_version(
            calls.api(ctx), calls.allowed(ctx, roots), skill_id, path, calls.reporter(ctx)
        )
    return calls.result(ctx, result, summaries.version_published(result, skill_id))


async def validate_skill(path: SkillPath, roots: Roots, ctx: State) -> Annotated[CallToolResult, ValidationReport]:
    """Dry run: check a skill folder and list exactly what would be uploaded, without contacting the API.

    Reports every problem at once (with its fix), each file and its size, the total against the
    30 MB limit, and what was left out and why (e.g. secret-looking files, .git, .skillignore).
    """
    from skills_mcp.workflows import publish as publisher

    with calls.tool_call(ctx):
        report = await publisher.validate(path, calls.allowed(ctx, roots))
        return calls.result(ctx, report, summaries.validated(report, path))


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
    with calls.tool_call(ctx):
        listing = await calls.api(ctx).list_skills(source=source, limit=limit, page=page)
    return calls.result(
        ctx, listing, _page_summary(ctx, summaries.count(len(listing.data), "skill"), listing.next_page)
    )


async def list_skill_versions(
    ctx: State, skill_id: SkillId, limit: Limit = 20, page: Page = None
) -> Annotated[CallToolResult, SkillVersionPage]:
    """List a skill's versions, one page at a time, newest first; next_page is the cursor for the following page."""
    with calls.tool_call(ctx):
        require_ids(calls.wire_of(ctx), skill_id)
        versions = await calls.api(ctx).list_skill_versions(skill_id, limit=limit, page=page)
    what = f"{summaries.count(len(versions.data), 'version')} of {skill_id}"
    return calls.result(ctx, versions, _page_summary(ctx, what, versions.next_page))


async def get_skill(ctx: State, skill_id: SkillId) -> Annotated[CallToolResult, Skill]:
    """Get one skill: its title, source, and newest version."""
    with calls.tool_call(ctx):
        require_ids(calls.wire_of(ctx), skill_id)
        skill = await calls.api(ctx).get_skill(skill_id)
    return calls.result(ctx, skill, summaries.skill(skill))


async def get_skill_version(
    ctx: State,
    skill_id: SkillId,
    version: VersionOrLatest,
) -> Annotated[CallToolResult, SkillVersion]:
    """Get one version of a skill (name, description, when it was made); 'latest' gives the newest."""
    with calls.tool_call(ctx):
        require_ids(calls.wire_of(ctx), skill_id, version)
        found = await calls.api(ctx).get_skill_version(skill_id, version)
    return calls.result(ctx, found, summaries.version_of(found, skill_id))


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

    with calls.tool_call(ctx):
        result = await lifecycle.download(
            calls.api(ctx), calls.allowed(ctx, roots), skill_id, version, destination,
            overwrite=overwrite, reporter=calls.reporter(ctx),
        )  # fmt: skip
    return calls.result(ctx, result, summaries.downloaded(result))


# --- deleting -------------------------------------------------------------------------------------------


async def delete_skill_version(ctx: State, skill_id: SkillId, version: Version) -> Annotated[CallToolResult, Deleted]:
    """Delete one version of a skill. This cannot be undone."""
    with calls.tool_call(ctx):
        require_ids(calls.wire_of(ctx), skill_id, version)
        deleted = await calls.api(ctx).delete_skill_version(skill_id, version)
    return calls.result(ctx, deleted, summaries.deleted_version(deleted.id, skill_id))


async def delete_skill(
    ctx: State,
    skill_id: SkillId,
    delete_versions: Annotated[
        bool, Field(description="Delete every version first (all pages), then the skill. Cannot be undone.")
    ] = False,
) -> Annotated[CallToolResult, DeleteSkillResult]:
    """Delete a skill. A skill that still has versions is refused unless delete_versions is true."""
    from skills_mcp.workflows import lifecycle

    with calls.tool_call(ctx):
        result = await lifecycle.delete_skill(calls.api(ctx), skill_id, delete_versions=delete_versions)
    return calls.result(ctx, result, summaries.deleted_skill(skill_id, result))


def _page_summary(ctx: State, what: str, next_page: str | None) -> str:
    return summaries.page(what, next_page, calls.terms_of(ctx))


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
