"""The wire through the real server: versions in the mode's form, the workspace header, a bad base URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from anthropic.lib import files_from_dir
from conftest import SKILLS_BETA, Emulator, McpSession, Mode, official_sdk, server_env, write_skill

from skills_mcp.emulator import Fault

EPOCH = "1759178010641129"
VERSION_ID = "skillver_01JAbcdefghijklmnopqrstuvw"
WORKSPACE = "wrkspc_01TestWorkspace"


def text(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def test_tool_descriptions_speak_of_the_modes_versions(mode: Mode) -> None:
    tools = mode.mcp.tools()
    for name in ("get_skill_version", "download_skill_version", "delete_skill_version"):
        described = tools[name].input_schema["properties"]["version"]["description"]
        if mode.beta:
            assert "epoch `version` string" in described and "(skillver_...) are refused" in described, name
        else:
            assert "version id (`id`, e.g. skillver_01...)" in described and "are refused" in described, name
        assert ("'latest'" in described) is (name != "delete_skill_version"), name
    for name in ("publish_skill", "create_skill_version", "list_skill_versions", "get_skill"):
        note = "addressed by their epoch `version` string" if mode.beta else "addressed by their id (`id`"
        assert note in (tools[name].description or ""), name
    assert "skillver" not in (tools["list_skills"].description or "")  # only tools that speak of versions


@pytest.mark.parametrize("tool", ["get_skill_version", "delete_skill_version", "download_skill_version"])
def test_a_version_of_the_other_modes_form_is_refused_before_any_request(
    tool: str, api: Emulator, mode: Mode, workdir: Path
) -> None:
    wrong = VERSION_ID if mode.beta else EPOCH
    args = {"skill_id": "skill_01x", "version": wrong}
    if tool == "download_skill_version":
        args["destination"] = str(workdir)

    message = text(mode.mcp.call(tool, args))

    assert mode.mcp.results[-1].is_error
    assert f"version: {wrong!r} is " in message
    if mode.beta:
        assert "a version id" in message and "epoch `version` string" in message
        assert "pass the `version` field that list_skill_versions shows" in message and "without --beta" in message
    else:
        assert "an epoch version string" in message and "addresses versions by their id" in message
        assert "pass the `id` field that list_skill_versions shows" in message
        assert f"--beta {SKILLS_BETA}" in message
    assert api.state.requests == []


def test_a_workspace_id_goes_on_every_request_retries_and_checks_included(
    api: Emulator, emulator: Emulator, workdir: Path, tmp_path: Path
) -> None:
    folder = write_skill(workdir)
    session = McpSession(["--allow-dir", str(workdir), "--workspace-id", WORKSPACE], server_env(emulator),
                         tmp_path / "stderr.log")  # fmt: skip
    try:
        # A create whose answer is lost: the "did it land?" check lists, reads and downloads what landed.
        api.state.faults.push(Fault(kind="drop_after_body", method="POST", path_prefix="/v1/skills"))
        made = session.call("publish_skill", {"path": str(folder)})
        assert made.is_error is False, text(made)
        assert made.structured_content is not None
        skill_id = made.structured_content["skill"]["id"]
        # A read answered 503 once, then retried.
        api.state.faults.push(Fault(503, headers={"retry-after-ms": "1"}, method="GET", path_prefix="/v1/skills/"))
        got = session.call("get_skill", {"skill_id": skill_id})
        assert got.is_error is False, text(got)
        listed = session.call("list_skill_versions", {"skill_id": skill_id})
        assert listed.is_error is False, text(listed)
    finally:
        session.close()
    assert api.state.wait_idle()  # every record complete, the dropped create's included
    requests = api.state.requests
    assert [r for r in requests if r.path.endswith("/content")], "the check downloaded the candidate"
    assert [r.status for r in requests if r.path == f"/v1/skills/{skill_id}"] == [503, 200]  # the retry
    assert len(api.state.store.skills) == 1
    assert all(r.headers.get("anthropic-workspace-id") == WORKSPACE for r in requests), [
        (r.method, r.path, r.headers.get("anthropic-workspace-id")) for r in requests
    ]


def test_without_a_workspace_id_none_is_sent(api: Emulator, mcp: McpSession) -> None:
    assert mcp.call("list_skills", {}).is_error is False
    assert api.state.requests and all("anthropic-workspace-id" not in r.headers for r in api.state.requests)


def test_credentials_in_the_base_url_are_a_tool_error_that_hides_them(
    api: Emulator, emulator: Emulator, workdir: Path, tmp_path: Path
) -> None:
    url = emulator.url.replace("http://", "http://someone:hunter2-secret@")
    session = McpSession(["--allow-dir", str(workdir)], {**server_env(emulator), "ANTHROPIC_BASE_URL": url},
                         tmp_path / "stderr.log")  # fmt: skip
    try:
        listed = session.tools()  # it starts, and lists its tools
        result = session.call("list_skills", {})
    finally:
        session.close()
    message = text(result)
    assert "list_skills" in listed and result.is_error
    assert "ANTHROPIC_BASE_URL holds a user name or password" in message and "Remove them" in message
    assert "hunter2" not in message and "someone" not in message
    assert "hunter2" not in (tmp_path / "stderr.log").read_text()
    assert api.state.requests == []


def test_both_modes_read_a_skill_the_official_sdk_made(api: Emulator, mode: Mode, workdir: Path) -> None:
    """The emulator answers each mode in its own shape; our reads follow the shape of the mode."""
    folder = write_skill(workdir)
    skill_id = official_sdk(api.url).skills.create(files=files_from_dir(folder)).id
    listed = mode.mcp.call("list_skill_versions", {"skill_id": skill_id})
    assert listed.is_error is False, text(listed)
    assert listed.structured_content is not None
    [version] = listed.structured_content["data"]
    ref = mode.ref(version)
    assert ref.isdigit() if mode.beta else ref.startswith("skillver_")
    got = mode.mcp.call("get_skill_version", {"skill_id": skill_id, "version": ref})
    assert got.is_error is False and got.structured_content == version
    assert text(got).startswith(f"pdf-tools version {ref} of skill {skill_id}")
