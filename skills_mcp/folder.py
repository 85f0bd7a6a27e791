"""Walk a skill folder once: the files to upload, what was left out and why, and what cannot be read.

The walk never opens a file (only `stat`s), never follows a symlink out of the folder, and never
descends into a left-out directory, so validating 10,000 files stays fast.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .ignore import IgnoreRules
from .problems import Problem


@dataclass(frozen=True, slots=True)
class SkillFile:
    relpath: str  # POSIX, relative to the skill folder
    path: Path  # where to read it (a symlink inside the folder is read through)
    size: int


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

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def scan_folder(root: Path) -> FolderScan:
    """Scan `root`, which must be a real (symlink-free) directory path."""
    scan = FolderScan(root)
    rules = IgnoreRules.for_folder(root)
    root_real = os.path.realpath(root)
    visited = {root_real}
    pending: list[tuple[str, str]] = [(str(root), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as entries:
                children = list(entries)
        except OSError as exc:
            scan.problems.append(_unreadable(prefix.rstrip("/") or ".", exc))
            continue
        for entry in children:
            relpath = prefix + entry.name
            _visit(entry, relpath, scan, rules, root_real, visited, pending)
    scan.files.sort(key=lambda f: f.relpath)
    scan.skipped.sort(key=lambda s: s.relpath)
    scan.problems.sort(key=lambda p: p.where)
    return scan


def _visit(
    entry: os.DirEntry[str],
    relpath: str,
    scan: FolderScan,
    rules: IgnoreRules,
    root_real: str,
    visited: set[str],
    pending: list[tuple[str, str]],
) -> None:
    try:
        is_link = entry.is_symlink()
        is_dir = entry.is_dir()  # follows a symlink
    except OSError as exc:
        scan.problems.append(_unreadable(relpath, exc))
        return
    reason = rules.reason(relpath, is_dir=is_dir)
    if reason is not None:
        scan.skipped.append(Skipped(relpath + ("/" if is_dir else ""), reason))
        return
    if is_link:
        target = os.path.realpath(entry.path)
        if not _inside(target, root_real):
            scan.problems.append(
                Problem(
                    relpath,
                    f"is a symlink to {target}, outside the skill folder; it is not followed.",
                    "replace the link with a copy of what it points to, or list it in .skillignore.",
                )
            )
            return
        if not os.path.exists(target):
            scan.problems.append(Problem(relpath, "is a broken symlink.", "remove it, or list it in .skillignore."))
            return
    if is_dir:
        real = os.path.realpath(entry.path)
        if real in visited:  # a symlink loop, or a second link to a folder already walked
            scan.skipped.append(Skipped(relpath + "/", "symlink to a folder already included"))
            return
        visited.add(real)
        if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
            scan.skipped.append(Skipped(relpath + "/", "Python virtualenv"))
            return
        pending.append((entry.path, relpath + "/"))
        return
    try:
        st = entry.stat()  # follows a symlink; never opens the file
    except OSError as exc:
        scan.problems.append(_unreadable(relpath, exc))
        return
    if not stat.S_ISREG(st.st_mode):
        scan.skipped.append(Skipped(relpath, "not a regular file (FIFO, socket or device); never opened"))
        return
    scan.files.append(SkillFile(relpath, Path(entry.path), st.st_size))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _unreadable(relpath: str, exc: OSError) -> Problem:
    if isinstance(exc, PermissionError):
        return Problem(relpath, "cannot be read: permission denied.", "grant read access, or list it in .skillignore.")
    return Problem(relpath, f"cannot be read: {exc.strerror or exc}.", "fix it, or list it in .skillignore.")
