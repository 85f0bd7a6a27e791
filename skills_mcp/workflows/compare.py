"""Does a local skill differ from its skill's newest version? Answered as cheaply as the question allows.

1. A lock entry that records the version still newest: compare content hashes, and name the changed files
   from the entry's per-file hashes. No request.
2. Else read the newest version (one small request) and compare its name and description with SKILL.md's:
   if they differ, the skill changed.
3. Only when they are equal (or `detail`, to name the files) download the version's content to a temporary
   file and compare the files' digests, streamed entry by entry.

A version that cannot be read or downloaded is an error, never "unchanged": a publish must not be skipped
on a guess. The content hash is `content_hash.content_hash`, defined once.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal

import anyio.to_thread

from skills_mcp.api.models import PublishResult, Skill, SkillVersion
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import SkillsMcpError
from skills_mcp.limits import MAX_SKILL_MD_BYTES
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill import skill_md
from skills_mcp.skill.content_hash import FileDigest, archive_digests, content_hash, package_digests
from skills_mcp.skill.packaging import Package
from skills_mcp.workflows.lifecycle import MAX_ARCHIVE_BYTES
from skills_mcp.workflows.lockfile import LockEntry

DecidedBy = Literal["lock", "frontmatter", "content", "no-version"]
_FORCE = "Nothing was uploaded; pass force=true (CLI: --force) to publish without comparing."


class CompareFailed(SkillsMcpError):
    """The newest version could not be read, so whether the folder differs from it is unknown."""


@dataclass
class Changes:
    """What differs from the newest version: paths inside the skill folder, and SKILL.md frontmatter keys.

    `complete` is False when only the frontmatter was compared (step 2 without `detail`): SKILL.md is then
    known to be modified, the other files were not looked at.
    """

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    frontmatter: list[str] = field(default_factory=list)
    complete: bool = True


@dataclass
class Comparison:
    unchanged: bool
    decided_by: DecidedBy
    local_hash: str | None  # None when the frontmatter decided, so the files were not read
    changes: Changes | None  # None when not known without a download
    digests: list[FileDigest] = field(default_factory=list)  # the local files', for a lock entry
    version: SkillVersion | None = None  # the newest version, when it was read (not when the lock decided)
    newest: str | None = None  # the newest version's reference, as this mode addresses versions


async def compare_with_newest(
    api: SkillsAPI,
    skill: Skill,
    package: Package,
    local_name: str,
    local_description: str,
    lock: LockEntry | None = None,
    *,
    detail: bool = False,
) -> Comparison:
    """Compare `package` with the newest version of `skill` (as `get_skill` returned it); see the module.
    The local files are read (and hashed) only by the steps that compare them."""
    skill_id = skill.id
    newest = skill.latest
    if newest is None:
        digests = await _local_digests(package)
        return Comparison(False, "no-version", content_hash(digests), Changes(added=[d.path for d in digests]), digests)
    if lock is not None and lock.skill_id == skill_id and lock.version == newest:
        digests = await _local_digests(package)
        local_hash = content_hash(digests)
        changes = diff(digests, lock.files)
        unchanged = lock.content_hash == local_hash
        if not unchanged and skill_md.SKILL_MD in changes.modified:
            version = await _read_version(api, skill_id, newest, package)
            changes.frontmatter = _named_fields(version, local_name, local_description)
            return Comparison(False, "lock", local_hash, changes, digests, version, newest)
        return Comparison(unchanged, "lock", local_hash, changes, digests, None, newest)
    version = await _read_version(api, skill_id, newest, package)
    fields = _named_fields(version, local_name, local_description)
    if fields and not detail:
        changes = Changes(modified=[skill_md.SKILL_MD], frontmatter=fields, complete=False)
        return Comparison(False, "frontmatter", None, changes, [], version, newest)
    digests = await _local_digests(package)
    local_hash = content_hash(digests)
    ref = version.ref or newest
    remote, remote_md = await _download_digests(api, skill_id, ref, package)
    changes = diff(digests, {d.path: d.sha256 for d in remote})
    if skill_md.SKILL_MD in changes.modified:
        changes.frontmatter = sorted(set(fields) | set(frontmatter_changes(_parsed(remote_md), package.frontmatter)))
    unchanged = not fields and content_hash(remote) == local_hash
    return Comparison(unchanged, "frontmatter" if fields else "content", local_hash, changes, digests, version, ref)


async def _local_digests(package: Package) -> list[FileDigest]:
    return await anyio.to_thread.run_sync(package_digests, package)


async def unchanged_result(
    api: SkillsAPI, skill: Skill, package: Package, reporter: Reporter = QUIET
) -> PublishResult | None:
    """For a publish: the skill and its newest version when they already hold exactly these files, else None."""
    name, description = package.frontmatter.get("name"), package.frontmatter.get("description")
    comparison = await compare_with_newest(
        api, skill, package, str(name or package.folder_name), str(description or "")
    )
    if not comparison.unchanged:
        if comparison.newest is not None:
            await reporter.say(f"The folder differs from version {comparison.newest} ({_what(comparison)}).")
        return None
    await reporter.say(f"Version {comparison.newest} already holds these files, byte for byte; nothing to upload.")
    version = comparison.version
    if version is None:  # decided by a lock entry; publish has none, but keep the answer whole
        assert comparison.newest is not None
        version = await _read_version(api, skill.id, comparison.newest, package)
    return PublishResult(action="unchanged", skill=skill, version=version)


def diff(local: Iterable[FileDigest], remote: Mapping[str, str]) -> Changes:
    """Files added, removed and modified, from the local digests and the other side's path → SHA-256."""
    mine = {d.path: d.sha256 for d in local}
    return Changes(
        added=sorted(set(mine) - set(remote)),
        removed=sorted(set(remote) - set(mine)),
        modified=sorted(p for p, h in mine.items() if p in remote and remote[p] != h),
    )


