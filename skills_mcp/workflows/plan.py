"""`plan`: what a sync of a folder of skills would do, skill by skill, without changing anything.

Each skill folder under DIR is matched to a skill through the lock file first (by folder), else by
name among the custom skills, and compared with that skill's newest version, cheapest first (see
compare.py): with the lock current, one small read per skill and no download.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from skills_mcp.api.models import Skill
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import APIError, ConfigError, InvalidSkill, SkillsMcpError
from skills_mcp.problems import Problem
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.discover import Discovery, discover, is_skill_folder
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.paths import resolve_allowed
from skills_mcp.skill.validation import check_folder
from skills_mcp.terms import TOOL
from skills_mcp.workflows import pool, same_name
from skills_mcp.workflows.compare import Comparison, compare_with_newest
from skills_mcp.workflows.inputs import refuse
from skills_mcp.workflows.lockfile import LockEntry, LockFile
from skills_mcp.workflows.plan_result import ACTIONS, Changes, PlannedSkill, PlanResult, Summary

DEFAULT_CONCURRENCY = 4


@dataclass
class Work:
    """One skill on its way through plan and sync. Small on purpose: a plan holds one per skill, so the
    folder's scan (its file list) and file digests are read again where needed and dropped after use."""

    row: PlannedSkill
    root: Path | None = None  # the folder on disk; None for a delete
    description: str = ""
    lock: LockEntry | None = None  # this folder's lock entry
    skill: Skill | None = None
    comparison: Comparison | None = None  # without its digests
    local_hash: str | None = None  # the folder's content hash, when comparing it read the files
    error: SkillsMcpError | None = None

    def invalid(self, problems: list[Problem] | list[str], error: SkillsMcpError | None = None) -> None:
        self.row.action = "invalid"
        self.row.problems += [str(p) for p in problems]
        self.error = error or InvalidSkill([p for p in problems if isinstance(p, Problem)])


@dataclass
class Planned:
    """A plan and what sync needs to apply it."""

    root: Path
    lock: LockFile
    works: list[Work]
    problems: list[Problem]
    allowed: Sequence[Path]
    names: dict[str, str | None]  # skill names the plan read, by id: a sync's creates need not read them again

    def result(self) -> PlanResult:
        rows = [w.row for w in self.works]
        counts = {a: sum(r.action == a for r in rows) for a in ACTIONS}
        result = PlanResult(
            skills=rows,
            summary=Summary(**counts),
            problems=[str(p) for p in self.problems],
            lock_file=str(self.lock.path),
        )
        result._errors = [w.error for w in self.works if w.error is not None]
        if self.problems:
            result._errors.insert(0, InvalidSkill(self.problems, heading="The folder of skills"))
        return result


async def plan(
    api: SkillsAPI,
    allowed: Sequence[Path],
    path: str,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    detail: bool = True,
    reporter: Reporter = QUIET,
) -> Planned:
    """Match and compare every skill folder under `path`; nothing is uploaded or deleted.

    `detail` names the files that changed even when that takes a download (plan does; sync need not).
    """
    root = _root(path, allowed)
    found, lock = await anyio.to_thread.run_sync(lambda: (discover(root), LockFile.load(root)))
    works = [Work(PlannedSkill(name=None, path=f, skill_id=None, action="create"), root / f) for f in found.folders]
    works += [_linked(f) for f in found.linked]
    await _each(api, works, concurrency, lambda w: _validate(w, allowed, lock))
    _same_name_folders(works)
    names: dict[str, str | None] = {}
    await _match(api, works, concurrency, names)
    await _each(api, works, concurrency, lambda w: _compare(api, w, allowed, detail=detail))
    works += await _deletes(api, lock, found, works, concurrency)
    works.sort(key=lambda w: w.row.path)
    await reporter.say(f"Planned {len(works)} skill(s) under {root}.")
    return Planned(root, lock, works, found.problems, allowed, names)


def _root(path: str, allowed: Sequence[Path]) -> Path:
    root, problems = resolve_allowed(path, allowed)
    if root is not None and not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        problems.append(Problem("path", f"{root} {what}.", "pass the folder that holds your skill folders."))
    elif root is not None and is_skill_folder(root):
        problems.append(
            Problem(
                "path",
                f"{root} is itself a skill folder (it holds SKILL.md).",
                "pass the folder that holds your skill folders (its parent), or publish this one with publish.",
            )
        )
    refuse(problems, "Nothing was planned")
    assert root is not None
    return root


def _linked(folder: str) -> Work:
    work = Work(PlannedSkill(name=Path(folder).name, path=folder, skill_id=None, action="invalid"))
    work.invalid([Problem(folder, "is a symlink; plan and sync do not follow links.",
                          "move the skill folder here, or run plan on the folder the link points into.")])  # fmt: skip
    return work


async def _each(api: SkillsAPI, works: list[Work], concurrency: int, step: Callable[[Work], Awaitable[None]]) -> None:
    """`step` for every work still in play, at most `concurrency` at once; one skill's failure is its own."""

    async def one(work: Work) -> None:
        try:
            with api.fresh_budget():
                await step(work)
        except ConfigError:
            raise  # no key, a bad base URL: the same for every skill, so said once
        except SkillsMcpError as exc:
            work.invalid([str(exc)], exc)

    try:
        await pool.each([w for w in works if w.row.action != "invalid"], concurrency, one)
    except* ConfigError as group:
        raise group.exceptions[0] from None


