"""Everything checked before a request is sent: the skill id, the folder's location, SKILL.md, contents, size."""

from __future__ import annotations

import os
from pathlib import Path

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from skill_factory import make_skill

from skills_mcp.limits import MAX_FILES, MAX_SKILL_MD_BYTES, MAX_UPLOAD_BYTES
from skills_mcp.skill import validation
from skills_mcp.skill.folder import scan_folder
from skills_mcp.skill.paths import display_name, resolve_allowed, wire_name_problem
from skills_mcp.skill.validation import SkillCheck, check_folder
from skills_mcp.workflows.inputs import check_skill_id


def texts(check: SkillCheck) -> list[str]:
    return [str(p) for p in check.problems]


def sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space and no time to write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.truncate(size)


@pytest.fixture
def skills(tmp_path: Path) -> Path:
    """The one allowed folder."""
    path = (tmp_path / "skills").resolve()
    path.mkdir()
    return path


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder outside the allowed one, holding a valid skill."""
    path = (tmp_path / "elsewhere").resolve()
    make_skill(path, "pdf-tools")
    return path


@pytest.fixture
def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the folder is walked."""

    def scan_folder(root: Path) -> None:
        pytest.fail(f"scan_folder({root}) was called")

    monkeypatch.setattr(validation, "scan_folder", scan_folder)


# ---------------------------------------------------------------------------------------- skill ids


def test_normal_skill_id_passes() -> None:
    assert check_skill_id("skill_01AbCdEfGh") == []


@pytest.mark.parametrize(
    ("skill_id", "message"),
    [
        pytest.param("", "is empty.", id="empty"),
        pytest.param("skill/01", "'skill/01' contains '/' or '..'.", id="slash"),
        pytest.param("/", "'/' contains '/' or '..'.", id="only-slash"),
        pytest.param("..", "'..' contains '/' or '..'.", id="dotdot"),
        pytest.param("skill..01", "'skill..01' contains '/' or '..'.", id="dotdot-inside"),
        pytest.param("skill 01", "'skill 01' contains whitespace or control characters.", id="space"),
        pytest.param(" skill_01", "' skill_01' contains whitespace or control characters.", id="leading-space"),
        pytest.param("skill_01\n", "'skill_01\\n' contains whitespace or control characters.", id="newline"),
        pytest.param("skill\t01", "'skill\\t01' contains whitespace or control characters.", id="tab"),
        pytest.param("skill\x0001", "'skill\\x0001' contains whitespace or control characters.", id="nul"),
        pytest.param("skill\x1b01", "'skill\\x1b01' contains whitespace or control characters.", id="escape"),
        pytest.param("skill\x7f", "'skill\\x7f' contains whitespace or control characters.", id="delete"),
        pytest.param("skill\u00a001", "'skill\\xa001' contains whitespace or control characters.", id="nbsp"),
    ],
)
def test_bad_skill_ids(skill_id: str, message: str) -> None:
    problems = check_skill_id(skill_id)
    assert [(p.where, p.message) for p in problems] == [("skill_id", message)]
    assert problems[0].fix == "pass the id exactly as the API returned it, e.g. skill_01AbCdEf..."


def test_skill_id_reports_both_problems_and_uses_where() -> None:
    problems = check_skill_id("a/b c", where="source_id")
    assert [str(p).split(" Fix:")[0] for p in problems] == [
        "source_id: 'a/b c' contains '/' or '..'.",
        "source_id: 'a/b c' contains whitespace or control characters.",
    ]


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=64))
def test_property_word_character_ids_pass(skill_id: str) -> None:
    assert check_skill_id(skill_id) == []


def test_single_dot_skill_id_is_refused() -> None:
    assert check_skill_id(".") != []


# ------------------------------------------------------------------------------------ display_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        pytest.param("/home/me/skills/pdf-tools", "pdf-tools", id="plain"),
        pytest.param("/home/me/skills/pdf-tools/", "pdf-tools", id="trailing-slash"),
        pytest.param("  /home/me/skills/pdf-tools  ", "pdf-tools", id="surrounding-spaces"),
        pytest.param("/home/me/skills/./pdf-tools/.", "pdf-tools", id="dot-segments"),
        pytest.param("/home/me/skills/pdf-tools/scripts/..", "pdf-tools", id="dotdot"),
        pytest.param("~/skills/pdf-tools", "pdf-tools", id="tilde"),
    ],
)
def test_display_name(raw: str, name: str) -> None:
    assert display_name(raw) == name


# --------------------------------------------------------------------------------- resolve_allowed


