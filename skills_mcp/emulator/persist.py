"""The emulator's store kept in a folder, so skills outlive the process and several processes share them.

Layout of the data folder:

    emulator.json   format, a change token, the sequence and epoch counters (rewritten on every change)
    emulator.lock   locked around each operation: shared to read, exclusive to change
    skills/<skill_id>/skill.json
    skills/<skill_id>/versions/<version_id>/version.json   the version's fields and its file list
    skills/<skill_id>/versions/<version_id>/files/<n>      the n-th file's exact bytes
    staging/        where new things are built; a leftover is a write that never finished
    trash/          where removed things go before they are deleted; a leftover is a delete that was cut short

Files are stored by index, their paths only in version.json: an uploaded path need not be a valid,
distinct file name here (case-insensitive or Windows file systems, a file and a folder of one name).

A change is built under staging/, flushed, then renamed into place: that rename is the moment it
exists, so a crash before it leaves only a staging leftover, and a crash after it a whole version.
A removal renames into trash/ first, so what a crash leaves is either all there or gone.

The disk is the truth: each operation first reads emulator.json, and reloads the folder when its
token differs from the one this process last saw (another process changed something). Versions
never change once written, so a reload reuses the ones already in memory and reads only new ones'
version.json; file bytes are read only when asked for (a download).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from skills_mcp.errors import ConfigError

from .store import EmulatorError, SkillRecord, Store, VersionRecord, not_found

FORMAT = 1
HEAD = "emulator.json"
LOCK = "emulator.lock"
SKILLS = "skills"
STAGING = "staging"
TRASH = "trash"
SKILL_JSON = "skill.json"
VERSION_JSON = "version.json"
VERSIONS = "versions"
FILES = "files"

log = logging.getLogger(__name__)


class DataDirError(ConfigError):
    """The data folder cannot be used: foreign content, or written by a newer format."""


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int, exclusive: bool) -> None:
        # msvcrt has no shared lock, so readers take it exclusively too: correct, only less concurrent.
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError as exc:  # LK_LOCK gives up after ~10 s; wait on, as flock does
                if exc.errno != errno.EDEADLOCK:
                    raise

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    # flock, not lockf: flock locks belong to the open file, so two stores in one process exclude
    # each other too, and closing the file (or the process dying) releases the lock.
    def _lock(fd: int, exclusive: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# ---- the durable steps; module-level so a test can make one fail ---------------------------------


def install(staged: Path, target: Path) -> None:
    """The commit point: a fully written folder or file becomes visible under its real name at once."""
    os.replace(staged, target)
    _fsync_dir(target.parent)


def purge(path: Path) -> None:
    """Delete what was already moved to trash; a failure only leaves a leftover for the next cleanup."""
    shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Make a rename or new entry in `path` durable; Windows cannot open a folder, and needs no such step."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False).encode()


def _skill_meta(skill: SkillRecord, updated_at: str) -> dict[str, Any]:
    return {
        "id": skill.id,
        "name": skill.name,
        "display_title": skill.display_title,
        "created_at": skill.created_at,
        "updated_at": updated_at,
        "seq": skill.seq,
        "source": skill.source,
    }


def _blobs(version: VersionRecord) -> dict[str, tuple[str, int]]:
    """Each file's blob name (its index) and size."""
    return {rel: (str(index), len(data)) for index, (rel, data) in enumerate(version.files.items())}


def _write_version(folder: Path, version: VersionRecord) -> None:
    """Files first, version.json last: a version folder without it is not a version."""
    (folder / FILES).mkdir(parents=True)
    listing = []
    for rel, (blob, size) in _blobs(version).items():
        _write_file(folder / FILES / blob, version.files[rel])
        listing.append({"path": rel, "blob": blob, "size": size})
    _fsync_dir(folder / FILES)
    meta = {
        "id": version.id,
        "skill_id": version.skill_id,
        "version": version.version,
        "name": version.name,
        "description": version.description,
        "directory": version.directory,
        "created_at": version.created_at,
        "seq": version.seq,
        "files": listing,
    }
    _write_file(folder / VERSION_JSON, _dump(meta))
    _fsync_dir(folder)


