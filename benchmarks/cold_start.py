"""Cold start: from spawning the process to the answer to tools/list, skills-mcp against a bare MCPServer.

python -m benchmarks.cold_start [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import QUICK, interleave, machine, median, paired_ratio, table, verdict

HERE = Path(__file__).parent
HANDSHAKE = "\n".join(
    json.dumps(m)
    for m in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
) + "\n"  # fmt: skip


CPU: dict[str, list[float]] = {}  # the child's CPU seconds per run: steadier than wall time on a noisy VM


def spawn_until_tools_listed(command: list[str], name: str = "") -> None:
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(HANDSHAKE.encode())
    proc.stdin.flush()
    for line in proc.stdout:
        if b'"id":2' in line.replace(b" ", b""):
            break
    else:
        raise RuntimeError(f"{command} never answered tools/list")
    proc.stdin.close()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    CPU.setdefault(name, []).append(usage.ru_utime + usage.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--quick", action="store_true", help="one round: a smoke test")
    args = parser.parse_args()
    if args.quick or QUICK:
        args.rounds = 1
    with tempfile.TemporaryDirectory() as allowed:
        contenders = {
            "skills-mcp": [sys.executable, "-m", "skills_mcp", "--allow-dir", allowed],
            "minimal MCPServer": [sys.executable, str(HERE / "minimal_server.py")],
        }
        for command in contenders.values():  # warm the .pyc caches first
            spawn_until_tools_listed(command)
        times = interleave(
            {k: (lambda c=c, k=k: spawn_until_tools_listed(c, k)) for k, c in contenders.items()}, args.rounds
        )
    floor = median(times["minimal MCPServer"])
    rows = [(name, f"{median(t):.3f} s", f"{min(t):.3f} s", f"{median(t) / floor:.3f} x") for name, t in times.items()]
    print(table(f"Cold start, spawn to tools/list answered ({args.rounds} rounds, {machine()})", rows,
                ("server", "median", "best", "vs minimal")))  # fmt: skip
    paired = paired_ratio(times["skills-mcp"], times["minimal MCPServer"])
    cpu = median(CPU["skills-mcp"][-args.rounds :]) / median(CPU["minimal MCPServer"][-args.rounds :])
    print(f"\nper-round ratio, median: {paired:.3f} x; CPU time (to exit), ratio of medians: {cpu:.3f} x")
    print(verdict("cold start vs minimal MCPServer, per-round median", paired, "<=", 1.05, "x", digits=3))


if __name__ == "__main__":
    main()
