"""Two `skills-mcp sync` runs at the same moment (two CI jobs, two checkouts) leave one skill per name.

Both plans find no skill of a name and both create one; each create then settles, as publish_skill's
find-or-create does (issue 10): the oldest skill of the name wins, the other's version moves onto it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import Emulator, server_env, write_skill
from starlette.types import ASGIApp, Receive, Scope, Send
from test_find_or_create import run_together

from skills_mcp.emulator import EmulatorState, create_app, serve_in_thread

NAMES = ("alpha", "beta", "gamma")
RUNS = 2


class PlansTogether:
    """The emulator, holding each run's first listing (its plan's) until every run has sent one: then every
    plan surely finds no skill of these names, and every run creates each one. No timing involved."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.listings = 0
        self.all_planning = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == ("GET", "/v1/skills"):
            self.listings += 1  # one event loop in the emulator thread: no lock needed
            if self.listings <= RUNS:
                if self.listings == RUNS:
                    self.all_planning.set()
                await self.all_planning.wait()
        await self.app(scope, receive, send)


def test_two_syncs_at_once_create_one_skill_per_name_and_both_pin_it(tmp_path: Path) -> None:
    state = EmulatorState()
    checkouts = [tmp_path / "a", tmp_path / "b"]
    for checkout in checkouts:
        for name in NAMES:
            write_skill(checkout, name)

    with serve_in_thread(PlansTogether(create_app(state))) as url:
        env = server_env(Emulator(url, state))
        outcomes = run_together(tmp_path, "sync", [["sync", str(c), "--json"] for c in checkouts], env)

    for code, _out, err in outcomes:
        assert code == 0, err
    skills = list(state.store.skills.values())
    assert sorted(s.name for s in skills) == sorted(NAMES)  # one skill per name: the younger ones were removed
    survivors = {s.name: s.id for s in skills}
    assert all(len(s.versions) == RUNS for s in skills)  # each run's version, moved onto the survivor
    for (_code, out, _err), checkout in zip(outcomes, checkouts, strict=True):
        reported = {row["name"]: row["skill_id"] for row in json.loads(out)["skills"]}
        assert reported == survivors  # each run reports, and its lock file pins, the surviving skill
        lock = json.loads((checkout / "skills.lock.json").read_text(encoding="utf-8"))
        assert {e["name"]: e["skill_id"] for e in lock["skills"].values()} == survivors
