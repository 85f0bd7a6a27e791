"""Reopening a validated file: the very file validation saw, never through a link (issue 11 §1)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from skill_factory import make_skill

from skills_mcp.skill import reopen
from skills_mcp.skill.folder import scan_folder
from skills_mcp.skill.parts import SkillFile
from skills_mcp.skill.reopen import ChangedFile, Opener


def read(file: SkillFile) -> bytes:
    opener = Opener(file.root)
    try:
        return opener.read_all(file.relpath, file.real, file.identity)
    finally:
        opener.close()


def scanned(root: Path, relpath: str) -> SkillFile:
    return next(f for f in scan_folder(root).files if f.relpath == relpath)


@pytest.fixture(params=[True, False], ids=["dir_fd", "whole-path"])
def platform(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of opening: component by component, and (as where os.open takes no dir_fd) the whole path."""
    monkeypatch.setattr(reopen, "_HAS_DIR_FD", request.param)


@pytest.fixture
def skill(tmp_path: Path) -> Path:
    return make_skill(tmp_path / "allowed", "pdf-tools", {"notes.txt": "innocent!\n", "sub/deep/x.txt": "deep one\n"})


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "sub" / "deep" / "x.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SECRET!!\n")  # the size of "deep one\n"
    (tmp_path / "outside" / "notes.txt").write_bytes(b"SECRET!!!\n")  # the size of "innocent!\n"
    return tmp_path / "outside"


def swap_file(skill: Path, secret: Path) -> None:
    (skill / "notes.txt").unlink()
    (skill / "notes.txt").symlink_to(secret / "notes.txt")


def swap_folder(skill: Path, secret: Path) -> None:
    shutil.rmtree(skill / "sub")
    (skill / "sub").symlink_to(secret / "sub", target_is_directory=True)


def swap_inner_folder(skill: Path, secret: Path) -> None:
    shutil.rmtree(skill / "sub" / "deep")
    (skill / "sub" / "deep").symlink_to(secret / "sub" / "deep", target_is_directory=True)


def rename_over(skill: Path, secret: Path) -> None:
    shutil.copy(secret / "notes.txt", skill / "other")
    os.replace(skill / "other", skill / "notes.txt")


def fifo_instead(skill: Path, secret: Path) -> None:
    (skill / "notes.txt").unlink()
    os.mkfifo(skill / "notes.txt")  # a blocking open would wait for a writer forever


SWAPS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "file to link": (swap_file, "notes.txt"),
    "folder to link": (swap_folder, "sub/deep/x.txt"),
    "inner folder to link": (swap_inner_folder, "sub/deep/x.txt"),
    "renamed over": (rename_over, "notes.txt"),
    "FIFO": (fifo_instead, "notes.txt"),
}


@pytest.mark.parametrize("case", list(SWAPS), ids=list(SWAPS))
def test_a_swapped_file_is_never_read(case: str, skill: Path, secret: Path, platform: None) -> None:
    swap, relpath = SWAPS[case]
    file = scanned(skill, relpath)
    swap(skill, secret)
    with pytest.raises(ChangedFile) as raised:
        read(file)
    assert str(raised.value) == (
        f"{relpath} was replaced after it was validated (by a symlink or another file, or a folder on its path "
        "was); nothing was read through it."
    )


def test_the_skill_folder_swapped_for_a_link_is_refused(skill: Path, secret: Path) -> None:
    file = scanned(skill, "notes.txt")
    shutil.rmtree(skill)
    skill.symlink_to(secret, target_is_directory=True)
    with pytest.raises(ChangedFile):
        read(file)


def test_unchanged_files_and_in_folder_links_read_as_validated(skill: Path, platform: None) -> None:
    (skill / "alias.txt").symlink_to("sub/deep/x.txt")
    (skill / "sub" / "up.txt").symlink_to("../notes.txt")
    files = {f.relpath: f for f in scan_folder(skill).files}
    assert files["alias.txt"].real == "sub/deep/x.txt" and files["sub/up.txt"].real == "notes.txt"
    assert read(files["alias.txt"]) == b"deep one\n" and read(files["sub/up.txt"]) == b"innocent!\n"
    assert read(files["sub/deep/x.txt"]) == b"deep one\n"


def test_one_opener_reads_many_files_in_order_and_closes_its_folders(skill: Path) -> None:
    files = scan_folder(skill).files
    before = len(os.listdir("/proc/self/fd"))
    opener = Opener(files[0].root)
    for file in files:
        fd = opener.open(file.relpath, file.real, file.identity)
        os.close(fd)
    assert len(os.listdir("/proc/self/fd")) > before  # the folders on the current path stay open
    opener.close()
    assert len(os.listdir("/proc/self/fd")) == before
