"""Streamable HTTP: stateless (so several processes behind a load balancer can share the work), with the
Host and Origin checks on for every bind address, and a bearer token required on every bind address too:
on loopback any local process, and through DNS rebinding any web page, could otherwise use the owner's key."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from skills_mcp.errors import ConfigError
from skills_mcp.loopback import LOOPBACK_NAMES

log = logging.getLogger(__name__)

# The one way to serve without a token, named so nobody passes it by accident. Loopback only.
OPT_OUT = "--no-token-any-local-process-can-use-my-key"
_WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 (names to compare with, not a bind)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def security_settings(host: str, allowed_hosts: list[str]) -> TransportSecuritySettings:
    """The SDK's Host/Origin check, passed explicitly: the SDK turns it on by itself only when the bind address
    is exactly 127.0.0.1, localhost or ::1, so 127.0.0.2 or 0:0:0:0:0:0:0:1 would otherwise go unchecked."""
    names = [*LOOPBACK_NAMES, *allowed_hosts]
    if host not in _WILDCARDS:
        names.append(host)  # the address itself, as a client that connects to it writes it
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys(_host_form(n) for n in names):
        with_port = _has_port(name)
        hosts += [name] if with_port else [name, f"{name}:*"]
        for scheme in ("http", "https"):
            origins += [f"{scheme}://{name}"] if with_port else [f"{scheme}://{name}", f"{scheme}://{name}:*"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _host_form(name: str) -> str:
    """A name as it appears in a Host header: IPv6 addresses in brackets."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return name.lower()
    return f"[{address}]" if address.version == 6 else str(address)


def _has_port(name: str) -> bool:
    return name.rpartition("]")[2].count(":") == 1 if name.startswith("[") else name.count(":") == 1


def build_app(
    server: MCPServer, host: str, token: str | None, allowed_hosts: list[str], *, no_token: bool = False
) -> ASGIApp:
    if token is not None and no_token:
        raise ConfigError(f"Give a token or {OPT_OUT}, not both.")
    if token is None and not no_token:
        raise ConfigError(f"Streamable HTTP needs a token (SKILLS_MCP_HTTP_TOKEN or --token), or {OPT_OUT}.")
    if no_token and not is_loopback(host):
        raise ConfigError(
            f"{OPT_OUT} is for loopback only: {host} can be reached from other machines. Drop the option "
            "and use a token (SKILLS_MCP_HTTP_TOKEN or --token; one is generated when neither is set)."
        )
    if host in _WILDCARDS and not allowed_hosts:
        raise ConfigError(
            f"Listening on {host}: say which host names remote clients use, with --allowed-host NAME (repeatable), "
            "so DNS-rebinding protection can check the Host header (loopback names are always accepted)."
        )
    security = security_settings(host, allowed_hosts)
    app = server.streamable_http_app(stateless_http=True, json_response=True, transport_security=security, host=host)
    return BearerToken(app, token) if token is not None else app


class BearerToken:
    """Answer 401 to any HTTP request that does not carry the token in its Authorization header.

    The scheme name is case-insensitive (RFC 9110); the token is compared in constant time. A token
    in the query string is not looked at: URLs end up in logs and browser history.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(dict(scope["headers"]).get(b"authorization", b"")):
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})  # fmt: skip
            await send({"type": "http.response.body", "body": b'{"error": "missing or wrong bearer token"}'})
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: bytes) -> bool:
        scheme, _, given = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._expected)


def serve(
    server: MCPServer, host: str, port: int, token: str | None, allowed_hosts: list[str], *, no_token: bool = False
) -> None:
    import uvicorn

    generated = token is None and not no_token
    if generated:
        token = secrets.token_urlsafe(32)
    app = build_app(server, host, token, allowed_hosts, no_token=no_token)
    url = f"http://{_host_form('127.0.0.1' if host in _WILDCARDS else host)}:{port}/mcp"
    if generated:
        # Once, on stderr, never through logging: like Jupyter, so the owner can copy it and nobody else sees it.
        print(
            f"skills-mcp: no token was set (SKILLS_MCP_HTTP_TOKEN or --token), so this one was generated for this "
            f"run.\nskills-mcp: clients send 'Authorization: Bearer <token>' to {url}\n    token: {token}",
            file=sys.stderr,
            flush=True,
        )
    if no_token:
        log.warning(
            "%s: serving %s WITHOUT A TOKEN. Any process on this machine can use your API key and read the "
            "allowed folders.", OPT_OUT, url,
        )  # fmt: skip
    log.info("MCP over streamable HTTP on %s%s", url, "" if no_token else " (token required)")
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
