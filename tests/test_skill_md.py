"""SKILL.md frontmatter: parsing, and the rules the Skills API enforces on name, description and the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from skills_mcp.problems import Problem
from skills_mcp.skill.skill_md import ALLOWED_KEYS, check, check_skill_md, parse, suggest_name

GOOD = b"---\nname: pdf-tools\ndescription: Fill in PDF forms.\n---\n# PDF tools\n\nBody text.\n"
GOOD_DATA = {"name": "pdf-tools", "description": "Fill in PDF forms."}

NAME = "SKILL.md: name"
DESCRIPTION = "SKILL.md: description"


def messages(problems: list[Problem], where: str) -> list[str]:
    return [p.message for p in problems if p.where == where]


def name_messages(name: object, folder: str | None = None) -> list[str]:
    """The name problems for `name`, with the folder named like it unless `folder` says otherwise."""
    folder_name = folder if folder is not None else (name if isinstance(name, str) else "pdf-tools")
    return messages(check({"name": name, "description": "Does things."}, folder_name), NAME)


def description_messages(description: object) -> list[str]:
    return messages(check({"name": "pdf-tools", "description": description}, "pdf-tools"), DESCRIPTION)


# --------------------------------------------------------------------------------------------- parse


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(GOOD, id="plain"),
        pytest.param(b"\xef\xbb\xbf" + GOOD, id="utf8-bom"),
        pytest.param(GOOD.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n"), id="bom-and-crlf"),
        pytest.param(GOOD.replace(b"---\n", b"---  \n"), id="trailing-spaces-on-fences"),
        pytest.param(GOOD.replace(b"\n# PDF tools\n\nBody text.\n", b""), id="no-body-no-final-newline"),
    ],
)
def test_parse_accepts(raw: bytes) -> None:
    data, problems = parse(raw)
    assert problems == []
    assert data == GOOD_DATA  # no '\r' or BOM left in keys or values


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"", "does not start with YAML frontmatter (a line '---').", id="empty-file"),
        pytest.param(
            b"name: pdf-tools\ndescription: x\n",
            "does not start with YAML frontmatter (a line '---').",
            id="no-fence",
        ),
        pytest.param(
            b"\n---\nname: pdf-tools\n---\n",
            "does not start with YAML frontmatter (a line '---').",
            id="blank-line-before-fence",
        ),
        pytest.param(
            b"# Title\n---\nname: pdf-tools\n---\n",
            "does not start with YAML frontmatter (a line '---').",
            id="heading-before-fence",
        ),
        pytest.param(b"---\nname: pdf-tools\ndescription: x\n", "frontmatter is never closed.", id="unclosed"),
        pytest.param(b"---\n", "frontmatter is never closed.", id="only-opening-fence"),
        pytest.param(
            b"---\n- name\n- description\n---\n", "frontmatter is not a mapping of keys to values.", id="yaml-list"
        ),
        pytest.param(
            b"---\njust some words\n---\n", "frontmatter is not a mapping of keys to values.", id="yaml-scalar"
        ),
        pytest.param(b"---\n---\n", "frontmatter is not a mapping of keys to values.", id="empty-frontmatter"),
    ],
)
def test_parse_refuses(raw: bytes, message: str) -> None:
    data, problems = parse(raw)
    assert data is None
    assert [(p.where, p.message) for p in problems] == [("SKILL.md", message)]


def test_parse_missing_fence_fix_shows_the_expected_shape() -> None:
    _, problems = parse(b"name: pdf-tools\n")
    assert problems[0].fix == "begin the file with '---', then 'name: ...' and 'description: ...', then '---'."


@pytest.mark.parametrize(
    ("raw", "bad_byte"),
    [
        pytest.param(b"---\nname: caf\xe9\n---\n", 13, id="latin-1"),
        pytest.param(b"---\nname: pdf-tools\ndescription: \xff\n---\n", 33, id="stray-byte"),
        pytest.param(b"\xff\xfe-\x00-\x00-\x00\n\x00", 0, id="utf-16"),
    ],
)
def test_parse_refuses_non_utf8_and_names_the_byte(raw: bytes, bad_byte: int) -> None:
    data, problems = parse(raw)
    assert data is None
    assert [str(p) for p in problems] == [
        f"SKILL.md: is not valid UTF-8 (byte {bad_byte}). Fix: save SKILL.md as UTF-8."
    ]


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        pytest.param(b"---\nname: a: b\ndescription: x\n---\n", 2, id="first-key"),
        pytest.param(b"---\ndescription: x\nname: a: b\n---\n", 3, id="second-key"),
        pytest.param(b"\xef\xbb\xbf---\r\ndescription: x\r\nname: a: b\r\n---\r\n", 3, id="bom-crlf"),
        pytest.param(b"---\nname: pdf-tools\n\n\ndescription: x: y\n---\n", 5, id="after-blank-lines"),
    ],
)
def test_parse_invalid_yaml_names_the_file_line(raw: bytes, line: int) -> None:
    data, problems = parse(raw)
    assert data is None
    [problem] = problems
    assert problem.where == "SKILL.md"
    assert problem.message.startswith(f"frontmatter is not valid YAML at line {line}: mapping values are not allowed")
    assert problem.fix == "fix the YAML; quote values that contain ':' or start with a special character."


def test_parse_invalid_yaml_unclosed_bracket() -> None:
    _, problems = parse(b"---\nname: pdf-tools\ndescription: [unclosed\n---\n")
    assert re.fullmatch(r"frontmatter is not valid YAML at line \d+: .+\.", problems[0].message)


def test_parse_yaml_only_sees_the_frontmatter() -> None:
    """A body that is not YAML (or has a second '---' block) does not matter."""
    raw = GOOD + b"\n---\nthis: is: not: yaml\n---\n"
    assert parse(raw) == (GOOD_DATA, [])


# ---------------------------------------------------------------------------------------------- name


def test_valid_name_passes() -> None:
    assert check(GOOD_DATA, "pdf-tools") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(123, ["must be a string, not int."], id="int"),
        pytest.param(1.5, ["must be a string, not float."], id="float"),
        pytest.param(True, ["must be a string, not bool."], id="bool"),
        pytest.param(["pdf-tools"], ["must be a string, not list."], id="list"),
        pytest.param({"a": "b"}, ["must be a string, not dict."], id="dict"),
        pytest.param("", ["is empty."], id="empty"),
        pytest.param("a" * 65, ["is 65 characters; the limit is 64."], id="65-chars"),
        pytest.param(
            "PDF-Tools",
            ["may contain only lowercase letters, digits and hyphens; found 'D', 'F', 'P', 'T'."],
            id="uppercase",
        ),
        pytest.param(
            "pdf_tools", ["may contain only lowercase letters, digits and hyphens; found '_'."], id="underscore"
        ),
        pytest.param("pdf tools", ["may contain only lowercase letters, digits and hyphens; found ' '."], id="space"),
        pytest.param(
            "pdf-tööls", ["may contain only lowercase letters, digits and hyphens; found 'ö'."], id="non-ascii"
        ),
        pytest.param(
            "pdf.tools/v2",
            ["may contain only lowercase letters, digits and hyphens; found '.', '/'."],
            id="punctuation",
        ),
        pytest.param("-pdf-tools", ["must not start or end with a hyphen or contain '--'."], id="leading-hyphen"),
        pytest.param("pdf-tools-", ["must not start or end with a hyphen or contain '--'."], id="trailing-hyphen"),
        pytest.param("pdf--tools", ["must not start or end with a hyphen or contain '--'."], id="double-hyphen"),
        pytest.param("claude-helper", ["must not contain the reserved word 'claude'."], id="claude"),
        pytest.param("my-anthropic-kit", ["must not contain the reserved word 'anthropic'."], id="anthropic"),
        pytest.param("xclaudex", ["must not contain the reserved word 'claude'."], id="claude-inside-a-word"),
        pytest.param(
            "Claude",
            [
                "may contain only lowercase letters, digits and hyphens; found 'C'.",
                "must not contain the reserved word 'claude'.",
            ],
            id="reserved-word-any-case",
        ),
        pytest.param(
            "anthropic-claude",
            ["must not contain the reserved word 'anthropic'.", "must not contain the reserved word 'claude'."],
            id="both-reserved-words",
        ),
        pytest.param("<b>", ["must not contain '<' or '>' (XML tags)."], id="xml-tag"),
        pytest.param("a>b", ["must not contain '<' or '>' (XML tags)."], id="greater-than"),
    ],
)
def test_name_rules(name: object, expected: list[str]) -> None:
    assert name_messages(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a", id="one-char"),
        pytest.param("a" * 64, id="64-chars"),
        pytest.param("pdf-tools-2", id="digits"),
        pytest.param("123", id="only-digits"),
        pytest.param("cla-ude", id="split-reserved-word"),
    ],
)
def test_name_accepted(name: str) -> None:
    assert name_messages(name) == []


def test_name_missing_suggests_the_folder_name() -> None:
    problems = check({"description": "Does things."}, "PDF Tools")
    assert [str(p) for p in problems] == ["SKILL.md: name: is missing. Fix: add 'name: pdf-tools' to the frontmatter."]


def test_name_empty_suggests_the_folder_name() -> None:
    problems = check({"name": "", "description": "Does things."}, "My_Claude_Skill")
    assert [str(p) for p in problems] == ["SKILL.md: name: is empty. Fix: set it to the folder name, e.g. 'my-skill'."]


def test_name_hint_is_a_valid_name() -> None:
    [problem] = check({"name": "PDF Tools", "description": "Does things."}, "PDF Tools")
    assert problem.fix == "use e.g. 'pdf-tools'."


def test_name_must_equal_folder_name() -> None:
    problems = check(GOOD_DATA, "pdf-tool")
    assert [str(p) for p in problems] == [
        "SKILL.md: name: 'pdf-tools' does not match the folder name 'pdf-tool'; the Skills API requires them equal. "
        "Fix: rename the folder to 'pdf-tools', or set name to 'pdf-tool'."
    ]


def test_folder_mismatch_with_an_invalid_name_does_not_suggest_renaming_the_folder_to_it() -> None:
    problems = check({"name": "PDF_Tools", "description": "Does things."}, "pdf-tools")
    mismatch = [p for p in problems if "does not match the folder name" in p.message]
    assert [p.fix for p in mismatch] == ["set name to 'pdf-tools' (or a valid name, and rename the folder to match)."]


def test_several_name_problems_reported_at_once() -> None:
    assert name_messages("-Claude_Tools<x>-", folder="tools") == [
        "must not contain '<' or '>' (XML tags).",
        "may contain only lowercase letters, digits and hyphens; found 'C', 'T', '_'.",
        "must not start or end with a hyphen or contain '--'.",
        "must not contain the reserved word 'claude'.",
        "'-Claude_Tools<x>-' does not match the folder name 'tools'; the Skills API requires them equal.",
    ]


def test_name_too_long_and_bad_characters_together() -> None:
    assert name_messages("A" * 70) == [
        "is 70 characters; the limit is 64.",
        "may contain only lowercase letters, digits and hyphens; found 'A'.",
    ]


# --------------------------------------------------------------------------------------- description


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param(None, ["is missing."], id="missing"),
        pytest.param(42, ["must be a string, not int."], id="int"),
        pytest.param(["a", "b"], ["must be a string, not list."], id="list"),
        pytest.param("", ["is empty."], id="empty"),
        pytest.param("   \n\t", ["is empty."], id="whitespace"),
        pytest.param("x" * 1025, ["is 1025 characters; the limit is 1024."], id="1025-chars"),
        pytest.param(" " * 1025, ["is empty.", "is 1025 characters; the limit is 1024."], id="long-whitespace"),
        pytest.param(
            "Use when size < 10 MB.", ["must not contain '<' or '>' (the API treats them as XML tags)."], id="lt"
        ),
        pytest.param("Returns a -> b.", ["must not contain '<' or '>' (the API treats them as XML tags)."], id="gt"),
        pytest.param(
            "<" * 1100,
            [
                "is 1100 characters; the limit is 1024.",
                "must not contain '<' or '>' (the API treats them as XML tags).",
            ],
            id="long-and-angle-brackets",
        ),
    ],
)
def test_description_rules(description: object, expected: list[str]) -> None:
    data: dict[str, Any] = {"name": "pdf-tools"}
    if description is not None:
        data["description"] = description
    assert messages(check(data, "pdf-tools"), DESCRIPTION) == expected


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("x" * 1024, id="exactly-1024"),
        pytest.param("é" * 1024, id="1024-non-ascii-chars"),
        pytest.param("Fill forms.\nUse for PDFs: invoices, & more.", id="punctuation"),
    ],
)
def test_description_accepted(description: str) -> None:
    assert description_messages(description) == []


def test_description_missing_fix() -> None:
    [problem] = check({"name": "pdf-tools"}, "pdf-tools")
    assert str(problem) == (
        "SKILL.md: description: is missing. Fix: add 'description:' saying what the skill does and when to use it."
    )


# ---------------------------------------------------------------------------------- keys and optional


def test_unknown_keys_are_listed_with_the_allowed_keys() -> None:
    problems = check({**GOOD_DATA, "version": "1.0", "author": "me"}, "pdf-tools")
    assert [str(p) for p in problems] == [
        "SKILL.md: frontmatter: unexpected key(s) 'version', 'author'; the Skills API allows only "
        "name, description, license, compatibility, metadata, allowed-tools. "
        "Fix: remove them, or move them under 'metadata:' as string values."
    ]


def test_unknown_non_string_key() -> None:
    data: dict[Any, Any] = {**GOOD_DATA, 1: "x"}
    problems = check(data, "pdf-tools")
    assert [p.message for p in problems] == [
        f"unexpected key(s) '1'; the Skills API allows only {', '.join(ALLOWED_KEYS)}."
    ]


def test_all_allowed_keys_accepted() -> None:
    raw = (
        b"---\n"
        b"name: pdf-tools\n"
        b"description: Fill in PDF forms.\n"
        b"license: MIT\n"
        b"compatibility: Needs Python 3.11 and poppler.\n"
        b"metadata:\n"
        b'  version: "1.0"\n'
        b"  author: Jane\n"
        b"allowed-tools: Bash Read\n"
        b"---\n"
    )
    data, problems = check_skill_md(raw, "pdf-tools")
    assert problems == []
    assert data is not None
    assert set(data) == set(ALLOWED_KEYS)


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        pytest.param(
            {"metadata": {"version": 1.0}},
            "SKILL.md: metadata",
            "must be a mapping of string keys to string values.",
            id="metadata-float-value",
        ),
        pytest.param(
            {"metadata": {1: "one"}},
            "SKILL.md: metadata",
            "must be a mapping of string keys to string values.",
            id="metadata-int-key",
        ),
        pytest.param(
            {"metadata": ["version"]},
            "SKILL.md: metadata",
            "must be a mapping of string keys to string values.",
            id="metadata-list",
        ),
        pytest.param(
            {"metadata": "v1"},
            "SKILL.md: metadata",
            "must be a mapping of string keys to string values.",
            id="metadata-string",
        ),
        pytest.param(
            {"metadata": {"nested": {"a": "b"}}},
            "SKILL.md: metadata",
            "must be a mapping of string keys to string values.",
            id="metadata-nested",
        ),
        pytest.param(
            {"compatibility": "x" * 501},
            "SKILL.md: compatibility",
            "must be text of at most 500 characters.",
            id="compatibility-501",
        ),
        pytest.param(
            {"compatibility": 3.11},
            "SKILL.md: compatibility",
            "must be text of at most 500 characters.",
            id="compatibility-not-text",
        ),
        pytest.param({"license": ["MIT"]}, "SKILL.md: license", "must be a string, not list.", id="license-list"),
        pytest.param(
            {"allowed-tools": ["Bash", "Read"]},
            "SKILL.md: allowed-tools",
            "must be a string, not list.",
            id="allowed-tools-list",
        ),
    ],
)
def test_optional_key_rules(extra: dict[str, Any], where: str, message: str) -> None:
    problems = check({**GOOD_DATA, **extra}, "pdf-tools")
    assert [(p.where, p.message) for p in problems] == [(where, message)]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"metadata": {}}, id="metadata-empty"),
        pytest.param({"metadata": {"version": "1.0", "team": "docs"}}, id="metadata-strings"),
        pytest.param({"compatibility": "x" * 500}, id="compatibility-500"),
        pytest.param({"compatibility": ""}, id="compatibility-empty"),
        pytest.param({"license": "Apache-2.0"}, id="license"),
        pytest.param({"allowed-tools": "Bash(git:*) Read"}, id="allowed-tools"),
    ],
)
def test_optional_keys_accepted(extra: dict[str, Any]) -> None:
    assert check({**GOOD_DATA, **extra}, "pdf-tools") == []


def test_unquoted_yaml_metadata_version_is_reported_with_a_quoting_hint() -> None:
    raw = b"---\nname: pdf-tools\ndescription: x\nmetadata:\n  version: 1.0\n---\n"
    _, problems = check_skill_md(raw, "pdf-tools")
    assert [str(p) for p in problems] == [
        "SKILL.md: metadata: must be a mapping of string keys to string values. "
        'Fix: quote the values, e.g. version: "1.0".'
    ]


# ------------------------------------------------------------------------------------ check_skill_md


def test_check_skill_md_reports_every_problem_at_once() -> None:
    raw = b"---\nname: PDF_Tools\ndescription: ''\nversion: 2\nmetadata:\n  rev: 3\n---\n"
    data, problems = check_skill_md(raw, "pdf-tools")
    assert data == {"name": "PDF_Tools", "description": "", "version": 2, "metadata": {"rev": 3}}
    assert [(p.where, p.message) for p in problems] == [
        (
            "SKILL.md: frontmatter",
            f"unexpected key(s) 'version'; the Skills API allows only {', '.join(ALLOWED_KEYS)}.",
        ),
        (NAME, "may contain only lowercase letters, digits and hyphens; found 'D', 'F', 'P', 'T', '_'."),
        (NAME, "'PDF_Tools' does not match the folder name 'pdf-tools'; the Skills API requires them equal."),
        (DESCRIPTION, "is empty."),
        ("SKILL.md: metadata", "must be a mapping of string keys to string values."),
    ]


def test_check_skill_md_stops_at_a_parse_problem() -> None:
    data, problems = check_skill_md(b"no frontmatter", "pdf-tools")
    assert data is None
    assert [p.message for p in problems] == ["does not start with YAML frontmatter (a line '---')."]


def test_check_skill_md_valid() -> None:
    assert check_skill_md(GOOD, "pdf-tools") == (GOOD_DATA, [])


# ---------------------------------------------------------------------------------------- properties

VALID_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
valid_names = st.from_regex(VALID_NAME, fullmatch=True).filter(
    lambda s: len(s) <= 64 and "anthropic" not in s and "claude" not in s
)


@given(valid_names)
def test_property_valid_names_have_no_name_problems(name: str) -> None:
    assert name_messages(name) == []


def _outside_name_alphabet(c: str) -> bool:
    return re.fullmatch(r"[a-z0-9-]", c) is None


@given(
    prefix=st.text(),
    bad=st.characters(codec="utf-8").filter(_outside_name_alphabet),
    suffix=st.text(),
)
@example(prefix="pdf", bad="<", suffix="")
@example(prefix="", bad="'", suffix="")
@example(prefix="a", bad="\n", suffix="b")
def test_property_a_bad_character_is_named(prefix: str, bad: str, suffix: str) -> None:
    name = prefix + bad + suffix
    found = name_messages(name)
    assert any(repr(bad) in message for message in found), (name, found)


@given(st.text())
@example("")
@example("---")
@example("PDF Tools!")
@example("Claude Helper")
@example("my anthropic claude kit")
@example("é" * 100)
@example("a" * 63 + " b")
@example("a" * 200)
def test_property_suggest_name_passes_the_name_rules(text: str) -> None:
    suggestion = suggest_name(text)
    assert name_messages(suggestion) == [], (text, suggestion)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("PDF Tools", "pdf-tools", id="spaces-and-case"),
        pytest.param("  my__skill  v2 ", "my-skill-v2", id="runs-of-separators"),
        pytest.param("Claude Helper", "helper", id="reserved-word-dropped"),
        pytest.param("", "my-skill", id="empty"),
        pytest.param("日本語", "my-skill", id="nothing-usable"),
        pytest.param("a" * 63 + " b", "a" * 63, id="cut-at-64-without-trailing-hyphen"),
    ],
)
def test_suggest_name_examples(text: str, expected: str) -> None:
    assert suggest_name(text) == expected


@pytest.mark.parametrize("text", ["claclaudeude", "anthclauderopic", "ClaClaudeUde"])
def test_suggest_name_never_suggests_a_reserved_word(text: str) -> None:
    suggestion = suggest_name(text)
    assert name_messages(suggestion) == [], suggestion
