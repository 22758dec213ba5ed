"""Connections to one database, SQLite or PostgreSQL: per-thread connections, explicit transactions, locks.

The evidence stores and the editorial repository are written against `Database`; which one they get is
chosen by URL scheme (`open_database`). SQL passed in uses `?` placeholders; the PostgreSQL side turns them
into psycopg's `%s`. Storage faults come out as `StorageFault`, one line naming the file and what to do.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from medoracle.store.faults import StorageFault, lock_wait_seconds, sqlite_fault

try:  # psycopg is the [pg] extra: importing this module must not fail without it
    import psycopg
    from psycopg import sql as pgsql
    from psycopg.rows import tuple_row
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    psycopg = None  # type: ignore[assignment]

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PASSWORD = re.compile(r"(://[^:/@]+):[^@]*@")
Row = tuple[Any, ...]
T = TypeVar("T")


def is_postgres(location: str) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """A URL fit for messages and logs: the password replaced by ***."""
    return _PASSWORD.sub(r"\1:***@", url)


class Tx(Protocol):
    """One open transaction: statements run in it, commit at the end of the `with` block, roll back on error."""

    dialect: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows as tuples (empty for statements that return none)."""

    def lock(self, name: str) -> None:
        """Hold a named lock until the transaction ends (SQLite: already exclusive; PostgreSQL: advisory)."""


class Database(Protocol):
    """What stores and repositories need from a database connection."""

    dialect: str
    location: str

    def transaction(self) -> AbstractContextManager[Tx]:
        """A context manager yielding a `Tx` that holds the write lock from its first statement."""

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement outside any explicit transaction (reads)."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """A context manager holding a cross-process lock named `name` that does not block other writes."""

    def close(self) -> None: ...


class _SQLiteTx:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, location: str) -> None:
        self.conn = conn
        self.location = location

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return [tuple(r) for r in self.conn.execute(statement, tuple(params)).fetchall()]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                raise
            raise sqlite_fault(self.location, exc) from exc

    def lock(self, name: str) -> None:  # BEGIN IMMEDIATE already made this transaction the only writer
        return None


# One lock per file for the writers of this process. Without it, 50 threads meeting at BEGIN IMMEDIATE all
# poll SQLite's busy handler, which sleeps in growing steps: an ask waited up to 14 s for a write that takes
# milliseconds (p99 at 50 askers, `serve_load.py`). A Python lock queues them instead; other processes
# are still kept out by SQLite's own lock.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_lock(path: str) -> threading.RLock:
    key = os.path.realpath(path) if path != ":memory:" else f":memory:{threading.get_ident()}"
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.RLock())


def _busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def _until_free(fn: Callable[[], T]) -> T:
    """`fn()`, retried while another process holds the lock, for up to the lock wait.

    SQLite's busy handler covers most waits, but not all: where waiting could deadlock (a read snapshot
    older than the last commit asking for the write lock, two connections switching a fresh file to WAL at
    once) it answers SQLITE_BUSY at once. Both clear when the statement is simply tried again a moment
    later, so one of two ingests started together into a fresh file must not die of it (it did on CI)."""
    deadline = time.monotonic() + lock_wait_seconds()
    pause = 0.01
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


class SQLiteDatabase:
    """A SQLite file in WAL mode; one connection per thread, transactions begun with BEGIN IMMEDIATE."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self.location = str(path)
        self.synchronous = synchronous
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        if self.location != ":memory:":
            Path(self.location).parent.mkdir(parents=True, exist_ok=True)
        self._writer = _writer_lock(self.location)

    def connect(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode: every transaction is opened explicitly."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = _until_free(self._open)
            except sqlite3.DatabaseError as exc:
                raise sqlite_fault(self.location, exc) from exc
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def _open(self) -> sqlite3.Connection:
        wait = lock_wait_seconds()
        conn = sqlite3.connect(self.location, timeout=wait, check_same_thread=False, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL for derived evidence (an ingest can be rerun); FULL where a lost write is a lost review
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    @contextmanager
    def transaction(self) -> Iterator[_SQLiteTx]:
        conn = self.connect()
        if conn.in_transaction:  # nested in this thread's own transaction: part of it
            yield _SQLiteTx(conn, self.location)
            return
        with self._writer:
            yield from self._transaction(conn)

    def _transaction(self, conn: sqlite3.Connection) -> Iterator[_SQLiteTx]:
        try:
            # the write lock now, so read-check-write sequences are serialised
            _until_free(lambda: conn.execute("BEGIN IMMEDIATE"))
        except sqlite3.DatabaseError as exc:
            raise sqlite_fault(self.location, exc) from exc
        try:
            yield _SQLiteTx(conn, self.location)
        except BaseException as exc:
            if conn.in_transaction:
                conn.rollback()
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                raise sqlite_fault(self.location, exc) from exc
            raise
        try:
            conn.commit()
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.rollback()
            raise sqlite_fault(self.location, exc) from exc

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return _SQLiteTx(self.connect(), self.location).execute(statement, params)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        # a lock file beside the database: holding BEGIN IMMEDIATE instead would block the very writes
        # (an ingest) the lock holder wants to make
        if self.location == ":memory:":
            yield
            return
        path = f"{self.location}.{name}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageFault(f"{path}: cannot create a lock file beside the database ({exc.strerror}); "
                               "make the folder writable") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local.conn = None


def _pg_statement(statement: str) -> str:
    # `?` placeholders become `%s`; a literal % must be doubled for psycopg
    return statement.replace("%", "%%").replace("?", "%s")


class _PostgresTx:
    dialect = "postgres"

    def __init__(self, conn: Any, location: str) -> None:
        self.conn = conn
        self.location = location

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cur = self.conn.cursor(row_factory=tuple_row).execute(_pg_statement(statement), tuple(params))
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        except psycopg.errors.IntegrityError:
            raise
        except psycopg.Error as exc:
            raise StorageFault(f"PostgreSQL at {self.location}: {str(exc).strip().splitlines()[0]}") from exc

    def lock(self, name: str) -> None:
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()))", (f"medoracle.{name}.",))


