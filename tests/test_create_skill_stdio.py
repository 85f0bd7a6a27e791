"""create_skill: a landed create is never reported as a failure, and a second skill of a name is made
only on purpose (allow_duplicate / --allow-duplicate)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import API_KEY, Emulator, McpSession, server_command, write_skill
from mcp.types import CallToolResult

from skills_mcp.emulator import Fault


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


@pytest.mark.parametrize("tool", ["create_skill", "publish_skill"])
def test_a_failed_read_after_the_create_still_returns_the_skill(
    tool: str, api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    folder = write_skill(workdir)
    # Every read of a skill's versions fails after the create, and says not to retry.
    api.state.faults.push(
        Fault(status=500, headers={"x-should-retry": "false"}, method="GET", path_prefix="/v1/skills/skill_", times=50)
    )

    result = mcp.call(tool, {"path": str(folder)})
    api.state.faults.clear()

    assert result.is_error is False, text(result)
    made = result.structured_content
    assert made is not None and made["action"] == "created_skill"
    [skill] = api.state.store.skills.values()
    assert made["skill"]["id"] == skill.id and made["skill"]["latest_version_id"] == skill.versions[0].id
    assert "version" not in made  # not read, so not shown
    assert any("could not be read" in w and "get_skill_version" in w for w in made["warnings"])
    summary = result.content[0].text  # type: ignore[union-attr]
    assert f"Created skill {skill.id}" in summary and "could not be read" in summary
    assert api.upload_count() == 1


def test_create_refuses_a_name_that_exists_unless_asked(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    first = mcp.call("create_skill", {"path": str(folder)})
    assert first.is_error is False, text(first)
    first_id = first.structured_content["skill"]["id"]  # type: ignore[index]

    refused = mcp.call("create_skill", {"path": str(folder), "display_name": "PDF tools again"})

    assert refused.is_error is True
    message = text(refused)
    assert "Nothing was uploaded" in message and first_id in message
    assert "publish_skill" in message and "allow_duplicate" in message
    assert api.upload_count() == 1 and len(api.state.store.skills) == 1

    again = {"path": str(folder), "display_name": "PDF tools again", "allow_duplicate": True}
    second = mcp.call("create_skill", again)

    assert second.is_error is False, text(second)
    assert second.structured_content["skill"]["id"] != first_id  # type: ignore[index]
    assert len(api.state.store.skills) == 2


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    return subprocess.run([server_command(), *args], capture_output=True, text=True, env={**base, **env}, timeout=120)


def test_cli_create_and_the_choice_between_skills_of_one_name(api: Emulator, tmp_path: Path) -> None:
    folder = str(write_skill(tmp_path))
    env = {"ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": API_KEY}

    made = cli("create", folder, "--display-name", "PDF tools", "--json", env=env)
    again = cli("create", folder, env=env)
    duplicate = cli("create", folder, "--allow-duplicate", "--display-name", "PDF tools 2", env=env)
    publish = cli("publish", folder, "--timeout", "12", env=env)  # waits a quarter of it for a race to settle

    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)
    assert first["action"] == "created_skill" and first["skill"]["display_name"] == "PDF tools"
    assert again.returncode == 1 and first["skill"]["id"] in again.stderr and "--allow-duplicate" in again.stderr
    assert duplicate.returncode == 0, duplicate.stderr
    assert duplicate.stdout.startswith("Created skill ")
    assert publish.returncode == 1
    assert "2 skills are named 'pdf-tools'" in publish.stderr and "--skill-id" in publish.stderr
    assert "'PDF tools'" in publish.stderr and "'PDF tools 2'" in publish.stderr
    assert len(api.state.store.skills) == 2 and api.upload_count() == 2


def test_create_skill_states_its_choice_in_the_schema(mcp: McpSession) -> None:
    tool = mcp.tools()["create_skill"]
    prop = tool.input_schema["properties"]["allow_duplicate"]
    assert prop["type"] == "boolean" and prop["default"] is False
    assert "publish_skill" in (tool.description or "")


def test_the_server_reports_a_warning_field_in_its_output_schema(mcp: McpSession) -> None:
    schema = mcp.tools()["publish_skill"].output_schema
    assert schema is not None and "warnings" in schema["properties"]
    assert "version" not in schema.get("required", [])


def test_cli_says_how_to_read_a_landed_skill_in_its_own_words(api: Emulator, tmp_path: Path) -> None:
    """The warning of a create whose version could not be read back names the command to type, not the tool."""
    folder = str(write_skill(tmp_path))
    env = {"ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": API_KEY}
    api.state.faults.push(
        Fault(status=500, headers={"x-should-retry": "false"}, method="GET", path_prefix="/v1/skills/skill_", times=50)
    )

    made = cli("create", folder, "--json", env=env)
    api.state.faults.clear()

    assert made.returncode == 0, made.stderr
    [skill] = api.state.store.skills.values()
    warnings = json.loads(made.stdout)["warnings"]
    assert any(f"`skills-mcp get {skill.id} {skill.versions[0].id}`" in w for w in warnings), warnings
    for tool_word in ("get_skill_version", "list_skills", "skill_id"):
        assert not any(tool_word in w for w in warnings), warnings
