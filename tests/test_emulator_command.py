"""`skills-mcp emulator`: a Skills API on disk that anything can use, the official SDK included."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from anthropic.lib import files_from_dir
from conftest import official_sdk, server_command, write_skill
from test_cli import cli
from test_http_transport import free_port, wait_for_port


def test_sdk_writes_skills_mcp_reads_and_both_survive_a_restart(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    folder = write_skill(tmp_path / "src")
    command = [server_command(), "emulator", "--port", str(port), "--data-dir", str(data)]
    env = {"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}", "ANTHROPIC_API_KEY": "any-key-will-do"}

    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as first:
        wait_for_port(port, first)
        sdk = official_sdk(env["ANTHROPIC_BASE_URL"])
        skill = sdk.beta.skills.create(files=files_from_dir(folder), betas=["skills-2025-10-02"])
        version = sdk.beta.skills.versions.create(skill.id, files=files_from_dir(folder), betas=["skills-2025-10-02"])
        before = json.loads(cli("versions", skill.id, "--json", env=env).stdout)
        first.terminate()
        printed, started = first.communicate(timeout=30)
    assert f"Skills API emulator on http://127.0.0.1:{port}" in started and printed == ""

    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as second:
        wait_for_port(port, second)
        listed = json.loads(cli("list", "--json", env=env).stdout)
        after = json.loads(cli("versions", skill.id, "--json", env=env).stdout)
        second.terminate()
        second.communicate(timeout=30)

    assert before["data"][0]["id"] == version.id and len(before["data"]) == 2  # the CLI speaks GA by default
    assert [s["id"] for s in listed["data"]] == [skill.id]
    assert after == before  # same versions, same order, same fields
