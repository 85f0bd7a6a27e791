"""publish_skill uploads nothing when the skill's newest version already holds the folder's files (issue 15 §1).

Over stdio (the tool) and through the installed CLI, against the emulator; its request record shows what
was sent: no upload for an unchanged folder, and no content download when the description alone differs.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Emulator, McpSession, Mode, write_skill
from test_cli import against, cli

FILES = {"scripts/fill.py": "print('fill')\n", "data/table.csv": "a,b\n1,2\n"}


def text(result: object) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)  # type: ignore[attr-defined]


def versions(api: Emulator) -> int:
    return sum(len(s.versions) for s in api.state.store.skills.values())


def downloads(api: Emulator) -> list[str]:
    return [r.path for r in api.state.requests if r.method == "GET" and r.path.endswith("/content")]


def publish(mcp: McpSession, folder: Path, **args: object) -> dict[str, object]:
    result = mcp.call("publish_skill", {"path": str(folder), **args})
    assert not result.is_error, text(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def test_the_same_folder_again_uploads_nothing(api: Emulator, mode: Mode, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    first = publish(mode.mcp, folder)
    uploads = api.upload_count()

    result = mode.mcp.call("publish_skill", {"path": str(folder)})

    assert not result.is_error, text(result)
    again = result.structured_content
    assert again is not None and again["action"] == "unchanged"
    assert again["skill"]["id"] == first["skill"]["id"]
    assert mode.ref(again["version"]) == mode.ref(first["version"])  # the existing newest version
    assert api.upload_count() == uploads and versions(api) == 1
    summary = text(result)
    assert "unchanged" in summary and "nothing was uploaded" in summary and mode.ref(first["version"]) in summary


def test_one_byte_changed_is_a_new_version(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    first = publish(mcp, folder)
    (folder / "scripts/fill.py").write_text("print('fill!')\n")

    again = publish(mcp, folder)

    assert again["action"] == "created_version"
    assert again["version"]["id"] != first["version"]["id"]  # type: ignore[index]
    assert versions(api) == 2
    assert downloads(api)  # name and description were equal, so the content decided


def test_a_file_added_or_removed_is_a_new_version(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    publish(mcp, folder)
    (folder / "data/extra.txt").write_text("new\n")
    assert publish(mcp, folder)["action"] == "created_version"
    (folder / "data/extra.txt").unlink()
    assert publish(mcp, folder)["action"] == "created_version"
    assert publish(mcp, folder)["action"] == "unchanged"
    assert versions(api) == 3


def test_a_new_description_is_a_new_version_without_a_download(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    publish(mcp, folder)
    write_skill(workdir, files=FILES, frontmatter="name: pdf-tools\ndescription: Now it also merges PDF files.\n")

    again = publish(mcp, folder)

    assert again["action"] == "created_version"
    assert again["version"]["description"] == "Now it also merges PDF files."  # type: ignore[index]
    assert versions(api) == 2
    assert downloads(api) == []  # the frontmatter decided: no GET .../content


def test_force_publishes_anyway(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    publish(mcp, folder)
    assert publish(mcp, folder, force=True)["action"] == "created_version"
    assert versions(api) == 2


def test_with_a_skill_id_too(api: Emulator, mode: Mode, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    first = publish(mode.mcp, folder)
    skill_id = first["skill"]["id"]  # type: ignore[index]
    uploads = api.upload_count()
    again = publish(mode.mcp, folder, skill_id=skill_id)
    assert again["action"] == "unchanged" and api.upload_count() == uploads
    assert publish(mode.mcp, folder, skill_id=skill_id, force=True)["action"] == "created_version"


def test_the_seed_tool_always_creates(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files=FILES)
    skill_id = publish(mcp, folder)["skill"]["id"]  # type: ignore[index]
    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    assert not result.is_error, text(result)
    assert versions(api) == 2


def test_an_unreadable_newest_version_is_an_error_not_unchanged(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    from skills_mcp.emulator import Fault

    folder = write_skill(workdir, files=FILES)
    first = publish(mcp, folder)
    uploads = api.upload_count()
    content = f"/v1/skills/{first['skill']['id']}/versions/{first['version']['id']}/content"  # type: ignore[index]
    api.state.faults.push(Fault(status=404, method="GET", path_prefix=content))

    result = mcp.call("publish_skill", {"path": str(folder)})

    assert result.is_error
    message = text(result)
    assert first["version"]["id"] in message and "could not be read" in message  # type: ignore[index]
    assert "force" in message and "Nothing was uploaded" in message
    assert api.upload_count() == uploads


def test_the_tool_offers_force(mcp: McpSession) -> None:
    tool = mcp.tools()["publish_skill"]
    assert tool.input_schema["properties"]["force"]["type"] == "boolean"
    assert "force" not in tool.input_schema.get("required", [])
    assert "unchanged" in str(tool.output_schema)


def test_cli_publish_twice_then_force(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    env = against(api)
    first = cli("publish", str(folder), "--json", env=env)
    assert first.returncode == 0, first.stderr

    second = cli("publish", str(folder), env=env)
    assert second.returncode == 0, second.stderr
    assert "is unchanged" in second.stdout and "nothing was uploaded" in second.stdout
    assert versions(api) == 1
    as_json = cli("publish", str(folder), "--json", env=env)
    assert json.loads(as_json.stdout)["action"] == "unchanged"

    forced = cli("publish", str(folder), "--force", "--json", env=env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["action"] == "created_version"
    assert versions(api) == 2
