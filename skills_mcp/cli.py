"""`skills-mcp`: parse options, send logs to stderr, serve MCP over stdio."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__
from .errors import ConfigError


class RedactingFormatter(logging.Formatter):
    """The last line of defence: whatever a log line or traceback holds, the API key is not printed."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        return text.replace(key, "[redacted]") if len(key) >= 8 else text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="skills-mcp",
        description="MCP server that validates and publishes local Agent Skills to the Anthropic Skills API.",
        epilog="Environment: ANTHROPIC_API_KEY (read when a tool runs), ANTHROPIC_BASE_URL, SKILLS_MCP_BETA, "
        "SKILLS_MCP_TIMEOUT, SKILLS_MCP_MAX_ATTEMPTS, SKILLS_MCP_CONNECT_TIMEOUT, SKILLS_MCP_READ_TIMEOUT, "
        "SKILLS_MCP_WRITE_TIMEOUT (seconds).",
    )
    parser.add_argument(
        "--allow-dir",
        action="append",
        metavar="DIR",
        default=[],
        help="a folder tools may read (repeatable). Default: the client's roots, else your home folder.",
    )
    parser.add_argument(
        "--beta",
        metavar="HEADER",
        default=None,
        help="anthropic-beta header value (default: skills-2025-10-02; '' for the GA API).",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        default=None,
        help="time budget for all the API work of one tool call, retries included (default 50; "
        "Claude Desktop cuts calls at about 60).",
    )
    parser.add_argument(
        "--max-attempts", type=int, metavar="N", default=None, help="attempts per request, first included (default 4)."
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--version", action="version", version=f"skills-mcp {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Before anything else logs: stdout carries the protocol, so every log line goes to stderr.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=args.log_level, handlers=[handler])
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpcore2").setLevel(logging.WARNING)

    from .config import Settings

    try:
        settings = Settings.from_env(
            allow_dirs=args.allow_dir, beta=args.beta, timeout=args.timeout, max_attempts=args.max_attempts
        )
    except ConfigError as exc:
        print(f"skills-mcp: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    from .server import build_server

    build_server(settings).run()
