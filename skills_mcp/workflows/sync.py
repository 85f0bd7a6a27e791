"""`sync`: apply a plan, a few skills at a time, past any one that fails, then write the lock file.

The lock file records, per folder, the skill and the version now pinned, so the next plan compares
hashes without a download and a team can pin those versions in its Messages API calls. Entries are
rewritten only for skills this sync published or found unchanged: an entry whose skill is gone, or
whose folder failed, stays as it was, to be looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.to_thread

from skills_mcp.api.models import Skill, SkillVersion
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import ConfigError, SkillsMcpError
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.content_hash import FileDigest, content_hash, package_digests
from skills_mcp.workflows import lifecycle, pool
from skills_mcp.workflows import publish as publisher
from skills_mcp.workflows.lockfile import LockEntry, utc_now
from skills_mcp.workflows.plan import DEFAULT_CONCURRENCY, Planned, Work, package_of, plan
from skills_mcp.workflows.plan_result import ACTIONS, PlanResult

_SIGNS = {"create": "+", "update": "~", "unchanged": "=", "delete": "-", "invalid": "!"}


async def sync(
    api: SkillsAPI,
    allowed: Sequence[Path],
    path: str,
    *,
    prune: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    reporter: Reporter = QUIET,
) -> PlanResult:
    """Plan, then create, update and (with `prune`) delete; one progress line per skill done."""
    planned = await plan(api, allowed, path, concurrency=concurrency, detail=False)
    written: set[str] = set()  # folders whose entry this sync wrote (over the old one, which is then freed)
    done = 0

    async def apply(work: Work) -> None:
        nonlocal done
        try:
            with api.fresh_budget():
                entry = await _apply(api, planned, work, prune=prune)
            if entry is not None:
                planned.lock.entries[entry.folder] = entry
                written.add(entry.folder)
            work.lock = None
        except ConfigError:
            raise  # the same for every skill: said once
        except SkillsMcpError as exc:
            work.error = exc
            work.row.problems.append(str(exc))
            work.row.status = "failed"
        done += 1
        await reporter.say(f"[{done}/{len(planned.works)}] {progress_line(work)}")

    try:
        await pool.each(planned.works, concurrency, apply)
    except* ConfigError as group:
        raise group.exceptions[0] from None
    await _save_lock(planned, written)
    return planned.result()


async def _apply(api: SkillsAPI, planned: Planned, work: Work, *, prune: bool) -> LockEntry | None:
    """Do what the plan says for one skill; the lock entry to record, if any."""
    row = work.row
    if row.action == "invalid":
        row.status = "failed"
        return None
    if row.action == "delete":
        return await _delete(api, work, prune=prune)
    if row.action == "create":
        package = await package_of(work, planned.allowed)
        digests = await anyio.to_thread.run_sync(package_digests, package)  # for the lock entry
        # The plan's one listing found no skill of this name a moment ago. Another writer (a second sync, a
        # publish) may be creating it too: as publish_skill does, every writer settles on the oldest of the name.
        result = await publisher.create_converging(api, package, QUIET, known=planned.names)
        skill, version = result.skill, result.version
    elif row.action == "update":
        assert work.skill is not None
        package = await package_of(work, planned.allowed)
        digests = await anyio.to_thread.run_sync(package_digests, package)
        version = await api.create_skill_version(work.skill.id, package, QUIET, skill=work.skill)
        skill = work.skill
    else:  # unchanged
        assert work.skill is not None
        if work.lock is not None and work.comparison is not None and work.comparison.decided_by == "lock":
            row.status, row.version = "done", work.lock.version
            return work.lock  # as it was: the same bytes in the lock file
        comparison = work.comparison
        known = comparison.version if comparison is not None else None
        skill, version = work.skill, known or await _newest(api, work.skill)
        digests = await anyio.to_thread.run_sync(package_digests, await package_of(work, planned.allowed))
        if content_hash(digests) != work.local_hash:
            raise SkillsMcpError(f"{row.path} changed after it was compared, so it is not recorded as unchanged. "
                                 "Sync again.")  # fmt: skip
    row.status, row.skill_id = "done", skill.id
    work.skill = work.comparison = None  # what the plan held for it, no longer needed
    return _entry(work, skill, version, digests)


async def _delete(api: SkillsAPI, work: Work, *, prune: bool) -> LockEntry | None:
    """Only with prune, only a skill the lock recorded, and only when the search for folders finished."""
    row = work.row
    if (row.problems and work.skill is not None) or not prune:
        row.status = "skipped"
        if not prune:
            row.problems.append("Not deleted: sync deletes only with --prune (prune=true).")
        return work.lock
    if work.skill is not None:
        await lifecycle.delete_skill(api, row.skill_id or "", delete_versions=True)
    row.status = "done"
    return None


async def _newest(api: SkillsAPI, skill: Skill) -> SkillVersion | None:
    """The newest version, to pin and to date (a skill found unchanged without a current lock entry)."""
    return await api.get_skill_version(skill.id, skill.latest) if skill.latest else None


def _entry(work: Work, skill: Skill, version: SkillVersion | None, digests: list[FileDigest]) -> LockEntry:
    ref = version.ref if version is not None else skill.latest or ""
    work.row.version = ref
    when = (version.created_at if version is not None else None) or skill.updated_at or utc_now()
    return LockEntry(
        folder=work.row.path,
        skill_id=skill.id,
        version=ref,
        content_hash=content_hash(digests),
        name=work.row.name or "",
        published_at=str(when),
        files={d.path: d.sha256 for d in digests},
    )


async def _save_lock(planned: Planned, written: set[str]) -> None:
    """The old entries, with this sync's written over them (`written`); deletes done and folders moved drop out."""
    lock = planned.lock
    rows = {w.row.path: w for w in planned.works}
    moved_to = {lock.entries[folder].skill_id for folder in written}
    for folder, entry in list(lock.entries.items()):
        if folder in written:
            continue
        work = rows.get(folder)
        if work is None and entry.skill_id in moved_to:
            del lock.entries[folder]  # its folder moved, and the new folder's entry names the skill
        elif work is not None and work.row.action == "delete" and work.row.status == "done":
            del lock.entries[folder]
    try:
        await anyio.to_thread.run_sync(lock.save)
    except OSError as exc:
        raise SkillsMcpError(
            f"The skills were synced, but the lock file {lock.path} could not be written: {exc.strerror or exc}. "
            "Fix the folder's permissions or free space, then sync again (it finds them unchanged)."
        ) from None


