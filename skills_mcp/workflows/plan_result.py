"""What plan and sync answer: one document, each skill and its action, then the counts.

Apart from plan.py so the MCP server can declare its tools' output schemas without loading the plan path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from skills_mcp.errors import SkillsMcpError

Action = Literal["create", "update", "unchanged", "delete", "invalid"]
ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "delete", "invalid")


class Changes(BaseModel):
    added: list[str] = Field(
        default_factory=list, description="Files in the folder, not in the skill's newest version."
    )
    removed: list[str] = Field(default_factory=list, description="Files in the newest version, gone from the folder.")
    modified: list[str] = Field(default_factory=list, description="Files whose bytes differ.")
    frontmatter: list[str] = Field(default_factory=list, description="SKILL.md frontmatter fields that changed.")


class PlannedSkill(BaseModel):
    name: str | None = Field(
        default=None, description="The skill's name (the SKILL.md name, or the lock file's for a delete)."
    )
    path: str = Field(description="The skill folder, relative to DIR (POSIX).")
    skill_id: str | None = Field(default=None, description="The skill it is matched to; none for a create.")
    action: Action
    changes: Changes = Field(default_factory=Changes)
    version: str | None = Field(default=None, description="After sync: the skill's newest version, as pinned.")
    problems: list[str] = Field(default_factory=list, description="Why it is invalid, failed, or was left alone.")
    status: Literal["done", "failed", "skipped"] | None = Field(
        default=None, description="After sync: applied, failed (see problems), or skipped (a delete without prune)."
    )


class Summary(BaseModel):
    create: int = 0
    update: int = 0
    unchanged: int = 0
    delete: int = 0
    invalid: int = 0


class PlanResult(BaseModel):
    """One document for a plan or a sync: each skill and its action, then the counts."""

    skills: list[PlannedSkill]
    summary: Summary
    problems: list[str] = Field(default_factory=list, description="Problems with the folder of skills as a whole.")
    lock_file: str = Field(description="The lock file plan reads and sync writes.")
    error: dict[str, Any] | None = Field(
        default=None, description="CLI --json only, on failure: kind and message, as every failed command has."
    )
    _errors: list[SkillsMcpError] = PrivateAttr(default_factory=list)

    @property
    def changes_pending(self) -> bool:
        return bool(self.problems) or any(s.action != "unchanged" for s in self.skills)

    @property
    def failures(self) -> list[SkillsMcpError]:
        """What went wrong, in path order: an invalid folder is an `InvalidSkill`."""
        return self._errors
