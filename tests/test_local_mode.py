"""Local mode (`--local`): the emulator in this process, answering as it does over HTTP, its folder checked first."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import McpSession, write_skill
from test_cli import cli
from test_publish_stdio import text


def local_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    return {**env, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def local_mcp(tmp_path: Path) -> Iterator[McpSession]:
    session = McpSession(
        ["--local", "--data-dir", str(tmp_path / "data"), "--allow-dir", str(tmp_path)],
        local_env(),
        tmp_path / "stderr.log",
    )
    yield session
    session.close()


def test_a_version_for_an_unknown_skill_is_a_clean_not_found(local_mcp: McpSession, tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "src")
    unknown = "skill_01234567890123456789abcd"

    result = local_mcp.call("create_skill_version", {"skill_id": unknown, "path": str(folder)})
    again = local_mcp.call("create_skill_version", {"skill_id": unknown, "path": str(folder)})  # still serving

    for answer in (result, again):
        assert answer.is_error, text(answer)
        assert f"Skills API error 404 not_found_error: Skill not found: {unknown}" in text(answer)
        assert "Emulator bug" not in text(answer)
    logged = local_mcp.errlog.read_text()
    assert "Traceback" not in logged and "Emulator bug" not in logged


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_a_data_dir_that_cannot_be_a_folder_is_named_with_exit_5(where: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("someone's file\n")
    data = blocker if where == "a file" else blocker / "data"
    folder = write_skill(tmp_path / "src")

    runs = {
        "list": cli("--local", "--data-dir", str(data), "list"),
        "publish": cli("--local", "--data-dir", str(data), "publish", str(folder)),
        "server": cli("--local", "--data-dir", str(data), "--allow-dir", str(tmp_path)),
        "emulator": cli("emulator", "--data-dir", str(data), "--port", "0"),
    }

    for name, run in runs.items():
        assert run.returncode == 5, (name, run.stderr)
        assert str(data) in run.stderr and "--data-dir" in run.stderr, (name, run.stderr)
        assert "Traceback" not in run.stderr and "cannot listen" not in run.stderr, (name, run.stderr)
        assert run.stdout == "", name
    assert blocker.read_text() == "someone's file\n"


def test_a_data_folder_in_the_old_file_layout_is_named_with_what_to_do(tmp_path: Path) -> None:
    """0.x has no migration: the folder the file store left is refused by name, with the way out, untouched."""
    old = tmp_path / "emulator"
    (old / "skills" / "skill_x").mkdir(parents=True)
    (old / "emulator.json").write_text('{"format": 1, "token": "t", "seq": 2, "last_us": 1}')
    before = sorted(p.relative_to(old) for p in old.rglob("*"))

    run = cli("--local", "list", env={"SKILLS_MCP_DATA_DIR": str(old)})

    assert run.returncode == 5, run.stderr
    assert str(old) in run.stderr and "old" not in run.stdout
    assert "file layout of an earlier skills-mcp 0.x" in run.stderr and "no migration" in run.stderr
    assert "Move that folder aside" in run.stderr and "SKILLS_MCP_DATA_DIR" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert sorted(p.relative_to(old) for p in old.rglob("*")) == before  # nothing written there
