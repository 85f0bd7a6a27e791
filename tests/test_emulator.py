"""The Skills API emulator over real HTTP: shapes, paging, rules, errors, faults, and the official SDK."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.lib import files_from_dir
from conftest import official_sdk

from skills_mcp.emulator import EmulatorState, Fault, FaultQueue, create_app, serve_in_thread
from skills_mcp.emulator import store as store_module
from skills_mcp.emulator.faults import FaultKind
from skills_mcp.limits import MAX_UPLOAD_BYTES

BETA = "skills-2025-10-02"
VERSION = "2026-10-21"
ID_RE = re.compile(r"(skill|skillver|req)_[0-9A-Za-z]{24}")
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
EPOCH_RE = re.compile(r"\d{16}")

Files = list[tuple[str, bytes]]


def skill_md(name: str = "my-skill", description: str = "Does things.", extra: str = "") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n# Body\n".encode()


def skill_files(folder: str = "my-skill", name: str | None = None, more: dict[str, bytes] | None = None) -> Files:
    files = [(f"{folder}/SKILL.md", skill_md(name or folder))]
    return files + [(f"{folder}/{rel}", data) for rel, data in (more or {}).items()]


def upload(client: httpx2.Client, path: str, files: Files, **fields: str) -> httpx2.Response:
    return client.post(path, data=fields or None, files=[("files[]", (n, d)) for n, d in files])


def ok(response: httpx2.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def error(response: httpx2.Response, status: int, type: str = "invalid_request_error") -> str:
    """The error message, after checking the status and the error body's shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == type
    assert body["request_id"] == response.headers["request-id"]
    message: str = body["error"]["message"]
    return message


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[EmulatorState, str]]:
    state = EmulatorState(faults=FaultQueue())
    with serve_in_thread(create_app(state)) as url:
        yield state, url


@pytest.fixture
def state(server: tuple[EmulatorState, str]) -> EmulatorState:
    state = server[0]
    state.reset()
    state.api_keys = set()
    return state


@pytest.fixture
def url(server: tuple[EmulatorState, str], state: EmulatorState) -> str:
    return server[1]


def make_client(url: str, *, beta: bool) -> Iterator[httpx2.Client]:
    headers = {"authorization": "Bearer sk-test", "anthropic-version": VERSION}
    if beta:
        headers["anthropic-beta"] = f"files-api-2025-04-14, {BETA}"
    with httpx2.Client(base_url=url, headers=headers) as client:
        yield client


@pytest.fixture
def beta(url: str) -> Iterator[httpx2.Client]:
    yield from make_client(url, beta=True)


@pytest.fixture
def ga(url: str) -> Iterator[httpx2.Client]:
    yield from make_client(url, beta=False)


# ---- shapes --------------------------------------------------------------------------------------


def test_beta_shapes(beta: httpx2.Client) -> None:
    """The beta-era fields (reference §4.3) beside the GA ones the SDK's beta types declare; `source` is the
    object those types declare, not §4.3's plain string (docs/emulator.md)."""
    skill = ok(upload(beta, "/v1/skills", skill_files(), display_title="My Skill"))
    assert set(skill) == {
        "id",
        "type",
        "display_title",
        "latest_version",
        "display_name",
        "latest_version_id",
        "source",
        "created_at",
        "updated_at",
    }
    assert ID_RE.fullmatch(skill["id"]) and skill["id"].startswith("skill_")
    assert (skill["type"], skill["display_title"], skill["display_name"]) == ("skill", "My Skill", "My Skill")
    assert skill["source"] == {"type": "custom"}
    assert EPOCH_RE.fullmatch(skill["latest_version"])
    assert skill["latest_version_id"].startswith("skillver_")
    assert TIME_RE.fullmatch(skill["created_at"]) and TIME_RE.fullmatch(skill["updated_at"])

    version = ok(upload(beta, f"/v1/skills/{skill['id']}/versions", skill_files()))
    assert set(version) == {
        "id",
        "type",
        "skill_id",
        "version",
        "name",
        "description",
        "directory",
        "created_at",
    }
    assert version["id"].startswith("skillver_") and version["type"] == "skill_version"
    assert (version["skill_id"], version["name"], version["directory"]) == (
        skill["id"],
        "my-skill",
        "my-skill",
    )
    assert version["description"] == "Does things."
    assert int(version["version"]) > int(skill["latest_version"])
    assert ok(beta.get(f"/v1/skills/{skill['id']}"))["latest_version"] == version["version"]

    assert ok(beta.get(f"/v1/skills/{skill['id']}"))["latest_version_id"] == version["id"]

    untitled = ok(upload(beta, "/v1/skills", skill_files()))
    assert (untitled["display_title"], untitled["display_name"]) == (None, "my-skill")


