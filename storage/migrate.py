"""Alembic plumbing (programmatic config, no alembic.ini) and the `nianbao db` command.

The migration scripts live in the ``migrations`` package; their location is computed from its
``__file__`` so an installed nianbao finds them too. Storage runs migrations on its own open
connection (passed through ``config.attributes["connection"]``).
"""

from __future__ import annotations

import argparse
import functools
import io
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

import migrations
from storage.archive import ArchiveError


def script_location() -> str:
    return str(Path(migrations.__file__).resolve().parent)


def alembic_config(connection: Connection | None = None, *, stdout: TextIO | None = None) -> Config:
    cfg = Config(stdout=stdout) if stdout is not None else Config()
    cfg.set_main_option("script_location", script_location())
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def script_directory() -> ScriptDirectory:
    """Loaded once per process: every Archive.open asks for the head revision."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revisions(conn: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(conn).get_current_heads())


def unknown_revisions(revisions: tuple[str, ...]) -> list[str]:
    """Revisions stamped in the database that this code does not know (a newer nianbao wrote them)."""
    scripts = script_directory()
    unknown = []
    for rev in revisions:
        try:
            if scripts.get_revision(rev) is None:
                unknown.append(rev)
        except CommandError:
            unknown.append(rev)
        except Exception:  # alembic raises ResolutionError subclasses for unknown ids
            unknown.append(rev)
    return unknown


def refuse_newer(revisions: tuple[str, ...], where: str) -> None:
    unknown = unknown_revisions(revisions)
    if unknown:
        raise ArchiveError(
            f"archive {where} has schema revision {', '.join(unknown)}, newer than this nianbao knows "
            f"(newest known: {head_revision()}); upgrade nianbao to use it"
        )


MIGRATION_LOCK_ID = 0x6E69616E62616F  # "nianbao": PostgreSQL advisory lock serialising migrations


def _serialise(conn: Connection) -> None:
    """Two processes opening a fresh archive at once must not both run 0001. SQLite already holds
    the write lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")


def _run(engine: Engine, where: str, action: str, revision: str) -> None:
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        _serialise(conn)
        # read the stamp under the lock: another process may have migrated meanwhile
        refuse_newer(current_revisions(conn), where)
        getattr(command, action)(alembic_config(conn), revision)


def upgrade(engine: Engine, revision: str = "head", *, where: str = "") -> None:
    """Create or upgrade the schema on ``engine`` in one transaction (SQLite: BEGIN IMMEDIATE)."""
    _run(engine, where, "upgrade", revision)


def downgrade(engine: Engine, revision: str, *, where: str = "") -> None:
    _run(engine, where, "downgrade", revision)


def run_db_command(args: argparse.Namespace) -> int:
    """`nianbao db upgrade|downgrade|current|history [revision]`."""
    from storage.archive import open_engine

    action = args.action
    if action == "history":
        out = io.StringIO()
        command.history(alembic_config(stdout=out), verbose=False)
        print(out.getvalue().rstrip() or "(no revisions)")
        return 0
    engine, where = open_engine(args.db, readonly=action == "current")
    try:
        if action == "upgrade":
            upgrade(engine, args.revision or "head", where=where)
            action_done = "upgraded"
        elif action == "downgrade":
            downgrade(engine, args.revision or "-1", where=where)
            action_done = "downgraded"
        else:
            action_done = ""
        with engine.connect() as conn:
            revs = current_revisions(conn)
        refuse_newer(revs, where)
        head = head_revision()
        shown = ", ".join(f"{r} (head)" if r == head else r for r in revs) or "(empty: no schema)"
        if action_done:
            print(f"{where}: {action_done}; schema revision {shown}")
        else:
            print(shown)
        return 0
    finally:
        engine.dispose()
