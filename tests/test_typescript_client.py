"""A client that is not ours: the official TypeScript MCP SDK drives the real `skills-mcp` over stdio.

`tests/js/client.mjs` lists the tools, validates, publishes and reads back a skill, and prints one
JSON object with what it saw. It needs Node.js and `npm ci --prefix tests/js`; without them the test
is skipped locally but fails under CI (`CI` set), so CI cannot pass without running it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import API_KEY, Emulator, server_command, server_env, write_skill

JS_DIR = Path(__file__).parent / "js"
CLIENT = JS_DIR / "client.mjs"
SDK = JS_DIR / "node_modules" / "@modelcontextprotocol" / "sdk"

ALL_TOOLS = {
    "publish_skill",
    "create_skill",
    "create_skill_version",
    "validate_skill",
    "list_skills",
    "list_skill_versions",
    "get_skill",
    "get_skill_version",
    "download_skill_version",
    "delete_skill_version",
    "delete_skill",
    "rollback_skill",
    "plan_skills",
    "sync_skills",
}


def node_or_skip() -> str:
    """The `node` executable; without it (or the SDK) skip locally, fail under CI."""
    node = shutil.which("node")
    if node is not None and SDK.is_dir():
        return node
    if node is None:
        missing = "Node.js (`node`) is not on PATH"
    else:
        missing = f"the TypeScript MCP SDK is not installed in {JS_DIR / 'node_modules'}; run: npm ci --prefix tests/js"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the TypeScript client test, but {missing}.")
    pytest.skip(missing)


def test_typescript_sdk_client_lists_validates_publishes_and_reads(api: Emulator, workdir: Path) -> None:
    node = node_or_skip()
    folder = write_skill(workdir)

    proc = subprocess.run(
        [node, str(CLIENT), str(folder), server_command(), "--allow-dir", str(workdir)],
        env=server_env(api),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"client.mjs exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert API_KEY not in proc.stdout + proc.stderr
    seen = json.loads(proc.stdout)

    assert seen["server"]["name"] == "skills-publisher-mcp"
    assert set(seen["tools"]) == ALL_TOOLS and len(seen["tools"]) == len(ALL_TOOLS)

    validate = seen["validate_skill"]
    assert validate["isError"] is False
    assert validate["structuredContent"]["ok"] is True
    assert validate["structuredContent"]["name"] == "pdf-tools"
    assert validate["structuredContent"]["problems"] == []

    publish = seen["publish_skill"]
    assert publish["isError"] is False
    assert publish["structuredContent"]["action"] == "created_skill"
    skill_id = publish["structuredContent"]["skill"]["id"]
    assert publish["structuredContent"]["version"]["name"] == "pdf-tools"

    # The emulator holds exactly that skill, with one version carrying our SKILL.md.
    assert list(api.state.store.skills) == [skill_id]
    record = api.state.store.skills[skill_id]
    assert record.name == "pdf-tools"
    assert len(record.versions) == 1
    assert record.versions[0].files["SKILL.md"] == (folder / "SKILL.md").read_bytes()

    get = seen["get_skill"]
    assert get["isError"] is False
    assert get["structuredContent"]["id"] == skill_id
