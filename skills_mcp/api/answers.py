"""Reading the Skills API's answers: bounded in size, parsed as JSON, redacted of the API key, and turned
into typed objects or into our errors in plain words. Pure functions of a response: the request loop in
`client` decides what to do with them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx2
from pydantic import ValidationError

from skills_mcp.api.models import APIAnswer
from skills_mcp.api.wire import Wire
from skills_mcp.config import api_key
from skills_mcp.errors import APIError, APIUnreachable, ConfigError, ResponseRefused, SkillsMcpError

MAX_JSON_BYTES = 10_000_000  # no Skills API answer comes near this; a bigger one is refused, not buffered
MAX_ERROR_BYTES = 1_000_000  # of an error's body; its message is cut to 2,000 characters anyway
REDACTED = "[redacted]"
A = TypeVar("A", bound=APIAnswer)


@dataclass
class Failure:
    """One attempt that did not succeed: enough to decide on a retry and to explain giving up."""

    summary: str
    retry: bool  # safe and useful to send again as it is
    maybe_acted: bool  # the request reached the API, which may have acted on it before failing
    headers: httpx2.Headers | None = None
    error: APIError | ResponseRefused | None = None


def reader(wire: Wire, model: type[A]) -> Callable[[httpx2.Response], Awaitable[A]]:
    """How to read a success: the JSON object, parsed once into `model` in this mode."""

    async def read(response: httpx2.Response) -> A:
        return typed(wire, model, (await read_json_sized(response))[0], response)

    return read


def typed(wire: Wire, model: type[A], body: dict[str, Any], response: httpx2.Response) -> A:
    """An answer without the fields we rely on is refused as the API's, not taken for a bug of ours."""
    try:
        return wire.parse(model, body)
    except ValidationError as exc:
        where = ", ".join(".".join(str(part) for part in error["loc"]) or "the body" for error in exc.errors()[:3])
        raise ResponseRefused(
            response.status_code, f"the body is not the {model.__name__} expected (look at: {where}).",
            request_id_of(response),
        ) from None  # fmt: skip


async def error_of(response: httpx2.Response, shown_base_url: str) -> APIError | ResponseRefused:
    """A status other than 2xx: the API's error in plain words, or a redirect, which is never followed."""
    if response.is_redirect or 300 <= response.status_code < 400:
        location = response.headers.get("location") or ""
        try:
            where = urlsplit(location).hostname or "another path on the same host"
        except ValueError:
            where = "an address that is not a URL"
        return ResponseRefused(
            response.status_code,
            f"a redirect to {redact(where)}, which is not followed (the API key would go along). "
            f"Check ANTHROPIC_BASE_URL ({shown_base_url}).",
            request_id_of(response),
        )
    try:
        raw = await read_bounded(response, MAX_ERROR_BYTES, "the error")
    except ResponseRefused:
        raw = b""  # an error body that large is no message worth reading: the status says enough
    return api_error(response, raw)


def short(error: APIError | ResponseRefused) -> str:
    rid = f", request id {error.request_id}" if error.request_id else ""
    if isinstance(error, ResponseRefused):
        return f"HTTP {error.status}{rid}, answer refused: {error.reason.rstrip('.')}"
    kind = f" {error.error_type}" if error.error_type else ""
    return f"HTTP {error.status}{kind}{rid}"


async def bounded(response: httpx2.Response, limit: int, what: str) -> AsyncIterator[bytes]:
    """The body's chunks, refusing to go past `limit` rather than fill memory or disk."""

    def refuse(size: str) -> ResponseRefused:
        reason = f"{what} is larger than {limit:,} bytes ({size}); refusing to read it."
        return ResponseRefused(response.status_code, reason, request_id_of(response))

    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise refuse(f"{int(announced):,} announced")
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise refuse(f"{size:,} read so far")
        yield chunk


async def read_bounded(response: httpx2.Response, limit: int = MAX_JSON_BYTES, what: str = "the answer") -> bytes:
    return b"".join([chunk async for chunk in bounded(response, limit, what)])


async def read_json_sized(response: httpx2.Response) -> tuple[dict[str, Any], int]:
    """The answer as a JSON object with every string redacted, and its size in bytes."""
    raw = await read_bounded(response)
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ResponseRefused(
            response.status_code, "the body is not a JSON object (malformed, truncated or nested too deep).",
            request_id_of(response),
        )  # fmt: skip
    return redact_all(body), len(raw)


def parse_json(raw: bytes) -> Any:
    """The parsed body, or None when it is not JSON we can read (nesting deep enough to overflow the parser too)."""
    import json

    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def api_error(response: httpx2.Response, raw: bytes) -> APIError:
    """Every string taken from the answer is redacted here, where an API error becomes ours."""
    request_id = request_id_of(response)
    error_type: str | None = None
    message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    body = parse_json(raw)  # None for an HTML page from a proxy, say: its text is not worth passing on
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        if isinstance(error.get("type"), str) and error["type"]:
            error_type = redact(error["type"][:200])
        if isinstance(error.get("message"), str) and error["message"]:
            message = error["message"][:2000]
        if request_id is None and isinstance(body.get("request_id"), str):
            request_id = redact(body["request_id"][:200])
    return APIError(response.status_code, error_type, redact(message), request_id, path=response.request.url.path)


def request_id_of(response: httpx2.Response) -> str | None:
    value = response.headers.get("request-id")
    return redact(value[:200]) if value else None


def secret() -> str | None:
    """The key to hide; one too short to be real is not searched for, or every answer would be mangled."""
    try:
        key = api_key()
    except ConfigError:
        return None
    return key if len(key) >= 8 else None


def redact(text: str) -> str:
    """An API that echoes the key back must not hand it to the agent, nor to a log."""
    key = secret()
    return text.replace(key, REDACTED) if key else text


def redact_all(body: dict[str, Any]) -> dict[str, Any]:
    """`redact` over every string in a parsed answer, keys included, in place. A loop, not recursion: the
    parser accepts nesting as deep as the stack allows, so a recursive walk could overflow it."""
    key = secret()
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


def give_up(
    failure: Failure, attempts: int, started: float, shown_base_url: str, note: str = "", hint: str | None = None
) -> SkillsMcpError:
    """The error a call ends with: the API's own, or, after retries or a check, the story of them."""
    error = failure.error
    if error is not None and attempts == 1 and not note:
        return error  # a plain API error: there is no retry story to tell
    story = f"gave up after {attempts} attempt{'s' if attempts != 1 else ''} in {time.monotonic() - started:.1f} s"
    if isinstance(error, ResponseRefused):
        return ResponseRefused(error.status, f"{error.reason.rstrip('.')} ({story}). {note}".strip(),
                               error.request_id)  # fmt: skip
    if error is not None:
        message = f"{error.api_message.rstrip('.')} ({story})"
        return APIError(error.status, error.error_type, message, error.request_id, note=note, hint=hint,
                        path=error.path)  # fmt: skip
    hint = note or f"Check the network and ANTHROPIC_BASE_URL ({shown_base_url})."
    return APIUnreachable(f"The Skills API {story}: {failure.summary}. {hint}")
