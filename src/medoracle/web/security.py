"""Sessions, CSRF and who is asking.

Sessions are Starlette's signed cookie (itsdangerous, HttpOnly, SameSite=Lax). Every POST to a page route
must carry the session's CSRF token in a `csrf_token` form field; the check is middleware, so a new form
cannot forget it. The JSON API accepts a Bearer token (no CSRF needed: a browser never sends one on its
own) or the session cookie plus an `X-CSRF-Token` header.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
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
MAX_API_BYTES = 1_000_000  # a whole Answer with its quoted passages is ~50 kB; nothing the API takes is larger
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# Inline scripts are never needed (JSON-LD is data, not script): a CSP is the second line of defence behind
# autoescaping. Sent on every response, errors and refusals included.
SECURITY_HEADERS = (
    (b"content-security-policy", (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                  b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
log = logging.getLogger("medoracle.web")


def secure_cookies(settings: Settings, host: str | None) -> bool:
    """`secure_cookies`: on, off, or auto: on when the public address (`base_url`) is https, as behind a TLS
    proxy on loopback, or when the server listens on anything but a loopback address."""
    mode = str(settings.secure_cookies).lower()
    if mode in ("on", "off"):
        return mode == "on"
    if str(settings.base_url).lower().startswith("https://"):
        return True
    return bool(host) and host not in LOOPBACK and not str(host).startswith("127.")


class SecurityHeaders:
    """Adds the security headers to every response, and turns a crash into a 500 that carries them too
    (Starlette's own last-resort handler sits outside every middleware, so its 500s would go bare)."""

    def __init__(self, app: ASGIApp, on_crash: Callable[[Scope], tuple[bytes, str]]) -> None:
        self.app = app
        self.on_crash = on_crash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in have)]
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            log.exception("error on %s", scope.get("path"))
            if started:
                raise
            body, ctype = self.on_crash(scope)
            await with_headers({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", ctype.encode()),
                                            (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})


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
        declared = _header(scope, b"content-length") or ""
        limit = MAX_API_BYTES if scope["path"].startswith("/api/") else MAX_FORM_BYTES
        if re.fullmatch(r"[0-9]{1,19}", declared) and int(declared) > limit:
            await _refuse(send, status=413, json_body=scope["path"].startswith("/api/"),
                          message=f"Request body too large (the limit is {limit:,} bytes).")
            return
        if scope["path"].startswith("/api/"):
            body, too_big = await _read_body(receive, MAX_API_BYTES)
            if too_big:
                await _refuse(send, status=413, json_body=True,
                              message=f"Request body too large (the limit is {MAX_API_BYTES:,} bytes).")
                return
            receive = _replay(body, receive)
            auth = _header(scope, b"authorization") or ""
            # Bearer tokens are never sent by a browser on its own, and an anonymous session has no power
            # to abuse; a logged-in session must prove the request came from our own page.
            if auth.lower().startswith("bearer ") or not session.get("user") \
                    or _token_ok(session, _header(scope, CSRF_HEADER.encode())):
                await self.app(scope, receive, send)
                return
            await _refuse(send, json_body=True)
            return
        body, too_big = await _read_body(receive, MAX_FORM_BYTES)
        if too_big:
            await _refuse(send, status=413, message="Form too large.")
            return
        given = await _form_token(scope, body)
        if not _token_ok(session, given):
            await _refuse(send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
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
        error = message if status == 413 else ("missing or invalid CSRF token (send X-CSRF-Token or use a "
                                               "Bearer token)")
        payload, ctype = json.dumps({"error": error}).encode(), b"application/json"
    else:
        payload = (f"<!doctype html><title>Refused</title><h1>Request refused</h1><p>{message}</p>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


_KEPT = ("audience", "submitter")  # not secrets: the reader's choice, and which anonymous submissions were theirs


def login_session(request: Request, user: User) -> None:
    """A fresh session for a logged-in user (new CSRF token: no fixation across the login)."""
    kept = {k: request.session[k] for k in _KEPT if k in request.session}
    request.session.clear()
    now = int(time.time())
    request.session.update(kept)
    request.session.update({"user": user.username, "sv": user.session_version, "since": now, "seen": now,
                            "csrf": secrets.token_urlsafe(32)})


def end_login(request: Request) -> None:
    """Forget the login in this browser (keeping the reader's audience and submitter id)."""
    kept = {k: request.session[k] for k in _KEPT if k in request.session}
    request.session.clear()
    request.session.update(kept)


def submitter_id(request: Request) -> str:
    """This browser's id as an anonymous submitter, created on first use; kept across login and logout so
    that whoever submitted from here cannot review it after logging in."""
    value = request.session.get("submitter")
    if not value:
        value = secrets.token_urlsafe(24)
        request.session["submitter"] = value
    return str(value)


def safe_next(target: str | None) -> str:
    """A local path to go back to after login; anything else (other hosts, schemes) goes home."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
