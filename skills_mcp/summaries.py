"""The lines people read about a result, built once for both surfaces: the MCP tools and the CLI.

Versions are named as the mode addresses them (models parsed in the client's mode know it), and what to
pass for the next page in the surface's own terms.
"""

from __future__ import annotations

from skills_mcp.api.models import (
    DeleteSkillResult,
    DownloadResult,
    LeftOut,
    PublishResult,
    RollbackResult,
    Skill,
    SkillVersion,
    ValidationReport,
)
from skills_mcp.skill.ignore import SECRET_REASON
from skills_mcp.terms import Terms, ask


def published(result: PublishResult, terms: Terms) -> str:
    """What a publish did; a version that could not be read back is said, not glossed over."""
    if result.action == "unchanged" and result.version is not None:
        same = f"Skill {result.skill.id} is unchanged: its newest version, {version(result.version)}, already holds "
        return terms.say(same, "these files; nothing was uploaded (", ask("force"), " publishes anyway).")
    done = "Created skill" if result.action == "created_skill" else "Added a version to skill"
    if result.version is not None:
        return f"{done} {result.skill.id}: {version(result.version)}."
    return f"{done} {result.skill.id}: its new version ({result.skill.latest or 'unknown'}) could not be read back."


def rolled_back(result: RollbackResult) -> str:
    return (f"Rolled skill {result.skill_id} back to version {result.rolled_back_to}: its files are now the new "
            f"newest, {version(result.version)}.")  # fmt: skip


def version_published(found: SkillVersion, skill_id: str) -> str:
    return f"Published {version(found)} to skill {found.skill_id or skill_id}."


def version(found: SkillVersion) -> str:
    return f"{found.name or 'skill'} version {found.ref}"


def version_of(found: SkillVersion, skill_id: str) -> str:
    return f"{version(found)} of skill {found.skill_id or skill_id}, made {found.created_at}."


def skill(found: Skill) -> str:
    return f"Skill {found.id} ({found.title or 'untitled'}); newest version {found.latest or 'none'}."


def skill_line(found: Skill) -> str:
    """One skill of a listing."""
    return f"{found.id}  {found.title or ''}  latest {found.latest}"


def version_line(found: SkillVersion) -> str:
    """One version of a listing."""
    return f"{found.ref}  {found.name}  {found.created_at}"


def page(what: str, next_page: str | None, terms: Terms) -> str:
    more = ("; more with ", ask("page", next_page)) if next_page else ("; that is all",)
    return terms.say(f"{what} on this page", *more, ".")


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def secret_looking(entry: LeftOut) -> bool:
    """A file left out because it looks like a secret: listed apart, and always in full."""
    return entry.reason.endswith(SECRET_REASON)


def validated(report: ValidationReport, path: str) -> str:
    verdict = "ready to publish" if report.ok else f"{count(len(report.problems), 'problem')} to fix"
    summary = f"{report.name or path}: {verdict}; {count(len(report.files), 'file')}, {report.total_bytes:,} bytes"
    if report.left_out:
        secrets = [e.path for e in report.left_out if secret_looking(e)]
        summary += f", {len(report.left_out):,} left out"
        summary += f", among them secret-looking files: {', '.join(secrets)}" if secrets else ""
    return summary + "."


def downloaded(result: DownloadResult) -> str:
    return f"Downloaded {count(len(result.files), 'file')} ({result.total_bytes:,} bytes) to {result.folder}."


def deleted_version(version_id: str, skill_id: str) -> str:
    return f"Deleted version {version_id} of skill {skill_id}."


def deleted_skill(skill_id: str, result: DeleteSkillResult) -> str:
    versions = f" and its {count(len(result.deleted_versions), 'version')}" if result.deleted_versions else ""
    return f"Deleted skill {skill_id}{versions}."
