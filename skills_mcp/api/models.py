"""What the tools return. Fields the API adds pass through; fields it leaves out are simply absent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def optional(description: str) -> Any:
    """A field the API may leave out. A default factory, not `None`, keeps `"default": null` out of the
    output schema, which halves the time to build the schemas: it counts in every cold start."""
    return Field(default_factory=_none, description=description)


def _none() -> None:
    return None


class SkillVersion(BaseModel):
    """A skill version as the Skills API returns it: `version` and `directory` only under the beta header."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(
        description="Version id, e.g. skillver_01...: how versions are addressed (unless the server runs with "
        "--beta skills-2025-10-02)."
    )
    created_at: str | None = optional("ISO 8601 creation time.")
    description: str | None = optional("From the SKILL.md frontmatter.")
    directory: str | None = optional("Top-level folder of the upload (beta header only).")
    name: str | None = optional("The skill's name, from SKILL.md.")
    skill_id: str | None = optional("The skill this version belongs to.")
    type: str | None = optional('Always "skill_version".')
    version: str | None = optional(
        "Epoch version string, e.g. 1759178010641129, only under the beta header skills-2025-10-02, which "
        "addresses versions by it."
    )


class Skill(BaseModel):
    """A skill as the Skills API returns it. Beta and GA name some fields differently; both pass through."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Skill id, e.g. skill_01...")
    type: str | None = optional('Always "skill".')
    display_title: str | None = optional("Human title (beta header only); not unique.")
    display_name: str | None = optional("Human title; not unique.")
    latest_version: str | None = optional("Epoch string of the newest version (beta header only).")
    latest_version_id: str | None = optional("Id of the newest version: what 'latest' resolves to.")
    source: str | dict[str, str] | None = optional("custom or anthropic (an object in the GA API).")
    created_at: str | None = optional("ISO 8601 creation time.")
    updated_at: str | None = optional("ISO 8601 time of the last change.")


class SkillPage(BaseModel):
    data: list[Skill]
    next_page: str | None = optional("Pass as `page` to get the next page; null on the last one.")


class SkillVersionPage(BaseModel):
    data: list[SkillVersion]
    next_page: str | None = optional("Pass as `page` to get the next page; null on the last one.")


class Deleted(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    type: str = Field(description="skill_deleted or skill_version_deleted.")


class PublishResult(BaseModel):
    action: Literal["created_skill", "created_version", "unchanged"] = Field(
        description="created_skill: no skill had this name, so a new one was made; created_version: a version "
        "was added to the existing skill (also when another call created the skill at the same moment: "
        "publishes settle on the oldest skill of a name); unchanged: the skill's newest version already holds "
        "exactly these files, byte for byte, so nothing was uploaded and `version` is that newest version "
        "(force=true publishes anyway)."
    )
    skill: Skill
    version: SkillVersion | None = optional(
        "The new version. Absent only when it could not be read back after the skill was created: "
        "`warnings` says so, and the skill's latest_version (or latest_version_id) names it."
    )
    warnings: list[str] | None = optional(
        "What went wrong around a publish that did land (e.g. reading the new version back): each with what "
        "to do. Do not publish again because of a warning."
    )


class RollbackResult(BaseModel):
    skill_id: str
    rolled_back_to: str = Field(description="The earlier version whose files were published again: its id (epoch "
                                "string under the beta header).")  # fmt: skip
    version: SkillVersion = Field(description="The new version, now the newest: the same files as rolled_back_to.")
    warnings: list[str] | None = optional(
        "What the new version does not carry over from the old one (files an upload leaves out), each with why."
    )


class DeleteSkillResult(BaseModel):
    deleted: Deleted
    deleted_versions: list[str] = Field(
        description="The versions deleted first, when delete_versions was set: ids (epoch strings under the beta "
        "header)."
    )


class FileEntry(BaseModel):
    path: str = Field(description="Relative to the skill folder, POSIX form.")
    size: int = Field(description="Bytes.")


class LeftOut(BaseModel):
    path: str
    reason: str


class ProblemEntry(BaseModel):
    where: str
    message: str
    fix: str


class ValidationReport(BaseModel):
    ok: bool = Field(description="True when a publish would be attempted.")
    folder: str | None = optional("The resolved skill folder, when the path could be resolved.")
    name: str | None = optional("The `name` from SKILL.md, when it could be read.")
    problems: list[ProblemEntry]
    files: list[FileEntry] = Field(description="Exactly what would be uploaded, as <folder>/<path>.")
    total_bytes: int
    limit_bytes: int
    left_out: list[LeftOut] = Field(description="What is not uploaded, and why.")


class DownloadResult(BaseModel):
    skill_id: str
    version: str = Field(description="The version downloaded (`latest` resolved): its id, or epoch string under the "
                         "beta header.")  # fmt: skip
    folder: str = Field(description="Where the files were written: destination/<name>.")
    files: list[FileEntry]
    total_bytes: int
