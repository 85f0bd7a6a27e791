"""Scripted failures, so tests can show how a client behaves when the API misbehaves.

A fault answers with a chosen response, or breaks the connection at a chosen point: before the
request body is read, after the request was handled, or partway through the response body.
A new kind is one more `FaultKind` and one more branch where the app renders it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from starlette.responses import JSONResponse, Response, StreamingResponse

from .routes import error_response

# respond: answer `status` (today's faults). drop_before_body: close the connection without reading the
# body or answering; nothing happens. drop_after_body: handle the request (it lands), then close without
# answering. truncate: send the head and half the body of a response, then close. slow: read the request,
# wait `delay`, then handle it normally, unless the client has gone by then (a server that drops
# abandoned work), so a client's own timeout leaves nothing behind.
FaultKind = Literal["respond", "drop_before_body", "drop_after_body", "truncate", "slow"]
DROPS: tuple[FaultKind, ...] = ("drop_before_body", "drop_after_body")
_CHUNK = 64 * 1024

# The error.type the API uses for each status; a fault without a body borrows it.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Fault:
    """Misbehave on the next `times` matching requests, after sleeping `delay` seconds.

    `status` is the fault's own response: `body` None gives the standard error body for the status,
    `body_size` streams that many bytes of b"x" instead (never held in memory). `after` True handles
    the request first (its side effects land) and then answers the fault instead: "5xx, but it
    happened". `truncate` without a `status` cuts the real response of the handled request.
    """

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | dict[str, object] | None = None
    times: int = 1
    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0
    after: bool = False
    kind: FaultKind = "respond"
    body_size: int | None = None

    def __post_init__(self) -> None:
        # Refuse combinations that would silently do something other than what the test meant.
        if self.kind == "respond" and self.status is None:
            raise ValueError("a respond fault needs a status")
        if self.status is None and (self.headers or self.body is not None or self.body_size is not None):
            raise ValueError("headers, body and body_size shape the fault's own response: give a status too")
        if self.kind in DROPS and (self.status is not None or self.after):
            raise ValueError(f"{self.kind} sends no response: status and after do not apply")
        if self.kind == "slow" and (self.status is not None or self.after or self.delay <= 0):
            raise ValueError("a slow fault behaves normally after its delay: give a delay, no status or after")
        if self.body is not None and self.body_size is not None:
            raise ValueError("give body or body_size, not both")
        if self.body_size is not None and self.body_size < 0:
            raise ValueError("body_size must not be negative")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )


@dataclass
class _Armed:
    fault: Fault
    left: int


class FaultQueue:
    """Faults in push order; the first one that matches is used. Tests push from their own thread.

    Only a test makes one (`EmulatorState(faults=FaultQueue())`): the product's emulator has none, and
    no option or variable gives it one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Armed] = []

    def push(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("Fault.times must be at least 1")
        with self._lock:
            self._queue.append(_Armed(fault, fault.times))

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, with one of its uses spent."""
        with self._lock:
            for armed in self._queue:
                if armed.fault.matches(method, path):
                    armed.left -= 1
                    if armed.left == 0:
                        self._queue.remove(armed)
                    return armed.fault
        return None

    def pending(self) -> list[tuple[Fault, int]]:
        """Faults not used up yet, with their remaining uses."""
        with self._lock:
            return [(armed.fault, armed.left) for armed in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


def fault_response(fault: Fault, request_id: str) -> Response:
    if fault.status is None:
        raise ValueError("this fault has no response of its own")
    headers = {"request-id": request_id, **fault.headers}
    if fault.body_size is not None:
        headers.setdefault("content-length", str(fault.body_size))
        return StreamingResponse(
            _filler(fault.body_size), status_code=fault.status, headers=headers, media_type="application/json"
        )
    if fault.body is None:
        default_type = "api_error" if fault.status >= 500 else "invalid_request_error"
        response: Response = error_response(
            fault.status, ERROR_TYPES.get(fault.status, default_type), "Injected fault", request_id
        )
        response.headers.update(headers)
        return response
    if isinstance(fault.body, bytes):
        return Response(fault.body, status_code=fault.status, headers=headers, media_type="application/json")
    return JSONResponse(fault.body, status_code=fault.status, headers=headers)


async def _filler(size: int) -> AsyncIterator[bytes]:
    """`size` bytes of b"x", one shared chunk at a time: an oversized body without the memory."""
    chunk = b"x" * _CHUNK
    for start in range(0, size, _CHUNK):
        yield chunk[: size - start]
