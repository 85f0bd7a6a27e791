"""A damaged row in the database: named, answered as that skill's error, never hidden, never written over."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx2
import pytest
from conftest import McpSession, write_skill
from test_cli import cli
from test_local_mode import local_env
from test_publish_stdio import text

from skills_mcp.emulator import DataDirError, EmulatorState, create_app, serve_in_thread
from skills_mcp.emulator.dbfile import DB

BETA = "skills-2025-10-02"
HEADERS = {"authorization": "Bearer sk-test", "anthropic-version": "2023-06-01", "anthropic-beta": BETA}


@contextmanager
def emulator_on(data: Path) -> Iterator[httpx2.Client]:
    with (
        serve_in_thread(create_app(EmulatorState(data_dir=data))) as url,
        httpx2.Client(base_url=url, headers=HEADERS) as client,
    ):
        yield client


def create(client: httpx2.Client, name: str) -> str:
    md = f"---\nname: {name}\ndescription: Does things.\n---\n# Body\n".encode()
    response = client.post("/v1/skills", files=[("files[]", (f"{name}/SKILL.md", md))])
    assert response.status_code == 200, response.text
    skill_id: str = response.json()["id"]
    return skill_id


def sql(data: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    """A hand edit of the database, as a tool or a bad copy might make one."""
    with closing(sqlite3.connect(data / DB)) as db, db:
        return db.execute(statement, args).fetchall()


def only_version(data: Path, skill_id: str) -> str:
    ((version,),) = sql(data, "SELECT id FROM versions WHERE skill_id = ?", skill_id)
    assert isinstance(version, str)
    return version


def damage_row(table: str, column: str, value: object) -> Callable[[Path, str], str]:
    """Put `value` where the emulator wrote something else; returns where the damage is, as it is named."""

    def damage(data: Path, skill_id: str) -> str:
        row = skill_id if table == "skills" else only_version(data, skill_id)
        sql(data, f"UPDATE {table} SET {column} = ? WHERE id = ?", value, row)  # noqa: S608 (the test's own names)
        return f"{data / DB}: table {table}, row {row}, column {column}"

    return damage


DAMAGES: dict[str, Callable[[Path, str], str]] = {
    "skill name not text": damage_row("skills", "name", b"\xff"),
    "skill created_at not text": damage_row("skills", "created_at", b"\x00"),
    "skill seq not a number": damage_row("skills", "seq", "first"),
    "version description not text": damage_row("versions", "description", b"\x00"),
    "version seq not a number": damage_row("versions", "seq", "x"),
    "version file count not a number": damage_row("versions", "files", "many"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_skill_is_named_and_the_others_stay(damage: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        broken, kept = create(client, "to-break"), create(client, "kept")
    where = DAMAGES[damage](data, broken)

    with emulator_on(data) as client:  # a fresh start reads everything from the folder
        listed = client.get("/v1/skills").json()["data"]
        got = client.get(f"/v1/skills/{broken}")
        latest = client.get(f"/v1/skills/{broken}/versions/latest")
        version = client.post(f"/v1/skills/{broken}/versions", files=[("files[]", ("to-break/SKILL.md", b"x"))])
        deleted = client.delete(f"/v1/skills/{broken}")
        fine = client.get(f"/v1/skills/{kept}")

    assert [s["id"] for s in listed] == [kept, broken] or [s["id"] for s in listed] == [broken, kept]
    placeholder = next(s for s in listed if s["id"] == broken)
    assert placeholder["latest_version"] == "damaged"  # not null: a client finding by name looks, and is told
    for answer in (got, latest, version, deleted):
        assert answer.status_code == 500, answer.text
        error = answer.json()["error"]
        assert error["type"] == "api_error"
        assert f"Skill {broken} is damaged" in error["message"] and str(where) in error["message"]
    assert fine.status_code == 200 and fine.json()["latest_version"]
    assert sql(data, "SELECT count(*) FROM skills WHERE id = ?", broken) == [(1,)]  # nothing removed or written over


def test_a_repaired_skill_is_back_without_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        broken = create(client, "to-break")
    ((good,),) = sql(data, "SELECT name FROM skills WHERE id = ?", broken)
    sql(data, "UPDATE skills SET name = ? WHERE id = ?", b"\xff", broken)
    with emulator_on(data) as client:
        before = client.get(f"/v1/skills/{broken}").status_code
        sql(data, "UPDATE skills SET name = ? WHERE id = ?", good, broken)
        after = client.get(f"/v1/skills/{broken}").status_code
    assert (before, after) == (500, 200)


def test_a_damaged_head_refuses_the_folder_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    EmulatorState(data_dir=data)
    for name in (f"{DB}-wal", f"{DB}-shm"):  # as a bad copy of the database alone leaves it
        (data / name).unlink(missing_ok=True)
    (data / DB).write_bytes(b"SQLite format 3\x00" + b"cut short" * 20)
    with pytest.raises(DataDirError, match=str(data / DB)):
        EmulatorState(data_dir=data)


def test_publish_by_name_over_a_damaged_skill_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = write_skill(tmp_path / "src", "pdf-tools")
    first = cli("--local", "--data-dir", str(data), "publish", str(folder))
    other = cli("--local", "--data-dir", str(data), "publish", str(write_skill(tmp_path / "src", "other-skill")))
    assert first.returncode == 0 and other.returncode == 0, first.stderr + other.stderr
    ((broken,),) = sql(data, "SELECT id FROM skills WHERE name = 'pdf-tools'")
    assert isinstance(broken, str)
    where = DAMAGES["skill name not text"](data, broken)  # its name is gone with it

    session = McpSession(
        ["--local", "--data-dir", str(data), "--allow-dir", str(tmp_path), "--max-attempts", "1"],
        local_env(),
        tmp_path / "stderr.log",
    )
    try:
        published = session.call("publish_skill", {"path": str(folder)})
        listed = session.call("list_skills", {})
    finally:
        session.close()

    assert sql(data, "SELECT count(*) FROM skills") == [(2,)]  # no second pdf-tools made over it
    assert published.is_error, text(published)
    assert f"Skill {broken} is damaged" in text(published) and where in text(published)
    assert listed.is_error is False and broken in text(listed) and "Traceback" not in session.errlog.read_text()


@pytest.mark.parametrize("damage", ["missing", "cut short"])
def test_a_damaged_file_of_a_version_is_named_on_download(damage: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        skill = create(client, "to-break")
        version = only_version(data, skill)
        blob = f"{data / DB}: table files, version {version}, file 0"
        if damage == "missing":
            sql(data, "DELETE FROM files WHERE version_id = ?", version)
        else:
            sql(data, "UPDATE files SET data = substr(data, 1, 5) WHERE version_id = ?", version)
        epoch = client.get(f"/v1/skills/{skill}").json()["latest_version"]
        content = client.get(f"/v1/skills/{skill}/versions/{epoch}/content")
        listed = client.get(f"/v1/skills/{skill}/versions")
    assert content.status_code == 500 and content.json()["error"]["type"] == "api_error"
    assert f"Skill version {version} is damaged" in content.text and blob in content.text
    assert "Emulator bug" not in content.text
    assert listed.status_code == 200  # the rest of the skill still answers
