"""What is left out of an upload and why: the built-in rules and the folder's .skillignore."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills_mcp.limits import MAX_SKILLIGNORE_BYTES
from skills_mcp.skill.ignore import IgnoreRules

VCS = "version-control data"
CACHE = "Python cache"
CLUTTER = "OS clutter"
DEPENDENCIES = "dependency folder"
SECRET = "secret-looking file"
CONFIG = "publishing config, not skill content"
EVALS = "evaluation fixtures (skill-creator leaves a root evals/ out too)"


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
        # Issue 11 §4: common credential files, at any depth, in any case.
        pytest.param(".aws", True, SECRET, id="aws-dir"),
        pytest.param("home/.aws/credentials", False, SECRET, id="aws-credentials"),
        pytest.param(".ssh", True, SECRET, id="ssh-dir"),
        pytest.param("x/.ssh/authorized_keys", False, SECRET, id="ssh-inside"),
        pytest.param(".gnupg", True, SECRET, id="gnupg"),
        pytest.param(".docker/config.json", False, SECRET, id="docker-config"),
        pytest.param("home/.docker/config.json", False, SECRET, id="nested-docker-config"),
        pytest.param(".kube/config", False, SECRET, id="kube-config"),
        pytest.param("ops/.kube/config", False, SECRET, id="nested-kube-config"),
        pytest.param(".git-credentials", False, SECRET, id="git-credentials"),
        pytest.param(".envrc", False, SECRET, id="envrc"),
        pytest.param("prod.env", False, SECRET, id="star-env"),
        pytest.param("deploy/staging.env", False, SECRET, id="nested-star-env"),
        pytest.param("credentials.json", False, SECRET, id="credentials-json"),
        pytest.param("gcp/credentials.json", False, SECRET, id="nested-credentials-json"),
        pytest.param(".pgpass", False, SECRET, id="pgpass"),
        pytest.param("web/.htpasswd", False, SECRET, id="htpasswd"),
        pytest.param("app.jks", False, SECRET, id="jks"),
        pytest.param("release.keystore", False, SECRET, id="keystore"),
        pytest.param("vault.kdbx", False, SECRET, id="kdbx"),
        pytest.param(".ENV", False, SECRET, id="upper-env"),
        pytest.param(".Env.Local", False, SECRET, id="mixed-env-local"),
        pytest.param("ID_RSA", False, SECRET, id="upper-id-rsa"),
        pytest.param("certs/server.KEY", False, SECRET, id="upper-key"),
        pytest.param("Prod.ENV", False, SECRET, id="upper-star-env"),
        pytest.param(".SSH", True, SECRET, id="upper-ssh"),
        pytest.param("Credentials.JSON", False, SECRET, id="mixed-credentials-json"),
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
        pytest.param("docker/config.json", False, id="config-json-not-docker"),
        pytest.param("kube/config", False, id="config-not-kube"),
        pytest.param("docs/env.md", False, id="env-word"),
        pytest.param(".aws", False, id="file-named-aws"),
    ],
)
def test_ordinary_paths_are_kept(relpath: str, is_dir: bool) -> None:
    assert IgnoreRules().reason(relpath, is_dir=is_dir) is None


def test_a_root_evals_folder_is_left_out_with_its_own_reason() -> None:
    rules = IgnoreRules()
    assert rules.reason("evals", is_dir=True) == EVALS
    assert rules.reason("evals/evals.json") == EVALS
    assert rules.reason("docs/evals", is_dir=True) is None  # only skill-creator's root folder
    assert rules.reason("docs/evals/case.json") is None
    assert rules.reason("evals", is_dir=False) is None  # a file named evals is content
    assert rules.reason("evals.md") is None


def test_skillignore_can_re_include_evals() -> None:
    rules = IgnoreRules(["!evals/"])
    assert rules.reason("evals", is_dir=True) is None
    assert rules.reason("evals/evals.json") is None


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


@pytest.mark.parametrize(
    ("relpath", "is_dir", "line"),
    [(".ENV", False, "!.ENV"), (".aws", True, "!.aws/"), ("credentials.json", False, "!credentials.json"),
     ("server.KEY", False, "!*.KEY"), (".kube/config", False, "!.kube/config"), ("prod.env", False, "!prod.env")],
)  # fmt: skip
def test_skillignore_can_re_include_any_secret_default(relpath: str, is_dir: bool, line: str) -> None:
    assert IgnoreRules().reason(relpath, is_dir=is_dir) == SECRET
    assert IgnoreRules([line]).reason(relpath, is_dir=is_dir) is None


def test_user_line_overrides_built_in_reason() -> None:
    """A user's pattern matching a built-in path reports the user's line (the last match)."""
    assert IgnoreRules(["*.pem"]).reason("cert.pem") == ".skillignore line 1: *.pem"


def test_for_folder_reads_the_root_skillignore(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").write_bytes(b"# drafts\r\n\r\n*.tmp\r\n!.env.example\r\n")
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert problems == []
    assert rules.reason("scratch.tmp") == ".skillignore line 3: *.tmp"
    assert rules.reason(".env.example") is None
    assert rules.reason(".skillignore") == CONFIG


def test_for_folder_without_skillignore_uses_only_built_ins(tmp_path: Path) -> None:
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert rules.reason("scratch.tmp") is None and problems == []
    assert rules.reason(".env.example") == SECRET


def test_for_folder_ignores_a_skillignore_directory(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").mkdir()
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert rules.reason("scratch.tmp") is None and problems == []


def test_a_non_utf8_skillignore_is_a_problem_naming_the_line(tmp_path: Path) -> None:
    """Issue 10 §6: it used to be read with replacement characters, and its patterns silently changed."""
    (tmp_path / ".skillignore").write_bytes(b"*.tmp\ncaf\xe9/\n")
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert [str(p) for p in problems] == [".skillignore: is not valid UTF-8 (line 2). Fix: save it as UTF-8."]
    assert rules.reason("a.tmp") is None  # none of its lines is used


def test_an_oversized_skillignore_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with (tmp_path / ".skillignore").open("wb") as f:
        f.truncate(MAX_SKILLIGNORE_BYTES + 1)  # sparse; NUL bytes would not decode either
    _, problems = IgnoreRules.for_folder(tmp_path)
    assert [(p.where, p.message) for p in problems] == [
        (".skillignore", f"is {MAX_SKILLIGNORE_BYTES + 1:,} bytes; the limit is {MAX_SKILLIGNORE_BYTES:,}.")
    ]


def test_a_skillignore_at_the_cap_is_read(tmp_path: Path) -> None:
    (tmp_path / ".skillignore").write_bytes(b"*.tmp\n" + b"#" * (MAX_SKILLIGNORE_BYTES - 7) + b"\n")
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert problems == [] and rules.reason("a.tmp") == ".skillignore line 1: *.tmp"


def test_a_skillignore_fifo_is_never_opened_for_long(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".skillignore")  # a blocking open would hang here: no writer ever comes
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert problems == [] and rules.reason("a.tmp") is None


def test_a_symlinked_skillignore_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("*.tmp\n")
    (tmp_path / ".skillignore").symlink_to(tmp_path / "elsewhere")
    rules, problems = IgnoreRules.for_folder(tmp_path)
    assert problems == [] and rules.reason("a.tmp") is None


# Issue 11 §6: `*a*a*a*a*a*a*a*a*a*ab` took 30 s for three long names, ~13x more per `*a`.
@pytest.mark.parametrize(
    "line",
    ["*a*a*a*a*a*a*a*a*a*ab", "*a*a*b", "a/*a*a*b/c", "*a/*b/*c/*d/*e", "**/*a*/**/*b*/x", "docs/***a***b***c"],
)
def test_a_pattern_with_too_many_wildcards_is_refused_with_the_rule(line: str) -> None:
    rules = IgnoreRules(["*.tmp", line])
    assert [(p.where, p.message) for p in rules.problems] == [
        (".skillignore line 2", f"{line!r} has too many '*' wildcards to match safely; it is not used.")
    ]
    assert "at most 2 '*' between two slashes and 4 in a line" in rules.problems[0].fix
    assert rules.reason("a" * 255) is None  # the refused line is not matched at all
    assert rules.reason("x.tmp") == ".skillignore line 1: *.tmp"


@pytest.mark.parametrize("line", ["*.test.*", "**/build/*", "docs/**/*.md", "**/a*b/**/*.py", "***x**"])
def test_patterns_within_the_wildcard_rule_are_kept(line: str) -> None:
    assert IgnoreRules([line]).problems == []


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
