"""What the CLI prints: results on stdout (one JSON document with --json, success or not), everything
else on stderr, and the exit code CI branches on.

Exit codes: 0 done; 1 refused (invalid skill or arguments, nothing sent); 2 usage; 3 the API answered
with an error; 4 the API could not be reached in time; 5 configuration (e.g. no API key); 6 the API
answered but skills-mcp refused the answer (a redirect, not JSON, too large, endless pages).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

from skills_mcp.api.models import ValidationReport
from skills_mcp.errors import (
    APIError,
    APIUnreachable,
    CannotTell,
    ConfigError,
    InvalidSkill,
    ResponseRefused,
    SkillsMcpError,
    UploadAborted,
    UsageError,
)
from skills_mcp.summaries import count, secret_looking, validated
from skills_mcp.terms import CLI, terms

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_API, EXIT_UNREACHABLE, EXIT_CONFIG, EXIT_ANSWER_REFUSED = 0, 1, 2, 3, 4, 5, 6
# The error's `kind` in JSON and its exit code; the first class that matches wins.
KINDS: list[tuple[type[SkillsMcpError], str, int]] = [
    (UsageError, "usage", EXIT_USAGE),
    (ConfigError, "configuration", EXIT_CONFIG),
    (APIError, "api_error", EXIT_API),
    (APIUnreachable, "unreachable", EXIT_UNREACHABLE),
    (ResponseRefused, "answer_refused", EXIT_ANSWER_REFUSED),
    (InvalidSkill, "invalid", EXIT_REFUSED),
    (CannotTell, "cannot_tell", EXIT_REFUSED),
    (UploadAborted, "upload_aborted", EXIT_REFUSED),
]
# A compact listing shows this many lines of each kind; --verbose shows all.
SHOWN = 20


def kind_of(exc: SkillsMcpError) -> tuple[str, int]:
    return next(((kind, code) for cls, kind, code in KINDS if isinstance(exc, cls)), ("refused", EXIT_REFUSED))


def fail(exc: SkillsMcpError, *, as_json: bool, local: bool) -> int:
    """The message on stderr, in the CLI's terms; with --json also the error document on stdout."""
    kind, code = kind_of(exc)
    message = exc.words(terms(CLI, local))
    if isinstance(exc, UsageError) and exc.usage:
        print(exc.usage.rstrip(), file=sys.stderr)
    print(f"skills-mcp: {'error: ' if isinstance(exc, UsageError) else ''}{message}", file=sys.stderr)
    if as_json:
        document(error_of(exc, kind, message), local=local)
    return code


def bug(*, as_json: bool) -> int:
    message = "skills-mcp failed unexpectedly; this is a bug: please report it, with the traceback above."
    print(f"skills-mcp: {message}", file=sys.stderr)
    if as_json:
        document({"error": {"kind": "bug", "message": message}}, local=False)
    return EXIT_REFUSED


def error_of(exc: SkillsMcpError, kind: str, message: str) -> dict[str, Any]:
    """{"error": {kind, message, problems?, status?, request_id?}}: members that do not apply are left out."""
    error: dict[str, Any] = {"kind": kind, "message": message}
    if isinstance(exc, InvalidSkill):
        error["problems"] = [{"where": p.where, "message": p.message, "fix": p.fix} for p in exc.problems]
    if isinstance(exc, APIError | ResponseRefused):
        error["status"] = exc.status
        if exc.request_id:
            error["request_id"] = exc.request_id
    return {"error": error}


def report_of(report: ValidationReport, path: str) -> dict[str, Any]:
    """`validate --json`: the report; with problems, a failure like any other, so it has the `error` member too."""
    data = report.model_dump(mode="json", exclude_none=True)
    if not report.ok:
        data["error"] = {"kind": "invalid", "message": validated(report, path), "problems": data["problems"]}
    return data


def document(data: dict[str, Any], *, local: bool, indent: int | None = 2) -> None:
    """The one JSON document on stdout; local mode says so in it."""
    print(json.dumps({"local_emulator": True, **data} if local else data, indent=indent), flush=True)


def validation_text(report: ValidationReport, path: str, *, verbose: bool) -> str:
    """What `validate` shows: the files to upload with their sizes, what is left out and why, the total
    against the limit, and every problem with its fix. Long listings are grouped by folder unless verbose."""
    lines = [validated(report, path)]
    if report.files:
        lines.append(f"Would upload {count(len(report.files), 'file')} (sizes in bytes):")
        rows = [(f.path, f.size) for f in report.files]
        lines += _rows(rows if verbose or len(rows) <= SHOWN else _by_folder(rows))
    if report.left_out:
        lines.append(f"Left out ({len(report.left_out):,}), and why:")
        secrets = [e for e in report.left_out if secret_looking(e)]
        others = [e for e in report.left_out if not secret_looking(e)]
        lines += [f"  {e.path}  ({e.reason}) [SECRET-LOOKING: never uploaded]" for e in secrets]  # always all
        shown = others if verbose else others[:SHOWN]
        lines += [f"  {e.path}  ({e.reason})" for e in shown]
        if len(shown) < len(others):
            lines.append(f"  ... and {len(others) - len(shown):,} more (--verbose lists them)")
    share = report.total_bytes / report.limit_bytes if report.limit_bytes else 0.0
    lines.append(f"Total: {report.total_bytes:,} of {report.limit_bytes:,} bytes allowed ({share:.1%}).")
    if report.problems:
        lines.append(f"{count(len(report.problems), 'problem')}:")
        lines += [f"  {i}. {p.where}: {p.message} Fix: {p.fix}" for i, p in enumerate(report.problems, 1)]
    return "\n".join(lines)


def _by_folder(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Files grouped by their first folder inside the skill; top-level files stay as they are."""
    groups: dict[str, list[int]] = defaultdict(list)
    for path, size in rows:
        parts = path.split("/")
        groups["/".join(parts[:2]) + "/" if len(parts) > 2 else path].append(size)
    shown = [(key if len(sizes) == 1 and not key.endswith("/") else f"{key} ({count(len(sizes), 'file')})",
              sum(sizes)) for key, sizes in groups.items()]  # fmt: skip
    if len(shown) > SHOWN:
        rest = shown[SHOWN:]
        shown = [*shown[:SHOWN], (f"... and {len(rest):,} more entries (--verbose lists every file)",
                                  sum(s for _, s in rest))]  # fmt: skip
    return shown


def _rows(rows: list[tuple[str, int]]) -> list[str]:
    width = max(len(f"{size:,}") for _, size in rows)
    return [f"  {size:>{width},}  {path}" for path, size in rows]
