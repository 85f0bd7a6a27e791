"""The CLI's subcommands: the same publisher, lifecycle and API client as the MCP tools, for scripts and CI.

Exit codes: 0 done; 1 refused (invalid skill or arguments, nothing sent); 3 the API answered with
an error; 4 the API could not be reached in time; 5 configuration (e.g. no API key); 6 the API answered
but skills-mcp refused the answer (a redirect, not JSON, too large, endless pages).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from pydantic import BaseModel

from skills_mcp.api import local
from skills_mcp.api.models import (
    PublishResult,
    ValidationReport,
)
from skills_mcp.config import Settings
from skills_mcp.errors import APIError, APIUnreachable, ConfigError, ResponseRefused, SkillsMcpError
from skills_mcp.reporting import Reporter
from skills_mcp.workflows.inputs import require_ids

if TYPE_CHECKING:  # at run time the publish path loads when a subcommand runs, not to build the parser
    from skills_mcp.api.upload import SkillsAPI

EXIT_OK, EXIT_REFUSED, EXIT_API, EXIT_UNREACHABLE, EXIT_CONFIG, EXIT_ANSWER_REFUSED = 0, 1, 3, 4, 5, 6

Command = Callable[["SkillsAPI", argparse.Namespace], Awaitable[tuple[BaseModel, str]]]


_PATH_HELP = "the skill folder (holding SKILL.md), or a .skill/.zip archive of it"


def add_subcommands(
    parsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    def sub(name: str, help_text: str, command: Command) -> argparse.ArgumentParser:
        parser = parsers.add_parser(name, help=help_text, description=help_text, parents=[common])
        parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
        parser.set_defaults(command=command)
        return parser

    p = sub("publish", "Publish a skill folder: a new version of the skill with its name, or a new skill.", _publish)
    p.add_argument("path", help=_PATH_HELP)
    p.add_argument("--skill-id", help="add the version to this skill instead of finding it by name")
    p.add_argument("--force", action="store_true", help="add a version even when the newest holds the same files")

    p = sub("create", "Create a new skill from a folder; refused if a skill has its name, unless --allow-duplicate.",
            _create)  # fmt: skip
    p.add_argument("path", help=_PATH_HELP)
    p.add_argument("--display-name", metavar="T", help="a human title (one line; not unique)")
    p.add_argument("--allow-duplicate", action="store_true", help="create it even if a skill with this name exists")

    p = sub("validate", "Check a skill folder and list what would be uploaded; never contacts the API.", _validate)
    p.add_argument("path", help=_PATH_HELP)

    p = sub("list", "List skills, newest first.", _list)
    p.add_argument("--source", choices=["custom", "anthropic"])
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--page", help="the next_page cursor from the previous call")

    p = sub("versions", "List a skill's versions, newest first.", _versions)
    p.add_argument("skill_id")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--page", help="the next_page cursor from the previous call")

    p = sub("get", "Show a skill, or one of its versions ('latest' for the newest).", _get)
    p.add_argument("skill_id")
    p.add_argument("version", nargs="?")

    p = sub("download", "Download a version into DEST/<skill name>/.", _download)
    p.add_argument("skill_id")
    p.add_argument("version", help="a version, or 'latest'")
    p.add_argument("dest", help="an existing folder")
    p.add_argument("--overwrite", action="store_true", help="replace DEST/<skill name> if it exists")

    p = sub("rollback", "Publish an earlier version's files again, as the skill's new newest version.", _rollback)
    p.add_argument("skill_id")
    p.add_argument("version", help="the earlier version to roll back to")

    p = sub("delete", "Delete a skill version, or a skill (--all-versions deletes its versions first).", _delete)
    p.add_argument("skill_id")
    p.add_argument("version", nargs="?", help="delete only this version")
    p.add_argument("--all-versions", action="store_true", help="delete every version, then the skill")


def run(command: Command, settings: Settings, args: argparse.Namespace) -> int:
    """Run one subcommand; the result goes to stdout, everything else to stderr."""

    async def main() -> tuple[BaseModel, str]:
        from skills_mcp.api.upload import SkillsAPI

        api = SkillsAPI(settings, transport=local.transport_for(settings))
        try:
            with api.budget():
                return await command(api, args)
        finally:
            await api.aclose()

    label = f"{local.LABEL} " if settings.local else ""
    try:
        model, summary = anyio.run(main)
    except SkillsMcpError as exc:
        print(f"skills-mcp: {label}{exc}", file=sys.stderr)
        return _exit_code(exc)
    if args.json:
        data = model.model_dump(mode="json", exclude_none=True)
        print(json.dumps({"local_emulator": True, **data} if settings.local else data, indent=2))
    elif getattr(args, "data_on_stdout", False):  # text that is data (pins' JSON): the label on its own line
        if label:
            print(local.LABEL, file=sys.stderr)
        print(summary)
    else:
        print(f"{label}{summary}")
        if isinstance(model, PublishResult):  # the version JSON; the skill's when the version could not be read
            print((model.version or model.skill).model_dump_json(exclude_none=True, indent=2))
    if isinstance(model, PublishResult):
        for warning in model.warnings or []:  # it landed (exit 0), but say what could not be done around it
            print(f"skills-mcp: {label}warning: {warning}", file=sys.stderr)
    if isinstance(model, ValidationReport) and not model.ok:
        return EXIT_REFUSED
    finish = getattr(args, "finish", None)  # a subcommand that decides its own exit code (as_code.py)
    return int(finish(model, args)) if finish is not None else EXIT_OK


def _exit_code(exc: SkillsMcpError) -> int:
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, APIError):
        return EXIT_API
    if isinstance(exc, APIUnreachable):
        return EXIT_UNREACHABLE
    if isinstance(exc, ResponseRefused):
        return EXIT_ANSWER_REFUSED
    return EXIT_REFUSED


def _here(path: str) -> tuple[str, list[Path]]:
    """On the command line the user's own paths are fine: relative to the working folder, anywhere."""
    absolute = Path(path).expanduser().absolute()
    return str(absolute), [Path(absolute.anchor)]


