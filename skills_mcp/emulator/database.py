"""The emulator's skills in SQLite (the standard library's sqlite3): in memory, or in `emulator.db` in a data folder.

Content is kept as blobs in the database, not as files named by their SHA-256. A version's rows and bytes
commit in one transaction, so "no half version" is SQLite's own commit: no file can outlive or predate the
row that names it, and there is one file to move, back up or delete. The cost, a database as large as what
it holds (an upload is at most 30 MB), suits an emulator's data folder. Each file keeps its size and
SHA-256, so damage is named when the bytes are read.

WAL mode, one transaction per write (`BEGIN IMMEDIATE`, so two writers queue instead of failing), and a
busy timeout: several processes (the CLI, a server, `skills-mcp emulator`) share one folder. Each thread has
its own connection, so a read never waits for a write in progress (WAL readers see the last commit).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from skills_mcp.errors import ConfigError

from .store import (
    DISPLAY_TITLE_MAX,
    LIMIT_MAX,
    SOURCES,
    EmulatorError,
    SkillRecord,
    Upload,
    VersionRecord,
    bad_request,
    check_upload,
    damaged,
    decode_cursor,
    encode_cursor,
    iso,
    new_id,
    not_found,
    paginate,
)

DB = "emulator.db"
FORMAT = 1  # PRAGMA user_version of a database this emulator wrote
BUSY_TIMEOUT = 60.0  # seconds a write waits for another process's write before giving up
# Files SQLite keeps beside the database; anything else in the folder is someone else's.
_OURS = (DB, f"{DB}-wal", f"{DB}-shm", f"{DB}-journal")
_OLD_LAYOUT = ("emulator.json", "skills")  # the file store of earlier 0.x releases

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, last_us INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS skills (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, display_title TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS skills_by_seq ON skills (seq);
CREATE TABLE IF NOT EXISTS versions (
    id TEXT PRIMARY KEY, skill_id TEXT NOT NULL, seq INTEGER NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, directory TEXT NOT NULL, created_at TEXT NOT NULL, files INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_skill ON versions (skill_id, seq);
CREATE TABLE IF NOT EXISTS files (
    version_id TEXT NOT NULL, idx INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (version_id, idx));
"""

# What each column must hold when read back: SQLite lets a hand edit put any type in any column.
_SKILL_COLUMNS = {"id": str, "seq": int, "name": str, "created_at": str, "updated_at": str, "source": str}
_VERSION_COLUMNS = {
    "id": str, "skill_id": str, "seq": int, "version": str, "name": str, "description": str,
    "directory": str, "created_at": str, "files": int,
}  # fmt: skip


class DataDirError(ConfigError):
    """The data folder cannot be used: foreign content, the old file layout, a damaged or newer database."""


class _Damaged(Exception):
    """A row that does not hold what the emulator wrote; the message says where and what."""


def insert_version(db: sqlite3.Connection, version: VersionRecord, files: Mapping[str, bytes]) -> None:
    """A version's row and its files' rows (exact bytes, size, SHA-256), inside the caller's transaction."""
    db.execute(
        "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (version.id, version.skill_id, version.seq, version.version, version.name, version.description,
         version.directory, version.created_at, len(files)),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
        ((version.id, i, rel, len(data), hashlib.sha256(data).hexdigest(), data)
         for i, (rel, data) in enumerate(files.items())),
    )  # fmt: skip


def delete_version_rows(db: sqlite3.Connection, version_id: str) -> None:
    """A version and its files, inside the caller's transaction."""
    db.execute("DELETE FROM files WHERE version_id = ?", (version_id,))
    db.execute("DELETE FROM versions WHERE id = ?", (version_id,))


def _checked(where: str, row: sqlite3.Row, columns: dict[str, type]) -> None:
    for column, kind in columns.items():
        value = row[column]
        if type(value) is not kind:
            raise _Damaged(f"{where}, column {column} holds {type(value).__name__}, not {kind.__name__}")


