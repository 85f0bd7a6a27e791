"""stdout belongs to the protocol: every line the server writes there is JSON-RPC, and no secret is in it."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

from anthropic.lib import files_from_dir
from conftest import API_KEY, Emulator, official_sdk, server_command, server_env, write_skill

from skills_mcp.emulator import Fault


def rpc(id_: int, method: str, params: dict[str, object]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})


def test_stdout_is_only_json_rpc_and_never_holds_the_key(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path)
    client = official_sdk(api.url)
    skill_id = client.beta.skills.create(files=files_from_dir(folder), betas=["skills-2025-10-02"]).id
    api.state.faults.push(Fault(500, method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))
    call = {"name": "create_skill_version", "arguments": {"skill_id": skill_id, "path": str(folder)}}
    lines = [
        rpc(
            1,
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        ),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        rpc(2, "tools/list", {}),
        rpc(3, "tools/call", call),  # 500 from the API
        rpc(4, "tools/call", call),  # succeeds
        rpc(5, "tools/call", {"name": "create_skill_version", "arguments": {"skill_id": "x", "path": "/etc"}}),
    ]
    with subprocess.Popen(
        [server_command(), "--allow-dir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=server_env(api),
    ) as proc:
        assert proc.stdin and proc.stdout and proc.stderr
        received: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [received.put(line) for line in proc.stdout], daemon=True)  # type: ignore[union-attr]
        reader.start()
        stdout_lines: list[str] = []
        for sent, line in enumerate(lines):  # one at a time: the two identical calls must not race for the fault
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            while sum('"id"' in answer for answer in stdout_lines) < min(sent, len(lines) - 1):
                stdout_lines.append(received.get(timeout=60))
        proc.stdin.close()  # end of input: the server shuts down
        stderr = proc.stderr.read()
        proc.wait(timeout=30)
        reader.join(timeout=30)
    while not received.empty():
        stdout_lines.append(received.get())
    stdout = "".join(stdout_lines)

    messages = [json.loads(line) for line in stdout.splitlines()]  # raises on any stray output
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    answers = {m["id"]: m for m in messages if "id" in m}
    assert set(answers) == {1, 2, 3, 4, 5}
    assert answers[3]["result"]["isError"] is True and answers[4]["result"]["isError"] is False
    assert answers[5]["result"]["isError"] is True
    assert API_KEY not in stdout and API_KEY not in stderr
    assert "Traceback" not in stderr
