"""Build skill folders on disk for tests.

Import it as `from skill_factory import make_skill`: `tests/` is not a package, and pytest's default
"prepend" import mode puts each test file's directory on sys.path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DESCRIPTION = "Fill in PDF forms and extract their text. Use when the user mentions PDFs."

_UNSET: Any = object()


def skill_md_text(
    name: str = "pdf-tools",
    *,
    frontmatter: Mapping[str, Any] | str | None = _UNSET,
    body: str = "# Instructions\n\nDo the thing.\n",
) -> str:
    """The text of a SKILL.md.

    `frontmatter` is a mapping (dumped as YAML), raw YAML text, or omitted for a valid
    `name` + `description` pair.
    """
    if frontmatter is _UNSET:
        frontmatter = {"name": name, "description": DEFAULT_DESCRIPTION}
    if isinstance(frontmatter, str):
        yaml_text = frontmatter
    else:
        yaml_text = yaml.safe_dump(dict(frontmatter or {}), sort_keys=False, allow_unicode=True)
    if yaml_text and not yaml_text.endswith("\n"):
        yaml_text += "\n"
    return f"---\n{yaml_text}---\n{body}"


def make_skill(
    tmp_path: Path,
    name: str = "pdf-tools",
    files: Mapping[str, bytes | str] | None = None,
    *,
    frontmatter: Mapping[str, Any] | str | None = _UNSET,
    skill_md: bool = True,
) -> Path:
    """Create `tmp_path/<name>/` with a SKILL.md and `files`, and return the folder.

    `files` maps POSIX relative paths to contents (str is written as UTF-8); parent folders are
    created. A "SKILL.md" entry in `files` replaces the generated one; `skill_md=False` leaves it out.
    """
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    contents: dict[str, bytes | str] = {}
    if skill_md:
        contents["SKILL.md"] = skill_md_text(name, frontmatter=frontmatter)
    contents.update(files or {})
    for relpath, content in contents.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return root
