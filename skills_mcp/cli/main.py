"""`skills-mcp`: the MCP server (stdio by default, or streamable HTTP), a CLI, and the local emulator.

`skills-mcp` with no subcommand starts the stdio server, so existing client configs keep working.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from skills_mcp import __version__
from skills_mcp.errors import ConfigError, SkillsMcpError, UsageError

if TYPE_CHECKING:
    from skills_mcp.cli.options import Parser

DESCRIPTION = "Validate and publish local Agent Skills to the Anthropic Skills API: an MCP server and a CLI."
EPILOG = """\
Environment: ANTHROPIC_API_KEY (read when a call needs it), ANTHROPIC_BASE_URL, ANTHROPIC_WORKSPACE_ID,
SKILLS_MCP_LOCAL=1, SKILLS_MCP_DATA_DIR, SKILLS_MCP_BETA, SKILLS_MCP_TIMEOUT, SKILLS_MCP_MAX_ATTEMPTS,
SKILLS_MCP_CONNECT_TIMEOUT, SKILLS_MCP_READ_TIMEOUT, SKILLS_MCP_WRITE_TIMEOUT, SKILLS_MCP_HTTP_TOKEN.

Examples:
  skills-mcp --allow-dir ~/skills                     MCP server on stdio (what Claude Desktop runs)
  skills-mcp validate ~/skills/pdf-tools              dry run: what would be uploaded, and every problem
  skills-mcp publish ~/skills/pdf-tools --local       try it: publish to the embedded emulator, no key
  skills-mcp list --local --json                      the skills in the embedded emulator, as JSON
  skills-mcp publish ~/skills/pdf-tools --json        publish to the Anthropic API, JSON on stdout
  skills-mcp emulator --data-dir ./emulator-data      a local Skills API on http://127.0.0.1:8765

Run 'skills-mcp COMMAND --help' for a command's options.
"""
SERVER_HOST, SERVER_PORT = "127.0.0.1", 8000
# The MCP server's options, by destination: none of them means anything to a subcommand.
SERVER_OPTIONS = {
    "allow_dir": "--allow-dir",
    "transport": "--transport",
    "http_host": "--host",
    "http_port": "--port",
    "token": "--token",
    "http_allowed_host": "--allowed-host",
    "no_token": "--no-token-any-local-process-can-use-my-key",
}


class RedactingFormatter(logging.Formatter):
    """The last line of defence: whatever a log line or traceback holds, the API key is not printed."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        return text.replace(key, "[redacted]") if len(key) >= 8 else text


