"""Properties of path handling: whatever the path, the answer is a problem or a real path inside an allowed folder.

Pure functions, no server. Each example builds its own small tree in a fresh folder under one module-wide
temp folder (hypothesis runs many examples per test, so function-scoped tmp_path would be shared by all).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skills_mcp.problems import Problem, shown
from skills_mcp.skill.paths import resolve_allowed
from skills_mcp.skill.validation import check_folder

OUTSIDE = "is outside the folders this server may read"

# Any one path segment: no '/', no NUL, only what the file system can encode (no lone surrogates).
ANY_CHAR = st.characters(codec="utf-8", exclude_characters="/\x00")
WORDS = [
    *["..", ".", "...", "a", "b", "skill", "é", "日本語", "with space", " lead", "trail ", "~", "-", "a\tb", "\u00a0"],
    *["allowed", "also-allowed", "outside"],  # the names in each example's tree, so '..' can climb back in
]
SEGMENT = st.one_of(st.sampled_from(WORDS), st.text(ANY_CHAR, min_size=1, max_size=12))
# A plain name: a real child, never '.' or '..', no whitespace at either end (the tools strip the whole path).
NAME = st.text(ANY_CHAR, min_size=1, max_size=12).filter(lambda s: s not in (".", "..") and s == s.strip())

PROPERTY = settings(max_examples=50, deadline=None)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("paths-property").resolve()


def fresh(base: Path) -> tuple[Path, list[Path], Path]:
    """A new tree for one example: two allowed folders and a sibling outside both."""
    root = Path(tempfile.mkdtemp(dir=base))
    allowed = [root / "allowed", root / "also-allowed"]
    outside = root / "outside"
    for folder in [*allowed, outside]:
        folder.mkdir()
    return root, allowed, outside


def inside(path: Path, allowed: list[Path]) -> bool:
    return any(path == a or path.is_relative_to(a) for a in allowed)


def assert_problem_or_inside(raw: str, allowed: list[Path]) -> tuple[Path | None, list[Problem]]:
    """The property every path must have, for both resolve_allowed and check_folder."""
    real, problems = resolve_allowed(raw, allowed)
    if real is None:
        assert len(problems) == 1 and problems[0].where == "path" and problems[0].fix
    else:
        assert problems == []
        assert real.is_absolute() and real == Path(os.path.realpath(real))
        assert inside(real, allowed), f"{raw!r} resolved to {real}, outside {allowed}"
    check = check_folder(raw, allowed)
    if real is None:
        assert check.root is None and check.problems == problems and check.scan is None
    else:
        assert check.root in (real, None)  # None: the folder is there by name but cannot be looked at
        assert check.root is not None or check.problems
    return real, problems


def join(start: Path, segments: list[str]) -> str:
    return "/".join([str(start), *segments])


@PROPERTY
@given(segments=st.lists(SEGMENT, max_size=8), created=st.integers(0, 8), start=st.integers(0, 1))
def test_without_links_a_path_resolves_to_its_normal_form_or_a_problem(
    base: Path, segments: list[str], created: int, start: int
) -> None:
    root, allowed, _outside = fresh(base)
    on_disk = Path(os.path.normpath(allowed[start].joinpath(*segments[:created])))
    if on_disk.is_relative_to(root):
        on_disk.mkdir(parents=True, exist_ok=True)  # part of the path exists, the rest may not
    raw = join(allowed[start], segments)

    real, problems = assert_problem_or_inside(raw, allowed)

    expected = Path(os.path.normpath(raw.strip()))  # no links: only '.' and '..' change anything
    if inside(expected, allowed):
        assert real == expected
    else:
        assert real is None and OUTSIDE in problems[0].message
        assert shown(str(expected)) in problems[0].message  # it names the real place, not what was typed


def make_link(allowed: Path, outside: Path, depth: list[str], kind: str) -> Path:
    """A symlink `depth` folders down inside `allowed`, leading outside in the way `kind` says."""
    parent = allowed.joinpath(*depth)
    parent.mkdir(parents=True, exist_ok=True)
    link = parent / "link"
    if kind == "absolute":
        link.symlink_to(outside)
    elif kind == "relative":
        link.symlink_to(os.path.relpath(outside, parent))
    elif kind == "deeper":
        (outside / "x" / "y").mkdir(parents=True, exist_ok=True)
        link.symlink_to(outside / "x" / "y")
    elif kind == "dangling":
        link.symlink_to(outside / "not-there")
    elif kind == "chain":  # inside -> inside -> outside
        hop = Path(tempfile.mkdtemp(dir=allowed, prefix="hop-")) / "hop"  # a name `depth` cannot collide with
        hop.symlink_to(outside)
        link.symlink_to(hop)
    else:
        raise AssertionError(kind)
    return link


LINK_KINDS = st.sampled_from(["absolute", "relative", "deeper", "dangling", "chain"])


@PROPERTY
@given(depth=st.lists(NAME, max_size=4), tail=st.lists(NAME, max_size=3), kind=LINK_KINDS, made=st.integers(0, 3))
def test_a_link_out_of_the_allowed_folder_is_refused(
    base: Path, depth: list[str], tail: list[str], kind: str, made: int
) -> None:
    _root, allowed, outside = fresh(base)
    link = make_link(allowed[0], outside, depth, kind)
    target = Path(os.path.realpath(link))
    if kind != "dangling":
        target.joinpath(*tail[:made]).mkdir(parents=True, exist_ok=True)  # sometimes the rest exists too
    raw = join(link, tail)

    real, problems = assert_problem_or_inside(raw, allowed)

    assert real is None
    assert OUTSIDE in problems[0].message and str(outside) in problems[0].message


@PROPERTY
@given(depth=st.lists(NAME, max_size=4), after=st.lists(SEGMENT, max_size=6), kind=LINK_KINDS)
def test_a_path_through_a_link_resolves_as_the_path_through_its_target(
    base: Path, depth: list[str], after: list[str], kind: str
) -> None:
    """'..' after a link climbs from where the link leads, not from where it sits (unlike normpath)."""
    _root, allowed, outside = fresh(base)
    link = make_link(allowed[0], outside, depth, kind)
    target = Path(os.path.realpath(link))
    assert target.is_relative_to(outside)

    through_link = assert_problem_or_inside(join(link, after), allowed)
    through_target = assert_problem_or_inside(join(target, after), allowed)

    assert through_link == through_target
    if ".." not in after:
        assert through_link[0] is None  # nothing but names after a link out: still out


@PROPERTY
@given(depth=st.lists(NAME, max_size=3), tail=st.lists(NAME, max_size=3), relative=st.booleans())
def test_a_link_that_stays_inside_is_followed(base: Path, depth: list[str], tail: list[str], relative: bool) -> None:
    _root, allowed, _outside = fresh(base)
    goal = allowed[1] / "real-skills"
    goal.mkdir()
    parent = allowed[0].joinpath(*depth)
    parent.mkdir(parents=True, exist_ok=True)
    (parent / "link").symlink_to(os.path.relpath(goal, parent) if relative else goal)

    real, problems = assert_problem_or_inside(join(parent / "link", tail), allowed)

    assert problems == []
    assert real == goal.joinpath(*tail)  # the real place, in the other allowed folder


@PROPERTY
@given(
    segments=st.lists(SEGMENT, max_size=6),
    home=st.sampled_from(["inside", "the allowed folder", "outside", "a link to inside", "a link to outside"]),
)
def test_tilde_means_home(base: Path, segments: list[str], home: str) -> None:
    _root, allowed, outside = fresh(base)
    homes = {
        "inside": allowed[0] / "home" / "me",
        "the allowed folder": allowed[0],
        "outside": outside / "home",
        "a link to inside": outside / "link-home",
        "a link to outside": allowed[1] / "link-home",
    }
    fake_home = homes[home]
    if home == "a link to inside":
        (allowed[0] / "real-home").mkdir()
        fake_home.symlink_to(allowed[0] / "real-home")
    elif home == "a link to outside":
        fake_home.symlink_to(outside)
    else:
        fake_home.mkdir(parents=True, exist_ok=True)
    rest = "/".join(segments)

    with mock.patch.dict(os.environ, {"HOME": str(fake_home)}):
        by_tilde = assert_problem_or_inside("~/" + rest if segments else "~", allowed)
        spelled_out = assert_problem_or_inside(join(fake_home, segments), allowed)
        checked = check_folder("~/" + rest, allowed), check_folder(join(fake_home, segments), allowed)

    assert by_tilde == spelled_out
    assert checked[0].folder_name == checked[1].folder_name
    assert checked[0].problems == checked[1].problems
    if ".." not in segments:  # below home: inside exactly when home really is
        assert (by_tilde[0] is not None) == inside(Path(os.path.realpath(fake_home)), allowed)


@PROPERTY
@given(
    user=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=10),
    tail=st.lists(NAME, max_size=3),
)
def test_tilde_user_is_a_problem_or_inside(base: Path, user: str, tail: list[str]) -> None:
    """`~name` of a user who does not exist stays as typed (relative, so refused); of one who does, it is checked."""
    _root, allowed, _outside = fresh(base)
    with mock.patch.dict(os.environ, {"HOME": str(allowed[0])}):
        real, problems = assert_problem_or_inside("/".join([f"~{user}", *tail]), allowed)
    assert real is None  # no real user's home is inside this fresh folder
    assert "is relative" in problems[0].message or OUTSIDE in problems[0].message


@PROPERTY
@given(raw=st.text(st.characters(codec="utf-8"), max_size=30))
@example(raw="~\x00")  # found by hypothesis: expanduser raises on a NUL after ~
def test_any_string_at_all(base: Path, raw: str) -> None:
    """Not even a path: never an exception, never a place outside."""
    _root, allowed, _outside = fresh(base)
    assert_problem_or_inside(raw, allowed)
    assert_problem_or_inside(str(allowed[0]) + "/" + raw, allowed)


def test_a_name_too_long_for_the_file_system_is_a_problem(base: Path) -> None:
    _root, allowed, _outside = fresh(base)
    assert_problem_or_inside(str(allowed[0] / ("x" * 256)), allowed)
