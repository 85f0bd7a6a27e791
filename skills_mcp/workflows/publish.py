"""The publish path, free of MCP: folder → validation → package → API → version JSON.

Every function validates everything first, so a refused call sends nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio
import anyio.to_thread

from skills_mcp.api.models import FileEntry, LeftOut, ProblemEntry, PublishResult, Skill, SkillVersion, ValidationReport
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import InvalidSkill, SkillsMcpError
from skills_mcp.limits import MAX_UPLOAD_BYTES
from skills_mcp.problems import Problem
from skills_mcp.reporting import Reporter
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.validation import SkillCheck, check_folder
from skills_mcp.terms import ask
from skills_mcp.workflows import compare, same_name
from skills_mcp.workflows.inputs import check_skill_id

# One lock per skill name, for the life of the process (a handful of names: no need to evict). It only
# spares this process needless races; writers elsewhere are reconciled by `_race_winner`.
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
) -> SkillVersion:
    reporter = reporter or Reporter()
    package = await _package(path, allowed, check_skill_id(skill_id), reporter)
    return await api.create_skill_version(skill_id, package, reporter)


async def create_skill(
    api: SkillsAPI,
    allowed: Sequence[Path],
    path: str,
    display_name: str | None = None,
    reporter: Reporter | None = None,
    *,
    allow_duplicate: bool = False,
) -> PublishResult:
    """A new skill; refused when one has the name already, unless `allow_duplicate` (then it is on purpose)."""
    reporter = reporter or Reporter()
    problems = _check_title(display_name)
    package = await _package(path, allowed, problems, reporter)
    name = package.folder_name
    if allow_duplicate:
        return await _read_back(
            api, await api.create_skill(package, display_name=display_name, reporter=reporter), reporter
        )
    async with _name_locks.setdefault(name, anyio.Lock()):
        existing = await find_skills_named(api, name)
        if existing:
            raise SkillsMcpError(*same_name.already_named(name, existing))
        created = await api.create_skill(package, display_name=display_name, reporter=reporter)
        winner, warnings = await _race_winner(api, name, created, reporter)
        if winner is None:
            return await _read_back(api, created, reporter, warnings)
        left = await same_name.remove(api, created)
        raise SkillsMcpError(
            f"Skill {winner.id}, also named '{name}', was created at the same time as this call's "
            f"{created.id} and is older, so {created.id} ",
            *(("could not be removed: ", *left) if left else ("was removed again.",)),
            f" To add a version to {winner.id}, use ",
            ask("publish"),
            "; for a second skill of this name, ",
            ask("create_duplicate"),
            ".",
        )


async def publish_skill(
    api: SkillsAPI,
    allowed: Sequence[Path],
    path: str,
    skill_id: str | None = None,
    reporter: Reporter | None = None,
    *,
    force: bool = False,
) -> PublishResult:
    """Add a version to the skill with this name, or create the skill when there is none. A version is added
    only when the files differ from the newest version's (action "unchanged" otherwise), unless `force`."""
    reporter = reporter or Reporter()
    package = await _package(path, allowed, check_skill_id(skill_id) if skill_id is not None else [], reporter)
    if skill_id is not None:
        return await _add_version(api, skill_id, package, reporter, skip_unchanged=not force)
    name = package.folder_name
    async with _name_locks.setdefault(name, anyio.Lock()):
        found = await _the_skill_named(api, name, reporter)
        if found is not None:
            await reporter.say(f"Adding a version to {found.id}, the skill named '{name}'.")
            return await _add_version(api, found.id, package, reporter, skill=found, skip_unchanged=not force)
        await reporter.say(f"No skill is named '{name}' yet; creating it.")
        return await create_converging(api, package, reporter)


async def create_converging(
    api: SkillsAPI, package: Package, reporter: Reporter, *, known: dict[str, str | None] | None = None
) -> PublishResult:
    """Create the skill for a name no skill had a moment ago. Writers that raced to do the same settle on
    the oldest skill of the name (issue 10): ours, or, if another is older, the version moves there.

    `known` (a sync's creates): skill names already read, by id; the race is then looked for among the
    newest skills only, reading just the names not known, instead of every skill's per create."""
    created = await api.create_skill(package, reporter=reporter)
    name = package.folder_name
    if known is not None:
        known[created.id] = name

    async def rivals() -> list[Skill]:
        if known is None:
            return await find_skills_named(api, name)
        return (await same_name.skills_named(api, {name}, known=known, newest_page=True)).get(name, [])

    winner, warnings = await _race_winner(api, name, created, reporter, rivals)
    if winner is None:
        return await _read_back(api, created, reporter, warnings)
    return await _move(api, package, created, winner, reporter)


