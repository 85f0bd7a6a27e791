"""What is left out of an upload, and why: built-in rules plus the folder's `.skillignore`.

One gitignore-style spec (pathspec) holds both, built-ins first, so a `.skillignore` line such as
`!.env.example` can re-include a file the built-ins leave out, with git's last-match-wins rule.
"""

from __future__ import annotations

import functools
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
def _compile(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """Compiled once per set of lines: every publish of the same folder reuses it."""
    import pathspec  # deferred: ~12 ms that only a folder walk needs, not every cold start

    return pathspec.GitIgnoreSpec.from_lines(lines)


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
        self._spec = _compile(tuple(lines))

    @classmethod
    def for_folder(cls, root: Path) -> IgnoreRules:
        """The folder's own .skillignore: a plain file in it, never a link to somewhere else."""
        path = root / SKILLIGNORE
        if path.is_symlink() or not path.is_file():
            return cls()
        return cls(path.read_text(encoding="utf-8", errors="replace").splitlines())

    def reason(self, relpath: str, *, is_dir: bool = False) -> str | None:
        """The reason `relpath` is left out, or None when it is uploaded."""
        result = self._spec.check_file(relpath + "/" if is_dir else relpath)
        if not result.include or result.index is None:
            return None
        return self._reasons[result.index]
