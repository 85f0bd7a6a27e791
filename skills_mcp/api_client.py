"""The Skills API over one shared httpx2 client: headers, requests, and errors turned into plain words."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import IO, Any
from urllib.parse import quote

import anyio.to_thread
import httpx2

from . import __version__
from .config import API_VERSION, Settings, api_key
from .errors import APIError, APIUnreachable
from .packaging import Package, Progress, UploadStream

log = logging.getLogger(__name__)

USER_AGENT = f"skills-mcp/{__version__} (+https://pypi.org/project/skills-mcp)"


class SkillsAPI:
    """One instance per server process: made at start-up, closed at shutdown, shared by every tool call."""

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        t = settings.timeouts
        headers = {"anthropic-version": API_VERSION, "accept": "application/json", "user-agent": USER_AGENT}
        if settings.beta:
            headers["anthropic-beta"] = settings.beta
        self.settings = settings
        self._http = httpx2.AsyncClient(
            base_url=settings.base_url,
            headers=headers,
            timeout=httpx2.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_skill_version(
        self, skill_id: str, package: Package, *, on_progress: Progress | None = None
    ) -> dict[str, Any]:
        return await self._upload(f"/v1/skills/{_segment(skill_id)}/versions", package, {}, on_progress)

    async def create_skill(
        self, package: Package, *, display_title: str | None = None, on_progress: Progress | None = None
    ) -> dict[str, Any]:
        title_field = "display_title" if self.settings.beta else "display_name"
        data = {title_field: display_title} if display_title else {}
        return await self._upload("/v1/skills", package, data, on_progress)

    async def get_skill(self, skill_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/v1/skills/{_segment(skill_id)}")

    async def list_skills(
        self, *, source: str | None = None, limit: int = 20, page: str | None = None
    ) -> dict[str, Any]:
        params = {"limit": limit, "source": source, "page": page}
        return await self._json("GET", "/v1/skills", {k: v for k, v in params.items() if v is not None})

    async def delete_skill(self, skill_id: str) -> dict[str, Any]:
        return await self._json("DELETE", f"/v1/skills/{_segment(skill_id)}")

    async def list_skill_versions(self, skill_id: str, *, limit: int = 20, page: str | None = None) -> dict[str, Any]:
        params = {"limit": limit, "page": page}
        path = f"/v1/skills/{_segment(skill_id)}/versions"
        return await self._json("GET", path, {k: v for k, v in params.items() if v is not None})

    async def get_skill_version(self, skill_id: str, version: str) -> dict[str, Any]:
        return await self._json("GET", self._version_path(skill_id, version))

    async def delete_skill_version(self, skill_id: str, version: str) -> dict[str, Any]:
        return await self._json("DELETE", self._version_path(skill_id, version))

    async def download_skill_version(
        self, skill_id: str, version: str, sink: IO[bytes], *, max_bytes: int, on_progress: Progress | None = None
    ) -> int:
        """Stream the version's zip into `sink`; stop at `max_bytes` rather than fill the disk."""
        path = self._version_path(skill_id, version) + "/content"
        headers = {**self._auth(), "accept": "application/binary"}
        request = self._http.build_request("GET", path, headers=headers)
        received = 0
        async with self._stream(request) as response:
            if response.is_error:
                await response.aread()
                raise _api_error(response)
            total = int(response.headers.get("content-length") or 0)
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise APIError(
                        response.status_code,
                        None,
                        f"the content archive is larger than {max_bytes:,} bytes.",
                        response.headers.get("request-id"),
                    )
                await anyio.to_thread.run_sync(sink.write, chunk)
                if on_progress is not None:
                    await on_progress(received, total or received)
        return received

    def _version_path(self, skill_id: str, version: str) -> str:
        return f"/v1/skills/{_segment(skill_id)}/versions/{_segment(version)}"

    async def _upload(
        self, path: str, package: Package, data: dict[str, str], on_progress: Progress | None
    ) -> dict[str, Any]:
        files = package.multipart_files()
        request = self._http.build_request("POST", path, data=data, files=files, headers=self._auth())
        total = int(request.headers["content-length"])
        request.stream = UploadStream(request.stream, total, on_progress)
        log.info("uploading %d files (%d bytes) to %s", len(package.files), package.total_bytes, path)
        try:
            return await self._send(request)
        finally:
            for _field, (_name, reader) in files:  # an upload cut short leaves no file open
                reader.close()

    async def _json(self, method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request = self._http.build_request(method, path, params=params, headers=self._auth())
        return await self._send(request)

    async def _send(self, request: httpx2.Request) -> dict[str, Any]:
        with self._transport_errors():
            response = await self._http.send(request)
        if response.is_error:
            raise _api_error(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise APIError(
                response.status_code,
                None,
                "the API answered with a body that is not a JSON object.",
                response.headers.get("request-id"),
            )
        return body

    @asynccontextmanager
    async def _stream(self, request: httpx2.Request) -> AsyncIterator[httpx2.Response]:
        with self._transport_errors():
            response = await self._http.send(request, stream=True)
        try:
            with self._transport_errors():
                yield response
        finally:
            await response.aclose()

    @contextmanager
    def _transport_errors(self) -> Iterator[None]:
        """No answer at all becomes one plain sentence; httpx2's text can carry URLs and headers."""
        try:
            yield
        except httpx2.TimeoutException as exc:
            raise APIUnreachable(
                f"The Skills API at {self.settings.base_url} did not answer in time ({type(exc).__name__})."
            ) from None
        except httpx2.HTTPError as exc:
            raise APIUnreachable(
                f"Could not reach the Skills API at {self.settings.base_url}: {type(exc).__name__}. "
                "Check the network and ANTHROPIC_BASE_URL."
            ) from None

    def _auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key()}"}


def _segment(value: str) -> str:
    """Percent-encode a path parameter, as the official SDK does (`a/b` becomes `a%2Fb`)."""
    return quote(value, safe="")


def _api_error(response: httpx2.Response) -> APIError:
    request_id = response.headers.get("request-id")
    error_type: str | None = None
    message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        if isinstance(error.get("message"), str) and error["message"]:
            message = error["message"]
        request_id = request_id or body.get("request_id")
    return APIError(response.status_code, error_type, _redact(message), request_id)


def _redact(text: str) -> str:
    """An API that echoes the key back must not hand it to the agent."""
    try:
        key = api_key()
    except Exception:
        return text
    return text.replace(key, "[redacted]")
