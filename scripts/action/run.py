"""The GitHub Action's step: run `skills-mcp sync` (or `plan --check`), then report it to the workflow.

Standard library only, and shipped with the action rather than the package, so the action works with
any `version` of skills-publisher-mcp that has `sync --json`, and a test runs this very file.

Inputs come from the environment (the action maps its inputs to INPUT_*; never interpolated into a
shell line): INPUT_PATH, INPUT_PRUNE, INPUT_CHECK_ONLY, INPUT_WORKSPACE_ID. The API key stays in
ANTHROPIC_API_KEY, passed to the child untouched and never printed: this script writes only the
child's JSON document, reshaped, to $GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT and its own stdout.

Exit status is the child's (plan --check: 1 when anything would change; sync: non-zero if a skill
failed), after the summary and outputs are written, so a failing job still shows its table.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = "skills.lock.json"
ACTIONS = ("create", "update", "delete", "unchanged", "invalid")
MARK = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "invalid": "!"}
USAGE = 2  # a bad input: the same code as a command-line usage error


class InputError(Exception):
    """An action input that cannot be used; the message names the input and how to fix it."""


@dataclass(frozen=True)
class Inputs:
    path: str
    check_only: bool
    prune: bool
    workspace_id: str

    @classmethod
    def from_env(cls) -> Inputs:
        path = os.environ.get("INPUT_PATH", "").strip() or "."
        path = f"./{path}" if path.startswith("-") else path  # a folder, never an option
        return cls(path, flag("check-only"), flag("prune"), os.environ.get("INPUT_WORKSPACE_ID", "").strip())

    def command(self) -> list[str]:
        """The skills-mcp command line, run by this interpreter (the one the package was installed into)."""
        args = [sys.executable, "-m", "skills_mcp"]
        args += ["plan", self.path, "--check", "--json"] if self.check_only else ["sync", self.path, "--json"]
        if self.prune and not self.check_only:  # a plan shows the deletes either way
            args.append("--prune")
        if self.workspace_id:
            args += ["--workspace-id", self.workspace_id]
        return args


def flag(name: str) -> bool:
    value = os.environ.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip().lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise InputError(f"input `{name}` is {value!r}: give true or false")


def failure(entry: dict[str, Any]) -> str:
    """What went wrong with an entry (its problems, or the error its sync met), or ""."""
    problems = [str(p.get("message", p)) if isinstance(p, dict) else str(p) for p in entry.get("problems") or []]
    if entry.get("error"):
        problems.append(str(entry["error"]))
    return "; ".join(problems)


def status(entry: dict[str, Any], inputs: Inputs) -> str:
    """done (it happened, or under --check would), skipped (a delete without prune), or failed.

    sync says so in each entry's `status`; without one (a plan, or an older sync) it is inferred."""
    action = entry.get("action")
    if action == "invalid":
        return "failed"
    if inputs.check_only:
        return "done"
    if entry.get("status") in ("done", "failed", "skipped"):
        return str(entry["status"])
    if action == "delete" and not inputs.prune:
        return "skipped"
    if failure(entry):
        return "failed"
    return "done" if action in ("unchanged", "delete") or entry.get("version") else "failed"


def counts(document: dict[str, Any], inputs: Inputs) -> dict[str, int]:
    totals = dict.fromkeys(ACTIONS, 0)
    for entry in document["skills"]:
        action = entry.get("action")
        if action in totals and (action == "invalid" or status(entry, inputs) == "done"):
            totals[action] += 1
    return totals


def outputs(totals: dict[str, int], lock: Path) -> dict[str, str]:
    changed = totals["create"] + totals["update"] + totals["delete"] > 0
    return {
        "changed": str(changed).lower(),
        "created": str(totals["create"]),
        "updated": str(totals["update"]),
        "deleted": str(totals["delete"]),
        "lock-file": lock.as_posix() if lock.is_file() else "",
    }


