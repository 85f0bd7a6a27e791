"""`create_skill_version` end to end: the real `skills-mcp` process over stdio, publishing to the emulator."""

from __future__ import annotations

import os
import time
from pathlib import Path

import anthropic
import pytest
from anthropic.lib import files_from_dir
from conftest import API_KEY, SKILLS_BETA, Emulator, McpSession, Mode, official_sdk, server_env, write_skill

from skills_mcp.emulator import Fault

BETA = ["skills-2025-10-02"]


def sdk(emulator: Emulator) -> anthropic.Anthropic:
    return official_sdk(emulator.url)


def new_skill(emulator: Emulator, folder: Path) -> str:
    """A skill created by the official SDK: the starting point most users have."""
    return sdk(emulator).beta.skills.create(files=files_from_dir(folder), betas=BETA).id


def text(result: object) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)  # type: ignore[attr-defined]


def settled_requests(emulator: Emulator, count: int) -> list[tuple[str, int | None, str | None]]:
    """(method, status, dropped) of the emulator's requests, once `count` have arrived and each has an outcome.

    The tool can answer before the emulator has noticed that a request it gave up on was dropped: read too
    early, that record still says neither answered nor dropped. So wait for the outcome, not for time.
    """
    deadline = time.monotonic() + 60  # a safety net only: on a healthy run this takes milliseconds
    while True:
        seen = [(r.method, r.status, r.dropped) for r in emulator.state.requests]
        if len(seen) >= count and all(status is not None or dropped for _, status, dropped in seen):
            return seen
        assert time.monotonic() < deadline, f"requests never settled: {seen}"
        time.sleep(0.01)


def test_lists_the_tool_with_schemas_and_annotations(mcp: McpSession) -> None:
    tool = mcp.tools()["create_skill_version"]
    assert tool.input_schema["required"] == ["skill_id", "path"]
    assert "SKILL.md" in tool.input_schema["properties"]["path"]["description"]
    assert tool.output_schema is not None and tool.output_schema["title"] == "SkillVersion"
    assert set(tool.output_schema["properties"]) >= {
        "id",
        "created_at",
        "description",
        "directory",
        "name",
        "skill_id",
        "type",
        "version",
    }
    assert tool.annotations is not None
    assert tool.annotations.open_world_hint is True and tool.annotations.read_only_hint is False


def test_publishes_the_same_parts_as_the_official_sdk(api: Emulator, mode: Mode, workdir: Path) -> None:
    mcp = mode.mcp
    folder = write_skill(
        workdir,
        files={
            "scripts/fill.py": "print('fill')\n",
            "references/FORMS.md": "# Forms\n",
            "assets/logo.png": bytes(range(256)) * 40,
            "assets/empty.txt": b"",
            "données été.txt": "unicode and a space in the name\n",
            "data/table.csv": "a,b\n1,2\n",
        },
    )
    skill_id = new_skill(api, folder)
    if mode.beta:
        sdk(api).beta.skills.versions.create(skill_id, files=files_from_dir(folder), betas=BETA)
    else:
        sdk(api).skills.versions.create(skill_id, files=files_from_dir(folder))
    sdk_upload = api.state.uploads()[-1]

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    assert result.is_error is False, text(result)
    ours = api.state.uploads()[-1]
    assert sorted(ours.files) == sorted(sdk_upload.files)
    assert sorted(ours.files) == sorted(("files[]", name, data) for name, data in files_from_dir(folder))
    assert [name for _, name, _ in ours.files] == sorted(name for _, name, _ in ours.files)  # deterministic order
    assert ours.headers.get("anthropic-beta") == sdk_upload.headers.get("anthropic-beta")  # none by default
    assert ours.headers.get("anthropic-beta") == (SKILLS_BETA if mode.beta else None)
    assert ours.headers["anthropic-version"] == "2026-10-21"
    # Names this project, and where to find it: not the unrelated `skills-mcp` on the package index.
    assert ours.headers["user-agent"].startswith("skills-publisher-mcp/")
    assert ours.headers["user-agent"].endswith("(+https://pypi.org/project/skills-publisher-mcp)")
    assert ours.headers["content-length"]  # streamed, yet with a known length

    version = result.structured_content
    assert version is not None
    latest = api.state.store.get_skill(skill_id).latest
    assert latest is not None and version["id"] == latest.id and version["id"].startswith("skillver_")
    assert version["skill_id"] == skill_id and version["name"] == "pdf-tools"
    if mode.beta:
        assert version["version"] == latest.version and version["directory"] == "pdf-tools"
    else:
        assert "version" not in version and "directory" not in version  # the GA shape leaves them out
    assert text(result).startswith(f"Published pdf-tools version {mode.ref(version)} to skill {skill_id}.")
    assert version["type"] == "skill_version" and version["created_at"]


