"""The web app: ask, read, publish, review. FastAPI with server-rendered Jinja pages and a JSON API.

    create_app(settings=None, store=None, *, clinic=None) -> FastAPI

`clinic` is anything with `answer_stream(question, audience=, thread_id=)` (default: a
`medoracle.service.Clinic` over `store`, built on the first question).
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from medoracle.editorial.articles import ArticleDesk, ArticleNotFound
from medoracle.editorial.repository import EditorialRepository
from medoracle.editorial.users import Accounts
from medoracle.errors import BadInput, BadQuestion, MedoracleError, PermissionDenied, StoreError, WorkflowError
from medoracle.retrieve import MAX_QUESTION_CHARS
from medoracle.settings import Settings
from medoracle.store.base import Store
from medoracle.web.answering import AnswersQuestions, Asker
from medoracle.web.deps import TEMPLATES, LoginRequired, Web, page
from medoracle.web.security import CSRFMiddleware, SecurityHeaders, secret_key, secure_cookies
from medoracle.web.view import long_date, sentence

log = logging.getLogger("medoracle.web")
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, store: Store | None = None, *,
               clinic: AnswersQuestions | None = None, repository: EditorialRepository | None = None,
               host: str | None = None, port: int | None = None) -> FastAPI:
    """The whole site. Without `store`, opens the database the settings name (with the bundled knowledge base).

    Articles, accounts, threads, the audit log and the session key live in `repository` (default: the
    same database as the store), so every server sharing a PostgreSQL database sees the same of each.
    `host` and `port` are where `medoracle serve` listens: they decide `secure_cookies=auto` and the canonical
    address when `settings.base_url` is empty.
    """
    from medoracle.editorial import open_repository, repository_beside

    settings = settings or Settings.load()
    build_kb = False
    if store is None:
        from medoracle.store import open_store
        store = open_store(settings)
        build_kb = settings.uses_default_database
        repository = repository or open_repository(settings)
    repository = repository or repository_beside(store)
    app = FastAPI(title="medoracle", version=_version(),
                  description="Guideline-backed, cited answers to clinical questions, with editorial review.",
                  docs_url=None, redoc_url=None)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default=True),
                             undefined=jinja2.StrictUndefined if _strict() else jinja2.Undefined)
    env.filters["long_date"] = long_date
    env.filters["sentence"] = sentence
    env.globals["max_question"] = MAX_QUESTION_CHARS  # the one limit the retriever enforces
    templates = Jinja2Templates(env=env)
    app.state.web = Web(settings=settings, store=store, desk=ArticleDesk(repository, settings, passages=store),
                        accounts=Accounts(repository), asker=Asker(settings, store, repository, clinic, build_kb),
                        templates=templates)

    app.state.listen_url = f"http://{host}:{port}" if host and port else ""
    from medoracle.web import api, editorial, pages, staff
    app.include_router(api.router)
    app.include_router(editorial.router)
    app.include_router(staff.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _document_security(app, api.SECURITY_SCHEMES)

    # Order matters: the last added runs first, so sessions are decoded before the CSRF check reads them, and
    # the security headers wrap everything (errors included).
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SessionMiddleware, secret_key=secret_key(settings, repository),
                       session_cookie="medoracle_session", max_age=int(settings.session_max_hours) * 3600,
                       same_site="lax", https_only=secure_cookies(settings, host))
    app.add_middleware(SecurityHeaders, on_crash=lambda scope: _crash_body(scope))
    _install_error_handlers(app)
    return app


def _document_security(app: FastAPI, schemes: dict[str, Any]) -> None:
    """The schema names how to authenticate (operations say which schemes they accept)."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = schemes
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _strict() -> bool:
    import os
    return os.environ.get("MEDORACLE_STRICT_TEMPLATES") == "1"


def _version() -> str:
    try:
        from medoracle import __version__
        return __version__
    except ImportError:  # pragma: no cover
        return "0"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith(".json")


def _crash_body(scope: MutableMapping[str, Any]) -> tuple[bytes, str]:
    """What a request that crashed gets: the same `{"error": …}` or error page as any other error."""
    path = str(scope.get("path", ""))
    message = "An internal error occurred; it has been logged."
    if path.startswith("/api/") or path.endswith(".json"):
        return json.dumps({"error": message}).encode(), "application/json"
    return (f"<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1><p>{message}</p>"
            .encode(), "text/html; charset=utf-8")


def _status_handler(status: int):
    async def handler(request: Request, exc: Exception) -> Response:
        return _error(request, status, str(exc))
    return handler


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    titles = {400: "That request could not be used", 401: "Please log in", 403: "Not allowed",
              404: "Not found", 409: "Not possible now", 422: "That question could not be used",
              500: "Something went wrong", 503: "The database cannot be used"}
    return page(request, "error.html", http_status=status, title=titles.get(status, "Error"), message=message)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    # the most specific class wins (Starlette walks the exception's MRO), so BadQuestion is 422, other BadInput 400
    # a storage fault (damaged, read-only, full disk, newer version) is 503 with its one-line message
    for error, status in ((ArticleNotFound, 404), (PermissionDenied, 403), (WorkflowError, 409),
                          (BadQuestion, 422), (BadInput, 400), (StoreError, 503)):
        app.add_exception_handler(error, _status_handler(status))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}"
                             for e in exc.errors())
        return _error(request, 422, problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(MedoracleError)
    async def other(request: Request, exc: MedoracleError) -> Response:
        log.error("unhandled medoracle error on %s: %s", request.url.path, exc)
        return _error(request, 500, str(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("error on %s", request.url.path)
        return _error(request, 500, "An internal error occurred; it has been logged.")
