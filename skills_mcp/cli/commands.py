"""The CLI's commands: the same publisher, lifecycle and API client as the MCP tools, for scripts and CI.

A command is one small function that adds its parser (`@command`), and one that does the work.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import anyio
from pydantic import BaseModel

from skills_mcp import summaries
from skills_mcp.api import local
from skills_mcp.api.models import PublishResult
from skills_mcp.cli import options, output
from skills_mcp.cli.options import API_OPTIONS, PAGE_LIMIT, HelpFormatter, Parser, api_options, log_option
from skills_mcp.config import local_data_dir
from skills_mcp.errors import SkillsMcpError
from skills_mcp.reporting import Reporter
from skills_mcp.terms import CLI, Terms, terms
from skills_mcp.workflows.inputs import require_ids

if TYPE_CHECKING:  # at run time the publish path loads when a command runs, not to build the parser
    from skills_mcp.api.upload import SkillsAPI

Job = Callable[[argparse.Namespace], int]
Work = Callable[["SkillsAPI", argparse.Namespace, Terms], Awaitable[tuple[BaseModel, str]]]
Finish = Callable[[BaseModel, argparse.Namespace, Terms], int]
Parsers: TypeAlias = "argparse._SubParsersAction[Parser]"

_PATH_HELP = "the skill folder (holding SKILL.md), or a .skill/.zip archive of it"
_PAGE_HELP = "the next_page cursor the previous page printed (default: the first page)"
_COMMANDS: list[Callable[[Parsers], None]] = []


def command(define: Callable[[Parsers], None]) -> Callable[[Parsers], None]:
    """Register a command's parser; `add_subcommands` adds them in this order."""
    _COMMANDS.append(define)
    return define


def add_subcommands(parsers: Parsers) -> None:
    for define in _COMMANDS:
        define(parsers)


