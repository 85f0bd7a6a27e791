"""Finding the skill folders under a folder of skills: what plan and sync work on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import write_skill

from skills_mcp.skill.discover import discover


def test_every_skill_folder_at_any_depth_and_nothing_inside_one(tmp_path: Path) -> None:
    write_skill(tmp_path, "alpha")
    write_skill(tmp_path / "team" / "docs", "beta")
    write_skill(tmp_path / "alpha" / "examples", "nested")  # part of alpha's content, not a skill of its own
    (tmp_path / "empty" / "deeper").mkdir(parents=True)

    found = discover(tmp_path)

    assert found.folders == ["alpha", "team/docs/beta"]
    assert found.problems == [] and found.linked == []


def test_what_the_ignore_rules_skip_is_not_searched(tmp_path: Path) -> None:
    write_skill(tmp_path, "kept")
    for skipped in (".git", "node_modules", "__pycache__", ".venv", "vendored"):
        write_skill(tmp_path / skipped, "hidden")
    (tmp_path / ".skillignore").write_text("vendored/\n", encoding="utf-8")

    assert discover(tmp_path).folders == ["kept"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlinked_skill_folder_is_reported_not_followed(tmp_path: Path) -> None:
    outside = write_skill(tmp_path / "outside", "elsewhere")
    root = tmp_path / "skills"
    root.mkdir()
    (root / "elsewhere").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)  # a loop: never walked

    found = discover(root)

    assert found.folders == [] and found.linked == ["elsewhere"]


def test_the_search_is_bounded(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"d{i}").mkdir()
    write_skill(tmp_path / "d4", "late")

    found = discover(tmp_path, limit=3)

    assert [p.where for p in found.problems] == ["."]
    assert "more than 3 folders" in found.problems[0].message


def test_an_unreadable_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads any folder")
    write_skill(tmp_path, "fine")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        found = discover(tmp_path)
    finally:
        locked.chmod(0o755)

    assert found.folders == ["fine"]
    assert [p.where for p in found.problems] == ["locked"]
