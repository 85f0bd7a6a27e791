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
from conftest import API_KEY, Emulator, write_skill

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
    assert install["run"] == 'bash "$GITHUB_ACTION_PATH/scripts/action/install.sh"'
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
    assert "Installing skills-publisher-mcp 999.0.0." in other.stderr  # a release from PyPI, not the checkout


def test_install_without_a_version_installs_the_action_checkout_not_a_release(tmp_path: Path) -> None:
    """`uses: owner/repo@TAG` runs that tag's code: pip is given the checkout, $GITHUB_ACTION_PATH. Building
    a real checkout needs its build backend from an index, so the checkout here is missing: pip names the
    path it was given, which shows the choice (a release would name skills-publisher-mcp==X instead)."""
    checkout = tmp_path / "action-checkout"
    chosen = run_step("install.sh", tmp_path, tmp_path, {**offline_pip(), "GITHUB_ACTION_PATH": str(checkout)})
    unset = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": " "})

    assert f"from the action's checkout, {checkout}." in chosen.stderr
    assert chosen.code != 0 and str(checkout) in chosen.stderr.split("checkout, ", 1)[1].split("\n", 1)[1]
    assert "skills-publisher-mcp==" not in chosen.stderr
    assert unset.code == 2 and "GITHUB_ACTION_PATH is not set" in unset.stdout


@pytest.mark.parametrize("version", ["1.0; rm -rf /", "--index-url=http://x", "$(id)"])
def test_install_refuses_a_version_that_is_not_one(tmp_path: Path, version: str) -> None:
    step = run_step("install.sh", tmp_path, tmp_path, offline_pip(), {"version": version})

    assert step.code == 2
    assert step.stdout.startswith("::error title=skills-mcp action::input `version` is")
    assert "0.2.0" in step.stdout  # how to fix it


# --- run.py against the emulator ----------------------------------------------------------------------


def test_first_sync_creates_then_a_second_changes_nothing(api: Emulator, tmp_path: Path) -> None:
    skills = tmp_path / "repo" / "skills"
    for name in ("alpha", "beta", "gamma"):
        write_skill(skills, name)

    first = run_step("run.py", tmp_path / "repo", tmp_path, against(api), {"path": "skills"})
    uploads = api.upload_count()
    second = run_step("run.py", tmp_path / "repo", tmp_path, against(api), {"path": "skills"})

    assert first.code == 0, first.stderr
    assert first.outputs == {
        "changed": "true",
        "created": "3",
        "updated": "0",
        "deleted": "0",
        "lock-file": "skills/skills.lock.json",
    }
    assert (tmp_path / "repo" / "skills" / "skills.lock.json").is_file()
    assert first.summary.startswith("### skills-mcp sync\n")
    assert "3 created, 0 updated, 0 deleted, 0 unchanged, 0 invalid" in first.summary
    rows = table_rows(first.summary)
    assert sorted((r[0], r[1], r[3]) for r in rows) == [("+", n, "create") for n in ("alpha", "beta", "gamma")]
    assert all(r[4] for r in rows)  # each names the version it made

    assert second.code == 0, second.stderr
    assert second.outputs["changed"] == "false" and second.outputs["created"] == "0"
    assert second.outputs["lock-file"] == "skills/skills.lock.json"
    assert [r[3] for r in table_rows(second.summary)] == ["unchanged"] * 3
    assert api.upload_count() == uploads  # nothing uploaded the second time
    for step in (first, second):
        assert API_KEY not in step.everything()


