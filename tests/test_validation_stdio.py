"""Every validation rule, through the real server: the message says what and how, and nothing is sent."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Emulator, McpSession, write_skill

from skills_mcp.limits import MAX_FILES

SKILL_ID = "skill_01AbCdEfGhIjKlMnOpQrStUv"

# Each case builds its folder under `workdir` and returns the tool arguments.
Case = Callable[[Path], dict[str, str]]


def args(folder: Path, skill_id: str = SKILL_ID) -> dict[str, str]:
    return {"skill_id": skill_id, "path": str(folder)}


def with_frontmatter(frontmatter: str, name: str = "pdf-tools") -> Case:
    return lambda w: args(write_skill(w, name, frontmatter=frontmatter))


def raw_skill_md(content: bytes) -> Case:
    def build(w: Path) -> dict[str, str]:
        folder = write_skill(w)
        (folder / "SKILL.md").write_bytes(content)
        return args(folder)

    return build


def oversized(w: Path) -> dict[str, str]:
    folder = write_skill(w)
    with (folder / "assets.bin").open("wb") as f:
        f.truncate(30_000_001)  # sparse: fast to make, 30 MB to upload
    return args(folder)


def symlink_out(w: Path) -> dict[str, str]:
    folder = write_skill(w)
    (folder / "passwd").symlink_to("/etc/passwd")
    return args(folder)


def lowercase_skill_md(w: Path) -> dict[str, str]:
    folder = write_skill(w)
    (folder / "SKILL.md").rename(folder / "skill.md")
    return args(folder)


def no_skill_md(w: Path) -> dict[str, str]:
    folder = write_skill(w)
    (folder / "SKILL.md").unlink()
    (folder / "README.md").write_text("hi")
    return args(folder)


def a_file(w: Path) -> dict[str, str]:
    (w / "notes.txt").write_text("hi")
    return args(w / "notes.txt")


def ignored_skill_md(w: Path) -> dict[str, str]:
    folder = write_skill(w, files={".skillignore": "*.md\n"})
    return args(folder)


def with_file(name: str | bytes, content: bytes = b"x") -> Case:
    """A skill holding one more file, whose name may be bytes that are not UTF-8."""

    def build(w: Path) -> dict[str, str]:
        folder = write_skill(w)
        path = os.path.join(bytes(folder), name) if isinstance(name, bytes) else str(folder / name)
        with open(path, "wb") as f:
            f.write(content)
        return args(folder)

    return build


def too_many_files(w: Path) -> dict[str, str]:
    folder = write_skill(w)
    (folder / "data").mkdir()
    for i in range(MAX_FILES):
        (folder / "data" / f"{i}.txt").touch()
    return args(folder)


def escape_with_dotdot(w: Path) -> dict[str, str]:
    return {"skill_id": SKILL_ID, "path": str(w / ".." / ".." / ".." / "etc")}


CASES: dict[str, tuple[Case, list[str]]] = {
    "outside allowed folders": (
        lambda w: args(Path("/etc")),
        ["path: /etc is outside the folders", "--allow-dir"],
    ),
    "dotdot escape": (escape_with_dotdot, ["is outside the folders this server may read"]),
    "relative path": (lambda w: {"skill_id": SKILL_ID, "path": "pdf-tools"}, ["is relative", "absolute"]),
    "empty path": (lambda w: {"skill_id": SKILL_ID, "path": ""}, ["path: is empty."]),
    "missing folder": (lambda w: args(w / "nope"), ["does not exist"]),
    "a file, not a folder": (a_file, ["is a file, not a folder"]),
    "no SKILL.md": (no_skill_md, ["SKILL.md: is missing", "directly contains SKILL.md"]),
    "skill.md in lowercase": (lowercase_skill_md, ["found 'skill.md'", "rename 'skill.md' to SKILL.md"]),
    "SKILL.md ignored": (ignored_skill_md, ["SKILL.md: is left out", ".skillignore"]),
    "no frontmatter": (raw_skill_md(b"# Just a title\n"), ["does not start with YAML frontmatter"]),
    "unclosed frontmatter": (raw_skill_md(b"---\nname: pdf-tools\n"), ["frontmatter is never closed"]),
    "bad YAML": (
        raw_skill_md(b"---\nname: pdf-tools\ndescription: [unclosed\n---\n"),
        ["is not valid YAML at line"],
    ),
    "YAML not a mapping": (raw_skill_md(b"---\n- a\n- b\n---\n"), ["not a mapping"]),
    "name missing": (with_frontmatter("description: Does things.\n"), ["name: is missing"]),
    "name empty": (with_frontmatter("name: ''\ndescription: Does things.\n"), ["name: is empty"]),
    "name not a string": (
        with_frontmatter("name: 42\ndescription: Does things.\n"),
        ["name: must be a string"],
    ),
    "name uppercase": (
        with_frontmatter("name: PDF-Tools\ndescription: x\n", "PDF-Tools"),
        ["only lowercase letters, digits and hyphens; found 'D', 'F', 'P', 'T'", "'pdf-tools'"],
    ),
    "name too long": (
        with_frontmatter(f"name: {'a' * 65}\ndescription: x\n", "a" * 65),
        ["is 65 characters; the limit is 64"],
    ),
    "name leading hyphen": (
        with_frontmatter("name: -pdf\ndescription: x\n", "-pdf"),
        ["must not start or end with a hyphen"],
    ),
    "name double hyphen": (
        with_frontmatter("name: pdf--tools\ndescription: x\n", "pdf--tools"),
        ["contain '--'"],
    ),
    "name reserved claude": (
        with_frontmatter("name: claude-pdf\ndescription: x\n", "claude-pdf"),
        ["reserved word 'claude'"],
    ),
    "name reserved anthropic": (
        with_frontmatter("name: my-anthropic\ndescription: x\n", "my-anthropic"),
        ["reserved word 'anthropic'"],
    ),
    "name with angle brackets": (
        with_frontmatter("name: pdf<b>\ndescription: x\n", "pdf-tools"),
        ["name: must not contain '<' or '>'"],
    ),
    "name differs from folder": (
        with_frontmatter("name: pdf-forms\ndescription: x\n"),
        ["'pdf-forms' does not match the folder name 'pdf-tools'", "rename the folder to 'pdf-forms'"],
    ),
    "description missing": (with_frontmatter("name: pdf-tools\n"), ["description: is missing"]),
    "description empty": (
        with_frontmatter("name: pdf-tools\ndescription: '   '\n"),
        ["description: is empty"],
    ),
    "description too long": (
        with_frontmatter(f"name: pdf-tools\ndescription: {'x' * 1025}\n"),
        ["is 1025 characters; the limit is 1024"],
    ),
    "description with tags": (
        with_frontmatter("name: pdf-tools\ndescription: Use <form> fields\n"),
        ["description: must not contain '<' or '>'"],
    ),
    "unknown keys": (
        with_frontmatter("name: pdf-tools\ndescription: x\nversion: 1.0\nauthor: me\n"),
        ["unexpected key(s) 'version', 'author'", "move them under 'metadata:'"],
    ),
    "too large": (oversized, ["to upload; the Skills API limit is 30,000,000 bytes in all", "assets.bin (30.0 MB)"]),
    "symlink out of the folder": (
        symlink_out,
        ["passwd: is a symlink to /etc/passwd, outside the skill folder"],
    ),
    "file name with a quote": (with_file('say "hi".txt'), ['say "hi".txt: the file name holds a \'"\'', "rename"]),
    "file name with a newline": (with_file("two\nlines.md"), ["two\\nlines.md: the file name holds a control"]),
    "file name with a backslash": (with_file("back\\slash.md"), ["back\\slash.md: the file name holds a"]),
    "file name not UTF-8": (with_file(b"caf\xe9.md"), ["caf\\xe9.md: the file name is not valid UTF-8"]),
    "more files than the API takes": (too_many_files, [f"holds more than {MAX_FILES:,} files", ".skillignore"]),
    "SKILL.md over the cap": (
        raw_skill_md(b"---\nname: pdf-tools\ndescription: x\n---\n" + b"x" * 1_000_000),
        ["SKILL.md: is 1,000,0", "bytes; the limit is 1,000,000", "move reference material"],
    ),
    ".skillignore not UTF-8": (with_file(".skillignore", b"caf\xe9\n"), [".skillignore: is not valid UTF-8 (line 1)"]),
    ".skillignore too wild": (
        with_file(".skillignore", b"*a*a*a*a*a*a*a*a*a*ab\n"),
        [".skillignore line 1: '*a*a*a*a*a*a*a*a*a*ab' has too many '*' wildcards", "at most 2 '*'"],
    ),
    "skill_id empty": (lambda w: args(write_skill(w), ""), ["skill_id: is empty"]),
    "skill_id with slash": (lambda w: args(write_skill(w), "skill_1/versions"), ["contains '/' or '..'"]),
    "skill_id with dotdot": (lambda w: args(write_skill(w), ".."), ["contains '/' or '..'"]),
    "skill_id with space": (lambda w: args(write_skill(w), "skill 1"), ["whitespace or control characters"]),
    "skill_id with control": (
        lambda w: args(write_skill(w), "skill\x07"),
        ["whitespace or control characters"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_refused_before_anything_is_sent(case: str, api: Emulator, mcp: McpSession, workdir: Path) -> None:
    build, expected = CASES[case]
    result = mcp.call("create_skill_version", build(workdir))
    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, message
    assert message.startswith("Error executing tool create_skill_version: Nothing was uploaded")
    for fragment in expected:
        assert fragment in message
    assert "Fix:" in message
    assert api.state.requests == []  # not one request reached the API


def test_every_problem_is_reported_at_once(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, frontmatter="name: Claude_PDF\ndescription: <b>bold</b>\nversion: 2\n")
    result = mcp.call("create_skill_version", args(folder, "bad id"))
    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert "(6 problems)" in message
    for fragment in (
        "skill_id:",
        "unexpected key(s) 'version'",
        "found 'C', 'D', 'F', 'P', '_'",
        "reserved word 'claude'",
        "does not match the folder name",
        "description: must not contain",
    ):
        assert fragment in message
    assert api.state.requests == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [(b"caf\xe9.md", "caf\\xe9.md"), (b"two\nlines.md", "two\\nlines.md"), (b"left-out-\xff.tmp", None)],
)
def test_validate_skill_reports_odd_names_clearly(
    name: bytes, shown: str | None, api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    """Issue 10 §6: a name that is not UTF-8 used to end validate_skill's report in a PydanticSerializationError."""
    folder = write_skill(workdir, files={".skillignore": "*.tmp\n"})
    with open(os.path.join(bytes(folder), name), "wb") as f:
        f.write(b"x")
    result = mcp.call("validate_skill", {"path": str(folder)})
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, text
    assert result.structured_content is not None
    problems = result.structured_content.get("problems", [])
    if shown is None:
        assert problems == [] and "left-out-\\xff.tmp" in [e["path"] for e in result.structured_content["left_out"]]
    else:
        assert [p["where"] for p in problems] == [shown], text
    assert api.state.requests == []
