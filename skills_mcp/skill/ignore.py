"""What is left out of an upload, and why: built-in rules plus the folder's `.skillignore`.

One gitignore-style spec (pathspec) holds both, built-ins first, so a `.skillignore` line such as
`!.env.example` can re-include a file the built-ins leave out, with git's last-match-wins rule.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from skills_mcp.limits import MAX_SKILLIGNORE_BYTES, MAX_STARS_PER_LINE, MAX_STARS_PER_PART
from skills_mcp.problems import Problem

if TYPE_CHECKING:
    import pathspec

SKILLIGNORE = ".skillignore"

SECRET_REASON = "secret-looking file"  # noqa: S105 (a label, not a secret)
EVALS_REASON = "evaluation fixtures (skill-creator leaves a root evals/ out too)"

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
            "*.env",
            ".envrc",
            ".git-credentials",
            "credentials.json",
            ".pgpass",
            ".htpasswd",
            "*.jks",
            "*.keystore",
            "*.kdbx",
            ".aws/",
            ".ssh/",
            ".gnupg/",
            "**/.docker/config.json",
            "**/.kube/config",
        ),
    ),
    ("publishing config, not skill content", (f"/{SKILLIGNORE}",)),
    # skill-creator keeps test prompts and fixtures here, and its package_skill.py leaves them out too.
    (EVALS_REASON, ("/evals/",)),
)


@functools.lru_cache(maxsize=32)
def _compile(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """Compiled once per set of lines: every publish of the same folder reuses it."""
    import pathspec  # deferred: ~12 ms that only a folder walk needs, not every cold start

    return pathspec.GitIgnoreSpec.from_lines(lines)


_STARS = re.compile(r"\*+")


def _any_case(pattern: str) -> str:
    """`pattern` matching its names in any case (`.ENV`, `ID_RSA`, `server.KEY`), in gitignore's own syntax."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in pattern)


def _too_wild(number: int, line: str) -> Problem | None:
    """A line whose matching could take minutes on long names is refused, with the rule to follow."""
    parts = line.strip().split("/")
    per_part = max(len(_STARS.findall(part)) for part in parts)
    in_all = sum(len(_STARS.findall(part)) for part in parts)
    if per_part <= MAX_STARS_PER_PART and in_all <= MAX_STARS_PER_LINE:
        return None
    return Problem(
        f"{SKILLIGNORE} line {number}",
        f"{line.strip()!r} has too many '*' wildcards to match safely; it is not used.",
        f"use at most {MAX_STARS_PER_PART} '*' between two slashes and {MAX_STARS_PER_LINE} in a line "
        "('**' counts as one), e.g. split it into several simpler lines.",
    )


def too_big(size: int) -> Problem:
    """A `.skillignore` past the cap, which is refused before it is read."""
    return Problem(
        SKILLIGNORE,
        f"is {size:,} bytes; the limit is {MAX_SKILLIGNORE_BYTES:,}.",
        "keep it to the patterns this skill needs; a folder pattern such as 'data/' leaves out all within.",
    )


class _Unusable(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)


def _read_capped(path: Path) -> bytes | None:
    """The file's bytes, None when there is no plain file there (a link is not followed), checked for size first."""
    if _NOFOLLOW == 0 and path.is_symlink():  # no O_NOFOLLOW here: ask first
        return None
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENOTDIR):
            return None
        raise _Unusable(f"cannot be read: {exc.strerror or exc}.", "fix its permissions, or remove it.") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_size > MAX_SKILLIGNORE_BYTES:
            problem = too_big(st.st_size)
            raise _Unusable(problem.message, problem.fix)
        data = os.read(fd, MAX_SKILLIGNORE_BYTES + 1)
    except OSError as exc:
        raise _Unusable(f"cannot be read: {exc.strerror or exc}.", "fix its permissions, or remove it.") from None
    finally:
        os.close(fd)
    return data


class IgnoreRules:
    """Answers "is this path left out, and for what reason?" for paths relative to the skill folder."""

    def __init__(self, user_lines: list[str] | None = None) -> None:
        lines: list[str] = []
        self._reasons: list[str] = []
        self.problems: list[Problem] = []  # lines refused, each left out of the rules
        for reason, patterns in DEFAULT_RULES:
            lines += [_any_case(p) if reason == SECRET_REASON else p for p in patterns]
            self._reasons += [reason] * len(patterns)
        for number, line in enumerate(user_lines or [], 1):
            if line.strip() and not line.startswith("#"):  # keep pattern indexes aligned with reasons
                problem = _too_wild(number, line)
                if problem is not None:
                    self.problems.append(problem)
                    continue
                lines.append(line)
                self._reasons.append(f"{SKILLIGNORE} line {number}: {line.strip()}")
        self._spec = _compile(tuple(lines))

    @classmethod
    def for_folder(cls, root: Path) -> tuple[IgnoreRules, list[Problem]]:
        """The folder's own .skillignore (a plain file in it, never a link elsewhere), and what is wrong with it.

        Its size is checked before it is read, and a file that cannot be used is a problem, not a crash.
        """
        try:
            raw = _read_capped(root / SKILLIGNORE)
        except _Unusable as exc:
            return cls(), [Problem(SKILLIGNORE, str(exc), exc.fix)]
        if raw is None:
            return cls(), []
        return cls.from_bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> tuple[IgnoreRules, list[Problem]]:
        """Rules from a `.skillignore`'s bytes (already capped in size), and what is wrong with them."""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return cls(), [Problem(SKILLIGNORE, f"is not valid UTF-8 (line {line}).", "save it as UTF-8.")]
        rules = cls(text.splitlines())
        return rules, rules.problems

    def reason(self, relpath: str, *, is_dir: bool = False) -> str | None:
        """The reason `relpath` is left out, or None when it is uploaded."""
        result = self._spec.check_file(relpath + "/" if is_dir else relpath)
        if not result.include or result.index is None:
            return None
        return self._reasons[result.index]
