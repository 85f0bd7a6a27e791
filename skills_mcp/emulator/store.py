"""The emulator's records and rules, free of HTTP and of storage, so each rule reads (and is tested) on its own."""

from __future__ import annotations

import base64
import binascii
import io
import secrets
import string
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from skills_mcp.limits import MAX_UPLOAD_BYTES
from skills_mcp.skill import skill_md

SOURCES = ("custom", "anthropic")
LIMIT_MAX = 1000
DISPLAY_TITLE_MAX = 255

_BASE62 = string.digits + string.ascii_letters
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed, so the same files always give the same archive


class EmulatorError(Exception):
    """A refusal the API would answer with this status, error type and message."""

    def __init__(self, status: int, type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message


def bad_request(message: str) -> EmulatorError:
    return EmulatorError(400, "invalid_request_error", message)


def too_large(message: str) -> EmulatorError:
    return EmulatorError(413, "request_too_large", message)


def not_found(message: str) -> EmulatorError:
    return EmulatorError(404, "not_found_error", message)


def damaged(skill: SkillRecord, location: str) -> EmulatorError:
    return EmulatorError(
        500,
        "api_error",
        f"Skill {skill.id} is damaged in the emulator's data folder: {skill.damage}. Nothing was changed; repair "
        f"that skill's rows in {location}, or delete them to drop the skill. The other skills are unaffected.",
    )


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_BASE62) for _ in range(24))


def iso(epoch_us: int) -> str:
    return datetime.fromtimestamp(epoch_us / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class VersionRecord:
    id: str
    skill_id: str
    version: str  # epoch microseconds; the beta-era address of the version
    name: str
    description: str
    directory: str
    created_at: str
    files: Mapping[str, bytes]  # path below `directory` -> exact uploaded bytes, read from the database on demand
    seq: int  # creation order, for newest-first lists and cursors that survive deletions


@dataclass
class SkillRecord:
    id: str
    name: str  # fixed by the first upload; every version must keep it
    display_title: str | None
    created_at: str
    updated_at: str
    seq: int
    source: str = "custom"
    versions: list[VersionRecord] = field(default_factory=list)  # oldest first
    # Set when the record could not be read back from the database: what is wrong, and where. Such a
    # skill is still listed (a client finding a skill by name must not conclude it is absent and make a
    # second one); everything else about it answers 500 with this text.
    damage: str | None = None

    @property
    def latest(self) -> VersionRecord | None:
        return self.versions[-1] if self.versions else None


_T = TypeVar("_T", SkillRecord, VersionRecord)


@dataclass(frozen=True)
class Upload:
    """A checked upload: one folder, its SKILL.md frontmatter, its files."""

    directory: str
    name: str
    description: str
    files: dict[str, bytes]


def check_upload(files: list[tuple[str, bytes]]) -> Upload:
    """The API's upload rules, first failure wins, in the order the API reports them."""
    if not files:
        raise bad_request("At least one file is required in files[].")
    for path, _ in files:
        if path == skill_md.SKILL_MD:
            raise bad_request("SKILL.md file must be exactly in the top-level folder.")
        if not _path_ok(path):
            raise bad_request("Skill contains path with invalid characters")
    if len({path.split("/", 1)[0] for path, _ in files}) > 1:
        raise bad_request("All files must be in the same top-level directory.")
    directory = files[0][0].split("/", 1)[0]
    tree: dict[str, bytes] = {}
    for path, content in files:
        rel = path.split("/", 1)[1]
        if rel in tree:
            raise bad_request(f"Skill contains duplicate path '{path}'.")
        tree[rel] = content
    if skill_md.SKILL_MD not in tree:
        raise bad_request("SKILL.md file must be exactly in the top-level folder.")
    if sum(map(len, tree.values())) > MAX_UPLOAD_BYTES:
        raise too_large("Total upload size exceeds the 30 MB limit.")
    data, problems = skill_md.check_skill_md(tree[skill_md.SKILL_MD], directory)
    name = data.get("name") if data is not None else None
    if isinstance(name, str) and name and name != directory:
        raise bad_request(f"The folder name '{directory}' must match the skill name '{name}' in SKILL.md.")
    if data is None or problems:
        first = problems[0]
        raise bad_request(f"{first.where} {first.message}")
    return Upload(directory, str(data["name"]), str(data["description"]), tree)


def _path_ok(path: str) -> bool:
    if "/" not in path or "\\" in path or path.startswith("/"):
        return False
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def encode_cursor(scope: str, seq: int) -> str:
    return "page_" + base64.urlsafe_b64encode(f"{scope}:{seq}".encode()).decode()


def decode_cursor(scope: str, page: str) -> int:
    """The position a cursor points after; a cursor from another list is as bad as garbage."""
    try:
        raw = base64.urlsafe_b64decode(page.removeprefix("page_").encode()).decode()
        got_scope, seq = raw.rsplit(":", 1)
        if got_scope == scope and seq.isdigit():
            return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise bad_request("Invalid page cursor.")


def paginate(items: list[_T], scope: str, limit: int, page: str | None) -> tuple[list[_T], str | None]:
    """Newest first; `items` must be oldest first."""
    if not 1 <= limit <= LIMIT_MAX:
        raise bad_request(f"limit: must be between 1 and {LIMIT_MAX}.")
    newest_first = list(reversed(items))
    if page is not None:
        after = decode_cursor(scope, page)
        newest_first = [item for item in newest_first if item.seq < after]
    chunk = newest_first[:limit]
    more = len(newest_first) > limit
    return chunk, encode_cursor(scope, chunk[-1].seq) if more else None


def zip_version(version: VersionRecord) -> bytes:
    """`<name>/<path>` entries with the uploaded bytes; sorted and timestamp-free, so reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(version.files):
            info = zipfile.ZipInfo(f"{version.name}/{rel}", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the host: same bytes everywhere
            info.external_attr = 0o644 << 16
            archive.writestr(info, version.files[rel])
    return buffer.getvalue()
