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
    path: str  # where to read it (a symlink inside the folder is read through); a str, as a Path per file
    # would be half the time of walking a big folder
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
    walk = _Walk(FolderScan(root), IgnoreRules.for_folder(root), os.path.realpath(root))
    walk.run()
    scan = walk.scan
    scan.files.sort(key=lambda f: f.relpath)
    scan.skipped.sort(key=lambda s: s.relpath)
    scan.problems.sort(key=lambda p: p.where)
    return scan


@dataclass
class _Walk:
    scan: FolderScan
    rules: IgnoreRules
    root_real: str
    visited: set[str] = field(default_factory=set)
    folders: list[tuple[str, str]] = field(default_factory=list)  # (path, relpath prefix)
    # Linked folders are walked last, so a link never claims a real folder ahead of its own name.
    linked_folders: list[tuple[str, str]] = field(default_factory=list)

    def run(self) -> None:
        self.folders.append((self.root_real, ""))
        while self.folders or self.linked_folders:
            if self.folders:
                directory, prefix = self.folders.pop()
                real = directory  # reached through real folders only, so already a real path
            else:
                directory, prefix = self.linked_folders.pop()
                real = os.path.realpath(directory)
            if real in self.visited:
                self.scan.skipped.append(Skipped(prefix, "symlink to a folder already included"))
                continue
            self.visited.add(real)
            try:
                with os.scandir(directory) as entries:
                    children = list(entries)
            except OSError as exc:
                self.scan.problems.append(_unreadable(prefix.rstrip("/") or ".", exc))
                continue
            for entry in children:
                self.visit(entry, prefix + entry.name)

    def visit(self, entry: os.DirEntry[str], relpath: str) -> None:
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows a symlink
        except OSError as exc:
            self.scan.problems.append(_unreadable(relpath, exc))
            return
        if self.skipped(relpath, is_dir, relpath):
            return
        if is_link and not self.link_ok(entry, relpath, is_dir):
            return
        if is_dir:
            if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                self.scan.skipped.append(Skipped(relpath + "/", "Python virtualenv"))
            else:
                (self.linked_folders if is_link else self.folders).append((entry.path, relpath + "/"))
            return
        try:
            st = entry.stat()  # follows a symlink; never opens the file
        except OSError as exc:
            self.scan.problems.append(_unreadable(relpath, exc))
            return
        if not stat.S_ISREG(st.st_mode):
            self.scan.skipped.append(Skipped(relpath, "not a regular file (FIFO, socket or device); never opened"))
            return
        if not os.access(entry.path, os.R_OK):  # found now, not halfway through an upload
            self.scan.problems.append(_unreadable(relpath, PermissionError()))
            return
        self.scan.files.append(SkillFile(relpath, entry.path, st.st_size))

    def skipped(self, relpath: str, is_dir: bool, shown_as: str, via: str = "") -> bool:
        reason = self.rules.reason(relpath, is_dir=is_dir)
        if reason is not None:
            self.scan.skipped.append(Skipped(shown_as + ("/" if is_dir else ""), via + reason))
        return reason is not None

    def link_ok(self, entry: os.DirEntry[str], relpath: str, is_dir: bool) -> bool:
        """A link may stay inside the folder, and may not smuggle in what the rules leave out."""
        target = os.path.realpath(entry.path)
        if not _inside(target, self.root_real):
            self.scan.problems.append(
                Problem(
                    relpath,
                    f"is a symlink to {target}, outside the skill folder; it is not followed.",
                    "replace the link with a copy of what it points to, or list it in .skillignore.",
                )
            )
            return False
        if not os.path.exists(target):
            self.scan.problems.append(
                Problem(relpath, "is a broken symlink.", "remove it, or list it in .skillignore.")
            )
            return False
        target_rel = Path(os.path.relpath(target, self.root_real)).as_posix()
        return target_rel == "." or not self.skipped(target_rel, is_dir, relpath, via=f"link to {target_rel}: ")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _unreadable(relpath: str, exc: OSError) -> Problem:
    if isinstance(exc, PermissionError):
        return Problem(relpath, "cannot be read: permission denied.", "grant read access, or list it in .skillignore.")
    return Problem(relpath, f"cannot be read: {exc.strerror or exc}.", "fix it, or list it in .skillignore.")
