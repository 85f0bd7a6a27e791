"""What differs between the two ways to speak the Skills API, in one place.

By default we speak the API as it is today (no `anthropic-beta` header): versions are addressed by
their id (`skillver_...`) or `latest`, and the title is `display_name`. With the beta header
`skills-2025-10-02` the API addresses versions by their epoch `version` string (`1759178010641129`)
and names the title `display_title` (reference §2.3, §4.3). Answers are parsed in the client's mode
(`Wire.parse`), so a version's `ref` and a skill's `latest` read the right field; descriptions and
argument checks ask the same `Wire`, so they always agree with what goes on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from skills_mcp.api.models import APIAnswer
from skills_mcp.problems import Problem

A = TypeVar("A", bound=APIAnswer)

SKILLS_BETA = "skills-2025-10-02"
# An epoch version string: Unix time in seconds, milliseconds or microseconds (the API's are 16 digits).
# Shorter digit strings (Anthropic's own skills use dates such as 20251013) are left to the API to judge.
_EPOCH = re.compile(r"[0-9]{10,}")
ID_PREFIX = "skillver_"
EXAMPLE_ID = "skillver_01JAbcdefghijklmnopqrstuvw"
EXAMPLE_EPOCH = "1759178010641129"


def betas(header: str | None) -> list[str]:
    """The values of an `anthropic-beta` header, as the API reads them: comma-separated."""
    return [b.strip() for b in (header or "").split(",") if b.strip()]


@dataclass(frozen=True)
class Wire:
    """The API mode: `epoch` is True when the skills beta header is sent."""

    epoch: bool = False

    @classmethod
    def of(cls, beta_header: str | None) -> Wire:
        return cls(epoch=SKILLS_BETA in betas(beta_header))

    @property
    def title_field(self) -> str:
        """The create form field for the title: the beta-era docs name it `display_title` (§4.3)."""
        return "display_title" if self.epoch else "display_name"

    @property
    def version_field(self) -> str:
        """The field of a version that addresses it in a path."""
        return "version" if self.epoch else "id"

    @property
    def version_kind(self) -> str:
        """What a version reference is, in a few words, for summaries and descriptions."""
        if self.epoch:
            return f"epoch version string (the `version` field, e.g. {EXAMPLE_EPOCH})"
        return f"version id (the `id` field, e.g. {ID_PREFIX}01...)"

    @property
    def note(self) -> str:
        """The sentence each tool that speaks of versions ends its description with."""
        if self.epoch:
            return (f"This server sends anthropic-beta: {SKILLS_BETA}: versions are addressed by their epoch "
                    f"`version` string (e.g. {EXAMPLE_EPOCH}), not by id.")  # fmt: skip
        return f"Versions are addressed by their id (`id`, e.g. {ID_PREFIX}01...), not by epoch strings."

    def argument_text(self, *, latest: bool) -> str:
        """The description of a tool's `version` argument; `latest`: the tool also takes 'latest'."""
        newest = " Or 'latest' for the newest." if latest else ""
        if self.epoch:
            return (f"The version's epoch `version` string (e.g. {EXAMPLE_EPOCH}), as list_skill_versions or a "
                    f"publish returned it.{newest} This server sends anthropic-beta: {SKILLS_BETA}, so version ids "
                    f"({ID_PREFIX}...) are refused.")  # fmt: skip
        return (f"The version id (`id`, e.g. {ID_PREFIX}01...), as list_skill_versions or a publish returned it."
                f"{newest} Epoch strings ({EXAMPLE_EPOCH}) are the beta API's and are refused.")  # fmt: skip

    def parse(self, model: type[A], data: object) -> A:
        """An answer as a typed object that remembers this mode (see `models.SkillVersion.ref`, `Skill.latest`)."""
        return model.model_validate(data, context={"epoch": self.epoch})

    def version_problems(self, version: str, *, where: str = "version") -> list[Problem]:
        """A version of the other mode's form, refused before any request, naming the form this mode takes."""
        if version == "latest":
            return []
        if self.epoch and version.startswith(ID_PREFIX):
            return [
                Problem(
                    where,
                    f"{version!r} is a version id, but this server sends the beta header {SKILLS_BETA}, under "
                    f"which the API addresses versions by their epoch `version` string (e.g. {EXAMPLE_EPOCH}).",
                    "pass the `version` field that list_skill_versions shows (or 'latest' where it is accepted); "
                    "or run skills-mcp without --beta / SKILLS_MCP_BETA to address versions by id.",
                )
            ]
        if not self.epoch and _EPOCH.fullmatch(version):
            return [
                Problem(
                    where,
                    f"{version!r} is an epoch version string (the beta API's `version` field), but this server "
                    f"speaks the API without the beta header, which addresses versions by their id "
                    f"(e.g. {EXAMPLE_ID}).",
                    "pass the `id` field that list_skill_versions shows (or 'latest' where it is accepted); "
                    f"or run skills-mcp with --beta {SKILLS_BETA} to address versions by epoch string.",
                )
            ]
        return []
