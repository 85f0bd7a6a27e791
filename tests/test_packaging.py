"""The multipart body built from a scanned folder: its parts, its length, and files that change under it."""

from __future__ import annotations

import io
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_multipart import MultipartParser
from skill_factory import make_skill

from skills_mcp.errors import UploadAborted
from skills_mcp.skill import packaging, reopen
from skills_mcp.skill.folder import scan_folder
from skills_mcp.skill.packaging import FIELD_NAME, Package, _FileReader
from skills_mcp.skill.parts import SkillFile
from skills_mcp.skill.reopen import Identity, Opener, Root

URL = "http://x/v1/skills/s/versions"
BINARY = bytes(range(256)) + b"\r\n--\r\n\r\n" + bytes(range(255, -1, -1))

FILES: dict[str, bytes | str] = {
    "scripts/fill_form.py": "print('fill')\n",
    "reference/forms.md": "# Forms\n" * 100,
    "assets/blob.bin": BINARY,
    "empty.txt": b"",
    "z/deep/er/x.json": '{"a": 1}',
}


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)

    def disposition(self) -> dict[str, str]:
        return dict(re.findall(r'(\w+)="([^"]*)"', self.headers["content-disposition"]))


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    boundary = re.fullmatch(r"multipart/form-data; boundary=(\S+)", content_type)
    assert boundary is not None, content_type
    parts: list[Part] = []
    header: list[bytes] = [b"", b""]

    def on_part_begin() -> None:
        parts.append(Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        parts[-1].headers[header[0].decode().lower()] = header[1].decode()
        header[:] = [b"", b""]

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data += data[start:end]

    parser = MultipartParser(
        boundary.group(1),
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
        },
    )
    assert parser.write(body) == len(body)
    parser.finalize()
    return parts


@pytest.fixture
def package(tmp_path: Path) -> Package:
    root = make_skill(tmp_path, "pdf-tools", FILES)
    return Package("pdf-tools", scan_folder(root).files)


def build(package: Package) -> httpx2.Request:
    return httpx2.Request("POST", URL, files=package.multipart_files())


def skill_file(path: Path, relpath: str | None = None) -> SkillFile:
    """`path` as validated, its folder as the skill folder."""
    root = Root(str(path.parent), Identity.of(path.parent.stat()))
    return SkillFile(relpath or path.name, str(path), path.name, Identity.of(path.stat()), root)


def reader_of(file: SkillFile) -> _FileReader:
    return _FileReader(file, Opener(file.root), last=True)


# ------------------------------------------------------------------------------------------ Package


def test_filenames_are_folder_slash_relpath_in_sorted_order(package: Package) -> None:
    assert package.filenames() == [
        "pdf-tools/SKILL.md",
        "pdf-tools/assets/blob.bin",
        "pdf-tools/empty.txt",
        "pdf-tools/reference/forms.md",
        "pdf-tools/scripts/fill_form.py",
        "pdf-tools/z/deep/er/x.json",
    ]


def test_total_bytes(package: Package) -> None:
    assert package.total_bytes == sum(Path(f.path).stat().st_size for f in package.files)


def test_multipart_files_shape_and_fresh_readers(package: Package) -> None:
    first = package.multipart_files()
    second = package.multipart_files()
    assert [(name, filename) for name, (filename, _, _) in first] == [(FIELD_NAME, n) for n in package.filenames()]
    assert FIELD_NAME == "files[]"
    assert all(a[1][1] is not b[1][1] for a, b in zip(first, second, strict=True))


def test_empty_package() -> None:
    assert Package("pdf-tools", []).multipart_files() == []


# ---------------------------------------------------------------------------------- the request body


def test_request_body_parts_and_content_length(package: Package) -> None:
    request = build(package)
    body = request.read()
    assert int(request.headers["content-length"]) == len(body)
    parts = parse_multipart(request.headers["content-type"], body)
    assert [(p.disposition()["name"], p.disposition()["filename"]) for p in parts] == [
        (FIELD_NAME, name) for name in package.filenames()
    ]
    assert [bytes(p.data) for p in parts] == [Path(f.path).read_bytes() for f in package.files]
    [blob] = [p for p in parts if p.disposition()["filename"] == "pdf-tools/assets/blob.bin"]
    assert bytes(blob.data) == BINARY
    assert all("content-type" in p.headers for p in parts)


