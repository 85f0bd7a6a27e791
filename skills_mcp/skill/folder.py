"""Walk a skill folder once: the files to upload, what was left out and why, and what cannot be read.

The walk never opens a file (only `stat`s), never follows a symlink out of the folder, and never
descends into a left-out directory, so validating 10,000 files stays fast.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from skills_mcp.limits import MAX_FILES
from skills_mcp.problems import Problem, shown
from skills_mcp.skill.ignore import IgnoreRules
from skills_mcp.skill.parts import FolderScan, SkillFile, Skipped
from skills_mcp.skill.paths import is_within, wire_name_problem
from skills_mcp.skill.reopen import Identity, Root


def scan_folder(root: Path) -> FolderScan:
    """Scan `root`, which must be a real (symlink-free) directory path."""
    root_real = os.path.realpath(root)
    try:
        root_st = os.stat(root_real)
    except OSError as exc:
        return FolderScan(root, problems=[_unreadable(".", exc)])
    rules, problems = IgnoreRules.for_folder(root)
    walk = _Walk(FolderScan(root, problems=problems), rules, Root(root_real, Identity.of(root_st)))
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
    root: Root
    visited: set[str] = field(default_factory=set)
    # (path, relpath prefix, real prefix): where it is reached, what it is called, where it is for real
    folders: list[tuple[str, str, str]] = field(default_factory=list)
    # Linked folders are walked last, so a link never claims a real folder ahead of its own name.
    linked_folders: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def root_real(self) -> str:
        return self.root.path

    def run(self) -> None:
        self.folders.append((self.root_real, "", ""))
        while (self.folders or self.linked_folders) and not self.scan.too_many:
            if self.folders:
                directory, prefix, real_prefix = self.folders.pop()
                real = directory  # reached through real folders only, so already a real path
            else:
                directory, prefix, _ = self.linked_folders.pop()
                real = os.path.realpath(directory)
                real_prefix = _relative(real, self.root_real)
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
                self.visit(entry, prefix + entry.name, real_prefix + entry.name)
                if len(self.scan.files) > MAX_FILES:  # enough to refuse; a million more would only cost time
                    self.scan.too_many = True
                    break

    def visit(self, entry: os.DirEntry[str], relpath: str, real: str) -> None:
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows a symlink
        except OSError as exc:
            self.scan.problems.append(_unreadable(relpath, exc))
            return
        if self.skipped(relpath, is_dir, relpath):
            return
        bad_name = wire_name_problem(entry.name)
        if bad_name is not None:
            self.scan.problems.append(_renamed_by_upload(relpath, is_dir, bad_name))
            return
        if is_link:
            target = self.link_target(entry, relpath, is_dir)
            if target is None:
                return
            real = target
        if is_dir:
            if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                self.scan.skipped.append(Skipped(relpath + "/", "Python virtualenv"))
            else:
                (self.linked_folders if is_link else self.folders).append((entry.path, relpath + "/", real + "/"))
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
        self.scan.files.append(SkillFile(relpath, entry.path, real, Identity.of(st), self.root))

    def skipped(self, relpath: str, is_dir: bool, shown_as: str, via: str = "") -> bool:
        reason = self.rules.reason(relpath, is_dir=is_dir)
        if reason is not None:
            self.scan.skipped.append(Skipped(shown(shown_as) + ("/" if is_dir else ""), via + reason))
        return reason is not None

    def link_target(self, entry: os.DirEntry[str], relpath: str, is_dir: bool) -> str | None:
        """Where an in-folder link leads, relative to the folder; None for a link that is refused or left out.

        A link may stay inside the folder, and may not smuggle in what the rules leave out.
        """
        target = os.path.realpath(entry.path)
        if not is_within(target, self.root_real):
            self.scan.problems.append(
                Problem(
                    relpath,
                    f"is a symlink to {target}, outside the skill folder; it is not followed.",
                    "replace the link with a copy of what it points to, or list it in .skillignore.",
                )
            )
            return None
        if not os.path.exists(target):
            self.scan.problems.append(
                Problem(shown(relpath), "is a broken symlink.", "remove it, or list it in .skillignore.")
            )
            return None
        target_rel = _relative(target, self.root_real).rstrip("/")
        if target_rel and self.skipped(target_rel, is_dir, relpath, via=f"link to {target_rel}: "):
            return None
        return target_rel


def _relative(path: str, root: str) -> str:
    """`path` below `root` in POSIX form, "" for `root` itself, with a trailing "/" otherwise for folders' use."""
    rel = Path(os.path.relpath(path, root)).as_posix()
    return "" if rel == "." else rel + "/"


def _renamed_by_upload(relpath: str, is_dir: bool, why: str) -> Problem:
    what = "folder" if is_dir else "file"
    return Problem(
        shown(relpath) + ("/" if is_dir else ""),
        f"the {what} name {why}; the upload would send it under another name, or fail.",
        f"rename the {what} (letters, digits, spaces, '-', '_' and '.' are safe), or list it in .skillignore.",
    )


def _unreadable(relpath: str, exc: OSError) -> Problem:
    where = shown(relpath)
    if isinstance(exc, PermissionError):
        return Problem(where, "cannot be read: permission denied.", "grant read access, or list it in .skillignore.")
    return Problem(where, f"cannot be read: {exc.strerror or exc}.", "fix it, or list it in .skillignore.")
