"""What comes back from the API is judged before it is shown: redirects, malformed or endless answers,
the key echoed anywhere, credentials in the base URL. Through the real server and the installed CLI."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import API_KEY, Emulator, McpSession, official_sdk, server_env, write_skill
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_cli import against, cli

from skills_mcp.config import without_credentials
from skills_mcp.emulator import Fault, serve_in_thread
from skills_mcp.workflows.lifecycle import MAX_ARCHIVE_BYTES

DEEP = b"[" * 200_000 + b"]" * 200_000  # valid JSON, nested past the parser's recursion limit


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def make_skill(api: Emulator, folder: Path) -> str:
    from anthropic.lib import files_from_dir

    return official_sdk(api.url).beta.skills.create(files=files_from_dir(folder), betas=["skills-2025-10-02"]).id


# --- answers to a read that are not what they seem ---------------------------------------------------------

READS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "redirect with a JSON body": (
        {
            "status": 301,
            "headers": {"location": "https://elsewhere.example/v1/skills/skill_x"},
            "body": {"id": "skill_x", "type": "skill"},
        },
        ["refused the answer", "redirect to elsewhere.example", "not followed"],
    ),
    "deeply nested 200": ({"status": 200, "body": DEEP}, ["refused the answer", "not a JSON object"]),
    "deeply nested 500": ({"status": 500, "body": DEEP}, ["Skills API error 500", "HTTP 500"]),
    # Parsed once, in the client: a skill without its id is the API's fault, said so, not a bug of ours.
    "a skill without an id": ({"status": 200, "body": {"type": "skill"}}, ["refused the answer", "Skill", "id"]),
}


@pytest.mark.parametrize("case", list(READS), ids=list(READS))
def test_an_answer_we_cannot_take_is_a_clear_error(case: str, api: Emulator, mcp: McpSession) -> None:
    fault, says = READS[case]
    api.state.faults.push(Fault(method="GET", path_prefix="/v1/skills/skill_x", **fault))
    result = mcp.call("get_skill", {"skill_id": "skill_x"})
    message = text_of(result)
    assert result.is_error, message
    for fragment in says:
        assert fragment in message, message
    assert [r.path for r in api.state.requests] == ["/v1/skills/skill_x"]  # not followed, not retried
    assert mcp.call("list_skills", {}).is_error is False  # still serving


def test_an_oversized_archive_is_refused_not_called_an_api_error(api: Emulator, mcp: McpSession,
                                                                 workdir: Path) -> None:  # fmt: skip
    skill_id = make_skill(api, write_skill(workdir))
    version = api.state.store.skills[skill_id].versions[0].id
    content = f"/v1/skills/{skill_id}/versions/{version}/content"
    api.state.faults.push(Fault(status=200, body_size=MAX_ARCHIVE_BYTES + 1, method="GET", path_prefix=content))
    (workdir / "out").mkdir()

    result = mcp.call("download_skill_version", {"skill_id": skill_id, "version": version,
                                                 "destination": str(workdir / "out")})  # fmt: skip

    message = text_of(result)
    assert result.is_error, message
    assert "refused the answer" in message and "larger than" in message, message
    assert "Skills API error 200" not in message
    assert list((workdir / "out").iterdir()) == []


def test_the_cli_exits_6_when_it_refuses_an_answer(api: Emulator) -> None:
    api.state.faults.push(Fault(status=200, body=b"{not json", method="GET", path_prefix="/v1/skills/skill_x"))
    run = cli("get", "skill_x", env=against(api))
    assert run.returncode == 6, run.stderr
    assert "refused the answer" in run.stderr and "not a JSON object" in run.stderr
    assert "Skills API error" not in run.stderr and run.stdout == ""


# --- secrets ------------------------------------------------------------------------------------------------

ECHOES: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "in error.type": ({}, {"type": "error", "error": {"type": f"bad_{API_KEY}", "message": "no"}}),
    "in the request-id header": ({"request-id": f"req_{API_KEY}"}, {"type": "error", "error": {"type": "x"}}),
    "in the body's request_id": (
        {"request-id": ""},
        {"type": "error", "error": {"type": "x", "message": "no"}, "request_id": f"req_{API_KEY}"},
    ),
    "in the message": ({}, {"type": "error", "error": {"type": "authentication_error", "message": f"bad {API_KEY}"}}),
}


@pytest.mark.parametrize("case", list(ECHOES), ids=list(ECHOES))
def test_the_key_echoed_anywhere_in_an_error_is_redacted(case: str, api: Emulator, mcp: McpSession) -> None:
    headers, body = ECHOES[case]
    api.state.faults.push(Fault(401, headers=headers, body=body, method="GET", path_prefix="/v1/skills/skill_x"))
    result = mcp.call("get_skill", {"skill_id": "skill_x"})
    message = text_of(result)
    assert result.is_error and "Skills API error 401" in message, message
    assert "[redacted]" in message and API_KEY not in message
    assert API_KEY not in mcp.errlog.read_text()


def test_the_key_echoed_in_a_result_is_redacted(api: Emulator, mcp: McpSession) -> None:
    when = "2026-01-01T00:00:00Z"
    skill = {"id": "skill_x", "type": "skill", "display_title": f"title {API_KEY}", "source": "custom",
             "created_at": when, "updated_at": when, "latest_version": None}  # fmt: skip
    api.state.faults.push(Fault(200, body=skill, method="GET", path_prefix="/v1/skills/skill_x"))
    result = mcp.call("get_skill", {"skill_id": "skill_x"})
    assert result.is_error is False, text_of(result)
    assert API_KEY not in text_of(result) and API_KEY not in json.dumps(result.structured_content)
    assert result.structured_content is not None and result.structured_content["display_title"] == "title [redacted]"


def closed_port() -> int:
    with socket.socket() as sock:  # bound and closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_credentials_in_the_base_url_are_never_printed() -> None:
    port = closed_port()
    env = {"ANTHROPIC_BASE_URL": f"http://someone:pw-hunter2-secret@127.0.0.1:{port}", "ANTHROPIC_API_KEY": API_KEY}
    run = cli("get", "skill_x", "--max-attempts", "1", "--log-level", "DEBUG", env=env)
    assert run.returncode == 5, run.stderr  # refused as configuration: they would replace the Bearer key
    assert f"http://127.0.0.1:{port}" in run.stderr  # the URL is still named, for the user to check
    assert "hunter2" not in run.stderr + run.stdout and "someone" not in run.stderr + run.stdout


# --- pagination is bounded as a whole ------------------------------------------------------------------------


def endless_listing(page_bytes: int, items_per_page: int, pace: float = 0.0) -> Starlette:
    """An API whose every listing page offers one more: distinct cursors, optional padding, `pace` s per page."""

    async def listing(request: Request) -> Response:
        await anyio.sleep(pace)  # a slow API, not a synchronisation: nothing waits for it to end
        n = int(request.query_params.get("page", "p0")[1:]) + 1
        items = [{"id": f"skill_{n}_{i}", "type": "skill", "latest_version": None} for i in range(items_per_page)]
        return JSONResponse({"data": items, "next_page": f"p{n}", "pad": "x" * page_bytes})

    return Starlette(routes=[Route("/v1/skills", listing), Route("/v1/skills/{skill_id}/versions", listing)])


@pytest.fixture
def hostile_session(request: pytest.FixtureRequest, emulator: Emulator, skills_root: Path,
                    tmp_path: Path) -> Iterator[tuple[McpSession, Path]]:  # fmt: skip
    page_bytes, items, pace, options = request.param
    with serve_in_thread(endless_listing(page_bytes, items, pace)) as url:
        env = {**server_env(emulator), "ANTHROPIC_BASE_URL": url}
        session = McpSession(["--allow-dir", str(tmp_path), *options], env, tmp_path / "stderr.log")
        try:
            yield session, tmp_path
        finally:
            session.close()


ENDLESS: dict[str, tuple[int, int, float, list[str], str]] = {
    "big pages": (9_000_000, 1, 0.0, [], "still offered another page"),
    "many small pages": (0, 1, 0.0, [], "still offered another page"),
    "many items": (0, 1_000, 0.0, [], "still offered another page"),
    "slow pages": (0, 1, 0.2, ["--timeout", "3"], "time budget"),
}


@pytest.mark.parametrize(
    ("hostile_session", "says"),
    [(v[:4], v[4]) for v in ENDLESS.values()],
    ids=list(ENDLESS),
    indirect=["hostile_session"],
)
@pytest.mark.parametrize("tool", ["publish_skill", "delete_skill"])
def test_an_endless_listing_is_stopped_with_a_clear_error(
    tool: str, says: str, hostile_session: tuple[McpSession, Path]
) -> None:
    session, folder = hostile_session
    args = {"path": str(write_skill(folder))} if tool == "publish_skill" else {"skill_id": "skill_x",
                                                                               "delete_versions": True}  # fmt: skip
    result = session.call(tool, args)
    message = text_of(result)
    assert result.is_error, message
    assert "was stopped after" in message and says in message, message


def test_a_listing_that_repeats_a_page_is_stopped(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    page = {"data": [], "next_page": "page_same"}
    api.state.faults.push(Fault(200, body=page, times=5, method="GET", path_prefix="/v1/skills"))
    result = mcp.call("publish_skill", {"path": str(write_skill(workdir))})
    message = text_of(result)
    assert result.is_error and "already sent" in message, message
    assert api.state.uploads() == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com"),
        ("http://user:pw@127.0.0.1:8765/base", "http://127.0.0.1:8765/base"),
        ("https://token@proxy.example", "https://proxy.example"),
        ("http://u:p@[::1]:9000", "http://[::1]:9000"),
        ("http://u:p@host:notaport", "(not a valid URL)"),
    ],
)
def test_a_base_url_is_shown_without_credentials(url: str, shown: str) -> None:
    assert without_credentials(url) == shown
