"""The emulator's store behind the app: database calls off the event loop, and faults only where a test armed them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import anyio
import httpx2
import pytest

from skills_mcp.api import local
from skills_mcp.emulator import EmulatorState, create_app
from skills_mcp.emulator.dbfile import DB

HEADERS = {"authorization": "Bearer sk-test", "anthropic-version": "2023-06-01"}
SKILL_MD = b"---\nname: my-skill\ndescription: Does things.\n---\n# Body\n"


@pytest.mark.anyio
async def test_a_call_waiting_on_the_database_does_not_hold_up_another(tmp_path: Path) -> None:
    """Another process holds the write lock: an upload waits for it, in a worker thread, while a list answers.

    Ordered without timing: `wait_all_tasks_blocked` returns once the upload can get no further (its
    database call waiting in its thread). Were that call made on the event loop, the loop would be stuck in
    it until the lock went, so the list could not answer first.
    """
    state = EmulatorState(data_dir=tmp_path, record=False)
    transport = httpx2.ASGITransport(app=create_app(state))
    answers: dict[str, int] = {}
    with closing(sqlite3.connect(tmp_path / DB, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # the other process, midway through a write
        async with (
            httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=HEADERS) as client,
            anyio.create_task_group() as tasks,
        ):

            async def upload() -> None:
                response = await client.post("/v1/skills", files=[("files[]", ("my-skill/SKILL.md", SKILL_MD))])
                answers["upload"] = response.status_code

            tasks.start_soon(upload)
            await anyio.wait_all_tasks_blocked()
            listed = await client.get("/v1/skills")
            answers["list"] = listed.status_code
            assert listed.json()["data"] == [] and "upload" not in answers  # the list answered; the upload waits
            other.execute("COMMIT")
    assert answers == {"list": 200, "upload": 200}
    assert len(state.store.skills) == 1


def test_the_products_emulators_have_no_faults(tmp_path: Path) -> None:
    """Fault injection is a test's control: the product builds its emulators without a fault queue."""
    transport = local.transport(tmp_path / "data")
    app = getattr(getattr(transport, "app", None), "app", None)
    assert app is not None and app.state.emulator.faults is None
    assert EmulatorState().faults is None


def test_the_memory_store_does_not_zero_what_it_deletes() -> None:
    """Deleting a version in memory frees its pages without overwriting them: nothing outlives the process
    to leak, and zeroing 28 MB of blobs was most of a delete's time where SQLite is built with SECURE_DELETE."""
    store = EmulatorState().store
    with store.reading() as db:
        assert db.execute("PRAGMA secure_delete").fetchone()[0] == 0