def test_leaves_out_junk_and_secrets_and_honours_skillignore(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(
        workdir,
        files={
            "scripts/run.py": "x = 1\n",
            ".git/config": "[core]\n",
            "scripts/__pycache__/run.cpython-311.pyc": b"\x00",
            "node_modules/left-pad/index.js": "module.exports = 1\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".DS_Store": b"\x00\x01",
            ".env": "ANTHROPIC_API_KEY=secret\n",
            ".env.example": "ANTHROPIC_API_KEY=\n",
            "keys/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            "server.pem": "-----BEGIN CERTIFICATE-----\n",
            "build/out.log": "noise\n",
            ".skillignore": "# mine\n*.log\n!.env.example\n",
        },
    )
    skill_id = new_skill(api, folder)

    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    assert result.is_error is False, text(result)
    sent = [name for _, name, _ in api.state.uploads()[-1].files]
    assert sent == ["pdf-tools/.env.example", "pdf-tools/SKILL.md", "pdf-tools/scripts/run.py"]


def test_tilde_paths_resolve_to_the_home_folder(
    api: Emulator, emulator: Emulator, workdir: Path, tmp_path: Path
) -> None:
    home = workdir / "home"
    folder = write_skill(home / "skills")
    skill_id = new_skill(api, folder)
    env = {
        "ANTHROPIC_BASE_URL": emulator.url,
        "ANTHROPIC_API_KEY": API_KEY,
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
    }
    session = McpSession([], env, tmp_path / "stderr.log")  # no --allow-dir: the home folder is allowed
    try:
        ok = session.call("create_skill_version", {"skill_id": skill_id, "path": "~/skills/pdf-tools"})
        outside = session.call("create_skill_version", {"skill_id": skill_id, "path": str(workdir)})
    finally:
        session.close()
    assert ok.is_error is False, text(ok)
    assert outside.is_error and f"outside the folders this server may read ({home})" in text(outside)


def test_reports_upload_progress(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files={"assets/big.bin": os.urandom(600_000)})
    skill_id = new_skill(api, folder)
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    result = mcp.call(
        "create_skill_version", {"skill_id": skill_id, "path": str(folder)}, progress_callback=on_progress
    )

    assert result.is_error is False, text(result)
    assert len(seen) >= 2  # the body goes out in several batches
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)
    assert seen[-1][0] == seen[-1][1] == int(api.state.uploads()[-1].headers["content-length"])


def test_skills_mcp_beta_in_the_environment_selects_the_beta(api: Emulator, workdir: Path, tmp_path: Path) -> None:
    folder = write_skill(workdir)
    skill_id = new_skill(api, folder)
    env = {**server_env(api), "SKILLS_MCP_BETA": SKILLS_BETA}
    session = McpSession(["--allow-dir", str(workdir)], env, tmp_path / "stderr.log")
    try:
        described = session.tools()["get_skill_version"].input_schema["properties"]["version"]["description"]
        result = session.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    finally:
        session.close()
    assert result.is_error is False, text(result)
    assert api.state.uploads()[-1].headers["anthropic-beta"] == SKILLS_BETA
    version = result.structured_content
    assert version is not None and version["version"].isdigit()  # the beta shape: epoch strings
    assert "epoch `version` string" in described and "skillver_" in described


# --- API errors ---------------------------------------------------------------------------------------


def test_unknown_skill_is_a_404_with_the_request_id(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    result = mcp.call("create_skill_version", {"skill_id": "skill_doesnotexist", "path": str(folder)})
    assert result.is_error
    message = text(result)
    assert "Skills API error 404 not_found_error" in message
    assert "request id req_" in message and "list_skills" in message
    # The skill is read alongside the upload, whose last byte waited for the answer and was never sent.
    assert settled_requests(api, 2) in (
        [("POST", None, "client_gone"), ("GET", 404, None)],
        [("GET", 404, None), ("POST", None, "client_gone")],
    )


def test_api_400_message_is_passed_through(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    skill_id = new_skill(api, write_skill(workdir / "first"))
    other = write_skill(workdir / "second", "other-skill")  # valid locally, but the skill is named pdf-tools
    result = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(other)})
    assert result.is_error
    assert "Skills API error 400 invalid_request_error: Skill name 'other-skill' does not match" in text(result)


def test_api_500_is_reported_and_the_server_keeps_serving(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir)
    skill_id = new_skill(api, folder)
    api.state.faults.push(Fault(500, method="POST"))

    failed = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    again = mcp.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})

    assert failed.is_error and "Skills API error 500 api_error" in text(failed) and "try again" in text(failed)
    assert again.is_error is False, text(again)


def test_wrong_key_is_a_401_and_never_echoed(api: Emulator, emulator: Emulator, workdir: Path, tmp_path: Path) -> None:
    folder = write_skill(workdir)
    skill_id = new_skill(api, folder)
    wrong = "sk-ant-api03-WRONG-key-also-secret-11aa"
    session = McpSession(["--allow-dir", str(workdir)], server_env(emulator, key=wrong), tmp_path / "stderr.log")
    try:
        result = session.call("create_skill_version", {"skill_id": skill_id, "path": str(folder)})
    finally:
        session.close()
    assert result.is_error and "Skills API error 401 authentication_error" in text(result)
    assert "ANTHROPIC_API_KEY" in text(result)
    assert wrong not in text(result) and wrong not in (tmp_path / "stderr.log").read_text()


def test_missing_key_lists_tools_then_names_the_variable(
    api: Emulator, emulator: Emulator, workdir: Path, tmp_path: Path
) -> None:
    folder = write_skill(workdir)
    session = McpSession(["--allow-dir", str(workdir)], server_env(emulator, key=None), tmp_path / "stderr.log")
    try:
        assert "create_skill_version" in session.tools()
        result = session.call("create_skill_version", {"skill_id": "skill_x", "path": str(folder)})
    finally:
        session.close()
    assert result.is_error and "ANTHROPIC_API_KEY is not set" in text(result)
    assert api.state.requests == []


@pytest.fixture(autouse=True, scope="module")
def _no_key_anywhere(mcp: McpSession):  # type: ignore[no-untyped-def]
    """After every test here: the shared server never printed the key or put it in a result."""
    yield
    assert API_KEY not in mcp.errlog.read_text()
    assert all(API_KEY not in r.model_dump_json() for r in mcp.results)
