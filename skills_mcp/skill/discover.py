"""Find the skill folders under a folder of skills, for plan and sync.

A skill folder is one that holds SKILL.md; the walk does not descend into one (a skill's own
subfolders are its content), skips what the upload rules skip (`.git`, `node_modules`, ...,
plus the top folder's own `.skillignore`), never follows a symlink (so it stays inside the folder
it was given), and stops after a bounded number of folders.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from skills_mcp.limits import MAX_FILES
from skills_mcp.problems import Problem, shown
from skills_mcp.skill.ignore import IgnoreRules
from skills_mcp.skill.skill_md import SKILL_MD

# Folders looked at before the walk gives up: as many as one upload may hold files, far past any real tree
# of skills, and a bound on the time a mistaken DIR (a home folder) can take.
MAX_FOLDERS = MAX_FILES


@dataclass
class Discovery:
    """Skill folders (relative POSIX paths, sorted), symlinked ones that were not followed, and what went wrong."""

    root: Path
    folders: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_skill_folder(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path / SKILL_MD).st_mode)
    except OSError:
        return False


def discover(root: Path, *, limit: int = MAX_FOLDERS) -> Discovery:
    """Every skill folder under `root`, a real folder path (resolved, no symlink), looking at `limit` folders
    at most."""
    rules, problems = IgnoreRules.for_folder(root)
    found = Discovery(root, problems=list(problems))
    pending: list[tuple[str, str]] = [(str(root), "")]
    seen = 0
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            where = prefix.rstrip("/") or "."
            found.problems.append(
                Problem(shown(where), f"cannot be read: {exc.strerror or exc}.", "fix its permissions, or remove it.")
            )
            continue
        for entry in children:
            relpath = prefix + entry.name
            try:
                is_link, is_dir = entry.is_symlink(), entry.is_dir()
            except OSError:
                continue
            if not is_dir or rules.reason(relpath, is_dir=True) is not None:
                continue
            if is_link:  # never followed: it could lead out of the folder, or round in a loop
                if is_skill_folder(Path(entry.path)):
                    found.linked.append(relpath)
                continue
            seen += 1
            if seen > limit:
                found.problems.append(
                    Problem(
                        ".",
                        f"holds more than {limit:,} folders; the search for skill folders stopped there.",
                        "point at the folder that holds your skills, or list bulky folders in its .skillignore.",
                    )
                )
                return _sorted(found)
            if is_skill_folder(Path(entry.path)):
                found.folders.append(relpath)
            else:
                pending.append((entry.path, relpath + "/"))
    return _sorted(found)


def _sorted(found: Discovery) -> Discovery:
    found.folders.sort()
    found.linked.sort()
    return found