def test_ga_shapes(ga: httpx2.Client) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    assert set(skill) == {
        "id",
        "type",
        "display_name",
        "latest_version_id",
        "source",
        "created_at",
        "updated_at",
    }
    assert skill["display_name"] == "my-skill"  # defaults to the SKILL.md name
    assert skill["source"] == {"type": "custom"}
    versions = ok(ga.get(f"/v1/skills/{skill['id']}/versions"))
    assert set(versions) == {"data", "next_page"}
    (version,) = versions["data"]
    assert set(version) == {"id", "type", "skill_id", "name", "description", "created_at"}
    assert skill["latest_version_id"] == version["id"]
    titled = ok(upload(ga, "/v1/skills", skill_files(), display_name="Shown"))
    assert titled["display_name"] == "Shown"


def test_version_addressing_is_strict_per_mode(beta: httpx2.Client, ga: httpx2.Client) -> None:
    skill_id = ok(upload(beta, "/v1/skills", skill_files()))["id"]
    beta_version = ok(beta.get(f"/v1/skills/{skill_id}/versions/latest"))
    epoch, version_id = beta_version["version"], beta_version["id"]
    assert ok(beta.get(f"/v1/skills/{skill_id}/versions/{epoch}"))["id"] == version_id
    assert ok(ga.get(f"/v1/skills/{skill_id}/versions/{version_id}"))["id"] == version_id
    error(beta.get(f"/v1/skills/{skill_id}/versions/{version_id}"), 404, "not_found_error")
    error(ga.get(f"/v1/skills/{skill_id}/versions/{epoch}"), 404, "not_found_error")
    error(ga.get("/v1/skills/skill_000000000000000000000000"), 404, "not_found_error")


# ---- lists ---------------------------------------------------------------------------------------


def test_pagination_walks_every_skill_once_newest_first(ga: httpx2.Client) -> None:
    created = [ok(upload(ga, "/v1/skills", skill_files()))["id"] for _ in range(5)]
    seen: list[str] = []
    page: str | None = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"page": page} if page else {})
        body = ok(ga.get("/v1/skills", params=params))
        seen += [s["id"] for s in body["data"]]
        pages += 1
        page = body["next_page"]
        if page is None:
            break
    assert seen == created[::-1]
    assert pages == 3


def test_pagination_survives_deletion_and_refuses_bad_input(ga: httpx2.Client, beta: httpx2.Client) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    for _ in range(2):
        ok(upload(ga, f"/v1/skills/{skill['id']}/versions", skill_files()))
    first = ok(beta.get(f"/v1/skills/{skill['id']}/versions", params={"limit": 1}))
    assert first["has_more"] is True and len(first["data"]) == 1
    ok(beta.delete(f"/v1/skills/{skill['id']}/versions/{first['data'][0]['version']}"))
    rest = ok(beta.get(f"/v1/skills/{skill['id']}/versions", params={"limit": 5, "page": first["next_page"]}))
    assert len(rest["data"]) == 2 and rest["has_more"] is False and rest["next_page"] is None

    for limit in ("0", "1001", "many"):
        assert "limit" in error(ga.get("/v1/skills", params={"limit": limit}), 400)
    error(ga.get("/v1/skills", params={"page": "not-a-cursor"}), 400)
    # A versions cursor is not a skills cursor.
    error(ga.get("/v1/skills", params={"page": first["next_page"]}), 400)


