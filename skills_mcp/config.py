"""Settings from the command line and the environment. The API key is read only when a call needs it."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from skills_mcp.errors import ConfigError
from skills_mcp.terms import ask

DEFAULT_BASE_URL = "https://api.anthropic.com"
# Local mode: requests go to the emulator in this process (`api.local.transport_for`), never to a socket.
LOCAL_BASE_URL = "http://skills-mcp.local"
LOCAL_KEY = "local-emulator"
API_VERSION = "2026-10-21"  # what the official SDK 2.10 sends
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,200}")  # printable ASCII: safe in a header


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0
    write: float = 60.0
    pool: float = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries (`api.retry` decides when and how long to wait)."""

    max_attempts: int = 4
    budget: float = 50.0  # seconds for one tool call's API work, retries and checks included
    base_delay: float = 0.5
    max_delay: float = 8.0


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    beta: str | None = None  # an anthropic-beta header value; None: the API as it is today (see `api.wire.Wire.of`)
    workspace_id: str | None = None  # sent as anthropic-workspace-id on every request when set
    allow_dirs: tuple[Path, ...] = ()  # empty: the client's roots, else the home folder
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    local_dir: Path | None = None  # local mode: the embedded emulator keeps its data here

    @property
    def local(self) -> bool:
        return self.local_dir is not None

    @property
    def api_base_url(self) -> str:
        """The base URL, checked when the first request needs it: a bad one is then a clear error for that call
        (a tool error, or CLI exit 5), while the server still starts and lists its tools."""
        return LOCAL_BASE_URL if self.local else checked_base_url(self.base_url)

    def key(self) -> str:
        """The key to send: local mode needs none of the user's."""
        return LOCAL_KEY if self.local else api_key()

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
        workspace_id: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        local: bool = False,
        data_dir: str | None = None,
    ) -> Settings:
        """Options win over the environment (SKILLS_MCP_BETA, ANTHROPIC_WORKSPACE_ID, SKILLS_MCP_TIMEOUT, ...)."""
        beta_value = beta if beta is not None else os.environ.get("SKILLS_MCP_BETA", "")
        workspace = workspace_id if workspace_id is not None else os.environ.get("ANTHROPIC_WORKSPACE_ID", "")
        defaults_t, defaults_r = Timeouts(), RetryPolicy()
        local = local or os.environ.get("SKILLS_MCP_LOCAL", "").strip().lower() in ("1", "true", "yes", "on")
        return cls(
            local_dir=local_data_dir(data_dir) if local else None,
            base_url=os.environ.get("ANTHROPIC_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            beta=_header_value("--beta / SKILLS_MCP_BETA", beta_value),
            workspace_id=_header_value("--workspace-id / ANTHROPIC_WORKSPACE_ID", workspace),
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


def checked_base_url(url: str) -> str:
    """An http(s) URL with a host and no credentials, without its trailing slash; else a ConfigError.

    Credentials in the URL would make the HTTP client send Basic auth instead of our Bearer key (every call
    fails 401), and a URL without a usable scheme or host could only fail after retrying for the whole budget.
    The message never repeats the credentials.
    """
    where = "ANTHROPIC_BASE_URL"
    fix = f"Set it to the API's address, e.g. {DEFAULT_BASE_URL} (or unset it for that default)."
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigError(f"{where} is not a valid URL ({_reason(exc)}). {fix}") from None
    shown = without_credentials(url)
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"the scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ConfigError(f"{where}={shown} has {scheme}; it must start with https:// (or http://). {fix}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError(
            f"{where} holds a user name or password (without them: {shown}). skills-mcp sends the key from "
            "ANTHROPIC_API_KEY as a Bearer token, and credentials in the URL would replace it. Remove them."
        )
    if not host:
        raise ConfigError(f"{where}={shown} has no host. {fix}")
    return url.rstrip("/")


def _reason(exc: ValueError) -> str:
    """A parser's complaint without the URL in it: it may hold a password."""
    text = str(exc)
    return "bad port" if "port" in text.lower() else "it cannot be parsed"


def _header_value(where: str, raw: str) -> str | None:
    """A header value from an option or the environment: empty means unset; anything else must be sendable."""
    value = raw.strip()
    if not value:
        return None
    if not _HEADER_VALUE.fullmatch(value):
        raise ConfigError(
            f"{where}: the value is not 1 to 200 printable ASCII characters, so it cannot be sent as a header. "
            "Check for a stray line break or non-ASCII character."
        )
    return value


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
        raise ConfigError("ANTHROPIC_API_KEY is not set. ", ask("key_setup"))
    return key


def local_data_dir(explicit: str | None = None) -> Path:
    """Where local mode keeps its data: --data-dir, else SKILLS_MCP_DATA_DIR, else the user data folder."""
    raw = explicit or os.environ.get("SKILLS_MCP_DATA_DIR")
    if raw:
        return Path(raw).expanduser().resolve()
    import platformdirs  # deferred: only local mode needs it

    return Path(platformdirs.user_data_dir("skills-mcp", appauthor=False)) / "emulator"


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return positive(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} {exc}") from None


def positive(raw: str) -> float:
    """The one check of a number of seconds or attempts, from the environment or the command line."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a number of seconds or attempts.") from None
    if not value > 0 or value == float("inf"):  # NaN is not greater than 0
        raise ValueError("must be a finite number greater than 0.")
    return value


def _allowed_dir(raw: str) -> Path:
    """A folder that does not exist (yet) stays allowed, and empty: refusing to start would hide the reason."""
    path = Path(raw).expanduser()
    if not path.is_dir():
        logging.getLogger(__name__).warning("--allow-dir %s: no such folder; nothing can be read there yet.", raw)
    return Path(os.path.realpath(path))
