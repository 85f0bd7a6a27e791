"""The GitHub Action (action.yml): its own step scripts, run here as the runner would, against the emulator.

GITHUB_STEP_SUMMARY and GITHUB_OUTPUT are temporary files; the installed package is this venv's, and
`python` on PATH is this interpreter, as actions/setup-python leaves it for the steps.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import API_KEY, Emulator

from skills_mcp import __version__

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts" / "action"
INPUTS = {"path", "prune", "check-only", "workspace-id", "version", "python-version"}
OUTPUTS = {"changed", "created", "updated", "deleted", "lock-file"}


@dataclass
class Step:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]

    def everything(self) -> str:
        return "\n".join((self.stdout, self.stderr, self.summary, json.dumps(self.outputs)))


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            body = []
            for more in lines:
                if more == delimiter:
                    break
                body.append(more)
            else:
                raise AssertionError(f"output {name} is not closed by its delimiter")
            values[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SKILLS_MCP_", "INPUT_", "GITHUB_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    env["GITHUB_OUTPUT"] = str(tmp_path / "output.txt")
    return env


def run_step(
    script: str, workspace: Path, tmp_path: Path, env: dict[str, str], inputs: dict[str, str] | None = None
) -> Step:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    output.write_text("")
    step_env = {**base_env(tmp_path), **env}
    step_env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in (inputs or {}).items()})
    command = [sys.executable, str(SCRIPTS / script)] if script.endswith(".py") else [str(SCRIPTS / script)]
    result = subprocess.run(command, cwd=workspace, env=step_env, capture_output=True, text=True, timeout=300)
    return Step(result.returncode, result.stdout, result.stderr, summary.read_text(), parse_outputs(output.read_text()))


def against(api: Emulator) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": API_KEY}


def table_rows(summary: str) -> list[list[str]]:
    rows = [line for line in summary.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


# --- action.yml ---------------------------------------------------------------------------------------


def action() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_action_yml_declares_the_inputs_and_outputs() -> None:
    spec = action()
    assert set(spec["inputs"]) == INPUTS
    assert {k: spec["inputs"][k].get("default") for k in ("prune", "check-only", "version")} == {
        "prune": "false",
        "check-only": "false",
        "version": "",
    }
    assert set(spec["outputs"]) == OUTPUTS
    for name, output in spec["outputs"].items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


def test_action_yml_steps_set_up_python_then_call_exactly_the_step_scripts() -> None:
    runs = action()["runs"]
    assert runs["using"] == "composite"
    setup, install, run = runs["steps"]
    assert setup["uses"].startswith("actions/setup-python@")
    assert install["run"] == '"$GITHUB_ACTION_PATH/scripts/action/install.sh"'
    assert run["run"] == 'python "$GITHUB_ACTION_PATH/scripts/action/run.py"' and run["id"] == "run"
    assert install["env"] == {"INPUT_VERSION": "${{ inputs.version }}"}
    mapped = {k: v for k, v in run["env"].items() if k.startswith("INPUT_")}
    assert mapped == {
        f"INPUT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
        for name in ("path", "prune", "check-only", "workspace-id")
    }
    for step in (install, run):  # inputs never spliced into a shell line; nothing traced
        assert step["shell"] == "bash" and "${{" not in step["run"]
    assert all((SCRIPTS / name).is_file() for name in ("install.sh", "run.py"))
    assert os.access(SCRIPTS / "install.sh", os.X_OK)
    assert not re.search(r"^\s*set\s+(-\w*x|-o\s+xtrace)", (SCRIPTS / "install.sh").read_text(), re.M)  # no tracing


# --- install.sh ---------------------------------------------------------------------------------------


def offline_pip() -> dict[str, str]:
    """pip without an index, in dry-run: a pinned version resolves only if it is the one installed here."""
    return {"PIP_NO_INDEX": "1", "PIP_DRY_RUN": "1"}


def test_install_pins_the_version_input(tmp_path: Path) -> None:
    same = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": f" {__version__} "})
    other = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": "999.0.0"})
    newest = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": "latest"})

    assert same.code == 0, same.stderr
    assert same.stdout.strip() == f"skills-publisher-mcp {__version__}"
    assert other.code != 0 and "skills-publisher-mcp==999.0.0" in other.stderr
    assert newest.code == 0, newest.stderr


@pytest.mark.parametrize("version", ["1.0; rm -rf /", "--index-url=http://x", "$(id)"])
def test_install_refuses_a_version_that_is_not_one(tmp_path: Path, version: str) -> None:
    step = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": version})

    assert step.code == 2
    assert step.stdout.startswith("::error title=skills-mcp action::input `version` is")
    assert "0.2.0" in step.stdout  # how to fix it


# --- run.py ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"prune": "yes"}, "input `prune` is 'yes': give true or false"),
        ({"check-only": "true", "prune": "true"}, "input `prune` does nothing with `check-only: true`"),
    ],
)
def test_a_bad_input_is_refused_before_anything_runs(tmp_path: Path, inputs: dict[str, str], says: str) -> None:
    step = run_step("run.py", tmp_path, tmp_path, {}, inputs)

    assert step.code == 2
    assert step.stdout.startswith("::error title=skills-mcp action::") and says in step.stdout
    assert step.summary == "" and step.outputs == {}
