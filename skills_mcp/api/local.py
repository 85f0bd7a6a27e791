"""Local mode: the Skills API emulator inside this process, with its data on disk. No network, no key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx2

from skills_mcp.config import LOCAL_BASE_URL, Settings

LABEL = "[LOCAL EMULATOR, not the Anthropic API]"

_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_App = Callable[[MutableMapping[str, Any], _Receive, _Send], Awaitable[None]]


def transport_for(settings: Settings) -> httpx2.AsyncBaseTransport | None:
    """The transport a client of these settings needs: the emulator in process in local mode, else the network's."""
    return transport(settings.local_dir) if settings.local_dir is not None else None


def transport(folder: Path) -> httpx2.AsyncBaseTransport:
    """An httpx2 transport that calls the emulator app directly, so requests never touch a socket.

    Opens the folder now: one that cannot be used is a `DataDirError` naming it, before anything is served.
    """
    from skills_mcp.emulator import EmulatorState, create_app  # deferred: starlette only for local mode

    host = httpx2.URL(LOCAL_BASE_URL).host  # no socket, so no other name can reach it
    state = EmulatorState(data_dir=folder, record=False, allowed_hosts=[host])
    return httpx2.ASGITransport(app=_Connection(create_app(state)))


class _Connection:
    """What a socket between client and emulator would do, in process.

    When the client's request body fails (an upload abandoned on purpose, say), a socket would close:
    the emulator sees the client go (http.disconnect, as over HTTP) and the client gets its own error back,
    not the emulator's answer to a half-read body. A connection the emulator breaks has no answer either.
    """

    def __init__(self, app: _App) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: _Receive, send: _Send) -> None:
        from skills_mcp.emulator.app import DROP

        failed: list[Exception] = []
        dropped = False

        async def receive_or_gone() -> _Message:
            if failed:
                return {"type": "http.disconnect"}
            try:
                return await receive()
            except Exception as exc:  # the client's body, failing on the client's side
                failed.append(exc)
                return {"type": "http.disconnect"}

        async def drop(*, reset: bool) -> None:
            nonlocal dropped
            dropped = True

        async def send_unless_dropped(message: _Message) -> None:
            if not dropped:
                await send(message)

        if scope["type"] == "http":
            scope[DROP] = drop
        await self.app(scope, receive_or_gone, send_unless_dropped)
        if failed:
            raise failed[0]
        if dropped:
            raise httpx2.RemoteProtocolError("the emulator closed the connection without a complete answer")