async def _validate(work: Work, allowed: Sequence[Path], lock: LockFile) -> None:
    assert work.root is not None
    check = await anyio.to_thread.run_sync(check_folder, str(work.root), allowed)
    name = check.frontmatter.get("name") if check.frontmatter else None
    work.row.name = name if isinstance(name, str) else work.root.name
    work.lock = lock.entries.get(work.row.path)
    work.row.skill_id = work.lock.skill_id if work.lock is not None else None
    if check.problems or check.scan is None:
        work.invalid(check.problems)
        return
    assert check.frontmatter is not None
    work.description = str(check.frontmatter.get("description") or "")


async def package_of(work: Work, allowed: Sequence[Path]) -> Package:
    """The folder, checked again and ready to upload: what is on disk now, the only package held for it."""
    assert work.root is not None
    check = await anyio.to_thread.run_sync(check_folder, str(work.root), allowed)
    if check.problems or check.scan is None:
        raise InvalidSkill(check.problems, heading=f"{work.row.path} changed since it was checked")
    return check.package()


def _same_name_folders(works: list[Work]) -> None:
    """Two folders of one name would publish to one skill: both are refused, naming each other."""
    by_name: dict[str, list[Work]] = {}
    for work in works:
        if work.row.action != "invalid" and work.row.name:
            by_name.setdefault(work.row.name, []).append(work)
    for name, group in by_name.items():
        if len(group) > 1:
            where = ", ".join(w.row.path for w in group)
            for work in group:
                work.invalid([Problem(work.row.path, f"holds skill '{name}', and so do other folders: {where}.",
                                      "keep one folder per skill name; rename or remove the others.")])  # fmt: skip


async def _match(api: SkillsAPI, works: list[Work], concurrency: int, names: dict[str, str | None]) -> None:
    """The lock file first (one read of the skill it names), else by name among the custom skills."""
    await _each(api, [w for w in works if w.lock is not None], concurrency, lambda w: _by_lock(api, w))
    unmatched = [w for w in works if w.row.action == "create" and w.lock is None]
    if not unmatched:
        return  # a current lock costs no listing at all
    named = await same_name.skills_named(api, {w.row.name for w in unmatched if w.row.name}, concurrency, known=names)
    for work in unmatched:
        matches = named.get(work.row.name or "", [])
        if len(matches) > 1:
            text = TOOL.say(*same_name.several_named(work.row.name or "", matches, same_name.maybe_racing(matches)))
            work.invalid([Problem(work.row.path, text, "delete the skills of this name you do not need "
                                  "(skills-mcp delete SKILL_ID --all-versions), then sync again.")])  # fmt: skip
        elif matches:
            work.skill = matches[0]
            work.row.skill_id = matches[0].id


async def _skill_or_none(api: SkillsAPI, skill_id: str) -> Skill | None:
    """The skill a lock entry names, or None when the workspace no longer has it."""
    try:
        return await api.get_skill(skill_id)
    except APIError as exc:
        if exc.status != 404:
            raise
        return None


async def _by_lock(api: SkillsAPI, work: Work) -> None:
    assert work.lock is not None
    work.skill = await _skill_or_none(api, work.lock.skill_id)
    if work.skill is None:
        work.invalid([_lock_gone(work.lock)])
        return
    work.row.skill_id = work.lock.skill_id


def _lock_gone(entry: LockEntry) -> Problem:
    return Problem(
        f"skills.lock.json: {entry.folder}",
        f"names skill {entry.skill_id}, which no longer exists in this workspace (or this key cannot see it).",
        "check ANTHROPIC_API_KEY and --workspace-id; if the skill was deleted on purpose, remove this entry from "
        "skills.lock.json and sync again to create it anew.",
    )


async def _compare(api: SkillsAPI, work: Work, allowed: Sequence[Path], *, detail: bool) -> None:
    if work.skill is None or work.row.action == "invalid":
        return  # a create: nothing to compare with
    lock = work.lock if work.lock is not None and work.lock.skill_id == work.skill.id else None
    name = work.row.name or ""
    package = await package_of(work, allowed)
    work.comparison = await compare_with_newest(api, work.skill, package, name, work.description, lock, detail=detail)
    work.local_hash = work.comparison.local_hash
    work.row.action = "unchanged" if work.comparison.unchanged else "update"
    if work.comparison.changes is not None and not work.comparison.unchanged:
        work.row.changes = Changes.model_validate(work.comparison.changes, from_attributes=True)
    # Kept for sync: how it was decided, and an unchanged skill's version (to pin). The rest is in the row, or
    # read again from the folder by the sync that applies it.
    work.comparison.digests, work.comparison.changes = [], None
    if not work.comparison.unchanged:
        work.comparison.version = None


async def _deletes(api: SkillsAPI, lock: LockFile, found: Discovery, works: list[Work], concurrency: int) -> list[Work]:
    """Lock entries whose folder is gone. Only skills this lock recorded, and never one a folder still uses
    (a folder that moved is matched again by name: its old entry just goes)."""
    present = {w.row.path for w in works}
    claimed = {w.row.skill_id for w in works if w.row.skill_id}
    gone = [e for e in lock.entries.values() if e.folder not in present and e.skill_id not in claimed]
    rows = [Work(PlannedSkill(name=e.name, path=e.folder, skill_id=e.skill_id, action="delete"), lock=e) for e in gone]
    if found.problems:
        for work in rows:
            work.row.problems.append("Not deleted: the search for skill folders had problems (see above), so "
                                     "the folder may still be there. Fix them, then sync again.")  # fmt: skip

    async def still_there(work: Work) -> None:
        assert work.lock is not None
        work.skill = await _skill_or_none(api, work.lock.skill_id)
        if work.skill is None:
            work.row.problems.append(f"Skill {work.lock.skill_id} is already gone from the workspace; sync --prune "
                                     "removes its entry from the lock file.")  # fmt: skip

    await _each(api, rows, concurrency, still_there)
    return rows
