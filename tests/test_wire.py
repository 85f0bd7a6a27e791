"""The two API modes as pure logic: how a version is addressed and checked, and which base URLs are taken."""

from __future__ import annotations

import pytest

from skills_mcp.api.models import Skill, SkillVersion
from skills_mcp.api.wire import SKILLS_BETA, Wire
from skills_mcp.config import Settings, checked_base_url
from skills_mcp.errors import ConfigError

GA, BETA = Wire(epoch=False), Wire(epoch=True)
VERSION = {"id": "skillver_01A", "version": "1759178010641129", "type": "skill_version"}


@pytest.mark.parametrize(
    ("header", "epoch"),
    [(None, False), ("", False), (SKILLS_BETA, True), (f"files-api-2025-04-14, {SKILLS_BETA}", True),
     ("files-api-2025-04-14", False), ("skills-2025-10-02-extra", False)],
)  # fmt: skip
def test_the_mode_follows_the_skills_beta_among_the_header_values(header: str | None, epoch: bool) -> None:
    assert Wire.of(header).epoch is epoch
    assert Wire.of(Settings(beta=header).beta) == Wire(epoch=epoch)


def test_the_default_settings_send_no_beta_header() -> None:
    assert Settings().beta is None and Wire.of(Settings().beta).epoch is False


def test_a_version_is_addressed_by_id_or_by_epoch_string() -> None:
    assert GA.parse(SkillVersion, VERSION).ref == "skillver_01A"
    assert BETA.parse(SkillVersion, VERSION).ref == "1759178010641129"
    # a shape without `version`: the id is all there is
    assert BETA.parse(SkillVersion, {"id": "skillver_01A"}).ref == "skillver_01A"
    skill = {"id": "skill_01A", "latest_version": "1759178010641129", "latest_version_id": "skillver_01A"}
    assert GA.parse(Skill, skill).latest == "skillver_01A" and BETA.parse(Skill, skill).latest == "1759178010641129"
    assert GA.parse(Skill, {"id": "skill_01A", "latest_version": None}).latest is None
    assert GA.title_field == "display_name" and BETA.title_field == "display_title"


@pytest.mark.parametrize(
    ("version", "ga_refuses", "beta_refuses"),
    [
        ("latest", False, False),
        ("skillver_01JAbcdef", False, True),
        ("1759178010641129", True, False),
        ("1759178010", True, False),  # epoch seconds
        ("20251013", False, False),  # a date version of Anthropic's own skills: the API judges it
        ("v2", False, False),
    ],
)
def test_the_other_modes_form_is_refused_and_the_right_field_named(
    version: str, ga_refuses: bool, beta_refuses: bool
) -> None:
    for wire, refuses, field in ((GA, ga_refuses, "`id`"), (BETA, beta_refuses, "`version`")):
        problems = wire.version_problems(version)
        assert bool(problems) is refuses, (wire, version)
        for problem in problems:
            assert problem.where == "version" and f"pass the {field} field" in problem.fix


@pytest.mark.parametrize(
    ("url", "kept"),
    [("https://api.anthropic.com", "https://api.anthropic.com"), ("HTTP://127.0.0.1:8765/", "HTTP://127.0.0.1:8765"),
     ("https://proxy.example/anthropic/", "https://proxy.example/anthropic"), ("http://[::1]:9", "http://[::1]:9")],
)  # fmt: skip
def test_good_base_urls_are_kept(url: str, kept: str) -> None:
    assert checked_base_url(url) == kept


@pytest.mark.parametrize(
    "url",
    ["api.anthropic.com", "file:///tmp/x", "http://", "http://u:p@h", "http://u@h", "http://h:99999", "http://[x"],
)
def test_bad_base_urls_are_refused_without_echoing_credentials(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        checked_base_url(url)
    assert str(refused.value).startswith("ANTHROPIC_BASE_URL")
    assert "u:p" not in str(refused.value) and "u@" not in str(refused.value)
