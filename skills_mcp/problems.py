"""The one shape every check reports: what is wrong, where, and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Unicode's control characters (category Cc): C0, DEL and C1. The one test every check shares.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def shown(name: str) -> str:
    """`name` as safe one-line text: bytes that are not UTF-8 as \\xNN, control characters escaped.

    A file name can be any bytes; shown raw it could break a message's lines, or its serialization.
    """
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
