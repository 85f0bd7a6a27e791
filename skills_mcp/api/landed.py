"""Did an upload whose answer was lost land anyway? The Skills API has no idempotency key, so we look.

Before a create lands, `upload` notes what exists (the skill's newest version, or the newest skills).
After an unknown outcome,
a candidate is anything newer than that note, with the folder's name; it is our upload only if its
content zip holds exactly our files, byte for byte, under the names they went out with. So an
earlier, identical publish is never mistaken for it; and when a candidate's content cannot be read
(any error) or the noted version has been deleted since, the check says it cannot tell: a version
we cannot show is ours is never claimed.
"""

from __future__ import annotations

import tempfile

import anyio.to_thread

from skills_mcp.api.client import SkillsClient
from skills_mcp.api.models import Skill, SkillVersion
from skills_mcp.errors import CHECK_HINT, APIError, CannotTell, ResponseRefused, SkillsMcpError
from skills_mcp.limits import MAX_UPLOAD_BYTES
from skills_mcp.skill.packaging import Package

RECENT = 20  # how many of the newest versions or skills to look through


async def newest_skills(api: SkillsClient) -> set[str]:
    listing = await api.list_skills(source="custom", limit=RECENT)
    return {skill.id for skill in listing.data}


async def landed_version(api: SkillsClient, skill_id: str, package: Package, before: str | None) -> SkillVersion | None:
    """Our version if it landed, None if it did not. `CannotTell` when no candidate is ours but one could not be
    read, or when `before` is no longer listed (then a match may be older than the upload)."""
    found: SkillVersion | None = None
    unreadable: CannotTell | None = None
    bounded = before is None
    for version in (await api.list_skill_versions(skill_id, limit=RECENT)).data:  # newest first
        ref = version.ref
        if before is not None and before in (ref, version.id):
            bounded = True
            break  # everything from here on existed before we uploaded
        named = "name" not in version.model_fields_set or version.name == package.folder_name  # unnamed: maybe
        if found is None and named:
            try:
                found = version if await _same_content(api, skill_id, ref, package) else None
            except CannotTell as exc:
                unreadable = unreadable or exc
    if found is not None and not bounded:  # deleted since: `found` may be older than the upload
        ref = found.ref
        raise CannotTell(
            f"Version {before} is no longer listed, so whether {ref} is this upload is unknown. {CHECK_HINT}"
        )
    if found is None and unreadable is not None:
        raise unreadable
    return found


async def landed_skill(api: SkillsClient, package: Package, before: set[str]) -> Skill | None:
    """Our skill if it landed, None if not; `CannotTell` when none is ours but a candidate could not be read."""
    unreadable: CannotTell | None = None
    listing = await api.list_skills(source="custom", limit=RECENT)
    for skill in listing.data:
        if skill.id in before:
            continue
        latest = await api.get_skill_version(skill.id, "latest")
        if latest.name != package.folder_name:
            continue
        try:
            if await _same_content(api, skill.id, latest.ref, package):
                return skill
        except CannotTell as exc:
            unreadable = unreadable or exc
    if unreadable is not None:
        raise unreadable
    return None


async def _same_content(api: SkillsClient, skill_id: str, version: str, package: Package) -> bool:
    """A candidate whose content cannot be read might be anyone's: that is "cannot tell", never "same"."""
    with tempfile.TemporaryFile() as archive:
        try:
            await api.download_skill_version(skill_id, version, archive, max_bytes=2 * MAX_UPLOAD_BYTES)
            archive.seek(0)
            return await anyio.to_thread.run_sync(package.same_content, archive)
        except Exception as exc:  # any failure, an unreadable zip included, leaves the question open
            raise CannotTell(
                f"Version {version} of skill {skill_id}, named '{package.folder_name}', appeared since the upload "
                f"began, but its content could not be read ({_why(exc)}), so whether it is this upload is "
                f"unknown. {CHECK_HINT}"
            ) from None


def _why(exc: Exception) -> str:
    """The failure in a few words, for inside another message."""
    if isinstance(exc, APIError):
        return f"HTTP {exc.status}" + (f" {exc.error_type}" if exc.error_type else "")
    if isinstance(exc, ResponseRefused):
        return f"HTTP {exc.status}, refused: {exc.reason.rstrip('.')}"
    if isinstance(exc, SkillsMcpError):
        return str(exc).rstrip(".")
    return f"{type(exc).__name__}: {exc}"
