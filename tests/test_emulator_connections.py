"""The emulator's doors: which Host names it answers, and clients that leave without a word."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from conftest import server_command
from test_emulator import VERSION
from test_http_transport import free_port, wait_for_port

from skills_mcp.emulator import EmulatorState, create_app, serve_in_thread
from skills_mcp.limits import MAX_FILES, MAX_UPLOAD_BYTES

HEADERS = {"authorization": "Bearer sk-test", "anthropic-version": VERSION}


def status_with_host(url: str, host: str) -> int:
    return httpx2.get(f"{url}/v1/skills", headers={**HEADERS, "host": host}).status_code


def test_only_loopback_names_are_answered() -> None:
    with serve_in_thread(create_app(EmulatorState())) as url:
        port = urlsplit(url).port
        refused = httpx2.get(f"{url}/v1/skills", headers={**HEADERS, "host": "evil.example"})
        answered = {h: status_with_host(url, h) for h in ("127.0.0.1", f"127.0.0.1:{port}", "localhost",
                                                           f"LOCALHOST:{port}", "[::1]", f"[::1]:{port}")}  # fmt: skip
        others = {h: status_with_host(url, h) for h in (f"evil.example:{port}", "127.0.0.2", "localhost.evil", "")}
    assert refused.status_code == 421
    body = refused.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "evil.example" in body["error"]["message"] and "--allowed-host" in body["error"]["message"]
    assert set(answered.values()) == {200}, answered
    assert set(others.values()) == {421}, others


def test_allowed_host_adds_a_name(tmp_path: Path) -> None:
    port = free_port()
    command = [server_command(), "emulator", "--port", str(port), "--allowed-host", "skills.example",
               "--allowed-host", "other.example", "--data-dir", str(tmp_path / "data")]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        wait_for_port(port, proc)
        url = f"http://127.0.0.1:{port}"
        got = {h: status_with_host(url, h) for h in ("skills.example", f"other.example:{port}", "127.0.0.1")}
        refused = status_with_host(url, "evil.example")
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert got == {"skills.example": 200, f"other.example:{port}": 200, "127.0.0.1": 200}
    assert refused == 421
    assert out == "" and "WARNING" not in err  # on loopback: nothing to warn about


def test_beyond_loopback_it_warns(tmp_path: Path) -> None:
    port = free_port()
    command = [server_command(), "emulator", "--host", "0.0.0.0", "--port", str(port), "--data-dir", str(tmp_path)]  # noqa: S104
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        wait_for_port(port, proc)
        loopback = status_with_host(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert loopback == 200
    assert "WARNING: listening on 0.0.0.0, beyond loopback" in err and "any key" in err


def test_a_client_leaving_mid_upload_logs_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    state = EmulatorState()
    caplog.set_level(logging.WARNING)
    with serve_in_thread(create_app(state)) as url:
        port = urlsplit(url).port
        assert port is not None
        head = (
            "POST /v1/skills HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-test\r\n"
            f"anthropic-version: {VERSION}\r\ncontent-type: multipart/form-data; boundary=B\r\n"
            "content-length: 100000\r\n\r\n--B\r\n"
        )
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(head.encode())
            deadline = time.monotonic() + 60  # a safety bound only: the request is in once it is recorded
            while not state.requests:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        # Gone before the body ended; wait_idle returns once the emulator has finished with the request.
        assert state.wait_idle()
        assert [(r.status, r.dropped) for r in state.requests] == [(None, "client_gone")]
    # Leaving serve_in_thread stopped uvicorn, which waits for the request's task: all it logged is in.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any(r.exc_info for r in caplog.records)


def test_an_upload_over_the_limit_is_refused_as_it_streams_in() -> None:
    """The body is three times the limit; the emulator reads to the limit, answers, and reads no further."""
    state = EmulatorState()
    chunk = b"x" * (1024 * 1024)
    total = 3 * MAX_UPLOAD_BYTES

    def body() -> Iterator[bytes]:
        sent = 0
        yield b'--B\r\nContent-Disposition: form-data; name="files[]"; filename="my-skill/big.bin"\r\n\r\n'
        while sent < total:
            sent += len(chunk)
            yield chunk
        yield b"\r\n--B--\r\n"

    with serve_in_thread(create_app(state)) as url:
        response = httpx2.post(
            f"{url}/v1/skills",
            content=body(),
            headers={**HEADERS, "content-type": "multipart/form-data; boundary=B"},
            timeout=60,
        )
    assert response.status_code == 413, response.text
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "request_too_large"
    assert error["error"]["message"] == "Total upload size exceeds the 30 MB limit."
    (request,) = state.requests
    assert request.status == 413 and request.files == []
    # It stopped reading where the file bytes passed the limit (give or take one chunk and the part's head).
    assert MAX_UPLOAD_BYTES < request.body_bytes <= MAX_UPLOAD_BYTES + 2 * len(chunk), request.body_bytes


def test_too_many_files_are_refused_as_they_stream_in() -> None:
    state = EmulatorState()
    part = b'--B\r\nContent-Disposition: form-data; name="files[]"; filename="my-skill/f%d"\r\n\r\nx\r\n'
    parts = 3 * MAX_FILES

    def body() -> Iterator[bytes]:
        for n in range(parts):
            yield part % n
        yield b"--B--\r\n"

    with serve_in_thread(create_app(state)) as url:
        response = httpx2.post(
            f"{url}/v1/skills", content=body(), headers={**HEADERS, "content-type": "multipart/form-data; boundary=B"}
        )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["message"] == f"Too many files: an upload holds at most {MAX_FILES}."
    (request,) = state.requests
    assert request.files == [] and request.body_bytes < len(part) * 2 * MAX_FILES  # stopped near the limit
