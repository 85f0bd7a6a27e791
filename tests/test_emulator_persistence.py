"""The emulator with a data folder: what it answered survives restarts and kills, and processes share it."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.lib import files_from_dir
from conftest import official_sdk

from skills_mcp.emulator import DataDirError, EmulatorError, EmulatorState, create_app, database, serve_in_thread
from skills_mcp.emulator.database import Store
from skills_mcp.emulator.dbfile import DB
from skills_mcp.emulator.store import SkillRecord

BETA = "skills-2025-10-02"
START_TIMEOUT = 20.0

Files = list[tuple[str, bytes]]


def skill_files(name: str = "my-skill", note: str = "", more: dict[str, bytes] | None = None) -> Files:
    md = f"---\nname: {name}\ndescription: Does things. {note}\n---\n# Body\n".encode()
    return [(f"{name}/SKILL.md", md)] + [(f"{name}/{rel}", data) for rel, data in (more or {}).items()]


def write_skill(root: Path, name: str = "my-skill", body: str = "") -> Path:
    folder = root / name
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: Does things.\n---\n# Body\n{body}")
    (folder / "scripts" / "run.py").write_bytes(b"print(1)\n" + body.encode())
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 40)
    return folder


def sdk(url: str) -> anthropic.Anthropic:
    return official_sdk(url)


def leftovers(data: Path) -> list[str]:
    """Rows no version or skill owns: what a write cut short would leave, if a transaction could be cut."""
    with closing(sqlite3.connect(data / DB)) as db:
        orphans = db.execute(
            "SELECT 'file of ' || version_id FROM files WHERE version_id NOT IN (SELECT id FROM versions) UNION ALL "
            "SELECT 'version ' || id FROM versions WHERE skill_id NOT IN (SELECT id FROM skills)"
        ).fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return sorted(row[0] for row in orphans)


# ---- restart: a new emulator on the same folder sees exactly what the old one held -------------------------------


def epoch(version: object) -> str:
    """The beta `version` field, which SDK 2.10's model keeps but does not declare."""
    value = getattr(version, "version", None)
    assert isinstance(value, str)
    return value


def dump(model: anthropic.BaseModel) -> dict[str, Any]:
    return model.model_dump()


def snapshot(client: anthropic.Anthropic) -> dict[str, Any]:
    """Everything the API shows, through the official SDK: skills in order, versions in order, content bytes."""
    skills = client.beta.skills
    out: dict[str, Any] = {"skills": [dump(s) for s in skills.list(limit=100, betas=[BETA]).data]}
    for skill in out["skills"]:
        versions = skills.versions.list(skill["id"], limit=100, betas=[BETA]).data
        skill["versions"] = [dump(v) for v in versions]
        skill["retrieved"] = dump(skills.retrieve(skill["id"], betas=[BETA]))
        skill["zips"] = [
            skills.versions.download(epoch(v), skill_id=skill["id"], betas=[BETA]).read() for v in versions
        ]
    return out


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = EmulatorState(data_dir=data)
    with serve_in_thread(create_app(first)) as url:
        client = sdk(url)
        ids = []
        for i, name in enumerate(["alpha", "beta-skill", "gamma"]):
            folder = write_skill(tmp_path, name, body=f"v1 of {name}")
            title = f"Title {i}" if i != 1 else None
            ids.append(client.beta.skills.create(files=files_from_dir(folder), display_name=title, betas=[BETA]).id)
        for skill_id, name in zip(ids[:2], ["alpha", "beta-skill"], strict=True):
            folder = write_skill(tmp_path, name, body="v2")
            client.beta.skills.versions.create(skill_id, files=files_from_dir(folder), betas=[BETA])
        page = client.beta.skills.list(limit=2, betas=[BETA])
        cursor = page.next_page
        assert cursor is not None
        after_cursor = [s.id for s in client.beta.skills.list(limit=2, page=cursor, betas=[BETA]).data]
        version_page = client.beta.skills.versions.list(ids[0], limit=1, betas=[BETA])
        version_cursor = version_page.next_page
        assert version_cursor is not None
        before = snapshot(client)
    assert [s["id"] for s in before["skills"]] == ids[::-1]  # newest first
    assert after_cursor == [ids[0]]

    second = EmulatorState(data_dir=data)
    assert second.store.skills == first.store.skills  # every field of every record, files included
    assert list(second.store.skills) == list(first.store.skills)
    with serve_in_thread(create_app(second)) as url:
        client = sdk(url)
        assert snapshot(client) == before  # byte-identical zips, same titles, times, order
        assert [s.id for s in client.beta.skills.list(limit=2, page=cursor, betas=[BETA]).data] == after_cursor
        older = client.beta.skills.versions.list(ids[0], limit=1, page=version_cursor, betas=[BETA]).data
        assert [v.id for v in older] == [before["skills"][-1]["versions"][1]["id"]]
        # New things come after the old ones: counters went on from where they were.
        folder = write_skill(tmp_path, "alpha", body="v3")
        newer = client.beta.skills.versions.create(ids[0], files=files_from_dir(folder), betas=[BETA])
        assert int(epoch(newer)) > int(before["skills"][-1]["versions"][0]["version"])
        assert client.beta.skills.versions.list(ids[0], limit=1, betas=[BETA]).data[0].id == newer.id
        with pytest.raises(anthropic.BadRequestError):  # titles stay taken
            client.beta.skills.create(files=files_from_dir(folder), display_name="Title 0", betas=[BETA])