def test_resolve_allowed_accepts_the_allowed_folder_and_below(skills: Path) -> None:
    (skills / "a" / "b").mkdir(parents=True)
    assert resolve_allowed(str(skills), [skills]) == (skills, [])
    assert resolve_allowed(f"{skills}/a/b/", [skills]) == (skills / "a" / "b", [])


def test_resolve_allowed_is_not_fooled_by_a_common_prefix(tmp_path: Path, skills: Path) -> None:
    evil = tmp_path.resolve() / "skills-evil"
    evil.mkdir()
    root, problems = resolve_allowed(str(evil), [skills])
    assert root is None
    assert [p.message for p in problems] == [f"{evil} is outside the folders this server may read ({skills})."]


def test_resolve_allowed_with_no_allowed_folders(skills: Path) -> None:
    _, problems = resolve_allowed(str(skills), [])
    assert problems[0].message == f"{skills} is outside the folders this server may read (none)."


def test_resolve_allowed_uses_where(skills: Path) -> None:
    _, problems = resolve_allowed("", [skills], where="folder")
    assert [p.where for p in problems] == ["folder"]


# ------------------------------------------------------------------------------- folder: location


def test_path_outside_is_refused_naming_the_allowed_folders_and_never_scanned(
    tmp_path: Path, skills: Path, elsewhere: Path, no_scan: None
) -> None:
    other_allowed = (tmp_path / "more").resolve()
    other_allowed.mkdir()
    check = check_folder(str(elsewhere / "pdf-tools"), [skills, other_allowed])
    assert (check.root, check.scan, check.frontmatter, check.ok) == (None, None, None, False)
    assert texts(check) == [
        f"path: {elsewhere / 'pdf-tools'} is outside the folders this server may read ({skills}, {other_allowed}). "
        "Fix: use a folder under one of them (move the skill there), "
        "or start the server with --allow-dir for its folder."
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("", "is empty.", id="empty"),
        pytest.param("   ", "is empty.", id="blank"),
        pytest.param(
            "skills/pdf-tools",
            "'skills/pdf-tools' is relative; the server's working folder is not yours.",
            id="relative",
        ),
        pytest.param(
            "./pdf-tools", "'./pdf-tools' is relative; the server's working folder is not yours.", id="dot-relative"
        ),
        pytest.param("pdf-tools\x00/x", "contains a NUL character.", id="nul"),
    ],
)
def test_unusable_paths_are_refused(raw: str, message: str, skills: Path, no_scan: None) -> None:
    check = check_folder(raw, [skills])
    assert [(p.where, p.message) for p in check.problems] == [("path", message)]
    assert check.root is None


def test_relative_path_fix_suggests_absolute_or_tilde(skills: Path) -> None:
    [problem] = check_folder("pdf-tools", [skills]).problems
    assert problem.fix == "pass an absolute path or one starting with ~, e.g. ~/skills/my-skill."


def test_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = (tmp_path / "home").resolve()
    root = make_skill(home / "skills", "pdf-tools")
    monkeypatch.setenv("HOME", str(home))
    check = check_folder("~/skills/pdf-tools", [home / "skills"])
    assert check.problems == []
    assert (check.root, check.folder_name) == (root, "pdf-tools")


def test_tilde_of_an_unknown_user_is_a_problem(skills: Path) -> None:
    check = check_folder("~no-such-user-skills-mcp-test/pdf-tools", [skills])
    assert [p.where for p in check.problems] == ["path"]


def test_dotdot_escaping_the_allowed_folder_is_refused(skills: Path, elsewhere: Path, no_scan: None) -> None:
    make_skill(skills, "pdf-tools")
    check = check_folder(f"{skills}/pdf-tools/../../elsewhere/pdf-tools", [skills])
    assert [p.message for p in check.problems] == [
        f"{elsewhere / 'pdf-tools'} is outside the folders this server may read ({skills})."
    ]


