"""`skills-mcp plan`, `sync` and `pins`: a folder of skills kept as code, through the installed CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from conftest import API_KEY, Emulator, server_command, write_skill

from skills_mcp.emulator import Fault

LOCK = "skills.lock.json"


def cli(*args: str, api: Emulator) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    env = {**base, "ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": API_KEY}
    return subprocess.run([server_command(), *args], capture_output=True, text=True, env=env, timeout=120)


def as_json(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.stdout, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


def actions(document: dict[str, Any]) -> dict[str, str]:
    return {s["path"]: s["action"] for s in document["skills"]}


def skills_dir(tmp_path: Path) -> Path:
    """Two skills, one nested, and what the search must pass over."""
    root = tmp_path / "skills"
    write_skill(root, "alpha", files={"scripts/run.py": "print('a')\n", "notes.txt": "old\n"})
    write_skill(root / "team", "beta")
    write_skill(root / "node_modules", "vendored")  # skipped by the ignore rules
    return root


def lock_of(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / LOCK).read_text(encoding="utf-8"))
    return data


def test_plan_creates_then_sync_publishes_and_writes_a_sorted_lock(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)

    planned = cli("plan", str(root), "--json", api=api)
    check = cli("plan", str(root), "--check", api=api)
    assert api.upload_count() == 0 and not (root / LOCK).exists()  # a plan changes nothing
    synced = cli("sync", str(root), "--json", api=api)

    assert planned.returncode == 0, planned.stderr
    plan = as_json(planned)
    assert actions(plan) == {"alpha": "create", "team/beta": "create"}
    assert plan["summary"] == {"create": 2, "update": 0, "unchanged": 0, "delete": 0, "invalid": 0}
    assert check.returncode == 1 and "+ create    alpha" in check.stdout
    assert synced.returncode == 0, synced.stderr
    result = as_json(synced)
    assert {s["path"]: s["status"] for s in result["skills"]} == {"alpha": "done", "team/beta": "done"}
    assert api.upload_count() == 2
    lock = lock_of(root)
    assert list(lock["skills"]) == ["alpha", "team/beta"] and lock["lock_version"] == 1
    for row in result["skills"]:
        entry = lock["skills"][row["path"]]
        skill = api.state.store.skills[row["skill_id"]]
        assert entry["skill_id"] == row["skill_id"] and entry["version"] == row["version"] == skill.latest.id
        assert entry["name"] == row["name"] and entry["content_hash"].startswith("sha256:")
    assert sorted(lock["skills"]["alpha"]["files"]) == ["SKILL.md", "notes.txt", "scripts/run.py"]
    progress = [line for line in synced.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and all("create" in line for line in progress)  # one line per skill, on stderr


def test_a_second_sync_costs_one_small_read_per_skill_and_rewrites_the_same_bytes(
    api: Emulator, tmp_path: Path
) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    first = (root / LOCK).read_bytes()
    versions = {s.id: len(s.versions) for s in api.state.store.skills.values()}
    api.state.requests.clear()

    again = cli("sync", str(root), "--json", api=api)
    check = cli("plan", str(root), "--check", api=api)

    assert again.returncode == 0, again.stderr
    assert actions(as_json(again)) == {"alpha": "unchanged", "team/beta": "unchanged"}
    assert (root / LOCK).read_bytes() == first
    assert {s.id: len(s.versions) for s in api.state.store.skills.values()} == versions
    api.state.wait_idle()
    sync_requests = [(r.method, r.path) for r in api.state.requests][: len(versions)]
    assert sorted(sync_requests) == sorted(("GET", f"/v1/skills/{skill_id}") for skill_id in versions)
    assert api.upload_count() == 0 and not any(r.path.endswith("/content") for r in api.state.requests)
    assert len(api.state.requests) == 2 * len(versions)  # the sync's reads, then plan --check's: nothing else
    assert check.returncode == 0 and "Plan: 0 to create, 0 to update, 2 unchanged" in check.stdout


def test_update_names_the_changed_files_and_frontmatter(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    alpha = root / "alpha"
    (alpha / "notes.txt").unlink()
    (alpha / "scripts" / "run.py").write_text("print('b')\n", encoding="utf-8")
    (alpha / "added.md").write_text("new\n", encoding="utf-8")
    skill_md = root / "team" / "beta" / "SKILL.md"
    skill_md.write_text(skill_md.read_text(encoding="utf-8").replace("Fill in", "Complete"), encoding="utf-8")

    text = cli("plan", str(root), api=api)
    planned = cli("plan", str(root), "--json", "--check", api=api)
    synced = cli("sync", str(root), "--json", api=api)

    assert text.returncode == 0
    assert "~ update    alpha" in text.stdout and "    + added.md\n    - notes.txt\n    ~ scripts/run.py" in text.stdout
    assert "    frontmatter: description" in text.stdout
    assert planned.returncode == 1  # --check: something would change
    changes = {s["path"]: s["changes"] for s in as_json(planned)["skills"]}
    assert changes["alpha"] == {"added": ["added.md"], "removed": ["notes.txt"], "modified": ["scripts/run.py"],
                                "frontmatter": []}  # fmt: skip
    assert changes["team/beta"]["modified"] == ["SKILL.md"] and changes["team/beta"]["frontmatter"] == ["description"]
    assert synced.returncode == 0, synced.stderr
    lock = lock_of(root)
    for row in as_json(synced)["skills"]:
        assert row["action"] == "update" and row["status"] == "done"
        assert lock["skills"][row["path"]]["version"] == row["version"]
        assert len(api.state.store.skills[row["skill_id"]].versions) == 2
    assert sorted(lock["skills"]["alpha"]["files"]) == ["SKILL.md", "added.md", "scripts/run.py"]
    assert cli("plan", str(root), "--check", api=api).returncode == 0


def test_prune_deletes_only_skills_the_lock_recorded(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    beta_id = lock_of(root)["skills"]["team/beta"]["skill_id"]
    # Not in the lock: a skill of the same name as the folder about to go, and one of another name.
    twin = write_skill(tmp_path / "elsewhere", "beta", body="# Another beta\n")
    other = write_skill(tmp_path / "elsewhere", "gamma")
    twin_id = as_json(cli("create", str(twin), "--allow-duplicate", "--json", api=api))["skill"]["id"]
    other_id = as_json(cli("publish", str(other), "--json", api=api))["skill"]["id"]
    (root / "team" / "beta" / "SKILL.md").unlink()  # no longer a skill folder
    lock_before = (root / LOCK).read_bytes()

    planned = as_json(cli("plan", str(root), "--json", api=api))
    kept = cli("sync", str(root), "--json", api=api)
    assert beta_id in api.state.store.skills and (root / LOCK).read_bytes() == lock_before
    pruned = cli("sync", str(root), "--prune", "--json", api=api)

    assert [(s["path"], s["skill_id"]) for s in planned["skills"] if s["action"] == "delete"] == [
        ("team/beta", beta_id)
    ]
    assert kept.returncode == 0
    row = next(s for s in as_json(kept)["skills"] if s["action"] == "delete")
    assert row["status"] == "skipped" and "--prune" in " ".join(row["problems"])
    assert pruned.returncode == 0, pruned.stderr
    assert beta_id not in api.state.store.skills
    assert twin_id in api.state.store.skills and other_id in api.state.store.skills
    assert list(lock_of(root)["skills"]) == ["alpha"]


def test_a_moved_folder_keeps_its_skill_and_nothing_is_deleted(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    beta_id = lock_of(root)["skills"]["team/beta"]["skill_id"]
    (root / "team").rename(root / "crew")

    planned = as_json(cli("plan", str(root), "--json", api=api))
    pruned = cli("sync", str(root), "--prune", "--json", api=api)

    assert actions(planned) == {"alpha": "unchanged", "crew/beta": "unchanged"}
    assert pruned.returncode == 0, pruned.stderr
    assert beta_id in api.state.store.skills
    assert lock_of(root)["skills"]["crew/beta"]["skill_id"] == beta_id and "team/beta" not in lock_of(root)["skills"]


def test_a_failing_skill_does_not_stop_the_others(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    api.state.faults.push(Fault(status=400, method="POST", path_prefix="/v1/skills"))  # the first create only

    synced = cli("sync", str(root), "--concurrency", "1", api=api)
    retried = cli("sync", str(root), "--json", api=api)

    assert synced.returncode == 3, synced.stderr  # an API error
    assert "Synced: 1 created, 0 updated, 0 unchanged, 0 deleted, 1 failed" in synced.stdout
    assert synced.stderr.rstrip().splitlines()[-1].startswith("skills-mcp: alpha: failed: Skills API error 400")
    assert retried.returncode == 0
    assert actions(as_json(retried)) == {"alpha": "create", "team/beta": "unchanged"}
    assert list(lock_of(root)["skills"]) == ["alpha", "team/beta"]


def test_invalid_folders_are_reported_with_every_problem_and_the_rest_goes_on(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    write_skill(root, "broken", frontmatter="name: Broken\n")  # bad name, no description, folder mismatch
    write_skill(root / "copy", "alpha")  # a second folder for alpha

    planned = cli("plan", str(root), "--json", api=api)
    synced = cli("sync", str(root), "--json", api=api)

    assert planned.returncode == 1
    rows = {s["path"]: s for s in as_json(planned)["skills"]}
    assert {p: r["action"] for p, r in rows.items()} == {
        "alpha": "invalid", "broken": "invalid", "copy/alpha": "invalid", "team/beta": "create"
    }  # fmt: skip
    assert len(rows["broken"]["problems"]) == 3
    assert "copy/alpha" in rows["alpha"]["problems"][0] and "alpha" in rows["copy/alpha"]["problems"][0]
    assert synced.returncode == 1  # invalid folders are failures of a sync
    assert api.upload_count() == 1 and list(lock_of(root)["skills"]) == ["team/beta"]


def test_a_lock_entry_whose_skill_is_gone_is_reported_not_rewritten(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    entry = lock_of(root)["skills"]["alpha"]
    assert cli("delete", entry["skill_id"], "--all-versions", api=api).returncode == 0

    planned = as_json(cli("plan", str(root), "--json", api=api))
    synced = cli("sync", str(root), api=api)

    row = next(s for s in planned["skills"] if s["path"] == "alpha")
    assert row["action"] == "invalid" and entry["skill_id"] in row["problems"][0]
    assert "skills.lock.json" in row["problems"][0]
    assert synced.returncode == 1 and lock_of(root)["skills"]["alpha"] == entry
    assert api.upload_count() == 2  # the first sync's: nothing was created in its place


def test_pins_prints_the_container_skills_the_lock_pins(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    missing = cli("pins", str(root), api=api)
    assert cli("sync", str(root), api=api).returncode == 0
    lock = lock_of(root)["skills"]

    every = cli("pins", str(root), api=api)
    one = cli("pins", str(root), "beta", api=api)
    unknown = cli("pins", str(root), "nope", api=api)

    assert missing.returncode == 1 and "sync" in missing.stderr
    assert every.returncode == 0
    assert json.loads(every.stdout) == [
        {"type": "custom", "skill_id": lock[folder]["skill_id"], "version": lock[folder]["version"]}
        for folder in ("alpha", "team/beta")
    ]
    assert json.loads(one.stdout) == [{"type": "custom", "skill_id": lock["team/beta"]["skill_id"],
                                       "version": lock["team/beta"]["version"]}]  # fmt: skip
    assert unknown.returncode == 1 and "nope" in unknown.stderr


def test_the_beta_mode_pins_epoch_versions(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)

    synced = cli("sync", str(root), "--beta", "skills-2025-10-02", api=api)
    again = cli("sync", str(root), "--beta", "skills-2025-10-02", "--json", api=api)

    assert synced.returncode == 0, synced.stderr
    for entry in lock_of(root)["skills"].values():
        assert (
            entry["version"].isdigit() and entry["version"] == api.state.store.skills[entry["skill_id"]].latest.version
        )
    assert actions(as_json(again)) == {"alpha": "unchanged", "team/beta": "unchanged"}


def test_a_skill_folder_or_a_missing_folder_is_refused(api: Emulator, tmp_path: Path) -> None:
    skill = write_skill(tmp_path, "alpha")

    itself = cli("plan", str(skill), api=api)
    missing = cli("sync", str(tmp_path / "nowhere"), api=api)

    assert itself.returncode == 1 and "itself a skill folder" in itself.stderr
    assert missing.returncode == 1 and "nowhere does not exist" in missing.stderr
    assert api.state.requests == []


def test_a_malformed_lock_file_is_an_error_that_sends_nothing(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    (root / LOCK).write_text("{not json", encoding="utf-8")

    for command in ("plan", "sync", "pins"):
        run = cli(command, str(root), api=api)
        assert run.returncode == 1 and f"{root / LOCK}" in run.stderr and "not valid JSON" in run.stderr
    assert api.state.requests == [] and (root / LOCK).read_text(encoding="utf-8") == "{not json"


def test_pins_warns_past_what_one_request_takes(api: Emulator, tmp_path: Path) -> None:
    from skills_mcp.workflows.lockfile import LockEntry, LockFile

    entries = {
        f"s{i}": LockEntry(
            f"s{i}", f"skill_{i}", f"skillver_{i}", "sha256:" + "0" * 64, f"s{i}", "2026-01-01T00:00:00Z"
        )
        for i in range(9)
    }
    LockFile(tmp_path / LOCK, entries).save()

    every = cli("pins", str(tmp_path), api=api)
    some = cli("pins", str(tmp_path), "s1", "s3", "--json", api=api)

    assert every.returncode == 0 and len(json.loads(every.stdout)) == 9
    assert "at most 8" in every.stderr
    pinned = [{"type": "custom", "skill_id": f"skill_{i}", "version": f"skillver_{i}"} for i in (1, 3)]
    assert json.loads(some.stdout)["skills"] == pinned
    assert some.stderr == "" and api.state.requests == []  # pins reads the lock file only


def test_a_first_sync_lists_the_skills_once_not_once_per_create(api: Emulator, tmp_path: Path) -> None:
    root = tmp_path / "skills"
    for name in ("one", "two", "three", "four"):
        write_skill(root, name)
    write_skill(tmp_path / "elsewhere", "other")
    assert cli("publish", str(tmp_path / "elsewhere" / "other"), api=api).returncode == 0
    api.state.requests.clear()

    synced = cli("sync", str(root), api=api)

    assert synced.returncode == 0, synced.stderr
    api.state.wait_idle()
    seen = [(r.method, r.path) for r in api.state.requests]
    other = next(iter(api.state.store.skills))
    # The plan: one listing, and the one existing skill's newest version for its name.
    assert seen[:2] == [("GET", "/v1/skills"), ("GET", f"/v1/skills/{other}/versions/latest")]
    # Each create: the upload, the client's one-page snapshot of the newest skills (to tell whether a lost answer
    # landed), one page of the newest skills to see a race (issue 10: the oldest of a name wins), the read-back.
    # No create lists every skill, nor reads again the names the plan read: the existing skill is not read again.
    rest, created = seen[2:], set(api.state.store.skills) - {other}
    assert sum(method == "POST" for method, _ in rest) == 4
    assert sum((method, path) == ("GET", "/v1/skills") for method, path in rest) == 4 * 2
    assert all(path.split("/")[3] in created for _, path in rest if path.startswith("/v1/skills/")), rest


def test_several_skills_of_one_name_are_a_problem_listing_the_choices(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    ids = [
        as_json(cli("create", str(root / "alpha"), "--allow-duplicate", "--json", api=api))["skill"]["id"]
        for _ in range(2)
    ]
    api.state.requests.clear()

    planned = cli("plan", str(root), api=api)
    synced = cli("sync", str(root), "--json", api=api)

    assert planned.returncode == 1
    assert "! invalid   alpha" in planned.stdout and "2 skills are named 'alpha'" in planned.stdout
    assert all(f"\n      - {skill_id}: " in planned.stdout for skill_id in ids)  # each choice on a line of its own
    rows = {s["path"]: s for s in as_json(synced)["skills"]}
    assert rows["alpha"]["status"] == "failed" and rows["team/beta"]["status"] == "done"
    assert all(len(api.state.store.skills[i].versions) == 1 for i in ids)  # neither was touched
    assert list(lock_of(root)["skills"]) == ["team/beta"]


def test_nothing_is_deleted_when_the_search_for_folders_had_problems(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    assert cli("sync", str(root), api=api).returncode == 0
    beta_id = lock_of(root)["skills"]["team/beta"]["skill_id"]
    (root / "team" / "beta" / "SKILL.md").unlink()
    (root / ".skillignore").write_text("*a*b*c*/\n", encoding="utf-8")  # refused: too wild to match safely

    pruned = cli("sync", str(root), "--prune", "--json", api=api)

    document = as_json(pruned)
    assert pruned.returncode == 1 and ".skillignore line 1" in document["problems"][0]
    row = next(s for s in document["skills"] if s["path"] == "team/beta")
    assert row["status"] == "skipped" and "Not deleted" in row["problems"][0]
    assert beta_id in api.state.store.skills and "team/beta" in lock_of(root)["skills"]


def test_pins_in_local_mode_keeps_stdout_json_and_the_label_on_a_stderr_line_of_its_own(tmp_path: Path) -> None:
    from skills_mcp.api.local import LABEL
    from skills_mcp.workflows.lockfile import LockEntry, LockFile

    entry = LockEntry("s1", "skill_1", "skillver_1", "sha256:" + "0" * 64, "s1", "2026-01-01T00:00:00Z")
    LockFile(tmp_path / LOCK, {"s1": entry}).save()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    command = [server_command(), "--local", "--data-dir", str(tmp_path / "data"), "pins", str(tmp_path)]

    pins = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    assert pins.returncode == 0, pins.stderr
    assert json.loads(pins.stdout) == [{"type": "custom", "skill_id": "skill_1", "version": "skillver_1"}]
    assert LABEL in pins.stderr.splitlines()


def test_json_failures_carry_the_error_member_every_failed_command_has(api: Emulator, tmp_path: Path) -> None:
    root = skills_dir(tmp_path)
    write_skill(root, "broken", frontmatter="name: Broken\n")

    pending = cli("plan", str(root), "--check", "--json", api=api)
    synced = cli("sync", str(root), "--json", api=api)
    (root / "broken" / "SKILL.md").unlink()
    (root / "broken").rmdir()
    settled = cli("plan", str(root), "--check", "--json", api=api)
    usage = cli("sync", str(root), "--concurrency", "0", "--json", api=api)

    assert pending.returncode == 1 and as_json(pending)["error"]["kind"] == "invalid"
    assert [p["where"] for p in as_json(pending)["error"]["problems"]]  # the first failure's problems, each named
    assert synced.returncode == 1 and as_json(synced)["error"]["kind"] == "invalid"
    assert "1 of 3 skills failed" in as_json(synced)["error"]["message"]
    assert settled.returncode == 0 and "error" not in as_json(settled)
    (root / "alpha" / "notes.txt").write_text("new\n")
    changed = cli("plan", str(root), "--check", "--json", api=api)
    assert changed.returncode == 1 and as_json(changed)["error"]["kind"] == "changes_pending"
    assert usage.returncode == 2 and as_json(usage)["error"]["kind"] == "usage"