class StoredFiles(Mapping[str, bytes]):
    """A stored version's files, read when asked for: a database may hold far more than memory should.

    A version another process deleted since is a 404, as it would be to a client asking a moment later.
    """

    def __init__(self, store: Store, version_id: str, count: int) -> None:
        self._store = store
        self._version_id = version_id
        self._count = count
        self._listing: dict[str, tuple[int, int, str]] | None = None  # path -> (index, size, sha256)

    def _where(self, index: int) -> str:
        return f"{self._store.location}: table files, version {self._version_id}, file {index}"

    def _damaged(self, damage: str) -> EmulatorError:
        return EmulatorError(
            500, "api_error", f"Skill version {self._version_id} is damaged in the emulator's data folder: {damage}"
        )

    def _gone_or_damaged(self, db: sqlite3.Connection, damage: str) -> EmulatorError:
        if db.execute("SELECT 1 FROM versions WHERE id = ?", (self._version_id,)).fetchone() is None:
            return not_found(f"Skill version not found: {self._version_id}")
        return self._damaged(damage)

    def listing(self) -> dict[str, tuple[int, int, str]]:
        if self._listing is None:
            with self._store.reading() as db:
                rows = db.execute(
                    "SELECT idx, path, size, sha256 FROM files WHERE version_id = ? ORDER BY idx", (self._version_id,)
                ).fetchall()
                missing = sorted(set(range(self._count)) - {row["idx"] for row in rows})
                if missing:
                    raise self._gone_or_damaged(db, f"{self._where(missing[0])} is missing")
            self._listing = {row["path"]: (row["idx"], row["size"], row["sha256"]) for row in rows}
        return self._listing

    def __getitem__(self, rel: str) -> bytes:
        index, size, digest = self.listing()[rel]
        with self._store.reading() as db:
            row = db.execute(
                "SELECT data FROM files WHERE version_id = ? AND idx = ?", (self._version_id, index)
            ).fetchone()
            if row is None:
                raise self._gone_or_damaged(db, f"{self._where(index)} is missing")
        data = row["data"]
        if not isinstance(data, bytes) or len(data) != size:
            got = len(data) if isinstance(data, bytes) else type(data).__name__
            raise self._damaged(f"{self._where(index)} ({rel}) holds {got} bytes, where {size} were stored")
        if hashlib.sha256(data).hexdigest() != digest:
            raise self._damaged(f"{self._where(index)} ({rel}) does not hold the bytes stored (SHA-256 differs)")
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self.listing())

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"StoredFiles({self._version_id!r}, {self._count} files)"


