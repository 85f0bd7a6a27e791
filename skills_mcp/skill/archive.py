"""A packaged skill (`.skill` or `.zip`, as skill-creator's package_skill.py makes them), read in place.

Entries are `<name>/SKILL.md`, `<name>/...`. The archive is checked with the download rules of `unpack`
(no `..`, absolute paths, links, bombs), its entries are left out and validated as a folder's files
are, and they stream into the very `files[]` parts the unpacked folder would give; nothing is unpacked
to disk. What was validated is what is sent: at upload the archive must still be the same file (device,
inode, size, modification time), each entry must keep the CRC-32 it was validated with, and zipfile
checks each entry's bytes against that CRC as they stream.
"""

from __future__ import annotations

import os
import stat
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from skills_mcp.errors import UploadAborted
from skills_mcp.limits import MAX_FILES, MAX_SKILLIGNORE_BYTES, MAX_UPLOAD_BYTES
from skills_mcp.problems import Problem, shown
from skills_mcp.skill.ignore import SKILLIGNORE, IgnoreRules, too_big
from skills_mcp.skill.parts import STOPPED, ArchiveSource, FolderScan, PartReader, SkillFile, Skipped
from skills_mcp.skill.paths import wire_name_problem
from skills_mcp.skill.reopen import ChangedFile, Identity, Root
from skills_mcp.skill.unpack import MAX_ENTRIES, MAX_UNPACKED_BYTES, READ_ERRORS, UnsafeArchive, check_entries

SUFFIXES = (".skill", ".zip")
_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# Folder entries count too: the most files one upload may hold, each in its own folder, is still a skill.
_MAX_ENTRIES = max(MAX_ENTRIES, 2 * MAX_FILES)
_REPACK = "pack the skill folder again (skill-creator's package_skill.py), or pass the folder itself."
_CHUNK = 256 * 1024


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


@dataclass
class ArchiveCheck:
    """What reading the archive found; `name` is its top folder, which stands in for a folder's name."""

    name: str
    scan: FolderScan
    top_names: list[str]  # every name at the top of the skill folder, left out or not


