"""The Skills API over one shared httpx2 client: headers, retries, time budget, and errors in plain words.

Retry rules, in short (docs/reliability.md has the long form):
- a request that never left (connection refused, no free connection) is sent again;
- 408, 429, 502, 503, 504 and 529 are retried after the wait the server names, else after an
  exponential backoff with jitter; `x-should-retry` overrides the status;
- a create whose outcome is unknown (the body went out, then the connection dropped or timed out,
  or the API answered 5xx) is never sent again blindly: `reconcile` first checks whether it landed
  and returns what landed;
- everything one tool call does shares one time budget, so no call outlives a client's timeout.

Answers are judged before use: a redirect is refused (never followed), a body that is too large, not
JSON or nested too deep is refused (`ResponseRefused`), a listing is bounded across all its pages, and
every string that comes back is redacted of the API key.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
import httpx2

from skills_mcp import __version__
from skills_mcp.api import landed as reconcile
from skills_mcp.api import local
from skills_mcp.api.retry import next_delay, should_retry
from skills_mcp.config import API_VERSION, Settings, api_key
from skills_mcp.errors import (
    CHECK_HINT,
    APIError,
    APIUnreachable,
    CannotTell,
    ConfigError,
    ResponseRefused,
    SkillsMcpError,
)
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.packaging import Package, UploadStream

log = logging.getLogger(__name__)

USER_AGENT = f"skills-publisher-mcp/{__version__} (+https://pypi.org/project/skills-publisher-mcp)"
MAX_JSON_BYTES = 10_000_000  # no Skills API answer comes near this; a bigger one is refused, not buffered
MAX_ERROR_BYTES = 1_000_000  # of an error's body; its message is cut to 2,000 characters anyway
# One listing, all its pages: far beyond any real workspace, well short of what a looping API could send.
MAX_PAGES = 200
MAX_LIST_ITEMS = 20_000
MAX_LIST_BYTES = 50_000_000
REDACTED = "[redacted]"
# Of a create's budget, what is kept back to check whether an upload with an unknown outcome landed.
RECONCILE_RESERVE = 8.0

Kind = Literal["read", "delete", "create"]
T = TypeVar("T")
S = TypeVar("S")

_deadline: ContextVar[float | None] = ContextVar("skills_mcp_deadline", default=None)


@dataclass
class _Failure:
    """One attempt that did not succeed: enough to decide on a retry and to explain giving up."""

    summary: str
    retry: bool  # safe and useful to send again as it is
    maybe_acted: bool  # the request reached the API, which may have acted on it before failing
    headers: httpx2.Headers | None = None
    error: APIError | ResponseRefused | None = None


@dataclass
class _Unknown:
    """The check for a landed upload could not decide, and why."""

    reason: str


class SkillsAPI:
    """One instance per server process, shared by every tool call and closed at shutdown.

    Its httpx2 client (one connection pool) is made on first use: building the TLS context costs about
    50 ms, which would otherwise delay every cold start, also of servers that never make a call.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        if settings.local_dir is not None and transport is None:
            transport = local.transport(settings.local_dir)
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None
        # Each skill's newest version as this process last saw it: the snapshot for its next upload.
        self._newest_seen: dict[str, str | None] = {}

    @property
    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            t = self.settings.timeouts
            headers = {"anthropic-version": API_VERSION, "accept": "application/json", "user-agent": USER_AGENT}
            if self.settings.beta:
                headers["anthropic-beta"] = self.settings.beta
            if self.settings.workspace_id:  # on every request: retries and the "did it land?" reads included
                headers["anthropic-workspace-id"] = self.settings.workspace_id
            self._client = httpx2.AsyncClient(
                base_url=local.LOCAL_BASE_URL if self.settings.local else self.settings.api_base_url,
                headers=headers,
                timeout=httpx2.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
                transport=self._transport,
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        elif self._transport is not None:
            await self._transport.aclose()

    @contextmanager
    def budget(self) -> Iterator[None]:
        """Everything inside shares one deadline (the retry policy's budget); nested uses keep the outer one."""
        if _deadline.get() is not None:
            yield
            return
        token = _deadline.set(time.monotonic() + self.settings.retry.budget)
        try:
            yield
        finally:
            _deadline.reset(token)

    # --- endpoints ---------------------------------------------------------------------------------------

    async def create_skill_version(
        self, skill_id: str, package: Package, reporter: Reporter = QUIET, *, skill: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """`skill`: the skill as just read, if the caller has it.

        What the newest version was before the upload is how an upload with a lost answer is told apart
        from an earlier, identical one. It comes from `skill`, else from this process's last upload to the
        skill (an older snapshot only widens the check, see `reconcile`), else from reading the skill
        alongside the upload (then an unknown skill stops the upload before its end).
        """

        async def read() -> str | None:
            return self.settings.wire.latest(await self.get_skill(skill_id))

        if skill is not None:
            before = reconcile.Snapshot.known(self.settings.wire.latest(skill))
        elif skill_id in self._newest_seen:
            before = reconcile.Snapshot.known(self._newest_seen[skill_id])
        else:
            before = reconcile.Snapshot(read)

        async def landed(latest: str | None) -> dict[str, Any] | None:
            return await reconcile.landed_version(self, skill_id, package, latest)

        path = f"/v1/skills/{_segment(skill_id)}/versions"
        version = await self._upload(path, package, {}, reporter, before, landed)
        if ref := self.version_ref(version):
            self._newest_seen[skill_id] = ref
        return version

    def version_ref(self, version: dict[str, Any]) -> str:
        """How to address `version` in a path, in this client's mode (see `wire.Wire.ref`)."""
        return self.settings.wire.ref(version)

    async def create_skill(
        self, package: Package, *, display_name: str | None = None, reporter: Reporter = QUIET
    ) -> dict[str, Any]:
        """The title goes as the form field the mode names: `display_name`, or `display_title` under the beta."""

        async def read() -> set[str]:
            return await reconcile.newest_skills(self)

        async def landed(newest: set[str]) -> dict[str, Any] | None:
            return await reconcile.landed_skill(self, package, newest)

        data = {self.settings.wire.title_field: display_name} if display_name else {}
        return await self._upload("/v1/skills", package, data, reporter, reconcile.Snapshot(read), landed)

    async def get_skill(self, skill_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/v1/skills/{_segment(skill_id)}")

    async def list_skills(
        self, *, source: str | None = None, limit: int = 20, page: str | None = None
    ) -> dict[str, Any]:
        return await self._json("GET", "/v1/skills", _query(limit=limit, source=source, page=page))

    async def all_skills(self, *, source: str | None = None, page_size: int = 100) -> list[dict[str, Any]]:
        return await self.all_pages("/v1/skills", {"limit": page_size, "source": source}, "skills")

    async def all_skill_versions(self, skill_id: str, *, page_size: int = 100) -> list[dict[str, Any]]:
        path = f"/v1/skills/{_segment(skill_id)}/versions"
        return await self.all_pages(path, {"limit": page_size}, f"the versions of skill {skill_id}")

    async def all_pages(self, path: str, params: dict[str, Any], what: str) -> list[dict[str, Any]]:
        """Every item of a listing, following `next_page`, bounded as a whole: pages, items, bytes and time.

        Each page is already capped (MAX_JSON_BYTES); without a cap across pages, an API that always offers
        one more page would take all the memory there is.
        """
        items: list[dict[str, Any]] = []
        pages = size = 0
        page: str | None = None
        cursors: set[str] = set()

        def stopped() -> str:
            return f"Listing {what} was stopped after {pages:,} pages ({len(items):,} items, {size:,} bytes)"

        with self.budget():
            deadline = _deadline.get()
            assert deadline is not None
            while True:
                if pages and time.monotonic() >= deadline:
                    raise APIUnreachable(f"{stopped()}: this call's time budget of {self.settings.retry.budget:g} s "
                                         "ran out before the last page. Try again, or raise --timeout.")  # fmt: skip
                build = functools.partial(self._request, "GET", path, params=_query(**params, page=page))
                try:
                    body, read = await self._call(build, "read", _read_json_sized, QUIET)
                except APIUnreachable as exc:
                    if not pages:
                        raise
                    raise APIUnreachable(f"{stopped()}: {exc}") from None
                pages, size = pages + 1, size + read
                data = body.get("data") or []
                if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
                    raise ResponseRefused(200, f"a page listing {what} has no list of objects under `data`.")
                items += data
                page = body.get("next_page")
                if not page:
                    return items
                if not isinstance(page, str) or page in cursors:
                    raise ResponseRefused(200, f"{stopped()}: the API offered a page it had already sent, so it "
                                          "would never end.")  # fmt: skip
                cursors.add(page)
                if pages >= MAX_PAGES or len(items) > MAX_LIST_ITEMS or size > MAX_LIST_BYTES:
                    raise ResponseRefused(
                        200,
                        f"{stopped()}, and the API still offered another page. One call reads at most {MAX_PAGES} "
                        f"pages, {MAX_LIST_ITEMS:,} items or {MAX_LIST_BYTES:,} bytes, far more than a real "
                        f"workspace holds: check ANTHROPIC_BASE_URL ({self.settings.shown_base_url}).",
                    )

    async def delete_skill(self, skill_id: str) -> dict[str, Any]:
        self._newest_seen.pop(skill_id, None)
        path = f"/v1/skills/{_segment(skill_id)}"
        return await self._json("DELETE", path, gone={"id": skill_id, "type": "skill_deleted"})

    async def list_skill_versions(self, skill_id: str, *, limit: int = 20, page: str | None = None) -> dict[str, Any]:
        return await self._json("GET", f"/v1/skills/{_segment(skill_id)}/versions", _query(limit=limit, page=page))

    async def get_skill_version(self, skill_id: str, version: str) -> dict[str, Any]:
        return await self._json("GET", _version_path(skill_id, version))

    async def delete_skill_version(self, skill_id: str, version: str) -> dict[str, Any]:
        self._newest_seen.pop(skill_id, None)
        gone = {"id": version, "type": "skill_version_deleted"}
        return await self._json("DELETE", _version_path(skill_id, version), gone=gone)

    async def download_skill_version(
        self, skill_id: str, version: str, sink: IO[bytes], *, max_bytes: int, reporter: Reporter = QUIET
    ) -> int:
        """Stream the version's zip into `sink`; stop at `max_bytes` rather than fill the disk."""

        async def receive(response: httpx2.Response) -> int:
            sink.seek(0)
            sink.truncate()
            total = int(response.headers.get("content-length") or 0)
            received = 0
            async for chunk in _bounded(response, max_bytes, "the content archive"):
                received += len(chunk)
                await anyio.to_thread.run_sync(sink.write, chunk)
                if reporter.progress is not None:
                    await reporter.progress(received, total or received)
            return received

        path = _version_path(skill_id, version) + "/content"
        return await self._call(
            lambda: self._request("GET", path, headers={"accept": "application/binary"}), "read", receive, reporter
        )

    # --- the request loop --------------------------------------------------------------------------------

    async def _json(
        self, method: str, path: str, params: dict[str, Any] | None = None, *, gone: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        kind: Kind = "delete" if method == "DELETE" else "read"
        return await self._call(lambda: self._request(method, path, params=params), kind, _read_json, QUIET, gone=gone)

    async def _upload(
        self,
        path: str,
        package: Package,
        data: dict[str, str],
        reporter: Reporter,
        snapshot: reconcile.Snapshot[S],
        landed: Callable[[S], Awaitable[dict[str, Any] | None]],
    ) -> dict[str, Any]:
        """POST the package; a snapshot not known yet is read alongside (see `reconcile.Snapshot`)."""
        log.info("uploading %d files (%d bytes) to %s", len(package.files), package.total_bytes, path)
        gate = None if snapshot.ready else snapshot.get
        opened: list[Any] = []

        def build() -> httpx2.Request:
            files = package.multipart_files()  # fresh readers for every attempt
            opened.extend(reader for _field, (_name, reader, _type) in files)
            request = self._request("POST", path, data=data, files=files)
            request.stream = UploadStream(
                request.stream, int(request.headers["content-length"]), reporter.progress, gate
            )
            return request

        async def landed_since_snapshot() -> dict[str, Any] | None:
            return await landed(await snapshot.get())

        error: Exception | None = None
        with self.budget():  # one deadline for the snapshot and the upload
            async with anyio.create_task_group() as tg:
                if gate is not None:
                    tg.start_soon(snapshot.run)
                try:
                    return await self._call(build, "create", _read_json, reporter, landed=landed_since_snapshot)
                except Exception as exc:  # raised below as itself, not wrapped in the task group's ExceptionGroup
                    error = exc
                finally:
                    tg.cancel_scope.cancel()  # a failed upload may not have waited for the snapshot
                    for reader in opened:  # an upload cut short leaves no file open
                        reader.close()
        assert error is not None
        raise error

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx2.Request:
        key = local.LOCAL_KEY if self.settings.local else api_key()
        headers = {"authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return self._http.build_request(method, path, headers=headers, **kwargs)

    async def _call(
        self,
        build: Callable[[], httpx2.Request],
        kind: Kind,
        read: Callable[[httpx2.Response], Awaitable[T]],
        reporter: Reporter,
        *,
        landed: Callable[[], Awaitable[T | None]] | None = None,
        gone: T | None = None,
    ) -> T:
        """Send, retrying what is safe to retry, within the call's deadline."""
        policy = self.settings.retry
        with self.budget():
            deadline = _deadline.get()
            assert deadline is not None
            started = time.monotonic()
            # Keep time back to check whether an upload landed: up to RECONCILE_RESERVE, at most a third.
            until = deadline - (min(RECONCILE_RESERVE, policy.budget / 3) if landed is not None else 0.0)
            acted_before = False
            attempt = 0
            while True:
                attempt += 1
                failure = await self._attempt(build(), kind, read, until)
                if not isinstance(failure, _Failure):
                    return failure
                note = ""
                if failure.maybe_acted and landed is not None:
                    found = await self._check_landed(landed, deadline, failure, reporter)
                    if isinstance(found, _Unknown):  # its own advice, not the status's "try again"
                        raise self._give_up(failure, attempt, started, "The upload may or may not have been "
                                            f"stored: checking could not tell. {found.reason}", hint="")  # fmt: skip
                    if found is not None:
                        return found
                    note = "When checked, it had not been stored."
                    failure.retry = failure.retry or failure.error is None  # a lost answer, now known harmless
                lost = isinstance(failure.error, APIError) and failure.error.status == 404
                if kind == "delete" and acted_before and lost:
                    assert gone is not None
                    return gone  # an earlier attempt deleted it; only its answer was lost
                acted_before = acted_before or failure.maybe_acted
                delay = next_delay(attempt, failure.headers or {}, policy)
                if not failure.retry or attempt >= policy.max_attempts:
                    raise self._give_up(failure, attempt, started, note)
                if time.monotonic() + delay > until:
                    raise self._give_up(failure, attempt, started, f"{note} The next try, in {delay:.1f} s, would "
                                        "pass this call's time budget.".strip())  # fmt: skip
                await reporter.say(f"Attempt {attempt} failed ({failure.summary}); retrying in {delay:.1f} s.")
                await anyio.sleep(delay)

    async def _check_landed(
        self,
        landed: Callable[[], Awaitable[T | None]],
        deadline: float,
        failure: _Failure,
        reporter: Reporter,
    ) -> T | _Unknown | None:
        """What landed, None when nothing did, or `_Unknown` when the check could not decide."""
        await reporter.say(f"The upload's outcome is unknown ({failure.summary}); checking whether it was stored.")
        with anyio.move_on_after(max(deadline - time.monotonic(), 0.5)):
            try:
                found = await landed()
            except CannotTell as exc:
                return _Unknown(str(exc))
            except SkillsMcpError as exc:
                log.warning("checking for a landed upload failed: %s", exc)
                return _Unknown(f"The check failed: {str(exc).rstrip('.')}. {CHECK_HINT}")
            if found is not None:
                await reporter.say("It had been stored; returning it instead of uploading again.")
            return found
        return _Unknown(f"The check ran out of this call's time budget. {CHECK_HINT}")

    async def _attempt(
        self, request: httpx2.Request, kind: Kind, read: Callable[[httpx2.Response], Awaitable[T]], until: float
    ) -> T | _Failure:
        """One exchange, turned into a result or a `_Failure` that says whether trying again is safe."""
        creating = kind == "create"
        with anyio.move_on_after(max(until - time.monotonic(), 0.0)):
            try:
                response = await self._http.send(request, stream=True)
            except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
                return _Failure(f"could not connect ({type(exc).__name__})", retry=True, maybe_acted=False)
            except (httpx2.WriteError, httpx2.WriteTimeout) as exc:
                # The body never got out whole, so the API cannot have acted on it.
                return _Failure(f"the request was cut off ({type(exc).__name__})", retry=True, maybe_acted=False)
            except httpx2.TransportError as exc:
                return _Failure(f"no answer ({type(exc).__name__})", retry=not creating, maybe_acted=True)
            try:
                if not response.is_success:
                    error = await self._error_of(response)
                    status = response.status_code
                    return _Failure(
                        _short(error),
                        retry=isinstance(error, APIError) and should_retry(status, response.headers),
                        maybe_acted=not 400 <= status < 500,  # 5xx, or a redirect (303 may mean "made it")
                        headers=response.headers,
                        error=error,
                    )
                try:
                    return await read(response)
                except ResponseRefused as refused:
                    if not creating:
                        raise
                    # A success status with a body we refused: the create probably landed.
                    return _Failure(_short(refused), retry=False, maybe_acted=True, error=refused)
            except httpx2.TransportError as exc:
                return _Failure(f"the answer broke off ({type(exc).__name__})", retry=not creating, maybe_acted=True)
            finally:
                await response.aclose()
        return _Failure("no answer within this call's time budget", retry=False, maybe_acted=True)

    async def _error_of(self, response: httpx2.Response) -> APIError | ResponseRefused:
        """A status other than 2xx: the API's error in plain words, or a redirect, which is never followed."""
        if response.is_redirect or 300 <= response.status_code < 400:
            location = response.headers.get("location") or ""
            try:
                where = urlsplit(location).hostname or "another path on the same host"
            except ValueError:
                where = "an address that is not a URL"
            return ResponseRefused(
                response.status_code,
                f"a redirect to {_redact(where)}, which is not followed (the API key would go along). "
                f"Check ANTHROPIC_BASE_URL ({self.settings.shown_base_url}).",
                _request_id(response),
            )
        try:
            raw = await _read_bounded(response, MAX_ERROR_BYTES, "the error")
        except ResponseRefused:
            raw = b""  # an error body that large is no message worth reading: the status says enough
        return _api_error(response, raw)

    def _give_up(
        self, failure: _Failure, attempts: int, started: float, note: str = "", hint: str | None = None
    ) -> SkillsMcpError:
        error = failure.error
        if error is not None and attempts == 1 and not note:
            return error  # a plain API error: there is no retry story to tell
        story = f"gave up after {attempts} attempt{'s' if attempts != 1 else ''} in {time.monotonic() - started:.1f} s"
        if isinstance(error, ResponseRefused):
            return ResponseRefused(error.status, f"{error.reason.rstrip('.')} ({story}). {note}".strip(),
                                   error.request_id)  # fmt: skip
        if error is not None:
            message = f"{error.api_message.rstrip('.')} ({story})"
            return APIError(error.status, error.error_type, message, error.request_id, note=note, hint=hint)
        hint = note or f"Check the network and ANTHROPIC_BASE_URL ({self.settings.shown_base_url})."
        return APIUnreachable(f"The Skills API {story}: {failure.summary}. {hint}")


def _short(error: APIError | ResponseRefused) -> str:
    rid = f", request id {error.request_id}" if error.request_id else ""
    if isinstance(error, ResponseRefused):
        return f"HTTP {error.status}{rid}, answer refused: {error.reason.rstrip('.')}"
    kind = f" {error.error_type}" if error.error_type else ""
    return f"HTTP {error.status}{kind}{rid}"


async def _bounded(response: httpx2.Response, limit: int, what: str) -> AsyncIterator[bytes]:
    """The body's chunks, refusing to go past `limit` rather than fill memory or disk."""

    def refuse(size: str) -> ResponseRefused:
        reason = f"{what} is larger than {limit:,} bytes ({size}); refusing to read it."
        return ResponseRefused(response.status_code, reason, _request_id(response))

    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise refuse(f"{int(announced):,} announced")
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise refuse(f"{size:,} read so far")
        yield chunk


async def _read_bounded(response: httpx2.Response, limit: int = MAX_JSON_BYTES, what: str = "the answer") -> bytes:
    return b"".join([chunk async for chunk in _bounded(response, limit, what)])


async def _read_json(response: httpx2.Response) -> dict[str, Any]:
    return (await _read_json_sized(response))[0]


async def _read_json_sized(response: httpx2.Response) -> tuple[dict[str, Any], int]:
    """The answer as a JSON object with every string redacted, and its size in bytes."""
    raw = await _read_bounded(response)
    body = _parse_json(raw)
    if not isinstance(body, dict):
        raise ResponseRefused(
            response.status_code, "the body is not a JSON object (malformed, truncated or nested too deep).",
            _request_id(response),
        )  # fmt: skip
    return _redact_all(body), len(raw)


def _parse_json(raw: bytes) -> Any:
    """The parsed body, or None when it is not JSON we can read (nesting deep enough to overflow the parser too)."""
    import json

    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _api_error(response: httpx2.Response, raw: bytes) -> APIError:
    """Every string taken from the answer is redacted here, where an API error becomes ours."""
    request_id = _request_id(response)
    error_type: str | None = None
    message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    body = _parse_json(raw)  # None for an HTML page from a proxy, say: its text is not worth passing on
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        if isinstance(error.get("type"), str) and error["type"]:
            error_type = _redact(error["type"][:200])
        if isinstance(error.get("message"), str) and error["message"]:
            message = error["message"][:2000]
        if request_id is None and isinstance(body.get("request_id"), str):
            request_id = _redact(body["request_id"][:200])
    return APIError(response.status_code, error_type, _redact(message), request_id)


def _request_id(response: httpx2.Response) -> str | None:
    value = response.headers.get("request-id")
    return _redact(value[:200]) if value else None


def _secret() -> str | None:
    """The key to hide; one too short to be real is not searched for, or every answer would be mangled."""
    try:
        key = api_key()
    except ConfigError:
        return None
    return key if len(key) >= 8 else None


def _redact(text: str) -> str:
    """An API that echoes the key back must not hand it to the agent, nor to a log."""
    key = _secret()
    return text.replace(key, REDACTED) if key else text


def _redact_all(body: dict[str, Any]) -> dict[str, Any]:
    """`_redact` over every string in a parsed answer, keys included, in place. A loop, not recursion: the
    parser accepts nesting as deep as the stack allows, so a recursive walk could overflow it."""
    key = _secret()
    if key is None:
        return body
    stack: list[dict[str, Any] | list[Any]] = [body]
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for name, value in items:
            if isinstance(value, str) and key in value:
                node[name] = value.replace(key, REDACTED)  # type: ignore[index]
            elif isinstance(value, dict | list):
                stack.append(value)
            if isinstance(name, str) and key in name:
                assert isinstance(node, dict)
                node[name.replace(key, REDACTED)] = node.pop(name)
    return body


def _segment(value: str) -> str:
    """Percent-encode a path parameter, as the official SDK does (`a/b` becomes `a%2Fb`)."""
    return quote(value, safe="")


def _version_path(skill_id: str, version: str) -> str:
    return f"/v1/skills/{_segment(skill_id)}/versions/{_segment(version)}"


def _query(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}
