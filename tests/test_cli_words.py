"""The CLI speaks in its own words (flags and commands), the tools in theirs (arguments), from one core;
`validate` shows what it found; every tool has its command; tool descriptions read as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import API_KEY, Emulator, McpSession, write_skill
from test_cli import against, cli
from test_publish_stdio import text

from skills_mcp import terms
from skills_mcp.api.local import LABEL
from skills_mcp.limits import MAX_UPLOAD_BYTES

PACKAGE = Path(terms.__file__).parent


def test_messages_name_the_flags_and_commands_a_cli_user_types(api: Emulator, tmp_path: Path) -> None:
    env = against(api)
    skill_id = json.loads(cli("publish", str(write_skill(tmp_path / "src")), "--json", env=env).stdout)["skill"]["id"]
    (tmp_path / "out").mkdir()
    cli("download", skill_id, "latest", str(tmp_path / "out"), env=env)

    not_deleted = cli("delete", skill_id, env=env)
    not_downloaded = cli("download", skill_id, "latest", str(tmp_path / "out"), env=env)
    no_key = cli("list", env=against(api, key=None))
    no_version = cli("get", skill_id, "skillver_01Unknown", env=env)

    assert not_deleted.returncode == 1 and f"`skills-mcp delete {skill_id} --all-versions`" in not_deleted.stderr
    assert "delete_versions" not in not_deleted.stderr and "delete_skill" not in not_deleted.stderr
    assert not_downloaded.returncode == 1 and "Pass --overwrite to replace it" in not_downloaded.stderr
    assert "overwrite=true" not in not_downloaded.stderr
    assert no_key.returncode == 5 and "export ANTHROPIC_API_KEY=" in no_key.stderr and "--local" in no_key.stderr
    assert "env" not in no_key.stderr.replace("export", "") and "MCP client" not in no_key.stderr
    assert no_version.returncode == 3 and "Skill version not found" in no_version.stderr
    assert f"`skills-mcp versions {skill_id}` lists the skill's versions" in no_version.stderr
    assert "list_skills" not in no_version.stderr and "skills this key can see" not in no_version.stderr


def test_in_local_mode_there_is_no_key_to_talk_about(tmp_path: Path) -> None:
    run = cli("--local", "--data-dir", str(tmp_path / "data"), "get", "skill_01234567890123456789abcd")
    assert run.returncode == 3 and "`skills-mcp list` shows the skills in the local emulator" in run.stderr
    assert "key" not in run.stderr


def test_over_mcp_the_same_messages_stay_in_tool_terms(api: Emulator, mcp: McpSession, workdir: Path) -> None:
    made = mcp.call("publish_skill", {"path": str(write_skill(workdir))})
    skill_id = made.structured_content["skill"]["id"]  # type: ignore[index]

    no_version = text(mcp.call("get_skill_version", {"skill_id": skill_id, "version": "skillver_01Unknown"}))
    not_deleted = text(mcp.call("delete_skill", {"skill_id": skill_id}))

    assert "Check the skill id and the version; list_skill_versions lists the skill's versions." in no_version
    assert "list_skills" not in no_version and "skills-mcp" not in no_version
    assert "Call delete_skill again with delete_versions=true" in not_deleted and "--all-versions" not in not_deleted


def test_every_phrase_exists_for_both_surfaces_and_every_ask_is_known() -> None:
    """One core, two vocabularies: the same keys; every `ask("...")` in the package names one of them."""
    assert set(terms.TOOL.phrases) == set(terms.CLI.phrases)
    asked = {
        key for path in PACKAGE.rglob("*.py") for key in re.findall(r"\bask\(\s*\"(\w+)\"", path.read_text("utf-8"))
    }
    assert asked and asked <= set(terms.TOOL.phrases), asked - set(terms.TOOL.phrases)
    said = terms.CLI.say("Pass ", terms.ask("overwrite"), " or see ", terms.ask("versions", "skill_x"), ".")
    assert said == "Pass --overwrite or see `skills-mcp versions skill_x`."


def test_one_module_builds_the_summaries_both_surfaces_print() -> None:
    for sentence in ("could not be read back.", "; that is all", "Downloaded ", "Deleted skill "):
        holders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if sentence in p.read_text()]
        assert holders == ["summaries.py"], (sentence, holders)


def test_validate_shows_each_file_what_is_left_out_the_total_and_every_problem(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files={"scripts/fill.py": "print('fill')\n", ".env": "TOKEN=1\n", "notes.txt": "x"})
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    bad = write_skill(tmp_path / "bad", frontmatter="name: Bad\ndescription: x\n")

    good = cli("validate", str(folder), env={"SKILLS_MCP_LOCAL": "1"})
    refused = cli("validate", str(bad))

    assert good.returncode == 0 and good.stderr == ""  # no local label: validate never contacts an API
    lines = good.stdout.splitlines()
    for path in ("SKILL.md", "scripts/fill.py", "notes.txt"):
        size = (folder / path).stat().st_size
        assert any(re.fullmatch(rf"\s+{size:,}\s+pdf-tools/{re.escape(path)}", line) for line in lines), path
    env_line = next(line for line in lines if line.strip().startswith(".env"))
    assert "secret-looking" in env_line and "SECRET-LOOKING" in env_line  # marked, not only listed
    assert any(line.strip().startswith(".git") for line in lines)
    total = sum(p.stat().st_size for p in (folder / "SKILL.md", folder / "scripts/fill.py", folder / "notes.txt"))
    assert f"Total: {total:,} of {MAX_UPLOAD_BYTES:,} bytes allowed" in good.stdout
    assert LABEL not in good.stdout
    assert refused.returncode == 1
    assert re.search(r"^\s+1\. SKILL\.md.*: .+ Fix: .+", refused.stdout, re.MULTILINE), refused.stdout


def test_validate_keeps_a_2000_file_skill_compact_unless_verbose(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {f"assets/f{i:04d}.txt": f"{i}\n" for i in range(2_000)}
    files.update({f"secrets/k{i}.pem": "key" for i in range(3)})
    folder = write_skill(tmp_path, files=files)

    compact = cli("validate", str(folder))
    verbose = cli("validate", str(folder), "--verbose")

    assert compact.returncode == 0 and len(compact.stdout.splitlines()) < 40, compact.stdout
    assert "pdf-tools/assets/ (2,000 files)" in compact.stdout
    assert compact.stdout.count("SECRET-LOOKING") == 3  # what is held back is always listed in full
    assert verbose.returncode == 0
    assert all(f"pdf-tools/assets/f{i:04d}.txt" in verbose.stdout for i in range(2_000))


def test_create_is_the_command_of_create_skill(tmp_path: Path) -> None:
    data = ["--local", "--data-dir", str(tmp_path / "data")]
    folder = str(write_skill(tmp_path / "src"))
    shown = cli("create", "--help").stdout

    made = cli(*data, "create", folder, "--display-name", "PDF tools", "--json")
    again = cli(*data, "create", folder)
    second = cli(*data, "create", folder, "--allow-duplicate", "--json")

    assert "--display-name" in shown and "--allow-duplicate" in shown
    assert made.returncode == 0 and json.loads(made.stdout)["skill"]["display_name"] == "PDF tools"
    assert again.returncode == 1 and "--allow-duplicate" in again.stderr and "allow_duplicate" not in again.stderr
    assert second.returncode == 0 and json.loads(second.stdout)["skill"]["id"] != json.loads(made.stdout)["skill"]["id"]


def test_tool_descriptions_read_without_the_source_indentation(mcp: McpSession) -> None:
    tools = mcp.tools()
    assert len(tools) == 14  # with rollback_skill, plan_skills and sync_skills (issue 15)
    for name, tool in tools.items():
        assert tool.description and "\n    " not in tool.description, name
        assert tool.description == tool.description.strip(), name
    assert API_KEY not in json.dumps([t.model_dump(mode="json") for t in tools.values()])
