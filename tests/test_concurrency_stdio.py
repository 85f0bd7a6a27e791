"""Many tool calls at once on one stdio session: each gets its own answer, and the API holds what was asked.

The calls are started together in the session's event loop (its blocking portal), so they are in flight
in the one server process at the same time. Nothing here measures time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import Emulator, McpSession, server_env, write_skill
from mcp.types import CallToolResult
from starlette.types import ASGIApp, Receive, Scope, Send

from skills_mcp.emulator import EmulatorState, create_app, serve_in_thread

Calls = dict[str, tuple[str, dict[str, Any]]]


def call_all_at_once(session: McpSession, calls: Calls) -> dict[str, CallToolResult]:
    """Start every call before any answer is read; the results by label."""
    results: dict[str, CallToolResult] = {}

    async def one(label: str, tool: str, arguments: dict[str, Any]) -> None:
        results[label] = await session.client.call_tool(tool, arguments)

    async def run() -> None:
        async with anyio.create_task_group() as tg:
            for label, (tool, arguments) in calls.items():
                tg.start_soon(one, label, tool, arguments)

    session.portal.call(run)
    assert set(results) == set(calls)
    return results


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, text(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


def versions_by_name(state: EmulatorState) -> list[tuple[str, int]]:
    """(skill name, how many versions) for every skill, so two skills of one name both show."""
    return sorted((s.name, len(s.versions)) for s in state.store.skills.values())


def test_sixteen_calls_at_once_each_get_their_own_answer(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    known = ok(mcp.call("publish_skill", {"path": str(write_skill(workdir, "known-skill"))}))
    known_id = known["skill"]["id"]
    folders = {i: write_skill(workdir, f"skill-{i}", files={"data.txt": f"skill {i}\n" * (i + 1)}) for i in range(8)}
    (workdir / "empty").mkdir()
    uploads_before = api.upload_count()

    calls: Calls = {f"publish {i}": ("publish_skill", {"path": str(folder)}) for i, folder in folders.items()}
    calls |= {
        "publish known by name": ("publish_skill", {"path": str(workdir / "known-skill"), "force": True}),
        "validate": ("validate_skill", {"path": str(folders[3])}),
        "list": ("list_skills", {"source": "custom", "limit": 100}),
        "get known": ("get_skill", {"skill_id": known_id}),
        "bad: outside": ("publish_skill", {"path": "/etc"}),
        "bad: no SKILL.md": ("publish_skill", {"path": str(workdir / "empty")}),
        "bad: skill id": ("get_skill", {"skill_id": "../skills"}),
        "bad: limit": ("list_skills", {"limit": 0}),
    }
    assert len(calls) == 16

    results = call_all_at_once(mcp, calls)

    for i in range(8):
        published = ok(results[f"publish {i}"])
        assert published["action"] == "created_skill"
        assert published["version"]["name"] == f"skill-{i}"  # its own folder, not a neighbour's
        stored = api.state.store.skills[published["skill"]["id"]]
        assert stored.versions[0].files["data.txt"] == f"skill {i}\n".encode() * (i + 1)
    again = ok(results["publish known by name"])
    assert again["action"] == "created_version" and again["skill"]["id"] == known_id
    report = ok(results["validate"])
    assert report["ok"] is True and report["name"] == "skill-3"
    listed = {s["id"] for s in ok(results["list"])["data"]}
    assert known_id in listed  # the others may or may not have landed yet when it was answered
    assert ok(results["get known"])["id"] == known_id

    assert "/etc is outside the folders" in text(results["bad: outside"])
    assert "SKILL.md: is missing" in text(results["bad: no SKILL.md"])
    assert "skill_id: '../skills' contains '/' or '..'" in text(results["bad: skill id"])
    assert "\nlimit\n" in text(results["bad: limit"])
    assert all(results[label].is_error for label in calls if label.startswith("bad: "))

    # One new version per successful publish, none for the refused ones.
    assert versions_by_name(api.state) == [("known-skill", 2), *[(f"skill-{i}", 1) for i in range(8)]]
    assert api.upload_count() - uploads_before == 9

    # And the session still answers a plain call afterwards.
    after = ok(mcp.call("list_skills", {"source": "custom", "limit": 100}))
    assert len(after["data"]) == 9


def test_the_same_skill_published_eight_times_at_once(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    """With skill_id given there is no find-by-name race: every publish adds one version to the one skill."""
    folder = write_skill(workdir)
    skill_id = ok(mcp.call("create_skill", {"path": str(folder)}))["skill"]["id"]

    results = call_all_at_once(
        mcp, {f"p{i}": ("publish_skill", {"path": str(folder), "skill_id": skill_id, "force": True}) for i in range(8)}
    )

    versions = {ok(r)["version"]["id"] for r in results.values()}
    assert len(versions) == 8  # eight different versions, one per call
    assert all(ok(r)["action"] == "created_version" for r in results.values())
    assert list(api.state.store.skills) == [skill_id]
    stored = api.state.store.skills[skill_id].versions
    assert len(stored) == 9 and {v.id for v in stored[1:]} == versions  # the first, then one per call


# --- a slow API: every request waits before it is handled -----------------------------------------------------


class SlowAPI:
    """The emulator behind a fixed delay per request, counting how many are in flight at once.

    faults.py has no "wait, then answer normally" kind (a respond fault needs its own status, truncate and
    the drops break the connection), so the delay is an ASGI wrapper around the real emulator app.
    """

    def __init__(self, app: ASGIApp, delay: float) -> None:
        self.app = app
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1  # one event loop in the emulator thread: no lock needed
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


@pytest.fixture
def slow_api(tmp_path: Path) -> Iterator[tuple[Emulator, SlowAPI, McpSession, Path]]:
    state = EmulatorState()
    slow = SlowAPI(create_app(state), delay=0.2)
    allowed = tmp_path / "skills"
    allowed.mkdir()
    with serve_in_thread(slow) as url:
        emulator = Emulator(url, state)
        session = McpSession(["--allow-dir", str(allowed)], server_env(emulator), tmp_path / "server-stderr.log")
        try:
            yield emulator, slow, session, allowed
        finally:
            session.close()


def test_eight_publishes_at_once_against_a_slow_api(slow_api: tuple[Emulator, SlowAPI, McpSession, Path]) -> None:
    emulator, slow, session, allowed = slow_api
    folders = [write_skill(allowed, f"slow-{i}") for i in range(8)]

    results = call_all_at_once(
        session, {f"publish {i}": ("publish_skill", {"path": str(f)}) for i, f in enumerate(folders)}
    )

    for i in range(8):
        published = ok(results[f"publish {i}"])
        assert published["action"] == "created_skill" and published["version"]["name"] == f"slow-{i}"
    assert versions_by_name(emulator.state) == [(f"slow-{i}", 1) for i in range(8)]
    assert len(emulator.state.uploads()) == 8  # no retries, no duplicates
    assert slow.most_in_flight > 1  # the calls overlapped at the API: the server did not take them one by one
    assert slow.in_flight == 0


def test_one_new_folder_published_four_times_at_once_makes_one_skill(
    slow_api: tuple[Emulator, SlowAPI, McpSession, Path],
) -> None:
    emulator, _slow, session, allowed = slow_api
    folder = write_skill(allowed, "racy-skill")

    results = call_all_at_once(
        session, {f"p{i}": ("publish_skill", {"path": str(folder), "force": True}) for i in range(4)}
    )

    actions = sorted(ok(r)["action"] for r in results.values())
    assert actions == ["created_skill", "created_version", "created_version", "created_version"]
    assert len(emulator.state.store.skills) == 1
