"""Storage faults as one clear line: which file, what is wrong with it, and what to do.

`StorageFault` is a `StoreError`: the CLI exits with code 3 and the web answers 503 with this message,
never a traceback. `sqlite_fault` reads SQLite's error codes, which say more than its messages.
"""

from __future__ import annotations

import os
import sqlite3

from medoracle.errors import StoreError


class StorageFault(StoreError):
    """The database cannot be read or written: corrupt, read-only, full, or from a newer version."""


class NewerDatabase(StorageFault):
    """The database was written by a newer medoracle (it records migrations this version does not know)."""


# sqlite3 error codes (sqlite3.h); exc.sqlite_errorcode is the extended code, & 0xFF the primary one
_READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB, _IOERR, _BUSY, _PERM = 8, 11, 13, 14, 26, 10, 5, 3


def lock_wait_seconds() -> float:
    """How long a writer waits for another process's write lock before giving up: 30 s, or
    MEDORACLE_LOCK_WAIT seconds (a slow shared disk, or long concurrent ingests)."""
    try:
        return max(1.0, float(os.environ.get("MEDORACLE_LOCK_WAIT", "30")))
    except ValueError:
        return 30.0


def sqlite_fault(path: str, exc: sqlite3.Error) -> StorageFault:
    """The StorageFault for a sqlite3 error raised while using `path`."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        what = (f"is damaged (SQLite reports: {text}); restore it from a backup, or run `medoracle check --db {path}` "
                "to see what is wrong")
    elif primary == _READONLY or "readonly" in text or "read-only" in text:
        what = (f"is read-only ({text}); give this user write permission on the file and its folder "
                "(and clear any immutable flag), or open a writable copy")
    elif primary == _FULL or "full" in text:
        what = f"cannot grow: the disk is full ({text}); free space or move the database, then retry"
    elif primary in (_CANTOPEN, _PERM):
        what = f"cannot be opened ({text}); check the path and that this user may read and write it"
    elif primary == _BUSY or "locked" in text:
        what = (f"is locked by another process for longer than {lock_wait_seconds():g} s ({text}); wait for the "
                "other writer (an ingest?) to finish, then retry (MEDORACLE_LOCK_WAIT sets the wait)")
    elif primary == _IOERR or "disk I/O" in text:
        what = (f"could not be read or written ({text}): the disk may be full, failing or unplugged; check it, "
                "then retry")
    else:
        what = f"cannot be used: {text}"
    return StorageFault(f"{path} {what}")
