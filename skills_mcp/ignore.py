"""What is left out of an upload, and why: built-in rules plus the folder's `.skillignore`.

One gitignore-style spec (pathspec) holds both, built-ins first, so a `.skillignore` line such as
`!.env.example` can re-include a file the built-ins leave out, with git's last-match-wins rule.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

SKILLIGNORE = ".skillignore"

SECRET_REASON = "secret-looking file"  # noqa: S105 (a label, not a secret)

DEFAULT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("version-control data", (".git", ".hg", ".svn")),
    ("Python cache", ("__pycache__/", "*.pyc", "*.pyo")),
    ("OS clutter", (".DS_Store", "Thumbs.db", "desktop.ini")),
    ("dependency folder", ("node_modules/", ".venv/", "venv/")),
    (
        SECRET_REASON,
        (
            ".env",
            ".env.*",
            "*.pem",
            "*.key",
            "*.p12",
            "*.pfx",
            "id_rsa*",
            "id_dsa*",
            "id_ecdsa*",
            "id_ed25519*",
            ".netrc",
            ".pypirc",
            ".npmrc",
        ),
    ),
    ("publishing config, not skill content", (f"/{SKILLIGNORE}",)),
)


@functools.lru_cache(maxsize=32)
def _compile(lines: tuple[str, ...]) -> tuple[pathspec.GitIgnoreSpec, re.Pattern[str] | None]:
    """The spec, and one regex that matches whatever any leaving-out pattern matches.

    Compiled once per set of lines: every publish of the same folder reuses it. Most paths match
    no rule, and one search of the combined regex says so instead of one search per pattern (half
    the time of a 10,000-file walk); only a path it matches is asked of the spec, whose last match
    wins. The combination keeps each pattern's regex as pathspec built it, bar its group names, and
    for patterns that may match at any depth (`^(?:.+/)?x`), it looks for `x` after a `/` instead:
    one scan of the path for all of them, not one per pattern (a third of the time, and a superset).
    """
    import pathspec  # deferred: ~12 ms that only a folder walk needs, not every cold start

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    parts = [_GROUP_NAME.sub("(?:", p.regex.pattern) for p in spec.patterns if p.include and p.regex is not None]
    anywhere = [part.removeprefix(_ANY_DEPTH) for part in parts if part.startswith(_ANY_DEPTH)]
    alternatives = [f"(?:{part})" for part in parts if not part.startswith(_ANY_DEPTH)]
    if anywhere:
        alternatives.append(f"(?:^|/)(?:{'|'.join(anywhere)})")
    try:
        anything = re.compile("|".join(alternatives)) if alternatives else None
    except re.error:  # a pattern this cannot combine: ask the spec every time
        anything = None
    return spec, anything


_GROUP_NAME = re.compile(r"\(\?P<\w+>")
_ANY_DEPTH = "^(?:.+/)?"


class IgnoreRules:
    """Answers "is this path left out, and for what reason?" for paths relative to the skill folder."""

    def __init__(self, user_lines: list[str] | None = None) -> None:
        lines: list[str] = []
        self._reasons: list[str] = []
        for reason, patterns in DEFAULT_RULES:
            lines += patterns
            self._reasons += [reason] * len(patterns)
        for number, line in enumerate(user_lines or [], 1):
            if line.strip() and not line.startswith("#"):  # keep pattern indexes aligned with reasons
                lines.append(line)
                self._reasons.append(f"{SKILLIGNORE} line {number}: {line.strip()}")
        self._spec, self._anything = _compile(tuple(lines))

    @classmethod
    def for_folder(cls, root: Path) -> IgnoreRules:
        """The folder's own .skillignore: a plain file in it, never a link to somewhere else."""
        path = root / SKILLIGNORE
        if path.is_symlink() or not path.is_file():
            return cls()
        return cls(path.read_text(encoding="utf-8", errors="replace").splitlines())

    def reason(self, relpath: str, *, is_dir: bool = False) -> str | None:
        """The reason `relpath` is left out, or None when it is uploaded."""
        path = relpath + "/" if is_dir else relpath
        if self._anything is not None and self._anything.search(path) is None:
            return None
        result = self._spec.check_file(path)
        if not result.include or result.index is None:
            return None
        return self._reasons[result.index]