def test_upload_paths_that_are_not_valid_file_names_here_survive(tmp_path: Path) -> None:
    more = {"a.txt": b"lower", "A.txt": b"upper", "x": b"a file", "x/y": b"and a folder", "sp ace/:*?.md": b"odd"}
    files = skill_files(more=more)
    skill = EmulatorState(data_dir=tmp_path).store.create_skill(files, None, unique_title=False)
    again = EmulatorState(data_dir=tmp_path).store.skills[skill.id].versions[0].files
    assert list(again.items()) == [(path.split("/", 1)[1], data) for path, data in files]


def test_uploads_are_read_back_from_the_folder_not_kept_in_memory(tmp_path: Path) -> None:
    state = EmulatorState(data_dir=tmp_path)
    skill = state.store.create_skill(skill_files(more={"big.bin": b"z" * 50_000}), None, unique_title=False)
    version = state.store.create_version(skill.id, skill_files(more={"big.bin": b"w" * 50_000}))
    for stored in (skill.versions[0], version):
        assert isinstance(stored.files, database.StoredFiles)
    assert version.files["big.bin"] == b"w" * 50_000 and skill.versions[0].files["big.bin"] == b"z" * 50_000


def test_reset_empties_the_folder_and_counting_goes_on(tmp_path: Path) -> None:
    state = EmulatorState(data_dir=tmp_path)
    old = state.store.create_skill(skill_files(), "T", unique_title=True)
    state.reset()
    assert state.store.skills == {}
    assert EmulatorState(data_dir=tmp_path).store.skills == {}
    new = state.store.create_skill(skill_files(), "T", unique_title=True)
    assert new.seq > old.versions[0].seq and int(new.versions[0].version) > int(old.versions[0].version)


