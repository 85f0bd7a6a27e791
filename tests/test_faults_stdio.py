"""Every injected fault, through the real server: a correct result or a clear error, exactly one new
version per successful call and none for a failed one, and a server that keeps serving."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anthropic.lib import files_from_dir
from conftest import Emulator, McpSession, Mode, official_sdk, server_env, write_skill

from skills_mcp.emulator import Fault

FAST = {"retry-after-ms": "20"}  # a server-named wait, so retries do not sit out the backoff
DEEP = b"[" * 200_000 + b"]" * 200_000  # valid JSON, nested past the parser's recursion limit


@dataclass
class Case:
    faults: list[dict[str, Any]]
    ok: bool
    new_versions: int
    says: list[str] = field(default_factory=list)


CASES: dict[str, Case] = {
    "503 then fine": Case([{"status": 503, "headers": FAST}], True, 1),
    "429 twice then fine": Case([{"status": 429, "headers": FAST, "times": 2}], True, 1),
    "529 overloaded": Case([{"status": 529, "headers": FAST}], True, 1),
    "502 html page from a proxy": Case(
        [{"status": 502, "headers": {**FAST, "content-type": "text/html"}, "body": b"<html>Bad gateway</html>"}],
        True,
        1,
    ),
    "504 gateway timeout": Case([{"status": 504, "headers": FAST}], True, 1),
    "retry-after in seconds": Case([{"status": 503, "headers": {"retry-after": "0.05"}}], True, 1),
    "x-should-retry true on a 400": Case([{"status": 400, "headers": {**FAST, "x-should-retry": "true"}}], True, 1),
    "x-should-retry false on a 503": Case(
        [{"status": 503, "headers": {"x-should-retry": "false"}}],
        False,
        0,
        ["503", "When checked, it had not been stored"],
    ),
    "500 that did not land": Case(
        [{"status": 500}], False, 0, ["500 api_error", "When checked, it had not been stored"]
    ),
    "500 that landed": Case([{"status": 500, "after": True}], True, 1),
    "503 that landed": Case([{"status": 503, "after": True, "headers": FAST}], True, 1),
    "dropped before the body was read": Case([{"kind": "drop_before_body"}], True, 1),
    "dropped after it was handled": Case([{"kind": "drop_after_body"}], True, 1),
    "answer cut in half": Case([{"kind": "truncate"}], True, 1),
    "malformed 200 that landed": Case([{"status": 200, "body": b"{not json", "after": True}], True, 1),
    "malformed 200 that did not land": Case(
        [{"status": 200, "body": b"{not json"}], False, 0, ["not a JSON object", "not been stored"]
    ),
    "oversized answer that landed": Case([{"status": 200, "body_size": 12_000_000, "after": True}], True, 1),
    "502 for good": Case(
        [{"status": 502, "headers": FAST, "times": 10}],
        False,
        0,
        ["Skills API error 502", "gave up after 4 attempts", "request id req_"],
    ),
    "401": Case([{"status": 401}], False, 0, ["401 authentication_error", "ANTHROPIC_API_KEY"]),
    "redirect with a JSON body": Case(
        [{"status": 302, "headers": {"location": "http://elsewhere.example/v1/x"}, "body": {"id": "skillver_x"}}],
        False,
        0,
        ["refused", "redirect", "elsewhere.example", "ANTHROPIC_BASE_URL"],
    ),
    "deeply nested 200 that landed": Case([{"status": 200, "body": DEEP, "after": True}], True, 1),
    "deeply nested 200 that did not land": Case(
        [{"status": 200, "body": DEEP}], False, 0, ["not a JSON object", "not been stored"]
    ),
    "deeply nested 500 body": Case([{"status": 500, "body": DEEP}], False, 0, ["500", "not been stored"]),
    "404": Case([{"status": 404}], False, 0, ["404 not_found_error"]),
}


def make_skill(api: Emulator, folder: Path) -> str:
    client = official_sdk(api.url)
    return client.beta.skills.create(files=files_from_dir(folder), betas=["skills-2025-10-02"]).id


def versions(api: Emulator, skill_id: str) -> int:
    return len(api.state.store.skills[skill_id].versions)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_fault_on_create_version(name: str, api: Emulator, mcp: McpSession, workdir: Path) -> None:
    case = CASES[name]
    folder = write_skill(workdir, files={"scripts/run.py": "print('hi')\n"})
    skill_id = make_skill(api, folder)  # the same content: an earlier identical version must not fool the check
    for fault in case.faults:
        api.state.faults.push(Fault(method="POST", path_prefix=f"/v1/skills/{skill_id}/versions", **fault))

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error is not case.ok, message
    for fragment in case.says:
        assert fragment in message
    assert versions(api, skill_id) == 1 + case.new_versions
    if case.ok:
        assert result.structured_content is not None
        latest = api.state.store.skills[skill_id].latest
        assert latest is not None and result.structured_content["id"] == latest.id
    assert api.state.faults.pending() == [] or not case.ok
    assert mcp.call("get_skill", {"skill_id": skill_id}).is_error is False  # still serving


@pytest.mark.parametrize("kind", ["drop_after_body", "truncate"])
def test_create_skill_that_landed_is_not_created_twice(kind: str, api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    folder = write_skill(workdir)
    api.state.faults.push(Fault(kind=kind, method="POST", path_prefix="/v1/skills"))  # type: ignore[arg-type]

    result = mcp.call("create_skill", {"path": str(folder)})

    assert result.is_error is False, result.content
    assert len(api.state.store.skills) == 1
    assert result.structured_content is not None
    assert result.structured_content["skill"]["id"] in api.state.store.skills


def test_create_skill_dropped_before_the_body_is_sent_again(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    api.state.faults.push(Fault(kind="drop_before_body", method="POST", path_prefix="/v1/skills"))

    result = mcp.call("create_skill", {"path": str(folder)})

    assert result.is_error is False, result.content
    assert len(api.state.store.skills) == 1


def test_reads_are_retried_after_a_dropped_connection(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    skill_id = make_skill(api, write_skill(workdir))
    api.state.faults.push(Fault(kind="drop_after_body", method="GET", path_prefix=f"/v1/skills/{skill_id}"))
    result = mcp.call("get_skill", {"skill_id": skill_id})
    assert result.is_error is False and result.structured_content is not None
    assert result.structured_content["id"] == skill_id


def test_a_delete_whose_answer_was_lost_still_reports_success(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    skill_id = make_skill(api, folder)
    version = api.state.store.skills[skill_id].versions[0].id
    api.state.faults.push(Fault(kind="drop_after_body", method="DELETE"))

    result = mcp.call("delete_skill_version", {"skill_id": skill_id, "version": version})

    assert result.is_error is False, result.content
    assert result.structured_content == {"id": version, "type": "skill_version_deleted"}
    assert versions(api, skill_id) == 0


def test_a_slow_api_never_holds_a_call_past_its_budget(api: Emulator, emulator: Emulator, workdir: Path,
                                                        tmp_path: Path) -> None:  # fmt: skip
    folder = write_skill(workdir)
    skill_id = make_skill(api, folder)
    api.state.faults.push(Fault(kind="slow", delay=30, method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))
    session = McpSession(["--allow-dir", str(workdir), "--timeout", "3"], server_env(emulator), tmp_path / "err.log")
    try:
        result = session.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
        after = session.call("get_skill", {"skill_id": skill_id})
    finally:
        session.close()
    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error and "time budget" in message
    assert after.is_error is False  # the server keeps serving
    assert versions(api, skill_id) == 1


# --- the snapshot an upload is checked against, when this server published to the skill before ----------


@pytest.mark.parametrize(
    ("fault", "ok"), [({"kind": "drop_after_body"}, True), ({"status": 500}, False)], ids=["landed", "did not land"]
)
def test_a_lost_answer_after_an_earlier_publish_is_checked_against_that_publish(
    fault: dict[str, Any], ok: bool, api: Emulator, mode: Mode, workdir: Path
) -> None:
    """The second publish reads nothing first: its snapshot is the version this server made (in either mode)."""
    mcp = mode.mcp
    folder = write_skill(workdir)
    skill_id = make_skill(api, folder)
    first = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    assert first.is_error is False, first.content
    requests_before = len(api.state.requests)
    api.state.faults.push(Fault(method="POST", path_prefix=f"/v1/skills/{skill_id}/versions", **fault))

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    assert result.is_error is not ok, result.content
    assert api.state.requests[requests_before].method == "POST"  # no read ahead of the upload
    assert versions(api, skill_id) == 2 + ok  # identical earlier versions were not taken for this one
    if ok:
        latest = api.state.store.skills[skill_id].latest
        assert result.structured_content is not None and latest is not None
        assert result.structured_content["id"] == latest.id
    else:
        assert "When checked, it had not been stored" in "\n".join(getattr(c, "text", "") for c in result.content)


def test_a_lost_answer_is_unknown_when_the_snapshot_version_was_deleted(
    api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    """Deleted elsewhere, the version noted before the upload no longer bounds the check: say so, do not guess."""
    folder = write_skill(workdir)
    skill_id = make_skill(api, folder)
    first = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    assert first.is_error is False and first.structured_content is not None
    official_sdk(api.url).skills.versions.delete(first.structured_content["id"], skill_id=skill_id)
    api.state.faults.push(Fault(status=500, after=True, method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error and "may or may not" in message
    assert versions(api, skill_id) == 2  # the first, and the one whose answer was lost: nothing re-sent


# --- "did it land?" never claims a version it cannot show is ours ------------------------------------------

CONTENT_FAILURES: dict[str, dict[str, Any]] = {
    "404": {"status": 404},
    "500": {"status": 500},
    "429 for good": {"status": 429, "headers": FAST, "times": 10},
    "archive too large": {"status": 200, "body_size": 70_000_000},
    "not a zip": {"status": 200, "body": b"this is not a zip archive"},
}


@pytest.mark.parametrize("failure", list(CONTENT_FAILURES), ids=list(CONTENT_FAILURES))
def test_another_clients_version_is_not_ours_when_its_content_cannot_be_read(
    failure: str, api: Emulator, mcp: McpSession, workdir: Path
) -> None:
    folder = write_skill(workdir)
    skill_id = make_skill(api, folder)
    # 1. Our publish succeeds; the server notes the version it made.
    first = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    assert first.is_error is False, first.content
    # 2. Another client adds a version with the same name and different content.
    (workdir / "other").mkdir()
    other = write_skill(workdir / "other", body="# Someone else's edit\n")
    official_sdk(api.url).beta.skills.versions.create(
        skill_id=skill_id, files=files_from_dir(other), betas=["skills-2025-10-02"]
    )
    # 3. Our next upload gets a 500 and is not stored; 4. the content endpoint fails.
    api.state.faults.push(Fault(status=500, method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))
    content = f"/v1/skills/{skill_id}/versions/"
    api.state.faults.push(Fault(method="GET", path_prefix=content, **CONTENT_FAILURES[failure]))

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    message = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, message
    assert "may or may not" in message and "could not be read" in message, message
    assert "list_skill_versions" in message  # what the user can check
    assert versions(api, skill_id) == 3  # the original, ours, the other client's: nothing re-sent
    assert mcp.call("get_skill", {"skill_id": skill_id}).is_error is False  # still serving
