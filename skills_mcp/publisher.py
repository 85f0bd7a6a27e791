"""The publish path, free of MCP: folder → validation → package → API → version JSON.

Every function validates everything first, so a refused call sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from .api_client import SkillsAPI
from .errors import InvalidSkill, SkillsMcpError
from .limits import MAX_UPLOAD_BYTES
from .models import FileEntry, LeftOut, ProblemEntry, PublishResult, Skill, SkillVersion, ValidationReport
from .packaging import Package
from .problems import Problem
from .reporting import Reporter
from .validation import SkillCheck, check_folder, check_skill_id

# Listing skills to find one by name: the largest page every API version accepts.
FIND_PAGE_SIZE = 100
FIND_CONCURRENCY = 8
# One lock per skill name, for the life of the process (a handful of names: no need to evict).
_name_locks: dict[str, anyio.Lock] = {}


async def validate(path: str, allowed: Sequence[Path]) -> ValidationReport:
    """A dry run: what would be uploaded and every problem, without contacting the API."""
    check = await _check(path, allowed)
    scan = check.scan
    name = check.frontmatter.get("name") if check.frontmatter else None
    return ValidationReport(
        ok=check.ok,
        folder=str(check.root) if check.root else None,
        name=name if isinstance(name, str) else None,
        problems=[ProblemEntry(where=p.where, message=p.message, fix=p.fix) for p in check.problems],
        files=[FileEntry(path=f"{check.folder_name}/{f.relpath}", size=f.size) for f in scan.files] if scan else [],
        total_bytes=scan.total_bytes if scan else 0,
        limit_bytes=MAX_UPLOAD_BYTES,
        left_out=[LeftOut(path=s.relpath, reason=s.reason) for s in scan.skipped] if scan else [],
    )


async def create_skill_version(
    api: SkillsAPI, allowed: Sequence[Path], skill_id: str, path: str, reporter: Reporter | None = None
) -> dict[str, Any]:
    reporter = reporter or Reporter()
    package = await _package(path, allowed, check_skill_id(skill_id), reporter)
    return await api.create_skill_version(skill_id, package, reporter)


async def create_skill(
    api: SkillsAPI,
    allowed: Sequence[Path],
    path: str,
    display_title: str | None = None,
    reporter: Reporter | None = None,
) -> PublishResult:
    reporter = reporter or Reporter()
    problems = _check_title(display_title)
    package = await _package(path, allowed, problems, reporter)
    return await _create_skill(api, package, display_title, reporter)


async def publish_skill(
    api: SkillsAPI, allowed: Sequence[Path], path: str, skill_id: str | None = None, reporter: Reporter | None = None
) -> PublishResult:
    """Add a version to the skill with this name, or create the skill when there is none."""
    reporter = reporter or Reporter()
    package = await _package(path, allowed, check_skill_id(skill_id) if skill_id is not None else [], reporter)
    if skill_id is not None:
        return await _add_version(api, skill_id, package, reporter)
    # Two calls at once for a new name must not both create it: find-or-create runs one at a time per name.
    async with _name_locks.setdefault(package.folder_name, anyio.Lock()):
        matches = await find_skills_named(api, package.folder_name)
        if len(matches) > 1:
            ids = ", ".join(s["id"] for s in matches)
            raise SkillsMcpError(
                f"Nothing was uploaded: {len(matches)} skills are named '{package.folder_name}' ({ids}). "
                "Call publish_skill again with skill_id set to the one to update."
            )
        if not matches:
            await reporter.say(f"No skill is named '{package.folder_name}' yet; creating it.")
            return await _create_skill(api, package, None, reporter)
        await reporter.say(f"Adding a version to {matches[0]['id']}, the skill named '{package.folder_name}'.")
        return await _add_version(api, matches[0]["id"], package, reporter, skill=matches[0])


async def _add_version(
    api: SkillsAPI, skill_id: str, package: Package, reporter: Reporter, skill: dict[str, Any] | None = None
) -> PublishResult:
    """One read of the skill before (`skill`, when the caller has it) and none after: its newest version
    is now the one just made, so the result shows it without asking again."""
    skill = skill if skill is not None else await api.get_skill(skill_id)
    version = await api.create_skill_version(skill_id, package, reporter, skill=skill)
    now = {"updated_at": version.get("created_at") or skill.get("updated_at")}
    if "latest_version" in skill:
        now["latest_version"] = version.get("version")
    if "latest_version_id" in skill:
        now["latest_version_id"] = version.get("id")
    return PublishResult(
        action="created_version",
        skill=Skill.model_validate({**skill, **now}),
        version=SkillVersion.model_validate(version),
    )


async def find_skills_named(api: SkillsAPI, name: str) -> list[dict[str, Any]]:
    """Custom skills whose latest version carries `name`: the name lives on versions, titles are not unique."""
    skills = await api.all_skills(source="custom", page_size=FIND_PAGE_SIZE)
    matches: list[dict[str, Any]] = []
    limiter = anyio.CapacityLimiter(FIND_CONCURRENCY)

    async def check(skill: dict[str, Any]) -> None:
        if not (skill.get("latest_version") or skill.get("latest_version_id")):
            return
        async with limiter:
            latest = await api.get_skill_version(skill["id"], "latest")
        if latest.get("name") == name:
            matches.append(skill)

    async with anyio.create_task_group() as tg:
        for skill in skills:
            tg.start_soon(check, skill)
    return sorted(matches, key=lambda s: str(s["id"]))


async def _create_skill(
    api: SkillsAPI, package: Package, display_title: str | None, reporter: Reporter
) -> PublishResult:
    skill = await api.create_skill(package, display_title=display_title, reporter=reporter)
    version = await api.get_skill_version(skill["id"], "latest")
    return PublishResult(
        action="created_skill", skill=Skill.model_validate(skill), version=SkillVersion.model_validate(version)
    )


async def _check(path: str, allowed: Sequence[Path]) -> SkillCheck:
    return await anyio.to_thread.run_sync(check_folder, path, allowed)  # file system work off the event loop


async def _package(path: str, allowed: Sequence[Path], earlier: list[Problem], reporter: Reporter) -> Package:
    check = await _check(path, allowed)
    problems = earlier + check.problems
    if problems or check.scan is None:
        raise InvalidSkill(problems)
    if check.scan.skipped:
        left_out = ", ".join(f"{s.relpath} ({s.reason})" for s in check.scan.skipped[:10])
        more = len(check.scan.skipped) - 10
        await reporter.say(f"Left out of the upload: {left_out}" + (f" and {more} more" if more > 0 else ""))
    return Package(check.folder_name, check.scan.files)


def _check_title(display_title: str | None) -> list[Problem]:
    if display_title is None:
        return []
    if not display_title.strip() or len(display_title) > 255 or not display_title.isprintable():
        return [
            Problem(
                "display_title",
                "must be one line of 1 to 255 printable characters.",
                "shorten it, or leave it out to use the SKILL.md name.",
            )
        ]
    return []
