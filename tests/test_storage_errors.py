"""Archive locations that cannot be used give an ArchiveError with a clear message (CLI exit 2)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from storage_helpers import PORTAL, page, report

from nianbao.cli import main
from storage.archive import Archive, ArchiveError
from storage.db import resolve


def test_unknown_scheme() -> None:
    with pytest.raises(ArchiveError, match="unsupported database scheme 'mysql'"):
        Archive.open("mysql://user@127.0.0.1/db")
    with pytest.raises(ArchiveError, match="unsupported database scheme"):
        Archive.open("nosuchdb://x/y")


def test_directory_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"directory .*nope.* does not exist"):
        Archive.open(str(tmp_path / "nope" / "a.db"))
    with pytest.raises(ArchiveError, match="does not exist"):
        Archive.open(f"sqlite:///{tmp_path}/nope/a.db")


def test_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="is a directory"):
        Archive.open(str(tmp_path))


def test_read_only_file_refused_for_writing_but_readable(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    with Archive.open(str(path)) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        with pytest.raises(ArchiveError, match="read-only"):
            Archive.open(str(path))
        with Archive.open(str(path), readonly=True) as ro:
            assert [r["agency"] for r in ro.export_records()] == ["山阳县人民政府"]
            with pytest.raises(ArchiveError, match="opened read-only"):
                ro.start_run("crawl", {})
    finally:
        path.chmod(0o644)


def test_readonly_needs_an_existing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        Archive.open(str(tmp_path / "absent.db"), readonly=True)
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(ArchiveError, match="not a nianbao archive"):
        Archive.open(str(empty), readonly=True)


def test_not_a_database_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ArchiveError, match=r"cannot open archive .*junk\.db: file is not a database"):
        Archive.open(str(junk))


@pytest.mark.postgres
def test_postgres_database_that_does_not_exist(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/nianbao_no_such_database"
    with pytest.raises(ArchiveError, match=r"cannot open archive .*nianbao_no_such_database"):
        Archive.open(url)


def test_postgres_server_not_listening() -> None:
    with pytest.raises(ArchiveError, match=r"cannot open archive postgresql\+psycopg://nobody@127\.0\.0\.1:9/x"):
        Archive.open("postgresql://nobody@127.0.0.1:9/x")


def test_password_never_shown() -> None:
    with pytest.raises(ArchiveError) as info:
        Archive.open("postgresql://nobody:s3cret@127.0.0.1:9/x")
    assert "s3cret" not in str(info.value)


def test_default_location_env_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIANBAO_DB", raising=False)
    assert resolve(None).sqlite_path == tmp_path / "nianbao.db"
    monkeypatch.setenv("NIANBAO_DB", str(tmp_path / "env.db"))
    assert resolve(None).sqlite_path == tmp_path / "env.db"
    assert resolve("rel/x.db").sqlite_path == tmp_path / "rel" / "x.db"
    assert str(resolve("postgres://u@h/d").url.drivername) == "postgresql+psycopg"
    with Archive.open() as a:
        assert a.stats()["reports"] == 0
    assert (tmp_path / "env.db").exists() and not (tmp_path / "nianbao.db").exists()


def test_cli_export_bad_db_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "jsonl", "--db", str(tmp_path / "no" / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", "--format", "jsonl", "--db", "ftp://h/x"]) == 2
    assert "unsupported database scheme" in capsys.readouterr().err


def test_readonly_archive_cannot_write_even_with_raw_sql(db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with Archive.open(db_url) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
    with Archive.open(db_url, readonly=True) as ro:
        assert ro.stats()["reports"] == 1
        with pytest.raises(ArchiveError, match="opened read-only"):
            ro.store_capture(page("http://127.0.0.1/2", "2"), None)
        # the connection itself is read-only too (SQLite mode=ro, PostgreSQL read-only transactions)
        with pytest.raises(DBAPIError, match=r"(?i)read-?only"), ro._engine.begin() as conn:
            conn.execute(text("DELETE FROM version_cells"))
        assert ro.stats()["cells"] == len(report().cells)
