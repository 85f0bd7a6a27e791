"""Skills that share a name: which one wins, when several are a race still settling, how to list them.

The name lives on versions, and the API lets any number of skills carry one. Find-or-create writers
that race each create one; they settle on the oldest (by created_at, then id), a rule every writer
applies alike wherever it runs. Skills of one name made on purpose are for a person to choose from.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta

import anyio

from skills_mcp.api.models import Skill
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import APIError, SkillsMcpError
from skills_mcp.terms import Part, ask
from skills_mcp.workflows import pool

# Skills of one name all made within this long of each other and of now may be racing writers that
# have not settled yet; a writer settles within its own call, whose budget is 50 s by default.
RACE_WINDOW = timedelta(seconds=120)
# How long a finder waits for such a race to settle: at most this, and at most a quarter of the budget.
SETTLE_MAX = 15.0
# Listing skills to find them by name: the largest page every API version accepts, and reads at once.
FIND_PAGE_SIZE = 100
FIND_CONCURRENCY = 8


async def skills_named(
    api: SkillsAPI,
    names: Collection[str],
    concurrency: int = FIND_CONCURRENCY,
    *,
    known: dict[str, str | None] | None = None,
    newest_page: bool = False,
) -> dict[str, list[Skill]]:
    """Custom skills whose newest version carries one of `names`, by name, oldest first. The name lives on
    versions and titles are not unique, so: one listing, then one read of each skill's newest version (for
    all the names at once: a folder of skills asks once, not once per folder).

    `known`: names already read, by skill id; used instead of a read, and filled in, so a sync that creates
    many skills reads each other skill's name once. `newest_page`: only the listing's first page, the newest
    skills (listings are newest first, as api/landed.py relies on too): enough to see a race after a create.
    """
    if newest_page:
        skills = (await api.list_skills(source="custom", limit=FIND_PAGE_SIZE)).data
    else:
        skills = await api.all_skills(source="custom", page_size=FIND_PAGE_SIZE)
    known = {} if known is None else known
    found: dict[str, list[Skill]] = {}
    failures: list[SkillsMcpError] = []

    async def read(skill: Skill) -> None:
        if skill.id in known:
            name = known[skill.id]
        elif skill.latest is None:  # no version, so no name
            return
        else:
            try:
                name = known[skill.id] = (await api.get_skill_version(skill.id, "latest")).name
            except APIError as exc:
                if exc.status != 404:  # a 404: deleted, or emptied, since it was listed; it has no name now
                    failures.append(exc)
                return
            except SkillsMcpError as exc:  # kept, to be raised as itself rather than in an ExceptionGroup
                failures.append(exc)
                return
        if name is not None and name in names:
            found.setdefault(name, []).append(skill)

    await pool.each(skills, concurrency, read)
    if failures:
        raise failures[0]
    return {name: oldest_first(matches) for name, matches in found.items()}


async def remove(api: SkillsAPI, skill: Skill) -> tuple[Part, ...] | None:
    """Delete a skill this call made, its version first; what went wrong (with what to do), or None."""
    try:
        ref = skill.latest
        for version in [ref] if ref else [v.ref for v in await api.all_skill_versions(skill.id)]:
            await api.delete_skill_version(skill.id, version)
        await api.delete_skill(skill.id)
    except SkillsMcpError as exc:
        return (exc, " Delete it with ", ask("delete_skill_all", skill.id), ".")
    return None


async def settled(api: SkillsAPI, younger: list[Skill], limit: float) -> bool:
    """Whether every younger skill went away (its writer moved its version to the oldest) within `limit`."""
    give_up = time.monotonic() + limit
    delay = 0.1
    while True:
        left = [skill for skill in younger if await still_named(api, skill.id)]
        if not left:
            return True
        if time.monotonic() + delay > give_up:
            return False
        await anyio.sleep(delay)
        delay = min(delay * 2, 2.0)
        younger = left


async def still_named(api: SkillsAPI, skill_id: str) -> bool:
    """A skill without versions carries no name any more; a deleted one is a 404."""
    try:
        return (await api.get_skill(skill_id)).latest is not None
    except APIError as exc:
        if exc.status == 404:
            return False
        raise


def oldest_first(skills: Iterable[Skill]) -> list[Skill]:
    """Oldest first by created_at (an unreadable time counts as newest), then by id: the first one wins."""
    return sorted(skills, key=lambda s: (_created(s) or datetime.max.replace(tzinfo=UTC), s.id))


def _created(skill: Skill) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(skill.created_at))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def maybe_racing(skills: list[Skill]) -> bool:
    """Whether these may be racing writers' skills, not settled yet: all made moments ago, together."""
    times = [when for s in skills if (when := _created(s)) is not None]
    if len(times) < len(skills) or not times:
        return False
    return max(times) - min(times) <= RACE_WINDOW and abs(datetime.now(UTC) - max(times)) <= RACE_WINDOW


def _listed(skills: list[Skill]) -> str:
    """One line per skill: what a person needs to tell them apart."""
    lines = []
    for skill in skills:
        lines.append(
            f"- {skill.id}: " + (f"title '{skill.title}'" if skill.title else "no title")
            + f", created {skill.created_at or 'at an unknown time'}"
            + f", newest version {skill.latest or 'unknown'}"
        )  # fmt: skip
    return "\n".join(lines)


def several_named(name: str, skills: list[Skill], racing: bool) -> tuple[Part, ...]:
    text: tuple[Part, ...] = (
        f"Nothing was uploaded: {len(skills)} skills are named '{name}' (oldest first):\n{_listed(skills)}\n"
        "Choose one, then publish again ",
        ask("with_skill_id"),
        "; ",
        ask("delete_skill"),
        " removes one you do not need.",
    )
    if racing:
        text += (
            " They were made moments ago: if publishes running at the same time made them, they may still be "
            "settling on the oldest; then publishing again in a moment works without ",
            ask("skill_id"),
            ".",
        )
    return text


def already_named(name: str, skills: list[Skill]) -> tuple[Part, ...]:
    one = len(skills) == 1
    exist = f"a skill named '{name}' already exists" if one else f"{len(skills)} skills named '{name}' exist"
    return (
        f"Nothing was uploaded: {exist}:\n{_listed(skills)}\nTo add a version, use ",
        ask("publish"),
        *(() if one else (" with ", ask("skill_id"))),
        ". To make another skill with this name on purpose, ",
        ask("create_duplicate"),
        ".",
    )
