"""Walking a skill folder: what is uploaded, what is left out and why, and what cannot be read."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from skill_factory import make_skill

from skills_mcp.skill.folder import scan_folder
from skills_mcp.skill.parts import FolderScan, Skipped


def relpaths(scan: FolderScan) -> list[str]:
    return [f.relpath for f in scan.files]


def skipped(scan: FolderScan) -> list[tuple[str, str]]:
    return [(s.relpath, s.reason) for s in scan.skipped]


def problems(scan: FolderScan) -> list[str]:
    return [str(p) for p in scan.problems]


def scan_in_thread(root: Path, timeout: float = 10.0) -> FolderScan:
    """Scan on a daemon thread, so a scan that blocks (say, opening a FIFO) fails the test instead of hanging it."""
    result: list[FolderScan] = []
    thread = threading.Thread(target=lambda: result.append(scan_folder(root)), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"scan_folder({root}) did not finish within {timeout} s"
    return result[0]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the skill, with a file and a sub-folder."""
    path = tmp_path / "outside"
    (path / "dir").mkdir(parents=True)
    (path / "secret.txt").write_text("not for upload")
    (path / "dir" / "inner.txt").write_text("also not")
    return path.resolve()


def test_files_sorted_with_nested_folders_and_sizes(tmp_path: Path) -> None:
    root = make_skill(
        tmp_path,
        files={
            "scripts/fill.py": "print('fill')\n",
            "reference/forms/w9.md": b"x" * 10,
            "reference/a.md": b"",
            "z.txt": "z",
            "a-b/c.txt": "c",
        },
    )
    scan = scan_folder(root)
    assert relpaths(scan) == [
        "SKILL.md",
        "a-b/c.txt",
        "reference/a.md",
        "reference/forms/w9.md",
        "scripts/fill.py",
        "z.txt",
    ]
    sizes = {f.relpath: f.size for f in scan.files}
    assert sizes["reference/forms/w9.md"] == 10
    assert sizes["reference/a.md"] == 0
    assert scan.total_bytes == sum((root / r).stat().st_size for r in relpaths(scan))
    assert all(f.path == str(root / f.relpath) for f in scan.files)
    assert scan.skipped == []
    assert scan.problems == []
    assert scan.root == root


def test_empty_folder(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    scan = scan_folder(root)
    assert (scan.files, scan.skipped, scan.problems, scan.total_bytes) == ([], [], [], 0)


def test_left_out_entries_are_listed_with_their_reasons(tmp_path: Path) -> None:
    root = make_skill(
        tmp_path,
        files={
            ".git/HEAD": "ref: refs/heads/main\n",
            "scripts/__pycache__/fill.cpython-311.pyc": b"\x00",
            "scripts/fill.py": "",
            "scripts/old.pyc": b"\x00",
            ".DS_Store": b"\x00",
            "node_modules/pkg/index.js": "",
            ".env": "API_KEY=x\n",
            ".env.example": "API_KEY=\n",
            "drafts/todo.md": "",
            "notes.log": "",
            ".skillignore": "# mine\ndrafts/\n*.log\n!.env.example\n",
        },
    )
    scan = scan_folder(root)
    assert relpaths(scan) == [".env.example", "SKILL.md", "scripts/fill.py"]
    assert skipped(scan) == [
        (".DS_Store", "OS clutter"),
        (".env", "secret-looking file"),
        (".git/", "version-control data"),
        (".skillignore", "publishing config, not skill content"),
        ("drafts/", ".skillignore line 2: drafts/"),
        ("node_modules/", "dependency folder"),
        ("notes.log", ".skillignore line 3: *.log"),
        ("scripts/__pycache__/", "Python cache"),
        ("scripts/old.pyc", "Python cache"),
    ]
    assert scan.problems == []


def test_left_out_folders_are_not_descended(tmp_path: Path) -> None:
    """Anything inside a left-out folder, even a broken link, is neither listed nor reported."""
    root = make_skill(tmp_path, files={"node_modules/pkg/index.js": "", ".venv/lib/x.py": "", "cache/a": ""})
    (root / "node_modules" / "broken").symlink_to(root / "node_modules" / "missing")
    (root / ".skillignore").write_text("cache/\n")
    os.symlink("/nonexistent/outside", root / "cache" / "link")
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert [s.relpath for s in scan.skipped] == [".skillignore", ".venv/", "cache/", "node_modules/"]
    assert scan.problems == []


def test_left_out_folders_are_never_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_skill(tmp_path, files={"node_modules/pkg/index.js": "", "scripts/a.py": ""})
    listed: list[str] = []
    real_scandir = os.scandir

    def spy(path: str) -> object:
        listed.append(os.path.relpath(path, root))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)  # the os module skills_mcp.skill.folder uses
    scan_folder(root)
    assert sorted(listed) == [".", "scripts"]


