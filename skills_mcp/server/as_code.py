"""MCP tools for skills kept as code: rollback_skill, plan_skills (read-only) and sync_skills.

Real annotations, as in tools.py (no `from __future__ import annotations`): the SDK reads them at server build.
"""

from collections.abc import Callable
from typing import Annotated, Any

from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from skills_mcp import summaries
from skills_mcp.api.models import RollbackResult
from skills_mcp.server import calls
from skills_mcp.server.calls import Roots, SkillId, State, Version
from skills_mcp.workflows.plan_result import PlanResult

SkillsDir = Annotated[
    str,
    Field(
        description="The folder that holds your skill folders (each one holding SKILL.md, at any depth), absolute "
        "or starting with ~, e.g. ~/repo/skills. Its skills.lock.json maps each folder to its skill and version.",
        examples=["~/repo/skills"],
    ),
]


async def plan_skills(path: SkillsDir, roots: Roots, ctx: State) -> Annotated[CallToolResult, PlanResult]:
    """Show what sync_skills would do for every skill folder under a folder of skills; changes nothing.

    Each folder is matched to a skill through the folder's skills.lock.json, else by its SKILL.md name,
    and gets one action: create (no such skill), update (with the files added, removed and modified and
    the frontmatter fields changed), unchanged, delete (a skill the lock file records whose folder is
    gone; sync_skills deletes it only with prune=true), or invalid (with every problem; the others go on).
    """
    from skills_mcp.workflows import plan as planner
    from skills_mcp.workflows import sync as syncer

    with calls.tool_call(ctx):
        result = (await planner.plan(calls.api(ctx), calls.allowed(ctx, roots), path)).result()
    return calls.result(ctx, result, syncer.render(result, synced=False))


async def sync_skills(
    path: SkillsDir,
    roots: Roots,
    ctx: State,
    prune: Annotated[
        bool,
        Field(
            description="Also delete skills the lock file records whose folder is gone (with all their versions). "
            "Only skills this lock file recorded are ever deleted. Cannot be undone."
        ),
    ] = False,
) -> Annotated[CallToolResult, PlanResult]:
    """Publish every skill folder under a folder of skills that changed, and record them in its skills.lock.json.

    Applies plan_skills' plan a few skills at a time: creates and updates (a skill whose files did not
    change gets no new version), and with prune=true deletes what the lock file records whose folder is
    gone. A skill that fails does not stop the others: each row says done, failed (with why) or skipped.
    The lock file pins each skill's version, for the Messages API's container.skills.
    """
    from skills_mcp.workflows import sync as syncer

    with calls.tool_call(ctx):
        result = await syncer.sync(
            calls.api(ctx), calls.allowed(ctx, roots), path, prune=prune, reporter=calls.reporter(ctx)
        )
    return calls.result(ctx, result, syncer.render(result, synced=True))


async def rollback_skill(skill_id: SkillId, version: Version, ctx: State) -> Annotated[CallToolResult, RollbackResult]:
    """Roll a skill back: publish an earlier version's files again, as its new newest version.

    The API has no "set latest"; this is how a bad release is undone. Downloads that version,
    validates it as any upload, and uploads the same files. Returns both versions: rolled_back_to
    (the old one) and version (the new newest).
    """
    from skills_mcp.workflows import rollback as rollbacks

    with calls.tool_call(ctx):
        result = await rollbacks.rollback(calls.api(ctx), skill_id, version, calls.reporter(ctx))
    return calls.result(ctx, result, " ".join([summaries.rolled_back(result), *(result.warnings or [])]))


TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (rollback_skill, "Roll a skill back to an earlier version",
     ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)),
    (plan_skills, "Plan a folder of skills (dry run)",
     ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)),
    (sync_skills, "Sync a folder of skills",
     ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)),
]  # fmt: skip
