"""Sessions, CSRF and who is asking.

Sessions are Starlette's signed cookie (itsdangerous, HttpOnly, SameSite=Lax). Every POST to a page route
must carry the session's CSRF token in a `csrf_token` form field; the check is middleware, so a new form
cannot forget it. The JSON API accepts a Bearer token (no CSRF needed: a browser never sends one on its
own) or the session cookie plus an `X-CSRF-Token` header.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medoracle.editorial.repository import EditorialRepository
from medoracle.editorial.users import User
from medoracle.settings import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 1_000_000
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def secret_key(settings: Settings, repository: EditorialRepository) -> str:
    """settings.secret_key, or one generated once and kept in the database every server shares.

    A key from an earlier version's `<data_dir>/secret_key` is adopted, so sessions survive the upgrade.
    """
    if settings.secret_key:
        return settings.secret_key
    stored = repository.setting("session_key")
    if stored:
        return stored
    legacy = Path(settings.data_dir) / "secret_key"
    key = legacy.read_text().strip() if repository.dialect == "sqlite" and legacy.exists() else ""
    # replace=False: when several workers start together, the first key written wins and all use it
    return repository.put_setting("session_key", key or secrets.token_urlsafe(48), replace=False)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (this also starts an anonymous session)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _token_ok(session: dict, given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given and secrets.compare_digest(str(expected), str(given)))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class CSRFMiddleware:
    """Refuses (403) any unsafe request to a page route without the session's token. Sits inside sessions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        if scope["path"].startswith("/api/"):
            auth = _header(scope, b"authorization") or ""
            # Bearer tokens are never sent by a browser on its own, and an anonymous session has no power
            # to abuse; a logged-in session must prove the request came from our own page.
            if auth.lower().startswith("bearer ") or not session.get("user") \
                    or _token_ok(session, _header(scope, CSRF_HEADER.encode())):
                await self.app(scope, receive, send)
                return
            await _refuse(send, json_body=True)
            return
        body, too_big = await _read_body(receive)
        if too_big:
            await _refuse(send, status=413, message="Form too large.")
            return
        given = await _form_token(scope, body)
        if not _token_ok(session, given):
            await _refuse(send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), False


async def _form_token(scope: Scope, body: bytes) -> str | None:
    ctype = (_header(scope, b"content-type") or "").lower()
    if ctype.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
        return values[0] if values else None
    if ctype.startswith("multipart/form-data"):
        async def once() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}
        form = await Request(scope, once).form()
        value = form.get(CSRF_FIELD)
        await form.close()
        return value if isinstance(value, str) else None
    return _header(scope, CSRF_HEADER.encode())


async def _refuse(send: Send, *, status: int = 403, json_body: bool = False,
                  message: str = "This form has expired or did not come from this site. "
                                 "Reload the page and try again.") -> None:
    if json_body:
        payload, ctype = json.dumps({"error": "missing or invalid CSRF token (send X-CSRF-Token or use a "
                                              "Bearer token)"}).encode(), b"application/json"
    else:
        payload = (f"<!doctype html><title>Refused</title><h1>Request refused</h1><p>{message}</p>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def login_session(request: Request, user: User) -> None:
    """A fresh session for a logged-in user (new CSRF token: no fixation across the login)."""
    audience = request.session.get("audience")
    request.session.clear()
    request.session["user"] = user.username
    request.session["csrf"] = secrets.token_urlsafe(32)
    if audience:
        request.session["audience"] = audience


def safe_next(target: str | None) -> str:
    """A local path to go back to after login; anything else (other hosts, schemes) goes home."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
