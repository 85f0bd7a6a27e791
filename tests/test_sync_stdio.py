"""plan_skills and sync_skills: the real server over stdio, a folder of skills, the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Emulator, McpSession, Mode, write_skill

LOCK = "skills.lock.json"


def ok(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content[0].text
    assert result.structured_content is not None
    return dict(result.structured_content)


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["path"]: s for s in document["skills"]}


def test_the_tools_say_what_they_touch(mcp: McpSession) -> None:
    tools = mcp.tools()
    plan, sync = tools["plan_skills"], tools["sync_skills"]

    assert plan.annotations is not None and plan.annotations.read_only_hint is True
    assert sync.annotations is not None and sync.annotations.destructive_hint is True
    assert plan.input_schema["required"] == ["path"] and sync.input_schema["required"] == ["path"]
    assert sync.input_schema["properties"]["prune"]["default"] is False
    for tool in (plan, sync):
        assert tool.output_schema is not None and {"skills", "summary"} <= set(tool.output_schema["properties"])


def test_plan_sync_plan_then_prune(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    write_skill(workdir, "alpha", files={"data.txt": "1\n"})
    write_skill(workdir / "nested", "beta")
    write_skill(workdir, "Bad", frontmatter="name: Bad\n")

    first = ok(mcp.call("plan_skills", {"path": str(workdir)}))
    synced = ok(mcp.call("sync_skills", {"path": str(workdir)}))
    lock = json.loads((workdir / LOCK).read_text(encoding="utf-8"))["skills"]
    newest = mode.latest(api_skill(api, lock["alpha"]["skill_id"]))
    (workdir / "alpha" / "data.txt").write_text("2\n", encoding="utf-8")
    (workdir / "nested" / "beta" / "SKILL.md").unlink()
    second = ok(mcp.call("plan_skills", {"path": str(workdir)}))
    kept = ok(mcp.call("sync_skills", {"path": str(workdir)}))
    beta_id = rows(synced)["nested/beta"]["skill_id"]
    assert beta_id in api.state.store.skills  # without prune, nothing is deleted
    pruned = ok(mcp.call("sync_skills", {"path": str(workdir), "prune": True}))

    assert {p: r["action"] for p, r in rows(first).items()} == {"Bad": "invalid", "alpha": "create",
                                                                  "nested/beta": "create"}  # fmt: skip
    assert len(rows(first)["Bad"]["problems"]) == 2  # the name's form and the missing description, at once
    assert first["summary"] == {"create": 2, "update": 0, "unchanged": 0, "delete": 0, "invalid": 1}
    assert {p: r.get("status") for p, r in rows(synced).items()} == {"Bad": "failed", "alpha": "done",
                                                                      "nested/beta": "done"}  # fmt: skip
    assert lock["alpha"]["version"] == rows(synced)["alpha"]["version"]
    assert lock["alpha"]["version"] == newest
    assert rows(second)["alpha"]["action"] == "update" and rows(second)["alpha"]["changes"]["modified"] == ["data.txt"]
    assert rows(second)["nested/beta"]["action"] == "delete"
    assert rows(kept)["nested/beta"]["status"] == "skipped"
    assert rows(pruned)["nested/beta"]["status"] == "done" and beta_id not in api.state.store.skills
    assert rows(pruned)["alpha"]["action"] == "unchanged"
    assert "nested/beta" not in json.loads((workdir / LOCK).read_text(encoding="utf-8"))["skills"]


def api_skill(api: Emulator, skill_id: str) -> dict[str, Any]:
    skill = api.state.store.skills[skill_id]
    latest = skill.versions[-1]
    return {"latest_version": latest.version, "latest_version_id": latest.id}


def test_a_folder_outside_the_allowed_ones_is_refused(api: Emulator, mcp: McpSession, tmp_path: Path) -> None:
    write_skill(tmp_path, "alpha")

    for tool in ("plan_skills", "sync_skills"):
        result = mcp.call(tool, {"path": str(tmp_path)})
        assert result.is_error and "outside the folders this server may read" in result.content[0].text  # type: ignore[union-attr]
    assert api.state.requests == [] and not (tmp_path / LOCK).exists()


def test_a_second_sync_reads_each_skill_once_and_uploads_nothing(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    for name in ("one", "two", "three"):
        write_skill(workdir, name)
    ok(mcp.call("sync_skills", {"path": str(workdir)}))
    before = (workdir / LOCK).read_bytes()
    api.state.requests.clear()

    again = ok(mcp.call("sync_skills", {"path": str(workdir)}))

    assert {r["action"] for r in again["skills"]} == {"unchanged"}
    api.state.wait_idle()
    assert sorted(r.method for r in api.state.requests) == ["GET"] * 3
    assert {r.path for r in api.state.requests} == {f"/v1/skills/{r['skill_id']}" for r in again["skills"]}
    assert (workdir / LOCK).read_bytes() == before