def frontmatter_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The frontmatter keys whose values differ (added and removed keys included), sorted."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _parsed(raw: bytes | None) -> dict[str, Any]:
    data = skill_md.parse(raw)[0] if raw is not None else None
    return data if data is not None else {}


def _named_fields(version: SkillVersion, name: str, description: str) -> list[str]:
    """`name` and `description` where the version's differ from SKILL.md's. Whitespace is not compared: an
    API that tidies it would otherwise make every folder look changed (the content comparison still sees it)."""
    changed = []
    for key, local in (("description", description), ("name", name)):
        remote = getattr(version, key)
        if isinstance(remote, str) and remote.split() != local.split():
            changed.append(key)
    return changed


def _what(comparison: Comparison) -> str:
    changes = comparison.changes
    if changes is None:
        return "content differs"
    parts = [f"{label}: {', '.join(paths[:5])}" + (" ..." if len(paths) > 5 else "")
             for label, paths in (("frontmatter", changes.frontmatter), ("added", changes.added),
                                  ("removed", changes.removed), ("modified", changes.modified)) if paths]  # fmt: skip
    return "; ".join(parts) or "content differs"


async def _read_version(api: SkillsAPI, skill_id: str, ref: str, package: Package) -> SkillVersion:
    try:
        return await api.get_skill_version(skill_id, ref)
    except SkillsMcpError as exc:
        raise CompareFailed(
            f"Could not compare '{package.folder_name}' with version {ref} of skill {skill_id}, its newest: "
            f"reading that version failed ({str(exc).rstrip('.')}). {_FORCE}"
        ) from None


async def _download_digests(
    api: SkillsAPI, skill_id: str, ref: str, package: Package
) -> tuple[list[FileDigest], bytes | None]:
    """The version's file digests and its SKILL.md (for the frontmatter), from a temporary file, never memory."""
    with tempfile.TemporaryFile() as archive:
        try:
            await api.download_skill_version(skill_id, ref, archive, max_bytes=MAX_ARCHIVE_BYTES)
            archive.seek(0)
            return await anyio.to_thread.run_sync(_read_archive, archive)
        except SkillsMcpError as exc:
            raise CompareFailed(
                f"Could not compare '{package.folder_name}' with version {ref} of skill {skill_id}, its newest: "
                f"its content could not be read ({str(exc).rstrip('.')}). {_FORCE}"
            ) from None


def _read_archive(archive: IO[bytes]) -> tuple[list[FileDigest], bytes | None]:
    digests = archive_digests(archive)  # refuses anything unsafe; after it, the entries below are sound
    sizes = {d.path: d.size for d in digests}
    if sizes.get(skill_md.SKILL_MD, MAX_SKILL_MD_BYTES + 1) > MAX_SKILL_MD_BYTES:
        return digests, None
    archive.seek(0)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = [s for s in info.orig_filename.split("/") if s not in ("", ".")]
            if parts[1:] == [skill_md.SKILL_MD] and not info.is_dir():
                return digests, zf.read(info)
    return digests, None
