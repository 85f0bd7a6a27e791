"""One uploaded `.zip` part, as anthropics/skills' CI sends it: unpacked with the download rules, checked like
`files[]` parts, and refused (nothing stored) with the API's error body when hostile."""

from __future__ import annotations

import io
import stat
import zipfile
from typing import Any

import anthropic
import pytest
from conftest import Emulator, official_sdk

from skills_mcp.emulator.zip_upload import expand, is_zip_upload
from skills_mcp.limits import MAX_UPLOAD_BYTES

BETA = "skills-2025-10-02"
SKILL_MD = b"---\nname: zipped\ndescription: Packed in a zip. Use when testing.\n---\n# Zipped\n"


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], *, folders: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if folders:  # as `zip -r` makes them: an entry for each folder too
            archive.writestr("zipped/", b"")
            archive.writestr("zipped/scripts/", b"")
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = [("zipped/SKILL.md", SKILL_MD), ("zipped/scripts/run.py", b"print(1)\n")]


def refusal(exc: anthropic.APIStatusError, status: int, type: str = "invalid_request_error") -> str:
    """The message, after checking the API's error shape."""
    assert exc.status_code == status
    body: Any = exc.body
    assert body["type"] == "error" and body["error"]["type"] == type
    assert body["request_id"] == exc.request_id and str(exc.request_id).startswith("req_")
    return str(body["error"]["message"])


def test_ga_and_beta_clients_upload_a_skill_as_one_zip(api: Emulator) -> None:
    client = official_sdk(api.url)
    data = make_zip(GOOD, folders=True)
    skill = client.skills.create(files=[("skill.zip", data)])
    assert (skill.display_name, skill.source.type) == ("zipped", "custom")
    version = client.skills.versions.create(skill.id, files=[("skill.zip", io.BytesIO(data))])
    assert (version.name, version.description) == ("zipped", "Packed in a zip. Use when testing.")
    stored = api.state.store.skills[skill.id].versions
    assert [dict(v.files) for v in stored] == [{"SKILL.md": SKILL_MD, "scripts/run.py": b"print(1)\n"}] * 2

    beta = client.beta.skills.create(files=[("SKILL.ZIP", data)], betas=[BETA])
    epoch = (beta.model_extra or {})["latest_version"]
    content = client.beta.skills.versions.download(epoch, skill_id=beta.id, betas=[BETA]).read()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == dict(GOOD)
    sent = api.state.uploads()[0]
    assert [(f[0], f[1]) for f in sent.files] == [("files[]", "skill.zip")]  # what went on the wire: the zip itself


def symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


def stored(name: str, data: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED  # its bytes sit in the archive as they are, to be damaged below
    return info, data


HOSTILE: dict[str, tuple[bytes, int, str]] = {
    "a '..' segment": (make_zip([*GOOD, ("zipped/../evil.py", b"x")]), 400, "'..' segment"),
    "an absolute path": (make_zip([*GOOD, ("/etc/zipped/x", b"x")]), 400, "absolute path"),
    "a symbolic link": (make_zip([*GOOD, symlink("zipped/link", b"/etc/passwd")]), 400, "symbolic link"),
    "a backslash": (make_zip([*GOOD, ("zipped\\..\\evil.py", b"x")]), 400, "backslash"),
    "a second top folder": (make_zip([*GOOD, ("other/x.py", b"x")]), 400, "not inside the skill's folder"),
    "a bomb": (make_zip([*GOOD, ("zipped/zeros.bin", bytes(MAX_UPLOAD_BYTES))]), 413, "30 MB"),
    "a damaged entry": (
        make_zip([*GOOD, stored("zipped/x.txt", b"intact")]).replace(b"intact", b"broken"),
        400,
        "damaged",
    ),
    "not a zip": (b"PK\x03\x04 but nothing more", 400, "not a zip archive"),
    "SKILL.md at the top": (make_zip([("SKILL.md", SKILL_MD)]), 400, "exactly in the top-level folder"),
    "a folder not named after the skill": (
        make_zip([("other/SKILL.md", SKILL_MD)]),
        400,
        "folder name 'other' must match the skill name 'zipped'",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_or_invalid_zip_is_refused_and_nothing_is_stored(api: Emulator, case: str) -> None:
    data, status, says = HOSTILE[case]
    client = official_sdk(api.url)
    with pytest.raises(anthropic.APIStatusError) as create:
        client.skills.create(files=[("skill.zip", data)])
    error_type = "request_too_large" if status == 413 else "invalid_request_error"
    assert says in refusal(create.value, status, error_type)
    assert api.state.store.skills == {}

    skill = client.skills.create(files=[("skill.zip", make_zip(GOOD))])
    with pytest.raises(anthropic.APIStatusError) as version:
        client.skills.versions.create(skill.id, files=[("skill.zip", data)])
    assert says in refusal(version.value, status, error_type)
    assert len(api.state.store.skills[skill.id].versions) == 1


def test_a_zip_for_a_missing_skill_is_a_404_before_the_zip_is_read(api: Emulator) -> None:
    client = official_sdk(api.url)
    with pytest.raises(anthropic.NotFoundError):
        client.skills.versions.create("skill_missing", files=[("skill.zip", b"not a zip")])


def test_only_a_lone_part_named_like_a_zip_is_one() -> None:
    assert is_zip_upload([("skill.zip", b"")]) and is_zip_upload([("Skill.ZIP", b"")])
    assert not is_zip_upload([("zipped/data.zip", b"")])  # a skill's own file, in its folder
    assert not is_zip_upload([("skill.zip", b""), ("zipped/SKILL.md", b"")])
    parts = [("zipped/SKILL.md", SKILL_MD)]
    assert expand(parts) is parts
