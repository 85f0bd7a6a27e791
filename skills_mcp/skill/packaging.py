"""Turn a validated folder into the multipart body the Skills API takes, streamed from disk.

The encoding is httpx2's own (the same encoder the official SDK uses, so the parts are identical):
one `files[]` part per file, filename `<folder>/<relative POSIX path>`, content type guessed from
the extension as httpx2 guesses it (once per extension, not once per file). What differs is the
source of the bytes: each file is opened only when its turn comes (as the very file validated, see
`reopen`), read in batches on a worker thread while the API is still receiving the ones before, and
checked against the size it had when validated. (Reading a small skill whole while validating it was
tried: no faster, so not kept.)
"""

from __future__ import annotations

import functools
import mimetypes
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import anyio.to_thread
import httpx2

from skills_mcp.errors import UploadAborted
from skills_mcp.reporting import Progress
from skills_mcp.skill.parts import STOPPED, ArchiveSource, PartReader, SkillFile
from skills_mcp.skill.reopen import Opener

if TYPE_CHECKING:
    from skills_mcp.skill.archive import ArchiveOpener

FIELD_NAME = "files[]"
# Each hop to the worker thread carries at least this much, so a 2,000-file upload is ~100 hops, not 8,000.
BATCH_BYTES = 256 * 1024
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Package:
    """What an upload sends: the validated files, and SKILL.md's frontmatter as validation parsed it (what the
    API reads the name and description from), so nothing after validation reads SKILL.md again to learn them."""

    folder_name: str
    files: list[SkillFile]
    archive: ArchiveSource | None = None  # the files are entries of this archive, streamed from it
    frontmatter: Mapping[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def filenames(self) -> list[str]:
        return [f"{self.folder_name}/{f.relpath}" for f in self.files]

    def same_content(self, archive: IO[bytes]) -> bool:
        """Whether a version's content zip holds exactly these files, byte for byte, under the names they
        were sent with. An archive that cannot be read raises (`zipfile.BadZipFile`, `OSError`): that is
        "cannot tell", which the caller must not take for either answer."""
        import zipfile  # deferred: only the rare check of an upload with a lost answer needs it

        sent = [wire_filename(name) for name in self.filenames()]
        with zipfile.ZipFile(archive) as zf:
            entries = {i.filename: i for i in zf.infolist() if not i.is_dir()}
            if set(entries) != set(sent):
                return False
            local_opener: ArchiveOpener | None = None
            if self.archive is not None:
                from skills_mcp.skill.archive import ArchiveOpener

                local_opener = ArchiveOpener(self.archive)
            try:
                for name, file in zip(sent, self.files, strict=True):
                    if entries[name].file_size != file.size:
                        return False
                    with zf.open(entries[name]) as packed, _open_local(file, local_opener) as local:
                        while chunk := packed.read(CHUNK_BYTES):
                            if local.read(len(chunk)) != chunk:
                                return False
            finally:
                if local_opener is not None:
                    local_opener.close()
        return True

    def multipart_files(self) -> list[tuple[str, tuple[str, Any, str]]]:
        """Fresh readers every call, so a retried request sends the files again from the start."""
        if not self.files:
            return []
        last = len(self.files) - 1
        readers: list[Any]
        if self.archive is not None:
            from skills_mcp.skill.archive import ArchiveOpener, EntryReader

            entries = ArchiveOpener(self.archive)
            readers = [EntryReader(f, entries, i == last) for i, f in enumerate(self.files)]
        else:
            opener = Opener(self.files[0].root)
            readers = [_FileReader(f, opener, i == last) for i, f in enumerate(self.files)]
        return [
            (FIELD_NAME, (name, reader, content_type(name)))
            for name, reader in zip(self.filenames(), readers, strict=True)
        ]


def _open_local(file: SkillFile, archive: ArchiveOpener | None) -> IO[bytes]:
    return open(file.path, "rb") if archive is None else archive.open(file)


# What httpx2's multipart encoder (the official SDK's too) does to a filename: the HTML5 form encoding,
# which percent-escapes `"` and the control characters (all but ESC, as httpx2 does). It also doubles a
# backslash, but that is the quoted string's own escaping, which the receiving parser undoes.
_WIRE_ESCAPES = {'"': "%22", **{chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}}
_WIRE_ESCAPE_RE = re.compile("|".join(re.escape(c) for c in _WIRE_ESCAPES))


def wire_filename(name: str) -> str:
    """`name` as the API receives it in a part's filename, so what it stored is compared with what was sent."""
    return _WIRE_ESCAPE_RE.sub(lambda m: _WIRE_ESCAPES[m.group(0)], name)


def content_type(filename: str) -> str:
    """What httpx2 would guess for `filename` (`mimetypes`, else octet-stream), from its extensions only."""
    base = filename.rpartition("/")[2].lstrip(".")  # leading dots never start an extension
    dot = base.find(".")
    return _content_type_of_extensions(base[dot:] if dot >= 0 else "")


@functools.lru_cache(maxsize=512)
def _content_type_of_extensions(extensions: str) -> str:
    return mimetypes.guess_type("f" + extensions)[0] or "application/octet-stream"


class _FileReader(PartReader[Opener]):
    """A folder's file: opened on the first read where validation found it, refused if it was replaced or
    its size changed. It reads with `os.read` on a bare descriptor: a third of the cost of a buffered
    file per file."""

    __slots__ = ("_fd",)

    def __init__(self, file: SkillFile, opener: Opener, last: bool) -> None:
        super().__init__(file, opener, last)
        self._fd: int | None = None

    def _release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        if self._fd is None:
            file = self._file
            try:
                self._fd = self._opener.open(file.relpath, file.real, file.identity)
            except UploadAborted as exc:
                self._opener.close()
                raise UploadAborted(f"{exc} {STOPPED}") from None
        remaining = self._file.size - self._sent
        chunk = os.read(self._fd, remaining if size < 0 else min(size, remaining)) if remaining else b""
        if not chunk:
            grew = remaining == 0 and os.read(self._fd, 1)
            self.close()
            if remaining or grew:
                self._opener.close()
                raise UploadAborted(
                    f"{self._file.relpath} changed size while it was being uploaded "
                    f"(validated at {self._file.size} bytes). {STOPPED} Try again once it is saved."
                )
            return b""
        self._sent += len(chunk)
        return chunk


class UploadStream(httpx2.AsyncByteStream):
    """Run a synchronous byte stream on a worker thread, batching chunks, and report progress.

    `gate`: awaited before the body's last byte, which is the moment the API can first act on the upload.
    """

    def __init__(
        self,
        inner: Iterator[bytes] | Any,
        total: int,
        on_progress: Progress | None,
        gate: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._inner = inner
        self._total = total
        self._on_progress = on_progress
        self._gate = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = iter(self._inner)
        sent = 0
        while sent < self._total:  # not one more trip to the thread just to hear that the body has ended
            batch = await anyio.to_thread.run_sync(_next_batch, chunks)
            if not batch:
                break  # short of the length announced: h11 refuses to end the request
            if self._gate is not None and sent + len(batch) >= self._total:
                yield batch[:-1]
                await self._gate()
                yield batch[-1:]
            else:
                yield batch
            sent += len(batch)
            if self._on_progress is not None:
                await self._on_progress(sent, self._total)


def _next_batch(chunks: Iterator[bytes]) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= BATCH_BYTES:
            break
    return b"".join(parts)
