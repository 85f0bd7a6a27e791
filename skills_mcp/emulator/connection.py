"""Connections the emulator breaks on purpose: dropped before an answer, or cut partway through one."""

from __future__ import annotations

import asyncio
import functools
import socket
import struct
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

DROP = "skills_emulator.drop"  # scope key of the callable that breaks the request's connection


class EmulatorApp(Starlette):
    """Starlette, plus a way for a response to break the connection it is sent on (see `_drop`).

    Hooked in here, outside starlette's middleware, because only the server's own `send` leads to it.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # unless the server in front breaks connections its own way (local.py)
            scope.setdefault(DROP, functools.partial(_drop, receive, send))
        await super().__call__(scope, receive, send)


async def _drop(receive: Receive, send: Send, *, reset: bool) -> None:
    """Close the request's connection, with no response or the part of one already sent.

    Relies on uvicorn (serve.py): in its h11 and httptools protocols the `send` given to the app is a
    bound method of the request cycle, whose `transport` is the connection's asyncio transport.
    `reset` aborts with SO_LINGER 0, so the peer gets an RST whatever is unsent or unread; otherwise
    what was sent is flushed, then a plain FIN. Waiting for http.disconnect lets uvicorn mark the cycle
    disconnected before the app returns, so it logs no "returned without completing response" error.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("dropping a connection needs the emulator served by uvicorn (h11 or httptools)")
    if transport.is_closing():
        pass  # the client left first (its socket is closed already): nothing to break, no linger to set
    elif reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass  # request body still buffered: not read, just skipped


@dataclass
class Broken:
    """A response that breaks its connection: at once (`inner` None), or after `inner`'s head and the
    first half of its Content-Length, so the client sees a body that stops short."""

    inner: Response | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drop = scope[DROP]
        if self.inner is None:
            await drop(reset=True)
            return
        left = int(self.inner.headers.get("content-length", "0")) // 2
        cut = False

        async def send_part(message: Message) -> None:
            nonlocal left, cut
            if cut:
                return  # the rest of the body, with the connection already gone
            if message["type"] == "http.response.body":
                body = bytes(message.get("body", b""))[:left]
                left -= len(body)
                message = {"type": "http.response.body", "body": body, "more_body": True}
                cut = left == 0
            await send(message)
            if cut:
                await drop(reset=False)

        await self.inner(scope, receive, send_part)
