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
# 0003 keeps a version's cells and checks as JSON documents: the tables become views.
HEAD_TABLES = (TABLES - {"cells", "checks"}) | {"parse_runs", "version_cells", "version_checks"}
HEAD_VIEWS = VIEWS | {"cells", "checks"}


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
        assert at_head == (HEAD_TABLES, HEAD_VIEWS, (migrate.head_revision(),))
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
    assert _schema(db_url)[0] == HEAD_TABLES
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


# --- 0003: cells and checks move into JSON documents per version, and back --------------------------

_CELLS_0002 = [  # (version, key, value, raw): integers, fractions, negatives, nulls, CJK and quotes
    (1, "t3.new_received.total", 318.0, "318"),
    (1, "t3.carried_over.total", 0.0, "0"),
    (1, "t2.art20_8.fees.amount", 9.63211, "9.63211万元"),
    (1, "t3.granted.total", None, "—"),
    (1, "t1.rules.change", -1.0, '减1件 "quoted" \\ back'),
    (1, "t4.review.total", 12.0, None),
    (2, "t3.new_received.total", 25100.0, "25,100"),
]


def _cells_at_0002(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO agencies (id, name, kind) VALUES (1, '某县财政局', 'department')"))
    conn.execute(text("INSERT INTO reports (id, agency_id, year) VALUES (1, 1, 2023), (2, 1, 2024)"))
    for vid in (1, 2, 3):  # version 3: a report version without cells
        conn.execute(
            text(
                "INSERT INTO report_versions (id, report_id, version_no, is_current, created_at, template, source,"
                " parser_version, parse_status, content_hash) VALUES (:id, :r, :id, :cur, '2024-01-01 00:00:00+00',"
                " 'v2021', 'html', '0.9', 'ok', 'h')"
            ),
            {"id": vid, "r": 1 if vid == 1 else 2, "cur": vid != 3},
        )
    for vid, key, value, raw in _CELLS_0002:
        conn.execute(
            text("INSERT INTO cells (version_id, key, value, raw) VALUES (:v, :k, :x, :raw)"),
            {"v": vid, "k": key, "x": value, "raw": raw},
        )
    for vid, check, instance, verdict, detail in _CHECKS_0002:
        conn.execute(
            text('INSERT INTO checks (version_id, "check", instance, verdict, detail) VALUES (:v, :c, :i, :x, :d)'),
            {"v": vid, "c": check, "i": instance, "x": verdict, "d": detail},
        )


_CHECKS_0002 = [  # (version, check, instance, verdict, detail); '*' is the report level
    (1, "t3_flow", "*", "fail", None),
    (1, "t3_flow", "自然人", "fail", '期望 318，实得 "317"'),
    (1, "t3_flow", "总计", "pass", None),
    (1, "t4_subtotals", "*", "pass", None),
    (1, "t4_subtotals", "review", "pass", "维持+纠正+其他+尚未审结 = 总计"),
    (2, "t3_flow", "*", "not_assessable", None),  # verdicts only
    (3, "t3_row_total", "商业企业", "pass", None),  # instances only
]


def _check_rows(conn) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return sorted(
        tuple(r) for r in conn.execute(text('SELECT version_id, "check", instance, verdict, detail FROM checks'))
    )


def _cell_rows(conn) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return sorted(
        (int(r[0]), r[1], None if r[2] is None else float(r[2]), r[3])
        for r in conn.execute(text("SELECT version_id, key, value, raw FROM cells"))
    )


def test_0003_moves_cells_and_checks_into_documents_and_back(db_url: str) -> None:
    from storage import content_docs

    engine, where = open_engine(db_url)
    want = sorted(_CELLS_0002)
    try:
        migrate.upgrade(engine, "0002", where=where)
        with engine.begin() as conn:
            _cells_at_0002(conn)
        migrate.upgrade(engine, "0003", where=where)
        with engine.connect() as conn:
            assert _cell_rows(conn) == want  # the view gives back exactly the rows the table held
            assert _check_rows(conn) == sorted(_CHECKS_0002)
            assert dict(conn.execute(text("SELECT version_id, n_checks FROM version_checks")).all()) == {1: 3, 2: 0, 3: 1}
            docs = dict(conn.execute(text("SELECT version_id, cells FROM version_cells")).all())
            assert sorted(docs) == [1, 2]  # no document for a version without cells
            assert content_docs.decode(docs[1])["t2.art20_8.fees.amount"] == [9.63211, "9.63211万元"]
            assert dict(conn.execute(text("SELECT version_id, n_cells FROM version_cells")).all()) == {1: 6, 2: 1}
            wide = conn.execute(
                text(
                    "SELECT version_id, t3__new_received__total, t4__review__total, check_t3_flow, "
                    "check_t4_subtotals FROM report_wide ORDER BY 1"
                )
            ).all()
            assert [tuple(r) for r in wide] == [(1, 318.0, 12.0, "fail", "pass"), (2, 25100.0, None, "not_assessable", None)]
            values = conn.execute(text("SELECT count(*), sum(value) FROM cell_values")).one()
            assert (values[0], round(values[1], 5)) == (7, 25438.63211)
        migrate.downgrade(engine, "0002", where=where)
        with engine.connect() as conn:
            assert _cell_rows(conn) == want  # and back into rows, nothing lost
            assert _check_rows(conn) == sorted(_CHECKS_0002)
        assert _schema(db_url)[0] == TABLES | {"parse_runs"}
    finally:
        engine.dispose()


def test_cells_documents_written_by_the_archive_read_back_through_the_view(migrated_db_url: str) -> None:
    """What the current code writes is what researchers' SQL on ``cells`` sees."""
    from crawler.parsing.result import Cell, Metadata, ParseResult
    from storage.records import FetchedResponse, PortalInfo

    cells = {
        "t3.new_received.total": Cell("t3.new_received.total", 318, "增318件"),
        "t3.granted.total": Cell("t3.granted.total", None, "—"),
        "t2.art20_8.fees.amount": Cell("t2.art20_8.fees.amount", 9.63211, "9.63211"),
        "t1.rules.change": Cell("t1.rules.change", float("inf"), "9" * 400),  # no JSON for inf: null, raw kept
    }
    parsed = ParseResult(
        status="ok",
        template="v2021",
        parser_version="1",
        metadata=Metadata(title="某局2023年政府信息公开工作年度报告", agency="某局", agency_kind="department", year=2023),
        cells=cells,
    )
    page = FetchedResponse(url="http://127.0.0.1/a.html", final_url="http://127.0.0.1/a.html", status=200,
                           body=b"<html></html>", response_headers=[])
    with Archive.open(migrated_db_url) as a:
        run = a.start_run("test", {})
        out = a.record_report(run_id=run, portal=PortalInfo(name="某县"), page=page, parsed=parsed)
        assert a.stats()["cells"] == 4
    engine, _ = open_engine(migrated_db_url)
    try:
        with engine.connect() as conn:
            assert _cell_rows(conn) == [
                (out.version_id, "t1.rules.change", None, "9" * 400),
                (out.version_id, "t2.art20_8.fees.amount", 9.63211, "9.63211"),
                (out.version_id, "t3.granted.total", None, "—"),
                (out.version_id, "t3.new_received.total", 318.0, "增318件"),
            ]
            row = conn.execute(text("SELECT t3__new_received__total, t3__granted__total FROM report_wide")).one()
            assert tuple(row) == (318.0, None)
    finally:
        engine.dispose()