def scan_archive(path: Path) -> ArchiveCheck:
    """Read `path`'s central directory and sort its entries as a folder walk would sort files."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        return _refused(path, f"cannot be read: {exc.strerror or exc}.", "check the path.")
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return _refused(path, "is not a regular file.", "pass a .skill or .zip file, or the skill folder.")
        if st.st_size > MAX_UNPACKED_BYTES:
            return _refused(path, f"is {st.st_size:,} bytes; a skill archive is far smaller.", _REPACK)
        try:
            with zipfile.ZipFile(f) as zf:
                return _read(zf, path, st)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as exc:
            return _refused(path, f"is not a zip archive, or a damaged one ({exc}).", _REPACK)


def _refused(path: Path, message: str, fix: str) -> ArchiveCheck:
    return ArchiveCheck("", FolderScan(path, problems=[Problem("path", f"{shown(str(path))} {message}", fix)]), [])


def _read(zf: zipfile.ZipFile, path: Path, st: os.stat_result) -> ArchiveCheck:
    infos = zf.infolist()
    tops = [[s for s in i.orig_filename.split("/") if s not in ("", ".")] for i in infos]
    loose = next((i.orig_filename for i, s in zip(infos, tops, strict=True) if len(s) == 1 and not i.is_dir()), None)
    if loose is not None or not infos:
        what = f"holds '{shown(loose)}' at its top" if loose else "is empty"
        return _refused(
            path,
            f"{what}; a skill archive holds one folder named after the skill (<name>/SKILL.md, <name>/...).",
            "zip the folder itself (e.g. `zip -r pdf-tools.skill pdf-tools`), or use skill-creator's package_skill.py.",
        )
    name = tops[0][0] if tops[0] else ""
    try:
        entries, dirs = check_entries(infos, name, max_entries=_MAX_ENTRIES, max_bytes=MAX_UNPACKED_BYTES)
    except UnsafeArchive as exc:
        where = f"entry {shown(exc.entry)}" if exc.entry is not None else "path"
        message = f"{exc.reason}; archives are read with the rules that guard downloads."
        return ArchiveCheck(name, FolderScan(path, problems=[Problem(where, message, _REPACK)]), [])
    source = ArchiveSource(
        os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
        {e.info.filename: e.info.CRC for e in entries},
    )  # fmt: skip
    scan = FolderScan(path, archive=source)
    root = Root(source.path, Identity(st.st_dev, st.st_ino, st.st_size))
    files = {"/".join(e.parts): e.info for e in entries}
    rules = _rules(zf, files.get(SKILLIGNORE), scan)
    parts = [p for p in dirs if p] + [e.parts[:i] for e in entries for i in range(1, len(e.parts))]
    folders = sorted({"/".join(p) for p in parts})
    venvs = {rel.rpartition("/")[0] for rel in files if rel.rpartition("/")[2] == "pyvenv.cfg"}
    blocked: set[str] = set()  # folders whose contents are not looked at: left out, or a name the upload would change
    for folder in folders:  # sorted, so a folder comes before anything in it
        parent, _, base = folder.rpartition("/")
        if parent in blocked or _left_out(folder, base, True, rules, scan, venv=folder in venvs):
            blocked.add(folder)
    for rel in sorted(files):
        parent, _, base = rel.rpartition("/")
        if parent in blocked or _left_out(rel, base, False, rules, scan):
            continue
        info = files[rel]
        scan.files.append(
            SkillFile(rel, info.filename, info.filename, Identity(st.st_dev, st.st_ino, info.file_size), root)
        )
        if len(scan.files) > MAX_FILES:
            scan.too_many = True
            break
    if not scan.too_many and scan.total_bytes <= MAX_UPLOAD_BYTES:  # else refused anyway: spare the reading
        scan.problems += _damaged(zf, scan.files)
    scan.problems.sort(key=lambda p: p.where)
    scan.skipped.sort(key=lambda s: s.relpath)
    top_names = sorted({rel.partition("/")[0] for rel in files} | {f.partition("/")[0] for f in folders})
    return ArchiveCheck(name, scan, top_names)


def _damaged(zf: zipfile.ZipFile, files: list[SkillFile]) -> list[Problem]:
    """Entries whose bytes do not match their CRC-32 (a truncated download, say), found now, not mid-upload.

    Each is streamed through, never held: at most the 30 MB an upload may hold.
    """
    problems = []
    for file in files:
        size = 0
        try:
            with zf.open(file.real) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
        except (*READ_ERRORS, NotImplementedError) as exc:
            problems.append(Problem(shown(file.relpath), f"is damaged in the archive ({exc}).", _REPACK))
            continue
        if size != file.size:  # zipfile checks the CRC-32, not the size
            why = f"holds {size:,} bytes where its header says {file.size:,}"
            problems.append(Problem(shown(file.relpath), f"is damaged in the archive: it {why}.", _REPACK))
    return problems


def _left_out(rel: str, base: str, is_dir: bool, rules: IgnoreRules, scan: FolderScan, *, venv: bool = False) -> bool:
    """The folder walk's order of checks: the rules, then the name, then (for a folder) a virtualenv."""
    suffix = "/" if is_dir else ""
    reason = rules.reason(rel, is_dir=is_dir)
    if reason is not None:
        scan.skipped.append(Skipped(shown(rel) + suffix, reason))
        return True
    bad_name = wire_name_problem(base)
    if bad_name is not None:
        what = "folder" if is_dir else "file"
        scan.problems.append(
            Problem(
                shown(rel) + suffix,
                f"the {what} name {bad_name}; the upload would send it under another name, or fail.",
                f"rename the {what} in the skill folder and pack it again, or list it in .skillignore.",
            )
        )
        return True
    if venv:
        scan.skipped.append(Skipped(rel + "/", "Python virtualenv"))
    return venv