def test_source_filter(ga: httpx2.Client) -> None:
    ok(upload(ga, "/v1/skills", skill_files()))
    assert len(ok(ga.get("/v1/skills", params={"source": "custom"}))["data"]) == 1
    assert ok(ga.get("/v1/skills", params={"source": "anthropic"})) == {"data": [], "next_page": None}
    error(ga.get("/v1/skills", params={"source": "plugins"}), 400)


# ---- latest and deletes --------------------------------------------------------------------------


def test_latest_follows_deletes(ga: httpx2.Client) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    base = f"/v1/skills/{skill['id']}"
    first = skill["latest_version_id"]
    second = ok(upload(ga, f"{base}/versions", skill_files()))["id"]
    assert ok(ga.get(f"{base}/versions/latest"))["id"] == second
    assert ok(ga.delete(f"{base}/versions/{second}")) == {"id": second, "type": "skill_version_deleted"}
    assert ok(ga.get(f"{base}/versions/latest"))["id"] == first
    assert ok(ga.get(base))["latest_version_id"] == first
    ok(ga.delete(f"{base}/versions/{first}"))
    assert ok(ga.get(base))["latest_version_id"] is None
    error(ga.get(f"{base}/versions/latest"), 404, "not_found_error")
    error(ga.get(f"{base}/versions/{first}"), 404, "not_found_error")


def test_delete_rules(beta: httpx2.Client) -> None:
    skill = ok(upload(beta, "/v1/skills", skill_files()))
    base = f"/v1/skills/{skill['id']}"
    message = error(beta.delete(base), 400)
    assert message == "Cannot delete skill with existing versions. Delete all versions first."
    for path in (f"{base}/versions/latest", f"{base}/versions/latest/content"):
        call = beta.delete if not path.endswith("content") else beta.get
        assert "pass a concrete version" in error(call(path), 400)
    epoch = skill["latest_version"]
    assert ok(beta.delete(f"{base}/versions/{epoch}")) == {"id": epoch, "type": "skill_version_deleted"}
    assert ok(beta.delete(base)) == {"id": skill["id"], "type": "skill_deleted"}
    error(beta.get(base), 404, "not_found_error")
    error(beta.delete(base), 404, "not_found_error")


def test_content_zip_round_trips_bytes(ga: httpx2.Client) -> None:
    files = skill_files(more={"scripts/run.py": b"print(1)\n", "assets/blob.bin": bytes(range(256)) * 3})
    skill = ok(upload(ga, "/v1/skills", files[::-1]))
    path = f"/v1/skills/{skill['id']}/versions/{skill['latest_version_id']}/content"
    response = ga.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert names == sorted(name for name, _ in files)
        assert {name: archive.read(name) for name in names} == dict(files)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert ga.get(path).content == response.content  # deterministic


# ---- upload validation ---------------------------------------------------------------------------

