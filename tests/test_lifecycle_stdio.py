"""The whole skill lifecycle through the real server: create, publish, list, get, download, delete, dry run."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from anthropic.lib import files_from_dir
from conftest import Emulator, McpSession, Mode, official_sdk, write_skill

from skills_mcp.emulator import Fault

BETA = ["skills-2025-10-02"]
READ_ONLY = {"list_skills", "list_skill_versions", "get_skill", "get_skill_version", "validate_skill", "plan_skills"}
DESTRUCTIVE = {"delete_skill", "delete_skill_version", "download_skill_version", "sync_skills"}
ALL_TOOLS = READ_ONLY | DESTRUCTIVE | {"publish_skill", "create_skill", "create_skill_version", "rollback_skill"}


def ok(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content[0].text
    assert result.structured_content is not None
    return dict(result.structured_content)


def error(result: Any) -> str:
    assert result.is_error is True, result.structured_content
    return "\n".join(c.text for c in result.content)


def sdk_skill(api: Emulator, folder: Path) -> str:
    client = official_sdk(api.url)
    return client.beta.skills.create(files=files_from_dir(folder), betas=BETA).id


def test_every_tool_is_listed_with_an_output_schema_and_annotations(mcp: McpSession) -> None:
    tools = mcp.tools()
    assert set(tools) == ALL_TOOLS
    for name, tool in tools.items():
        hints = tool.annotations
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        assert tool.description and tool.title, name
        assert hints is not None, name
        assert hints.read_only_hint is (name in READ_ONLY), name
        assert hints.destructive_hint is (True if name in DESTRUCTIVE else None if name in READ_ONLY else False), name
        assert hints.open_world_hint is (name != "validate_skill"), name
    assert tools["delete_skill"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert tools["list_skills"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert tools["publish_skill"].annotations.idempotent_hint is False  # type: ignore[union-attr]


def test_create_skill_then_get_it(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    folder = write_skill(workdir)
    made = ok(mcp.call("create_skill", {"path": str(folder), "display_name": "PDF tools"}))
    assert made["action"] == "created_skill"
    assert made["skill"][mode.title_field] == "PDF tools"
    assert api.state.uploads()[0].fields == [(mode.title_field, "PDF tools")]  # the form field the mode names
    assert made["version"]["name"] == "pdf-tools" and made["version"]["skill_id"] == made["skill"]["id"]
    assert ("version" in made["version"]) is mode.beta  # GA versions have no epoch string
    assert made["version"]["id"].startswith("skillver_")

    skill = ok(mcp.call("get_skill", {"skill_id": made["skill"]["id"]}))
    assert mode.latest(skill) == mode.ref(made["version"])
    assert f"newest version {mode.ref(made['version'])}." in mcp.results[-1].content[0].text  # type: ignore[union-attr]
    latest = ok(mcp.call("get_skill_version", {"skill_id": skill["id"], "version": "latest"}))
    exact = ok(mcp.call("get_skill_version", {"skill_id": skill["id"], "version": mode.ref(latest)}))
    assert latest == exact == made["version"]


def test_publish_creates_then_adds_versions_by_name(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    folder = write_skill(workdir)
    other = write_skill(workdir / "other", "csv-tools")
    ok(mcp.call("create_skill", {"path": str(other)}))  # a different skill must not be picked

    first = ok(mcp.call("publish_skill", {"path": str(folder)}))
    second = ok(mcp.call("publish_skill", {"path": str(folder), "force": True}))
    third = ok(mcp.call("publish_skill", {"path": str(folder), "skill_id": first["skill"]["id"], "force": True}))

    assert first["action"] == "created_skill"
    assert second["action"] == third["action"] == "created_version"
    assert first["skill"]["id"] == second["skill"]["id"] == third["skill"]["id"]
    assert len({mode.ref(first["version"]), mode.ref(second["version"]), mode.ref(third["version"])}) == 3
    assert mode.latest(third["skill"]) == mode.ref(third["version"])
    summary = mcp.results[-1].content[0].text  # type: ignore[union-attr]
    assert summary.endswith(f"{third['skill']['id']}: pdf-tools version {mode.ref(third['version'])}.")
    assert len(api.state.store.skills) == 2


def test_publish_refuses_when_two_skills_share_the_name(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    ids = sorted([sdk_skill(api, folder), sdk_skill(api, folder)])
    uploads = api.upload_count()

    message = error(mcp.call("publish_skill", {"path": str(folder)}))

    assert "2 skills are named 'pdf-tools'" in message and ids[0] in message and ids[1] in message
    assert "skill_id" in message
    assert api.upload_count() == uploads


def test_list_skills_pages_through_every_skill(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    made = {sdk_skill(api, write_skill(workdir / str(i), f"skill-{i}")) for i in range(5)}
    seen: list[str] = []
    page: str | None = None
    pages = 0
    while True:
        args: dict[str, Any] = {"limit": 2, "source": "custom"}
        if page:
            args["page"] = page
        listing = ok(mcp.call("list_skills", args))
        seen += [s["id"] for s in listing["data"]]
        page = listing.get("next_page")
        pages += 1
        if not page:
            break
    assert pages == 3 and sorted(seen) == sorted(made) and len(seen) == 5
    assert ok(mcp.call("list_skills", {"source": "anthropic"}))["data"] == []
    assert "limit" in error(mcp.call("list_skills", {"limit": 0}))


def test_list_versions_pages_newest_first(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    folder = write_skill(workdir)
    skill_id = ok(mcp.call("create_skill", {"path": str(folder)}))["skill"]["id"]
    made = [ok(mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})) for _ in range(2)]
    first = ok(mcp.call("list_skill_versions", {"skill_id": skill_id, "limit": 2}))
    rest = ok(mcp.call("list_skill_versions", {"skill_id": skill_id, "limit": 2, "page": first["next_page"]}))
    versions = [mode.ref(v) for v in first["data"] + rest["data"]]
    assert len(set(versions)) == 3 and versions[:2] == [mode.ref(made[1]), mode.ref(made[0])]
    assert rest.get("next_page") is None


def test_download_round_trips_the_uploaded_bytes(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    files: dict[str, bytes | str] = {
        "scripts/fill.py": "print('x')\n",
        "assets/blob.bin": bytes(range(256)) * 100,
        "assets/empty.txt": b"",
        ".env": "SECRET=1\n",  # left out of the upload, so not in the download either
    }
    folder = write_skill(workdir / "src", files=files)
    made = ok(mcp.call("publish_skill", {"path": str(folder)}))
    out = workdir / "out"
    out.mkdir()

    got = ok(mcp.call("download_skill_version", {
        "skill_id": made["skill"]["id"], "version": "latest", "destination": str(out),
    }))  # fmt: skip

    expected = {
        p: (folder / p).read_bytes() for p in ["SKILL.md", "scripts/fill.py", "assets/blob.bin", "assets/empty.txt"]
    }
    written = {
        p.relative_to(out / "pdf-tools").as_posix(): p.read_bytes()
        for p in (out / "pdf-tools").rglob("*")
        if p.is_file()
    }
    assert written == expected
    assert got["folder"] == str(out / "pdf-tools") and got["version"] == mode.ref(made["version"])
    assert api.state.requests[-1].path.endswith(f"/versions/{mode.ref(made['version'])}/content")  # latest resolved
    assert sorted(f["path"] for f in got["files"]) == sorted(expected)

    again = error(mcp.call("download_skill_version", {
        "skill_id": made["skill"]["id"], "version": "latest", "destination": str(out),
    }))  # fmt: skip
    assert "already exists. Pass overwrite=true" in again
    (out / "pdf-tools" / "stale.txt").write_text("old")
    ok(mcp.call("download_skill_version", {
        "skill_id": made["skill"]["id"], "version": "latest", "destination": str(out), "overwrite": True,
    }))  # fmt: skip
    assert not (out / "pdf-tools" / "stale.txt").exists()


def test_download_refuses_a_traversal_zip_and_writes_nothing(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir / "src")
    made = ok(mcp.call("publish_skill", {"path": str(folder)}))
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("pdf-tools/SKILL.md", "---\nname: pdf-tools\ndescription: x\n---\n")
        zf.writestr("pdf-tools/../../escaped.txt", "gotcha")
    content = f"/v1/skills/{made['skill']['id']}/versions/{made['version']['id']}/content"
    api.state.faults.push(
        Fault(200, body=evil.getvalue(), path_prefix=content, headers={"content-type": "application/zip"})
    )
    out = workdir / "out"
    out.mkdir()
    before = sorted(p for p in workdir.rglob("*"))

    message = error(mcp.call("download_skill_version", {
        "skill_id": made["skill"]["id"], "version": made["version"]["id"], "destination": str(out),
    }))  # fmt: skip

    assert "pdf-tools/../../escaped.txt" in message
    assert sorted(p for p in workdir.rglob("*")) == before
    assert not (workdir.parent / "escaped.txt").exists()


def test_download_destination_must_be_allowed(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    message = error(mcp.call("download_skill_version", {"skill_id": "skill_x", "version": "1", "destination": "/tmp"}))
    assert "destination: /tmp is outside the folders this server may read" in message
    assert api.state.requests == []


def test_delete_version_and_skill_with_all_its_versions(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    api.state.page_cap = 2  # the versions span several pages, whatever limit the server asks for
    folder = write_skill(workdir)
    made = ok(mcp.call("publish_skill", {"path": str(folder)}))
    skill_id = made["skill"]["id"]
    versions = [
        mode.ref(ok(mcp.call("publish_skill", {"path": str(folder), "force": True}))["version"]) for _ in range(3)
    ]

    deleted = ok(mcp.call("delete_skill_version", {"skill_id": skill_id, "version": versions[-1]}))
    assert deleted == {"id": versions[-1], "type": "skill_version_deleted"}
    assert mode.latest(ok(mcp.call("get_skill", {"skill_id": skill_id}))) == versions[-2]

    refused = error(mcp.call("delete_skill", {"skill_id": skill_id}))
    assert "still has versions" in refused and "delete_versions=true" in refused
    assert skill_id in api.state.store.skills

    gone = ok(mcp.call("delete_skill", {"skill_id": skill_id, "delete_versions": True}))
    assert gone["deleted"] == {"id": skill_id, "type": "skill_deleted"}
    assert sorted(gone["deleted_versions"]) == sorted([mode.ref(made["version"]), *versions[:-1]])
    assert skill_id not in api.state.store.skills
    assert "404" in error(mcp.call("get_skill", {"skill_id": skill_id}))


def test_validate_skill_is_a_dry_run(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files={"scripts/a.py": "a = 1\n", ".env": "K=V\n", "__pycache__/a.pyc": b"\0"})
    report = ok(mcp.call("validate_skill", {"path": str(folder)}))
    assert report["ok"] is True and report["name"] == "pdf-tools" and report["problems"] == []
    sizes = {f["path"]: f["size"] for f in report["files"]}
    assert sizes == {"pdf-tools/SKILL.md": (folder / "SKILL.md").stat().st_size, "pdf-tools/scripts/a.py": 6}
    assert report["total_bytes"] == sum(sizes.values()) and report["limit_bytes"] == 30_000_000
    assert {(e["path"], e["reason"]) for e in report["left_out"]} == {
        (".env", "secret-looking file"),
        ("__pycache__/", "Python cache"),
    }

    (folder / "SKILL.md").write_text("---\nname: Bad Name\n---\n")
    bad = ok(mcp.call("validate_skill", {"path": str(folder)}))
    assert bad["ok"] is False
    assert {p["where"] for p in bad["problems"]} == {"SKILL.md: name", "SKILL.md: description"}
    assert api.state.requests == []  # never contacted the API


def test_local_mode_needs_no_key_and_labels_every_result(workdir: Path, tmp_path: Path) -> None:
    import os

    from conftest import McpSession

    folder = write_skill(workdir)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SKILLS_MCP_LOCAL": "1",
           "SKILLS_MCP_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    session = McpSession(["--allow-dir", str(workdir)], env, tmp_path / "stderr.log")
    try:
        results = [
            session.call("publish_skill", {"path": str(folder)}),
            session.call("list_skills", {}),
            session.call("get_skill", {"skill_id": "skill_missing"}),
        ]
    finally:
        session.close()
    assert [r.is_error for r in results] == [False, False, True]
    for result in results:  # errors carry the SDK's "Error executing tool <name>: " first
        text = result.content[0].text  # type: ignore[union-attr]
        assert text.removeprefix("Error executing tool get_skill: ").startswith(
            "[LOCAL EMULATOR, not the Anthropic API]"
        )
    assert (tmp_path / "data").is_dir()


def _hostile_version(
    api: Emulator, mcp: McpSession, workdir: Path, name: str, entries: dict[str, str]
) -> dict[str, str]:
    """Publish a real skill, then make the API name its version `name` and serve a zip of `entries`."""
    made = ok(mcp.call("publish_skill", {"path": str(write_skill(workdir / "src"))}))
    skill_id, version = made["skill"]["id"], made["version"]["id"]
    info = f"/v1/skills/{skill_id}/versions/{version}"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for path, text in entries.items():
            zf.writestr(path, text)
    # The info fault is pushed first and used once; the content request then meets the archive fault.
    api.state.faults.push(Fault(200, body={**made["version"], "name": name}, method="GET", path_prefix=info))
    api.state.faults.push(Fault(200, body=archive.getvalue(), path_prefix=f"{info}/content",
                                headers={"content-type": "application/zip"}))  # fmt: skip
    return {"skill_id": skill_id, "version": version}


@pytest.mark.parametrize(
    "name",
    [".ssh", "/tmp/probe", "../escaped", "pdf\u202etools", "PDF-Tools", "pdf tools", "a" * 65, "-pdf"],
)
def test_download_refuses_a_skill_name_the_rules_refuse(
    api: Emulator, mcp: McpSession, workdir: Path, name: str
) -> None:
    which = _hostile_version(api, mcp, workdir, name, {f"{name}/authorized_keys": "ssh-ed25519 AAAA attacker"})
    out = workdir / "out"
    out.mkdir()
    before = sorted(workdir.parent.rglob("*"))
    api.state.requests.clear()

    message = error(mcp.call("download_skill_version", {**which, "destination": str(out)}))

    assert "Nothing was downloaded" in message, message
    assert "skill name" in message and repr(name)[:60] in message
    assert "lowercase letters, digits and hyphens" in message or "limit is 64" in message or "hyphen" in message
    assert sorted(workdir.parent.rglob("*")) == before  # nothing written anywhere
    assert not any(r.path.endswith("/content") for r in api.state.requests)  # the archive was not even fetched


def test_download_refuses_a_deep_archive_with_a_clear_message(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    deep = "pdf-tools/" + "d/" * 1500 + "f.txt"
    which = _hostile_version(api, mcp, workdir, "pdf-tools", {"pdf-tools/SKILL.md": "x", deep: "deep"})
    out = workdir / "out"
    out.mkdir()

    message = error(mcp.call("download_skill_version", {**which, "destination": str(out)}))

    assert "Refused the skill archive" in message and "levels deep" in message and "Nothing was written" in message
    assert list(out.iterdir()) == []
