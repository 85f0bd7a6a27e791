"""The emulator's database file: the data folder checked, a connection per thread, one transaction at a time.

WAL mode, so a reader never waits for a writer and sees the last commit; each write is one `BEGIN IMMEDIATE`
transaction, so writers queue (for up to BUSY_TIMEOUT, across processes) instead of failing midway; FULL
sync, so what was answered is on disk. In memory (no folder), one connection behind a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from skills_mcp.errors import ConfigError

from .store import EmulatorError

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


class DataDirError(ConfigError):
    """The data folder cannot be used: foreign content, the old file layout, a damaged or newer database."""


class Database:
    """`data_dir`/emulator.db, or a database in memory when `data_dir` is None. Thread-safe."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = None if data_dir is None else Path(data_dir).absolute()
        self.location = ":memory:" if self.data_dir is None else str(self.data_dir / DB)
        self._local = threading.local()  # one connection per thread, on disk
        self._memory: sqlite3.Connection | None = None  # one connection, behind a lock, in memory
        self._memory_lock = threading.RLock()
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
            # Freed pages die with the process, so zeroing them (some builds' default) is work for nothing:
            # deleting a 28 MB version took 17 ms, 3 ms without.
            db.execute("PRAGMA secure_delete = OFF")
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