MISPLACED = "SKILL.md file must be exactly in the top-level folder."
INVALID = "Skill contains path with invalid characters"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("SKILL.md", skill_md())], MISPLACED),
        ([*skill_files(), ("run.py", b"")], INVALID),
        ([("my-skill\\SKILL.md", skill_md())], INVALID),
        ([("/my-skill/SKILL.md", skill_md())], INVALID),
        ([*skill_files(), ("my-skill/../x.py", b"")], INVALID),
        ([*skill_files(), ("other/x.py", b"")], "All files must be in the same top-level directory."),
        ([("my-skill/docs/SKILL.md", skill_md())], MISPLACED),
        ([*skill_files(), ("my-skill/SKILL.md", b"")], "Skill contains duplicate path 'my-skill/SKILL.md'."),
        (
            skill_files("skills", "my-skill"),
            "The folder name 'skills' must match the skill name 'my-skill' in SKILL.md.",
        ),
        ([("my-skill/SKILL.md", b"# no frontmatter\n")], "SKILL.md does not start with YAML frontmatter"),
        ([("my-skill/SKILL.md", b"---\nname: my-skill\n---\n")], "SKILL.md: description is missing."),
        (
            [("my-skill/SKILL.md", skill_md(extra="version: 1\n"))],
            "SKILL.md: frontmatter unexpected key(s) 'version'",
        ),
        (
            [("my-claude/SKILL.md", skill_md("my-claude"))],
            "SKILL.md: name must not contain the reserved word",
        ),
    ],
)
def test_upload_validation(ga: httpx2.Client, state: EmulatorState, files: Files, message: str) -> None:
    got = error(upload(ga, "/v1/skills", files), 400)
    assert got.startswith(message)
    assert state.store.skills == {}
    assert state.uploads()[-1].files == [("files[]", n, d) for n, d in files]  # refused, yet recorded


def test_upload_without_files(ga: httpx2.Client) -> None:
    message = "At least one file is required in files[]."
    assert error(ga.post("/v1/skills"), 400) == message
    # The SDK's field name is files[], brackets included: "files" alone is no file at all.
    assert error(ga.post("/v1/skills", files=[("files", ("my-skill/SKILL.md", skill_md()))]), 400) == message


def test_control_character_in_path(ga: httpx2.Client) -> None:
    # httpx percent-escapes control characters in filenames, so this one is sent raw.
    body = b'--B\r\nContent-Disposition: form-data; name="files[]"; filename="my-skill/a\x01b"\r\n\r\nx\r\n--B--\r\n'
    response = ga.post("/v1/skills", content=body, headers={"content-type": "multipart/form-data; boundary=B"})
    assert error(response, 400) == INVALID


