"""What every route needs: the app's parts, who is asking, role checks and page rendering."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import Accounts, User
from medoracle.errors import MedoracleError, PermissionDenied
from medoracle.settings import Settings
from medoracle.web.answering import Asker
from medoracle.web.security import csrf_token, end_login, submitter_id
from medoracle.web.view import AUDIENCES, parse_audience

TEMPLATES = Path(__file__).parent / "templates"


class LoginRequired(MedoracleError):
    """The action needs an account; pages redirect to the login form, the API answers 401."""


@dataclass
class Web:
    settings: Settings
    store: Any
    desk: ArticleDesk
    accounts: Accounts
    asker: Asker
    templates: Jinja2Templates


def web_of(request: Request) -> Web:
    return request.app.state.web


def current_user(request: Request) -> User | None:
    """The Bearer token's user, else the session's; disabled accounts and ended sessions count as nobody.

    A session ends when its account's `session_version` moved on (logout, password or role change,
    disable), after `session_idle_minutes` without a request, or `session_max_hours` after logging in.
    """
    if hasattr(request.state, "user"):
        return request.state.user
    web = web_of(request)
    user = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = web.accounts.by_token(auth[7:].strip())
        if user is None:
            raise LoginRequired("invalid or revoked API token")
    elif "session" in request.scope and request.session.get("user"):
        session = request.session
        user = web.accounts.get(str(session["user"]))
        now = int(time.time())
        settings = web.settings
        if (user is None or user.disabled or session.get("sv") != user.session_version
                or now - int(session.get("seen") or 0) > int(settings.session_idle_minutes) * 60
                or now - int(session.get("since") or 0) > int(settings.session_max_hours) * 3600):
            end_login(request)
            user = None
        else:
            if now - int(session.get("seen") or 0) >= 30:  # re-signed at most twice a minute
                session["seen"] = now
            submitter = session.get("submitter")
            if submitter:
                user = replace(user, sessions=(str(submitter),))
    request.state.user = user
    return user


def thread_owners(request: Request, *, browser: bool = True) -> tuple[str, ...]:
    """Who this request speaks for as a thread's owner, the one a new thread gets first: the account, then
    this browser. With `browser=False` (the JSON API) a client without a session cookie gets no browser id,
    so its threads are open to whoever holds their id (a cookie-less client could never continue them)."""
    keys: list[str] = []
    user = current_user(request)
    if user is not None:
        keys.append(f"user:{user.username}")
    if browser:
        keys.append(f"browser:{submitter_id(request)}")
    elif "session" in request.scope and request.session.get("submitter"):
        keys.append(f"browser:{request.session['submitter']}")
    return tuple(keys) or ("",)


def require_user(request: Request, *, review: bool = False, edit: bool = False) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired("log in to continue")
    if review and not user.can_review:
        raise PermissionDenied(f"{user.username} ({user.role}) cannot review articles")
    if edit and not user.is_editor:
        raise PermissionDenied(f"{user.username} ({user.role}) is not an editor")
    return user


def require_reader(request: Request) -> None:
    if not web_of(request).settings.public_read:
        require_user(request)


def require_asker(request: Request) -> None:
    if not web_of(request).settings.public_ask:
        require_user(request)


def audience_of(request: Request, given: str | None = None) -> str:
    """The reader's choice: explicit, else the cookie, else the site default."""
    return parse_audience(given or request.cookies.get("audience"), web_of(request).settings.audience).value


def page(request: Request, name: str, *, http_status: int = 200, **context: Any) -> Response:
    user = current_user(request)
    base = {"user": user, "csrf": csrf_token(request), "audience": audience_of(request), "audiences": AUDIENCES,
            "settings": web_of(request).settings, "path": request.url.path}
    return web_of(request).templates.TemplateResponse(request, name, {**base, **context}, status_code=http_status)