async def _the_skill_named(api: SkillsAPI, name: str, reporter: Reporter) -> Skill | None:
    """The one skill with this name, or None; several are a choice for a person, unless they are a race
    of find-or-create writers that is still settling on the oldest (then wait for it, within bounds)."""
    matches = await find_skills_named(api, name)
    if len(matches) <= 1:
        return matches[0] if matches else None
    racing = same_name.maybe_racing(matches)
    if racing:
        await reporter.say(
            f"{len(matches)} skills named '{name}' were made moments ago; waiting for the publishes that made "
            f"them to settle on the oldest, {matches[0].id}."
        )
        if await same_name.settled(api, matches[1:], min(same_name.SETTLE_MAX, api.settings.retry.budget / 4)):
            return matches[0]
    raise SkillsMcpError(*same_name.several_named(name, matches, racing))


async def _race_winner(
    api: SkillsAPI,
    name: str,
    created: Skill,
    reporter: Reporter,
    find: Callable[[], Awaitable[list[Skill]]] | None = None,
) -> tuple[Skill | None, list[str]]:
    """After a create: the older skill of this name that wins over ours (None if ours is the oldest).

    Every writer applies the same rule to the same listing, wherever it runs, so all settle on one skill.
    """
    try:
        rivals = {s.id: s for s in await (find() if find is not None else find_skills_named(api, name))}
    except SkillsMcpError as exc:
        return None, [
            reporter.terms.say(
                f"Whether another call created a skill named '{name}' at the same moment could not be checked (",
                exc,
                "); ",
                ask("list"),
                " shows the skills.",
            )
        ]
    rivals.setdefault(created.id, created)  # a listing that does not show ours yet
    winner = same_name.oldest_first(rivals.values())[0]
    return (None if winner.id == created.id else winner), []


async def _move(api: SkillsAPI, package: Package, created: Skill, winner: Skill, reporter: Reporter) -> PublishResult:
    """Our skill lost a race: the same package becomes a version of the winner, then ours goes."""
    await reporter.say(
        f"Another call created '{package.folder_name}' at the same moment; {winner.id} is older, so this "
        f"version goes there and {created.id} is removed."
    )
    try:
        moved = await _add_version(api, winner.id, package, reporter, skill=winner)
    except SkillsMcpError as exc:
        left = await same_name.remove(api, created)
        raise SkillsMcpError(
            f"This call created skill {created.id}, but {winner.id} of the same name is older, and adding "
            "the version to it failed: ",
            exc,
            f" {created.id} ",
            *(("could not be removed: ", *left) if left else ("was removed again.",)),
        ) from None
    left = await same_name.remove(api, created)
    if left:
        moved.warnings = [reporter.terms.say(f"The version is on {winner.id}, but the duplicate {created.id} made by "
                                             "this call could not be removed: ", *left)]  # fmt: skip
    return moved


async def _add_version(
    api: SkillsAPI,
    skill_id: str,
    package: Package,
    reporter: Reporter,
    skill: Skill | None = None,
    *,
    skip_unchanged: bool = False,
) -> PublishResult:
    """One read of the skill before (`skill`, when the caller has it) and none after: its newest version
    is now the one just made, so the result shows it without asking again. `skip_unchanged`: compare first
    (see `compare`), and upload nothing when the newest version holds these very files."""
    skill = skill if skill is not None else await api.get_skill(skill_id)
    if skip_unchanged and (same := await compare.unchanged_result(api, skill, package, reporter)) is not None:
        return same
    version = await api.create_skill_version(skill_id, package, reporter, skill=skill)
    return PublishResult(action="created_version", skill=skill.with_newest(version), version=version)


async def find_skills_named(api: SkillsAPI, name: str) -> list[Skill]:
    """Custom skills named `name`, oldest first (see `same_name.skills_named`)."""
    return (await same_name.skills_named(api, {name})).get(name, [])


async def _read_back(
    api: SkillsAPI, created: Skill, reporter: Reporter, warnings: list[str] | None = None
) -> PublishResult:
    """The created skill with its first version. The create has landed, so a failed read is a warning, never
    an error: an agent told "error" would create the skill again."""
    warnings = list(warnings or [])
    ref = created.latest  # the version this create made, even if others were added since
    version: SkillVersion | None = None
    try:
        version = await api.get_skill_version(created.id, ref or "latest")
    except SkillsMcpError as exc:
        warnings.append(
            reporter.terms.say(
                "The skill was created, but its new version could not be read back (",
                exc,
                "). Do not create it again: ",
                ask("show_version", created.id, ref or "latest"),
                " shows it.",
            )
        )
    return PublishResult(action="created_skill", skill=created, version=version, warnings=warnings or None)


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
    return check.package()


def _check_title(display_name: str | None) -> list[Problem]:
    if display_name is None:
        return []
    if not display_name.strip() or len(display_name) > 255 or not display_name.isprintable():
        return [
            Problem(
                "display_name",
                "must be one line of 1 to 255 printable characters.",
                "shorten it, or leave it out to use the SKILL.md name.",
            )
        ]
    return []
