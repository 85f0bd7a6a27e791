"""Unpacking a downloaded skill zip. The zip comes from the network, so every entry is checked before anything is
written, extraction goes to a private temporary folder, and only a fully unpacked skill is moved into place."""

from __future__ import annotations

import lzma
import os
import shutil
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from skills_mcp.errors import SkillsMcpError
from skills_mcp.problems import has_control
from skills_mcp.skill.paths import is_within
from skills_mcp.skill.skill_md import name_format_problems
from skills_mcp.terms import ask

MAX_ENTRIES = 10_000
# Folders below the skill's own; real skills go a few deep, and a deeper path is only a way to exhaust something.
MAX_DEPTH = 64
# Over 3x the 30 MB upload limit: a bigger zip is not a skill.
MAX_UNPACKED_BYTES = 100_000_000

_CHUNK = 64 * 1024
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What a damaged member can raise while it is decompressed (bz2 reports bad data as OSError).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError)
_SHOWN_NAME_CHARS = 200


class UnsafeArchive(SkillsMcpError):
    """The archive or the requested name was refused before anything reached the destination."""

    def __init__(self, reason: str, *, entry: str | None = None) -> None:
        self.reason = reason
        self.entry = entry
        where = f"entry {show(entry)} " if entry is not None else ""
        super().__init__(f"Refused the skill archive: {where}{reason}. Nothing was written.")


class DestinationExists(SkillsMcpError):
    """Unpacking never replaces a folder unless asked to."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(f"{folder} already exists; pass ", ask("overwrite"), " to replace it.")


class ReplaceFailed(SkillsMcpError):
    """The old folder could not be put back after a failed swap; it is kept, never deleted."""

    def __init__(self, target: Path, kept_at: Path) -> None:
        self.kept_at = kept_at
        super().__init__(f"Could not replace {target} nor put the old folder back; it is kept at {kept_at}.")


@dataclass(frozen=True, slots=True)
class UnpackedFile:
    path: str
    size: int


@dataclass(frozen=True, slots=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]  # relative to the skill folder, top-level folder stripped


def unpack_skill_zip(
    archive: BinaryIO | Path,
    name: str,
    destination: Path,
    *,
    overwrite: bool = False,
    max_entries: int = MAX_ENTRIES,
    max_bytes: int = MAX_UNPACKED_BYTES,
) -> list[UnpackedFile]:
    """Unpack `archive` into `destination / name`; on any failure the destination is left as it was."""
    if reason := name_problem(name):
        raise UnsafeArchive(f"the skill name {show(name)} {reason}")
    target = destination / name
    if not overwrite and os.path.lexists(target):
        raise DestinationExists(target)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        # ValueError covers a UTF-8 flagged name that is not UTF-8; NotImplementedError a zip version from the future.
        raise UnsafeArchive(f"not a zip archive or a damaged one ({exc})") from exc
    with zf:
        files, dirs = check_entries(zf.infolist(), name, max_entries=max_entries, max_bytes=max_bytes)
        staging = Path(tempfile.mkdtemp(dir=destination, prefix=f".{name}.partial-"))
        keep_staging = False
        try:
            # A plain mkdir inside the private staging folder, so the final folder gets the usual permissions.
            new = staging / name
            new.mkdir()
            unpacked = _extract(zf, files, dirs, new, max_bytes=max_bytes)
            _move_into_place(new, target, aside=staging / f"{name}.old", overwrite=overwrite)
        except ReplaceFailed:
            keep_staging = True  # it holds the user's old folder
            raise
        finally:
            if not keep_staging:
                shutil.rmtree(staging, ignore_errors=True)
    return sorted(unpacked, key=lambda f: f.path)


def check_entries(
    infos: list[zipfile.ZipInfo], name: str, *, max_entries: int, max_bytes: int
) -> tuple[list[_Entry], list[tuple[str, ...]]]:
    """Every refusal happens here, before the first byte is written (or, for a skill archive, read)."""
    if len(infos) > max_entries:
        raise UnsafeArchive(f"it has {len(infos)} entries, more than the {max_entries} allowed")
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise UnsafeArchive(f"it would unpack to {declared} bytes, more than the {max_bytes} allowed")
    files: list[_Entry] = []
    dirs: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for info in infos:
        parts = _entry_parts(info, name)
        key = unicodedata.normalize("NFC", "/".join(parts))
        if key in seen and parts:
            raise UnsafeArchive("appears more than once", entry=info.orig_filename)
        seen.add(key)
        if info.is_dir():
            dirs.append(parts)
        elif not parts:
            raise UnsafeArchive(f"is a file where the folder {name!r} should be", entry=info.orig_filename)
        else:
            files.append(_Entry(info, parts))
    if not files:
        raise UnsafeArchive(f"it holds no files under {name + '/'!r}")
    # A file may not also be a folder of another entry ("a" and "a/b"); the file system would refuse it midway.
    folders = {unicodedata.normalize("NFC", "/".join(e.parts[:i])) for e in files for i in range(1, len(e.parts))}
    folders |= {unicodedata.normalize("NFC", "/".join(p)) for p in dirs}
    for entry in files:
        if unicodedata.normalize("NFC", "/".join(entry.parts)) in folders:
            raise UnsafeArchive("is both a file and a folder", entry=entry.info.orig_filename)
    return files, dirs


def _entry_parts(info: zipfile.ZipInfo, name: str) -> tuple[str, ...]:
    """The entry's path below the top-level folder, or a refusal saying why it is unsafe."""
    raw = info.orig_filename  # zipfile cuts `filename` at a NUL; the original still has it
    if has_control(raw):
        raise UnsafeArchive("has a NUL or control character in its name", entry=raw)
    if "\\" in raw:
        raise UnsafeArchive("has a backslash in its name (a Windows path separator)", entry=raw)
    if raw.startswith("/"):
        raise UnsafeArchive("is an absolute path", entry=raw)
    if ":" in raw:
        # On Windows "C:x" is a drive and "a:b" an alternate data stream; refused everywhere so archives act the same.
        raise UnsafeArchive("has a colon in its name (a Windows drive letter or stream)", entry=raw)
    if info.flag_bits & 0x1:
        raise UnsafeArchive("is encrypted", entry=raw)
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise UnsafeArchive("is a symbolic link", entry=raw)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeArchive("is not a regular file or folder", entry=raw)
    if info.compress_type not in _SUPPORTED_COMPRESSION:
        raise UnsafeArchive(f"uses an unsupported compression method ({info.compress_type})", entry=raw)
    segments = [s for s in raw.split("/") if s not in ("", ".")]
    if ".." in segments:
        raise UnsafeArchive("has a '..' segment", entry=raw)
    if not segments or segments[0] != name:
        raise UnsafeArchive(f"is not inside the skill's folder {name + '/'!r}", entry=raw)
    if len(segments) - 1 > MAX_DEPTH:
        raise UnsafeArchive(f"is {len(segments) - 1} levels deep, more than the {MAX_DEPTH} allowed", entry=raw)
    return tuple(segments[1:])


