"""The wire through the installed CLI: the mode's version form, the workspace header, the base URL checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import API_KEY, SKILLS_BETA, Emulator, write_skill
from test_cli import against, cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "release-notes"


def test_versions_are_listed_and_taken_in_the_form_of_the_mode(api: Emulator, tmp_path: Path) -> None:
    env = against(api)
    published = json.loads(cli("publish", str(write_skill(tmp_path)), "--json", env=env).stdout)
    skill_id, version = published["skill"]["id"], published["version"]
    epoch = api.state.store.skills[skill_id].versions[0].version

    ga = cli("versions", skill_id, env=env)
    beta = cli("--beta", SKILLS_BETA, "versions", skill_id, env=env)
    back_to_ga = cli("versions", skill_id, "--beta", "", env={**env, "SKILLS_MCP_BETA": SKILLS_BETA})  # option wins
    by_id = cli("get", skill_id, version["id"], "--json", env=env)
    by_epoch = cli("get", skill_id, epoch, "--json", "--beta", SKILLS_BETA, env=env)
    api.state.requests.clear()
    epoch_in_ga = cli("get", skill_id, epoch, env=env)
    id_in_beta = cli("delete", skill_id, version["id"], env={**env, "SKILLS_MCP_BETA": SKILLS_BETA})

    assert "version" not in version and version["id"].startswith("skillver_")  # GA by default
    assert ga.stdout.startswith(f"{version['id']}  pdf-tools") and epoch not in ga.stdout
    assert beta.stdout.startswith(f"{epoch}  pdf-tools")
    assert back_to_ga.stdout == ga.stdout
    assert json.loads(by_id.stdout)["id"] == version["id"]
    assert json.loads(by_epoch.stdout)["version"] == epoch
    assert epoch_in_ga.returncode == 1 and f"version: '{epoch}' is an epoch version string" in epoch_in_ga.stderr
    assert f"--beta {SKILLS_BETA}" in epoch_in_ga.stderr and "pass the `id` field" in epoch_in_ga.stderr
    assert id_in_beta.returncode == 1 and f"version: '{version['id']}' is a version id" in id_in_beta.stderr
    assert "pass the `version` field" in id_in_beta.stderr
    assert api.state.requests == []  # both refused before any request
    assert len(api.state.store.skills[skill_id].versions) == 1


def test_the_workspace_id_from_the_environment_goes_on_every_request(api: Emulator, tmp_path: Path) -> None:
    env = {**against(api), "ANTHROPIC_WORKSPACE_ID": "wrkspc_env"}
    published = cli("publish", str(write_skill(tmp_path)), env=env)
    listed = cli("list", "--workspace-id", "wrkspc_option", env=env)  # the option wins over the environment

    assert published.returncode == 0 and listed.returncode == 0, published.stderr + listed.stderr
    *publishing, listing = api.state.requests
    assert publishing and {r.headers.get("anthropic-workspace-id") for r in publishing} == {"wrkspc_env"}
    assert listing.headers.get("anthropic-workspace-id") == "wrkspc_option"


def test_a_workspace_id_that_cannot_be_a_header_is_a_configuration_error(api: Emulator) -> None:
    run = cli("list", env={**against(api), "ANTHROPIC_WORKSPACE_ID": "wrkspc_a\u00e9"})
    assert run.returncode == 5 and "ANTHROPIC_WORKSPACE_ID" in run.stderr and "printable ASCII" in run.stderr
    assert api.state.requests == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("api.anthropic.com", "has no scheme; it must start with https://"),
        ("localhost:8765", "has the scheme 'localhost'"),
        ("ftp://api.anthropic.com", "has the scheme 'ftp'"),
        ("http://", "has no host"),
        ("https://:443/v1", "has no host"),
        ("http://user:pa55word@127.0.0.1:9", "holds a user name or password"),
        ("http://tok3n@127.0.0.1:9", "holds a user name or password"),
        ("http://[::1", "is not a valid URL"),
    ],
)
def test_a_bad_base_url_is_a_configuration_error_naming_the_problem(url: str, says: str) -> None:
    run = cli("list", "--max-attempts", "4", env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": API_KEY})
    assert run.returncode == 5, run.stderr  # at once, not after retrying for the whole budget (exit 4)
    assert run.stderr.startswith("skills-mcp: ANTHROPIC_BASE_URL") and says in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    for secret in ("pa55word", "tok3n", API_KEY):
        assert secret not in run.stderr + run.stdout


def test_a_good_base_url_with_a_path_and_trailing_slash_still_works(api: Emulator) -> None:
    run = cli("list", env={**against(api), "ANTHROPIC_BASE_URL": api.url + "/"})
    assert run.returncode == 0, run.stderr
    assert api.state.requests[-1].path == "/v1/skills"


def test_local_mode_speaks_the_api_of_today_and_the_beta_when_asked(tmp_path: Path) -> None:
    data = ["--local", "--data-dir", str(tmp_path / "data")]
    ga = cli(*data, "publish", str(EXAMPLE), "--json")
    beta = cli(*data, "--beta", SKILLS_BETA, "publish", str(EXAMPLE), "--json")

    assert ga.returncode == 0 and beta.returncode == 0, ga.stderr + beta.stderr
    ga_version, beta_version = json.loads(ga.stdout)["version"], json.loads(beta.stdout)["version"]
    assert ga_version["id"].startswith("skillver_") and "version" not in ga_version
    assert beta_version["version"].isdigit()
    listed = cli(*data, "versions", json.loads(ga.stdout)["skill"]["id"])
    assert listed.stdout.startswith("skillver_") and listed.stderr == "[LOCAL EMULATOR, not the Anthropic API]\n"