def test_upload_size_limit(ga: httpx2.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_UPLOAD_BYTES == 30_000_000
    monkeypatch.setattr(store_module, "MAX_UPLOAD_BYTES", 100)  # the store reads the name at call time
    message = error(upload(ga, "/v1/skills", skill_files(more={"big.bin": b"x" * 100})), 413, "request_too_large")
    assert message == "Total upload size exceeds the 30 MB limit."


def test_version_must_keep_the_name(ga: httpx2.Client) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    message = error(upload(ga, f"/v1/skills/{skill['id']}/versions", skill_files("renamed")), 400)
    assert message == (
        "Skill name 'renamed' does not match the existing skill name 'my-skill'; every version must keep the same name."
    )
    assert error(
        upload(ga, "/v1/skills/skill_000000000000000000000000/versions", skill_files()),
        404,
        "not_found_error",
    )


def test_display_title_unique_under_beta_only(beta: httpx2.Client, ga: httpx2.Client) -> None:
    ok(upload(beta, "/v1/skills", skill_files(), display_title="Twin"))
    assert error(upload(beta, "/v1/skills", skill_files(), display_name="Twin"), 400) == (
        "A skill with display_title 'Twin' already exists."
    )
    ok(upload(ga, "/v1/skills", skill_files(), display_name="Twin"))
    assert "one line" in error(upload(ga, "/v1/skills", skill_files(), display_name="x" * 256), 400)


# ---- headers and auth ----------------------------------------------------------------------------


def test_auth(url: str, state: EmulatorState) -> None:
    with httpx2.Client(base_url=url, headers={"anthropic-version": VERSION}) as client:
        error(client.get("/v1/skills"), 401, "authentication_error")
        error(client.get("/v1/skills", headers={"authorization": "Basic abc"}), 401, "authentication_error")
        ok(client.get("/v1/skills", headers={"x-api-key": "anything"}))
        state.api_keys = {"good"}
        bad = error(client.get("/v1/skills", headers={"authorization": "Bearer bad"}), 401, "authentication_error")
        assert bad == "invalid x-api-key"
        ok(client.get("/v1/skills", headers={"authorization": "Bearer good"}))
        ok(client.get("/v1/skills", headers={"x-api-key": "good"}))
    recorded = state.requests[-1].headers
    assert recorded["x-api-key"] == "[redacted]" and "good" not in recorded.values()


def test_anthropic_version_required(url: str) -> None:
    with httpx2.Client(base_url=url, headers={"x-api-key": "k"}) as client:
        assert error(client.get("/v1/skills"), 400) == "anthropic-version: header is required"


def test_every_response_has_a_request_id(ga: httpx2.Client) -> None:
    for response in (ga.get("/v1/skills"), ga.get("/v1/nowhere"), ga.put("/v1/skills")):
        assert ID_RE.fullmatch(response.headers["request-id"])
        assert response.headers["request-id"].startswith("req_")
    assert ga.get("/v1/nowhere").json()["error"]["type"] == "not_found_error"
    assert ga.get("/v1/skills").headers["request-id"] != ga.get("/v1/skills").headers["request-id"]


# ---- faults --------------------------------------------------------------------------------------


def test_fault_answers_instead_once(ga: httpx2.Client, state: EmulatorState) -> None:
    state.faults.push(Fault(500, method="POST", path_prefix="/v1/skills"))
    ok(ga.get("/v1/skills"))  # does not match: GET
    assert error(upload(ga, "/v1/skills", skill_files()), 500, "api_error") == "Injected fault"
    assert state.store.skills == {}  # it never happened
    ok(upload(ga, "/v1/skills", skill_files()))
    assert len(state.store.skills) == 1
    assert [r.status for r in state.uploads()] == [500, 200]


def test_fault_after_lands_then_fails(ga: httpx2.Client, state: EmulatorState) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    state.faults.push(Fault(503, after=True, path_prefix=f"/v1/skills/{skill['id']}/versions"))
    error(upload(ga, f"/v1/skills/{skill['id']}/versions", skill_files()), 503, "api_error")
    assert len(state.store.skills[skill["id"]].versions) == 2
    assert state.faults.pending() == []


def test_fault_body_headers_times_and_delay(ga: httpx2.Client, state: EmulatorState) -> None:
    state.faults.push(Fault(429, headers={"retry-after": "0"}, body=b"not json", times=2))
    for _ in range(2):
        response = ga.get("/v1/skills")
        assert (response.status_code, response.content) == (429, b"not json")
        assert response.headers["retry-after"] == "0" and "request-id" in response.headers
    ok(ga.get("/v1/skills"))
    state.faults.push(Fault(409, body={"custom": True}, delay=0.2))
    started = time.monotonic()
    response = ga.get("/v1/skills")
    assert time.monotonic() - started >= 0.2
    assert (response.status_code, response.json()) == (409, {"custom": True})


def test_fault_html_and_malformed_bodies(ga: httpx2.Client, state: EmulatorState) -> None:
    html = b"<html><body>Bad gateway</body></html>"  # what a proxy in front of the API may answer
    state.faults.push(Fault(502, headers={"content-type": "text/html"}, body=html))
    response = ga.get("/v1/skills")
    assert (response.status_code, response.headers["content-type"], response.content) == (502, "text/html", html)
    state.faults.push(Fault(200, body=b"{not json"))
    response = ga.get("/v1/skills")
    assert (response.status_code, response.content) == (200, b"{not json")
    with pytest.raises(ValueError):
        response.json()


def test_fault_oversized_body_is_streamed(ga: httpx2.Client, state: EmulatorState) -> None:
    size = 5_000_000
    state.faults.push(Fault(200, headers={"content-type": "application/octet-stream"}, body_size=size))
    received = xs = 0
    with ga.stream("GET", "/v1/skills") as response:  # chunk by chunk: the test holds none of it
        assert response.status_code == 200 and response.headers["content-length"] == str(size)
        assert response.headers["content-type"] == "application/octet-stream"
        for chunk in response.iter_bytes():
            received += len(chunk)
            xs += chunk.count(b"x")
    assert received == xs == size


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # respond needs a status
        {"kind": "drop_before_body", "status": 500},
        {"kind": "drop_after_body", "after": True},
        {"kind": "truncate", "body": b"x"},  # a body of its own needs a status of its own
        {"status": 200, "body": b"x", "body_size": 1},
        {"status": 200, "body_size": -1},
    ],
)
def test_fault_refuses_contradictions(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)


