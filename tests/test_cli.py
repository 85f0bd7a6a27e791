"""The CLI: the same core as the tools, with exit codes CI can branch on, JSON for scripts, and local mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import API_KEY, Emulator, server_command, write_skill

from skills_mcp import __version__

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "release-notes"


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_"))}
    return subprocess.run(
        [server_command(), *args], capture_output=True, text=True, env={**base, **(env or {})}, cwd=cwd, timeout=120
    )


def against(emulator: Emulator, key: str | None = API_KEY) -> dict[str, str]:
    env = {"ANTHROPIC_BASE_URL": emulator.url}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    return env


def test_local_mode_publishes_the_example_and_says_it_is_local(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = cli("--local", "--data-dir", str(data), "publish", str(EXAMPLE), "--json")
    second = cli("publish", str(EXAMPLE), "--force", env={"SKILLS_MCP_LOCAL": "1", "SKILLS_MCP_DATA_DIR": str(data)})

    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)
    assert created["local_emulator"] is True and created["action"] == "created_skill"
    assert created["version"]["name"] == "release-notes"
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Added a version to skill")  # the label on a line of its own, on stderr
    assert second.stderr.splitlines()[0] == "[LOCAL EMULATOR, not the Anthropic API]"
    assert json.loads(second.stdout.split("\n", 1)[1])["skill_id"] == created["skill"]["id"]  # the version JSON
    listed = cli("--local", "--data-dir", str(data), "versions", created["skill"]["id"], "--json")
    assert [v["name"] for v in json.loads(listed.stdout)["data"]] == ["release-notes", "release-notes"]


def test_a_full_round_trip_against_the_api(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "src", files={"scripts/run.py": "print(1)\n"})
    env = against(api)
    published = json.loads(cli("publish", "src/pdf-tools", "--json", env=env, cwd=tmp_path).stdout)  # relative ok
    skill_id = published["skill"]["id"]

    listed = json.loads(cli("list", "--json", env=env).stdout)
    got = json.loads(cli("get", skill_id, "latest", "--json", env=env).stdout)
    (tmp_path / "out").mkdir()
    downloaded = cli("download", skill_id, "latest", str(tmp_path / "out"), env=env)
    refused = cli("delete", skill_id, env=env)
    deleted = cli("delete", skill_id, "--all-versions", "--json", env=env)

    assert [s["id"] for s in listed["data"]] == [skill_id]
    assert got["id"] == published["version"]["id"] and "version" not in got  # the GA shape, by default
    assert downloaded.returncode == 0 and "Downloaded 2 files" in downloaded.stdout
    assert (tmp_path / "out" / "pdf-tools" / "scripts" / "run.py").read_bytes() == (
        folder / "scripts/run.py"
    ).read_bytes()
    assert refused.returncode == 1 and "--all-versions" in refused.stderr  # in the CLI's words (issue 13)
    assert deleted.returncode == 0 and json.loads(deleted.stdout)["deleted"]["type"] == "skill_deleted"
    assert api.state.store.skills == {}


@pytest.mark.parametrize(
    ("case", "expected_code", "says"),
    [
        ("invalid skill", 1, "Nothing was uploaded"),
        ("validate finds problems", 1, "problem"),
        ("unknown skill", 3, "Skills API error 404"),
        ("no key", 5, "ANTHROPIC_API_KEY is not set"),
        ("unreachable", 4, "Check the network and ANTHROPIC_BASE_URL"),
        ("usage", 2, "usage: skills-mcp"),
    ],
)
def test_exit_codes(case: str, expected_code: int, says: str, api: Emulator, tmp_path: Path) -> None:
    good = write_skill(tmp_path)
    bad = write_skill(tmp_path / "bad", frontmatter="name: Bad\ndescription: x\n")
    runs = {
        "invalid skill": lambda: cli("publish", str(bad), env=against(api)),
        "validate finds problems": lambda: cli("validate", str(bad)),
        "unknown skill": lambda: cli("publish", str(good), "--skill-id", "skill_nope", env=against(api)),
        "no key": lambda: cli("list", env=against(api, key=None)),
        "unreachable": lambda: cli(
            "list", "--max-attempts", "1", env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "k"}
        ),
        "usage": lambda: cli("publish"),
    }
    result = runs[case]()
    assert result.returncode == expected_code, (result.stdout, result.stderr)
    assert says in result.stdout + result.stderr
    assert API_KEY not in result.stdout + result.stderr
    if case == "invalid skill":
        assert api.state.requests == []


def test_help_reads_well() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for word in ("publish", "validate", "list", "versions", "download", "delete", "emulator", "--local", "--allow-dir"):
        assert word in result.stdout


def test_python_dash_m_is_the_same_program() -> None:
    result = subprocess.run([sys.executable, "-m", "skills_mcp", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"skills-publisher-mcp {__version__}\n"  # the distribution


def test_the_job_runs_with_the_usual_garbage_collection(tmp_path: Path) -> None:
    """Start-up builds with a deeper young generation; what runs after (a command, or a server for hours) must
    collect short-lived cycles as usual. Seen from inside a real run: the threshold at each young collection."""
    folder = write_skill(tmp_path, files={f"assets/f{i:04d}.txt": f"{i}\n" for i in range(2_000)})
    code = textwrap.dedent("""
        import gc, json, sys
        from skills_mcp.cli.main import main
        usual, seen = gc.get_threshold()[0], []
        gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] == 0
                            and seen.append(gc.get_threshold()[0]))
        try:
            main()
        finally:
            print(json.dumps({"usual": usual, "seen": seen}), file=sys.stderr)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code, "validate", str(folder), "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    gc_report = json.loads(result.stderr.splitlines()[-1])
    # The job (validating 2,000 files) made enough objects for young collections, the last of them as usual.
    assert gc_report["seen"] and gc_report["seen"][-1] == gc_report["usual"], gc_report
