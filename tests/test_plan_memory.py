"""A plan holds little per skill: no folder scan (file list) and no file digests once a skill is compared, so
a sync of many skills does not grow with their files (issue 15 §6: memory whatever the number of skills)."""

from __future__ import annotations

import gc
from pathlib import Path
from types import ModuleType

import anyio
import anyio.lowlevel
import pytest
from conftest import API_KEY, Emulator, write_skill
from test_compare import with_client

from skills_mcp.api.upload import SkillsAPI
from skills_mcp.skill.content_hash import FileDigest
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.parts import SkillFile
from skills_mcp.workflows import pool
from skills_mcp.workflows.plan import Planned, plan
from skills_mcp.workflows.sync import sync


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


def held(planned: Planned) -> list[object]:
    """Everything the plan's works reach (dataclass fields, lists, dicts), as the garbage collector sees it."""
    seen: dict[int, object] = {}
    todo: list[object] = [w for w in planned.works]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, str | bytes | int | float | bool | type(None) | type | ModuleType):
            continue  # a class or module reaches the whole program, not what the plan holds
        seen[id(item)] = item
        todo.extend(gc.get_referents(item))
    return list(seen.values())


def test_after_a_plan_no_skill_holds_its_file_list_or_digests(api: Emulator, tmp_path: Path) -> None:
    root = tmp_path / "skills"
    for i in range(6):
        write_skill(root, f"skill-{i}", files={f"data/{n}.txt": f"{i} {n}\n" for n in range(5)})

    async def work(client: SkillsAPI) -> tuple[Planned, Planned]:
        await sync(client, [tmp_path], str(root))  # creates them, writes the lock file
        (root / "skill-0" / "data" / "0.txt").write_text("changed\n")  # one update, five unchanged
        first = await plan(client, [tmp_path], str(root), detail=False)
        return first, await plan(client, [tmp_path], str(root))

    for planned in with_client(api, work):
        assert sorted(w.row.action for w in planned.works) == ["unchanged"] * 5 + ["update"]
        kinds = {type(o) for o in held(planned)}
        assert len(kinds) < 100, kinds  # the walk stayed within the plan
        assert not kinds & {Package, SkillFile, FileDigest}, kinds


def test_the_pool_works_every_item_once_with_a_fixed_number_of_workers() -> None:
    done: list[int] = []
    running = most = 0

    async def work(item: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await anyio.lowlevel.checkpoint()  # let the other workers run
        done.append(item)
        running -= 1

    anyio.run(pool.each, range(20), 3, work)

    assert sorted(done) == list(range(20)) and most == 3
