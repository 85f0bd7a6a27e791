"""A damaged entry in the data folder: named, answered as that skill's error, never hidden, never written over."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from conftest import McpSession, write_skill
from test_cli import cli
from test_local_mode import local_env
from test_publish_stdio import text

from skills_mcp.emulator import DataDirError, EmulatorState, create_app, persist, serve_in_thread

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


def garble(path: Path) -> None:
    path.write_bytes(b'{"id": "skill_')  # cut short, as a full disk or a bad copy leaves it


def only_version(folder: Path) -> Path:
    (version,) = (folder / persist.VERSIONS).iterdir()
    return version


DAMAGES: dict[str, Callable[[Path], Path]] = {
    "skill.json garbled": lambda f: (garble(f / persist.SKILL_JSON), f / persist.SKILL_JSON)[1],
    "skill.json missing": lambda f: ((f / persist.SKILL_JSON).unlink(), f / persist.SKILL_JSON)[1],
    "skill.json not an object": lambda f: ((f / persist.SKILL_JSON).write_text("[]"), f / persist.SKILL_JSON)[1],
    "version.json garbled": lambda f: (garble(only_version(f) / persist.VERSION_JSON), only_version(f))[1],
    "version.json missing": lambda f: ((only_version(f) / persist.VERSION_JSON).unlink(), only_version(f))[1],
    "versions missing": lambda f: (shutil.rmtree(f / persist.VERSIONS), f / persist.VERSIONS)[1],
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_skill_is_named_and_the_others_stay(damage: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        broken, kept = create(client, "to-break"), create(client, "kept")
    where = DAMAGES[damage](data / persist.SKILLS / broken)

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
    assert (data / persist.SKILLS / broken).is_dir()  # nothing removed or written over


def test_a_repaired_skill_is_back_without_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        broken = create(client, "to-break")
    path = data / persist.SKILLS / broken / persist.SKILL_JSON
    good = path.read_bytes()
    garble(path)
    with emulator_on(data) as client:
        before = client.get(f"/v1/skills/{broken}").status_code
        path.write_bytes(good)
        after = client.get(f"/v1/skills/{broken}").status_code
    assert (before, after) == (500, 200)


def test_a_damaged_head_refuses_the_folder_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    EmulatorState(data_dir=data)
    garble(data / persist.HEAD)
    with pytest.raises(DataDirError, match=str(data / persist.HEAD)):
        EmulatorState(data_dir=data)


def test_publish_by_name_over_a_damaged_skill_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = write_skill(tmp_path / "src", "pdf-tools")
    first = cli("--local", "--data-dir", str(data), "publish", str(folder))
    other = cli("--local", "--data-dir", str(data), "publish", str(write_skill(tmp_path / "src", "other-skill")))
    assert first.returncode == 0 and other.returncode == 0, first.stderr + other.stderr
    (broken,) = [p for p in (data / persist.SKILLS).iterdir() if b"pdf-tools" in (p / persist.SKILL_JSON).read_bytes()]
    garble(broken / persist.SKILL_JSON)  # its name is gone with it

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

    assert len(list((data / persist.SKILLS).iterdir())) == 2  # no second pdf-tools made over it
    assert published.is_error, text(published)
    assert f"Skill {broken.name} is damaged" in text(published) and str(broken / persist.SKILL_JSON) in text(published)
    assert listed.is_error is False and broken.name in text(listed) and "Traceback" not in session.errlog.read_text()


@pytest.mark.parametrize("damage", ["missing", "cut short"])
def test_a_damaged_file_of_a_version_is_named_on_download(damage: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with emulator_on(data) as client:
        skill = create(client, "to-break")
        version = only_version(data / persist.SKILLS / skill)
        blob = version / persist.FILES / "0"
        if damage == "missing":
            blob.unlink()
        else:
            blob.write_bytes(blob.read_bytes()[:5])
        epoch = client.get(f"/v1/skills/{skill}").json()["latest_version"]
        content = client.get(f"/v1/skills/{skill}/versions/{epoch}/content")
        listed = client.get(f"/v1/skills/{skill}/versions")
    assert content.status_code == 500 and content.json()["error"]["type"] == "api_error"
    assert f"Skill version {version.name} is damaged" in content.text and str(blob) in content.text
    assert "Emulator bug" not in content.text
    assert listed.status_code == 200  # the rest of the skill still answers