def test_dotdot_staying_inside_is_fine(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    check = check_folder(f"{skills}/pdf-tools/scripts/../", [skills])
    assert check.root == root
    assert check.folder_name == "pdf-tools"


def test_symlinked_folder_pointing_outside_is_refused(skills: Path, elsewhere: Path, no_scan: None) -> None:
    (skills / "pdf-tools").symlink_to(elsewhere / "pdf-tools", target_is_directory=True)
    check = check_folder(str(skills / "pdf-tools"), [skills])
    assert [p.message for p in check.problems] == [
        f"{elsewhere / 'pdf-tools'} is outside the folders this server may read ({skills})."
    ]


def test_symlinked_folder_inside_is_named_after_the_link(skills: Path) -> None:
    """The SDK names uploads after the path as written, so SKILL.md's name must match the link's name."""
    root = make_skill(skills, "pdf-tools")
    (skills / "pdf").symlink_to(root, target_is_directory=True)
    check = check_folder(str(skills / "pdf"), [skills])
    assert (check.root, check.folder_name) == (root, "pdf")
    assert [p.message for p in check.problems] == [
        "'pdf-tools' does not match the folder name 'pdf'; the Skills API requires them equal."
    ]


def test_missing_folder(skills: Path) -> None:
    check = check_folder(str(skills / "nope"), [skills])
    assert texts(check) == [f"path: {skills / 'nope'} does not exist. Fix: check the path."]
    assert (check.root, check.scan) == (skills / "nope", None)


def test_file_instead_of_folder(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    check = check_folder(str(root / "SKILL.md"), [skills])
    assert texts(check) == [
        f"path: {root / 'SKILL.md'} is a file, not a folder (nor a .skill or .zip archive). "
        "Fix: pass the skill folder that holds SKILL.md, or a .skill/.zip archive of it."
    ]
    assert check.scan is None


# -------------------------------------------------------------------------------- folder: SKILL.md


def test_valid_skill(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {"scripts/fill.py": "print()\n"})
    check = check_folder(str(root), [skills])
    assert check.ok
    assert check.problems == []
    assert check.folder_name == "pdf-tools"
    assert check.frontmatter is not None
    assert check.frontmatter["name"] == "pdf-tools"
    assert check.scan is not None
    assert [f.relpath for f in check.scan.files] == ["SKILL.md", "scripts/fill.py"]


def test_missing_skill_md(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {"sub/SKILL.md": "---\n---\n"}, skill_md=False)
    check = check_folder(str(root), [skills])
    assert texts(check) == [
        f"SKILL.md: is missing from {root}; it must sit at the top of the skill folder. "
        "Fix: pass the folder that directly contains SKILL.md, or create it with name and description frontmatter."
    ]
    assert check.scan is not None


@pytest.mark.parametrize("wrong", ["skill.md", "Skill.md", "SKILL.MD"])
def test_wrongly_cased_skill_md_gets_a_rename_hint(skills: Path, wrong: str) -> None:
    root = make_skill(skills, "pdf-tools", skill_md=False)
    (root / wrong).write_text("---\nname: pdf-tools\ndescription: x\n---\n")
    check = check_folder(str(root), [skills])
    assert texts(check) == [
        f"SKILL.md: is missing; found '{wrong}', but the name must be exactly SKILL.md. "
        f"Fix: rename '{wrong}' to SKILL.md."
    ]


def test_skill_md_left_out_by_skillignore(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {".skillignore": "# docs\n*.md\n"})
    check = check_folder(str(root), [skills])
    assert texts(check) == [
        "SKILL.md: is left out (.skillignore line 2: *.md). Fix: remove that line from .skillignore."
    ]


@pytest.mark.parametrize("target", ["outside", "broken"])
def test_symlinked_skill_md_is_not_told_to_rename_itself(skills: Path, elsewhere: Path, target: str) -> None:
    root = make_skill(skills, "pdf-tools", skill_md=False)
    link_to = elsewhere / "pdf-tools" / "SKILL.md" if target == "outside" else root / "missing.md"
    (root / "SKILL.md").symlink_to(link_to)
    check = check_folder(str(root), [skills])
    assert [p.where for p in check.problems] == ["SKILL.md"]  # the symlink problem from the scan, once
    assert not any("rename 'SKILL.md'" in str(p) for p in check.problems), texts(check)


def test_skill_md_fifo_fix_does_not_blame_skillignore(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", skill_md=False)
    os.mkfifo(root / "SKILL.md")
    [problem] = check_folder(str(root), [skills]).problems
    assert ".skillignore" not in problem.fix


def test_frontmatter_problems_use_the_folder_name(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", frontmatter={"name": "pdf-tool", "description": "x"})
    check = check_folder(str(root), [skills])
    assert [p.message for p in check.problems] == [
        "'pdf-tool' does not match the folder name 'pdf-tools'; the Skills API requires them equal."
    ]
    assert check.frontmatter == {"name": "pdf-tool", "description": "x"}


def test_unparsable_skill_md(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {"SKILL.md": b"# PDF tools\n"})
    check = check_folder(str(root), [skills])
    assert [p.message for p in check.problems] == ["does not start with YAML frontmatter (a line '---')."]
    assert check.frontmatter is None


# ------------------------------------------------------------------------------------ folder: size


def test_size_at_the_limit_is_fine(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    skill_md_size = (root / "SKILL.md").stat().st_size
    sparse(root / "data.bin", MAX_UPLOAD_BYTES - skill_md_size)
    assert check_folder(str(root), [skills]).problems == []


def test_oversize_names_the_largest_files(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {"small.txt": "x"})
    sparse(root / "data" / "big.bin", 20_000_000)
    sparse(root / "model.onnx", 12_500_000)
    sparse(root / "mid.bin", 900_000)
    check = check_folder(str(root), [skills])
    assert check.scan is not None
    total = check.scan.total_bytes
    assert total > 33_400_000
    assert texts(check) == [
        f"folder: holds {total:,} bytes ({total / 1e6:.1f} MB) to upload; the Skills API limit is 30,000,000 bytes "
        "in all. "
        "Largest: data/big.bin (20.0 MB), model.onnx (12.5 MB), mid.bin (0.9 MB). "
        "Fix: remove large files or list them in .skillignore."
    ]


def test_left_out_files_do_not_count_towards_the_size(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {".skillignore": "*.bin\n"})
    sparse(root / "huge.bin", 2 * MAX_UPLOAD_BYTES)
    assert check_folder(str(root), [skills]).problems == []


# ------------------------------------------------------------------------------- folder: all at once


def test_all_problems_reported_at_once(skills: Path) -> None:
    root = make_skill(
        skills,
        "pdf-tools",
        frontmatter={"name": "PDF_Tools", "description": "", "version": "1"},
    )
    sparse(root / "big.bin", MAX_UPLOAD_BYTES + 1)
    (root / "gone").symlink_to("nowhere")
    check = check_folder(str(root), [skills])
    assert [(p.where, p.message.split(";")[0]) for p in check.problems] == [
        ("gone", "is a broken symlink."),
        ("SKILL.md: frontmatter", "unexpected key(s) 'version'"),
        ("SKILL.md: name", "may contain only lowercase letters, digits and hyphens"),
        ("SKILL.md: name", "'PDF_Tools' does not match the folder name 'pdf-tools'"),
        ("SKILL.md: description", "is empty."),
        ("folder", f"holds {check.scan.total_bytes:,} bytes (30.0 MB) to upload"),
    ]
    assert not check.ok
    assert check.frontmatter is not None


# ------------------------------------------------------------------- names the upload would change


def test_the_refused_names_cover_everything_the_multipart_encoding_alters() -> None:
    """Issue 11 §5: ask httpx2 itself (the official SDK's encoder) which characters it rewrites in a filename."""
    altered = []
    for code in [*range(0x250), 0x2028, 0xFEFF, 0x1F600]:
        name = f"a{chr(code)}b"
        body = httpx2.Request("POST", "http://x/", files=[("files[]", (name, b"", "text/plain"))]).read()
        if f'filename="{name}"'.encode() not in body:
            altered.append(chr(code))
            assert wire_name_problem(name) is not None, repr(name)
    assert set(altered) >= {'"', "\\", "\n", "\r", "\t", "\x00"}  # the test still sees what it checks


@pytest.mark.parametrize("name", ["notes.md", "naïve résumé.md", "a b-c_d.e", "日本語.txt", "100%.txt", "it's.md"])
def test_plain_names_pass(name: str) -> None:
    assert wire_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "shown_as", "why"),
    [
        ('say "hi".txt', 'say "hi".txt', "holds a '\"' or a backslash"),
        ("back\\slash.md", "back\\slash.md", "holds a '\"' or a backslash"),
        ("two\nlines.md", "two\\nlines.md", "holds a control character (a newline, a tab, ...)"),
        ("tab\there.md", "tab\\there.md", "holds a control character (a newline, a tab, ...)"),
        ("esc\x1b.md", "esc\\x1b.md", "holds a control character (a newline, a tab, ...)"),
        ("c1\x85.md", "c1\\x85.md", "holds a control character (a newline, a tab, ...)"),
    ],
)
def test_a_file_name_the_upload_would_change_is_refused(skills: Path, name: str, shown_as: str, why: str) -> None:
    root = make_skill(skills, "pdf-tools", {f"docs/{name}": "x"})
    assert texts(check_folder(str(root), [skills])) == [
        f"docs/{shown_as}: the file name {why}; the upload would send it under another name, or fail. "
        "Fix: rename the file (letters, digits, spaces, '-', '_' and '.' are safe), or list it in .skillignore."
    ]


def test_a_folder_name_the_upload_would_change_is_named_once(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {'my "docs"/a.md': "x", 'my "docs"/b.md': "y"})
    assert [(p.where, p.fix.split(" (")[0]) for p in check_folder(str(root), [skills]).problems] == [
        ('my "docs"/', "rename the folder")
    ]


def test_a_file_name_that_is_not_utf8_is_refused_and_shown_safely(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    os.close(os.open(bytes(root) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    check = check_folder(str(root), [skills])
    assert texts(check) == [
        "caf\\xe9.txt: the file name is not valid UTF-8; the upload would send it under another name, or fail. "
        "Fix: rename the file (letters, digits, spaces, '-', '_' and '.' are safe), or list it in .skillignore."
    ]
    check.problems[0].where.encode("utf-8")  # safe to serialize: no lone surrogates


def test_a_left_out_name_that_is_not_utf8_is_listed_safely(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {".skillignore": "*.tmp\n"})
    os.close(os.open(bytes(root) + b"/caf\xe9.tmp", os.O_CREAT | os.O_WRONLY, 0o644))
    check = check_folder(str(root), [skills])
    assert check.problems == []
    assert check.scan is not None
    assert [s.relpath for s in check.scan.skipped] == [".skillignore", "caf\\xe9.tmp"]


# ------------------------------------------------------------------------------- counts and caps


def test_more_files_than_the_api_accepts_is_a_problem(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {f"data/{i}.txt": "x" for i in range(MAX_FILES)})
    check = check_folder(str(root), [skills])  # SKILL.md and MAX_FILES data files: one too many
    assert texts(check) == [
        f"folder: holds more than {MAX_FILES:,} files to upload, the most one upload may hold. "
        "Fix: list generated or bulky folders in .skillignore, or pack many small files into an archive."
    ]
    (root / "data" / "0.txt").unlink()
    assert check_folder(str(root), [skills]).problems == []


def test_the_walk_stops_once_there_are_too_many_files(tmp_path: Path) -> None:
    root = make_skill(tmp_path, "pdf-tools", {f"d{d}/{i}.txt": "" for d in range(3) for i in range(MAX_FILES // 2)})
    scan = scan_folder(root)
    assert scan.too_many and len(scan.files) == MAX_FILES + 1  # not the 15,001 there are


def test_skill_md_over_the_cap_is_refused_from_its_size(skills: Path) -> None:
    """Issue 11 §6: a 2 GB SKILL.md was read whole (6.3 GB of memory) before any size check."""
    root = make_skill(skills, "pdf-tools")
    with (root / "SKILL.md").open("r+b") as f:
        f.truncate(50_000_000)  # sparse: valid frontmatter, then NULs; no disk, and no time to write
    check = check_folder(str(root), [skills])
    assert [(p.where, p.message.split(";")[0]) for p in check.problems] == [
        ("SKILL.md", "is 50,000,000 bytes"),
        ("folder", "holds 50,000,000 bytes (50.0 MB) to upload"),
    ]
    assert check.frontmatter is None  # never parsed, so never read


def test_skill_md_at_the_cap_is_read(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    with (root / "SKILL.md").open("ab") as f:
        f.write(b"x" * (MAX_SKILL_MD_BYTES - f.tell()))
    check = check_folder(str(root), [skills])
    assert check.problems == [] and check.frontmatter is not None


def test_a_bad_skillignore_is_a_problem_naming_it(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {".skillignore": b"*.tmp\n\xff\n"})
    assert texts(check_folder(str(root), [skills])) == [
        ".skillignore: is not valid UTF-8 (line 2). Fix: save it as UTF-8."
    ]


def test_a_too_wild_skillignore_line_is_a_problem(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools", {".skillignore": "*a*a*a*a*a*a*a*a*a*ab\n", "a" * 200: "x"})
    assert [p.where for p in check_folder(str(root), [skills]).problems] == [".skillignore line 1"]


def test_a_folder_name_that_is_not_utf8_is_a_problem_shown_safely(skills: Path) -> None:
    root = make_skill(skills, "pdf-tools")
    odd = os.fsdecode(bytes(skills) + b"/pdf-tools-\xe9")
    os.rename(root, odd)
    check = check_folder(odd, [skills])
    assert (check.problems[0].where, check.problems[0].message) == (
        "path",
        "the folder name 'pdf-tools-\\xe9' is not valid UTF-8.",
    )
    assert check.folder_name == "pdf-tools-\\xe9"
    for problem in check.problems:
        str(problem).encode("utf-8")  # serializable: no lone surrogates anywhere
