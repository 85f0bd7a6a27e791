"""What a skill is made of once validated, shared by the folder walk, archives and packaging.

A `FolderScan` lists the `SkillFile`s to upload and what was `Skipped`; an `ArchiveSource` says which
archive they come from, when they are its entries; a `PartReader` is one file as a multipart part.
The modules that make and send these import this one, never each other for it.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from skills_mcp.problems import Problem
from skills_mcp.skill.reopen import Identity, Root

STOPPED = "The upload was stopped, and nothing was stored."


@dataclass(frozen=True, slots=True)
class SkillFile:
    relpath: str  # POSIX, relative to the skill folder
    path: str  # where validation found it (a symlink inside the folder is read through); a str, as a Path
    # per file would be half the time of walking a big folder
    real: str  # POSIX, relative to the skill folder: where it is for real, with in-folder links resolved
    identity: Identity  # which file it is, and its size, as validated: the upload sends only this file
    root: Root

    @property
    def size(self) -> int:
        return self.identity.size


@dataclass(frozen=True, slots=True)
class Skipped:
    relpath: str
    reason: str


@dataclass
class FolderScan:
    root: Path
    files: list[SkillFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    too_many: bool = False  # the walk stopped once it found more files than one upload may hold
    archive: ArchiveSource | None = None  # set when the files are entries of a .skill/.zip archive

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """The archive as validated: which file it is, and each entry's CRC-32 by its name in the archive."""

    path: str
    dev: int
    ino: int
    size: int
    mtime_ns: int
    crcs: dict[str, int] = field(hash=False)

    def same_file(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (self.dev, self.ino, self.size, self.mtime_ns)


class _Closable(Protocol):
    def close(self) -> None: ...


OpenerT = TypeVar("OpenerT", bound=_Closable)


class PartReader(Generic[OpenerT]):
    """A file-like part httpx2's multipart encoder accepts without opening anything up front.

    It reports the validated size (so Content-Length is known without 2,000 open descriptors), is
    read once from the start, and closes what it opened at the end; the last reader of an upload
    closes the opener (the folders' descriptors, or the archive) too. Subclasses open and read.
    """

    __slots__ = ("_done", "_file", "_last", "_opener", "_sent")

    def __init__(self, file: SkillFile, opener: OpenerT, last: bool) -> None:
        self._file = file
        self._opener = opener
        self._last = last
        self._sent = 0
        self._done = False

    def tell(self) -> int:
        return self._sent

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_END and offset == 0:
            return self._file.size  # asked only to learn the length
        if whence == os.SEEK_SET and offset == self._sent:
            return offset
        raise io.UnsupportedOperation("a skill file is read once, from the start")

    def close(self) -> None:
        self._release()
        self._done = True
        if self._last:
            self._opener.close()

    def _release(self) -> None:
        """Close what this part opened."""
