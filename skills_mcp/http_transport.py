"""Streamable HTTP: stateless (so several processes behind a load balancer can share the work), with
the SDK's DNS-rebinding protection on, and a bearer token required whenever it listens beyond loopback."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ConfigError

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(server: MCPServer, host: str, port: int, token: str | None, allowed_hosts: list[str]) -> ASGIApp:
    loopback = is_loopback(host)
    if not loopback and not token:
        raise ConfigError(
            f"Refusing to listen on {host} without a token: set SKILLS_MCP_HTTP_TOKEN (or --token) so only "
            "clients sending 'Authorization: Bearer <token>' are served."
        )
    security = None  # on loopback the SDK turns the protection on by itself
    if not loopback:
        names = allowed_hosts or ([] if host in ("0.0.0.0", "::") else [host])  # noqa: S104 (a check, not a bind)
        if not names:
            raise ConfigError(
                f"Listening on {host}: say which host names clients use, with --allowed-host NAME (repeatable), "
                "so DNS-rebinding protection can check the Host header."
            )
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[f"{name}:*" if ":" not in name else name for name in names] + names,
            allowed_origins=[f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")],
        )
    app = server.streamable_http_app(stateless_http=True, json_response=True, transport_security=security, host=host)
    return BearerToken(app, token) if token else app


class BearerToken:
    """Answer 401 to any HTTP request that does not carry the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})  # fmt: skip
                await send({"type": "http.response.body", "body": b'{"error": "missing or wrong bearer token"}'})
                return
        await self.app(scope, receive, send)


def serve(server: MCPServer, host: str, port: int, token: str | None, allowed_hosts: list[str]) -> None:
    import uvicorn

    app = build_app(server, host, port, token, allowed_hosts)
    log.info("MCP over streamable HTTP on http://%s:%d/mcp%s", host, port, " (token required)" if token else "")
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