class Store:
    """Every skill the emulator holds, custom only, in creation order: in memory (`data_dir` None, gone with
    the process) or in `data_dir`/emulator.db, shared with every process using that folder. Thread-safe."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = None if data_dir is None else Path(data_dir).absolute()
        self.location = ":memory:" if self.data_dir is None else str(self.data_dir / DB)
        self._local = threading.local()  # one connection per thread, on disk
        self._memory: sqlite3.Connection | None = None  # one connection, behind a lock, in memory
        self._memory_lock = threading.RLock()
        self._versions: dict[str, VersionRecord] = {}  # versions never change once written: read each once
        if self.data_dir is None:
            self._memory = self._connect()
            with self.writing() as db:
                _create_tables(db)
        else:
            self._open_folder(self.data_dir)

    def _open_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _refuse_old_or_foreign(folder)
            with self.writing() as db:
                found = db.execute("PRAGMA user_version").fetchone()[0]
                if found not in (0, FORMAT):
                    raise DataDirError(
                        f"{self.location} was written in format {found}; this emulator reads {FORMAT}: "
                        "use the skills-mcp that wrote it, or another --data-dir"
                    )
                _create_tables(db)
                db.execute(f"PRAGMA user_version = {FORMAT}")
        except OSError as exc:  # a file in the way, no permission, a read-only disk: the user's to fix
            where = Path(exc.filename) if isinstance(exc.filename, str) else folder
            file = next((p for p in (where, *where.parents) if p.is_file()), None)
            why = f"{file} is a file, not a folder" if file else f"{exc.strerror or exc}: {where}"
            raise DataDirError(
                f"cannot use {folder} as the emulator's data folder ({why}); "
                "give --data-dir (or SKILLS_MCP_DATA_DIR) a folder this user can create and write"
            ) from None
        except EmulatorError as exc:
            raise DataDirError(exc.message) from None

    # ---- connections and transactions -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.data_dir is None:
            db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            db = sqlite3.connect(self.data_dir / DB, timeout=BUSY_TIMEOUT, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")  # kept in the file; readers then never wait for a writer
            db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before it is answered
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._memory is not None:
            with self._memory_lock:
                yield self._memory
            return
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        yield db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        try:
            with self._connection() as db:
                if db.in_transaction:  # nested in this thread's own transaction: part of it
                    yield db
                    return
                db.execute(begin)
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise EmulatorError(
                    503, "overloaded_error", f"{self.location} stayed locked by another process ({exc}); try again"
                ) from None
            raise self._broken(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._broken(exc) from None

    def _broken(self, exc: sqlite3.Error) -> EmulatorError:
        return EmulatorError(
            500, "api_error", f"The emulator's database {self.location} cannot be used ({exc}); move it aside to "
            "start afresh, or restore it from a copy"
        )  # fmt: skip

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One consistent view (a read transaction); never waits for a writer."""
        with self._transaction("BEGIN") as db:
            yield db

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    # ---- reading records ------------------------------------------------------------------------------

    def _version(self, row: sqlite3.Row) -> VersionRecord:
        cached = self._versions.get(row["id"])
        if cached is not None:
            return cached
        _checked(f"{self.location}: table versions, row {row['id']}", row, _VERSION_COLUMNS)
        version = VersionRecord(
            row["id"], row["skill_id"], row["version"], row["name"], row["description"], row["directory"],
            row["created_at"], StoredFiles(self, row["id"], row["files"]), row["seq"],
        )  # fmt: skip
        self._versions[version.id] = version
        return version

    def _skill(self, db: sqlite3.Connection, row: sqlite3.Row) -> SkillRecord:
        """The skill in `row`, its versions oldest first; if any of it cannot be read, a damaged record saying where."""
        try:
            _checked(f"{self.location}: table skills, row {row['id']}", row, _SKILL_COLUMNS)
            rows = db.execute("SELECT * FROM versions WHERE skill_id = ? ORDER BY seq", (row["id"],)).fetchall()
            versions = [self._version(v) for v in rows]
            title = row["display_title"]
            if title is not None and not isinstance(title, str):
                raise _Damaged(f"{self.location}: table skills, row {row['id']}, column display_title is not text")
        except _Damaged as exc:
            title, created = row["display_title"], row["created_at"]
            return SkillRecord(
                str(row["id"]), row["name"] if isinstance(row["name"], str) else "",
                title if isinstance(title, str) else None, created if isinstance(created, str) else "",
                created if isinstance(created, str) else "", row["seq"] if isinstance(row["seq"], int) else 0,
                damage=str(exc),
            )  # fmt: skip
        return SkillRecord(
            row["id"], row["name"], title, row["created_at"], row["updated_at"], row["seq"], row["source"], versions
        )

    def _get_skill(self, db: sqlite3.Connection, skill_id: str) -> SkillRecord:
        row = db.execute("SELECT * FROM skills WHERE id = ?", (skill_id,)).fetchone()
        if row is None:
            raise not_found(f"Skill not found: {skill_id}")
        skill = self._skill(db, row)
        if skill.damage is not None:
            raise damaged(skill, self.location)
        return skill

    @property
    def skills(self) -> dict[str, SkillRecord]:
        """Skill id -> record, oldest first; for tests to inspect."""
        with self.reading() as db:
            return {s.id: s for s in (self._skill(db, r) for r in db.execute("SELECT * FROM skills ORDER BY seq"))}

    # ---- the API's operations -------------------------------------------------------------------------

    def _tick(self, db: sqlite3.Connection) -> tuple[int, int]:
        """A fresh sequence number and a strictly increasing epoch in microseconds, for every process."""
        seq, last_us = db.execute("SELECT seq, last_us FROM counters").fetchone()
        seq, now = seq + 1, max(time.time_ns() // 1000, last_us + 1)
        db.execute("UPDATE counters SET seq = ?, last_us = ?", (seq, now))
        return seq, now

    def _add_version(self, db: sqlite3.Connection, skill_id: str, upload: Upload) -> VersionRecord:
        seq, now = self._tick(db)
        version_id = new_id("skillver_")
        version = VersionRecord(
            version_id, skill_id, str(now), upload.name, upload.description, upload.directory, iso(now),
            StoredFiles(self, version_id, len(upload.files)), seq,
        )  # fmt: skip
        insert_version(db, version, upload.files)
        db.execute("UPDATE skills SET updated_at = ? WHERE id = ?", (version.created_at, skill_id))
        return version

    def create_skill(
        self, files: list[tuple[str, bytes]], display_title: str | None, *, unique_title: bool
    ) -> SkillRecord:
        upload = check_upload(files)
        if display_title is not None and (
            len(display_title) > DISPLAY_TITLE_MAX or "\n" in display_title or "\r" in display_title
        ):
            raise bad_request(f"The display title must be one line of at most {DISPLAY_TITLE_MAX} characters.")
        with self.writing() as db:
            taken = "SELECT 1 FROM skills WHERE display_title = ?"
            if unique_title and display_title is not None and db.execute(taken, (display_title,)).fetchone():
                raise bad_request(f"A skill with display_title '{display_title}' already exists.")
            seq, now = self._tick(db)
            skill = SkillRecord(new_id("skill_"), upload.name, display_title, iso(now), iso(now), seq)
            db.execute(
                "INSERT INTO skills VALUES (?, ?, ?, ?, ?, ?, ?)",
                (skill.id, seq, skill.name, display_title, skill.created_at, skill.updated_at, skill.source),
            )
            version = self._add_version(db, skill.id, upload)
        self._versions[version.id] = version
        skill.versions.append(version)
        skill.updated_at = version.created_at
        return skill

    def create_version(self, skill_id: str, files: list[tuple[str, bytes]]) -> VersionRecord:
        with self.writing() as db:
            skill = self._get_skill(db, skill_id)
            upload = check_upload(files)
            if upload.name != skill.name:
                raise bad_request(
                    f"Skill name '{upload.name}' does not match the existing skill name '{skill.name}'; "
                    "every version must keep the same name."
                )
            version = self._add_version(db, skill.id, upload)
        self._versions[version.id] = version
        return version

    def get_skill(self, skill_id: str) -> SkillRecord:
        with self.reading() as db:
            return self._get_skill(db, skill_id)

    def list_skills(self, limit: int, page: str | None, source: str | None) -> tuple[list[SkillRecord], str | None]:
        """Newest first, a page at a time, read in SQL: a skill's versions only for the skills on the page."""
        if source is not None and source not in SOURCES:
            raise bad_request(f"source: must be one of {', '.join(SOURCES)}.")
        if not 1 <= limit <= LIMIT_MAX:
            raise bad_request(f"limit: must be between 1 and {LIMIT_MAX}.")
        after = decode_cursor("skills", page) if page is not None else None
        query, args = "SELECT * FROM skills WHERE 1", list[int | str]()
        if after is not None:
            query, args = query + " AND seq < ?", [after]
        if source is not None:
            query, args = query + " AND source = ?", [*args, source]
        with self.reading() as db:
            rows = db.execute(query + " ORDER BY seq DESC LIMIT ?", [*args, limit + 1]).fetchall()
            skills = [self._skill(db, row) for row in rows[:limit]]
        more = len(rows) > limit
        return skills, encode_cursor("skills", skills[-1].seq) if more else None

    def delete_skill(self, skill_id: str) -> None:
        with self.writing() as db:
            skill = self._get_skill(db, skill_id)
            if skill.versions:
                raise bad_request("Cannot delete skill with existing versions. Delete all versions first.")
            db.execute("DELETE FROM skills WHERE id = ?", (skill_id,))

    def get_version(self, skill_id: str, ref: str, *, by_epoch: bool, allow_latest: bool) -> VersionRecord:
        """`ref` is an epoch string under the beta header, else a version id; nothing else matches."""
        with self.reading() as db:
            return self._get_version(db, skill_id, ref, by_epoch=by_epoch, allow_latest=allow_latest)

    def _get_version(
        self, db: sqlite3.Connection, skill_id: str, ref: str, *, by_epoch: bool, allow_latest: bool
    ) -> VersionRecord:
        skill = self._get_skill(db, skill_id)
        if ref == "latest":
            if not allow_latest:
                raise bad_request("'latest' is accepted only when getting a version; pass a concrete version.")
            if skill.latest is None:
                raise not_found(f"Skill {skill_id} has no versions.")
            return skill.latest
        for version in skill.versions:
            if (version.version if by_epoch else version.id) == ref:
                return version
        raise not_found(f"Skill version not found: {ref}")

    def list_versions(self, skill_id: str, limit: int, page: str | None) -> tuple[list[VersionRecord], str | None]:
        skill = self.get_skill(skill_id)
        return paginate(skill.versions, skill.id, limit, page)

    def delete_version(self, skill_id: str, ref: str, *, by_epoch: bool) -> VersionRecord:
        with self.writing() as db:
            version = self._get_version(db, skill_id, ref, by_epoch=by_epoch, allow_latest=False)
            updated_at = iso(self._tick(db)[1])
            delete_version_rows(db, version.id)
            db.execute("UPDATE skills SET updated_at = ? WHERE id = ?", (updated_at, skill_id))
        self._versions.pop(version.id, None)
        return version

    def clear(self) -> None:
        """Delete every skill. The counters go on, so epochs stay unique and old cursors merely find nothing."""
        with self.writing() as db:
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM versions")
            db.execute("DELETE FROM skills")
        self._versions.clear()


def _create_tables(db: sqlite3.Connection) -> None:
    """Inside the caller's transaction (`executescript` would commit it first)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _refuse_old_or_foreign(folder: Path) -> None:
    """A folder holding anything but the database is not ours to write into; the old file layout says so by name."""
    names = sorted(p.name for p in folder.iterdir())
    if any(name in _OLD_LAYOUT for name in names):
        raise DataDirError(
            f"{folder} holds emulator data in the file layout of an earlier skills-mcp 0.x (emulator.json, "
            "skills/), which this version, keeping it in SQLite, cannot read; 0.x has no migration. Move that "
            "folder aside (rename it) to start afresh there, or give --data-dir (or SKILLS_MCP_DATA_DIR) "
            "another folder"
        )
    foreign = [name for name in names if name not in _OURS]
    if foreign:
        raise DataDirError(
            f"{folder} is not an emulator data folder (it holds {', '.join(foreign[:3])}); use an empty or new folder"
        )