def test_a_folder_with_other_content_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DataDirError, match="not an emulator data folder"):
        EmulatorState(data_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_without_a_folder_nothing_touches_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    state = EmulatorState()
    assert type(state.store) is Store
    state.store.create_skill(skill_files(), None, unique_title=False)
    assert list(tmp_path.iterdir()) == []


# ---- a real process, killed --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def emulator_process(data: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    code = f"from skills_mcp.emulator.serve import run_emulator; run_emulator(port={port}, data_dir={str(data)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                httpx2.get(url + "/v1/skills", timeout=1)
                break
            except httpx2.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator did not start: {proc.communicate()[1].decode()}") from None
                time.sleep(0.05)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_a_killed_emulator_process_keeps_what_it_answered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = write_skill(tmp_path)
    with emulator_process(data, tmp_path) as (proc, url):
        client = sdk(url)
        skill = client.beta.skills.create(files=files_from_dir(folder), betas=[BETA])
        version = client.beta.skills.versions.create(skill.id, files=files_from_dir(folder), betas=[BETA])
        content = client.beta.skills.versions.download(epoch(version), skill_id=skill.id, betas=[BETA]).read()
        proc.kill()  # SIGKILL on POSIX: no shutdown, no flush
        out, err = proc.communicate()
    assert out == b""
    assert f"Skills API emulator on {url} (data in {data.resolve()})" in err.decode()

    with emulator_process(data, tmp_path) as (proc, url):
        client = sdk(url)
        assert client.beta.skills.versions.retrieve(epoch(version), skill_id=skill.id, betas=[BETA]) == version
        got = client.beta.skills.versions.download(epoch(version), skill_id=skill.id, betas=[BETA]).read()
        assert got == content
        proc.terminate()
        out, err = proc.communicate(timeout=START_TIMEOUT)
    assert out == b""
    if sys.platform != "win32":  # SIGTERM is a clean stop: run_emulator returns
        assert proc.returncode == 0, err.decode()


# ---- crashes midway: no half version, leftovers cleaned ------------------------------------------------------------


def fail_after(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """The step `name` of database.py does its work, then the process "dies" (an exception) before the commit.
    Returns how many rows each call had written, read back inside the transaction."""
    real = getattr(database, name)
    written: list[int] = []

    def step(db: sqlite3.Connection, *args: Any) -> None:
        real(db, *args)
        written.append(db.execute("SELECT count(*) FROM files").fetchone()[0])
        raise OSError("crash")

    monkeypatch.setattr(database, name, step)
    return written


def test_a_crash_before_a_version_is_committed_leaves_nothing(tmp_path: Path) -> None:
    state = EmulatorState(data_dir=tmp_path)
    skill = state.store.create_skill(skill_files(), None, unique_title=False)
    with pytest.MonkeyPatch.context() as patch:
        written = fail_after(patch, "insert_version")
        with pytest.raises(OSError, match="crash"):
            state.store.create_version(skill.id, skill_files(more={"big.bin": b"x" * 100_000}))
    assert written == [3]  # fully written (1 + 2 files), never committed
    assert len(state.store.skills[skill.id].versions) == 1

    again = EmulatorState(data_dir=tmp_path)
    assert len(again.store.skills[skill.id].versions) == 1
    assert leftovers(tmp_path) == []


def test_a_crash_before_a_new_skill_is_committed_leaves_nothing(tmp_path: Path) -> None:
    state = EmulatorState(data_dir=tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        fail_after(patch, "insert_version")
        with pytest.raises(OSError, match="crash"):
            state.store.create_skill(skill_files(), "T", unique_title=True)
    assert state.store.skills == {}
    assert EmulatorState(data_dir=tmp_path).store.skills == {}
    assert leftovers(tmp_path) == []
    state.store.create_skill(skill_files(), "T", unique_title=True)  # the title was never taken


def test_a_crash_midway_through_a_delete_leaves_it_whole(tmp_path: Path) -> None:
    """A delete is one transaction: cut short, the version is all there, its content intact; done, all gone."""
    state = EmulatorState(data_dir=tmp_path)
    skill = state.store.create_skill(skill_files(), None, unique_title=False)
    first = skill.versions[0]
    second = state.store.create_version(skill.id, skill_files(note="2", more={"big.bin": b"b" * 50_000}))
    with pytest.MonkeyPatch.context() as patch:
        written = fail_after(patch, "delete_version_rows")  # its files deleted, then the process died
        with pytest.raises(OSError, match="crash"):
            state.store.delete_version(skill.id, second.version, by_epoch=True)
    assert written == [1]  # only the first version's file was left inside the transaction
    again = EmulatorState(data_dir=tmp_path).store.skills[skill.id]
    assert [v.id for v in again.versions] == [first.id, second.id]
    assert again.versions[1].files["big.bin"] == b"b" * 50_000
    assert leftovers(tmp_path) == []

    state.store.delete_version(skill.id, second.version, by_epoch=True)
    state.store.delete_version(skill.id, first.id, by_epoch=False)
    state.store.delete_skill(skill.id)
    assert EmulatorState(data_dir=tmp_path).store.skills == {}
    assert leftovers(tmp_path) == []


def test_a_process_killed_inside_an_upload_leaves_no_half_version(tmp_path: Path) -> None:
    """The child blocks between writing a version's rows and committing them, holding the write lock; killed
    there. Meanwhile a reader is not kept waiting (WAL), and sees the committed state only."""
    state = EmulatorState(data_dir=tmp_path)
    skill = state.store.create_skill(skill_files(), None, unique_title=False)
    marker = tmp_path.parent / f"{tmp_path.name}-inside"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from skills_mcp.emulator import EmulatorState, database
        state = EmulatorState(data_dir=Path({str(tmp_path)!r}))
        real = database.insert_version
        def insert_version(db, version, files):
            real(db, version, files)
            Path({str(marker)!r}).touch()
            time.sleep(60)
        database.insert_version = insert_version
        files = [("my-skill/SKILL.md", {skill_files()[0][1]!r}), ("my-skill/big.bin", b"y" * 300_000)]
        state.store.create_version({skill.id!r}, files)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the child never reached the commit"
            time.sleep(0.02)
        assert len(state.store.skills[skill.id].versions) == 1  # read while the child holds the write lock
    finally:
        proc.kill()
        proc.wait()

    assert len(state.store.skills[skill.id].versions) == 1  # the lock died with the child: no wait here
    again = EmulatorState(data_dir=tmp_path)
    assert len(again.store.skills[skill.id].versions) == 1
    assert leftovers(tmp_path) == []
    again.store.create_version(skill.id, skill_files(note="after"))
    assert len(state.store.skills[skill.id].versions) == 2


# ---- several processes on one folder ----------------------------------------------------------------------------


def test_two_emulators_on_one_folder_see_each_others_changes(tmp_path: Path) -> None:
    one, two = EmulatorState(data_dir=tmp_path), EmulatorState(data_dir=tmp_path)
    skill = one.store.create_skill(skill_files(), "Shared", unique_title=True)
    seen = two.store.get_skill(skill.id)
    version = two.store.create_version(skill.id, skill_files(note="from two"))
    assert [v.id for v in one.store.list_versions(skill.id, 10, None)[0]] == [version.id, skill.versions[0].id]
    assert one.store.get_skill(skill.id).updated_at == version.created_at
    assert one.store.skills[skill.id].versions[0] is skill.versions[0]  # reloads reuse unchanged versions
    with pytest.raises(EmulatorError, match="already exists"):
        two.store.create_skill(skill_files(), "Shared", unique_title=True)
    held = two.store.get_version(skill.id, version.id, by_epoch=False, allow_latest=False)
    one.store.delete_version(skill.id, version.id, by_epoch=False)
    assert two.store.skills[skill.id].latest == seen.versions[0]
    with pytest.raises(EmulatorError, match="not found") as gone:  # read from disk when asked: deleted by now
        held.files["SKILL.md"]
    assert gone.value.status == 404
    with serve_in_thread(create_app(one)) as url_one, serve_in_thread(create_app(two)) as url_two:
        created = sdk(url_one).beta.skills.create(files=files_from_dir(write_skill(tmp_path / "src")), betas=[BETA])
        assert [s.id for s in sdk(url_two).beta.skills.list(betas=[BETA]).data] == [created.id, skill.id]


def check_all_landed(skill: SkillRecord, expected: int) -> None:
    versions = skill.versions
    assert len(versions) == expected
    assert len({v.id for v in versions}) == len({v.version for v in versions}) == len({v.seq for v in versions})
    assert [v.seq for v in versions] == sorted(v.seq for v in versions)
    assert [v.version for v in versions] == sorted(v.version for v in versions)


def test_concurrent_creates_from_two_threads_all_land(tmp_path: Path) -> None:
    states = [EmulatorState(data_dir=tmp_path), EmulatorState(data_dir=tmp_path)]
    skill = states[0].store.create_skill(skill_files(), None, unique_title=False)
    errors: list[BaseException] = []

    def worker(state: EmulatorState, tag: int) -> None:
        try:
            for i in range(15):
                state.store.create_version(skill.id, skill_files(note=f"{tag}-{i}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, n)) for n, s in enumerate(states * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for state in [*states, EmulatorState(data_dir=tmp_path)]:
        check_all_landed(state.store.skills[skill.id], 1 + 4 * 15)


def test_concurrent_creates_from_two_processes_all_land(tmp_path: Path) -> None:
    skill = EmulatorState(data_dir=tmp_path).store.create_skill(skill_files(), None, unique_title=False)
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from skills_mcp.emulator import EmulatorState
        state = EmulatorState(data_dir=Path({str(tmp_path)!r}))
        for i in range(20):
            md = f"---\\nname: my-skill\\ndescription: {{sys.argv[1]}} {{i}}\\n---\\n"
            state.store.create_version({skill.id!r}, [("my-skill/SKILL.md", md.encode())])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, tag]) for tag in ("a", "b", "c")]
    assert [proc.wait(timeout=60) for proc in procs] == [0, 0, 0]
    stored = EmulatorState(data_dir=tmp_path).store.skills[skill.id]
    check_all_landed(stored, 1 + 3 * 20)
    assert sorted(v.description for v in stored.versions[1:]) == sorted(f"{t} {i}" for t in "abc" for i in range(20))
