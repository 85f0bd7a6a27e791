"""Tool path arguments: expand `~`, resolve symlinks and `..`, and keep them inside the allowed folders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from skills_mcp.problems import Problem, has_control, shown


def resolve_allowed(raw: str, allowed: Sequence[Path], *, where: str = "path") -> tuple[Path | None, list[Problem]]:
    """The real path of `raw` if it lies under one of `allowed`; otherwise the problem, and None."""
    example = "~/skills/my-skill" if where == "path" else "~/skills"
    if not raw.strip():
        return None, [Problem(where, "is empty.", f"pass an absolute folder path, e.g. {example}.")]
    if "\x00" in raw:
        return None, [Problem(where, "contains a NUL character.", "pass a plain folder path.")]
    expanded = Path(os.path.expanduser(raw.strip()))  # unlike Path.expanduser, never raises for ~nobody
    if not expanded.is_absolute():
        return None, [
            Problem(
                where,
                f"'{shown(raw)}' is relative; the server's working folder is not yours.",
                f"pass an absolute path or one starting with ~, e.g. {example}.",
            )
        ]
    try:
        real = Path(os.path.realpath(expanded))
    except (OSError, ValueError) as exc:  # e.g. characters the file system cannot encode
        return None, [Problem(where, f"'{shown(raw)}' cannot be resolved: {exc}.", "pass a plain folder path.")]
    if not any(real == root or real.is_relative_to(root) for root in allowed):
        what = "the skill" if where == "path" else "it"
        return None, [
            Problem(
                where,
                f"{shown(str(real))} is outside the folders this server may read ({describe(allowed)}).",
                f"use a folder under one of them (move {what} there), or start the server with --allow-dir "
                "for its folder.",
            )
        ]
    return real, []


def display_name(raw: str) -> str:
    """The folder name as the user wrote it (the SDK names uploads after it, not after a symlink's target)."""
    return Path(os.path.normpath(os.path.expanduser(raw.strip()))).name


def describe(allowed: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in allowed) or "none"


def wire_name_problem(name: str) -> str | None:
    """Why the upload would store a file or folder `name` under another name, or None when it would not.

    httpx2's multipart encoder (the official SDK's too) writes `"` and the C0 control characters
    as %XX and doubles a backslash; a name must also be UTF-8 to be sent at all. ESC it leaves
    alone, but a control character in a name is refused all the same.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if has_control(name):
        return "holds a control character (a newline, a tab, ...)"
    if '"' in name or "\\" in name:
        return "holds a '\"' or a backslash"
    return None


def is_within(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it; both absolute and already resolved (no `..`, no links)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
