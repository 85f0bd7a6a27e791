"""The Skills API emulator as an ASGI app: the request log, the fault points, and the way to the routes.

One catch-all endpoint instead of starlette routing, so every request (even a refused or
unroutable one) is logged, can be faulted (in tests), and gets an API-shaped error body.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .connection import DROP, Broken, EmulatorApp
from .database import Store
from .faults import Fault, FaultQueue, fault_response
from .forms import ClientGone, RecordedRequest, read_form
from .routes import error_response, host_allowed, route
from .store import EmulatorError, new_id

__all__ = ["DROP", "EmulatorState", "RecordedRequest", "create_app"]

REDACTED = "[redacted]"
_SECRET_HEADERS = ("authorization", "x-api-key")
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

log = logging.getLogger(__name__)


class EmulatorState:
    """Everything a test may inspect or script. `api_keys` empty: any non-empty key is accepted.

    `data_dir` None keeps skills in memory, gone with the process; a folder keeps them there, shared
    with any other emulator (process) given the same folder (see database.py). `record` keeps every
    request (uploads included) in `requests` for tests to inspect; a long-running emulator turns it off.
    `faults` is a test's control (faults.py): without one, nothing misbehaves and no fault is looked for.
    """

    def __init__(
        self,
        api_keys: Iterable[str] = (),
        data_dir: Path | None = None,
        *,
        record: bool = True,
        allowed_hosts: Iterable[str] = (),
        faults: FaultQueue | None = None,
    ) -> None:
        self.api_keys = set(api_keys)
        # Host names answered besides the loopback ones: a web page that rebinds its own name to 127.0.0.1
        # sends that name, and is refused (421) before it can read or change anyone's skills.
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.data_dir = data_dir
        self.record = record
        self.store = Store(data_dir)
        self.requests: list[RecordedRequest] = []
        self.faults = faults
        # Answer at most this many items per page whatever `limit` asks, as a server may: clients must follow
        # next_page rather than trust their limit.
        self.page_cap: int | None = None
        self._idle = threading.Condition()
        self._in_flight = 0

    @contextlib.contextmanager
    def _handling(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no request is being handled, so every record is complete (its status, or where it was
        dropped): a client's answer can come before the emulator has seen an abandoned upload go."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def uploads(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.files]

    def reset(self) -> None:
        """Back to a fresh emulator; with a `data_dir`, that deletes every skill stored there."""
        if self.data_dir is None:
            self.store = Store()
        else:
            self.store.clear()
        self.page_cap = None
        self.requests.clear()
        if self.faults is not None:
            self.faults.clear()


def create_app(state: EmulatorState | None = None) -> Starlette:
    """The emulator as an ASGI app; its state is `app.state.emulator`."""
    emulator = state if state is not None else EmulatorState()

    async def endpoint(request: Request) -> Response | Broken:
        with emulator._handling():
            return await handle(request)

    async def handle(request: Request) -> Response | Broken:
        request_id = new_id("req_")
        record = RecordedRequest(
            request.method,
            request.url.path,
            request.url.query,
            {k: REDACTED if k in _SECRET_HEADERS else v for k, v in request.headers.items()},
        )
        if emulator.record:
            emulator.requests.append(record)
        host = request.headers.get("host", "")
        if not host_allowed(host, emulator.allowed_hosts):
            record.status = 421
            return error_response(
                421,
                "invalid_request_error",
                f"Host {host!r} is not served here: only loopback names (127.0.0.1, localhost, [::1]) and names "
                "given with --allowed-host are.",
                request_id,
            )
        # Taken before the body is read, so "the next request" means the next to arrive, even when
        # a slower upload that came first is still streaming in.
        fault = None if emulator.faults is None else emulator.faults.take(request.method, request.url.path)
        if fault is not None and fault.kind == "drop_before_body":
            await asyncio.sleep(fault.delay)
            record.dropped = "before_body"
            return Broken()
        try:
            response = await _answer(emulator, request, record, request_id, fault)
        except ClientGone:
            record.dropped = "client_gone"
            return Broken()
        except Exception as exc:  # a bug here must still answer like the API, and say what broke
            log.exception("emulator failed on %s %s", request.method, request.url.path)
            response = error_response(500, "api_error", f"Emulator bug: {exc!r}", request_id)
        response.headers.setdefault("request-id", request_id)
        if fault is not None and fault.kind == "drop_after_body":
            record.dropped = "after_body"
            return Broken()
        record.status = response.status_code
        if fault is not None and fault.kind == "truncate":
            record.dropped = "truncated"
            return Broken(response)
        return response

    app = EmulatorApp(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])
    app.state.emulator = emulator
    return app


async def _answer(
    state: EmulatorState, request: Request, record: RecordedRequest, request_id: str, fault: Fault | None
) -> Response:
    """The response to send: the fault's own (instead of handling, or after it), else the real one."""
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    try:
        if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await read_form(request, record, fields, files)  # even for a fault: tests see what was sent
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            if await request.is_disconnected():
                raise ClientGone
        if fault is not None and fault.status is not None and not fault.after:
            await asyncio.sleep(fault.delay)
            return fault_response(fault, request_id)
        # In a worker thread: the database is read and written there, never on the event loop.
        response = await anyio.to_thread.run_sync(route, state, request, fields, files)
    except EmulatorError as exc:
        response = error_response(exc.status, exc.type, exc.message, request_id)
    if fault is not None:
        await asyncio.sleep(fault.delay)
        if fault.status is not None:
            return fault_response(fault, request_id)
    return response
