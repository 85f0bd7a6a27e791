"""Settings from the command line and the environment. The API key is read only when a call needs it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
    local_dir: Path | None = None  # local mode: the embedded emulator keeps its data here

    @property
    def local(self) -> bool:
        return self.local_dir is not None

    @property
    def shown_base_url(self) -> str:
        """The base URL as it may be printed or logged: without a user name or password in it."""
        return without_credentials(self.base_url)

    @classmethod
    def from_env(
        cls,
        *,
        allow_dirs: list[str] | None = None,
        beta: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        local: bool = False,
        data_dir: str | None = None,
    ) -> Settings:
        """Options win over the environment (SKILLS_MCP_BETA, SKILLS_MCP_TIMEOUT, SKILLS_MCP_LOCAL, ...)."""
        beta_value = beta if beta is not None else os.environ.get("SKILLS_MCP_BETA", DEFAULT_BETA)
        defaults_t, defaults_r = Timeouts(), RetryPolicy()
        local = local or os.environ.get("SKILLS_MCP_LOCAL", "").strip().lower() in ("1", "true", "yes", "on")
        return cls(
            local_dir=_local_dir(data_dir) if local else None,
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


def without_credentials(url: str) -> str:
    """`http://user:password@host/x` as `http://host/x`; anything unparsable is not printed at all."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(not a valid URL)"
    if "@" not in parts.netloc:
        return url
    host = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=f"{host}{port}"))


def api_key() -> str:
    """Read at call time, so the server starts, and lists its tools, without a key."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        raise ConfigError(
            'ANTHROPIC_API_KEY is not set. Add it to the "env" block of this server in your MCP client '
            "config (for Claude Desktop: claude_desktop_config.json), then restart the client."
        )
    return key


def _local_dir(explicit: str | None) -> Path:
    from .local import data_dir

    return data_dir(explicit)


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
    """A folder that does not exist (yet) stays allowed, and empty: refusing to start would hide the reason."""
    path = Path(raw).expanduser()
    if not path.is_dir():
        logging.getLogger(__name__).warning("--allow-dir %s: no such folder; nothing can be read there yet.", raw)
    return Path(os.path.realpath(path))
