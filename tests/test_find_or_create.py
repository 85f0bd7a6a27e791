"""Find-or-create converges on one skill per name, whatever process made the racing creates.

Several writers may each find no skill of a name and create one. Every one of them then lists the
skills of that name: the oldest (by created_at, then id) wins, and a writer whose skill lost moves its
version onto the winner and deletes its own. A later finder that meets several fresh ones waits for
that to finish; skills of one name made on purpose are refused with a list to choose from.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Emulator, McpSession, server_command, write_skill
from mcp.types import CallToolResult
from skill_factory import skill_md_text

from skills_mcp.api.models import Skill
from skills_mcp.emulator import EmulatorState, Fault
from skills_mcp.workflows.same_name import maybe_racing, oldest_first

WRITERS = 6


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def skill_files(name: str, note: str = "") -> list[tuple[str, bytes]]:
    return [(f"{name}/SKILL.md", skill_md_text(name, body=f"# {name}\n{note}\n").encode())]


def run_at_once(tmp_path: Path, label: str, command: list[str], count: int) -> list[tuple[int, str, str]]:
    """Start `count` copies of the installed console script together; (exit code, stdout, stderr) of each."""
    return run_together(tmp_path, label, [command] * count)


def run_together(
    tmp_path: Path, label: str, commands: list[list[str]], env: dict[str, str] | None = None
) -> list[tuple[int, str, str]]:
    """Start the installed console script once per command, all together; (exit code, stdout, stderr) of each."""
    env = env or {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    barrier = ["sh", "-c", 'read go && exec "$@"', "writer"]  # each shell waits on stdin, then becomes the script
    logs = [(tmp_path / f"{label}-{i}.out", tmp_path / f"{label}-{i}.err") for i in range(len(commands))]
    writers = []
    for (out, err), command in zip(logs, commands, strict=True):
        with out.open("w") as stdout, err.open("w") as stderr:
            writers.append(
                subprocess.Popen(
                    [*barrier, server_command(), *command], stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, env=env
                )
            )
    for writer in writers:  # release them all
        assert writer.stdin is not None
        writer.stdin.write(b"go\n")
        writer.stdin.close()
    codes = [writer.wait(timeout=600) for writer in writers]  # a safety net only
    return [(code, out.read_text(), err.read_text()) for code, (out, err) in zip(codes, logs, strict=True)]


def test_six_processes_publishing_one_new_folder_at_once_leave_one_skill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for round_ in range(3):
        name = f"racy-{round_}"
        folder = write_skill(tmp_path / f"round-{round_}", name)

        outcomes = run_at_once(
            tmp_path, name, ["--local", "--data-dir", str(data), "publish", str(folder), "--json", "--force"], WRITERS
        )

        for code, _out, err in outcomes:
            assert code == 0, err
        results = [json.loads(out) for _code, out, _err in outcomes]
        left = [s for s in EmulatorState(data_dir=data).store.skills.values() if s.name == name]
        assert len(left) == 1, f"round {round_}: {len(left)} skills named {name}"
        survivor = left[0]
        assert {r["skill"]["id"] for r in results} == {survivor.id}  # every writer reports the winner
        # Each writer's version is on the survivor, and nothing else is.
        assert sorted(r["version"]["id"] for r in results) == sorted(v.id for v in survivor.versions)
        assert len(survivor.versions) == WRITERS


def test_creates_of_one_name_at_once_leave_one_skill_and_refuse_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = write_skill(tmp_path / "src", "made-once")

    outcomes = run_at_once(tmp_path, "create", ["--local", "--data-dir", str(data), "create", str(folder)], 4)

    made = [out for code, out, _err in outcomes if code == 0]
    refused = [err for code, _out, err in outcomes if code == 1]
    assert len(made) == 1 and len(refused) == 3, outcomes
    [skill] = EmulatorState(data_dir=data).store.skills.values()
    assert skill.id in made[0] and len(skill.versions) == 1
    assert all(skill.id in err and "`skills-mcp publish`" in err for err in refused)  # the CLI's words


def test_a_finder_meeting_a_race_in_progress_waits_for_it_and_adds_to_the_oldest(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    """Two fresh skills of one name, the younger one about to be removed by its writer: the finder
    must neither refuse nor pick the younger one."""
    oldest = api.state.store.create_skill(skill_files("pdf-tools", "first"), None, unique_title=False)
    loser = api.state.store.create_skill(skill_files("pdf-tools", "second"), None, unique_title=False)
    folder = write_skill(workdir)
    results: list[CallToolResult] = []
    finder = threading.Thread(target=lambda: results.append(mcp.call("publish_skill", {"path": str(folder)})))
    finder.start()

    # The racing writer finishes its move once the finder is watching its skill.
    watched = f"/v1/skills/{loser.id}"
    give_up = time.monotonic() + 60  # a safety net only; the condition is what we wait for
    while not any(r.method == "GET" and r.path == watched for r in list(api.state.requests)):
        assert finder.is_alive() and time.monotonic() < give_up, text(results[0]) if results else "no watch"
        time.sleep(0.01)
    api.state.store.delete_version(loser.id, loser.versions[0].version, by_epoch=True)
    api.state.store.delete_skill(loser.id)
    finder.join(timeout=120)

    assert results and results[0].is_error is False, text(results[0])
    published = results[0].structured_content
    assert published is not None
    assert published["action"] == "created_version" and published["skill"]["id"] == oldest.id
    assert [s.id for s in api.state.store.skills.values()] == [oldest.id]
    assert len(api.state.store.skills[oldest.id].versions) == 2


def test_several_skills_made_on_purpose_are_refused_with_each_listed(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    first = api.state.store.create_skill(skill_files("pdf-tools", "a"), "PDF tools", unique_title=False)
    second = api.state.store.create_skill(skill_files("pdf-tools", "b"), "PDF tools (team B)", unique_title=False)
    first.created_at, second.created_at = "2026-01-05T10:00:00.000000Z", "2026-02-07T11:30:00.000000Z"
    with api.state.store.writing() as db:  # the records are read from the store's database
        for skill in (first, second):
            db.execute("UPDATE skills SET created_at = ? WHERE id = ?", (skill.created_at, skill.id))
    uploads = api.upload_count()

    result = mcp.call("publish_skill", {"path": str(write_skill(workdir))})

    message = text(result)
    assert result.is_error is True
    assert "Nothing was uploaded: 2 skills are named 'pdf-tools'" in message
    for skill, title in ((first, "PDF tools"), (second, "PDF tools (team B)")):
        assert skill.id in message and f"'{title}'" in message
        assert skill.created_at in message and f"newest version {skill.versions[-1].id}" in message
    assert message.index(first.id) < message.index(second.id)  # oldest first
    assert "skill_id" in message and "--skill-id" not in message  # over MCP, tool terms only
    assert api.upload_count() == uploads


def test_the_oldest_wins_then_the_smallest_id() -> None:
    skills = [
        {"id": "skill_b", "created_at": "2026-03-01T10:00:00.5Z"},
        {"id": "skill_c", "created_at": "2026-03-01T10:00:00.25+00:00"},
        {"id": "skill_a", "created_at": "2026-03-01T10:00:00.500000Z"},
        {"id": "skill_0", "created_at": "not a time"},
        {"id": "skill_1"},
    ]
    typed = [Skill.model_validate(s) for s in skills]
    assert [s.id for s in oldest_first(typed)] == ["skill_c", "skill_a", "skill_b", "skill_0", "skill_1"]


def test_only_skills_made_together_moments_ago_may_be_a_race() -> None:
    now = datetime.now(UTC)

    def made(*ages: float) -> list[Skill]:
        times = [(now - timedelta(seconds=age)).isoformat() for age in ages]
        return [Skill(id=f"skill_{i}", created_at=at) for i, at in enumerate(times)]

    assert maybe_racing(made(3, 2, 1))
    assert not maybe_racing(made(3600, 3599))  # made together, but long ago: a choice, not a race
    assert not maybe_racing(made(600, 1))  # one long before the other
    assert not maybe_racing([*made(2, 1), Skill(id="skill_x", created_at="yesterday")])


def test_a_failed_read_while_finding_is_the_api_error_and_nothing_is_sent(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    existing = api.state.store.create_skill(skill_files("pdf-tools"), None, unique_title=False)
    api.state.faults.push(
        Fault(status=500, headers={"x-should-retry": "false"}, method="GET", path_prefix=f"/v1/skills/{existing.id}/")
    )

    result = mcp.call("publish_skill", {"path": str(write_skill(workdir))})

    assert result.is_error is True
    assert "Skills API error 500 api_error: Injected fault" in text(result)
    assert api.upload_count() == 0 and len(api.state.store.skills[existing.id].versions) == 1
