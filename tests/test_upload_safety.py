"""Files that change or cannot be read, and the key: nothing half-sent, nothing leaked."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anyio
import httpx2
import pytest
from conftest import API_KEY, Emulator, McpSession, write_skill

from skills_mcp.api.upload import SkillsAPI
from skills_mcp.cli.main import RedactingFormatter
from skills_mcp.config import Settings
from skills_mcp.emulator import Fault
from skills_mcp.errors import UploadAborted
from skills_mcp.reporting import Reporter
from skills_mcp.skill.folder import scan_folder
from skills_mcp.workflows.publish import create_skill_version


def publish_in_process(api: Emulator, folder: Path, skill_id: str, on_first_batch: object) -> BaseException | None:
    """Run the real publish path against the emulator, calling `on_first_batch` once the upload is under way."""
    settings = Settings(base_url=api.url, allow_dirs=(folder.parent,))
    fired = False

    async def progress(sent: int, total: int) -> None:
        nonlocal fired
        if not fired:
            fired = True
            on_first_batch()  # type: ignore[operator]

    async def run() -> BaseException | None:
        client = SkillsAPI(settings)
        try:
            with client.budget():
                await create_skill_version(client, [folder.parent], skill_id, str(folder), Reporter(progress=progress))
        except BaseException as exc:
            return exc
        finally:
            await client.aclose()
        return None

    return anyio.run(run)


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


@pytest.mark.parametrize("change", ["grows", "shrinks", "vanishes"])
def test_a_file_that_changes_while_sent_fails_the_publish(
    change: str, api: Emulator, workdir: Path, keyed: None
) -> None:
    # The big first file fills the first batch; the small last one is read only after it went out.
    folder = write_skill(workdir, files={"a-big.bin": os.urandom(600_000), "z-last.txt": "0123456789"})
    skill_id = api.state.store.create_skill([("pdf-tools/SKILL.md", (folder / "SKILL.md").read_bytes())], None,
                                            unique_title=False).id  # fmt: skip
    last = folder / "z-last.txt"
    actions = {
        "grows": lambda: last.write_text("0123456789 and more"),
        "shrinks": lambda: last.write_text("01"),
        "vanishes": last.unlink,
    }

    error = publish_in_process(api, folder, skill_id, actions[change])

    assert isinstance(error, UploadAborted), repr(error)
    assert "z-last.txt" in str(error)
    assert len(api.state.store.skills[skill_id].versions) == 1  # nothing half-done landed


def test_an_unreadable_file_is_named_before_anything_is_sent(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_skill(workdir, files={"scripts/locked.py": "x = 1\n"})
    real_access = os.access
    # Root reads everything, so the denial is staged at the one call that asks.
    monkeypatch.setattr(os, "access", lambda p, m: not str(p).endswith("locked.py") and real_access(p, m))
    scan = scan_folder(folder)
    assert [str(p) for p in scan.problems] == [
        "scripts/locked.py: cannot be read: permission denied. Fix: grant read access, or list it in .skillignore."
    ]


def test_an_api_message_that_echoes_the_key_is_redacted(api: Emulator, mcp: McpSession) -> None:
    """The fault matches only this call's request: the emulator and the server outlive each test, and a request
    left over from an earlier one (a snapshot read cancelled with its upload, say) took an unmatched fault."""
    echo = {"type": "error", "error": {"type": "authentication_error", "message": f"bad key {API_KEY}"}}
    api.state.faults.push(Fault(401, body=echo, method="GET", path_prefix="/v1/skills/skill_x"))
    result = mcp.call("get_skill", {"skill_id": "skill_x"})
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error and "bad key [redacted]" in text and API_KEY not in text, text
    assert [r.status for r in api.state.requests if r.path == "/v1/skills/skill_x"] == [401]


def test_log_lines_and_tracebacks_never_show_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    formatter = RedactingFormatter("%(message)s")
    try:
        raise RuntimeError(f"boom {API_KEY}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key=%s", (API_KEY,), exc_info=True)
        import sys

        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert API_KEY not in text and text.count("[redacted]") == 2


def test_request_reprs_hide_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    client = httpx2.Client()
    request = client.build_request("GET", "http://127.0.0.1/v1/skills", headers={"authorization": f"Bearer {API_KEY}"})
    assert API_KEY not in repr(request) and API_KEY not in repr(request.headers)
    client.close()


def test_validate_skill_says_which_secrets_it_left_out(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    folder = write_skill(workdir, files={".env": "K=1\n", "certs/server.key": "x", ".skillignore": "!.env.example\n",
                                         ".env.example": "K=\n"})  # fmt: skip
    result = mcp.call("validate_skill", {"path": str(folder)})
    summary = result.content[0].text  # type: ignore[union-attr]
    assert "secret-looking files: .env, certs/server.key" in summary
    assert result.structured_content is not None
    sent = {f["path"] for f in result.structured_content["files"]}
    assert "pdf-tools/.env.example" in sent and "pdf-tools/.env" not in sent
    assert api.state.requests == []