def progress_line(work: Work) -> str:
    """One skill as a plan line: `~ update    team/pdf-tools  skill_01...`, and after sync what became of it."""
    row = work.row
    text = f"{_SIGNS[row.action]} {row.action:<9} {row.path}"
    if row.name and row.name != row.path.rsplit("/", 1)[-1]:
        text += f" ({row.name})"
    text += f"  {row.skill_id}" if row.skill_id else ""
    if row.status in ("failed", "skipped"):
        return f"{text}: {row.status}"
    if row.action == "delete" and row.status == "done":
        return f"{text}: deleted"
    return text + (f" -> {row.version}" if row.version else "")


def render(result: PlanResult, *, synced: bool) -> str:
    """A plan a person reviews: one line per skill, then its changed files indented; the counts last."""
    lines = [f"problem: {p}" for p in result.problems]
    for work_row in result.skills:
        lines.append(progress_line(Work(work_row)))
        changes = work_row.changes
        lines += [f"    + {f}" for f in changes.added] + [f"    - {f}" for f in changes.removed]
        lines += [f"    ~ {f}" for f in changes.modified]
        lines += [f"    frontmatter: {', '.join(changes.frontmatter)}"] if changes.frontmatter else []
        lines += ["    " + p.replace("\n", "\n      ") for p in work_row.problems]
    s = result.summary
    if synced:
        done = {a: sum(r.action == a and r.status == "done" for r in result.skills) for a in ACTIONS}
        failed = sum(r.status == "failed" for r in result.skills)
        lines.append(f"Synced: {done['create']} created, {done['update']} updated, {done['unchanged']} unchanged, "
                     f"{done['delete']} deleted, {failed} failed; lock file {result.lock_file}.")  # fmt: skip
    else:
        lines.append(f"Plan: {s.create} to create, {s.update} to update, {s.unchanged} unchanged, {s.delete} to "
                     f"delete, {s.invalid} invalid.")  # fmt: skip
    return "\n".join(lines)
