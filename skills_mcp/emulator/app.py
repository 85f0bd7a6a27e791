"""The Skills API over HTTP: routes, auth, the beta and GA shapes, error bodies, request log, faults.

One catch-all endpoint instead of starlette routing, so every request (even a refused or
unroutable one) is logged, can be faulted, and gets an API-shaped error body.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import socket
import struct
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.datastructures import QueryParams, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from skills_mcp.limits import MAX_FILES, MAX_UPLOAD_BYTES

from .faults import Fault, FaultQueue
from .persist import DiskStore
from .store import EmulatorError, SkillRecord, Store, VersionRecord, bad_request, new_id, too_large, zip_version
from .zip_upload import expand, is_zip_upload

BETA = "skills-2025-10-02"
FILES_FIELD = "files[]"
REDACTED = "[redacted]"
_SECRET_HEADERS = ("authorization", "x-api-key")
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
DROP = "skills_emulator.drop"  # scope key of the callable that breaks the request's connection
_CHUNK = 64 * 1024
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

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

log = logging.getLogger(__name__)


@dataclass
class RecordedRequest:
    """What arrived, secrets redacted; `status` is filled in once answered.

    `dropped` says where a fault broke the connection: a truncated response keeps its `status`,
    a dropped request has none.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (field, filename, bytes)
    fields: list[tuple[str, str]] = field(default_factory=list)  # text parts, e.g. display_name
    status: int | None = None
    body_bytes: int = 0  # of a multipart body, how much the emulator read (it stops at a refusal)
    dropped: Literal["before_body", "after_body", "truncated", "client_gone"] | None = None


class EmulatorState:
    """Everything a test may inspect or script. `api_keys` empty: any non-empty key is accepted.

    `data_dir` None keeps skills in memory, gone with the process; a folder keeps them there, shared
    with any other emulator (process) given the same folder (see persist.py). `record` keeps every
    request (uploads included) in `requests` for tests to inspect; a long-running emulator turns it off.
    """

    def __init__(
        self,
        api_keys: Iterable[str] = (),
        data_dir: Path | None = None,
        *,
        record: bool = True,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.api_keys = set(api_keys)
        # Host names answered besides the loopback ones: a web page that rebinds its own name to 127.0.0.1
        # sends that name, and is refused (421) before it can read or change anyone's skills.
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.data_dir = data_dir
        self.record = record
        self.store: Store = Store() if data_dir is None else DiskStore(data_dir)
        self.requests: list[RecordedRequest] = []
        self.faults = FaultQueue()
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
        self.faults.clear()


class _ClientGone(Exception):
    """The client went away (mid-body, or while a slow fault stalled); the request is dropped unhandled."""


@dataclass
class Call:
    """One parsed request, as handlers see it."""

    state: EmulatorState
    beta: bool
    query: QueryParams
    params: dict[str, str]
    fields: dict[str, str]
    files: list[tuple[str, bytes]]  # the files[] parts: (filename, bytes)


Handler = Callable[[Call], Response]


def create_app(state: EmulatorState | None = None) -> Starlette:
    """The emulator as an ASGI app; its state is `app.state.emulator`."""
    emulator = state if state is not None else EmulatorState()

    async def endpoint(request: Request) -> Response | _Broken:
        with emulator._handling():
            return await handle(request)

    async def handle(request: Request) -> Response | _Broken:
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
        fault = emulator.faults.take(request.method, request.url.path)
        if fault is not None and fault.kind == "drop_before_body":
            await asyncio.sleep(fault.delay)
            record.dropped = "before_body"
            return _Broken()
        try:
            response = await _answer(emulator, request, record, request_id, fault)
        except _ClientGone:
            record.dropped = "client_gone"
            return _Broken()
        except Exception as exc:  # a bug here must still answer like the API, and say what broke
            log.exception("emulator failed on %s %s", request.method, request.url.path)
            response = error_response(500, "api_error", f"Emulator bug: {exc!r}", request_id)
        response.headers.setdefault("request-id", request_id)
        if fault is not None and fault.kind == "drop_after_body":
            record.dropped = "after_body"
            return _Broken()
        record.status = response.status_code
        if fault is not None and fault.kind == "truncate":
            record.dropped = "truncated"
            return _Broken(response)
        return response

    app = _EmulatorApp(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])
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
            await _read_form(request, record, fields, files)  # even for a fault: tests see what was sent
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            if await request.is_disconnected():
                raise _ClientGone
        if fault is not None and fault.status is not None and not fault.after:
            await asyncio.sleep(fault.delay)
            return fault_response(fault, request_id)
        response = _handle(state, request, fields, files)
    except EmulatorError as exc:
        response = error_response(exc.status, exc.type, exc.message, request_id)
    if fault is not None:
        await asyncio.sleep(fault.delay)
        if fault.status is not None:
            return fault_response(fault, request_id)
    return response


