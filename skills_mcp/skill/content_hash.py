"""What a skill holds, as one string: the content hash, defined once, for local folders and uploaded versions alike.

    content_hash = "sha256:" + hex(SHA-256(UTF-8 of the sorted lines f"{path}\\0{size}\\0{sha256}\\n"))

over exactly the files an upload sends (`.skillignore` and the built-in rules applied). `path` is the file's
path inside the skill folder, POSIX, without the folder itself (`SKILL.md`, `scripts/fill.py`); `size` its
length in bytes, in decimal; `sha256` the lowercase hex SHA-256 of its bytes. Lines are sorted as strings
(code point order, which is UTF-8 byte order). So the hash names the files and their bytes, nothing else: not
the folder's name, modification times, permissions or the order of a zip's entries. Two folders, or a
folder and a version's content zip, hash alike exactly when an upload of one would store the other.

Files are streamed through the hash, never held whole; a downloaded zip is read entry by entry under the
rules `unpack` guards downloads with (and what it would refuse, this refuses).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from skills_mcp.errors import UploadAborted
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.parts import SkillFile
from skills_mcp.skill.reopen import ChangedFile, Opener
from skills_mcp.skill.unpack import MAX_ENTRIES, MAX_UNPACKED_BYTES, READ_ERRORS, UnsafeArchive, check_entries

PREFIX = "sha256:"
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class FileDigest:
    """One file of a skill: its path inside the skill folder (POSIX, no top folder), size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


def content_hash(digests: Iterable[FileDigest]) -> str:
    """The one definition (see the module's docstring)."""
    lines = sorted(f"{d.path}\0{d.size}\0{d.sha256}\n" for d in digests)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return PREFIX + h.hexdigest()


def package_digests(package: Package) -> list[FileDigest]:
    """The digests of exactly the files `package` would upload, read as the upload reads them: only the very
    files validated (a file replaced or resized since raises `UploadAborted`). Blocking: run it on a thread."""
    if not package.files:
        return []
    if package.archive is not None:
        from skills_mcp.skill.archive import ArchiveOpener  # deferred: archive imports packaging

        entries = ArchiveOpener(package.archive)
        try:
            return [_digest_stream(f, entries.open(f)) for f in package.files]
        finally:
            entries.close()
    opener = Opener(package.files[0].root)
    try:
        return [_digest_fd(f, opener.open(f.relpath, f.real, f.identity)) for f in package.files]
    finally:
        opener.close()


def _digest_fd(file: SkillFile, fd: int) -> FileDigest:
    h = hashlib.sha256()
    size = 0
    try:
        while chunk := os.read(fd, _CHUNK):
            h.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return _checked(file, size, h.hexdigest())


def _digest_stream(file: SkillFile, member: IO[bytes]) -> FileDigest:
    h = hashlib.sha256()
    size = 0
    try:
        with member:
            while chunk := member.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except (*READ_ERRORS, NotImplementedError) as exc:
        raise ChangedFile(f"{file.relpath} in the archive is not what was validated ({exc}).") from None
    return _checked(file, size, h.hexdigest())


def _checked(file: SkillFile, size: int, sha256: str) -> FileDigest:
    if size != file.size:  # the upload would refuse it too: what was validated is what is sent, or nothing
        raise UploadAborted(f"{file.relpath} changed size since it was validated ({file.size:,} bytes, now {size:,}).")
    return FileDigest(file.relpath, size, sha256)


def archive_digests(
    archive: IO[bytes], *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_UNPACKED_BYTES
) -> list[FileDigest]:
    """The digests of a version's content zip (`<name>/...` entries), top folder stripped, sorted by path.

    Raises `UnsafeArchive` for anything `unpack` would refuse: damage, links, `..`, more entries or bytes
    than allowed (the bytes counted as read, not as claimed). Blocking: run it on a thread.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise UnsafeArchive(f"not a zip archive or a damaged one ({exc})") from exc
    with zf:
        infos = zf.infolist()
        first = next((i.orig_filename for i in infos), "")
        name = next((s for s in first.split("/") if s not in ("", ".")), "")
        files, _dirs = check_entries(infos, name, max_entries=max_entries, max_bytes=max_bytes)
        digests: list[FileDigest] = []
        total = 0
        for entry in files:
            raw = entry.info.orig_filename
            h = hashlib.sha256()
            size = 0
            try:
                with zf.open(entry.info) as member:
                    while chunk := member.read(_CHUNK):
                        size += len(chunk)
                        if total + size > max_bytes:
                            raise UnsafeArchive(f"unpacks to more than the {max_bytes} bytes allowed", entry=raw)
                        h.update(chunk)
            except (*READ_ERRORS, NotImplementedError) as exc:
                raise UnsafeArchive(f"is damaged ({exc})", entry=raw) from exc
            total += size
            digests.append(FileDigest("/".join(entry.parts), size, h.hexdigest()))
    return sorted(digests, key=lambda d: d.path)
