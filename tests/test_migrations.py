"""Alembic migrations on SQLite and PostgreSQL: up/down/up, models agree with the migration,
newer revisions refused, and the `nianbao db` command."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from nianbao.cli import main
from storage import migrate
from storage.archive import Archive, ArchiveError, open_engine
from storage.models import Base

TABLES = {  # created by 0001; later revisions add more
    "blobs", "crawl_runs", "captures", "agencies", "agency_aliases", "reports", "report_versions",
    "report_version_captures", "cells", "checks", "sections",
}
VIEWS = {"report_wide", "cell_values"}


def _schema(url: str) -> tuple[set[str], set[str], tuple[str, ...]]:
    engine, _ = open_engine(url)
    try:
        insp = inspect(engine)
        with engine.connect() as conn:
            revs = migrate.current_revisions(conn)
        return set(insp.get_table_names()) - {"alembic_version"}, set(insp.get_view_names()), revs
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine, where = open_engine(db_url)
    try:
        migrate.upgrade(engine, "0001", where=where)
        assert _schema(db_url) == (TABLES, VIEWS, ("0001",))
        migrate.upgrade(engine, where=where)  # later revisions add tables on top of 0001
        at_head = _schema(db_url)
        assert at_head[0] >= TABLES and at_head[1] >= VIEWS and at_head[2] == (migrate.head_revision(),)
        migrate.downgrade(engine, "base", where=where)
        assert _schema(db_url) == (set(), set(), ())
        migrate.upgrade(engine, where=where)
        assert _schema(db_url) == at_head
        migrate.downgrade(engine, "0001", where=where)
        assert _schema(db_url) == (TABLES, VIEWS, ("0001",))
    finally:
        engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    """The ORM models and the explicit migration describe the same schema (no autogenerate diff)."""
    engine, where = open_engine(db_url)
    try:
        migrate.upgrade(engine, where=where)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_newer_schema_revision_is_refused(db_url: str) -> None:
    Archive.open(db_url).close()
    engine, _ = open_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        engine.dispose()
    with pytest.raises(ArchiveError, match=r"9999_from_the_future, newer than this nianbao knows"):
        Archive.open(db_url)
    with pytest.raises(ArchiveError, match="newer"):
        Archive.open(db_url, readonly=True)
    assert main(["db", "upgrade", "--db", db_url]) == 2


def test_cli_db_upgrade_current_downgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = migrate.head_revision()
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert f"{head} (head)" in capsys.readouterr().out
    assert _schema(db_url)[0] >= TABLES
    assert main(["db", "current", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"{head} (head)"
    assert main(["db", "downgrade", "base", "--db", db_url]) == 0
    assert "(empty: no schema)" in capsys.readouterr().out
    assert _schema(db_url) == (set(), set(), ())
    assert main(["db", "upgrade", "head", "--db", db_url]) == 0
    assert _schema(db_url)[2] == (head,)


def test_cli_db_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "history"]) == 0
    out = capsys.readouterr().out
    assert "0001" in out and "Initial archive schema" in out


def test_cli_db_bad_location_exits_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["db", "upgrade", "--db", str(tmp_path / "missing" / "a.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_open_creates_schema_once_and_reopens(db_url: str) -> None:
    with Archive.open(db_url) as a:
        a.start_run("crawl", {})
    with Archive.open(db_url) as a:  # already at head: no migration, data kept
        assert a.stats()["runs"] == 1
