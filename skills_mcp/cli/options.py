"""The parser's parts: a parser whose errors main() can answer (in JSON when asked), help that shows
defaults, and the options shared by several commands, each checked before any work."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from skills_mcp.config import RetryPolicy, Settings, positive
from skills_mcp.errors import UsageError
from skills_mcp.workflows.inputs import check_limit

# The API options, by destination: what a command that never calls the API refuses.
API_OPTIONS = {
    "local": "--local",
    "data_dir": "--data-dir",
    "beta": "--beta",
    "workspace_id": "--workspace-id",
    "timeout": "--timeout",
    "max_attempts": "--max-attempts",
}


class Parser(argparse.ArgumentParser):
    """Usage errors raise `UsageError` instead of exiting, and a mistyped command gets a suggestion,
    not the whole usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, usage=self.format_usage())

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if isinstance(action, argparse._SubParsersAction) and value not in (action.choices or ()):
            raise UsageError(unknown_command(str(value), action.choices or ()))
        super()._check_value(action, value)


def unknown_command(word: str, commands: Iterable[str]) -> str:
    import difflib  # only a mistyped command needs it

    names = list(commands)
    close = difflib.get_close_matches(word, names, n=1)
    guess = f" Did you mean '{close[0]}'?" if close else ""
    return f"'{word}' is not a command.{guess} Commands: {', '.join(names)}. Help: skills-mcp --help"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default in its help, unless the help says it already or there is none to tell."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def checked(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: `kind` of the word, whose ValueError says why it is refused (exit 2)."""

    def parse(raw: str) -> Any:
        try:
            return kind(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{raw!r} {exc}") from None

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


def _attempts(raw: str) -> int:
    value = positive(raw)  # the check SKILLS_MCP_MAX_ATTEMPTS gets, and a whole number
    if value != int(value):
        raise ValueError("is not a whole number.")
    return int(value)


def _page_limit(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not a whole number.") from None
    for problem in check_limit(value, where="--limit"):  # the rule the tools' `limit` follows
        raise argparse.ArgumentTypeError(f"{problem.message} Fix: {problem.fix}")
    return value


SECONDS, ATTEMPTS, PAGE_LIMIT = checked(positive), checked(_attempts), checked(_page_limit)


@functools.cache  # one parent serves every command that calls the API
def api_options(top: bool) -> Parser:
    """Options of the commands that call the API; they work before or after the command (defaults live on
    the top level only, so a command's parser does not overwrite what was given before it)."""
    unset = None if top else argparse.SUPPRESS
    policy = RetryPolicy()
    parser = Parser(add_help=False)
    group = parser.add_argument_group("API options")
    group.add_argument(
        "--local",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="use the embedded emulator instead of the Anthropic API: no network, no key (also SKILLS_MCP_LOCAL=1)",
    )
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        default=unset,
        help="where local mode keeps its data (default: SKILLS_MCP_DATA_DIR, else your user data folder)",
    )
    group.add_argument(
        "--beta",
        metavar="HEADER",
        default=unset,
        help="send this anthropic-beta header; skills-2025-10-02 addresses versions by epoch string, as the beta "
        "API did (default: SKILLS_MCP_BETA, else none: versions by id)",
    )
    group.add_argument(
        "--workspace-id",
        metavar="ID",
        default=unset,
        help="send anthropic-workspace-id: ID on every request, for a key that can act on several workspaces "
        "(default: ANTHROPIC_WORKSPACE_ID, else none)",
    )
    group.add_argument(
        "--timeout",
        type=SECONDS,
        metavar="SECONDS",
        default=unset,
        help=f"time budget for the API work of one call, retries included (default: SKILLS_MCP_TIMEOUT, else "
        f"{policy.budget:g})",
    )
    group.add_argument(
        "--max-attempts",
        type=ATTEMPTS,
        metavar="N",
        default=unset,
        help=f"attempts per request (default: SKILLS_MCP_MAX_ATTEMPTS, else {policy.max_attempts})",
    )
    return parser


@functools.cache
def log_option(top: bool) -> Parser:
    parser = Parser(add_help=False)
    parser.add_argument(
        "--log-level",
        default="INFO" if top else argparse.SUPPRESS,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log on stderr (default: INFO; commands show warnings and errors only at INFO)",
    )
    return parser


def settings(args: argparse.Namespace, allow_dirs: list[str] | None = None) -> Settings:
    """The settings the API options on the command line name; the environment fills in the rest."""
    return Settings.from_env(
        allow_dirs=allow_dirs,
        beta=args.beta,
        workspace_id=args.workspace_id,
        timeout=args.timeout,
        max_attempts=args.max_attempts,
        local=args.local,
        data_dir=args.data_dir,
    )
