"""What a user installs is this project: its own name on the index, both script names, every config that uses them.

`skills-mcp` on the package index is an unrelated project with the same import name, so every install line,
client config and bundle must name `skills-publisher-mcp`, or a user runs a stranger's code with their key.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import Emulator, McpSession, server_command, server_env
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from skills_mcp import __version__

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NAME = "skills-publisher-mcp"


def test_the_distribution_is_named_skills_publisher_mcp() -> None:
    assert PYPROJECT["project"]["name"] == NAME


def test_both_script_names_run_the_same_entry_point() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    assert scripts[NAME] == scripts["skills-mcp"] == "skills_mcp.cli.main:main"


@pytest.mark.parametrize("script", [NAME, "skills-mcp"])
def test_the_installed_script_serves_and_reports_the_distribution_name(
    script: str, emulator: Emulator, tmp_path: Path
) -> None:
    command = server_command(script)
    assert Path(command).exists(), f"no `{script}` script next to {sys.executable}: pip install -e '.[test]' again"
    session = McpSession(["--allow-dir", str(tmp_path)], server_env(emulator), tmp_path / "stderr.log", command)
    try:
        info = session.client.server_info
        tools = session.tools()
    finally:
        session.close()
    assert (info.name, info.version) == (NAME, __version__)
    assert "publish_skill" in tools


def documentation() -> str:
    """What a reader copies from: the README and every page of docs/."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def claude_desktop_configs() -> list[dict[str, object]]:
    """Every Claude Desktop config we show: the example file, and each JSON block of the README and docs/."""
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", documentation(), re.DOTALL) if "mcpServers" in b]
    example = json.loads((ROOT / "claude_desktop_config.example.json").read_text(encoding="utf-8"))
    return [example, *blocks]


def test_every_uvx_config_runs_this_distribution() -> None:
    servers = [s for config in claude_desktop_configs() for s in config["mcpServers"].values()]  # type: ignore[attr-defined]
    via_uvx = [s["args"] for s in servers if s["command"] == "uvx"]
    assert len(via_uvx) >= 2  # the README's and the example file's
    assert all(args[0] == NAME for args in via_uvx), via_uvx


def test_every_pip_install_command_in_the_docs_installs_this_distribution() -> None:
    commands = "".join(re.findall(r"```bash\n(.*?)```", documentation(), re.DOTALL))  # what a reader copies and runs
    targets = re.findall(r"pip install (?:-\w+ )*(\S+)", commands)
    from_the_index = [t for t in targets if not t.startswith((".", '".', "'."))]  # `pip install .` is a checkout
    assert from_the_index and all(t == NAME for t in from_the_index), targets


def test_the_bundle_manifest_names_the_distribution_and_its_version() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["name"], manifest["version"]) == (NAME, PYPROJECT["project"]["version"])


def imported_distributions() -> set[str]:
    """The installed distributions that provide what the package imports (the standard library aside)."""
    modules: set[str] = set()
    for source in (ROOT / "skills_mcp").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"skills_mcp"}
    providers = importlib.metadata.packages_distributions()
    missing = sorted(m for m in third_party if m not in providers)
    assert not missing, f"imported but not installed: {missing}"
    return {canonicalize_name(d) for m in third_party for d in providers[m]}


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    declared = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    assert imported_distributions() - declared == set()


def test_every_dependency_is_pinned_below_its_next_major() -> None:
    for line in PYPROJECT["project"]["dependencies"]:
        specifiers = {s.operator for s in Requirement(line).specifier}
        assert specifiers == {">=", "<"}, line