def _extract(
    zf: zipfile.ZipFile, files: list[_Entry], dirs: list[tuple[str, ...]], root: Path, *, max_bytes: int
) -> list[UnpackedFile]:
    """Stream every member, counting real bytes: the sizes in the archive are only its claim."""
    real_root = root.resolve()
    total = 0
    unpacked: list[UnpackedFile] = []
    try:
        for parts in dirs:
            _staged(real_root, root.joinpath(*parts), parts).mkdir(parents=True, exist_ok=True)
        for entry in files:
            raw = entry.info.orig_filename
            out = root.joinpath(*entry.parts)
            _staged(real_root, out.parent, entry.parts).mkdir(parents=True, exist_ok=True)
            size = 0
            # "xb" creates the file or fails; it never writes through an existing file or symlink.
            with _open_member(zf, entry.info) as src, open(_staged(real_root, out, entry.parts), "xb") as dst:
                while chunk := _read(src, raw):
                    size += len(chunk)
                    if total + size > max_bytes:
                        raise UnsafeArchive(f"unpacks to more than the {max_bytes} bytes allowed", entry=raw)
                    dst.write(chunk)
            total += size
            unpacked.append(UnpackedFile(PurePosixPath(*entry.parts).as_posix(), size))
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        # Names that differ only in case or Unicode form collide on some file systems.
        raise UnsafeArchive(f"collides with another entry on this file system ({exc.filename})") from exc
    return unpacked


def _open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    try:
        return zf.open(info)
    except (*READ_ERRORS, NotImplementedError) as exc:
        raise UnsafeArchive(f"is damaged ({exc})", entry=info.orig_filename) from exc


def _read(src: IO[bytes], raw: str) -> bytes:
    try:
        return src.read(_CHUNK)
    except READ_ERRORS as exc:
        raise UnsafeArchive(f"is damaged ({exc})", entry=raw) from exc


def _staged(real_root: Path, path: Path, parts: tuple[str, ...]) -> Path:
    """Belt and braces after the name checks: a resolved path that leaves the staging folder is refused."""
    if not is_within(str(path.resolve()), str(real_root)):
        raise UnsafeArchive("would be written outside the skill folder", entry="/".join(parts))
    return path


def _move_into_place(new: Path, target: Path, *, aside: Path, overwrite: bool) -> None:
    """Swap by renames within one folder, so a failure midway puts the old folder back."""
    had_old = os.path.lexists(target)
    if had_old and not overwrite:  # created while we unpacked
        raise DestinationExists(target)
    if had_old:
        os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        if had_old:
            try:
                os.rename(aside, target)
            except OSError as restore:
                raise ReplaceFailed(target, aside) from restore
        raise


def name_problem(name: str) -> str | None:
    """Why `name` may not name the skill's folder, or None. The folder name comes from the API, so it must pass
    the skill-name rules (lowercase letters, digits, single hyphens): no dots, separators, control or bidi
    characters, nor anything else a hostile answer could use to write beside or above the destination."""
    if not name:
        return "is empty"
    problems = name_format_problems(name, "name")
    return "; ".join(p.message.rstrip(".") for p in problems) or None


def show(text: str | None) -> str:
    shown = repr(text)
    return shown if len(shown) <= _SHOWN_NAME_CHARS else shown[: _SHOWN_NAME_CHARS - 3] + "..."
