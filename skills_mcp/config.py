"""Settings from the command line and the environment. The API key is read only when a call needs it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .retry import RetryPolicy

DEFAULT_BASE_URL = "https://api.anthropic.com"
# The seed page is the beta API; with this header versions are addressed by their epoch `version`.
DEFAULT_BETA = "skills-2025-10-02"
API_VERSION = "2026-10-21"  # what the official SDK 2.10 sends


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0
    write: float = 60.0
    pool: float = 10.0


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    beta: str | None = DEFAULT_BETA  # None: the GA API, no anthropic-beta header
    allow_dirs: tuple[Path, ...] = ()  # empty: the client's roots, else the home folder
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(
        cls,
        *,
        allow_dirs: list[str] | None = None,
        beta: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
    ) -> Settings:
        """Options win over the environment (SKILLS_MCP_BETA, SKILLS_MCP_TIMEOUT, SKILLS_MCP_MAX_ATTEMPTS, ...)."""
        beta_value = beta if beta is not None else os.environ.get("SKILLS_MCP_BETA", DEFAULT_BETA)
        defaults_t, defaults_r = Timeouts(), RetryPolicy()
        return cls(
            base_url=(os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            beta=beta_value.strip() or None,
            allow_dirs=tuple(_allowed_dir(d) for d in allow_dirs or ()),
            timeouts=Timeouts(
                connect=_number("SKILLS_MCP_CONNECT_TIMEOUT", defaults_t.connect),
                read=_number("SKILLS_MCP_READ_TIMEOUT", defaults_t.read),
                write=_number("SKILLS_MCP_WRITE_TIMEOUT", defaults_t.write),
            ),
            retry=RetryPolicy(
                budget=timeout if timeout is not None else _number("SKILLS_MCP_TIMEOUT", defaults_r.budget),
                max_attempts=max_attempts or int(_number("SKILLS_MCP_MAX_ATTEMPTS", defaults_r.max_attempts)),
            ),
        )


def api_key() -> str:
    """Read at call time, so the server starts, and lists its tools, without a key."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        raise ConfigError(
            'ANTHROPIC_API_KEY is not set. Add it to the "env" block of this server in your MCP client '
            "config (for Claude Desktop: claude_desktop_config.json), then restart the client."
        )
    return key


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds or attempts.") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than 0.")
    return value


def _allowed_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"--allow-dir {raw}: no such folder. Pass an existing folder.")
    return path.resolve()