def test_virtualenv_folder_is_skipped_by_its_pyvenv_cfg(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"tools/env/pyvenv.cfg": "home = /usr/bin\n", "tools/env/lib/x.py": ""})
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert skipped(scan) == [("tools/env/", "Python virtualenv")]


def test_symlink_to_a_file_inside_is_read_through(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"data/v2.csv": "a,b\n1,2\n"})
    (root / "latest.csv").symlink_to("data/v2.csv")
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md", "data/v2.csv", "latest.csv"]
    [link] = [f for f in scan.files if f.relpath == "latest.csv"]
    assert link.size == len(b"a,b\n1,2\n")
    assert Path(link.path).read_bytes() == b"a,b\n1,2\n"
    assert scan.problems == []


def test_symlink_to_a_folder_inside_is_walked_once_under_the_real_name(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"scripts/run.py": ""})
    (root / "alias").symlink_to("scripts", target_is_directory=True)
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md", "scripts/run.py"]
    assert skipped(scan) == [("alias/", "symlink to a folder already included")]


def test_symlink_cannot_smuggle_in_a_left_out_file(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={".env": "KEY=1\n", "node_modules/x.js": ""})
    (root / "config").symlink_to(".env")
    (root / "deps").symlink_to("node_modules", target_is_directory=True)
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert ("config", "link to .env: secret-looking file") in skipped(scan)
    assert ("deps/", "link to node_modules: dependency folder") in skipped(scan)


def test_real_folder_wins_over_a_symlink_to_it(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"a/scripts/run.py": "print()\n"})
    (root / "link").symlink_to("a/scripts", target_is_directory=True)
    scan = scan_folder(root)
    assert "a/scripts/run.py" in relpaths(scan)
    assert ("a/scripts/", "symlink to a folder already included") not in skipped(scan)


@pytest.mark.parametrize("is_dir", [False, True], ids=["file", "folder"])
def test_symlink_outside_is_a_problem_and_not_followed(tmp_path: Path, outside: Path, is_dir: bool) -> None:
    root = make_skill(tmp_path)
    target = outside / "dir" if is_dir else outside / "secret.txt"
    (root / "shared").symlink_to(target, target_is_directory=is_dir)
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert problems(scan) == [
        f"shared: is a symlink to {target}, outside the skill folder; it is not followed. "
        "Fix: replace the link with a copy of what it points to, or list it in .skillignore."
    ]


def test_relative_symlink_escaping_with_dotdot_is_outside(tmp_path: Path, outside: Path) -> None:
    root = make_skill(tmp_path, files={"sub/keep.txt": ""})
    (root / "sub" / "up").symlink_to("../../outside/secret.txt")
    scan = scan_folder(root)
    assert [p.where for p in scan.problems] == ["sub/up"]
    assert str(outside / "secret.txt") in scan.problems[0].message


def test_symlink_outside_listed_in_skillignore_is_only_skipped(tmp_path: Path, outside: Path) -> None:
    root = make_skill(tmp_path, files={".skillignore": "shared\n"})
    (root / "shared").symlink_to(outside / "secret.txt")
    scan = scan_folder(root)
    assert scan.problems == []
    assert ("shared", ".skillignore line 1: shared") in skipped(scan)


def test_broken_symlink_is_a_problem(tmp_path: Path) -> None:
    root = make_skill(tmp_path)
    (root / "gone.txt").symlink_to("missing.txt")
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert problems(scan) == ["gone.txt: is a broken symlink. Fix: remove it, or list it in .skillignore."]


@pytest.mark.parametrize(
    "make_loop",
    [
        pytest.param(lambda root: (root / "self").symlink_to("self"), id="link-to-itself"),
        pytest.param(lambda root: ((root / "a").symlink_to("b"), (root / "b").symlink_to("a")), id="two-links"),
        pytest.param(
            lambda root: (root / "sub" / "up").symlink_to("..", target_is_directory=True), id="link-to-parent"
        ),
        pytest.param(
            lambda root: (root / "sub" / "here").symlink_to(".", target_is_directory=True), id="link-to-own-folder"
        ),
    ],
)
def test_symlink_loops_do_not_hang(tmp_path: Path, make_loop: Callable[[Path], object]) -> None:
    root = make_skill(tmp_path, files={"sub/x.txt": "x"})
    make_loop(root)
    scan = scan_in_thread(root)
    assert relpaths(scan) == ["SKILL.md", "sub/x.txt"]


