"""Concurrency: researchers read a SQLite archive while a crawl writes (WAL), and two processes
storing the same payloads at the same time end up with one blob each (both dialects)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from storage_helpers import PORTAL, page, report

from storage.archive import Archive

REPO = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_reader_not_blocked_by_open_write_transaction(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Archive.open(str(path)) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report(year=2019))
    # Another process opens a write transaction, writes a report, and holds the lock uncommitted.
    writer = _python(f"""
        import sys
        from storage.db import create_archive_engine, resolve
        from storage import writes as w
        from storage_helpers import PORTAL, page, report
        engine = create_archive_engine(resolve({str(path)!r}))
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            tx = conn.begin()
            w.put_capture(conn, page("http://127.0.0.1/2", "2"), None, None)
            agency = w.resolve_agency(conn, report().metadata, PORTAL)
            w.resolve_report(conn, agency, 2020, "http://127.0.0.1/2")
            print("locked", flush=True)
            sys.stdin.readline()
            tx.commit()
        print("committed", flush=True)
    """)
    try:
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline().strip() == "locked", writer.stderr.read() if writer.stderr else ""
        with Archive.open(str(path), readonly=True) as reader:
            stats = reader.stats()  # must not wait for the writer's lock
            assert (stats["captures"], stats["reports"]) == (1, 1)
            assert [r["year"] for r in reader.export_records()] == [2019]
            writer.stdin.write("go\n")
            writer.stdin.flush()
            assert writer.stdout.readline().strip() == "committed"
            assert reader.stats()["captures"] == 2  # new read transaction sees the commit
    finally:
        writer.kill() if writer.poll() is None else None
        writer.wait(10)


def test_reading_while_a_crawl_writes(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    Archive.open(str(path)).close()
    n = 60
    writer = _python(f"""
        from storage.archive import Archive
        from storage_helpers import PORTAL, page, report
        with Archive.open({str(path)!r}) as a:
            print("start", flush=True)
            for i in range({n}):
                a.record_report(run_id=None, portal=PORTAL, page=page(f"http://127.0.0.1/{{i}}", f"p{{i}}"),
                                parsed=report(agency=f"单位{{i}}"))
        print("done", flush=True)
    """)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "start"
    seen: list[int] = []
    with Archive.open(str(path), readonly=True) as reader:
        while writer.poll() is None:
            records = list(reader.export_records())
            # every record is complete: a reader never sees half of a report
            assert all(len(r["cells"]) == len(report().cells) for r in records)
            seen.append(len(records))
            time.sleep(0.005)
        assert writer.wait(60) == 0, writer.stderr.read() if writer.stderr else ""
        assert len(list(reader.export_records())) == n
    assert seen == sorted(seen)  # monotonic: committed data never disappears


def test_two_processes_create_and_fill_one_archive(db_url: str) -> None:
    """Both processes open the fresh database at once (one migrates, the other waits and finds
    the schema), then store the same payloads: each blob is stored exactly once."""
    code = f"""
        import sys
        from storage.archive import Archive
        from storage_helpers import page
        sys.stdin.readline()
        new = 0
        with Archive.open({db_url!r}) as a:
            for i in range(20):
                ref = a.store_capture(page(f"http://127.0.0.1/{{i}}", ("shared payload %d " % i) * 50), None)
                new += ref.new_blob
        print(new, flush=True)
    """
    procs = [_python(code), _python(code)]
    for p in procs:  # release both at once
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(int(out.strip()))
    assert sum(outs) == 20  # each blob was new for exactly one of the two writers
    with Archive.open(db_url) as a:
        stats = a.stats()
    assert (stats["blobs"], stats["captures"]) == (20, 40)


def test_many_connections_opening_a_fresh_sqlite_file_at_once(tmp_path: Path) -> None:
    """Every new connection switches the file to WAL mode; on a fresh file the openers race for the
    switch, and SQLite tells the losers "database is locked" without waiting on busy_timeout. The
    switch is retried: no opener may fail (before the retry, 4-6 of 480 failed in 60 rounds)."""
    from storage.archive import open_engine

    errors: list[str] = []

    def open_and_read(path: Path, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            engine, _ = open_engine(f"sqlite:///{path}")
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            engine.dispose()
        except Exception as exc:  # collected: the assertion below names them
            errors.append(repr(exc))

    for round_no in range(60):
        barrier = threading.Barrier(8)
        path = tmp_path / f"fresh{round_no}.db"
        threads = [threading.Thread(target=open_and_read, args=(path, barrier)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        engine, _ = open_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        engine.dispose()
    assert errors == []


@pytest.mark.postgres
def test_two_writers_changing_one_report_at_once(pg_url: str) -> None:
    """PostgreSQL: both writers read the same current version, then both try to supersede it. The
    loser's transaction fails on the unique current-version index, is retried, and lands on top."""
    with Archive.open(pg_url) as a:
        first = a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/r", "v1"), parsed=report())
    barrier = threading.Barrier(2, timeout=20)
    archives = [Archive.open(pg_url), Archive.open(pg_url)]
    results: dict[int, object] = {}

    def pause_after_reading_current(arch: Archive) -> None:
        done = {"paused": False}

        def hook(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if not done["paused"] and "FROM report_versions" in statement and "is_current" in statement:
                done["paused"] = True
                barrier.wait()

        event.listen(arch._engine, "after_cursor_execute", hook)

    def write(i: int) -> None:
        try:
            results[i] = archives[i].record_report(
                run_id=None, portal=PORTAL, page=page("http://127.0.0.1/r", f"v2-{i}"),
                parsed=report(new_received=100 + i),
            )
        except Exception as exc:  # reported below
            results[i] = exc

    for arch in archives:
        pause_after_reading_current(arch)
    threads = [threading.Thread(target=write, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for arch in archives:
        arch.close()
    assert all(not isinstance(r, Exception) for r in results.values()), results
    assert sorted(r.change for r in results.values()) == ["changed", "changed"]  # type: ignore[attr-defined]
    with Archive.open(pg_url) as a:
        history = a.report_history(first.report_id)  # type: ignore[arg-type]
        assert [(h["version_no"], bool(h["is_current"])) for h in history] == [(1, False), (2, False), (3, True)]
        assert a.integrity_problems() == []
