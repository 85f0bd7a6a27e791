"""The one shape every check reports: what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} Fix: {self.fix}"


def render(problems: list[Problem], *, heading: str) -> str:
    """All problems at once, numbered, so one round trip fixes them all."""
    lines = [f"{heading} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"]
    lines += [f"{i}. {p}" for i, p in enumerate(problems, 1)]
    return "\n".join(lines)