def _rules(zf: zipfile.ZipFile, info: zipfile.ZipInfo | None, scan: FolderScan) -> IgnoreRules:
    """The archive's own `.skillignore`, capped in size as a folder's is."""
    if info is None:
        return IgnoreRules()
    if info.file_size > MAX_SKILLIGNORE_BYTES:
        scan.problems.append(too_big(info.file_size))
        return IgnoreRules()
    try:
        raw = zf.read(info)
    except (*READ_ERRORS, NotImplementedError) as exc:
        scan.problems.append(Problem(SKILLIGNORE, f"cannot be read from the archive ({exc}).", _REPACK))
        return IgnoreRules()
    rules, problems = IgnoreRules.from_bytes(raw)
    scan.problems += problems
    return rules


class ArchiveOpener:
    """Opens entries of one pass over the archive, which is opened once and must be the archive validated."""

    def __init__(self, source: ArchiveSource) -> None:
        self._source = source
        self._open: list[zipfile.ZipFile] = []
        self._closer = weakref.finalize(self, _close_all, self._open)  # an abandoned pass leaks nothing

    def open(self, file: SkillFile) -> IO[bytes]:
        zf = self._zip()
        try:
            info = zf.getinfo(file.real)
        except KeyError:
            raise ChangedFile(f"{file.relpath} is gone from the archive since it was validated.") from None
        if info.file_size != file.size or self._source.crcs.get(file.real) != info.CRC:
            raise ChangedFile(f"{file.relpath} changed in the archive after it was validated.")
        try:
            return zf.open(info)
        except (*READ_ERRORS, NotImplementedError) as exc:
            raise UploadAborted(f"{file.relpath} could not be read from the archive ({exc}).") from None

    def read_all(self, file: SkillFile) -> bytes:
        try:
            with self.open(file) as member:
                return _checked_read(member, file, -1)
        finally:
            self.close()

    def close(self) -> None:
        _close_all(self._open)

    def _zip(self) -> zipfile.ZipFile:
        if self._open:
            return self._open[0]
        changed = ChangedFile("the archive was changed or replaced after it was validated.")
        try:
            fd = os.open(self._source.path, _FLAGS)
        except OSError:
            raise changed from None
        f = os.fdopen(fd, "rb")
        try:
            if not self._source.same_file(os.fstat(fd)):
                raise changed
            self._open.append(zipfile.ZipFile(f))
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError):
            f.close()
            raise changed from None
        except BaseException:
            f.close()
            raise
        return self._open[0]


def _close_all(open_zips: list[zipfile.ZipFile]) -> None:
    while open_zips:
        zf = open_zips.pop()
        fp = zf.fp
        zf.close()
        if fp is not None:
            fp.close()


def _checked_read(member: IO[bytes], file: SkillFile, size: int) -> bytes:
    """A read that names the entry when its bytes no longer match the CRC-32 they were validated with."""
    try:
        return member.read(size)
    except (*READ_ERRORS, NotImplementedError) as exc:
        raise ChangedFile(f"{file.relpath} in the archive is not what was validated ({exc}).") from None


class EntryReader(PartReader["ArchiveOpener"]):
    """One archive entry as a multipart part: the same contract as a folder file's reader."""

    __slots__ = ("_member",)

    def __init__(self, file: SkillFile, opener: ArchiveOpener, last: bool) -> None:
        super().__init__(file, opener, last)
        self._member: IO[bytes] | None = None

    def _release(self) -> None:
        if self._member is not None:
            self._member.close()
            self._member = None

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        try:
            if self._member is None:
                self._member = self._opener.open(self._file)
            remaining = self._file.size - self._sent
            want = remaining if size < 0 else min(size, remaining)
            chunk = _checked_read(self._member, self._file, want) if want else b""
            if len(chunk) == remaining:  # the end: zipfile checks the CRC-32 there, and nothing may follow
                if _checked_read(self._member, self._file, 1):
                    raise ChangedFile(f"{self._file.relpath} grew in the archive after it was validated.")
            elif not chunk and want:
                raise ChangedFile(f"{self._file.relpath} shrank in the archive after it was validated.")
        except UploadAborted as exc:
            self.close()
            self._opener.close()
            raise UploadAborted(f"{exc} {STOPPED}") from None
        if not chunk:
            self.close()
            return b""
        self._sent += len(chunk)
        return chunk
