"""The Skills API over one shared httpx2 client: headers, retries, time budget, and errors in plain words.

Retry rules, in short (docs/reliability.md has the long form):
- a request that never left (connection refused, no free connection) is sent again;
- 408, 429, 502, 503, 504 and 529 are retried after the wait the server names, else after an
  exponential backoff with jitter; `x-should-retry` overrides the status;
- a create whose outcome is unknown (the body went out, then the connection dropped or timed out,
  or the API answered 5xx) is never sent again blindly: the caller's `landed` check (see `upload`)
  first looks whether it landed, and what landed is returned;
- everything one tool call does shares one time budget, so no call outlives a client's timeout.

Answers are judged before use (see `answers`): a redirect is refused (never followed), a body that is too
large, not JSON, nested too deep or without the fields of its type is refused (`ResponseRefused`), a
listing is bounded across all its pages, and every string that comes back is redacted of the API key.
Every endpoint returns typed objects (`models`), parsed once here in the client's mode.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, Literal, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
import httpx2

from skills_mcp import __version__
from skills_mcp.api.answers import A, Failure, bounded, error_of, give_up, read_json_sized, reader, short, typed
from skills_mcp.api.models import Deleted, Skill, SkillPage, SkillVersion, SkillVersionPage
from skills_mcp.api.retry import next_delay, should_retry
from skills_mcp.api.wire import Wire
from skills_mcp.config import API_VERSION, Settings
from skills_mcp.errors import CHECK_HINT, APIError, APIUnreachable, CannotTell, ResponseRefused, SkillsMcpError
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.packaging import Package, UploadStream

log = logging.getLogger(__name__)

USER_AGENT = f"skills-publisher-mcp/{__version__} (+https://pypi.org/project/skills-publisher-mcp)"
# One listing, all its pages: far beyond any real workspace, well short of what a looping API could send.
MAX_PAGES = 200
MAX_LIST_ITEMS = 20_000
MAX_LIST_BYTES = 50_000_000
# Of a create's budget, what is kept back to check whether an upload with an unknown outcome landed.
RECONCILE_RESERVE = 8.0

Kind = Literal["read", "delete", "create"]
T = TypeVar("T")

_deadline: ContextVar[float | None] = ContextVar("skills_mcp_deadline", default=None)


@dataclass
class _Unknown:
    """The check for a landed upload could not decide, and why."""

    reason: str


class SkillsClient:
    """One method per endpoint, over one shared httpx2 client: one instance per process, closed at shutdown.

    Creates go out through `upload`, which knows nothing of what a create means; `upload.SkillsAPI` adds
    the "did it land?" checks around it. The httpx2 client (one connection pool) is made on first use:
    building the TLS context costs about 50 ms, which would otherwise delay every cold start, also of
    servers that never make a call. Where requests go and with which key, the settings say; `transport` is
    the emulator in process in local mode (`local.transport_for`), else None: the network.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.wire = Wire.of(settings.beta)  # the API mode: how versions are addressed, the title named
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None

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
                base_url=self.settings.api_base_url,
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

    @contextmanager
    def fresh_budget(self) -> Iterator[None]:
        """A whole budget even inside another: one skill of a sync must not fail for the time others took."""
        token = _deadline.set(time.monotonic() + self.settings.retry.budget)
        try:
            yield
        finally:
            _deadline.reset(token)

    # --- endpoints ---------------------------------------------------------------------------------------

    async def upload(
        self,
        model: type[A],
        path: str,
        package: Package,
        data: dict[str, str],
        reporter: Reporter,
        *,
        gate: Callable[[], Awaitable[object]] | None = None,
        landed: Callable[[], Awaitable[A | None]] | None = None,
    ) -> A:
        """POST the package as `files[]` parts. `gate`: awaited before the body's last byte goes out;
        `landed`: asked, when the outcome is unknown, what landed (None: nothing), instead of sending again."""
        log.info("uploading %d files (%d bytes) to %s", len(package.files), package.total_bytes, path)
        opened: list[Any] = []

        def build() -> httpx2.Request:
            files = package.multipart_files()  # fresh readers for every attempt
            opened.extend(reader for _field, (_name, reader, _type) in files)
            request = self._request("POST", path, data=data, files=files)
            request.stream = UploadStream(
                request.stream, int(request.headers["content-length"]), reporter.progress, gate
            )
            return request

        try:
            return await self._call(build, "create", reader(self.wire, model), reporter, landed=landed)
        finally:
            for part in opened:  # an upload cut short leaves no file open
                part.close()

    def versions_path(self, skill_id: str) -> str:
        return f"/v1/skills/{_segment(skill_id)}/versions"

    async def get_skill(self, skill_id: str) -> Skill:
        return await self._read(Skill, "GET", f"/v1/skills/{_segment(skill_id)}")

    async def list_skills(self, *, source: str | None = None, limit: int = 20, page: str | None = None) -> SkillPage:
        return await self._read(SkillPage, "GET", "/v1/skills", _query(limit=limit, source=source, page=page))

    async def all_skills(self, *, source: str | None = None, page_size: int = 100) -> list[Skill]:
        return await self.all_pages(Skill, "/v1/skills", {"limit": page_size, "source": source}, "skills")

    async def all_skill_versions(self, skill_id: str, *, page_size: int = 100) -> list[SkillVersion]:
        what = f"the versions of skill {skill_id}"
        return await self.all_pages(SkillVersion, self.versions_path(skill_id), {"limit": page_size}, what)

    async def all_pages(self, model: type[A], path: str, params: dict[str, Any], what: str) -> list[A]:
        """Every item of a listing, following `next_page`, bounded as a whole: pages, items, bytes and time.

        Each page is already capped (MAX_JSON_BYTES); without a cap across pages, an API that always offers
        one more page would take all the memory there is.
        """
        items: list[A] = []
        pages = size = 0
        page: str | None = None
        cursors: set[str] = set()

        def stopped() -> str:
            return f"Listing {what} was stopped after {pages:,} pages ({len(items):,} items, {size:,} bytes)"

        async def read(response: httpx2.Response) -> tuple[list[A], object, int]:
            body, read = await read_json_sized(response)
            data = body.get("data") or []
            if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
                raise ResponseRefused(200, f"a page listing {what} has no list of objects under `data`.")
            return [typed(self.wire, model, item, response) for item in data], body.get("next_page"), read

        with self.budget():
            deadline = _deadline.get()
            assert deadline is not None
            while True:
                if pages and time.monotonic() >= deadline:
                    raise APIUnreachable(f"{stopped()}: this call's time budget of {self.settings.retry.budget:g} s "
                                         "ran out before the last page. Try again, or raise --timeout.")  # fmt: skip
                build = functools.partial(self._request, "GET", path, params=_query(**params, page=page))
                try:
                    data, offered, read_bytes = await self._call(build, "read", read, QUIET)
                except APIUnreachable as exc:
                    if not pages:
                        raise
                    raise APIUnreachable(f"{stopped()}: {exc}") from None
                pages, size = pages + 1, size + read_bytes
                items += data
                if not offered:
                    return items
                if not isinstance(offered, str) or offered in cursors:
                    raise ResponseRefused(200, f"{stopped()}: the API offered a page it had already sent, so it "
                                          "would never end.")  # fmt: skip
                page = offered
                cursors.add(page)
                if pages >= MAX_PAGES or len(items) > MAX_LIST_ITEMS or size > MAX_LIST_BYTES:
                    raise ResponseRefused(
                        200,
                        f"{stopped()}, and the API still offered another page. One call reads at most {MAX_PAGES} "
                        f"pages, {MAX_LIST_ITEMS:,} items or {MAX_LIST_BYTES:,} bytes, far more than a real "
                        f"workspace holds: check ANTHROPIC_BASE_URL ({self.settings.shown_base_url}).",
                    )

    async def delete_skill(self, skill_id: str) -> Deleted:
        gone = Deleted(id=skill_id, type="skill_deleted")
        return await self._read(Deleted, "DELETE", f"/v1/skills/{_segment(skill_id)}", gone=gone)

    async def list_skill_versions(self, skill_id: str, *, limit: int = 20, page: str | None = None) -> SkillVersionPage:
        return await self._read(SkillVersionPage, "GET", self.versions_path(skill_id), _query(limit=limit, page=page))

    async def get_skill_version(self, skill_id: str, version: str) -> SkillVersion:
        return await self._read(SkillVersion, "GET", _version_path(skill_id, version))

    async def delete_skill_version(self, skill_id: str, version: str) -> Deleted:
        gone = Deleted(id=version, type="skill_version_deleted")
        return await self._read(Deleted, "DELETE", _version_path(skill_id, version), gone=gone)

    async def download_skill_version(
        self, skill_id: str, version: str, sink: IO[bytes], *, max_bytes: int, reporter: Reporter = QUIET
    ) -> int:
        """Stream the version's zip into `sink`; stop at `max_bytes` rather than fill the disk."""

        async def receive(response: httpx2.Response) -> int:
            sink.seek(0)
            sink.truncate()
            total = int(response.headers.get("content-length") or 0)
            received = 0
            async for chunk in bounded(response, max_bytes, "the content archive"):
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

    async def _read(
        self, model: type[A], method: str, path: str, params: dict[str, Any] | None = None, *, gone: A | None = None
    ) -> A:
        kind: Kind = "delete" if method == "DELETE" else "read"
        build = functools.partial(self._request, method, path, params=params)
        return await self._call(build, kind, reader(self.wire, model), QUIET, gone=gone)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx2.Request:
        key = self.settings.key()
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
            shown = self.settings.shown_base_url
            while True:
                attempt += 1
                failure = await self._attempt(build(), kind, read, until)
                if not isinstance(failure, Failure):
                    return failure
                note = ""
                if failure.maybe_acted and landed is not None:
                    found = await self._check_landed(landed, deadline, failure, reporter)
                    if isinstance(found, _Unknown):  # its own advice, not the status's "try again"
                        raise give_up(failure, attempt, started, shown, "The upload may or may not have been "
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
                    raise give_up(failure, attempt, started, shown, note)
                if time.monotonic() + delay > until:
                    raise give_up(failure, attempt, started, shown, f"{note} The next try, in {delay:.1f} s, would "
                                  "pass this call's time budget.".strip())  # fmt: skip
                await reporter.say(f"Attempt {attempt} failed ({failure.summary}); retrying in {delay:.1f} s.")
                await anyio.sleep(delay)

    async def _check_landed(
        self,
        landed: Callable[[], Awaitable[T | None]],
        deadline: float,
        failure: Failure,
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
    ) -> T | Failure:
        """One exchange, turned into a result or a `Failure` that says whether trying again is safe."""
        creating = kind == "create"
        with anyio.move_on_after(max(until - time.monotonic(), 0.0)):
            try:
                response = await self._http.send(request, stream=True)
            except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
                return Failure(f"could not connect ({type(exc).__name__})", retry=True, maybe_acted=False)
            except (httpx2.WriteError, httpx2.WriteTimeout) as exc:
                # The body never got out whole, so the API cannot have acted on it.
                return Failure(f"the request was cut off ({type(exc).__name__})", retry=True, maybe_acted=False)
            except httpx2.TransportError as exc:
                return Failure(f"no answer ({type(exc).__name__})", retry=not creating, maybe_acted=True)
            try:
                if not response.is_success:
                    error = await error_of(response, self.settings.shown_base_url)
                    status = response.status_code
                    return Failure(
                        short(error),
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
                    return Failure(short(refused), retry=False, maybe_acted=True, error=refused)
            except httpx2.TransportError as exc:
                return Failure(f"the answer broke off ({type(exc).__name__})", retry=not creating, maybe_acted=True)
            finally:
                await response.aclose()
        return Failure("no answer within this call's time budget", retry=False, maybe_acted=True)


def _segment(value: str) -> str:
    """Percent-encode a path parameter, as the official SDK does (`a/b` becomes `a%2Fb`)."""
    return quote(value, safe="")


def _version_path(skill_id: str, version: str) -> str:
    return f"/v1/skills/{_segment(skill_id)}/versions/{_segment(version)}"


def _query(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}