def test_content_length_is_known_before_any_file_is_opened(package: Package, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = os.open

    def spy_open(path: str, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        assert flags & (os.O_WRONLY | os.O_RDWR) == 0
        if not flags & os.O_DIRECTORY:
            opened.append(os.path.basename(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(reopen.os, "open", spy_open)
    request = build(package)
    expected_length = int(request.headers["content-length"])
    assert opened == []
    body = request.read()
    assert len(body) == expected_length
    assert opened == [Path(f.path).name for f in package.files]


def test_a_second_build_sends_the_same_bytes(package: Package) -> None:
    """A retry calls multipart_files() again and gets the files from the start."""
    first, second = build(package), build(package)
    first_parts = parse_multipart(first.headers["content-type"], first.read())
    second_parts = parse_multipart(second.headers["content-type"], second.read())
    assert [bytes(p.data) for p in first_parts] == [bytes(p.data) for p in second_parts]


def test_non_ascii_and_quote_filenames_survive(tmp_path: Path) -> None:
    root = make_skill(tmp_path, "pdf-tools", {"docs/naïve résumé.md": "é"})
    package = Package("pdf-tools", scan_folder(root).files)
    request = build(package)
    parts = parse_multipart(request.headers["content-type"], request.read())
    assert parts[1].disposition()["filename"] == "pdf-tools/docs/naïve résumé.md"
    assert bytes(parts[1].data) == "é".encode()


# ------------------------------------------------------------------------- files that change size


@pytest.mark.parametrize(
    ("change", "new_content"),
    [
        pytest.param("grows", b"hello world, and more", id="grows"),
        pytest.param("shrinks", b"hel", id="shrinks"),
        pytest.param("emptied", b"", id="emptied"),
    ],
)
def test_file_changing_size_after_the_scan_aborts_the_upload(tmp_path: Path, change: str, new_content: bytes) -> None:
    root = make_skill(tmp_path, "pdf-tools", {"notes.txt": "hello world"})
    package = Package("pdf-tools", scan_folder(root).files)
    request = build(package)
    (root / "notes.txt").write_bytes(new_content)
    with pytest.raises(UploadAborted) as raised:
        request.read()
    assert str(raised.value) == (
        f"notes.txt changed size before it was sent (validated at 11 bytes, now {len(new_content)}). "
        "The upload was stopped, and nothing was stored."
    )


def test_empty_file_that_grows_aborts(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    reader = reader_of(skill_file(path))
    path.write_bytes(b"x")
    with pytest.raises(UploadAborted, match=r"^empty\.txt changed size .* \(validated at 0 bytes, now 1\)"):
        reader.read()


def test_file_removed_after_the_scan_aborts_the_upload(tmp_path: Path) -> None:
    root = make_skill(tmp_path, "pdf-tools", {"scripts/gone.py": "x = 1\n"})
    package = Package("pdf-tools", scan_folder(root).files)
    request = build(package)
    (root / "scripts" / "gone.py").unlink()
    with pytest.raises(UploadAborted) as raised:
        request.read()
    assert str(raised.value) == (
        "scripts/gone.py could not be opened: No such file or directory. "
        "The upload was stopped, and nothing was stored."
    )


def test_same_size_different_bytes_is_sent_as_it_now_is(tmp_path: Path) -> None:
    """Only the size is checked: a same-size edit goes out as the new content."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"before")
    reader = reader_of(skill_file(path))
    path.write_bytes(b"after!")
    assert reader.read() == b"after!"
    assert reader.read() == b""


# --------------------------------------------------------------------------------------- _FileReader


def test_reader_reports_the_validated_size_without_opening(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    reader = reader_of(SkillFile("a.txt", str(tmp_path / "never-opened"), "never-opened", Identity(0, 0, 10),
                                 Root(str(tmp_path), Identity.of(tmp_path.stat()))))  # fmt: skip
    assert reader.tell() == 0
    assert reader.seek(0, os.SEEK_END) == 10
    assert reader.seek(0) == 0


def test_reader_reads_in_chunks_and_tracks_position(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    reader = reader_of(skill_file(path))
    chunks = [reader.read(4), reader.read(4), reader.read(4)]
    assert chunks == [b"0123", b"4567", b"89"]
    assert reader.tell() == 10
    assert reader.read(4) == b""


def test_reader_read_all(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(BINARY)
    reader = reader_of(skill_file(path))
    assert reader.read() == BINARY
    assert reader.read() == b""


@pytest.mark.parametrize(
    ("offset", "whence"),
    [
        pytest.param(3, os.SEEK_SET, id="forward"),
        pytest.param(-1, os.SEEK_END, id="from-end"),
        pytest.param(1, os.SEEK_CUR, id="relative"),
    ],
)
def test_reader_refuses_other_seeks(tmp_path: Path, offset: int, whence: int) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    with pytest.raises(io.UnsupportedOperation, match="read once, from the start"):
        reader_of(skill_file(path)).seek(offset, whence)


def test_reader_cannot_rewind_after_reading(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    reader = reader_of(skill_file(path))
    reader.read(4)
    assert reader.seek(4) == 4  # "where I already am" is fine
    with pytest.raises(io.UnsupportedOperation):
        reader.seek(0)
    assert reader.read() == b"456789"
    assert reader.read() == b""  # the end: the file is closed


def test_reading_again_after_the_end_returns_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    reader = reader_of(skill_file(path))
    assert reader.read() == b"0123456789"
    assert reader.read() == b""
    assert reader.read() == b""


# ------------------------------------------------------------------------------------ content types

_NAME_PART = st.text(alphabet="ab.Z-_", max_size=6) | st.sampled_from(["tar", "gz", "tgz", "json", "svgz", "PY", "md"])


@given(st.lists(_NAME_PART, min_size=1, max_size=4).map(".".join), st.sampled_from(["", ".", ".."]))
def test_content_type_is_what_httpx2_would_guess(name: str, leading: str) -> None:
    """The per-extension cache gives exactly mimetypes' answer, so parts match the official SDK's."""
    filename = f"pdf-tools/sub.dir/{leading}{name}"
    assert packaging.content_type(filename) == (mimetypes.guess_type(filename)[0] or "application/octet-stream")


def test_parts_carry_the_content_type_the_sdk_sends(package: Package) -> None:
    ours = parse_multipart(*_body(httpx2.Request("POST", URL, files=package.multipart_files())))
    named = zip(package.filenames(), package.files, strict=True)
    plain = [(FIELD_NAME, (n, Path(f.path).read_bytes())) for n, f in named]
    sdk_like = parse_multipart(*_body(httpx2.Request("POST", URL, files=plain)))  # the SDK's 2-tuples
    assert [p.headers for p in ours] == [p.headers for p in sdk_like]


def _body(request: httpx2.Request) -> tuple[str, bytes]:
    return request.headers["content-type"], request.read()