def test_check_only_with_a_change_fails_and_shows_the_plan(api: Emulator, tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    write_skill(skills, "alpha")
    write_skill(skills, "beta")
    assert run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"}).code == 0
    (skills / "alpha" / "notes.md").write_text("new\n")
    write_skill(skills, "gamma")
    uploads = api.upload_count()

    check = run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills", "check-only": "true"})

    assert check.code == 1, check.stderr
    assert check.summary.startswith("### skills-mcp plan --check: changes pending\n")
    assert "1 to create, 1 to update, 0 to delete, 1 unchanged" in check.summary
    rows = {r[1]: r for r in table_rows(check.summary)}
    assert rows["alpha"][3] == "update" and "+notes.md" in rows["alpha"][5]
    assert rows["gamma"][3] == "create" and rows["beta"][3] == "unchanged"
    assert check.outputs["changed"] == "true"
    assert (check.outputs["created"], check.outputs["updated"]) == ("1", "1")
    assert api.upload_count() == uploads  # a check changes nothing
    assert API_KEY not in check.everything()


def test_check_only_in_sync_passes(api: Emulator, tmp_path: Path) -> None:
    write_skill(tmp_path / "skills", "alpha")
    assert run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"}).code == 0

    inputs = {"path": "skills", "check-only": "true", "prune": "true"}  # one set of inputs for PRs and main
    check = run_step("run.py", tmp_path, tmp_path, against(api), inputs)

    assert check.code == 0, check.stderr
    assert check.summary.startswith("### skills-mcp plan --check: in sync\n")
    assert check.outputs["changed"] == "false"


def test_a_removed_folder_is_deleted_only_with_prune(api: Emulator, tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    write_skill(skills, "alpha")
    write_skill(skills, "beta")
    assert run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"}).code == 0
    for child in sorted((skills / "beta").rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    (skills / "beta").rmdir()

    kept = run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"})
    skills_left = len(api.state.store.skills)
    pruned = run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills", "prune": "true"})

    assert kept.code == 0, kept.stderr
    assert kept.outputs["deleted"] == "0" and kept.outputs["changed"] == "false"
    assert skills_left == 2
    assert "delete (skipped: prune is off)" in kept.summary
    assert pruned.code == 0, pruned.stderr
    assert pruned.outputs["deleted"] == "1" and pruned.outputs["changed"] == "true"
    assert len(api.state.store.skills) == 1


def test_an_invalid_folder_is_in_the_table_and_an_error_annotation(api: Emulator, tmp_path: Path) -> None:
    write_skill(tmp_path / "skills", "alpha")
    write_skill(tmp_path / "skills", "broken", frontmatter="name: broken\n")  # no description

    step = run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"})

    rows = {r[1] or r[2]: r for r in table_rows(step.summary)}
    broken = next(r for key, r in rows.items() if "broken" in key)
    assert broken[0] == "!" and broken[3] == "invalid" and "description" in broken[5]
    assert step.outputs["created"] == "1"
    assert re.search(r"^::error title=skills-mcp invalid::.*broken.*description", step.stdout, re.M)


def test_without_a_key_the_step_fails_and_says_so(api: Emulator, tmp_path: Path) -> None:
    write_skill(tmp_path / "skills", "alpha")

    step = run_step("run.py", tmp_path, tmp_path, {"ANTHROPIC_BASE_URL": api.url}, {"path": "skills"})

    assert step.code == 5
    assert "ANTHROPIC_API_KEY" in step.stderr
    assert step.summary == "### skills-mcp: failed (exit 5) before a plan; see the log\n"
    assert step.outputs == {}


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"prune": "yes"}, "input `prune` is 'yes': give true or false"),
        ({"check-only": "1"}, "input `check-only` is '1': give true or false"),
    ],
)
def test_a_bad_input_is_refused_before_anything_runs(tmp_path: Path, inputs: dict[str, str], says: str) -> None:
    step = run_step("run.py", tmp_path, tmp_path, {}, inputs)

    assert step.code == 2
    assert step.stdout.startswith("::error title=skills-mcp action::") and says in step.stdout
    assert step.summary == "" and step.outputs == {}


def test_a_skill_name_or_path_cannot_break_the_table_or_start_a_command(api: Emulator, tmp_path: Path) -> None:
    """Folder names come from the repository: a pipe, HTML or a newline in one stays inside its cell."""
    odd = tmp_path / "skills" / "a|b <i>x</i>"
    write_skill(odd, "alpha")

    step = run_step("run.py", tmp_path, tmp_path, against(api), {"path": "skills"})

    assert step.code == 0, step.stderr
    (row,) = table_rows(step.summary)
    assert len(row) == 6 and "a\\|b &lt;i&gt;x&lt;/i&gt;" in row[2]
    assert "<i>" not in step.summary


def test_local_mode_says_so_in_the_summary(tmp_path: Path) -> None:
    """SKILLS_MCP_LOCAL (a dry run of a workflow with no key) must not read as a real sync."""
    write_skill(tmp_path / "skills", "alpha")
    local = {"SKILLS_MCP_LOCAL": "1", "SKILLS_MCP_DATA_DIR": str(tmp_path / "data")}

    step = run_step("run.py", tmp_path, tmp_path, local, {"path": "skills"})

    assert step.code == 0, step.stderr
    assert step.summary.startswith("### skills-mcp sync (local emulator, not the Anthropic API)\n")
    assert step.outputs["created"] == "1"
