"""The emulator's skills in SQLite (the standard library's sqlite3): in memory, or in `emulator.db` in a data
folder shared by several processes (dbfile.py: WAL, one transaction per write, a busy timeout).

Content is kept as blobs in the database, not as files named by their SHA-256. A version's rows and bytes
commit in one transaction, so "no half version" is SQLite's own commit: no file can outlive or predate the
row that names it, and there is one file to move, back up or delete. The cost, a database as large as what
it holds (an upload is at most 30 MB), suits an emulator's data folder. Each file keeps its size and
SHA-256, so damage is named when the bytes are read.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from .dbfile import Database
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

# What each column must hold when read back: SQLite lets a hand edit put any type in any column.
_SKILL_COLUMNS = {"id": str, "seq": int, "name": str, "created_at": str, "updated_at": str, "source": str}
_VERSION_COLUMNS = {
    "id": str, "skill_id": str, "seq": int, "version": str, "name": str, "description": str,
    "directory": str, "created_at": str, "files": int,
}  # fmt: skip


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
        self._db = Database(data_dir)
        self.data_dir = self._db.data_dir
        self.location = self._db.location
        self._versions: dict[str, VersionRecord] = {}  # versions never change once written: read each once

    def reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """One consistent view of the database (a read transaction)."""
        return self._db.reading()

    def writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it."""
        return self._db.writing()

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
