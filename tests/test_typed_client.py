"""The client parses every answer once, in its mode: what it returns knows how that mode addresses a version."""

from __future__ import annotations

import anyio
import pytest
from conftest import API_KEY, Emulator

from skills_mcp.api.models import Skill, SkillVersion
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.api.wire import SKILLS_BETA
from skills_mcp.config import Settings
from skills_mcp.workflows.inputs import LIMIT_MAX, LIMIT_MIN, check_limit

SKILL_MD = b"---\nname: typed\ndescription: A skill for typed reads.\n---\nHello.\n"


@pytest.mark.parametrize("beta", [False, True], ids=["ga", "beta"])
def test_every_read_is_typed_and_addresses_versions_in_the_clients_mode(
    beta: bool, api: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    record = api.state.store.create_skill([("typed/SKILL.md", SKILL_MD)], "Typed", unique_title=False)
    newest = api.state.store.skills[record.id].versions[-1]
    expected = newest.version if beta else newest.id

    async def run() -> tuple[Skill, SkillVersion, list[SkillVersion], list[Skill]]:
        client = SkillsAPI(Settings(base_url=api.url, beta=SKILLS_BETA if beta else None))
        try:
            skill = await client.get_skill(record.id)
            latest = await client.get_skill_version(record.id, "latest")
            return skill, latest, (await client.list_skill_versions(record.id)).data, await client.all_skills()
        finally:
            await client.aclose()

    skill, latest, listed, every = anyio.run(run)
    assert isinstance(skill, Skill) and skill.latest == expected and skill.title == "Typed"
    assert isinstance(latest, SkillVersion) and latest.ref == expected and latest.name == "typed"
    assert [v.ref for v in listed] == [expected]
    assert [s.latest for s in every if s.id == record.id] == [expected]


def test_a_page_size_is_checked_by_one_rule() -> None:
    assert check_limit(LIMIT_MIN) == [] and check_limit(LIMIT_MAX) == []
    for bad in (LIMIT_MIN - 1, LIMIT_MAX + 1):
        (problem,) = check_limit(bad)
        assert problem.where == "limit" and str(bad) in problem.message and str(LIMIT_MAX) in problem.fix