def cell(text: object) -> str:
    """One Markdown table cell: HTML escaped (summaries render HTML), pipes escaped, on one line."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def changes_text(entry: dict[str, Any], limit: int = 8) -> str:
    parts: list[str] = []
    changes = entry.get("changes") or {}
    for key, sign in (("added", "+"), ("removed", "-"), ("modified", "~")):
        names = [str(n) for n in changes.get(key) or []]
        if names:
            more = f" and {len(names) - limit} more" if len(names) > limit else ""
            parts.append(", ".join(sign + n for n in names[:limit]) + more)
    if changes.get("frontmatter"):
        parts.append("SKILL.md: " + ", ".join(map(str, changes["frontmatter"])))
    return "; ".join([*parts, failure(entry)] if failure(entry) else parts)


def version_text(entry: dict[str, Any]) -> str:
    version = entry.get("version")
    if isinstance(version, dict):
        version = version.get("version") or version.get("id")
    return str(version or "")


def markdown(document: dict[str, Any], totals: dict[str, int], inputs: Inputs, code: int) -> str:
    if inputs.check_only:
        verdict = {0: "in sync", 1: "changes pending"}.get(code, f"failed (exit {code})")
        title = f"### skills-mcp plan --check: {verdict}"
        verbs = ("to create", "to update", "to delete")
    else:
        title = "### skills-mcp sync" + ("" if code == 0 else f": failed (exit {code})")
        verbs = ("created", "updated", "deleted")
    if document.get("local_emulator"):  # SKILLS_MCP_LOCAL: nothing reached the Anthropic API
        title += " (local emulator, not the Anthropic API)"
    line = ", ".join(f"{totals[a]} {v}" for a, v in zip(("create", "update", "delete"), verbs, strict=True))
    line += f", {totals['unchanged']} unchanged, {totals['invalid']} invalid"
    rows = ["| | Skill | Folder | Action | Version | Changes |", "|---|---|---|---|---|---|"]
    for entry in document["skills"]:
        action = str(entry.get("action", "?"))
        shown = {"done": action, "failed": f"{action} (failed)", "skipped": f"{action} (skipped: prune is off)"}
        label = action if action == "invalid" else shown[status(entry, inputs)]
        cells = (MARK.get(action, "?"), entry.get("name") or "", entry.get("path") or "", label)
        rows.append("| " + " | ".join(cell(c) for c in (*cells, version_text(entry), changes_text(entry))) + " |")
    overall = [f"- {cell(problem)}" for problem in document.get("problems") or []]
    return "\n".join([title, "", line, "", *overall, *([""] if overall else []), *rows]) + "\n"


def annotate(text: str) -> str:
    """A workflow command's message, escaped so text from a skill cannot start a command of its own."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)


def write_outputs(values: dict[str, str]) -> None:
    """GITHUB_OUTPUT in the delimiter form, which holds any value (a path with odd characters included)."""
    lines = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    append("GITHUB_OUTPUT", "".join(lines))


def main() -> int:
    try:
        inputs = Inputs.from_env()
    except InputError as exc:
        print(f"::error title=skills-mcp action::{annotate(str(exc))}")
        return USAGE
    # stdin closed; stderr (progress, errors, the key redacted by skills-mcp) goes straight to the job's log.
    child = subprocess.run(inputs.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, check=False)
    try:
        document = json.loads(child.stdout)
        if not isinstance(document, dict) or not isinstance(document.get("skills"), list):
            raise ValueError("no skills list")
    except ValueError:
        print(f"::error title=skills-mcp action::skills-mcp exited {child.returncode} without a plan; see above")
        append("GITHUB_STEP_SUMMARY", f"### skills-mcp: failed (exit {child.returncode}) before a plan; see the log\n")
        return child.returncode or 1
    totals = counts(document, inputs)
    table = markdown(document, totals, inputs, child.returncode)
    append("GITHUB_STEP_SUMMARY", table)
    write_outputs(outputs(totals, Path(inputs.path) / LOCK_NAME))
    print(table)
    for problem in document.get("problems") or []:
        print(f"::error title=skills-mcp::{annotate(str(problem))}")
    for entry in document["skills"]:
        if status(entry, inputs) == "failed":
            where = entry.get("path") or entry.get("name") or "?"
            print(f"::error title=skills-mcp {entry.get('action')}::{annotate(f'{where}: {changes_text(entry)}')}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
