"""Roll back: publish an earlier version's files again, as the new newest version.

The API has no "set latest", so undoing a bad release means uploading the good one's content anew. The
version is downloaded to a private temporary folder (never held in memory), validated as any `.zip`
upload is (`skill.archive` reads it in place), and its files stream from there into the new version.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import anyio.to_thread

from skills_mcp.api.models import RollbackResult
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.errors import APIError, InvalidSkill, SkillsMcpError
from skills_mcp.problems import Problem
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.validation import check_folder
from skills_mcp.workflows.inputs import check_skill_id, check_version, refuse
from skills_mcp.workflows.lifecycle import MAX_ARCHIVE_BYTES

_NOTHING = "Nothing was uploaded"


async def rollback(api: SkillsAPI, skill_id: str, version: str, reporter: Reporter = QUIET) -> RollbackResult:
    """Publish `version`'s files as a new version of `skill_id`; every check comes before the upload."""
    problems = check_skill_id(skill_id) + check_version(version, api.wire)
    if version == "latest":
        fix = "name the earlier version to roll back to, as list_skill_versions shows it."
        problems.append(Problem("version", "'latest' is the newest version already.", fix))
    refuse(problems, _NOTHING)
    skill = await api.get_skill(skill_id)
    try:
        old = await api.get_skill_version(skill_id, version)
    except APIError as exc:
        if exc.status != 404:
            raise
        raise SkillsMcpError(
            f"{_NOTHING}: skill {skill_id} has no version {version} ({exc.api_message.rstrip('.')}). "
            "list_skill_versions (CLI: skills-mcp versions SKILL_ID) shows its versions."
        ) from None
    ref = old.ref
    newest = skill.latest
    if newest is not None and newest in (ref, old.id, old.version):
        raise SkillsMcpError(f"{_NOTHING}: version {ref} is already the newest version of skill {skill_id}.")
    with tempfile.TemporaryDirectory(prefix="skills-mcp-rollback-") as folder:
        archive = Path(folder) / f"{skill_id}-{ref}.zip"
        with archive.open("wb") as sink:
            await reporter.say(f"Downloading version {ref} of skill {skill_id}.")
            await api.download_skill_version(skill_id, ref, sink, max_bytes=MAX_ARCHIVE_BYTES, reporter=reporter)
        check = await anyio.to_thread.run_sync(check_folder, str(archive), [Path(folder)])
        if check.problems or check.scan is None:
            raise InvalidSkill(check.problems, heading=f"{_NOTHING}: version {ref} cannot be published again as it is")
        scan = check.scan
        warnings = [f"{s.relpath} is not in the new version: {s.reason}." for s in scan.skipped]
        for warning in warnings:
            await reporter.say(warning)
        await reporter.say(f"Publishing its {len(scan.files)} files as the new newest version.")
        package = check.package()
        new = await api.create_skill_version(skill_id, package, reporter, skill=skill)
    return RollbackResult(skill_id=skill_id, rolled_back_to=ref, version=new, warnings=warnings or None)
