"""Shared fixtures: archive database URLs on a real SQLite file and a real PostgreSQL server.

``db_url`` runs a test on both dialects with an EMPTY database; ``migrated_db_url`` with one
already at the head schema (copied from a per-session template: a test pays no migration). The PostgreSQL variant creates a fresh database per test
(``nianbao_t_<uuid>``) through the ``test`` database on 127.0.0.1:5432 and drops it afterwards
(WITH (FORCE)). If the server cannot be reached the test FAILS: CI must notice a missing service.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from shared_data import SHARED

PG_HOST = os.environ.get("NIANBAO_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("NIANBAO_TEST_PG_PORT", "5432"))
PG_ADMIN_DB = os.environ.get("NIANBAO_TEST_PG_DB", "test")
PG_USERS = [u for u in (os.environ.get("NIANBAO_TEST_PG_USER"), "postgres", "root") if u]



def _admin_connect() -> tuple[psycopg.Connection, str]:
    errors = []
    for user in PG_USERS:
        try:
            conn = psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user, autocommit=True, connect_timeout=10
            )
            return conn, user
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {exc}")
    pytest.fail(
        f"PostgreSQL at {PG_HOST}:{PG_PORT}/{PG_ADMIN_DB} is not reachable ({'; '.join(errors)}); "
        "start it with scripts/services",
        pytrace=False,
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database, dropped after the test."""
    admin, user = _admin_connect()
    name = f"nianbao_t_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLAlchemy URL of a (not yet existing) SQLite archive file in tmp_path."""
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The archive URL on each dialect in turn."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from storage.archive import Archive

    path = tmp_path_factory.mktemp("template") / "archive.db"
    Archive.open(str(path)).close()
    with sqlite3.connect(path) as conn:  # everything in the main file, so one file copy is complete
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[tuple[str, str]]:
    from storage.archive import Archive

    admin, user = _admin_connect()
    name = f"nianbao_tmpl_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            Archive.open(f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}").close()
            yield name, user
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An archive at the head schema on each dialect in turn (a fresh copy per test)."""
    if request.param == "sqlite":
        target = tmp_path / "archive.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template, user = request.getfixturevalue("_pg_template")
    admin, _ = _admin_connect()
    name = f"nianbao_t_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        try:
            yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not SHARED.is_dir():
        pytest.exit(
            f"the tests read the shared reference data (seeds, samples, domain files) at {SHARED}: clone the "
            "repository beside shared/ or set NIANBAO_SHARED to its path",
            returncode=2,
        )


@pytest.fixture
def shared_dir() -> Path:
    """shared/ (beside the repo in CI, or $NIANBAO_SHARED): domain reference, seeds, samples."""
    return SHARED
