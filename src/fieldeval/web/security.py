"""Who may talk to the local web app, and how writes are kept safe from other sites.

On loopback the pages are open, but every request must name a loopback Host (a page on
another site that rebinds its DNS to 127.0.0.1 still sends its own name). Bound anywhere
else, every request needs the token. Either way a write (POST, PUT, PATCH, DELETE) needs
the token in the `X-Fieldeval-Token` header, which a cross-site form or image can never
send, a JSON body, and no foreign Origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldeval.errors import UserError

TOKEN_HEADER = "X-Fieldeval-Token"
TOKEN_QUERY = "token"
MIN_TOKEN_LENGTH = 16
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# Pages load only this app's own scripts and styles; nothing inline, nothing remote.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


@dataclass(frozen=True)
class Security:
    """The app's token and how strictly it is asked for."""

    token: str
    require_token: bool  # reachable from other machines: every request carries the token
    loopback_only: bool  # bound to loopback: refuse requests naming any other Host


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name we would have to resolve: treat it as reachable by others


def security_for(host: str, token: str | None, *, app: str = "the grading app") -> Security:
    """The policy for serving on `host`; off loopback a token of the user's is required."""
    if is_loopback(host):
        return Security(token or new_token(), require_token=False, loopback_only=True)
    if not token:
        raise UserError(
            f"--host {host} makes {app} reachable from other machines,"
            " so it needs a token every request must carry",
            hint="add --token \"$(python -c 'import secrets; print(secrets.token_urlsafe())')\""
            " (or set FIELDEVAL_TOKEN), or leave --host at 127.0.0.1",
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise UserError(f"--token must be at least {MIN_TOKEN_LENGTH} characters")
    return Security(token, require_token=True, loopback_only=False)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_name(scope: Scope) -> str:
    # Browsers share cookies across ports, so two apps on one machine need their own names.
    server = scope.get("server") or ("", 0)
    return f"fieldeval_token_{server[1]}"


class SecurityMiddleware:
    """Refuses what the policy forbids and adds protective headers to every response."""

    def __init__(self, app: ASGIApp, security: Security) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)

    def refusal(self, scope: Scope) -> Response | None:
        """The response refusing this request, or None to let it through."""
        headers = Headers(scope=scope)
        method: str = scope["method"]
        api = scope["path"].startswith("/api/")
        host = headers.get("host", "")
        if self.security.loopback_only and not is_loopback(_hostname(host)):
            return _refuse(403, f"this app answers to localhost only, not {host!r}", api)
        if self.security.require_token:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if method == "GET" and not api and self._valid(query.get(TOKEN_QUERY)):
                return self._remember(scope, query)
            if not self._carries_token(scope, headers, query):
                return _refuse(
                    401,
                    "this app needs its token: open the URL fieldeval printed when it started",
                    api,
                )
        if method in UNSAFE_METHODS:
            return self._write_refusal(scope, headers, api)
        return None

    def _write_refusal(self, scope: Scope, headers: Headers, api: bool) -> Response | None:
        origin = headers.get("origin")
        if origin is not None:
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            if origin != own:
                return _refuse(403, f"cross-site request from {origin!r} refused", api)
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return _refuse(403, "cross-site request refused", api)
        if not self._valid(headers.get(TOKEN_HEADER)):
            return _refuse(403, f"a write needs the app's token in the {TOKEN_HEADER} header", api)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _refuse(415, "send a JSON body (Content-Type: application/json)", api)
        return None

    def _carries_token(self, scope: Scope, headers: Headers, query: dict[str, str]) -> bool:
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        cookie = SimpleCookie(headers.get("cookie", "")).get(cookie_name(scope))
        offered = (
            headers.get(TOKEN_HEADER),
            bearer if scheme.lower() == "bearer" else None,
            cookie.value if cookie is not None else None,
            query.get(TOKEN_QUERY),
        )
        return any(self._valid(candidate) for candidate in offered)

    def _remember(self, scope: Scope, query: dict[str, str]) -> Response:
        """Trade the token in a page's URL for a cookie, so it leaves the address bar."""
        rest = urlencode({k: v for k, v in query.items() if k != TOKEN_QUERY})
        path = "/" + scope["path"].lstrip("/")  # never `//host`, which would leave this app
        response = RedirectResponse(path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(
            cookie_name(scope), self.security.token, httponly=True, samesite="strict", path="/"
        )
        return response

    def _valid(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self.security.token.encode())


def _hostname(host_header: str) -> str:
    """The name in a Host header, without its port (IPv6 in brackets kept whole)."""
    if not host_header:
        return ""
    return urlsplit(f"//{host_header}").hostname or ""


def _refuse(status: int, message: str, api: bool) -> Response:
    if api:
        return JSONResponse({"error": message}, status_code=status)
    return PlainTextResponse(message, status_code=status)
