"""`medoracle check`, `medoracle threads prune` and the multi-worker `serve`: running a deployment.

Registered by `add_commands(subparsers)` (the convention of `medoracle.cli`). Storage faults surface as
`StorageFault`, which `medoracle.cli.main` prints as one line and exits with code 3.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from medoracle.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(db=getattr(args, "db", None) or None)


def check_database(settings: Settings) -> list[str]:
    """Integrity problems of the evidence store and the editorial tables (empty when sound)."""
    from medoracle.editorial import open_repository
    from medoracle.store import open_store

    store = open_store(settings)
    try:
        problems = store.check()
    finally:
        store.close()
    open_repository(settings).close()  # opens (and migrates) the editorial tables: refuses a newer database
    return problems


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    problems = check_database(settings)
    if problems:
        for p in problems[:50]:
            print(f"{settings.database}: {p}", file=sys.stderr)
        print(f"{settings.database} is damaged ({len(problems)} problem(s)); restore it from a backup, or "
              "re-ingest the corpora into a new database", file=sys.stderr)
        return 3
    print(f"{settings.database}: ok")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from medoracle.editorial import open_repository
    from medoracle.editorial.threads import ThreadStore
    from medoracle.errors import BadInput

    settings = _settings(args)
    days = args.days if args.days is not None else settings.thread_retention_days
    if not days or days <= 0:
        raise BadInput("say how old a thread must be: --days N (or set thread_retention_days)")
    n = ThreadStore(open_repository(settings)).prune(days)
    print(f"{n} thread(s) unused for {days:g} days deleted")
    return 0


def prepare_serving(settings: Settings, on_progress: Any = None) -> None:
    """What must happen once before any worker starts: migrations, the knowledge base, the startup check."""
    from medoracle.editorial import open_repository
    from medoracle.editorial.threads import ThreadStore
    from medoracle.errors import StoreError
    from medoracle.store import open_store

    store = open_store(settings)
    repository = open_repository(settings)
    try:
        if settings.check_at_startup:
            problems = store.check()
            if problems:
                raise StoreError(f"{store.path} failed its integrity check ({problems[0]}); restore it from a "
                                 "backup, or set check_at_startup = false to serve it anyway")
        if settings.uses_default_database:
            from medoracle.kb.build import ensure_knowledge_base
            ensure_knowledge_base(store, settings, repository, on_progress=on_progress)
        if settings.thread_retention_days > 0:
            ThreadStore(repository).prune(settings.thread_retention_days)
    finally:
        store.close()
        repository.close()


def worker_environment(settings: Settings, host: str, port: int) -> dict[str, str]:
    """What each worker's settings must say beyond the environment: its database, and what the address it
    serves on decides in one process (Secure cookies when not on loopback, canonical links), since a worker's
    create_app() is called without that address."""
    from medoracle.web.security import secure_cookies

    env = {"MEDORACLE_DB": settings.db, "MEDORACLE_DATA_DIR": settings.data_dir,
           "MEDORACLE_SECURE_COOKIES": "on" if secure_cookies(settings, host) else "off"}
    if not settings.base_url:
        env["MEDORACLE_BASE_URL"] = f"http://{host}:{port}"
    return env


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """uvicorn with N worker processes, each building its own app from the same settings."""
    import uvicorn

    prepare_serving(settings)
    os.environ.update(worker_environment(settings, host, port))
    # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer; the app reads it from
    # `trusted_proxies` only (medoracle.web.proxies)
    uvicorn.run("medoracle.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=False, access_log=False)


def add_commands(sub: Any) -> None:
    s = sub.add_parser("check", help="check the database's integrity (pages, indexes, full-text index)")
    s.add_argument("--db")
    s.set_defaults(run=_check)

    threads = sub.add_parser("threads", help="manage stored conversation threads")
    tsub = threads.add_subparsers(metavar="ACTION")
    s = tsub.add_parser("prune", help="delete threads not used for N days")
    s.add_argument("--db")
    s.add_argument("--days", type=float, help="default: the thread_retention_days setting")
    s.set_defaults(run=_prune)