class _TooLarge(MultiPartException):
    """More file bytes or files than the API takes: refused as they stream in, not once all of them are in."""


class _LimitedParser(MultiPartParser):
    """Starlette's multipart parser, stopping at MAX_UPLOAD_BYTES of file content or MAX_FILES files,
    counted as they arrive."""

    file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()  # counts files; its own cap is set one higher, so this one speaks
        if self._current_files > MAX_FILES:
            raise _TooLarge(f"Too many files: an upload holds at most {MAX_FILES}.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is not None:
            self.file_bytes += end - start
            if self.file_bytes > MAX_UPLOAD_BYTES:
                raise _TooLarge("Total upload size exceeds the 30 MB limit.")
        super().on_part_data(data, start, end)


async def _read_form(
    request: Request, record: RecordedRequest, fields: dict[str, str], files: list[tuple[str, bytes]]
) -> None:
    async def counted() -> AsyncGenerator[bytes, None]:
        async for chunk in request.stream():
            record.body_bytes += len(chunk)
            yield chunk

    try:
        async with contextlib.aclosing(counted()) as stream:
            parser = _LimitedParser(request.headers, stream, max_files=MAX_FILES + 1, max_fields=100)
            form = await parser.parse()
    except ClientDisconnect:  # the client stopped mid-body: as with the real API, nothing is stored
        raise _ClientGone from None
    except _TooLarge as exc:
        raise too_large(exc.message) from None
    except MultiPartException as exc:
        raise bad_request(f"Malformed multipart body: {exc.message}") from exc
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                record.files.append((key, value.filename or "", data))
                if key == FILES_FIELD:
                    files.append((value.filename or "", data))
            else:
                record.fields.append((key, value))
                if key == FILES_FIELD:  # a files[] part without a filename: no path, so a bad one
                    files.append(("", value.encode()))
                else:
                    fields[key] = value
    finally:
        await form.close()


def _handle(state: EmulatorState, request: Request, fields: dict[str, str], files: list[tuple[str, bytes]]) -> Response:
    headers = request.headers
    if not headers.get("anthropic-version"):
        raise bad_request("anthropic-version: header is required")
    _authenticate(state, headers.get("authorization"), headers.get("x-api-key"))
    betas = {b.strip() for b in headers.get("anthropic-beta", "").split(",")}
    path = request.url.path
    for pattern, handlers in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        handler = handlers.get(request.method)
        if handler is None:
            raise EmulatorError(405, "invalid_request_error", f"Method {request.method} not allowed on {path}")
        return handler(Call(state, BETA in betas, request.query_params, match.groupdict(), fields, files))
    raise EmulatorError(404, "not_found_error", f"Not found: {path}")


def host_name(host: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: set[str]) -> bool:
    name = host_name(host)
    return bool(name) and (name in LOOPBACK_NAMES or name in allowed or host.strip().lower() in allowed)


def _authenticate(state: EmulatorState, authorization: str | None, x_api_key: str | None) -> None:
    key = None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = token.strip()
    key = key or x_api_key or None
    if key is None:
        raise EmulatorError(401, "authentication_error", "x-api-key header or Authorization: Bearer token is required")
    if state.api_keys and key not in state.api_keys:
        raise EmulatorError(401, "authentication_error", "invalid x-api-key")


# ---- responses ---------------------------------------------------------------------------------


def error_response(status: int, type: str, message: str, request_id: str) -> JSONResponse:
    body = {"type": "error", "error": {"type": type, "message": message}, "request_id": request_id}
    return JSONResponse(body, status_code=status, headers={"request-id": request_id})


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


# ---- broken connections --------------------------------------------------------------------------


class _EmulatorApp(Starlette):
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
class _Broken:
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


DAMAGED = "damaged"  # a damaged skill's latest version: not null, so a client looks, and is told what broke


def skill_json(skill: SkillRecord, beta: bool) -> dict[str, Any]:
    """The GA fields always; under the beta header the beta-era ones too (§4.3), because the SDK's beta type
    (`BetaSkill`) declares the GA fields. `source` is the object both SDK types declare, not §4.3's plain
    string, which the SDK cannot read (docs/emulator.md)."""
    latest = skill.latest
    damaged = DAMAGED if skill.damage is not None else None
    head: dict[str, Any] = {}
    if beta:
        head = {"display_title": skill.display_title, "latest_version": latest.version if latest else damaged}
    head |= {
        "display_name": skill.display_title or skill.name,
        "latest_version_id": latest.id if latest else damaged,
        "source": {"type": skill.source},
    }
    return {
        "id": skill.id,
        "type": "skill",
        **head,
        "created_at": skill.created_at,
        "updated_at": skill.updated_at,
    }


def version_json(version: VersionRecord, beta: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": version.id, "type": "skill_version", "skill_id": version.skill_id}
    if beta:
        body["version"] = version.version
    body |= {"name": version.name, "description": version.description}
    if beta:
        body["directory"] = version.directory
    body["created_at"] = version.created_at
    return body


# ---- handlers ----------------------------------------------------------------------------------


def _limit(call: Call) -> int:
    raw = call.query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request(f"limit: must be an integer, not {raw!r}.") from None
    cap = call.state.page_cap
    return min(limit, cap) if cap is not None and limit >= 1 else limit


def create_skill(call: Call) -> Response:
    names = ("display_title", "display_name") if call.beta else ("display_name", "display_title")
    title = next((call.fields[n] for n in names if call.fields.get(n)), None)
    skill = call.state.store.create_skill(expand(call.files), title, unique_title=call.beta)
    return JSONResponse(skill_json(skill, call.beta))


def list_skills(call: Call) -> Response:
    skills, next_page = call.state.store.list_skills(_limit(call), call.query.get("page"), call.query.get("source"))
    return JSONResponse({"data": [skill_json(s, call.beta) for s in skills], "next_page": next_page})


def get_skill(call: Call) -> Response:
    return JSONResponse(skill_json(call.state.store.get_skill(call.params["skill_id"]), call.beta))


def delete_skill(call: Call) -> Response:
    call.state.store.delete_skill(call.params["skill_id"])
    return JSONResponse({"id": call.params["skill_id"], "type": "skill_deleted"})


def create_version(call: Call) -> Response:
    files = call.files
    if is_zip_upload(files):
        call.state.store.get_skill(call.params["skill_id"])  # a missing skill is a 404 first, as for files[] parts
        files = expand(files)
    version = call.state.store.create_version(call.params["skill_id"], files)
    return JSONResponse(version_json(version, call.beta))


def list_versions(call: Call) -> Response:
    versions, next_page = call.state.store.list_versions(call.params["skill_id"], _limit(call), call.query.get("page"))
    body: dict[str, Any] = {"data": [version_json(v, call.beta) for v in versions]}
    if call.beta:
        body["has_more"] = next_page is not None
    body["next_page"] = next_page
    return JSONResponse(body)


def get_version(call: Call) -> Response:
    version = call.state.store.get_version(
        call.params["skill_id"], call.params["version"], by_epoch=call.beta, allow_latest=True
    )
    return JSONResponse(version_json(version, call.beta))


def delete_version(call: Call) -> Response:
    version = call.state.store.delete_version(call.params["skill_id"], call.params["version"], by_epoch=call.beta)
    return JSONResponse({"id": version.version if call.beta else version.id, "type": "skill_version_deleted"})


def version_content(call: Call) -> Response:
    version = call.state.store.get_version(
        call.params["skill_id"], call.params["version"], by_epoch=call.beta, allow_latest=False
    )
    return Response(
        zip_version(version),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{version.name}.zip"'},
    )


_SEG = "[^/]+"
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile("/v1/skills"), {"GET": list_skills, "POST": create_skill}),
    (re.compile(f"/v1/skills/(?P<skill_id>{_SEG})"), {"GET": get_skill, "DELETE": delete_skill}),
    (re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions"), {"GET": list_versions, "POST": create_version}),
    (
        re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions/(?P<version>{_SEG})"),
        {"GET": get_version, "DELETE": delete_version},
    ),
    (
        re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions/(?P<version>{_SEG})/content"),
        {"GET": version_content},
    ),
]
