"""Tool path arguments: expand `~`, resolve symlinks and `..`, and keep them inside the allowed folders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .problems import Problem


def resolve_allowed(raw: str, allowed: Sequence[Path], *, where: str = "path") -> tuple[Path | None, list[Problem]]:
    """The real path of `raw` if it lies under one of `allowed`; otherwise the problem, and None."""
    if not raw.strip():
        return None, [
            Problem(where, "is empty.", "pass the absolute path of the skill folder, e.g. ~/skills/my-skill.")
        ]
    if "\x00" in raw:
        return None, [Problem(where, "contains a NUL character.", "pass a plain folder path.")]
    expanded = Path(os.path.expanduser(raw.strip()))  # unlike Path.expanduser, never raises for ~nobody
    if not expanded.is_absolute():
        return None, [
            Problem(
                where,
                f"'{raw}' is relative; the server's working folder is not yours.",
                "pass an absolute path or one starting with ~, e.g. ~/skills/my-skill.",
            )
        ]
    real = Path(os.path.realpath(expanded))
    if not any(real == root or real.is_relative_to(root) for root in allowed):
        return None, [
            Problem(
                where,
                f"{real} is outside the folders this server may read ({describe(allowed)}).",
                "move the skill under one of them, or start the server with --allow-dir for its folder.",
            )
        ]
    return real, []


def display_name(raw: str) -> str:
    """The folder name as the user wrote it (the SDK names uploads after it, not after a symlink's target)."""
    return Path(os.path.normpath(os.path.expanduser(raw.strip()))).name


def describe(allowed: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in allowed) or "none"