def build_parser() -> Parser:
    from skills_mcp.cli.options import HelpFormatter, Parser, api_options, log_option

    parser = Parser(
        prog="skills-mcp",
        usage="%(prog)s [OPTIONS] [COMMAND ...]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
        parents=[api_options(top=True), log_option(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"skills-publisher-mcp {__version__}")
    server = parser.add_argument_group("MCP server options (no command)")
    server.add_argument(
        "--allow-dir",
        action="append",
        metavar="DIR",
        default=[],
        help="a folder tools may read (repeatable); default: the client's roots, else your home folder; "
        "required with streamable-http",
    )
    server.add_argument(
        "--transport", choices=["stdio", "streamable-http"], help="how clients reach the server (default: stdio)"
    )
    server.add_argument(
        "--host",
        dest="http_host",
        metavar="HOST",
        help=f"streamable-http: address to listen on (default: {SERVER_HOST})",
    )
    server.add_argument(
        "--port",
        dest="http_port",
        metavar="PORT",
        type=int,
        help=f"streamable-http: port to listen on (default: {SERVER_PORT})",
    )
    server.add_argument(
        "--token",
        help="streamable-http: bearer token clients must send (prefer SKILLS_MCP_HTTP_TOKEN); default: one is "
        "generated and printed once on stderr",
    )
    server.add_argument(
        "--allowed-host",
        dest="http_allowed_host",
        action="append",
        default=[],
        metavar="NAME",
        help="streamable-http: a Host name clients use, besides the loopback names (repeatable)",
    )
    server.add_argument(
        "--no-token-any-local-process-can-use-my-key",
        dest="no_token",
        action="store_true",
        help="streamable-http on loopback only: serve without a token, so any process on this machine can use "
        "your API key",
    )
    from skills_mcp.cli import as_code  # noqa: F401 (plan, sync, pins: registered after the other commands)
    from skills_mcp.cli.commands import add_subcommands

    add_subcommands(
        parser.add_subparsers(
            title="commands (the CLI)",
            dest="subcommand",
            metavar="COMMAND",
            prog="skills-mcp",
            help="without one, skills-mcp is the MCP server",
        )
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    words = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in words  # read before parsing, so a usage error answers in JSON too
    args: argparse.Namespace | None = None
    try:
        with _startup():
            args = build_parser().parse_args(words)
            _check_placement(args)
            _log_to_stderr(args)
            job = _prepare(args)
        code = job()
    except BrokenPipeError:  # `skills-mcp list | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        code = 0
    except SkillsMcpError as exc:  # before the command's own work: usage (exit 2) and configuration (exit 5)
        from skills_mcp.cli import output

        code = output.fail(exc, as_json=wants_json, local=bool(getattr(args, "local", False)))
    except Exception:  # a bug: the traceback on stderr (key redacted), and with --json still one document
        from skills_mcp.cli import output

        if not logging.getLogger().handlers:
            _log_to_stderr(None)
        logging.getLogger("skills_mcp").exception("unexpected failure")
        code = output.bug(as_json=wants_json)
    raise SystemExit(code)


@contextmanager
def _startup() -> Iterator[None]:
    """Import and build with the cyclic collector's young generation 50,000 objects deep, not 700.

    Start-up makes some 120,000 objects (the mcp package, pydantic schemas) that live as long as the
    process; at the usual threshold the collector runs about 200 times on the way. The usual threshold
    is back before the job (a command, or the server) runs.
    """
    # Kept (issue 14): benchmarks.cold_start --rounds 21, 1.023-1.026 x a bare MCPServer with it, 1.054-1.064 x without.
    usual = gc.get_threshold()
    gc.set_threshold(50_000, *usual[1:])
    try:
        yield
    finally:
        gc.set_threshold(*usual)


def _check_placement(args: argparse.Namespace) -> None:
    """Options only where they mean something: refused on a command that has no use for them, a warning
    for the server's HTTP options without HTTP."""
    if args.subcommand is None:
        if args.transport != "streamable-http":
            for dest in ("http_host", "http_port", "token", "http_allowed_host", "no_token"):
                if getattr(args, dest):
                    print(f"skills-mcp: warning: {SERVER_OPTIONS[dest]} means nothing without --transport "
                          "streamable-http; serving on stdio.", file=sys.stderr)  # fmt: skip
        return
    from skills_mcp.cli.options import API_OPTIONS

    given = [flag for dest, flag in SERVER_OPTIONS.items() if getattr(args, dest)]
    given += [flag for dest, flag in API_OPTIONS.items() if dest in args.refuses and getattr(args, dest)]
    if given:
        raise UsageError(f"{given[0]} means nothing to '{args.subcommand}'; leave it out.")


def _log_to_stderr(args: argparse.Namespace | None) -> None:
    """Before anything else logs: stdout carries the protocol (or a command's result), so logs go to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    level = "INFO" if args is None else args.log_level
    quiet_cli = args is not None and args.subcommand not in (None, "emulator") and level == "INFO"
    logging.basicConfig(level="WARNING" if quiet_cli else level, handlers=[handler])
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpcore2").setLevel(logging.WARNING)


def _prepare(args: argparse.Namespace) -> Callable[[], int]:
    """Import and build what `args` asks for; the returned job runs it (a server: until its client leaves)."""
    if args.subcommand is not None:
        return lambda: int(args.job(args))

    from skills_mcp.api import local
    from skills_mcp.cli import options

    settings = options.settings(args, allow_dirs=args.allow_dir)
    http = args.transport == "streamable-http"
    if http and not settings.allow_dirs:
        # Stateless HTTP never has client roots, so the fallback would be the whole home folder.
        raise ConfigError(
            "Streamable HTTP needs --allow-dir DIR (repeatable): over HTTP there are no client roots, and the "
            "home folder is too much to offer. Name the folder(s) holding your skills."
        )
    from skills_mcp.server.build import build_server

    # Local mode opens its data folder now, so a bad one is a clear message, not a failed start-up.
    transport = local.transport_for(settings)
    server = build_server(settings, transport)

    def run_server() -> int:
        if not http:
            if sys.stdin.isatty():  # a person, not a client, started it: say what it is waiting for
                print("skills-mcp: an MCP server, waiting for a client on stdio (Ctrl-C to stop). For the command "
                      "line: skills-mcp --help", file=sys.stderr, flush=True)  # fmt: skip
            server.run()
        else:
            from skills_mcp.server.streamable_http import serve

            token = args.token or os.environ.get("SKILLS_MCP_HTTP_TOKEN") or None
            host = args.http_host or SERVER_HOST
            port = SERVER_PORT if args.http_port is None else args.http_port
            serve(server, host, port, token, args.http_allowed_host, no_token=args.no_token)
        return 0

    return run_server
