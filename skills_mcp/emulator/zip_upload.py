"""One uploaded `.zip` part instead of `files[]` parts, as the skills guide allows and anthropics/skills' own CI
sends (`files=[("skill.zip", f)]`, entries `<name>/SKILL.md`, `<name>/...`).

The zip comes from a client, so it is read with the rules that guard downloads (`skills_mcp.skill.unpack`: no `..`,
absolute paths, links, devices, encrypted or damaged entries), counting real bytes against the upload limit
(a bomb's sizes are only its claim). Its files then go through the same checks as `files[]` parts.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO

from skills_mcp.limits import MAX_FILES, MAX_UPLOAD_BYTES
from skills_mcp.skill import skill_md
from skills_mcp.skill.unpack import READ_ERRORS, UnsafeArchive, check_entries, show

from .store import EmulatorError, bad_request, too_large

_CHUNK = 64 * 1024
_TOO_BIG = "Total upload size exceeds the 30 MB limit."
_TOO_MANY = f"Too many files: an upload holds at most {MAX_FILES}."


def is_zip_upload(files: list[tuple[str, bytes]]) -> bool:
    """A single part named like `skill.zip`: no folder in its name, so it cannot be a skill's own file."""
    return len(files) == 1 and "/" not in files[0][0] and files[0][0].lower().endswith(".zip")


def expand(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The `files[]` parts the upload stands for: a zip upload's files as `<folder>/<path>`, else `files` as is."""
    if not is_zip_upload(files):
        return files
    filename, data = files[0]
    try:
        return _read(data)
    except UnsafeArchive as exc:
        where = f"entry {show(exc.entry)} " if exc.entry is not None else ""
        raise bad_request(f"The uploaded zip {show(filename)} was refused: {where}{exc.reason}.") from None
    except EmulatorError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError) as exc:
        message = f"The uploaded zip {show(filename)} is not a zip archive, or a damaged one ({exc})."
        raise bad_request(message) from None


def _read(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        if sum(not info.is_dir() for info in infos) > MAX_FILES:
            raise too_large(_TOO_MANY)
        if sum(info.file_size for info in infos) > MAX_UPLOAD_BYTES:
            raise too_large(_TOO_BIG)
        tops = [[s for s in info.orig_filename.split("/") if s not in ("", ".")] for info in infos]
        for info, segments in zip(infos, tops, strict=True):
            if segments == [skill_md.SKILL_MD] and not info.is_dir():
                raise bad_request("SKILL.md file must be exactly in the top-level folder.")
        name = tops[0][0] if tops and tops[0] else ""
        entries, _ = check_entries(infos, name, max_entries=2 * MAX_FILES, max_bytes=MAX_UPLOAD_BYTES)
        total = 0
        files: list[tuple[str, bytes]] = []
        for entry in entries:
            chunks: list[bytes] = []
            with zf.open(entry.info) as member:
                while chunk := _chunk(member, entry.info.orig_filename):
                    total += len(chunk)
                    if total > MAX_UPLOAD_BYTES:
                        raise too_large(_TOO_BIG)
                    chunks.append(chunk)
            files.append(("/".join((name, *entry.parts)), b"".join(chunks)))
    return files


def _chunk(member: IO[bytes], raw: str) -> bytes:
    try:
        return member.read(_CHUNK)
    except READ_ERRORS as exc:
        raise UnsafeArchive(f"is damaged ({exc})", entry=raw) from exc
