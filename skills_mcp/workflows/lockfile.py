"""`skills.lock.json`: which skill and version each folder of a skills folder was published as, meant for git.

Its bytes depend on its content only (keys sorted, two-space indent, UTF-8, one trailing newline), so
the same state always writes the same file and a diff shows exactly what changed. It is replaced in one
step (a temporary file in the same folder, then `os.replace`), so a reader never sees half of it and a
failed write leaves the old one as it was. The format:

    {"lock_version": 1,
     "skills": {"<folder, relative POSIX>": {"content_hash": "sha256:...", "files": {"<path>": "<sha256 hex>"},
                                             "name": ..., "published_at": "2026-01-01T00:00:00Z",
                                             "skill_id": "skill_...", "version": "<id, or epoch under --beta>"}}}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from skills_mcp.errors import SkillsMcpError

LOCK_NAME = "skills.lock.json"
LOCK_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TEXT_FIELDS = ("skill_id", "version", "content_hash", "name", "published_at")
_FIX = (
    "Restore it from version control (e.g. `git checkout -- {name}`), or delete it: the next sync writes it "
    "again, matching folders to skills by name (and deletes nothing it does not record)."
)


@dataclass
class LockEntry:
    """One skill folder as last published: `files` maps each path to its SHA-256, so a plan can name the files
    that changed without downloading anything."""

    folder: str
    skill_id: str
    version: str
    content_hash: str
    name: str
    published_at: str
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class LockFile:
    path: Path
    entries: dict[str, LockEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> LockFile:
        """The lock file of `directory`; none there is an empty one. One that cannot be read is an error that
        names the file and the fix, never silently replaced."""
        path = directory / LOCK_NAME
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path)
        except OSError as exc:
            raise _malformed(path, f"cannot be read ({exc.strerror or exc})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _malformed(path, f"is not valid JSON ({exc})") from None
        return cls(path, _entries(path, data))

    def save(self) -> None:
        """Write it atomically; the same entries always give the same bytes."""
        skills = {folder: _entry_json(self.entries[folder]) for folder in sorted(self.entries)}
        text = json.dumps({"lock_version": LOCK_VERSION, "skills": skills}, indent=2, sort_keys=True,
                          ensure_ascii=False)  # fmt: skip
        data = (text + "\n").encode("utf-8")
        try:
            mode = self.path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644  # a file to commit, readable by all like any other in the repository
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{LOCK_NAME}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def utc_now() -> str:
    """`published_at` as the lock file records it: ISO 8601, UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_json(entry: LockEntry) -> dict[str, Any]:
    data = asdict(entry)
    del data["folder"]  # the key it is stored under
    return data


def _malformed(path: Path, why: str) -> SkillsMcpError:
    return SkillsMcpError(f"The lock file {path} {why}. {_FIX.format(name=LOCK_NAME)}")


def _entries(path: Path, data: Any) -> dict[str, LockEntry]:
    if not isinstance(data, dict):
        raise _malformed(path, "is not a JSON object")
    version = data.get("lock_version")
    if version != LOCK_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > LOCK_VERSION:
            raise SkillsMcpError(
                f"The lock file {path} has lock_version {version}, newer than this skills-mcp reads "
                f"({LOCK_VERSION}). Upgrade skills-publisher-mcp."
            )
        raise _malformed(path, f"has no lock_version {LOCK_VERSION}")
    skills = data.get("skills", {})
    if not isinstance(skills, dict):
        raise _malformed(path, "has a `skills` member that is not an object")
    entries: dict[str, LockEntry] = {}
    for folder, raw in skills.items():
        where = f"entry {folder!r}"
        if problem := _folder_problem(folder):
            raise _malformed(path, f"has an {where} whose folder {problem}")
        if not isinstance(raw, dict):
            raise _malformed(path, f"has an {where} that is not an object")
        for name in _TEXT_FIELDS:
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise _malformed(path, f"has an {where} without a `{name}` string")
        files = raw.get("files", {})
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and _HEX64.fullmatch(v) for k, v in files.items()
        ):
            raise _malformed(path, f"has an {where} whose `files` is not an object of path to SHA-256 hex")
        texts: dict[str, str] = {name: raw[name] for name in _TEXT_FIELDS}
        entries[folder] = LockEntry(folder=folder, files=dict(files), **texts)
    return entries


def _folder_problem(folder: str) -> str | None:
    """A folder must stay inside the skills folder: relative, POSIX, no `..`, written as it is normalised
    (`.` is the skills folder itself, when it is a skill)."""
    if folder == ".":
        return None
    if not folder or folder.startswith("/") or "\\" in folder or ":" in folder:
        return "is not a relative POSIX path"
    parts = PurePosixPath(folder).parts
    if ".." in parts or "/".join(parts) != folder:
        return "is not a plain relative path inside the skills folder (no '..', no './', no trailing '/')"
    return None
