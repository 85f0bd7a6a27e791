"""What is left out of an upload and why: the built-in rules and the folder's .skillignore."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills_mcp.ignore import IgnoreRules

VCS = "version-control data"
CACHE = "Python cache"
CLUTTER = "OS clutter"
DEPENDENCIES = "dependency folder"
SECRET = "secret-looking file"
CONFIG = "publishing config, not skill content"


@pytest.mark.parametrize(
    ("relpath", "is_dir", "reason"),
    [
        pytest.param(".git", True, VCS, id="git-dir"),
        pytest.param(".git", False, VCS, id="git-file-worktree"),
        pytest.param("vendor/lib/.git", True, VCS, id="nested-git-dir"),
        pytest.param(".hg", True, VCS, id="hg"),
        pytest.param(".svn", True, VCS, id="svn"),
        pytest.param("__pycache__", True, CACHE, id="pycache"),
        pytest.param("scripts/__pycache__", True, CACHE, id="nested-pycache"),
        pytest.param("helper.pyc", False, CACHE, id="pyc"),
        pytest.param("scripts/lib/helper.pyc", False, CACHE, id="nested-pyc"),
        pytest.param(".DS_Store", False, CLUTTER, id="ds-store"),
        pytest.param("assets/Thumbs.db", False, CLUTTER, id="thumbs-db"),
        pytest.param("node_modules", True, DEPENDENCIES, id="node-modules"),
        pytest.param("web/node_modules", True, DEPENDENCIES, id="nested-node-modules"),
        pytest.param(".venv", True, DEPENDENCIES, id="dot-venv"),
        pytest.param("venv", True, DEPENDENCIES, id="venv"),
        pytest.param(".env", False, SECRET, id="dotenv"),
        pytest.param(".env.local", False, SECRET, id="dotenv-local"),
        pytest.param("config/.env", False, SECRET, id="nested-dotenv"),
        pytest.param("certs/server.pem", False, SECRET, id="pem"),
        pytest.param("tls.key", False, SECRET, id="key"),
        pytest.param("id_rsa", False, SECRET, id="id-rsa"),
        pytest.param("keys/id_ed25519", False, SECRET, id="id-ed25519"),
        pytest.param(".skillignore", False, CONFIG, id="root-skillignore"),
    ],
)
def test_built_in_rules(relpath: str, is_dir: bool, reason: str) -> None:
    assert IgnoreRules().reason(relpath, is_dir=is_dir) == reason


@pytest.mark.parametrize(
    ("relpath", "is_dir"),
    [
        pytest.param("SKILL.md", False, id="skill-md"),
        pytest.param("scripts/fill_form.py", False, id="script"),
        pytest.param("reference", True, id="plain-dir"),
        pytest.param("sub/.skillignore", False, id="nested-skillignore-is-content"),
        pytest.param("venv", False, id="file-named-venv"),
        pytest.param("node_modules", False, id="file-named-node-modules"),
        pytest.param("__pycache__", False, id="file-named-pycache"),
        pytest.param("environment.md", False, id="env-prefix-word"),
        pytest.param("docs/keys.md", False, id="key-in-name"),
        pytest.param("my.gitignore", False, id="git-in-name"),
    ],
)
def test_ordinary_paths_are_kept(relpath: str, is_dir: bool) -> None:
    assert IgnoreRules().reason(relpath, is_dir=is_dir) is None


def test_files_inside_a_left_out_folder_are_left_out() -> None:
    assert IgnoreRules().reason("node_modules/pkg/index.js") == DEPENDENCIES


USER_LINES = [
    "# build output",  # 1
    "",  # 2
    "*.log",  # 3
    "   ",  # 4
    "!.env.example",  # 5
    "build/",  # 6
    "/drafts",  # 7
]


@pytest.mark.parametrize(
    ("relpath", "is_dir", "reason"),
    [
        pytest.param("debug.log", False, ".skillignore line 3: *.log", id="glob"),
        pytest.param("logs/today.log", False, ".skillignore line 3: *.log", id="glob-nested"),
        pytest.param("build", True, ".skillignore line 6: build/", id="dir-only"),
        pytest.param("build", False, None, id="dir-only-skips-files"),
        pytest.param("drafts", True, ".skillignore line 7: /drafts", id="anchored"),
        pytest.param("docs/drafts", True, None, id="anchored-not-nested"),
        pytest.param(".env.example", False, None, id="negation-re-includes-a-built-in"),
        pytest.param(".env", False, SECRET, id="negation-is-specific"),
        pytest.param("# build output", False, None, id="comment-is-not-a-pattern"),
        pytest.param("SKILL.md", False, None, id="unmatched"),
    ],
)
def test_skillignore_lines(relpath: str, is_dir: bool, reason: str | None) -> None:
    assert IgnoreRules(USER_LINES).reason(relpath, is_dir=is_dir) == reason


def test_last_matching_line_wins() -> None:
    rules = IgnoreRules(["*.md", "!README.md", "docs/*.md"])
    assert rules.reason("notes.md") == ".skillignore line 1: *.md"
    assert rules.reason("README.md") is None
    assert rules.reason("docs/README.md") == ".skillignore line 3: docs/*.md"


def test_user_line_overrides_built_in_reason() -> None:
    """A user's pattern matching a built-in path reports the user's line (the last match)."""
    assert IgnoreRules(["*.pem"]).reason("cert.pem") == ".skillignore line 1: *.pem"


def test_for_folder_reads_the_root_skillignore(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").write_bytes(b"# drafts\r\n\r\n*.tmp\r\n!.env.example\r\n")
    rules = IgnoreRules.for_folder(tmp_path)
    assert rules.reason("scratch.tmp") == ".skillignore line 3: *.tmp"
    assert rules.reason(".env.example") is None
    assert rules.reason(".skillignore") == CONFIG


def test_for_folder_without_skillignore_uses_only_built_ins(tmp_path: Path) -> None:
    rules = IgnoreRules.for_folder(tmp_path)
    assert rules.reason("scratch.tmp") is None
    assert rules.reason(".env.example") == SECRET


def test_for_folder_ignores_a_skillignore_directory(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").mkdir()
    assert IgnoreRules.for_folder(tmp_path).reason("scratch.tmp") is None


def test_for_folder_tolerates_non_utf8(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").write_bytes(b"caf\xe9/\n*.tmp\n")
    assert IgnoreRules.for_folder(tmp_path).reason("a.tmp") == ".skillignore line 2: *.tmp"


SAMPLE_LINES = ["*.log", "!keep.log", "build/", "/top.txt", "docs/**/*.md", "!docs/README.md", "a?c", "[ab]*.tmp",
                "**/cache", ".env.*", "!.env.example", "x/y/"]  # fmt: skip
SEGMENTS = ["a", "abc", "b.tmp", "build", "cache", "docs", "README.md", "keep.log", "x.log", "top.txt", "y", "x",
            ".env", ".env.local", ".env.example", ".git", "node_modules", "id_rsa", "k.pem", "__pycache__",
            "m.pyc"]  # fmt: skip


@given(
    st.lists(st.sampled_from(SAMPLE_LINES), max_size=6),
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4),
    st.booleans(),
)
def test_the_fast_precheck_never_changes_an_answer(lines: list[str], segments: list[str], is_dir: bool) -> None:
    rules = IgnoreRules(lines)
    path = "/".join(segments)
    exact = rules._spec.check_file(path + "/" if is_dir else path)  # the spec alone, no precheck
    expected = rules._reasons[exact.index] if exact.include and exact.index is not None else None
    assert rules.reason(path, is_dir=is_dir) == expected
