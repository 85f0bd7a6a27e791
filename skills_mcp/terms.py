"""What a message tells the user to do next, in the words of the surface they use.

A message is built once, as parts: text, and `Ask`s naming what to do next. Over MCP an Ask is a tool
and its arguments (`delete_versions=true`); on the command line, a flag or a command (`--all-versions`).
Each surface renders the parts with its `Terms`, so no sentence is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Ask:
    """Something the user can do or type next, named neutrally; `args` fill the surface's phrase."""

    key: str
    args: tuple[str, ...] = ()


def ask(key: str, *args: str) -> Ask:
    return Ask(key, args)


class Said(Protocol):
    """A message already built of parts (an error, say), rendered again in the terms of its reader."""

    def words(self, terms: Terms) -> str: ...


Part = str | Ask | Said


@dataclass(frozen=True)
class Terms:
    """One surface's phrases for every `Ask` key (and whether it speaks to the local emulator)."""

    phrases: Mapping[str, str]
    local: bool = False

    def say(self, *parts: Part) -> str:
        return "".join(self._one(part) for part in parts)

    def _one(self, part: Part) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, Ask):
            return self.phrases[part.key].format(*part.args)
        return part.words(self)


_TOOL = {
    "all_versions": "delete_versions=true",
    "delete_all_again": "Call delete_skill again with delete_versions=true",
    "delete_version": "delete_skill_version",
    "delete_skill": "delete_skill",
    "overwrite": "overwrite=true",
    "list": "list_skills",
    "versions": "list_skill_versions",
    "publish": "publish_skill",
    "skill_id": "skill_id",
    "with_skill_id": "giving its id as skill_id",
    "create_duplicate": "call create_skill with allow_duplicate=true",
    "force": "force=true",
    "page": "page={0}",
    "visible": "this key can see",
    "delete_skill_all": "delete_skill with skill_id {0} and delete_versions=true",
    "show_version": "get_skill_version with skill_id {0} and version {1}",
    "key_setup": 'Add it to the "env" block of this server in your MCP client config (for Claude Desktop: '
    "claude_desktop_config.json), then restart the client.",
}
_CLI = {
    "all_versions": "--all-versions",
    "delete_all_again": "Run `skills-mcp delete {0} --all-versions`",
    "delete_version": "`skills-mcp delete {0} VERSION`",
    "delete_skill": "`skills-mcp delete`",
    "overwrite": "--overwrite",
    "list": "`skills-mcp list`",
    "versions": "`skills-mcp versions {0}`",
    "publish": "`skills-mcp publish`",
    "skill_id": "--skill-id",
    "with_skill_id": "with --skill-id ID",
    "create_duplicate": "run `skills-mcp create` with --allow-duplicate",
    "force": "--force",
    "page": "--page {0}",
    "visible": "this key can see",
    "delete_skill_all": "`skills-mcp delete {0} --all-versions`",
    "show_version": "`skills-mcp get {0} {1}`",
    "key_setup": "Set it in your shell (export ANTHROPIC_API_KEY=sk-ant-...), or add --local to use the "
    "embedded emulator, which needs no key.",
}
_LOCAL = {"visible": "in the local emulator"}  # there is no key to talk about

TOOL = Terms(_TOOL)
CLI = Terms(_CLI)


def terms(surface: Terms, local: bool) -> Terms:
    """`surface` (TOOL or CLI) as it speaks in local mode, or as is."""
    return Terms({**surface.phrases, **_LOCAL}, local=True) if local else surface