def test_symlink_to_parent_is_reported_as_already_included(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"sub/x.txt": "x"})
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)
    scan = scan_in_thread(root)
    assert skipped(scan) == [("sub/up/", "symlink to a folder already included")]
    assert scan.problems == []


def test_self_loop_is_reported_as_broken(tmp_path: Path) -> None:
    root = make_skill(tmp_path)
    (root / "self").symlink_to("self")
    scan = scan_in_thread(root)
    assert [p.where for p in scan.problems] == ["self"]


def test_fifo_is_skipped_and_never_opened(tmp_path: Path) -> None:
    root = make_skill(tmp_path)
    os.mkfifo(root / "pipe")
    scan = scan_in_thread(root)  # opening a FIFO with no writer blocks forever
    assert relpaths(scan) == ["SKILL.md"]
    assert skipped(scan) == [("pipe", "not a regular file (FIFO, socket or device); never opened")]
    assert scan.problems == []


def test_symlink_to_a_fifo_inside_is_skipped(tmp_path: Path) -> None:
    root = make_skill(tmp_path)
    os.mkfifo(root / "pipe")
    (root / "to-pipe").symlink_to("pipe")
    scan = scan_in_thread(root)
    assert [s.relpath for s in scan.skipped] == ["pipe", "to-pipe"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions")
def test_unreadable_subfolder_is_a_problem(tmp_path: Path) -> None:
    root = make_skill(tmp_path, files={"locked/inner.txt": "x", "open/ok.txt": "y"})
    (root / "locked").chmod(0)
    try:
        scan = scan_folder(root)
    finally:
        (root / "locked").chmod(0o755)
    assert relpaths(scan) == ["SKILL.md", "open/ok.txt"]
    assert problems(scan) == [
        "locked: cannot be read: permission denied. Fix: grant read access, or list it in .skillignore."
    ]


def test_unreadable_subfolder_is_a_problem_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above without chmod, so it also runs as root."""
    root = make_skill(tmp_path, files={"locked/deeper/inner.txt": "x", "open/ok.txt": "y"})
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if Path(path).name == "deeper":
            raise PermissionError(13, "Permission denied", path)
        if Path(path).name == "open":
            raise OSError(5, "Input/output error", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_folder(root)
    assert relpaths(scan) == ["SKILL.md"]
    assert problems(scan) == [
        "locked/deeper: cannot be read: permission denied. Fix: grant read access, or list it in .skillignore.",
        "open: cannot be read: Input/output error. Fix: fix it, or list it in .skillignore.",
    ]


def test_unreadable_root_is_a_problem_at_dot(tmp_path: Path) -> None:
    scan = scan_folder(tmp_path / "missing")
    assert [(p.where, p.message) for p in scan.problems] == [(".", "cannot be read: No such file or directory.")]


def test_a_left_out_name_wins_over_a_problem(tmp_path: Path) -> None:
    """A broken link named like a secret is left out, not reported."""
    root = make_skill(tmp_path)
    (root / ".env").symlink_to("/nonexistent/.env")
    scan = scan_folder(root)
    assert scan.skipped == [Skipped(".env", "secret-looking file")]
    assert scan.problems == []


def test_a_root_evals_folder_is_left_out_and_a_nested_one_kept(tmp_path: Path) -> None:
    """skill-creator's test prompts live in a root evals/; its package_skill.py leaves them out, and so do we."""
    files = {"evals/evals.json": "[]", "evals/files/in.pdf": b"%PDF", "docs/evals/case.md": "kept"}
    scan = scan_folder(make_skill(tmp_path, files=files))
    assert relpaths(scan) == ["SKILL.md", "docs/evals/case.md"]
    assert skipped(scan) == [("evals/", "evaluation fixtures (skill-creator leaves a root evals/ out too)")]


def test_skillignore_can_re_include_evals(tmp_path: Path) -> None:
    scan = scan_folder(make_skill(tmp_path, files={".skillignore": "!evals/\n", "evals/evals.json": "[]"}))
    assert relpaths(scan) == ["SKILL.md", "evals/evals.json"]
