"""What the tools return. Fields the API adds pass through; fields it leaves out are simply absent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SkillVersion(BaseModel):
    """A skill version as the Skills API returns it (beta shape; the GA shape has no version/directory)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Version id, e.g. skillver_01...")
    created_at: str | None = Field(None, description="ISO 8601 creation time.")
    description: str | None = Field(None, description="From the SKILL.md frontmatter.")
    directory: str | None = Field(None, description="Top-level folder of the upload (beta API).")
    name: str | None = Field(None, description="The skill's name, from SKILL.md.")
    skill_id: str | None = Field(None, description="The skill this version belongs to.")
    type: str | None = Field(None, description='Always "skill_version".')
    version: str | None = Field(
        None,
        description="Epoch version string, e.g. 1759178010641129 (beta API); use it to get or pin this version.",
    )
