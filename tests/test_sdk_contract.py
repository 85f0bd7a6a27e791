"""The official SDK cannot tell the emulator from the API: every field its types declare comes back, typed.

The declared fields are read from the SDK's own classes (`type(obj).model_fields`), so this test follows the SDK
when it changes. "Present" means in `model_fields_set` (sent, even as null); "typed" means the raw body passes the
SDK model's own validation, which the SDK itself skips when parsing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.lib import files_from_dir
from conftest import API_KEY, official_sdk

from skills_mcp.emulator import EmulatorState, create_app, serve_in_thread

BETA = "skills-2025-10-02"


@pytest.fixture(scope="module", params=["memory", "data-dir"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The emulator as tests use it (in memory) and as `skills-mcp emulator` runs it (a data folder)."""
    data_dir = tmp_path_factory.mktemp("emulator-data") if request.param == "data-dir" else None
    state = EmulatorState(api_keys={API_KEY}, data_dir=data_dir)
    with serve_in_thread(create_app(state)) as url:
        yield url, tmp_path_factory.mktemp("skills")


@pytest.fixture
def client(served: tuple[str, Path]) -> anthropic.Anthropic:
    return official_sdk(served[0])


def make_skill(root: Path, name: str, description: str = "Does things. Use when testing.") -> Path:
    folder = root / name
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n")
    (folder / "scripts" / "run.py").write_text("print(1)\n")
    return folder


def declared_and_typed(raw: Any) -> Any:
    """The parsed model of a raw SDK response, after checking every declared field of it (and of every model
    inside it) is present and has its declared type."""
    parsed = raw.parse()
    assert_complete(parsed, raw.http_response.json())
    return parsed


def assert_complete(obj: Any, body: Any) -> None:
    if isinstance(obj, anthropic.BaseModel):
        cls = type(obj)
        missing = set(cls.model_fields) - obj.model_fields_set
        assert not missing, f"{cls.__name__} lacks {sorted(missing)} in {body}"
        try:
            cls.model_validate(body)
        except pydantic.ValidationError as exc:
            pytest.fail(f"{cls.__name__} does not validate {body}: {exc}")
        for name, info in cls.model_fields.items():
            assert_complete(getattr(obj, name), body[info.alias or name])
    elif isinstance(obj, list):
        for item, item_body in zip(obj, body, strict=True):
            assert_complete(item, item_body)


def assert_page(page: Any) -> list[Any]:
    """A page's items, each checked by `assert_complete` as the page's declared `data`; an empty page checks none."""
    assert "data" in type(page).model_fields
    items = list(page.data)
    assert items, "an empty page checks nothing"
    return items


def test_ga_client_gets_every_declared_field(client: anthropic.Anthropic, served: tuple[str, Path]) -> None:
    folder = make_skill(served[1], "ga-contract")
    skills = client.skills.with_raw_response
    versions = client.skills.versions.with_raw_response

    skill = declared_and_typed(skills.create(files=files_from_dir(folder)))
    assert skill.display_name == "ga-contract"  # from the SKILL.md name when omitted
    titled = declared_and_typed(skills.create(files=files_from_dir(folder), display_name="Titled"))
    assert titled.display_name == "Titled"
    assert skill.source.type == "custom" and skill.latest_version_id.startswith("skillver_")

    got = declared_and_typed(skills.retrieve(skill.id))
    assert got.latest_version_id == skill.latest_version_id
    listed = declared_and_typed(skills.list(limit=1000))
    assert {s.id for s in assert_page(listed)} >= {skill.id, titled.id}

    version = declared_and_typed(versions.create(skill.id, files=files_from_dir(folder)))
    assert (version.skill_id, version.name) == (skill.id, "ga-contract")
    assert "version" not in version.model_dump() and "directory" not in version.model_dump()
    assert declared_and_typed(versions.retrieve(version.id, skill_id=skill.id)).id == version.id
    assert declared_and_typed(versions.retrieve("latest", skill_id=skill.id)).id == version.id
    page = declared_and_typed(versions.list(skill.id))
    assert [v.id for v in assert_page(page)] == [version.id, skill.latest_version_id]

    deleted = declared_and_typed(versions.delete(version.id, skill_id=skill.id))
    assert (deleted.id, deleted.type) == (version.id, "skill_version_deleted")
    declared_and_typed(versions.delete(skill.latest_version_id, skill_id=skill.id))
    gone = declared_and_typed(skills.delete(skill.id))
    assert (gone.id, gone.type) == (skill.id, "skill_deleted")


