"""What a user passes, checked before any request, by one definition that the MCP tools and the CLI share:
skill ids, versions (in the form this mode addresses them), page sizes. Paths: `skill.paths.resolve_allowed`.
"""

from __future__ import annotations

from skills_mcp.api.wire import Wire
from skills_mcp.errors import InvalidSkill
from skills_mcp.problems import Problem, has_control

# A page of a listing: what the Skills API accepts (reference §3.2).
LIMIT_MIN, LIMIT_MAX = 1, 1000


def check_limit(limit: int, *, where: str = "limit") -> list[Problem]:
    """A page size the API takes: the MCP tools' schema holds the same bounds, the CLI asks this."""
    if LIMIT_MIN <= limit <= LIMIT_MAX:
        return []
    return [Problem(where, f"{limit} is not between {LIMIT_MIN} and {LIMIT_MAX}.",
                    f"pass a page size from {LIMIT_MIN} to {LIMIT_MAX}; later pages hold the rest.")]  # fmt: skip


def check_skill_id(skill_id: str, *, where: str = "skill_id") -> list[Problem]:
    fix = "pass the id exactly as the API returned it, e.g. skill_01AbCdEf..."
    if not skill_id:
        return [Problem(where, "is empty.", fix)]
    problems = []
    if "/" in skill_id or ".." in skill_id:
        problems.append(Problem(where, f"{skill_id!r} contains '/' or '..'.", fix))
    elif skill_id == ".":
        problems.append(Problem(where, "'.' is not an id; in a URL path it means 'this folder'.", fix))
    if any(c.isspace() for c in skill_id) or has_control(skill_id):
        problems.append(Problem(where, f"{skill_id!r} contains whitespace or control characters.", fix))
    return problems


def check_version(version: str, wire: Wire, *, where: str = "version") -> list[Problem]:
    """A version id, an epoch version string, or `latest`: safe in a path (the rules of ids), and of the form
    this mode addresses versions by."""
    problems = check_skill_id(version, where=where)
    fix = "pass a version as list_skill_versions shows it, or 'latest'."
    return [Problem(p.where, p.message, fix) for p in problems] or wire.version_problems(version, where=where)


def refuse(problems: list[Problem], heading: str = "Nothing was sent") -> None:
    """Stop before any request when there is anything to fix, naming all of it."""
    if problems:
        raise InvalidSkill(problems, heading=heading)


def require_ids(wire: Wire, skill_id: str, version: str | None = None) -> None:
    """Refuse, before any request, ids that cannot be sent or a version of the other mode's form."""
    refuse(check_skill_id(skill_id) + (check_version(version, wire) if version is not None else []))
