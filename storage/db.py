"""Resolve an archive location to a SQLAlchemy engine, with the SQLite settings the crawl relies on.

Why a module of its own: the CLI (`nianbao db`), the Archive and the tests all need the same answer
to "what does --db mean" and the same SQLite pragmas (WAL so researchers can read while a crawl
writes; a long busy timeout so two writers queue instead of failing; foreign keys on).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_SQLITE_FILE = "nianbao.db"
ENV_VAR = "NIANBAO_DB"
BUSY_TIMEOUT_MS = 30_000


class DatabaseLocationError(Exception):
    """The --db value cannot be used (message is meant for the user)."""


@dataclass(frozen=True, slots=True)
class Location:
    """A resolved archive location: the SQLAlchemy URL plus, for SQLite, the file path."""

    url: URL
    sqlite_path: Path | None  # None for a server database (or an in-memory SQLite)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def display(self) -> str:
        """The location without any password, for messages."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return self.url.render_as_string(hide_password=True)


def resolve(url: str | None) -> Location:
    """None -> $NIANBAO_DB -> ./nianbao.db; a plain path means a SQLite file.

    ``postgresql://`` / ``postgres://`` are mapped to the psycopg 3 driver (the one installed).
    """
    if url is None or not str(url).strip():
        url = os.environ.get(ENV_VAR) or DEFAULT_SQLITE_FILE
    url = str(url).strip()
    if "://" not in url:
        path = Path(url).expanduser().absolute()
        return Location(URL.create("sqlite", database=str(path)), path)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseLocationError(f"cannot understand database URL {url!r}: {exc}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseLocationError(
            f"unsupported database scheme {parsed.drivername!r} in {parsed.render_as_string(hide_password=True)!r}: "
            "use a SQLite file path, sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    if backend == "sqlite":
        db = parsed.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return Location(parsed, None)
        path = Path(db).expanduser().absolute()
        return Location(parsed.set(database=str(path)), path)
    return Location(parsed, None)


def check_sqlite_path(path: Path, *, readonly: bool) -> None:
    """Fail early with a clear message instead of SQLite's terse 'unable to open database file'."""
    if path.is_dir():
        raise DatabaseLocationError(f"{path} is a directory, not an archive file")
    parent = path.parent
    if not parent.is_dir():
        raise DatabaseLocationError(f"directory {parent} does not exist (cannot create archive {path.name} there)")
    if readonly:
        if not path.exists():
            raise DatabaseLocationError(f"archive {path} does not exist (nothing to read)")
        return
    if path.exists():
        mode = path.stat().st_mode
        # Root passes os.access for everything, so also look at the permission bits themselves.
        if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise DatabaseLocationError(
                f"archive {path} is read-only; open it read-only (researchers: `nianbao serve`/exports) "
                "or fix its permissions"
            )
    if not os.access(parent, os.W_OK):
        raise DatabaseLocationError(f"directory {parent} is not writable (SQLite needs it for its WAL files)")


def _sqlite_readonly_url(path: Path) -> URL:
    # pysqlite's URI mode: the query string goes to SQLite, "uri=true" is consumed by the dialect.
    return URL.create("sqlite", database="file:" + urllib.parse.quote(str(path)), query={"mode": "ro", "uri": "true"})


def create_archive_engine(location: Location, *, readonly: bool = False) -> Engine:
    """An engine for the archive. SQLite: WAL, foreign keys, busy timeout, explicit BEGIN (IMMEDIATE
    for writers so two writers queue on the busy timeout instead of deadlocking on lock upgrade).
    """
    try:
        if location.is_sqlite:
            return _sqlite_engine(location, readonly=readonly)
        connect_args: dict[str, object] = {"connect_timeout": 10}
        if readonly:
            connect_args["options"] = "-c default_transaction_read_only=on"
        return create_engine(location.url, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseLocationError(f"cannot use database {location.display()}: {exc}") from exc


def _enable_wal(cur: sqlite3.Cursor, timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """Switch the database to WAL mode (a no-op once it is). Processes opening a fresh database
    at once race for the switch, and SQLite answers the loser "database is locked" at once,
    without waiting on busy_timeout: retry that, with a short backoff, for up to ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _sqlite_engine(location: Location, *, readonly: bool) -> Engine:
    url = location.url
    if location.sqlite_path is not None:
        check_sqlite_path(location.sqlite_path, readonly=readonly)
        if readonly:
            url = _sqlite_readonly_url(location.sqlite_path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below decide when and how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                _enable_wal(cur)
                cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = "" if readonly else conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