def new(parsers: Parsers, name: str, about: str, job: Job, *, api: bool, accepts: tuple[str, ...] = ()) -> Parser:
    """A command's parser: its one-line description, --json, and the API options when it calls the API
    (a command that does not refuses them also before its name, but those it `accepts` itself)."""
    parents = [api_options(top=False), log_option(top=False)] if api else [log_option(top=False)]
    parser = parsers.add_parser(name, help=about, description=about, parents=parents, formatter_class=HelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document on stdout")
    parser.set_defaults(job=job, refuses=() if api else tuple(d for d in API_OPTIONS if d not in accepts))
    return parser


def calls_api(parsers: Parsers, name: str, about: str, work: Work, finish: Finish | None = None) -> Parser:
    return new(parsers, name, about, lambda args: run(work, args, finish), api=True)


# --- the commands, in the order --help lists them ----------------------------------------------------------


@command
def _publish_command(parsers: Parsers) -> None:
    about = "Publish a skill folder: a new version of the skill with its name, or a new skill."
    p = calls_api(parsers, "publish", about, _publish)
    p.add_argument("path", metavar="PATH", help=_PATH_HELP)
    p.add_argument("--skill-id", metavar="ID", help="add the version to this skill instead of finding it by name")
    p.add_argument("--force", action="store_true", help="add a version even when the newest holds the same files")


@command
def _create_command(parsers: Parsers) -> None:
    about = "Create a new skill from a folder; refused if a skill has its name, unless --allow-duplicate."
    p = calls_api(parsers, "create", about, _create)
    p.add_argument("path", metavar="PATH", help=_PATH_HELP)
    p.add_argument("--display-name", metavar="TITLE", help="a human title (one line; not unique; default: the name)")
    p.add_argument("--allow-duplicate", action="store_true", help="create it even if a skill with this name exists")


@command
def _validate_command(parsers: Parsers) -> None:
    about = "Check a skill folder and show what would be uploaded; never contacts the API."
    p = new(parsers, "validate", about, _validate, api=False)
    p.add_argument("path", metavar="PATH", help=_PATH_HELP)
    p.add_argument("--verbose", "-v", action="store_true", help="list every file, not folders and counts")


@command
def _list_command(parsers: Parsers) -> None:
    p = calls_api(parsers, "list", "List skills, newest first.", _list)
    p.add_argument("--source", choices=["custom", "anthropic"], help="only these skills (default: both)")
    p.add_argument("--limit", type=PAGE_LIMIT, default=20, metavar="N", help="skills on this page, 1 to 1000")
    p.add_argument("--page", metavar="CURSOR", help=_PAGE_HELP)


@command
def _versions_command(parsers: Parsers) -> None:
    p = calls_api(parsers, "versions", "List a skill's versions, newest first.", _versions)
    p.add_argument("skill_id", metavar="SKILL_ID", help="the skill, e.g. skill_01...")
    p.add_argument("--limit", type=PAGE_LIMIT, default=20, metavar="N", help="versions on this page, 1 to 1000")
    p.add_argument("--page", metavar="CURSOR", help=_PAGE_HELP)


@command
def _get_command(parsers: Parsers) -> None:
    p = calls_api(parsers, "get", "Show a skill, or one of its versions ('latest' for the newest).", _get)
    p.add_argument("skill_id", metavar="SKILL_ID", help="the skill, e.g. skill_01...")
    p.add_argument("version", metavar="VERSION", nargs="?", help="a version, or 'latest' (default: the skill)")


@command
def _download_command(parsers: Parsers) -> None:
    p = calls_api(parsers, "download", "Download a version into DEST/<skill name>/.", _download)
    p.add_argument("skill_id", metavar="SKILL_ID", help="the skill, e.g. skill_01...")
    p.add_argument("version", metavar="VERSION", help="a version, or 'latest'")
    p.add_argument("dest", metavar="DEST", help="an existing folder")
    p.add_argument("--overwrite", action="store_true", help="replace DEST/<skill name> if it exists")


@command
def _delete_command(parsers: Parsers) -> None:
    about = "Delete a skill version, or a skill (--all-versions deletes its versions first)."
    p = calls_api(parsers, "delete", about, _delete)
    p.add_argument("skill_id", metavar="SKILL_ID", help="the skill, e.g. skill_01...")
    p.add_argument("version", metavar="VERSION", nargs="?", help="delete only this version (default: the skill)")
    p.add_argument("--all-versions", action="store_true", help="delete every version, then the skill")


@command
def _rollback_command(parsers: Parsers) -> None:
    about = "Publish an earlier version's files again, as the skill's new newest version."
    p = calls_api(parsers, "rollback", about, _rollback)
    p.add_argument("skill_id", metavar="SKILL_ID", help="the skill, e.g. skill_01...")
    p.add_argument("version", metavar="VERSION", help="the earlier version to roll back to")


@command
def _emulator_command(parsers: Parsers) -> None:
    about = "Serve a local Skills API with its data on disk."
    p = new(parsers, "emulator", about, _emulator, api=False, accepts=("data_dir",))
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where it keeps its data (default: SKILLS_MCP_DATA_DIR, else your user data folder)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free one)")
    p.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name clients may use besides the loopback names (repeatable)",
    )


# --- running them --------------------------------------------------------------------------------------------


def run(work: Work, args: argparse.Namespace, finish: Finish | None = None) -> int:
    """Run a command that calls the API; the result goes to stdout, everything else to stderr. `finish`:
    the exit code of a result that can be a failure (a sync with failed skills); it runs before the output,
    to set the result's `error` member."""
    settings = options.settings(args)
    said = terms(CLI, settings.local)
    if settings.local:  # on a line of its own, so nobody mistakes it for a real publish
        print(local.LABEL, file=sys.stderr, flush=True)
    else:
        settings.api_base_url  # noqa: B018 (a malformed ANTHROPIC_BASE_URL is exit 5 now, not after retries)

    async def main() -> tuple[BaseModel, str]:
        from skills_mcp.api.upload import SkillsAPI

        api = SkillsAPI(settings, transport=local.transport_for(settings))
        try:
            with api.budget():
                return await work(api, args, said)
        finally:
            await api.aclose()

    try:
        model, summary = anyio.run(main)
    except SkillsMcpError as exc:
        return output.fail(exc, as_json=args.json, local=settings.local)
    code = finish(model, args, said) if finish is not None else output.EXIT_OK
    if args.json:
        output.document(model.model_dump(mode="json", exclude_none=True), local=settings.local)
    else:
        print(summary)
    if isinstance(model, PublishResult):
        for warning in model.warnings or []:  # it landed (exit 0), but say what could not be done around it
            print(f"skills-mcp: warning: {warning}", file=sys.stderr)
    return code