def test_beta_client_gets_every_declared_field(client: anthropic.Anthropic, served: tuple[str, Path]) -> None:
    folder = make_skill(served[1], "beta-contract")
    skills = client.beta.skills.with_raw_response
    versions = client.beta.skills.versions.with_raw_response

    skill = declared_and_typed(skills.create(files=files_from_dir(folder), betas=[BETA]))
    assert skill.display_name == "beta-contract"
    extra = skill.model_extra or {}
    assert extra["display_title"] is None and extra["latest_version"].isdigit()  # the beta-era fields (§4.3)

    got = declared_and_typed(skills.retrieve(skill.id, betas=[BETA]))
    assert got.latest_version_id == skill.latest_version_id
    assert_page(declared_and_typed(skills.list(betas=[BETA])))

    version = declared_and_typed(versions.create(skill.id, files=files_from_dir(folder), betas=[BETA]))
    epoch = (version.model_extra or {})["version"]
    assert epoch.isdigit() and (version.model_extra or {})["directory"] == "beta-contract"
    assert declared_and_typed(versions.retrieve(epoch, skill_id=skill.id, betas=[BETA])).id == version.id
    assert declared_and_typed(versions.retrieve("latest", skill_id=skill.id, betas=[BETA])).id == version.id
    raw_page = versions.list(skill.id, betas=[BETA])
    page = declared_and_typed(raw_page)
    assert [v.id for v in assert_page(page)] == [version.id, skill.latest_version_id]
    assert raw_page.http_response.json()["has_more"] is False

    content = client.beta.skills.versions.download(epoch, skill_id=skill.id, betas=[BETA]).read()
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {n: archive.read(n) for n in archive.namelist()} == dict(files_from_dir(folder))  # type: ignore[arg-type]

    deleted = declared_and_typed(versions.delete(epoch, skill_id=skill.id, betas=[BETA]))
    assert (deleted.id, deleted.type) == (epoch, "skill_version_deleted")
    first = (skill.model_extra or {})["latest_version"]
    declared_and_typed(versions.delete(first, skill_id=skill.id, betas=[BETA]))
    assert declared_and_typed(skills.delete(skill.id, betas=[BETA])).id == skill.id


def test_latest_follows_the_newest_version_and_moves_back_when_it_is_deleted(
    client: anthropic.Anthropic, served: tuple[str, Path]
) -> None:
    folder = make_skill(served[1], "latest-moves")
    skill = client.skills.create(files=files_from_dir(folder))
    second = client.skills.versions.create(skill.id, files=files_from_dir(folder))
    third = client.skills.versions.create(skill.id, files=files_from_dir(folder))
    assert client.skills.versions.retrieve("latest", skill_id=skill.id).id == third.id
    assert client.skills.retrieve(skill.id).latest_version_id == third.id

    client.skills.versions.delete(third.id, skill_id=skill.id)  # the newest, by id: latest moves back
    assert client.skills.versions.retrieve("latest", skill_id=skill.id).id == second.id
    assert client.skills.retrieve(skill.id).latest_version_id == second.id
    with pytest.raises(anthropic.NotFoundError):
        client.skills.versions.retrieve(third.id, skill_id=skill.id)

    client.skills.versions.delete(skill.latest_version_id, skill_id=skill.id)  # an older one: latest stays
    assert client.skills.retrieve(skill.id).latest_version_id == second.id
    assert [v.id for v in client.skills.versions.list(skill.id)] == [second.id]


def test_skill_delete_is_refused_while_versions_remain(client: anthropic.Anthropic, served: tuple[str, Path]) -> None:
    """The skills guide's rule (the safe reading of unconfirmed GA semantics; docs/emulator.md)."""
    skill = client.skills.create(files=files_from_dir(make_skill(served[1], "delete-order")))
    with pytest.raises(anthropic.BadRequestError, match="Delete all versions first"):
        client.skills.delete(skill.id)
    assert client.skills.retrieve(skill.id).id == skill.id
    client.skills.versions.delete(skill.latest_version_id, skill_id=skill.id)
    client.skills.delete(skill.id)
    with pytest.raises(anthropic.NotFoundError):
        client.skills.retrieve(skill.id)


def test_a_skill_uploaded_as_one_zip_answers_every_declared_field(
    client: anthropic.Anthropic, served: tuple[str, Path]
) -> None:
    """anthropics/skills' CI uploads `files=[("skill.zip", f)]`; kept on disk too, its files come back as sent."""
    folder = make_skill(served[1], "zip-contract")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files_from_dir(folder):
            archive.writestr(str(name), data)  # type: ignore[arg-type]
    skill = declared_and_typed(client.skills.with_raw_response.create(files=[("skill.zip", buffer.getvalue())]))
    version = declared_and_typed(
        client.skills.versions.with_raw_response.create(skill.id, files=[("skill.zip", buffer.getvalue())])
    )
    assert (skill.display_name, version.name) == ("zip-contract", "zip-contract")
    epoch = (client.beta.skills.retrieve(skill.id, betas=[BETA]).model_extra or {})["latest_version"]
    content = client.beta.skills.versions.download(epoch, skill_id=skill.id, betas=[BETA]).read()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == dict(files_from_dir(folder))  # type: ignore[arg-type]
