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

from skills_mcp import __version__
from skills_mcp.errors import ConfigError

DESCRIPTION = "Validate and publish local Agent Skills to the Anthropic Skills API: an MCP server and a CLI."
EPILOG = """\
Environment: ANTHROPIC_API_KEY (read when a call needs it), ANTHROPIC_BASE_URL, ANTHROPIC_WORKSPACE_ID,
SKILLS_MCP_LOCAL=1, SKILLS_MCP_DATA_DIR, SKILLS_MCP_BETA, SKILLS_MCP_TIMEOUT, SKILLS_MCP_MAX_ATTEMPTS,
SKILLS_MCP_CONNECT_TIMEOUT, SKILLS_MCP_READ_TIMEOUT, SKILLS_MCP_WRITE_TIMEOUT, SKILLS_MCP_HTTP_TOKEN.

Examples:
  skills-mcp --allow-dir ~/skills                     MCP server on stdio (what Claude Desktop runs)
  skills-mcp --local publish examples/pdf-tools       try it: publish to the embedded emulator
  skills-mcp publish ~/skills/pdf-tools --json        publish to the Anthropic API, JSON on stdout
  skills-mcp emulator --data-dir ./emulator-data      a local Skills API on http://127.0.0.1:8765
"""


class RedactingFormatter(logging.Formatter):
    """The last line of defence: whatever a log line or traceback holds, the API key is not printed."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        return text.replace(key, "[redacted]") if len(key) >= 8 else text


def common_options(suppress: bool) -> argparse.ArgumentParser:
    """Options that work before or after a subcommand (defaults live on the top level only)."""
    default = argparse.SUPPRESS if suppress else None
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("API options")
    group.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="use the embedded emulator instead of the Anthropic API: no network, no key (also SKILLS_MCP_LOCAL=1)",
    )
    group.add_argument("--data-dir", metavar="DIR", default=default, help="where local mode keeps its data")
    group.add_argument(
        "--beta",
        metavar="HEADER",
        default=default,
        help="send this anthropic-beta header; skills-2025-10-02 addresses versions by epoch string, as the beta "
        "API did (default: none; versions by id)",
    )
    group.add_argument(
        "--workspace-id",
        metavar="ID",
        default=default,
        help="send anthropic-workspace-id: ID on every request, for a key that can act on several workspaces "
        "(also ANTHROPIC_WORKSPACE_ID)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        default=default,
        help="time budget for the API work of one call, retries included (default 50)",
    )
    group.add_argument("--max-attempts", type=int, metavar="N", default=default, help="attempts per request (4)")
    group.add_argument(
        "--log-level", default=argparse.SUPPRESS if suppress else "INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


SUBCOMMANDS = ("publish", "create", "validate", "list", "versions", "get", "download", "delete", "emulator", "rollback",
               "plan", "sync", "pins")  # fmt: skip


def build_parser(with_subcommands: bool = True) -> argparse.ArgumentParser:
    """The full parser; without subcommands (a plain server start, which every client launch is), the
    subcommands' parsers and the modules behind them are not built at all."""
    parser = argparse.ArgumentParser(
        prog="skills-mcp",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"skills-publisher-mcp {__version__}")
    server = parser.add_argument_group("MCP server options (no subcommand)")
    server.add_argument(
        "--allow-dir",
        action="append",
        metavar="DIR",
        default=[],
        help="a folder tools may read (repeatable); default: the client's roots, else your home folder; "
        "required with streamable-http",
    )
    server.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    server.add_argument("--host", default="127.0.0.1", help="HTTP: address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    server.add_argument(
        "--token",
        help="HTTP: bearer token clients must send (prefer SKILLS_MCP_HTTP_TOKEN); without one, one is generated "
        "and printed once on stderr",
    )
    server.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="HTTP: a Host name clients use, besides the loopback names (repeatable)",
    )
    server.add_argument(
        "--no-token-any-local-process-can-use-my-key",
        dest="no_token",
        action="store_true",
        help="HTTP on loopback only: serve without a token, so any process on this machine can use your API key",
    )

    if not with_subcommands:
        parser.set_defaults(subcommand=None)
        return parser
    from skills_mcp.cli.commands import add_subcommands

    subcommands = parser.add_subparsers(title="subcommands (CLI)", dest="subcommand", metavar="COMMAND")
    add_subcommands(subcommands, common_options(suppress=True))
    from skills_mcp.cli import as_code  # plan, sync, pins: a folder of skills

    as_code.add_subcommands(subcommands, common_options(suppress=True))
    emulator = subcommands.add_parser(
        "emulator", help="Serve a local Skills API with its data on disk.", parents=[common_options(suppress=True)]
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8765)
    emulator.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name clients may use besides the loopback names (repeatable)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    try:
        with _startup():
            words = sys.argv[1:] if argv is None else argv
            full = any(w in SUBCOMMANDS or w in ("-h", "--help") for w in words)
            args = build_parser(with_subcommands=full).parse_args(argv)
            _log_to_stderr(args)
            job = _prepare(args)
        raise SystemExit(job())
    except BrokenPipeError:  # `skills-mcp list | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        raise SystemExit(0) from None
    except ConfigError as exc:
        print(f"skills-mcp: {exc}", file=sys.stderr)
        raise SystemExit(5) from None


@contextmanager
def _startup() -> Iterator[None]:
    """Import and build with the cyclic collector's young generation 50,000 objects deep, not 700.

    Start-up makes some 120,000 objects (the mcp package, pydantic schemas) that live as long as the
    process. At the usual threshold the collector runs about 200 times on the way, once over all of
    them; at this one, a handful of times: about 8 % less CPU per cold start. Short-lived cycles are
    still collected, and the usual threshold is back before the server serves.
    """
    usual = gc.get_threshold()
    gc.set_threshold(50_000, *usual[1:])
    try:
        yield
    finally:
        gc.set_threshold(*usual)


def _log_to_stderr(args: argparse.Namespace) -> None:
    """Before anything else logs: stdout carries the protocol (or a command's result), so logs go to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    quiet_cli = args.subcommand not in (None, "emulator") and args.log_level == "INFO"
    logging.basicConfig(level="WARNING" if quiet_cli else args.log_level, handlers=[handler])
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpcore2").setLevel(logging.WARNING)


def _prepare(args: argparse.Namespace) -> Callable[[], int]:
    """Import and build what `args` asks for; the returned job runs it (a server: until its client leaves)."""
    from skills_mcp.api import local
    from skills_mcp.config import Settings, local_data_dir

    if args.subcommand == "emulator":
        from skills_mcp.emulator.serve import run_emulator

        def emulator() -> int:
            run_emulator(args.host, args.port, local_data_dir(args.data_dir), allowed_hosts=args.allowed_host)
            return 0

        return emulator
    settings = Settings.from_env(
        allow_dirs=getattr(args, "allow_dir", None),
        beta=args.beta,
        workspace_id=args.workspace_id,
        timeout=args.timeout,
        max_attempts=args.max_attempts,
        local=args.local,
        data_dir=args.data_dir,
    )
    if args.subcommand is not None:
        from skills_mcp.cli.commands import run

        return lambda: run(args.command, settings, args)

    if args.transport != "stdio" and not settings.allow_dirs:
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
        if args.transport == "stdio":
            server.run()
        else:
            from skills_mcp.server.streamable_http import serve

            token = args.token or os.environ.get("SKILLS_MCP_HTTP_TOKEN") or None
            serve(server, args.host, args.port, token, args.allowed_host, no_token=args.no_token)
        return 0

    return run_server
