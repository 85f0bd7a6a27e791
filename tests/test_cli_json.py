"""`--json` is always JSON: one document on stdout, on success and on every failure, with the README's exit codes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import API_KEY, Emulator, server_command, write_skill
from test_cli import against, cli

from skills_mcp.api.local import LABEL
from skills_mcp.emulator.faults import Fault


def one_document(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """stdout holds exactly one JSON document (json.loads refuses anything after it) and no key."""
    assert API_KEY not in run.stdout + run.stderr
    document = json.loads(run.stdout)
    assert isinstance(document, dict), run.stdout
    return document


Case = Callable[[Emulator, Path], subprocess.CompletedProcess[str]]


def _refused_publish(api: Emulator, tmp: Path) -> subprocess.CompletedProcess[str]:
    bad = write_skill(tmp, frontmatter="name: Bad\ndescription: x\n")
    return cli("publish", str(bad), "--json", env=against(api))


def _refused_validate(api: Emulator, tmp: Path) -> subprocess.CompletedProcess[str]:
    return cli("validate", str(write_skill(tmp, frontmatter="name: Bad\ndescription: x\n")), "--json")


def _not_json(api: Emulator, tmp: Path) -> subprocess.CompletedProcess[str]:
    api.state.faults.push(Fault(status=200, body=b"{not json", method="GET", path_prefix="/v1/skills/skill_x"))
    return cli("get", "skill_x", "--json", env=against(api))


UNREACHABLE = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": API_KEY}
CASES: dict[str, tuple[Case, int, str]] = {
    "refused publish": (_refused_publish, 1, "invalid"),
    "validate finds problems": (_refused_validate, 1, "invalid"),
    "usage": (lambda api, tmp: cli("list", "--limit", "0", "--json", env=against(api)), 2, "usage"),
    "mistyped command": (lambda api, tmp: cli("publis", "x", "--json"), 2, "usage"),
    "unknown skill": (lambda api, tmp: cli("get", "skill_nope", "--json", env=against(api)), 3, "api_error"),
    "unreachable": (lambda api, tmp: cli("list", "--json", "--max-attempts", "1", env=UNREACHABLE), 4, "unreachable"),
    "no key": (lambda api, tmp: cli("list", "--json", env=against(api, key=None)), 5, "configuration"),
    "answer refused": (_not_json, 6, "answer_refused"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_failure_is_one_json_document_with_the_readme_exit_code(case: str, api: Emulator, tmp_path: Path) -> None:
    run_case, code, kind = CASES[case]
    run = run_case(api, tmp_path)

    assert run.returncode == code, (run.stdout, run.stderr)
    document = one_document(run)
    error = document["error"]
    assert error["kind"] == kind and error["message"], error
    if case == "validate finds problems":  # the report, which is the answer, and the error member with it
        assert document["ok"] is False and error["problems"] == document["problems"]
    else:
        assert error["message"] in run.stderr  # the same words for people, on stderr
    assert set(error) <= {"kind", "message", "problems", "status", "request_id"}, error
    if case in ("refused publish", "validate finds problems"):
        assert error["problems"] and all(p["where"] and p["message"] and p["fix"] for p in error["problems"])
        assert api.state.requests == []  # a refused publish sends nothing
    if case in ("unknown skill", "answer refused"):
        assert error["status"] == (404 if case == "unknown skill" else 200)
    if case == "unknown skill":
        assert error["request_id"].startswith("req_")
    if case in ("usage", "no key"):
        assert api.state.requests == []  # checked before any work


def test_local_mode_says_so_in_the_document_on_success_and_failure(tmp_path: Path) -> None:
    data = ["--local", "--data-dir", str(tmp_path / "data")]
    listed = cli(*data, "list", "--json")
    missing = cli(*data, "get", "skill_01234567890123456789abcd", "--json")

    assert listed.returncode == 0 and one_document(listed) == {"local_emulator": True, "data": []}
    assert missing.returncode == 3
    document = one_document(missing)
    assert document["local_emulator"] is True and document["error"]["status"] == 404
    assert "key" not in document["error"]["message"]  # local mode has no key to talk about
    assert listed.stderr == missing.stderr.splitlines(keepends=True)[0] == f"{LABEL}\n"  # a line of its own


def test_the_emulator_prints_its_address_as_json_once_it_listens(tmp_path: Path) -> None:
    command = [server_command(), "emulator", "--port", "0", "--data-dir", str(tmp_path / "data"), "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as emulator:
        assert emulator.stdout is not None
        address = json.loads(emulator.stdout.readline())  # one object, on one line
        listed = cli("list", "--json", env={"ANTHROPIC_BASE_URL": address["url"], "ANTHROPIC_API_KEY": "any"})
        emulator.terminate()
        rest, _ = emulator.communicate(timeout=30)

    assert address == {"url": address["url"], "data_dir": str(tmp_path / "data")}
    assert address["url"].startswith("http://127.0.0.1:")
    assert listed.returncode == 0 and one_document(listed) == {"data": []}
    assert rest == ""  # nothing else on stdout
