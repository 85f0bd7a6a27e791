"""Local mode: the Skills API emulator inside this process, with its data on disk. No network, no key."""

from __future__ import annotations

import os
from pathlib import Path

import httpx2

LOCAL_BASE_URL = "http://skills-mcp.local"
LOCAL_KEY = "local-emulator"
LABEL = "[LOCAL EMULATOR, not the Anthropic API]"


def data_dir(explicit: str | None = None) -> Path:
    """--data-dir, else SKILLS_MCP_DATA_DIR, else the platform's user data folder."""
    raw = explicit or os.environ.get("SKILLS_MCP_DATA_DIR")
    if raw:
        return Path(raw).expanduser().resolve()
    import platformdirs  # deferred: only local mode needs it

    return Path(platformdirs.user_data_dir("skills-mcp", appauthor=False)) / "emulator"


def transport(folder: Path) -> httpx2.AsyncBaseTransport:
    """An httpx2 transport that calls the emulator app directly, so requests never touch a socket."""
    from .emulator import EmulatorState, create_app  # deferred: starlette only for local mode

    folder.mkdir(parents=True, exist_ok=True)
    return httpx2.ASGITransport(app=create_app(EmulatorState(data_dir=folder, record=False)))