def _reporter() -> Reporter:
    async def note(message: str) -> None:
        print(message, file=sys.stderr)

    if not sys.stderr.isatty():
        return Reporter(note=note)

    async def progress(done: int, total: int) -> None:
        share = done / total if total else 1.0
        end = "\n" if done >= total else ""
        print(f"\r  {share:6.1%}  {done / 1e6:,.1f} of {total / 1e6:,.1f} MB", end=end, file=sys.stderr, flush=True)

    return Reporter(progress=progress, note=note)


async def _publish(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    result = await publisher.publish_skill(api, allowed, path, args.skill_id, _reporter(), force=args.force)
    if result.action == "unchanged" and result.version is not None:
        return result, (
            f"Skill {result.skill.id} is unchanged: its newest version, {result.version.name} version "
            f"{result.version.ref}, already holds these files; nothing was uploaded (--force publishes anyway)."
        )
    done = "Created skill" if result.action == "created_skill" else "Added a version to skill"
    return result, _published(api, done, result)


async def _create(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    result = await publisher.create_skill(
        api, allowed, path, args.display_name, _reporter(), allow_duplicate=args.allow_duplicate
    )
    return result, _published(api, "Created skill", result)


def _published(api: SkillsAPI, done: str, result: PublishResult) -> str:
    """Versions named as this mode addresses them: by id, or by epoch string under the beta header."""
    version = result.version
    if version is None:
        ref = result.skill.latest or "unknown"
        return f"{done} {result.skill.id}; its new version ({ref}) could not be read back."
    return f"{done} {result.skill.id}: {version.name} version {version.ref}."


async def _validate(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    report = await publisher.validate(path, allowed)
    if report.ok:
        return report, f"{report.name}: ready to publish; {len(report.files)} files, {report.total_bytes:,} bytes."
    lines = [f"{report.name or path}: {len(report.problems)} problem(s):"]
    lines += [f"  {p.where}: {p.message} Fix: {p.fix}" for p in report.problems]
    return report, "\n".join(lines)


async def _list(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    page = await api.list_skills(source=args.source, limit=args.limit, page=args.page)
    lines = [f"{s.id}  {s.title or ''}  latest {s.latest}" for s in page.data]
    lines.append(f"next page: {page.next_page}" if page.next_page else f"{len(page.data)} skill(s); no more pages.")
    return page, "\n".join(lines)


async def _versions(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    require_ids(api.wire, args.skill_id)
    page = await api.list_skill_versions(args.skill_id, limit=args.limit, page=args.page)
    lines = [f"{v.ref}  {v.name}  {v.created_at}" for v in page.data]
    lines.append(f"next page: {page.next_page}" if page.next_page else f"{len(page.data)} version(s); no more pages.")
    return page, "\n".join(lines)


async def _get(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    require_ids(api.wire, args.skill_id, args.version)
    if args.version is None:
        skill = await api.get_skill(args.skill_id)
        return skill, skill.model_dump_json(exclude_none=True, indent=2)
    version = await api.get_skill_version(args.skill_id, args.version)
    return version, version.model_dump_json(exclude_none=True, indent=2)


async def _download(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import lifecycle

    dest, allowed = _here(args.dest)
    result = await lifecycle.download(
        api, allowed, args.skill_id, args.version, dest, overwrite=args.overwrite, reporter=_reporter()
    )
    return result, f"Downloaded {len(result.files)} files ({result.total_bytes:,} bytes) to {result.folder}."


async def _rollback(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import rollback as rollbacks

    result = await rollbacks.rollback(api, args.skill_id, args.version, _reporter())
    for warning in result.warnings or []:
        print(f"skills-mcp: warning: {warning}", file=sys.stderr)
    new = result.version.ref
    return result, f"Rolled skill {args.skill_id} back to version {result.rolled_back_to}: new version {new}."


async def _delete(api: SkillsAPI, args: argparse.Namespace) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import lifecycle

    if args.version is not None:
        require_ids(api.wire, args.skill_id, args.version)
        deleted = await api.delete_skill_version(args.skill_id, args.version)
        return deleted, f"Deleted version {deleted.id} of skill {args.skill_id}."
    result = await lifecycle.delete_skill(api, args.skill_id, delete_versions=args.all_versions)
    return result, f"Deleted skill {args.skill_id}" + (
        f" and its {len(result.deleted_versions)} versions." if result.deleted_versions else "."
    )
