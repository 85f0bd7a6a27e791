"""The Skills API over one shared httpx2 client: headers, requests, and errors turned into plain words."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx2

from . import __version__
from .config import API_VERSION, Settings, api_key
from .errors import APIError, APIUnreachable, UploadAborted
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

    async def _upload(
        self, path: str, package: Package, data: dict[str, str], on_progress: Progress | None
    ) -> dict[str, Any]:
        request = self._http.build_request(
            "POST", path, data=data, files=package.multipart_files(), headers=self._auth()
        )
        total = int(request.headers["content-length"])
        request.stream = UploadStream(request.stream, total, on_progress)
        log.info("uploading %d files (%d bytes) to %s", len(package.files), package.total_bytes, path)
        return await self._send(request)

    async def _json(self, method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request = self._http.build_request(method, path, params=params, headers=self._auth())
        return await self._send(request)

    async def _send(self, request: httpx2.Request) -> dict[str, Any]:
        try:
            response = await self._http.send(request)
        except UploadAborted:
            raise
        except httpx2.TimeoutException as exc:
            raise APIUnreachable(
                f"The Skills API at {self.settings.base_url} timed out ({type(exc).__name__})."
            ) from None
        except httpx2.HTTPError as exc:
            raise APIUnreachable(
                f"Could not reach the Skills API at {self.settings.base_url}: {type(exc).__name__}. "
                "Check the network and ANTHROPIC_BASE_URL."
            ) from None
        if response.is_error:
            raise _api_error(response)
        try:
            body = response.json()
        except ValueError:
            raise APIError(
                response.status_code,
                None,
                "the API answered with a body that is not JSON.",
                response.headers.get("request-id"),
            ) from None
        if not isinstance(body, dict):
            raise APIError(response.status_code, None, "the API answered with unexpected JSON.", None)
        return body

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
