"""Settings from the command line and the environment. The API key is read only when a call needs it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

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

    @classmethod
    def from_env(cls, *, allow_dirs: list[str] | None = None, beta: str | None = None) -> Settings:
        beta_value = beta if beta is not None else os.environ.get("SKILLS_MCP_BETA", DEFAULT_BETA)
        return cls(
            base_url=(os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            beta=beta_value.strip() or None,
            allow_dirs=tuple(_allowed_dir(d) for d in allow_dirs or ()),
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


def _allowed_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"--allow-dir {raw}: no such folder. Pass an existing folder.")
    return path.resolve()
