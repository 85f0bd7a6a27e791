"""Skills as code on the command line: `plan`, `sync` and `pins` for a folder of skills.

Exit codes (those of every subcommand, see commands.py): plan 0, or 1 when a folder is invalid, and with
--check 1 when anything would change; sync 0 when every skill was applied, else the code of the first
failure in path order (1 an invalid folder, 3 an API error, 4 the API unreachable, 6 an answer refused);
pins 0, or 1 when there is no lock file or a NAME is not in it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from skills_mcp.cli import commands, output
from skills_mcp.errors import SkillsMcpError
from skills_mcp.terms import Terms
from skills_mcp.workflows.plan_result import PlanResult

if TYPE_CHECKING:  # the plan and sync path loads when a subcommand runs, not to build the parser
    from skills_mcp.api.upload import SkillsAPI

# The Messages API takes at most this many skills in one request's container (skills guide).
MAX_SKILLS_PER_REQUEST = 8
_DIR_HELP = "the folder that holds your skill folders (each holding SKILL.md); skills.lock.json lives here"


class Pin(BaseModel):
    type: Literal["custom"] = "custom"
    skill_id: str
    version: str


class Pins(BaseModel):
    """What goes in a Messages API request's `container.skills`: the versions the lock file pins."""

    skills: list[Pin]


@commands.command
def _plan_command(parsers: commands.Parsers) -> None:
    about = "Show what sync would do for each skill folder under DIR; changes nothing."
    p = _dir(commands.calls_api(parsers, "plan", about, _plan, _finish))
    p.add_argument("--check", action="store_true", help="exit 1 when anything would change (a CI gate)")
    _concurrency(p)


@commands.command
def _sync_command(parsers: commands.Parsers) -> None:
    about = "Publish the skill folders under DIR that changed, and write DIR/skills.lock.json."
    p = _dir(commands.calls_api(parsers, "sync", about, _sync, _finish))
    p.add_argument("--prune", action="store_true", help="delete skills the lock file records whose folder is gone")
    _concurrency(p)


@commands.command
def _pins_command(parsers: commands.Parsers) -> None:
    about = "Print the Messages API container.skills JSON for the versions DIR/skills.lock.json pins."
    p = _dir(commands.calls_api(parsers, "pins", about, _pins))
    p.add_argument("names", nargs="*", metavar="NAME", help="only these skills (default: all in the lock file)")


def _dir(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("dir", metavar="DIR", help=_DIR_HELP)
    return parser


def _concurrency(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=_positive, default=4, metavar="N",
                        help="skills worked on at once, 1 to 64")  # fmt: skip


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be 1 to 64")
    return value


async def _plan(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import plan as planner
    from skills_mcp.workflows import sync as syncer

    path, allowed = commands._here(args.dir)
    result = (await planner.plan(api, allowed, path, concurrency=args.concurrency)).result()
    return result, syncer.render(result, synced=False)


async def _sync(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows import sync as syncer

    path, allowed = commands._here(args.dir)
    result = await syncer.sync(
        api, allowed, path, prune=args.prune, concurrency=args.concurrency, reporter=commands._reporter(said)
    )
    return result, syncer.render(result, synced=True)


async def _pins(api: SkillsAPI, args: argparse.Namespace, said: Terms) -> tuple[BaseModel, str]:
    from skills_mcp.workflows.lockfile import LOCK_NAME, LockFile

    folder = Path(commands._here(args.dir)[0])
    lock = LockFile.load(folder)
    if not lock.entries:
        raise SkillsMcpError(f"{folder / LOCK_NAME} records no skills. Run `skills-mcp sync {args.dir}` first.")
    entries = sorted(lock.entries.values(), key=lambda e: e.folder)
    if args.names:
        missing = sorted(set(args.names) - {e.name for e in entries})
        if missing:
            raise SkillsMcpError(f"Not in {lock.path}: {', '.join(missing)}. It records: "
                                 f"{', '.join(sorted(e.name for e in entries))}.")  # fmt: skip
        entries = [e for e in entries if e.name in args.names]
    pins = Pins(skills=[Pin(skill_id=e.skill_id, version=e.version) for e in entries])
    if len(pins.skills) > MAX_SKILLS_PER_REQUEST:
        print(f"skills-mcp: warning: {len(pins.skills)} skills; one Messages API request takes at most "
              f"{MAX_SKILLS_PER_REQUEST}: name the ones a request needs (skills-mcp pins DIR NAME ...).",
              file=sys.stderr)  # fmt: skip
    return pins, json.dumps(pins.model_dump(mode="json")["skills"], indent=2)


def _finish(model: BaseModel, args: argparse.Namespace, said: Terms) -> int:
    """The exit code, and on failure the `error` member every failed command's JSON has; after a sync, every
    failure once more on stderr, at the end where it is seen."""
    assert isinstance(model, PlanResult)
    if args.subcommand == "sync":
        for row in model.skills:
            if row.status == "failed":
                print(f"skills-mcp: {row.path}: failed: " + " ".join(row.problems), file=sys.stderr)
    if model.failures:
        first = model.failures[0]
        kind, code = output.kind_of(first)
        failed = sum(r.status == "failed" or r.action == "invalid" for r in model.skills)
        message = f"{failed} of {len(model.skills)} skills failed; the first: {first.words(said)}"
        model.error = output.error_of(first, kind, message)["error"]
        return code if args.subcommand == "sync" else output.EXIT_REFUSED
    if args.subcommand == "plan" and args.check and model.changes_pending:
        changing = sum(s.action != "unchanged" for s in model.skills)
        model.error = {"kind": "changes_pending", "message": f"{changing} skills would change; sync applies them."}
        return output.EXIT_REFUSED
    return output.EXIT_OK
