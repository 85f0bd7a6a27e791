"""Deleting and downloading: the calls that change or write something besides a new version."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import anyio.to_thread

from skills_mcp.api.models import DeleteSkillResult, DownloadResult, FileEntry
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import SkillsMcpError
from skills_mcp.limits import MAX_UPLOAD_BYTES
from skills_mcp.problems import Problem
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.paths import resolve_allowed
from skills_mcp.terms import ask
from skills_mcp.workflows.inputs import check_skill_id, check_version, refuse

# A content zip is compressed; one much larger than an upload may be is not a skill.
MAX_ARCHIVE_BYTES = 4 * MAX_UPLOAD_BYTES


async def delete_skill(api: SkillsAPI, skill_id: str, *, delete_versions: bool = False) -> DeleteSkillResult:
    refuse(check_skill_id(skill_id), "Nothing was deleted")
    if delete_versions:
        refs = await all_version_refs(api, skill_id)
        for ref in refs:
            await api.delete_skill_version(skill_id, ref)
    else:
        refs = []
        first = await api.list_skill_versions(skill_id, limit=1)
        if first.data:
            raise SkillsMcpError(
                f"Nothing was deleted: skill {skill_id} still has versions (the newest is {first.data[0].ref}). ",
                ask("delete_all_again", skill_id),
                " to delete every version and then the skill, or remove versions one by one with ",
                ask("delete_version", skill_id),
                ".",
            )
    return DeleteSkillResult(deleted=await api.delete_skill(skill_id), deleted_versions=refs)


async def all_version_refs(api: SkillsAPI, skill_id: str) -> list[str]:
    """Every version, all pages, collected before anything is deleted so cursors stay valid."""
    return [v.ref for v in await api.all_skill_versions(skill_id, page_size=100)]


async def download(
    api: SkillsAPI,
    allowed: Sequence[Path],
    skill_id: str,
    version: str,
    destination: str,
    *,
    overwrite: bool = False,
    reporter: Reporter = QUIET,
) -> DownloadResult:
    """Fetch a version's zip and unpack it into destination/<name>, refusing anything unsafe."""
    folder, problems = resolve_allowed(destination, allowed, where="destination")
    problems = check_skill_id(skill_id) + check_version(version, api.wire) + problems
    if folder is not None and not _is_dir(folder):
        problems.append(
            Problem("destination", f"{folder} is not an existing folder.", "pass a folder that exists, or create it.")
        )
    refuse(problems, "Nothing was downloaded")
    assert folder is not None
    # `latest` resolves only on get; the content endpoint needs a concrete version.
    info = await api.get_skill_version(skill_id, version)
    ref, name = info.ref, info.name or info.directory or ""
    from skills_mcp.skill.unpack import name_problem, show, unpack_skill_zip  # deferred: only downloads need it

    if reason := name_problem(name):  # before the name touches the disk, even to ask whether it exists
        raise SkillsMcpError(
            f"Nothing was downloaded: the API gave the skill name {show(name)}, which is not a valid skill name "
            f"({reason}), so it cannot name a folder in {folder}. Check that ANTHROPIC_BASE_URL points at the "
            "Skills API you mean to use."
        )
    target = folder / name
    if target.exists() and not overwrite:
        raise SkillsMcpError(
            f"Nothing was downloaded: {target} already exists. Pass ",
            ask("overwrite"),
            " to replace it, or choose another destination.",
        )
    with tempfile.TemporaryFile() as archive:
        await api.download_skill_version(skill_id, ref, archive, max_bytes=MAX_ARCHIVE_BYTES, reporter=reporter)
        archive.seek(0)
        files = await anyio.to_thread.run_sync(lambda: unpack_skill_zip(archive, name, folder, overwrite=overwrite))
    return DownloadResult(
        skill_id=skill_id,
        version=ref,
        folder=str(target),
        files=[FileEntry(path=f.path, size=f.size) for f in files],
        total_bytes=sum(f.size for f in files),
    )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a name too long: not a folder we can write to
        return False
