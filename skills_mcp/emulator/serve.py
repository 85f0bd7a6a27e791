"""Run the emulator on a real socket: in a background thread for tests, or in the foreground as a product."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from skills_mcp.errors import ConfigError
from skills_mcp.loopback import LOOPBACK_NAMES

from .app import EmulatorState, create_app

STARTUP_TIMEOUT = 10.0


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket, so port 0 works, a busy port fails here, and the URL is known before serving.

    proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only then, else each keep-alive request waits
    ~40 ms on Nagle plus delayed ACK.
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":  # on Windows it would let another process take the port too
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if sock.family == socket.AF_INET6 else f"http://{host}:{port}"


def _config(app: ASGIApp) -> uvicorn.Config:
    # `log_config=None` leaves the host's logging alone (nothing goes to stdout, which an MCP stdio
    # server needs clean).
    return uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, log_config=None)


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Yield the base URL while uvicorn serves `app`."""
    sock = _bind(host, port)
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="skills-emulator", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"emulator did not start on {host}:{sock.getsockname()[1]}")
            time.sleep(0.01)
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn re-raises the Ctrl-C or SIGTERM it shut down on, after shutting down; here the stop is the
    expected end of `run_emulator`, which returns instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            try:
                yield
            finally:
                captured = getattr(self, "_captured_signals", None)
                if isinstance(captured, list):
                    captured.clear()


def run_emulator(
    host: str = "127.0.0.1",
    port: int = 8765,
    data_dir: Path | None = None,
    api_keys: Iterable[str] = (),
    *,
    allowed_hosts: Iterable[str] = (),
    on_listen: Callable[[str], None] | None = None,
) -> None:
    """Serve the emulator until Ctrl-C or SIGTERM, then return.

    With `data_dir` its skills are kept there, and shared with every other emulator or local-mode client
    using that folder. Says where it listens on stderr, and to `on_listen` once it accepts connections.
    """
    state = EmulatorState(api_keys, data_dir, record=False, allowed_hosts=allowed_hosts)
    try:
        sock = _bind(host, port)
    except OSError as exc:  # the port is taken, say
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
    try:
        sock.listen(128)  # connections queue from now on, so the URL below is good once printed
        where = f"data in {Path(data_dir).resolve()}" if data_dir is not None else "in memory: nothing is kept"
        print(f"Skills API emulator on {_url(sock)} ({where})", file=sys.stderr, flush=True)
        if host.lower() not in LOOPBACK_NAMES:
            print(
                f"WARNING: listening on {host}, beyond loopback: whoever can reach this port can read, change and "
                "delete these skills, with any key. Clients must send a Host given with --allowed-host.",
                file=sys.stderr,
                flush=True,
            )
        if on_listen is not None:  # e.g. `skills-mcp emulator --json` prints the address
            on_listen(_url(sock))
        _Server(_config(create_app(state))).run(sockets=[sock])
    finally:
        sock.close()
