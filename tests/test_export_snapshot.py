"""`nianbao snapshot`: a PostgreSQL archive copied into a fresh SQLite archive (Alembic schema),
table by table, equal row for row; the snapshot then serves, exports and reads like any archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from export_helpers import Built, build_archive
from sqlalchemy import create_engine, select

from nianbao.cli import main
from storage import snapshot
from storage.archive import Archive


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            out = {}
            for table in snapshot.copy_order(conn):
                order = list(table.primary_key.columns)
                out[table.name] = [tuple(_normal(v) for v in row) for row in conn.execute(select(table).order_by(*order))]
            return out
    finally:
        engine.dispose()


@pytest.fixture
def pg_built(pg_url: str) -> Built:
    return build_archive(pg_url)


@pytest.mark.postgres
def test_postgres_snapshot_equals_the_archive(pg_built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.db"
    assert main(["snapshot", "--db", pg_built.url, "--out", str(out)]) == 0
    assert "copied" in capsys.readouterr().err
    source, copy = _dump(pg_built.url), _dump(str(out))
    assert all(source[name] for name in ("blobs", "captures", "report_versions", "version_cells", "version_checks", "sections"))
    assert set(source) >= {"crawl_runs", "agencies", "reports", "report_version_captures", "agency_aliases"}
    for name in source:
        assert copy[name] == source[name], name
    # a real archive: migrations stamped, views work, the exports read the same records
    with Archive.open(str(out), readonly=True) as snap, Archive.open(pg_built.url, readonly=True) as pg:
        assert list(snap.export_records()) == list(pg.export_records())
        assert snap.read_blob(pg_built.script_sha) == pg.read_blob(pg_built.script_sha)
        assert snap.stats() == pg.stats()
    # and it can be served: the search index builds from it
    with Archive.open(str(out), readonly=True) as snap:
        assert snapshot.build_search_index(snap, tmp_path / "snap.search.db")


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(str(tmp_path_factory.mktemp("snapshot") / "src.db"))


def test_snapshot_refuses_to_overwrite_and_cleans_up(src: Built, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.db"
    out.write_bytes(b"precious")
    assert main(["snapshot", "--db", src.url, "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"precious"
    assert main(["snapshot", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "s2.db")]) == 2
    assert not (tmp_path / "s2.db").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".s2.db")]  # no half-written file left
    assert main(["snapshot", "--db", src.url, "--out", str(tmp_path / "s3.db")]) == 0
    assert _dump(str(tmp_path / "s3.db")) == _dump(src.url)


def test_snapshot_streams_in_batches(src: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches must give the same copy (each batch is its own insert)."""
    monkeypatch.setattr(snapshot, "ROW_BATCH", 3)
    monkeypatch.setattr(snapshot, "BLOB_BATCH", 2)
    seen: list[tuple[str, int]] = []
    counts = snapshot.copy_archive(src.url, tmp_path / "s.db", progress=lambda t, n: seen.append((t, n)))
    assert [n for t, n in seen if t == "captures"][:3] == [3, 6, 9]
    assert counts["version_cells"] == len(_dump(src.url)["version_cells"]) > 0
    assert _dump(str(tmp_path / "s.db")) == _dump(src.url)


@pytest.mark.postgres
def test_sqlite_archive_moves_into_an_empty_postgres_database(
    src: Built, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`nianbao snapshot --out postgresql://...`: every row arrives, and the archive goes on growing
    there (the id sequences were moved past the copied ids, so new rows do not collide)."""
    from export_helpers import PORTAL, page, report

    assert main(["snapshot", "--db", src.url, "--out", pg_url]) == 0
    assert "copied" in capsys.readouterr().err
    assert _dump(pg_url) == _dump(src.url)
    with Archive.open(pg_url) as pg, Archive.open(src.url, readonly=True) as lite:
        assert list(pg.export_records()) == list(lite.export_records())
        assert pg.stats() == lite.stats()
        before = pg.stats()
        run = pg.start_run("crawl", {})
        out = pg.record_report(
            run_id=run, portal=PORTAL, page=page("http://127.0.0.1/moved/2030.html", "new page"),
            parsed=report("山阳县人民政府", 2030, new_received=5),
        )  # fmt: skip
        assert out.change == "new" and pg.stats()["report_versions"] == before["report_versions"] + 1
        assert pg.integrity_problems() == []
    # a database that holds an archive already is refused, and left as it was
    assert main(["snapshot", "--db", src.url, "--out", pg_url]) == 2
    assert "is not empty" in capsys.readouterr().err
    with Archive.open(pg_url, readonly=True) as pg:
        assert pg.stats()["report_versions"] == before["report_versions"] + 1
