"""The Skills API's answers as typed objects, and what the tools return.

Fields the API adds pass through (`extra="allow"`); fields it leaves out are simply absent. The two API
modes name some fields differently (see `wire`): an answer is parsed with its mode (`Wire.parse`), so
`SkillVersion.ref`, `Skill.latest` and `Skill.title` read the right field, and nothing above the client
reads a field by its string name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator


class APIAnswer(BaseModel):
    """Read from the API in one mode: `epoch` when the skills beta header was sent (see `wire.Wire.parse`)."""

    model_config = ConfigDict(extra="allow")
    _epoch: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _mode(self, info: ValidationInfo) -> APIAnswer:
        if info.context is not None:  # read from the API; else kept (a model nested in a result is checked again)
            self._epoch = bool(info.context.get("epoch"))
        return self


class SkillVersion(APIAnswer):
    """A skill version as the Skills API returns it: `version` and `directory` only under the beta header."""

    id: str = Field(
        description="Version id, e.g. skillver_01...: how versions are addressed (unless the server runs with "
        "--beta skills-2025-10-02)."
    )
    created_at: str | None = Field(default=None, description="ISO 8601 creation time.")
    description: str | None = Field(default=None, description="From the SKILL.md frontmatter.")
    directory: str | None = Field(default=None, description="Top-level folder of the upload (beta header only).")
    name: str | None = Field(default=None, description="The skill's name, from SKILL.md.")
    skill_id: str | None = Field(default=None, description="The skill this version belongs to.")
    type: str | None = Field(default=None, description='Always "skill_version".')
    version: str | None = Field(
        default=None,
        description="Epoch version string, e.g. 1759178010641129, only under the beta header skills-2025-10-02, which "
        "addresses versions by it.",
    )

    @property
    def ref(self) -> str:
        """How to address this version in a path: its epoch `version` under the beta header, else its `id`."""
        if self._epoch and self.version:
            return self.version
        return self.id or self.version or ""


class Skill(APIAnswer):
    """A skill as the Skills API returns it. Beta and GA name some fields differently; both pass through."""

    id: str = Field(description="Skill id, e.g. skill_01...")
    type: str | None = Field(default=None, description='Always "skill".')
    display_title: str | None = Field(default=None, description="Human title (beta header only); not unique.")
    display_name: str | None = Field(default=None, description="Human title; not unique.")
    latest_version: str | None = Field(
        default=None, description="Epoch string of the newest version (beta header only)."
    )
    latest_version_id: str | None = Field(
        default=None, description="Id of the newest version: what 'latest' resolves to."
    )
    source: str | dict[str, str] | None = Field(
        default=None, description="custom or anthropic (an object in the GA API)."
    )
    created_at: str | None = Field(default=None, description="ISO 8601 creation time.")
    updated_at: str | None = Field(default=None, description="ISO 8601 time of the last change.")

    @property
    def latest(self) -> str | None:
        """The newest version, as this mode addresses it (either field is read, the mode's own first)."""
        if self._epoch:
            return self.latest_version or self.latest_version_id or None
        return self.latest_version_id or self.latest_version or None

    @property
    def title(self) -> str | None:
        return self.display_title or self.display_name or None

    def with_newest(self, version: SkillVersion) -> Skill:
        """This skill once `version` was added to it, without asking the API again: the newest-version fields
        it was read with (either shape) now name `version`."""
        now: dict[str, str | None] = {"updated_at": version.created_at or self.updated_at}
        if "latest_version" in self.model_fields_set:
            now["latest_version"] = version.version
        if "latest_version_id" in self.model_fields_set:
            now["latest_version_id"] = version.id
        return self.model_copy(update=now)


class SkillPage(APIAnswer):
    model_config = ConfigDict(extra="ignore")

    data: list[Skill]
    next_page: str | None = Field(
        default=None, description="Pass as `page` to get the next page; null on the last one."
    )


class SkillVersionPage(APIAnswer):
    model_config = ConfigDict(extra="ignore")

    data: list[SkillVersion]
    next_page: str | None = Field(
        default=None, description="Pass as `page` to get the next page; null on the last one."
    )


class Deleted(APIAnswer):
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
    version: SkillVersion | None = Field(
        default=None,
        description="The new version. Absent only when it could not be read back after the skill was created: "
        "`warnings` says so, and the skill's latest_version (or latest_version_id) names it.",
    )
    warnings: list[str] | None = Field(
        default=None,
        description="What went wrong around a publish that did land (e.g. reading the new version back): each "
        "with what to do. Do not publish again because of a warning.",
    )


class RollbackResult(BaseModel):
    skill_id: str
    rolled_back_to: str = Field(description="The earlier version whose files were published again: its id (epoch "
                                "string under the beta header).")  # fmt: skip
    version: SkillVersion = Field(description="The new version, now the newest: the same files as rolled_back_to.")
    warnings: list[str] | None = Field(
        default=None,
        description="What the new version does not carry over from the old one (files an upload leaves out), each "
        "with why.",
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
    folder: str | None = Field(default=None, description="The resolved skill folder, when the path could be resolved.")
    name: str | None = Field(default=None, description="The `name` from SKILL.md, when it could be read.")
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
