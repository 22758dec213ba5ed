"""Accounts on the web: log in (throttled, audited), log out (everywhere), the advisory board, the audit log."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Form, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from medoracle.editorial.throttle import LoginThrottle
from medoracle.editorial.users import User
from medoracle.web.deps import current_user, page, require_user, web_of
from medoracle.web.proxies import client_address as proxied_client
from medoracle.web.published import display_name
from medoracle.web.security import end_login, login_session, safe_next

router = APIRouter(include_in_schema=False)

# argon2 takes ~50 ms of CPU per check: run it on its own two threads, so a burst of logins (right or wrong)
# queues here instead of filling the thread pool that serves every reader's page.
_PASSWORDS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-check")


def client_address(request: Request) -> str:
    """The client's address: the peer's, or behind a trusted proxy the one its header names
    (`medoracle.web.proxies`; uvicorn's own proxy handling is off, so this is the only reading)."""
    settings = web_of(request).settings
    header = str(settings.proxy_header).lower()
    return proxied_client(request.client.host if request.client else None, header,
                          request.headers.getlist(header), settings.trusted_networks)


def throttle_of(request: Request) -> LoginThrottle:
    return LoginThrottle(web_of(request).desk.audit)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=safe_next(next), error=None, username="")


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                next: str = Form("/")) -> Response:
    web = web_of(request)
    throttle, client = throttle_of(request), client_address(request)
    loop = asyncio.get_running_loop()
    username = username.strip()[:200]
    wait = await loop.run_in_executor(_PASSWORDS, throttle.retry_after, username, client)
    if wait:
        minutes = max(1, round(wait / 60))
        response = page(request, "login.html", http_status=429, next=safe_next(next), username=username,
                        error=f"Too many failed logins. Try again in about {minutes} minute{'s' * (minutes != 1)}.")
        response.headers["Retry-After"] = str(wait)
        return response
    user: User | None = await loop.run_in_executor(_PASSWORDS, web.accounts.authenticate, username, password)
    if user is None:
        await loop.run_in_executor(_PASSWORDS, throttle.failed, username, client)
        return page(request, "login.html", http_status=401, next=safe_next(next), username=username,
                    error="Wrong username or password, or the account is disabled.")
    login_session(request, user)
    request.state.user = user
    await loop.run_in_executor(_PASSWORDS, lambda: web.desk.audit.record(
        actor=user.username, action="login", subject=f"user:{user.username}", details={"client": client}))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Ends every session of the account, not only this browser's: simpler, and a stolen cookie dies too."""
    user = current_user(request)
    if user is not None and request.session.get("user") == user.username:
        web_of(request).accounts.end_sessions(user.username)
        web_of(request).desk.audit.record(actor=user.username, action="logout", subject=f"user:{user.username}")
    end_login(request)
    return RedirectResponse("/", status_code=303)


@router.get("/board")
def board(request: Request) -> Response:
    """The people who review articles, with their credentials and declared interests."""
    web = web_of(request)
    people = [u for u in web.accounts.list() if u.can_review]
    counts: dict[str, int] = {}
    for article in web.desk.list(status="approved", limit=500):
        for name in web.desk.approvals(article.slug):
            counts[name] = counts.get(name, 0) + 1
    return page(request, "board.html", people=people, counts=counts,
                approvals_required=web.desk.approvals_required)


@router.get("/audit")
def audit_page(request: Request, subject: str = Query("", max_length=300),
               before: str = Query("", max_length=20)) -> Response:
    """Staff read the audit log, newest first, with the result of checking its hash chain."""
    require_user(request, review=True)
    audit = web_of(request).desk.audit
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses
    start = int(before) if re.fullmatch(r"[0-9]{1,18}", before) else None
    entries = audit.entries(subject=subject.strip() or None, limit=100, newest_first=True, before=start)
    ok, bad = audit.verify_chain()
    # People by display name (the login name stays in the hover text: the record is kept under it).
    names = {e.actor: display_name(web_of(request), e.actor) for e in entries if e.actor}
    return page(request, "audit.html", entries=entries, ok=ok, bad=bad, head=audit.head(), subject=subject,
                older=entries[-1].id if len(entries) == 100 else None, names=names)
