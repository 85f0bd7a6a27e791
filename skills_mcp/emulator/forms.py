"""Multipart uploads read as they stream in: refused at the first byte over the API's limits, logged as they arrive."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Literal

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from skills_mcp.limits import MAX_FILES, MAX_UPLOAD_BYTES

from .store import bad_request, too_large


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


FILES_FIELD = "files[]"


class ClientGone(Exception):
    """The client went away (mid-body, or while a slow fault stalled); the request is dropped unhandled."""


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


async def read_form(
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
        raise ClientGone from None
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
