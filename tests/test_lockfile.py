"""skills.lock.json: stable bytes, sorted, atomic, and a clear error for one that cannot be read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from skills_mcp.errors import SkillsMcpError
from skills_mcp.workflows.lockfile import LOCK_NAME, LockEntry, LockFile, utc_now


def entry(folder: str, n: int = 1) -> LockEntry:
    return LockEntry(
        folder=folder,
        skill_id=f"skill_{folder.replace('/', '_')}",
        version=f"skillver_{n}",
        content_hash="sha256:" + "0" * 64,
        name=folder.rpartition("/")[2],
        published_at="2026-12-01T21:00:00Z",
        files={"scripts/z.py": "b" * 64, "SKILL.md": "a" * 64},
    )


def test_missing_is_empty(tmp_path: Path) -> None:
    lock = LockFile.load(tmp_path)
    assert lock.entries == {}
    assert lock.path == tmp_path / LOCK_NAME
    assert not lock.path.exists()  # loading writes nothing


def test_round_trip_and_format(tmp_path: Path) -> None:
    lock = LockFile(tmp_path / LOCK_NAME, {"b/pdf": entry("b/pdf"), "a": entry("a")})
    lock.save()
    raw = lock.path.read_bytes()
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    data = json.loads(raw)
    assert data["lock_version"] == 1
    assert list(data["skills"]) == ["a", "b/pdf"]  # sorted
    assert list(data["skills"]["a"]) == sorted(data["skills"]["a"])
    assert list(data["skills"]["a"]["files"]) == ["SKILL.md", "scripts/z.py"]
    assert raw.startswith(b'{\n  "lock_version": 1,\n')  # two-space indent
    assert LockFile.load(tmp_path).entries == lock.entries


def test_same_content_same_bytes_whatever_the_order(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    LockFile(one / LOCK_NAME, {"x": entry("x"), "y": entry("y", 2)}).save()
    later = LockFile(two / LOCK_NAME, {"y": entry("y", 2)})
    later.entries["x"] = entry("x")
    later.save()
    assert (one / LOCK_NAME).read_bytes() == (two / LOCK_NAME).read_bytes()
    LockFile.load(one).save()  # read and written again: not a byte moves
    assert (one / LOCK_NAME).read_bytes() == (two / LOCK_NAME).read_bytes()


def test_unicode_is_written_as_is(tmp_path: Path) -> None:
    e = entry("docs")
    e.files = {"réf/ü.md": "c" * 64}
    LockFile(tmp_path / LOCK_NAME, {"docs": e}).save()
    assert "réf/ü.md".encode() in (tmp_path / LOCK_NAME).read_bytes()
    assert LockFile.load(tmp_path).entries["docs"].files == {"réf/ü.md": "c" * 64}


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = LockFile(tmp_path / LOCK_NAME, {"a": entry("a")})
    lock.save()
    before = lock.path.read_bytes()
    lock.entries["b"] = entry("b")

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        lock.save()
    monkeypatch.undo()
    assert lock.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME]


def test_the_written_file_is_readable_by_others(tmp_path: Path) -> None:
    LockFile(tmp_path / LOCK_NAME, {"a": entry("a")}).save()
    assert (tmp_path / LOCK_NAME).stat().st_mode & 0o044 == 0o044  # not mkstemp's 0600: it is meant for git


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "is not a JSON object"),
        ('{"skills": {}}', "has no lock_version 1"),
        ('{"lock_version": 1, "skills": []}', "`skills`"),
        ('{"lock_version": 1, "skills": {"a": {"skill_id": "s"}}}', "without a `version` string"),
        ('{"lock_version": 1, "skills": {"../a": {}}}', "folder"),
        ('{"lock_version": 1, "skills": {"/abs": {}}}', "folder"),
    ],
)
def test_malformed_names_the_file_and_the_fix(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / LOCK_NAME).write_text(text)
    with pytest.raises(SkillsMcpError) as caught:
        LockFile.load(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / LOCK_NAME) in message
    assert says in message
    assert "git checkout" in message
    assert (tmp_path / LOCK_NAME).read_text() == text  # never rewritten


def test_bad_file_hashes_are_refused(tmp_path: Path) -> None:
    data = json.loads(json.dumps({"lock_version": 1, "skills": {"a": {**entry("a").__dict__}}}))
    del data["skills"]["a"]["folder"]
    data["skills"]["a"]["files"] = {"SKILL.md": "not-hex"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(data))
    with pytest.raises(SkillsMcpError, match="SHA-256"):
        LockFile.load(tmp_path)


def test_a_newer_lock_version_asks_for_an_upgrade(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text('{"lock_version": 2, "skills": {}}')
    with pytest.raises(SkillsMcpError, match="Upgrade"):
        LockFile.load(tmp_path)


def test_utc_now_is_iso_8601_utc() -> None:
    now = utc_now()
    assert len(now) == 20 and now[10] == "T" and now.endswith("Z")