# Connections one process keeps open to one database. uvicorn runs sync endpoints on up to 40 threads; a
# connection per thread for the store and another for the repository ran a server with 2 workers out of
# PostgreSQL's default 100 (`serve_load.py`, 50 askers: 181 errors). Threads beyond this wait their turn.
POOL_SIZE = 8
POOL_WAIT_S = 30


class PostgresDatabase:
    """A PostgreSQL database (optionally one schema of it) through a small pool of autocommit connections."""

    dialect = "postgres"

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        if psycopg is None:
            raise StorageFault("the PostgreSQL backend needs psycopg: pip install 'medoracle[pg]'")
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise StorageFault(f"{schema!r} is not a plain schema name (letters, digits, underscore)")
        self.url = url
        self.schema = schema
        self.location = redact(url) + (f" (schema {schema})" if schema else "")
        self._local = threading.local()
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        if schema:
            conn = self._open(search_path=False)
            with conn.transaction():  # IF NOT EXISTS alone still collides when workers start together
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('medoracle.schema'))")
                conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema)))
            conn.close()

    def _open(self, search_path: bool = True) -> Any:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StorageFault(f"cannot reach PostgreSQL at {self.location}: {str(exc).strip()}; "
                               "check that the server runs and the URL is right") from exc
        if self.schema and search_path:
            # public stays on the path: where pgvector and other extensions usually live
            conn.execute(pgsql.SQL("SET search_path TO {}, public").format(pgsql.Identifier(self.schema)))
        return conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection from the pool for the duration of the block (the same one if this thread has one)."""
        held = getattr(self._local, "held", None)
        if held is not None:  # nested use in one thread shares the connection: no self-deadlock on the pool
            yield held
            return
        if not self._slots.acquire(timeout=POOL_WAIT_S):
            raise StorageFault(f"PostgreSQL at {self.location}: all {POOL_SIZE} connections of this process "
                               f"stayed busy for {POOL_WAIT_S} s; the server is overloaded or a query hangs")
        conn = None
        try:
            with self._idle_lock:
                while self._idle and conn is None:
                    candidate = self._idle.pop()
                    conn = None if candidate.closed or candidate.broken else candidate
            if conn is None:
                conn = self._open()
            self._local.held = conn
            yield conn
        finally:
            self._local.held = None
            if conn is not None:
                if conn.closed or conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.close()  # never hand a half-finished transaction to the next caller
                else:
                    with self._idle_lock:
                        self._idle.append(conn)
            self._slots.release()

    @contextmanager
    def transaction(self) -> Iterator[_PostgresTx]:
        with self.connection() as conn, conn.transaction():
            yield _PostgresTx(conn, self.location)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.connection() as conn:
            return _PostgresTx(conn, self.location).execute(statement, params)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        # a session-level advisory lock on a connection of its own: other connections' writes go on
        conn = self._open()
        try:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s || current_schema()))", (f"medoracle.{name}.",))
            yield
        finally:
            conn.close()

    def close(self) -> None:
        with self._idle_lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()


def open_database(location: str, *, schema: str | None = None, synchronous: str = "NORMAL") -> Database:
    """The database a location names: a postgresql:// URL or a SQLite file path."""
    if is_postgres(location):
        return PostgresDatabase(location, schema=schema)
    return SQLiteDatabase(location, synchronous=synchronous)


def integrity_errors() -> tuple[type[BaseException], ...]:
    """The exception classes both drivers raise for a violated UNIQUE / foreign-key constraint."""
    errors: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
    if psycopg is not None:
        errors += (psycopg.errors.IntegrityError,)
    return errors