# ---- broken connections --------------------------------------------------------------------------


def no_server_logs(caplog: pytest.LogCaptureFixture) -> None:
    """An expected break is not a server error: uvicorn and asyncio must not log about it."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("size", [0, 2_000_000])  # 2 MB: still uploading when the server drops
@pytest.mark.parametrize(("kind", "landed"), [("drop_before_body", 0), ("drop_after_body", 1)])
def test_drop_breaks_the_connection(
    ga: httpx2.Client,
    state: EmulatorState,
    caplog: pytest.LogCaptureFixture,
    kind: FaultKind,
    landed: int,
    size: int,
) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    path = f"/v1/skills/{skill['id']}/versions"
    state.faults.push(Fault(kind=kind, method="POST", path_prefix=path))
    with pytest.raises(httpx2.TransportError):  # a reset: no status, no body
        upload(ga, path, skill_files(more={"big.bin": b"x" * size}))
    versions = state.store.skills[skill["id"]].versions
    assert len(versions) == 1 + landed
    dropped = state.requests[-1]
    assert (dropped.path, dropped.status, dropped.dropped) == (path, None, kind.removeprefix("drop_"))
    assert bool(dropped.files) == bool(landed)  # dropped before the body: it was never read
    ok(upload(ga, path, skill_files()))  # the fault was used once
    assert len(state.store.skills[skill["id"]].versions) == 2 + landed
    assert state.faults.pending() == []
    no_server_logs(caplog)


@pytest.mark.parametrize("kind", ["drop_before_body", "drop_after_body"])
def test_drop_times(ga: httpx2.Client, state: EmulatorState, kind: FaultKind) -> None:
    state.faults.push(Fault(kind=kind, times=2))
    for _ in range(2):
        with pytest.raises(httpx2.TransportError):
            ga.get("/v1/skills")
    ok(ga.get("/v1/skills"))
    dropped = kind.removeprefix("drop_")
    assert [(r.status, r.dropped) for r in state.requests] == [(None, dropped), (None, dropped), (200, None)]


def test_truncate_cuts_the_real_response(
    ga: httpx2.Client, state: EmulatorState, caplog: pytest.LogCaptureFixture
) -> None:
    skill = ok(upload(ga, "/v1/skills", skill_files()))
    path = f"/v1/skills/{skill['id']}/versions"
    state.faults.push(Fault(kind="truncate", path_prefix=path))
    with pytest.raises(httpx2.TransportError):  # the body stops short of its Content-Length
        upload(ga, path, skill_files())
    assert len(state.store.skills[skill["id"]].versions) == 2  # the real response: it happened
    assert (state.requests[-1].status, state.requests[-1].dropped) == (200, "truncated")
    ok(ga.get(path))
    no_server_logs(caplog)


@pytest.mark.parametrize(
    ("fault", "expected"), [(Fault(200, body=b"0123456789"), 5), (Fault(200, body_size=10**6), 500_000)]
)
def test_truncate_sends_half_of_a_given_body(
    ga: httpx2.Client, state: EmulatorState, caplog: pytest.LogCaptureFixture, fault: Fault, expected: int
) -> None:
    state.faults.push(dataclasses.replace(fault, kind="truncate"))
    received = 0
    with ga.stream("GET", "/v1/skills") as response, pytest.raises(httpx2.RemoteProtocolError):
        assert response.status_code == 200
        assert response.headers["content-length"] == str(expected * 2)
        for chunk in response.iter_bytes():
            received += len(chunk)
    assert received == expected
    assert state.store.skills == {}
    ok(ga.get("/v1/skills"))
    no_server_logs(caplog)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="drop_before_body"),
        Fault(kind="drop_after_body"),
        Fault(kind="truncate"),
        Fault(502, body_size=10),
    ],
)
def test_delay_works_with_every_kind(ga: httpx2.Client, state: EmulatorState, fault: Fault) -> None:
    state.faults.push(dataclasses.replace(fault, delay=0.05))
    outcome = contextlib.nullcontext() if fault.kind == "respond" else pytest.raises(httpx2.TransportError)
    with outcome:
        assert ga.get("/v1/skills").status_code == 502
    assert state.faults.pending() == []
    ok(ga.get("/v1/skills"))


# ---- the official SDK ----------------------------------------------------------------------------


def write_skill(root: Path) -> Path:
    folder = root / "my-skill"
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_bytes(skill_md())
    (folder / "scripts" / "run.py").write_bytes(b"print(1)\n")
    return folder


def test_official_sdk_beta(url: str, state: EmulatorState, tmp_path: Path) -> None:
    folder = write_skill(tmp_path)
    client = official_sdk(url)
    skills = client.beta.skills
    skill = skills.create(files=files_from_dir(folder), display_name="My Skill", betas=[BETA])
    assert skill.id in state.store.skills
    assert getattr(skill, "display_title", None) == "My Skill"  # SDK 2.10 sends display_name; accepted
    version = skills.versions.create(skill.id, files=files_from_dir(folder), betas=[BETA])
    epoch = getattr(version, "version", None)
    assert (version.skill_id, version.name, version.description) == (skill.id, "my-skill", "Does things.")
    assert epoch == state.store.skills[skill.id].versions[-1].version
    assert [s.id for s in skills.list(limit=1, betas=[BETA])] == [skill.id]
    assert getattr(skills.retrieve(skill.id, betas=[BETA]), "latest_version", None) == epoch
    assert skills.versions.retrieve("latest", skill_id=skill.id, betas=[BETA]).id == version.id
    download = getattr(skills.versions, "download", None)
    if download is not None:
        archive = zipfile.ZipFile(io.BytesIO(download(epoch, skill_id=skill.id, betas=[BETA]).read()))
        assert {n: archive.read(n) for n in archive.namelist()} == dict(files_from_dir(folder))  # type: ignore[arg-type]
    with pytest.raises(anthropic.BadRequestError) as refused:
        skills.delete(skill.id, betas=[BETA])
    assert refused.value.request_id is not None and refused.value.request_id.startswith("req_")
    sent = state.uploads()[0]
    assert sent.fields == [("display_name", "My Skill")]
    assert sorted(f[1] for f in sent.files) == ["my-skill/SKILL.md", "my-skill/scripts/run.py"]


def test_official_sdk_ga(url: str, state: EmulatorState, tmp_path: Path) -> None:
    folder = write_skill(tmp_path)
    client = official_sdk(url)
    skill = client.skills.create(files=files_from_dir(folder))
    assert skill.display_name == "my-skill" and skill.source.type == "custom"
    version = client.skills.versions.create(skill.id, files=files_from_dir(folder))
    assert client.skills.retrieve(skill.id).latest_version_id == version.id
    assert [v.id for v in client.skills.versions.list(skill.id)] == [version.id, skill.latest_version_id]
    deleted = client.skills.versions.delete(version.id, skill_id=skill.id)
    assert deleted.id == version.id
    assert client.skills.retrieve(skill.id).latest_version_id == skill.latest_version_id