def _validate(args: argparse.Namespace) -> int:
    """Never contacts an API, so no API options, and no local label."""
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    try:
        report = anyio.run(publisher.validate, path, allowed)
    except SkillsMcpError as exc:
        return output.fail(exc, as_json=args.json, local=False)
    if args.json:
        output.document(output.report_of(report, path), local=False)
    else:
        print(output.validation_text(report, path, verbose=args.verbose))
    return output.EXIT_OK if report.ok else output.EXIT_REFUSED


def _emulator(args: argparse.Namespace) -> int:
    from skills_mcp.emulator.serve import run_emulator

    folder = local_data_dir(getattr(args, "data_dir", None))

    def listening(url: str) -> None:  # with --json, the address as JSON once it accepts connections: one line
        output.document({"url": url, "data_dir": str(folder)}, local=False, indent=None)

    json_address = listening if args.json else None
    run_emulator(args.host, args.port, folder, allowed_hosts=args.allowed_host, on_listen=json_address)
    return output.EXIT_OK


def _here(path: str) -> tuple[str, list[Path]]:
    """On the command line the user's own paths are fine: relative to the working folder, anywhere."""
    absolute = Path(path).expanduser().absolute()
    return str(absolute), [Path(absolute.anchor)]


def _reporter(said: Terms) -> Reporter:
    async def note(message: str) -> None:
        print(message, file=sys.stderr)

    if not sys.stderr.isatty():
        return Reporter(note=note, terms=said)

    async def progress(done: int, total: int) -> None:
        share = done / total if total else 1.0
        end = "\n" if done >= total else ""
        print(f"\r  {share:6.1%}  {done / 1e6:,.1f} of {total / 1e6:,.1f} MB", end=end, file=sys.stderr, flush=True)

    return Reporter(progress=progress, note=note, terms=said)


async def _publish(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    result = await publisher.publish_skill(api, allowed, path, args.skill_id, _reporter(said), force=args.force)
    return result, _published(result, said)


async def _create(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import publish as publisher

    path, allowed = _here(args.path)
    result = await publisher.create_skill(
        api, allowed, path, args.display_name, _reporter(said), allow_duplicate=args.allow_duplicate
    )
    return result, _published(result, said)


def _published(result: PublishResult, said: Terms) -> str:
    """The summary, then the version's JSON (the skill's, when the version could not be read back)."""
    shown = (result.version or result.skill).model_dump_json(exclude_none=True, indent=2)
    return f"{summaries.published(result, said)}\n{shown}"


async def _rollback(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import rollback as rollbacks

    result = await rollbacks.rollback(api, args.skill_id, args.version, _reporter(said))
    for warning in result.warnings or []:
        print(f"skills-mcp: warning: {warning}", file=sys.stderr)
    return result, summaries.rolled_back(result)


async def _list(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    page = await api.list_skills(source=args.source, limit=args.limit, page=args.page)
    lines = [summaries.skill_line(s) for s in page.data]
    lines.append(summaries.page(summaries.count(len(page.data), "skill"), page.next_page, said))
    return page, "\n".join(lines)


async def _versions(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    require_ids(api.wire, args.skill_id)
    page = await api.list_skill_versions(args.skill_id, limit=args.limit, page=args.page)
    lines = [summaries.version_line(v) for v in page.data]
    lines.append(summaries.page(summaries.count(len(page.data), "version"), page.next_page, said))
    return page, "\n".join(lines)


async def _get(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    require_ids(api.wire, args.skill_id, args.version)
    if args.version is None:
        skill = await api.get_skill(args.skill_id)
        return skill, skill.model_dump_json(exclude_none=True, indent=2)
    version = await api.get_skill_version(args.skill_id, args.version)
    return version, version.model_dump_json(exclude_none=True, indent=2)


async def _download(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import lifecycle

    dest, allowed = _here(args.dest)
    result = await lifecycle.download(
        api, allowed, args.skill_id, args.version, dest, overwrite=args.overwrite, reporter=_reporter(said)
    )
    return result, summaries.downloaded(result)


async def _delete(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import lifecycle

    if args.version is not None:
        require_ids(api.wire, args.skill_id, args.version)
        deleted = await api.delete_skill_version(args.skill_id, args.version)
        return deleted, summaries.deleted_version(deleted.id, args.skill_id)
    result = await lifecycle.delete_skill(api, args.skill_id, delete_versions=args.all_versions)
    return result, summaries.deleted_skill(args.skill_id, result)
