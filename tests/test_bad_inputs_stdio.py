"""Bad input for every tool but create_skill_version, through the real server.

Locally refused input says what is wrong and how to fix it, and sends nothing; input the schema refuses
names the field and sends nothing; input only the API can judge comes back as the API's error with its
request id. (create_skill_version has its own table in test_validation_stdio.py.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator, McpSession, write_skill

SKILL_ID = "skill_01AbCdEfGhIjKlMnOpQrStUv"
UNKNOWN_ID = "skill_01NoSuchSkillAnywhere00"

# What each tool says first when it refuses before sending anything.
HEADINGS = {
    "publish_skill": "Nothing was uploaded",
    "create_skill": "Nothing was uploaded",
    "get_skill": "Nothing was sent",
    "list_skill_versions": "Nothing was sent",
    "get_skill_version": "Nothing was sent",
    "delete_skill_version": "Nothing was sent",
    "delete_skill": "Nothing was deleted",
    "download_skill_version": "Nothing was downloaded",
}

# Each case builds what it needs under the test's own folder (inside the allowed one) and returns the arguments.
Build = Callable[[Path], dict[str, Any]]

# --- builders -----------------------------------------------------------------------------------------------


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def outside_dir(w: Path) -> Path:
    """A real folder next to the allowed one, so outside it (the allowed folder's parent is pytest's basetemp)."""
    folder = w.parent.parent / f"outside-{w.name}"
    folder.mkdir(exist_ok=True)
    return folder


def a_file(w: Path) -> Path:
    (w / "notes.txt").write_text("hi")
    return w / "notes.txt"


def no_skill_md(w: Path) -> Path:
    folder = write_skill(w)
    (folder / "SKILL.md").unlink()
    (folder / "README.md").write_text("hi")
    return folder


def bad_yaml(w: Path) -> Path:
    folder = write_skill(w)
    (folder / "SKILL.md").write_bytes(b"---\nname: pdf-tools\ndescription: [unclosed\n---\n")
    return folder


def no_name(w: Path) -> Path:
    return write_skill(w, frontmatter="description: Does things.\n")


def long_component(w: Path) -> Path:
    return w / ("x" * 300)  # one name of 300 bytes: more than any file system allows (NAME_MAX is 255)


def publish(path: Callable[[Path], Path | str], **extra: Any) -> Build:
    """Arguments for publish_skill or create_skill: the folder `path` builds."""
    return lambda w: {"path": str(path(w)), **extra}


def publish_id(skill_id: str) -> Build:
    return lambda w: {"path": str(write_skill(w)), "skill_id": skill_id}


def titled(title: str) -> Build:
    return lambda w: {"path": str(write_skill(w)), "display_name": title}


def skill(skill_id: str) -> Build:
    return lambda w: {"skill_id": skill_id}


def version(ver: str, skill_id: str = SKILL_ID) -> Build:
    return lambda w: {"skill_id": skill_id, "version": ver}


def download_to(destination: Callable[[Path], Path | str], ver: str = "latest", skill_id: str = SKILL_ID) -> Build:
    return lambda w: {"skill_id": skill_id, "version": ver, "destination": str(destination(w))}


def symlink_out(w: Path) -> Path:
    link = w / "downloads"
    link.symlink_to(outside_dir(w), target_is_directory=True)
    return link


def symlink_out_deep(w: Path) -> Path:
    (w / "a" / "b").mkdir(parents=True)
    (w / "a" / "b" / "up").symlink_to("../../../..", target_is_directory=True)  # relative, climbing out
    return w / "a" / "b" / "up"


def dotdot_escape(w: Path) -> str:
    return str(w) + "/../../.."


def missing(w: Path) -> Path:
    return w / "nope"


IS_ID_PROBLEM = "contains '/' or '..'"
WHITESPACE = "whitespace or control characters"
OUTSIDE = "is outside the folders this server may read"

# (tool, arguments, fragments the message must contain). Every one is refused before anything is sent.
CASES: dict[str, tuple[str, Build, list[str]]] = {
    # publish_skill: the folder
    "publish outside allowed": ("publish_skill", publish(lambda w: "/etc"), ["path: /etc " + OUTSIDE, "--allow-dir"]),
    "publish dotdot escape": ("publish_skill", publish(dotdot_escape), [OUTSIDE]),
    "publish relative": ("publish_skill", lambda w: {"path": "pdf-tools"}, ["'pdf-tools' is relative", "absolute"]),
    "publish empty path": ("publish_skill", lambda w: {"path": ""}, ["path: is empty."]),
    "publish blank path": ("publish_skill", lambda w: {"path": "  \n"}, ["path: is empty."]),
    "publish missing folder": ("publish_skill", publish(missing), ["does not exist"]),
    "publish a file": ("publish_skill", publish(a_file), ["is a file, not a folder"]),
    "publish no SKILL.md": ("publish_skill", publish(no_skill_md), ["SKILL.md: is missing"]),
    "publish bad frontmatter": ("publish_skill", publish(bad_yaml), ["is not valid YAML at line"]),
    "publish no name": ("publish_skill", publish(no_name), ["name: is missing"]),
    "publish name too long for the OS": ("publish_skill", publish(long_component), ["path:"]),
    # publish_skill: skill_id
    "publish skill_id empty": ("publish_skill", publish_id(""), ["skill_id: is empty"]),
    "publish skill_id slash": ("publish_skill", publish_id("/"), ["skill_id: '/' " + IS_ID_PROBLEM]),
    "publish skill_id dotdot": ("publish_skill", publish_id(".."), [IS_ID_PROBLEM]),
    "publish skill_id dot": ("publish_skill", publish_id("."), ["'.' is not an id"]),
    "publish skill_id whitespace": ("publish_skill", publish_id(" "), [WHITESPACE]),
    "publish skill_id control": ("publish_skill", publish_id("skill_1\x1b"), [WHITESPACE]),
    # create_skill: the folder and display_name
    "create outside allowed": ("create_skill", publish(lambda w: "/etc"), ["path: /etc " + OUTSIDE]),
    "create missing folder": ("create_skill", publish(missing), ["does not exist"]),
    "create no SKILL.md": ("create_skill", publish(no_skill_md), ["SKILL.md: is missing"]),
    "create title empty": ("create_skill", titled(""), ["display_name: must be one line of 1 to 255 printable"]),
    "create title blank": ("create_skill", titled("   "), ["display_name: must be one line"]),
    "create title 256 chars": ("create_skill", titled("t" * 256), ["display_name: must be one line"]),
    "create title newline": ("create_skill", titled("PDF\ntools"), ["display_name: must be one line"]),
    "create title carriage return": ("create_skill", titled("PDF\rtools"), ["display_name: must be one line"]),
    "create title with a tab": ("create_skill", titled("PDF\ttools"), ["printable characters"]),
    "create title and folder both bad": (
        "create_skill",
        lambda w: {"path": str(no_skill_md(w)), "display_name": ""},
        ["(2 problems)", "display_name:", "SKILL.md: is missing"],
    ),
    # skill ids for the read and delete tools
    "get_skill empty": ("get_skill", skill(""), ["skill_id: is empty"]),
    "get_skill slash": ("get_skill", skill(f"{SKILL_ID}/versions"), [IS_ID_PROBLEM]),
    "get_skill dotdot": ("get_skill", skill(".."), [IS_ID_PROBLEM]),
    "get_skill dot": ("get_skill", skill("."), ["'.' is not an id"]),
    "get_skill whitespace": ("get_skill", skill(f"{SKILL_ID}\t"), [WHITESPACE]),
    "get_skill control": ("get_skill", skill(f"{SKILL_ID}\x7f"), [WHITESPACE]),
    "get_skill NUL": ("get_skill", skill("skill\x00x"), [WHITESPACE]),
    "list_skill_versions empty": ("list_skill_versions", skill(""), ["skill_id: is empty"]),
    "list_skill_versions dotdot": ("list_skill_versions", skill("../skills"), [IS_ID_PROBLEM]),
    "list_skill_versions unicode space": ("list_skill_versions", skill("skill\u00a01"), [WHITESPACE]),
    "delete_skill empty": ("delete_skill", skill(""), ["skill_id: is empty"]),
    "delete_skill dotdot": ("delete_skill", lambda w: {"skill_id": "..", "delete_versions": True}, [IS_ID_PROBLEM]),
    "delete_skill dot": ("delete_skill", skill("."), ["'.' is not an id"]),
    "delete_skill whitespace": ("delete_skill", skill("skill 1"), [WHITESPACE]),
    # versions
    "get_skill_version empty": ("get_skill_version", version(""), ["version: is empty", "'latest'"]),
    "get_skill_version slash": ("get_skill_version", version("1/content"), ["version:", IS_ID_PROBLEM]),
    "get_skill_version dotdot": ("get_skill_version", version(".."), ["version:", IS_ID_PROBLEM]),
    "get_skill_version dot": ("get_skill_version", version("."), ["version: '.' is not an id"]),
    "get_skill_version whitespace": ("get_skill_version", version(" latest"), ["version:", WHITESPACE]),
    "get_skill_version control": ("get_skill_version", version("latest\n"), ["version:", WHITESPACE]),
    "get_skill_version bad skill_id": ("get_skill_version", version("latest", "."), ["skill_id: '.' is not an id"]),
    "delete_skill_version empty": ("delete_skill_version", version(""), ["version: is empty"]),
    "delete_skill_version slash": ("delete_skill_version", version("/"), ["version:", IS_ID_PROBLEM]),
    "delete_skill_version dotdot": ("delete_skill_version", version(".."), ["version:", IS_ID_PROBLEM]),
    "delete_skill_version dot": ("delete_skill_version", version("."), ["'.' is not an id"]),
    "delete_skill_version control": ("delete_skill_version", version("17\x00"), ["version:", WHITESPACE]),
    "delete_skill_version both bad": (
        "delete_skill_version",
        version("..", ""),
        ["(2 problems)", "skill_id: is empty", "version:"],
    ),
    # download_skill_version: ids
    "download version empty": ("download_skill_version", download_to(lambda w: w, ver=""), ["version: is empty"]),
    "download version dotdot": ("download_skill_version", download_to(lambda w: w, ver=".."), [IS_ID_PROBLEM]),
    "download version whitespace": ("download_skill_version", download_to(lambda w: w, ver="1 2"), [WHITESPACE]),
    "download skill_id slash": (
        "download_skill_version",
        download_to(lambda w: w, skill_id="a/b"),
        ["skill_id: 'a/b' " + IS_ID_PROBLEM],
    ),
    # download_skill_version: the destination
    "download outside allowed": (
        "download_skill_version",
        download_to(lambda w: "/etc"),
        ["destination: /etc " + OUTSIDE, "--allow-dir"],
    ),
    "download relative": ("download_skill_version", download_to(lambda w: "out"), ["destination: 'out' is relative"]),
    "download empty": ("download_skill_version", download_to(lambda w: ""), ["destination: is empty."]),
    "download to a file": ("download_skill_version", download_to(a_file), ["is not an existing folder"]),
    "download missing folder": ("download_skill_version", download_to(missing), ["is not an existing folder"]),
    "download dotdot escape": ("download_skill_version", download_to(dotdot_escape), ["destination:", OUTSIDE]),
    "download symlink out": ("download_skill_version", download_to(symlink_out), ["destination:", OUTSIDE]),
    "download relative symlink out": (
        "download_skill_version",
        download_to(symlink_out_deep),
        ["destination:", OUTSIDE],
    ),
    "download everything bad": (
        "download_skill_version",
        lambda w: {"skill_id": "", "version": ".", "destination": "/etc"},
        ["(3 problems)", "skill_id: is empty", "version: '.' is not an id", "destination: /etc " + OUTSIDE],
    ),
    "download name too long for the OS": ("download_skill_version", download_to(long_component), ["destination:"]),
}


def _params() -> list[Any]:
    return [pytest.param(*case, id=name) for name, case in CASES.items()]


@pytest.mark.parametrize(("tool", "build", "expected"), _params())
def test_refused_before_anything_is_sent(
    tool: str, build: Build, expected: list[str], api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    result = mcp.call(tool, build(workdir))
    message = text_of(result)
    assert result.is_error is True, message
    assert message.startswith(f"Error executing tool {tool}: {HEADINGS[tool]} ("), message
    for fragment in expected:
        assert fragment in message, message
    assert "Fix:" in message
    assert api.state.requests == []  # not one request reached the API


def test_symlinked_destination_is_judged_by_its_target(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    link = symlink_out(workdir)
    target = outside_dir(workdir).resolve()
    message = text_of(mcp.call("download_skill_version", download_to(lambda w: link)(workdir)))
    assert f"destination: {target} {OUTSIDE}" in message  # the real path, not the link, is what was checked
    assert list(target.iterdir()) == []
    assert api.state.requests == []


# --- validate_skill: a dry run reports folder problems as data, not as an error --------------------------------

VALIDATE_CASES: dict[str, Any] = {  # pytest.param(build the path, [(where, fragment of the message)])
    "outside allowed": (lambda w: "/etc", [("path", "/etc " + OUTSIDE)]),
    "dotdot escape": (dotdot_escape, [("path", OUTSIDE)]),
    "relative": (lambda w: "pdf-tools", [("path", "is relative")]),
    "empty": (lambda w: "", [("path", "is empty.")]),
    "missing": (missing, [("path", "does not exist")]),
    "a file": (a_file, [("path", "is a file, not a folder")]),
    "no SKILL.md": (no_skill_md, [("SKILL.md", "is missing")]),
    "bad YAML": (bad_yaml, [("SKILL.md", "is not valid YAML")]),
    "no name": (no_name, [("SKILL.md: name", "is missing")]),
    "name too long for the OS": (long_component, [("path", "")]),
    # With a readable name the report can be built, so these work today.
    "name differs from folder": pytest.param(
        lambda w: write_skill(w, frontmatter="name: pdf-forms\ndescription: x\n"),
        [("SKILL.md: name", "does not match the folder name 'pdf-tools'")],
    ),
    "no description, unknown key": pytest.param(
        lambda w: write_skill(w, frontmatter="name: pdf-tools\nversion: 2\n"),
        [("SKILL.md: description", "is missing"), ("SKILL.md: frontmatter", "unexpected key(s) 'version'")],
    ),
}


@pytest.mark.parametrize(("build", "expected"), list(VALIDATE_CASES.values()), ids=list(VALIDATE_CASES))
def test_validate_skill_reports_problems_without_sending(
    build: Callable[[Path], Path | str],
    expected: list[tuple[str, str]],
    api: Emulator,
    mcp: McpSession,
    workdir: Path,
) -> None:
    result = mcp.call("validate_skill", {"path": str(build(workdir))})
    assert result.is_error is False, text_of(result)
    report = result.structured_content
    assert report is not None
    assert report["ok"] is False
    problems = report["problems"]
    for where, fragment in expected:
        assert any(p["where"] == where and fragment in p["message"] for p in problems), problems
    assert all(p["fix"] for p in problems)  # each problem says how to fix it
    assert api.state.requests == []


# --- refused by the input schema: the field is named, nothing is sent ------------------------------------------

SCHEMA_CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "list_skills limit 0": ("list_skills", {"limit": 0}, "limit"),
    "list_skills limit 1001": ("list_skills", {"limit": 1001}, "limit"),
    "list_skills limit -1": ("list_skills", {"limit": -1}, "limit"),
    "list_skills limit not a number": ("list_skills", {"limit": "ten"}, "limit"),
    "list_skills bad source": ("list_skills", {"source": "mine"}, "source"),
    "list_skills source in capitals": ("list_skills", {"source": "Custom"}, "source"),
    "list_skill_versions limit 0": ("list_skill_versions", {"skill_id": SKILL_ID, "limit": 0}, "limit"),
    "list_skill_versions limit 1001": ("list_skill_versions", {"skill_id": SKILL_ID, "limit": 1001}, "limit"),
    "list_skill_versions limit -1": ("list_skill_versions", {"skill_id": SKILL_ID, "limit": -1}, "limit"),
    "get_skill no skill_id": ("get_skill", {}, "skill_id"),
    "get_skill skill_id a number": ("get_skill", {"skill_id": 42}, "skill_id"),
    "get_skill_version no version": ("get_skill_version", {"skill_id": SKILL_ID}, "version"),
    "download no destination": ("download_skill_version", {"skill_id": SKILL_ID, "version": "latest"}, "destination"),
    "publish no path": ("publish_skill", {}, "path"),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES), ids=list(SCHEMA_CASES))
def test_refused_by_the_input_schema(case: str, api: Emulator, mcp: McpSession) -> None:
    tool, arguments, field = SCHEMA_CASES[case]
    result = mcp.call(tool, arguments)
    message = text_of(result)
    assert result.is_error is True, message
    assert message.startswith(f"Error executing tool {tool}:")
    assert re.search(rf"^{field}$", message, re.MULTILINE), message  # pydantic names the field on its own line
    assert api.state.requests == []


# --- judged by the API: its error, with the request id, and nothing changed -----------------------------------

NOT_FOUND = ["Skills API error 404 not_found_error", "Check the id; list_skills shows the skills"]
# A request for a version: the skill or the version is missing, and the hint points at the skill's versions.
VERSION_NOT_FOUND = ["Skills API error 404 not_found_error", "Check the skill id and the version; list_skill_versions"]

API_CASES: dict[str, tuple[str, Build, list[str]]] = {
    "get_skill unknown": ("get_skill", skill(UNKNOWN_ID), [*NOT_FOUND, f"Skill not found: {UNKNOWN_ID}"]),
    "list_skill_versions unknown": ("list_skill_versions", skill(UNKNOWN_ID), NOT_FOUND),
    "get_skill_version unknown skill": ("get_skill_version", version("latest", UNKNOWN_ID), VERSION_NOT_FOUND),
    "delete_skill_version unknown skill": ("delete_skill_version", version("123", UNKNOWN_ID), VERSION_NOT_FOUND),
    "delete_skill unknown": ("delete_skill", skill(UNKNOWN_ID), NOT_FOUND),
    "delete_skill unknown, with versions": (
        "delete_skill",
        lambda w: {"skill_id": UNKNOWN_ID, "delete_versions": True},
        NOT_FOUND,
    ),
    "download unknown skill": (
        "download_skill_version",
        download_to(lambda w: w, skill_id=UNKNOWN_ID),
        VERSION_NOT_FOUND,
    ),
    "publish to unknown skill": ("publish_skill", publish_id(UNKNOWN_ID), NOT_FOUND),
    "list_skills bad cursor": (
        "list_skills",
        lambda w: {"page": "page_not-a-cursor"},
        ["Skills API error 400 invalid_request_error: Invalid page cursor."],
    ),
}


@pytest.mark.parametrize("case", list(API_CASES), ids=list(API_CASES))
def test_api_refusal_reaches_the_agent(case: str, api: Emulator, mcp: McpSession, workdir: Path) -> None:
    tool, build, expected = API_CASES[case]
    arguments = build(workdir)
    before = sorted(workdir.rglob("*"))
    result = mcp.call(tool, arguments)
    message = text_of(result)
    assert result.is_error is True, message
    for fragment in expected:
        assert fragment in message, message
    sent = api.state.requests
    assert sent, "the API was asked"
    assert re.search(r"\(request id req_[0-9A-Za-z]{24}\)", message), message
    assert [r for r in sent if r.method == "POST"] == []  # nothing uploaded
    if tool == "delete_skill":
        assert [r for r in sent if r.method == "DELETE"] == []  # the versions were listed first: no deleting
    assert api.state.store.skills == {}
    assert sorted(workdir.rglob("*")) == before  # nothing downloaded either


def test_unknown_version_of_a_known_skill(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    made = mcp.call("publish_skill", {"path": str(write_skill(workdir))})
    assert made.is_error is False, text_of(made)
    skill_id = made.structured_content["skill"]["id"]  # type: ignore[index]
    for tool in ("get_skill_version", "delete_skill_version", "download_skill_version"):
        arguments = {"skill_id": skill_id, "version": "skillver_01Unknown"}
        if tool == "download_skill_version":
            arguments["destination"] = str(workdir)
        message = text_of(mcp.call(tool, arguments))
        assert "Skills API error 404 not_found_error: Skill version not found: skillver_01Unknown" in message, tool
        assert re.search(r"\(request id req_\w+\)", message), message
    assert len(api.state.store.skills[skill_id].versions) == 1


def test_delete_skill_with_versions_needs_delete_versions(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    made = mcp.call("publish_skill", {"path": str(write_skill(workdir))})
    skill_id = made.structured_content["skill"]["id"]  # type: ignore[index]
    before = len(api.state.requests)

    result = mcp.call("delete_skill", {"skill_id": skill_id})
    message = text_of(result)

    assert result.is_error is True
    assert message.startswith(f"Error executing tool delete_skill: Nothing was deleted: skill {skill_id} still has")
    assert "delete_versions=true" in message and "delete_skill_version" in message
    assert [r.method for r in api.state.requests[before:]] == ["GET"]  # looked, deleted nothing
    assert len(api.state.store.skills[skill_id].versions) == 1
    again = mcp.call("delete_skill", {"skill_id": skill_id, "delete_versions": False})
    assert again.is_error is True and skill_id in api.state.store.skills