class StoredFiles(Mapping[str, bytes]):
    """A stored version's files, read when asked for: a folder may hold far more than memory should.

    Read under the store's lock; a version another process deleted since is a 404, as it would be to
    a client asking a moment later.
    """

    def __init__(self, store: DiskStore, folder: Path, blobs: dict[str, tuple[str, int]]) -> None:
        self._store = store
        self._folder = folder
        self._blobs = blobs  # path -> (blob name, size)

    def __getitem__(self, rel: str) -> bytes:
        blob, size = self._blobs[rel]
        path = self._folder / FILES / blob
        with self._store._reading():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                if not (self._folder / VERSION_JSON).exists():  # the whole version went: deleted meanwhile
                    raise not_found(f"Skill version not found: {self._folder.name}") from None
                raise self._damaged(f"{path} is missing") from None
            except OSError as exc:
                raise self._damaged(f"{path} cannot be read ({exc.strerror or exc})") from None
        if len(data) != size:
            raise self._damaged(f"{path} holds {len(data)} bytes, where {size} were stored")
        return data

    def _damaged(self, damage: str) -> EmulatorError:
        return EmulatorError(
            500, "api_error", f"Skill version {self._folder.name} is damaged in the emulator's data folder: {damage}"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __repr__(self) -> str:
        return f"StoredFiles({list(self._blobs)!r})"


class _Damaged(Exception):
    """A file of the data folder that cannot be read as what it should be; the message says which and why."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise _Damaged(f"{path} is missing") from None
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        raise _Damaged(f"{path} cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise _Damaged(f"{path} holds {type(data).__name__}, not a JSON object")
    return data


def _read_version(store: DiskStore, folder: Path) -> VersionRecord:
    path = folder / VERSION_JSON
    meta = _read_json(path)
    try:
        blobs = {str(f["path"]): (str(f["blob"]), int(f["size"])) for f in meta["files"]}
        return VersionRecord(
            str(meta["id"]), str(meta["skill_id"]), str(meta["version"]), str(meta["name"]),
            str(meta["description"]), str(meta["directory"]), str(meta["created_at"]),
            StoredFiles(store, folder, blobs), int(meta["seq"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise _Damaged(f"{path} lacks a field or has a wrong one ({exc!r})") from None


def _read_skill(store: DiskStore, folder: Path, known: dict[str, VersionRecord]) -> SkillRecord:
    """The skill kept in `folder`; if any part of it cannot be read, a damaged record saying which."""
    path = folder / SKILL_JSON
    meta: dict[str, Any] = {}
    try:
        meta = _read_json(path)
        versions: list[VersionRecord] = []
        with os.scandir(folder / VERSIONS) as entries:
            for entry in entries:
                if entry.is_dir():
                    versions.append(known.get(entry.name) or _read_version(store, Path(entry.path)))
        versions.sort(key=lambda v: v.seq)
        updated_at = str(meta["updated_at"])
        if versions:  # a crash between adding a version and rewriting skill.json leaves it behind
            updated_at = max(updated_at, versions[-1].created_at)
        return SkillRecord(
            str(meta["id"]), str(meta["name"]), meta["display_title"], str(meta["created_at"]), updated_at,
            int(meta["seq"]), str(meta["source"]), versions,
        )  # fmt: skip
    except _Damaged as exc:
        damage = str(exc)
    except OSError as exc:  # the versions folder missing or unreadable
        damage = f"{folder / VERSIONS} cannot be read ({exc.strerror or exc})"
    except (KeyError, TypeError, ValueError) as exc:
        damage = f"{path} lacks a field or has a wrong one ({exc!r})"
    title, created = meta.get("display_title"), meta.get("created_at")
    return SkillRecord(
        folder.name, str(meta.get("name") or ""), title if isinstance(title, str) else None,
        str(created or ""), str(created or ""), 0, damage=damage,
    )  # fmt: skip


class DiskStore(Store):
    """A `Store` whose records live in `data_dir`, shared safely with other processes using it.

    Thread-safe; operations of one process, and of all processes on the folder, happen one write at a time.
    """

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = Path(data_dir).absolute()  # the same folder even if the process changes directory
        self._mutex = threading.RLock()
        self._depth = 0  # operations of this thread in progress; only the outermost locks
        self._exclusive = False
        self._token: str | None = None  # emulator.json's token when the records were last in step with it
        self._reported: set[str] = set()  # damage already logged
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._refuse_foreign()  # before the lock file, so a wrong folder is left as it was
            with self._writing():  # creates the layout, cleans leftovers, loads
                pass
        except OSError as exc:  # a file in the way, no permission, a read-only disk: the user's to fix
            where = Path(exc.filename) if isinstance(exc.filename, str) else self.data_dir
            file = next((p for p in (where, *where.parents) if p.is_file()), None)
            why = f"{file} is a file, not a folder" if file else f"{exc.strerror or exc}: {where}"
            raise DataDirError(
                f"cannot use {self.data_dir} as the emulator's data folder ({why}); "
                "give --data-dir (or SKILLS_MCP_DATA_DIR) a folder this user can create and write"
            ) from None

    # ---- locking and loading -----------------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[None]:
        return self._locked(exclusive=False)

    def _writing(self) -> AbstractContextManager[None]:
        return self._locked(exclusive=True)

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        with self._mutex:
            if self._depth:
                if exclusive and not self._exclusive:
                    raise RuntimeError("a change inside a read: the shared lock cannot be upgraded")
                yield
                return
            fd = os.open(self.data_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock(fd, exclusive)
                try:
                    self._depth, self._exclusive = 1, exclusive
                    if exclusive:
                        self._prepare()
                    self._sync()
                    yield
                finally:
                    self._depth, self._exclusive = 0, False
                    _unlock(fd)
            finally:
                os.close(fd)

    def _prepare(self) -> None:
        """Under the exclusive lock: the layout exists, and no one is midway through a change, so anything
        in staging/ or trash/ is a leftover of a process that died."""
        if not (self.data_dir / HEAD).exists():
            self._refuse_foreign()
            (self.data_dir / STAGING).mkdir(exist_ok=True)
            self._write_head(secrets.token_hex(16))
        for name in (SKILLS, STAGING, TRASH):
            (self.data_dir / name).mkdir(exist_ok=True)
        for name in (STAGING, TRASH):
            for leftover in (self.data_dir / name).iterdir():
                log.info("removing %s, left by an interrupted change", leftover)
                if leftover.is_dir() and not leftover.is_symlink():
                    purge(leftover)
                else:
                    leftover.unlink(missing_ok=True)

    def _refuse_foreign(self) -> None:
        """Without emulator.json, a folder holding anything but what starting one leaves is someone else's:
        cleaning staging/ or trash/ there could delete their files."""
        if (self.data_dir / HEAD).exists():
            return
        foreign = sorted(p.name for p in self.data_dir.iterdir() if p.name not in (LOCK, STAGING))
        if foreign:
            raise DataDirError(
                f"{self.data_dir} is not an emulator data folder (it holds {', '.join(foreign[:3])}); "
                "use an empty or new folder"
            )

    def _sync(self) -> None:
        """Reload if another process changed the folder, or while a skill is damaged (it may be repaired)."""
        try:
            head = _read_json(self.data_dir / HEAD)
            if head.get("format") != FORMAT:
                raise DataDirError(
                    f"{self.data_dir / HEAD}: format {head.get('format')!r}, this emulator reads {FORMAT}"
                )
            token, seq, last_us = str(head["token"]), int(head["seq"]), int(head["last_us"])
        except (_Damaged, KeyError, TypeError, ValueError) as exc:
            raise DataDirError(f"{self.data_dir / HEAD} is damaged ({exc}); it holds the folder's counters") from None
        if token == self._token and not any(s.damage for s in self._skills.values()):
            return
        known = {v.id: v for s in self._skills.values() for v in s.versions}
        skills: list[SkillRecord] = []
        try:
            with os.scandir(self.data_dir / SKILLS) as entries:
                skills = [_read_skill(self, Path(e.path), known) for e in entries if e.is_dir()]
        except FileNotFoundError:
            pass  # cleared, and a crash before the empty skills/ was made: no skills
        for skill in skills:
            if skill.damage and skill.damage not in self._reported:  # once, not on every request
                log.error("skill %s in the data folder is damaged: %s", skill.id, skill.damage)
                self._reported.add(skill.damage)
        skills.sort(key=lambda s: s.seq)
        self._skills = {s.id: s for s in skills}
        seqs = [s.seq for s in skills] + [v.seq for s in skills for v in s.versions]
        self._seq = max([seq, *seqs])
        self._last_us = last_us
        self._token = token

    def _write_head(self, token: str) -> None:
        staged = self._staging_path()
        _write_file(staged, _dump({"format": FORMAT, "token": token, "seq": self._seq, "last_us": self._last_us}))
        install(staged, self.data_dir / HEAD)

    @contextmanager
    def _change(self) -> Iterator[None]:
        """One change to the folder: announced first (new token and counters), so that whatever happens
        next, even a crash, other processes reload; this store is in step again only once it succeeded."""
        self._token = None
        token = secrets.token_hex(16)
        self._write_head(token)
        yield
        self._token = token

    def _staging_path(self) -> Path:
        return self.data_dir / STAGING / secrets.token_hex(8)

    def _skill_dir(self, skill_id: str) -> Path:
        return self.data_dir / SKILLS / skill_id

    def _discard(self, path: Path) -> None:
        """Gone at once (one rename), deleted after."""
        aside = self.data_dir / TRASH / secrets.token_hex(8)
        install(path, aside)
        _fsync_dir(path.parent)
        purge(aside)

    def _forget_bytes(self, version: VersionRecord) -> None:
        """Once on disk, an upload is read from there, so a long-running server does not keep every one."""
        folder = self._skill_dir(version.skill_id) / VERSIONS / version.id
        version.files = StoredFiles(self, folder, _blobs(version))

    def _rewrite_skill(self, skill: SkillRecord, updated_at: str) -> None:
        staged = self._staging_path()
        _write_file(staged, _dump(_skill_meta(skill, updated_at)))
        install(staged, self._skill_dir(skill.id) / SKILL_JSON)

    # ---- the hooks -----------------------------------------------------------------------------------

    def _save_skill(self, skill: SkillRecord) -> None:
        with self._change():
            staged = self._staging_path()
            for version in skill.versions:
                _write_version(staged / VERSIONS / version.id, version)
            _fsync_dir(staged / VERSIONS)
            _write_file(staged / SKILL_JSON, _dump(_skill_meta(skill, skill.updated_at)))
            _fsync_dir(staged)
            install(staged, self._skill_dir(skill.id))
        for version in skill.versions:
            self._forget_bytes(version)

    def _save_version(self, skill: SkillRecord, version: VersionRecord) -> None:
        with self._change():
            staged = self._staging_path()
            _write_version(staged, version)
            install(staged, self._skill_dir(skill.id) / VERSIONS / version.id)
            self._rewrite_skill(skill, version.created_at)
        self._forget_bytes(version)

    def _remove_version(self, skill: SkillRecord, version: VersionRecord, updated_at: str) -> None:
        with self._change():
            self._discard(self._skill_dir(skill.id) / VERSIONS / version.id)
            self._rewrite_skill(skill, updated_at)

    def _remove_skill(self, skill: SkillRecord) -> None:
        with self._change():
            self._discard(self._skill_dir(skill.id))

    def clear(self) -> None:
        """Delete every skill from the folder. The counters go on, so epochs stay unique and old cursors
        merely find nothing."""
        with self._writing(), self._change():
            self._discard(self.data_dir / SKILLS)
            (self.data_dir / SKILLS).mkdir()
            self._skills = {}
