"""Failures a user can act on. Their text goes to the agent as is, so it never carries the API key."""

from __future__ import annotations

import re

from skills_mcp.problems import Problem, render
from skills_mcp.terms import TOOL, Part, Terms, ask


class SkillsMcpError(Exception):
    """Base for every failure whose message is meant for the user.

    Built of parts (see `terms`): `str(error)` speaks in tool terms, `error.words(CLI)` in the CLI's.
    """

    def __init__(self, *parts: Part) -> None:
        self.parts = parts
        super().__init__(TOOL.say(*parts))

    def words(self, terms: Terms) -> str:
        return terms.say(*self.parts) if self.parts else str(self)


class ConfigError(SkillsMcpError):
    pass


class UsageError(SkillsMcpError):
    """The command line itself is wrong (CLI exit 2); `usage`, when given, is shown with it."""

    def __init__(self, message: str, *, usage: str = "") -> None:
        self.usage = usage
        super().__init__(message)


class InvalidSkill(SkillsMcpError):
    """Validation refused the request; nothing was sent."""

    def __init__(self, problems: list[Problem], *, heading: str = "Nothing was uploaded") -> None:
        self.problems = problems
        super().__init__(render(problems, heading=heading))


class UploadAborted(SkillsMcpError):
    """A file changed or vanished while it was being sent; the request was cut short."""


class APIError(SkillsMcpError):
    """The Skills API answered with an error status."""

    def __init__(
        self,
        status: int,
        error_type: str | None,
        message: str,
        request_id: str | None,
        *,
        note: str = "",
        hint: str | None = None,
        path: str | None = None,
    ) -> None:
        """`note`: what happened around the error (retries, a check); `hint`: what to do, else the status's own;
        `path`: the request's, so a 404 can tell a missing version from a missing skill."""
        self.status = status
        self.error_type = error_type
        self.api_message = message
        self.request_id = request_id
        self.path = path
        kind = f" {error_type}" if error_type else ""
        rid = f" (request id {request_id})" if request_id else ""
        hints = (hint,) if hint is not None else _hint(status, path)
        parts: list[Part] = [f"Skills API error {status}{kind}: {message}{rid}"]
        if note or any(hints):
            parts += [". ", note, " " if note and any(hints) else "", *hints]
        super().__init__(*parts)


_HINTS = {
    401: "Check that ANTHROPIC_API_KEY holds a valid API key.",
    403: "The key is not allowed to do this; check its workspace and permissions.",
    413: "The upload is too large; leave files out with .skillignore.",
    429: "Rate limited; wait a little and try again.",
    500: "The API failed on its side; try again shortly.",
}
_VERSION_PATH = re.compile(r"/skills/([^/]+)/versions/[^/]+")


def _hint(status: int, path: str | None) -> tuple[Part, ...]:
    if status != 404:
        return (_HINTS.get(status) or (_HINTS[500] if status >= 500 else ""),)
    version = _VERSION_PATH.search(path or "")
    if version:  # a missing version says so, and points at the skill's versions
        return ("Check the skill id and the version; ", ask("versions", version[1]), " lists the skill's versions.")
    return ("Check the id; ", ask("list"), " shows the skills ", ask("visible"), ".")


class ResponseRefused(SkillsMcpError):
    """The API answered, but skills-mcp refused the answer (too large, not JSON, a redirect, endless pages).

    Not an `APIError`: the API did not report a failure, we declined what it sent, and the fix is on a
    different side (a proxy, ANTHROPIC_BASE_URL, a broken or hostile endpoint).
    """

    def __init__(self, status: int, reason: str, request_id: str | None = None) -> None:
        self.status = status
        self.reason = reason
        self.request_id = request_id
        rid = f", request id {request_id}" if request_id else ""
        super().__init__(f"The Skills API answered (HTTP {status}{rid}), but skills-mcp refused the answer: {reason}")


class CannotTell(SkillsMcpError):
    """Whether an upload with a lost answer landed could not be decided: reported, never guessed."""


CHECK_HINT = (
    "Compare the skill's newest versions with your files (list_skill_versions and download_skill_version, or "
    "`skills-mcp versions` and `skills-mcp download`) before publishing again."
)


class APIUnreachable(SkillsMcpError):
    """No answer from the API: connection refused, DNS, TLS or a timeout."""
