"""Publishing a packaged skill (.skill/.zip) end to end: the real server over stdio, and the CLI, on the emulator."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from conftest import API_KEY, Emulator, McpSession, write_skill
from test_archive import pack
from test_cli import against, cli

from skills_mcp.emulator import Fault

FILES: dict[str, bytes | str] = {
    "scripts/fill.py": "print('fill')\n",
    "assets/logo.png": bytes(range(256)) * 40,
    "données été.txt": "unicode and a space in the name\n",
    "evals/evals.json": '[{"prompt": "fill this form"}]',
    "docs/evals/case.md": "kept\n",
    ".env": "ANTHROPIC_API_KEY=secret\n",
}
SENT = [
    "pdf-tools/SKILL.md",
    "pdf-tools/assets/logo.png",
    "pdf-tools/docs/evals/case.md",
    "pdf-tools/données été.txt",
    "pdf-tools/scripts/fill.py",
]


def text(result: object) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)  # type: ignore[attr-defined]


def packaged(workdir: Path, name: str = "pdf-tools.skill") -> tuple[Path, Path]:
    """A skill folder and its archive as skill-creator packages it, side by side in `workdir`."""
    folder = write_skill(workdir / "src", files=FILES)
    return folder, pack(folder, workdir / name)


def test_publish_skill_with_an_archive_sends_the_folders_parts(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder, archive = packaged(workdir)

    created = mcp.call("publish_skill", {"path": str(archive)})
    assert created.is_error is False, text(created)
    skill_id = created.structured_content["skill"]["id"]  # type: ignore[index]
    from_folder = mcp.call("publish_skill", {"path": str(folder), "force": True})
    assert from_folder.is_error is False, text(from_folder)
    added = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(archive)})
    assert added.is_error is False, text(added)

    by_archive, by_folder, by_archive_again = api.state.uploads()
    assert [name for _, name, _ in by_archive.files] == SENT
    assert by_archive.files == by_folder.files == by_archive_again.files  # names, bytes and order
    assert by_archive.headers["content-length"] == by_folder.headers["content-length"]
    assert from_folder.structured_content["skill"]["id"] == skill_id  # type: ignore[index]  # found by its name
    assert created.structured_content["version"]["name"] == "pdf-tools"  # type: ignore[index]


def test_create_skill_with_an_archive(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    _, archive = packaged(workdir, "pdf-tools-1.0.zip")

    result = mcp.call("create_skill", {"path": str(archive)})

    assert result.is_error is False, text(result)
    assert [name for _, name, _ in api.state.uploads()[-1].files] == SENT
    assert result.structured_content["version"]["name"] == "pdf-tools"  # type: ignore[index]


def test_validate_skill_reports_an_archive_like_a_folder(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder, archive = packaged(workdir)

    by_archive = mcp.call("validate_skill", {"path": str(archive)})
    by_folder = mcp.call("validate_skill", {"path": str(folder)})

    report = by_archive.structured_content
    assert by_archive.is_error is False and report is not None, text(by_archive)
    assert report["ok"] is True and report["folder"] == str(archive) and report["name"] == "pdf-tools"
    assert [f["path"] for f in report["files"]] == SENT
    assert {k: v for k, v in report.items() if k != "folder"} == {
        k: v for k, v in (by_folder.structured_content or {}).items() if k != "folder"
    }
    assert {"path": "evals/", "reason": "evaluation fixtures (skill-creator leaves a root evals/ out too)"} in report[
        "left_out"
    ]
    assert "secret-looking files: .env" in text(by_archive)
    assert api.state.requests == []


def test_a_bad_archive_names_its_entries_and_sends_nothing(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    archive = workdir / "pdf-tools.skill"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pdf-tools/SKILL.md", "---\nname: pdf-tools\ndescription: Fill PDF forms.\n---\n")
        zf.writestr("pdf-tools/../../.bashrc", "evil")

    validated = mcp.call("validate_skill", {"path": str(archive)})
    published = mcp.call("publish_skill", {"path": str(archive)})

    report = validated.structured_content
    assert report is not None and report["ok"] is False
    assert [(p["where"], p["message"].split(";")[0]) for p in report["problems"]] == [
        ("entry pdf-tools/../../.bashrc", "has a '..' segment")
    ]
    assert published.is_error is True and "entry pdf-tools/../../.bashrc: has a '..' segment" in text(published)
    assert api.state.requests == []


def test_an_archive_outside_the_allowed_folders_is_refused(api: Emulator, mcp: McpSession, tmp_path: Path) -> None:
    _, archive = packaged(tmp_path)

    result = mcp.call("publish_skill", {"path": str(archive)})

    assert result.is_error is True and "outside the folders this server may read" in text(result)
    assert api.state.requests == []


def test_a_lost_answer_is_checked_against_the_archives_entries(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    """The "did it land?" check compares the stored zip with the entries streamed from the archive."""
    _, archive = packaged(workdir)
    created = mcp.call("publish_skill", {"path": str(archive)})
    assert created.is_error is False, text(created)
    skill_id = created.structured_content["skill"]["id"]  # type: ignore[index]
    api.state.faults.push(Fault(kind="drop_after_body", method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(archive)})

    assert result.is_error is False, text(result)
    latest = api.state.store.skills[skill_id].latest
    assert latest is not None and result.structured_content is not None
    assert result.structured_content["id"] == latest.id
    assert len(api.state.store.skills[skill_id].versions) == 2


def test_the_cli_validates_and_publishes_an_archive(api: Emulator, tmp_path: Path) -> None:
    _, archive = packaged(tmp_path)

    validated = cli("validate", "pdf-tools.skill", "--json", cwd=tmp_path)  # a relative path, as for a folder
    published = cli("publish", str(archive), "--json", env=against(api))

    assert validated.returncode == 0, validated.stderr
    assert [f["path"] for f in json.loads(validated.stdout)["files"]] == SENT
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout)["action"] == "created_skill"
    assert [name for _, name, _ in api.state.uploads()[-1].files] == SENT
    assert API_KEY not in published.stdout + published.stderr
