"""rollback_skill and `skills-mcp rollback`: an earlier version's files, published again as the newest (issue 15 §4)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Emulator, McpSession, Mode, write_skill
from test_cli import against, cli

FILES = {"scripts/fill.py": "print('v1')\n", "assets/logo.png": bytes(range(256)) * 8}


def text(result: object) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)  # type: ignore[attr-defined]


def ok(result: object) -> dict[str, object]:
    assert not result.is_error, text(result)  # type: ignore[attr-defined]
    data = result.structured_content  # type: ignore[attr-defined]
    assert isinstance(data, dict)
    return data


def two_versions(mcp: McpSession, workdir: Path) -> tuple[dict[str, object], dict[str, object]]:
    """v1, then v2 with one file changed, one added and one removed."""
    folder = write_skill(workdir, files=FILES)
    first = ok(mcp.call("publish_skill", {"path": str(folder)}))
    (folder / "scripts/fill.py").write_text("print('v2, broken')\n")
    (folder / "assets/logo.png").unlink()
    (folder / "NOTES.md").write_text("new in v2\n")
    second = ok(mcp.call("publish_skill", {"path": str(folder)}))
    assert second["action"] == "created_version"
    return first, second


def stored_files(api: Emulator, skill_id: str, version_id: str) -> dict[str, bytes]:
    version = next(v for v in api.state.store.skills[skill_id].versions if v.id == version_id)
    return dict(version.files)


def test_rollback_publishes_the_old_files_as_the_newest(api: Emulator, mode: Mode, workdir: Path) -> None:
    first, second = two_versions(mode.mcp, workdir)
    skill_id = str(first["skill"]["id"])  # type: ignore[index]
    old = mode.ref(first["version"])  # type: ignore[arg-type]

    result = mode.mcp.call("rollback_skill", {"skill_id": skill_id, "version": old})

    rolled = ok(result)
    assert rolled["rolled_back_to"] == old and rolled["skill_id"] == skill_id
    new = rolled["version"]
    assert isinstance(new, dict) and mode.ref(new) not in (old, mode.ref(second["version"]))  # type: ignore[arg-type]
    versions = api.state.store.skills[skill_id].versions
    assert len(versions) == 3 and versions[-1].id == new["id"]  # the newest now
    assert stored_files(api, skill_id, new["id"]) == stored_files(api, skill_id, first["version"]["id"])  # type: ignore[index]
    assert stored_files(api, skill_id, new["id"])["scripts/fill.py"] == b"print('v1')\n"
    summary = text(result)
    assert old in summary and mode.ref(new) in summary


def test_the_rolled_back_skill_then_publishes_unchanged_from_the_old_folder(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    first, _second = two_versions(mcp, workdir)
    skill_id = str(first["skill"]["id"])  # type: ignore[index]
    ok(mcp.call("rollback_skill", {"skill_id": skill_id, "version": first["version"]["id"]}))  # type: ignore[index]
    again = write_skill(workdir / "again", files=FILES)
    assert ok(mcp.call("publish_skill", {"path": str(again)}))["action"] == "unchanged"


def test_an_unknown_version_is_a_clear_error_and_nothing_is_uploaded(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    first, _second = two_versions(mcp, workdir)
    skill_id = str(first["skill"]["id"])  # type: ignore[index]
    uploads = api.upload_count()

    result = mcp.call("rollback_skill", {"skill_id": skill_id, "version": "skillver_01NoSuchVersionAtAll00000"})

    assert result.is_error
    message = text(result)
    assert "Nothing was uploaded" in message and "skillver_01NoSuchVersionAtAll00000" in message
    assert "list_skill_versions" in message
    assert api.upload_count() == uploads


def test_bad_arguments_are_refused_before_any_request(api: Emulator, mode: Mode) -> None:
    wrong_form = "skillver_01AbCdEfGhIjKlMnOpQrStUv" if mode.beta else "1759178010641129"
    for version in ("latest", "../x", wrong_form):
        result = mode.mcp.call("rollback_skill", {"skill_id": "skill_01AbCdEfGhIjKlMnOpQrStUv", "version": version})
        assert result.is_error and "Nothing was uploaded" in text(result), version
    assert api.state.requests == []


def test_the_newest_version_is_not_rolled_back_to(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    _first, second = two_versions(mcp, workdir)
    skill_id = str(second["skill"]["id"])  # type: ignore[index]
    uploads = api.upload_count()
    result = mcp.call("rollback_skill", {"skill_id": skill_id, "version": second["version"]["id"]})  # type: ignore[index]
    assert result.is_error and "already the newest" in text(result)
    assert api.upload_count() == uploads


def test_the_tool_is_listed_as_a_write(mcp: McpSession) -> None:
    tool = mcp.tools()["rollback_skill"]
    assert tool.input_schema["required"] == ["skill_id", "version"]
    assert tool.annotations is not None and tool.annotations.read_only_hint is False
    assert tool.annotations.destructive_hint is False
    assert tool.output_schema is not None and {"rolled_back_to", "version"} <= set(tool.output_schema["properties"])


def test_cli_rollback(api: Emulator, tmp_path: Path) -> None:
    env = against(api)
    folder = write_skill(tmp_path, files=FILES)
    first = json.loads(cli("publish", str(folder), "--json", env=env).stdout)
    (folder / "scripts/fill.py").write_text("print('v2')\n")
    cli("publish", str(folder), env=env)
    skill_id, old = first["skill"]["id"], first["version"]["id"]

    done = cli("rollback", skill_id, old, env=env)
    assert done.returncode == 0, done.stderr
    assert f"back to version {old}" in done.stdout
    as_json = cli("rollback", skill_id, old, "--json", env=env)  # old is not the newest: its copy is
    assert as_json.returncode == 0, as_json.stderr
    rolled = json.loads(as_json.stdout)
    assert rolled["rolled_back_to"] == old
    assert stored_files(api, skill_id, rolled["version"]["id"]) == stored_files(api, skill_id, old)

    uploads = api.upload_count()
    missing = cli("rollback", skill_id, "skillver_01NoSuchVersionAtAll00000", env=env)
    assert missing.returncode == 1 and "Nothing was uploaded" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert api.upload_count() == uploads


def test_files_an_upload_leaves_out_are_named_in_warnings(api: Emulator, mcp: McpSession) -> None:
    """A version made by another tool may hold what this one never uploads (a .env): it is said, not hidden."""
    skill_md = b"---\nname: odd-skill\ndescription: Odd. Use in tests.\n---\n# Odd\n"
    skill = api.state.store.create_skill(
        [("odd-skill/SKILL.md", skill_md), ("odd-skill/.env", b"TOKEN=1\n")], None, unique_title=False
    )
    old = skill.versions[-1].id
    api.state.store.create_version(skill.id, [("odd-skill/SKILL.md", skill_md + b"v2\n")])

    rolled = ok(mcp.call("rollback_skill", {"skill_id": skill.id, "version": old}))

    warnings = rolled["warnings"]
    assert isinstance(warnings, list) and len(warnings) == 1 and ".env" in warnings[0]
    assert stored_files(api, skill.id, rolled["version"]["id"]) == {"SKILL.md": skill_md}  # type: ignore[index]
