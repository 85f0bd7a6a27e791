"""SKILL.md frontmatter: parsing and the rules the Skills API enforces on it.

Shared by the publisher (to refuse before uploading) and the emulator (to refuse like the API does).
"""

from __future__ import annotations

import re
from typing import Any

from skills_mcp.problems import Problem

SKILL_MD = "SKILL.md"
ALLOWED_KEYS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
RESERVED_WORDS = ("anthropic", "claude")

_NAME_CHAR = re.compile(r"[a-z0-9<>-]")  # <> get their own message
_FENCE = re.compile(r"^---[ \t]*$")
_MISSING = object()  # a key that is absent, as opposed to present with no value


def parse(raw: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Return the frontmatter mapping, or None and the reasons it could not be read."""
    where = SKILL_MD
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(where, f"is not valid UTF-8 (byte {exc.start}).", "save SKILL.md as UTF-8.")]
    lines = text.splitlines()
    if not lines or not _FENCE.match(lines[0]):
        return None, [
            Problem(
                where,
                "does not start with YAML frontmatter (a line '---').",
                "begin the file with '---', then 'name: ...' and 'description: ...', then '---'.",
            )
        ]
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        return None, [Problem(where, "frontmatter is never closed.", "add a line '---' after the last key.")]

    import yaml  # deferred: only publishes and validations pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [
            Problem(
                where,
                f"frontmatter is not valid YAML{at}: {reason}.",
                "fix the YAML; quote values that contain ':' or start with a special character.",
            )
        ]
    if not isinstance(data, dict):
        return None, [Problem(where, "frontmatter is not a mapping of keys to values.", "write 'key: value' lines.")]
    return data, []


def check(data: dict[str, Any], folder_name: str) -> list[Problem]:
    """Every rule at once: the allowed keys, `name`, `description` and the optional keys."""
    problems = _check_keys(data)
    problems += _check_name(data.get("name", _MISSING), folder_name)
    problems += _check_description(data.get("description", _MISSING))
    problems += _check_optional(data)
    return problems


def check_skill_md(raw: bytes, folder_name: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    data, problems = parse(raw)
    if data is None:
        return None, problems
    return data, check(data, folder_name)


def suggest_name(text: str) -> str:
    """A valid name close to `text`, for the fix hint."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    for word in RESERVED_WORDS:
        slug = slug.replace(word, "-")  # a hyphen can never complete another reserved word
    slug = re.sub(r"-{2,}", "-", slug).strip("-")[:NAME_MAX].strip("-")
    return slug or "my-skill"


def _check_keys(data: dict[str, Any]) -> list[Problem]:
    unknown = [str(k) for k in data if k not in ALLOWED_KEYS]
    if not unknown:
        return []
    return [
        Problem(
            f"{SKILL_MD}: frontmatter",
            f"unexpected key(s) {', '.join(repr(k) for k in unknown)}; "
            f"the Skills API allows only {', '.join(ALLOWED_KEYS)}.",
            "remove them, or move them under 'metadata:' as string values.",
        )
    ]


def _check_name(name: object, folder_name: str) -> list[Problem]:
    where = f"{SKILL_MD}: name"
    if name is _MISSING:
        return [Problem(where, "is missing.", f"add 'name: {suggest_name(folder_name)}' to the frontmatter.")]
    if name is None:
        name = ""
    if not isinstance(name, str):
        return [Problem(where, f"must be a string, not {type(name).__name__}.", "write it as plain text.")]
    if not name:
        return [Problem(where, "is empty.", f"set it to the folder name, e.g. '{suggest_name(folder_name)}'.")]
    problems = name_format_problems(name, where)
    for word in RESERVED_WORDS:
        if word in name.lower():
            problems.append(
                Problem(where, f"must not contain the reserved word '{word}'.", "choose a name without it.")
            )
    if name != folder_name:
        problems.append(
            Problem(
                where,
                f"'{name}' does not match the folder name '{folder_name}'; the Skills API requires them equal.",
                f"rename the folder to '{name}', or set name to '{folder_name}'."
                if not problems
                else f"set name to '{folder_name}' (or a valid name, and rename the folder to match).",
            )
        )
    return problems


def name_format_problems(name: str, where: str) -> list[Problem]:
    """Length, characters and hyphens: the API's rules, which also make any valid name a safe folder name."""
    problems: list[Problem] = []
    hint = suggest_name(name)
    if len(name) > NAME_MAX:
        problems.append(Problem(where, f"is {len(name)} characters; the limit is {NAME_MAX}.", "shorten it."))
    if "<" in name or ">" in name:
        problems.append(Problem(where, "must not contain '<' or '>' (XML tags).", f"use e.g. '{hint}'."))
    bad = sorted({c for c in name if not _NAME_CHAR.fullmatch(c)})
    if bad:
        problems.append(
            Problem(
                where,
                f"may contain only lowercase letters, digits and hyphens; found {', '.join(map(repr, bad))}.",
                f"use e.g. '{hint}'.",
            )
        )
    if name.startswith("-") or name.endswith("-") or "--" in name:
        problems.append(Problem(where, "must not start or end with a hyphen or contain '--'.", f"use e.g. '{hint}'."))
    return problems


def _check_description(description: object) -> list[Problem]:
    where = f"{SKILL_MD}: description"
    if description is _MISSING:
        return [Problem(where, "is missing.", "add 'description:' saying what the skill does and when to use it.")]
    if description is None:
        description = ""
    if not isinstance(description, str):
        return [Problem(where, f"must be a string, not {type(description).__name__}.", "write it as plain text.")]
    problems: list[Problem] = []
    if not description.strip():
        problems.append(Problem(where, "is empty.", "say what the skill does and when to use it."))
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                where,
                f"is {len(description)} characters; the limit is {DESCRIPTION_MAX}.",
                "shorten it; move details into the body of SKILL.md.",
            )
        )
    if "<" in description or ">" in description:
        problems.append(
            Problem(
                where,
                "must not contain '<' or '>' (the API treats them as XML tags).",
                "reword without angle brackets, e.g. 'less than' or a placeholder in CAPS.",
            )
        )
    return problems


def _check_optional(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    compatibility = data.get("compatibility")
    if compatibility is not None and (not isinstance(compatibility, str) or len(compatibility) > COMPATIBILITY_MAX):
        problems.append(
            Problem(
                f"{SKILL_MD}: compatibility",
                f"must be text of at most {COMPATIBILITY_MAX} characters.",
                "shorten it or remove it.",
            )
        )
    metadata = data.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        problems.append(
            Problem(
                f"{SKILL_MD}: metadata",
                "must be a mapping of string keys to string values.",
                'quote the values, e.g. version: "1.0".',
            )
        )
    for key in ("license", "allowed-tools"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(
                Problem(
                    f"{SKILL_MD}: {key}",
                    f"must be a string, not {type(value).__name__}.",
                    "write it as text.",
                )
            )
    return problems
