"""The emulator's data and rules, free of HTTP so each rule reads (and is tested) on its own."""

from __future__ import annotations

import base64
import binascii
import io
import secrets
import string
import time
import zipfile
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
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


def damaged(skill: SkillRecord) -> EmulatorError:
    return EmulatorError(
        500,
        "api_error",
        f"Skill {skill.id} is damaged in the emulator's data folder: {skill.damage}. Nothing was changed; repair "
        "that skill's folder, or move it out of the data folder to drop the skill. The other skills are unaffected.",
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
    files: Mapping[str, bytes]  # path below `directory` -> exact uploaded bytes (read on demand when on disk)
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
    # Set when the record could not be read back from the data folder: what is wrong, and where. Such a
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


class Store:
    """Every skill the emulator holds, custom only, in creation order, in memory.

    The rules live here; `persist.DiskStore` keeps the same records in a folder by overriding the
    hooks below (the lock around each operation, and one durable step per change). Each change is
    made durable first and applied to the records after, so a refused write leaves them as they were.
    """

    def __init__(self) -> None:
        self._skills: dict[str, SkillRecord] = {}
        self._seq = 0
        self._last_us = 0

    @property
    def skills(self) -> dict[str, SkillRecord]:
        """Skill id -> record, oldest first; for tests to inspect."""
        with self._reading():
            return self._skills

    # ---- hooks: nothing to do in memory ------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[None]:
        return nullcontext()

    def _writing(self) -> AbstractContextManager[None]:
        return nullcontext()

    def _save_skill(self, skill: SkillRecord) -> None:
        """A new skill with its first version, before it joins `_skills`."""

    def _save_version(self, skill: SkillRecord, version: VersionRecord) -> None:
        """A new version of `skill`, before it joins `skill.versions`."""

    def _remove_version(self, skill: SkillRecord, version: VersionRecord, updated_at: str) -> None:
        """A version about to leave `skill.versions`."""

    def _remove_skill(self, skill: SkillRecord) -> None:
        """A skill, without versions, about to leave `_skills`."""

    def clear(self) -> None:
        """Forget every skill and start counting afresh."""
        with self._writing():
            self._skills = {}
            self._seq = 0
            self._last_us = 0

    # ---- the API's operations ----------------------------------------------------------------------

    def _tick(self) -> tuple[int, int]:
        """A fresh sequence number and a strictly increasing epoch in microseconds."""
        self._seq += 1
        self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
        return self._seq, self._last_us

    def create_skill(
        self, files: list[tuple[str, bytes]], display_title: str | None, *, unique_title: bool
    ) -> SkillRecord:
        upload = check_upload(files)
        if display_title is not None and (
            len(display_title) > DISPLAY_TITLE_MAX or "\n" in display_title or "\r" in display_title
        ):
            raise bad_request(f"The display title must be one line of at most {DISPLAY_TITLE_MAX} characters.")
        with self._writing():
            taken = unique_title and any(s.display_title == display_title for s in self._skills.values())
            if display_title is not None and taken:
                raise bad_request(f"A skill with display_title '{display_title}' already exists.")
            seq, now = self._tick()
            skill = SkillRecord(new_id("skill_"), upload.name, display_title, iso(now), iso(now), seq)
            version = self._new_version(skill, upload)
            skill.versions.append(version)
            skill.updated_at = version.created_at
            self._save_skill(skill)
            self._skills[skill.id] = skill
            return skill

    def create_version(self, skill_id: str, files: list[tuple[str, bytes]]) -> VersionRecord:
        with self._writing():
            skill = self._get_skill(skill_id)
            upload = check_upload(files)
            if upload.name != skill.name:
                raise bad_request(
                    f"Skill name '{upload.name}' does not match the existing skill name '{skill.name}'; "
                    "every version must keep the same name."
                )
            version = self._new_version(skill, upload)
            self._save_version(skill, version)
            skill.versions.append(version)
            skill.updated_at = version.created_at
            return version

    def _new_version(self, skill: SkillRecord, upload: Upload) -> VersionRecord:
        seq, now = self._tick()
        return VersionRecord(
            new_id("skillver_"), skill.id, str(now), upload.name, upload.description,
            upload.directory, iso(now), upload.files, seq,
        )  # fmt: skip

    def get_skill(self, skill_id: str) -> SkillRecord:
        with self._reading():
            return self._get_skill(skill_id)

    def _get_skill(self, skill_id: str) -> SkillRecord:
        skill = self._skills.get(skill_id)
        if skill is None:
            raise not_found(f"Skill not found: {skill_id}")
        if skill.damage is not None:
            raise damaged(skill)
        return skill

    def list_skills(self, limit: int, page: str | None, source: str | None) -> tuple[list[SkillRecord], str | None]:
        if source is not None and source not in SOURCES:
            raise bad_request(f"source: must be one of {', '.join(SOURCES)}.")
        with self._reading():
            skills = [s for s in self._skills.values() if source is None or s.source == source]
        return paginate(skills, "skills", limit, page)

    def delete_skill(self, skill_id: str) -> None:
        with self._writing():
            skill = self._get_skill(skill_id)
            if skill.versions:
                raise bad_request("Cannot delete skill with existing versions. Delete all versions first.")
            self._remove_skill(skill)
            del self._skills[skill_id]

    def get_version(self, skill_id: str, ref: str, *, by_epoch: bool, allow_latest: bool) -> VersionRecord:
        """`ref` is an epoch string under the beta header, else a version id; nothing else matches."""
        with self._reading():
            return self._get_version(skill_id, ref, by_epoch=by_epoch, allow_latest=allow_latest)

    def _get_version(self, skill_id: str, ref: str, *, by_epoch: bool, allow_latest: bool) -> VersionRecord:
        skill = self._get_skill(skill_id)
        if ref == "latest":
            if not allow_latest:
                raise bad_request("'latest' is accepted only when getting a version; pass a concrete version.")
            if skill.latest is None:
                raise not_found(f"Skill {skill_id} has no versions.")
            return skill.latest
        for version in skill.versions:
            if (version.version if by_epoch else version.id) == ref:
                return version
        raise not_found(f"Skill version not found: {ref}")

    def list_versions(self, skill_id: str, limit: int, page: str | None) -> tuple[list[VersionRecord], str | None]:
        with self._reading():
            skill = self._get_skill(skill_id)
            versions = list(skill.versions)
        return paginate(versions, skill.id, limit, page)

    def delete_version(self, skill_id: str, ref: str, *, by_epoch: bool) -> VersionRecord:
        with self._writing():
            version = self._get_version(skill_id, ref, by_epoch=by_epoch, allow_latest=False)
            skill = self._skills[skill_id]
            updated_at = iso(self._tick()[1])
            self._remove_version(skill, version, updated_at)
            skill.versions.remove(version)
            skill.updated_at = updated_at
            return version


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
