"""Copies of a whole archive, and the search side file.

``nianbao snapshot --db postgresql://... --out snap.db`` copies every table (as reflected, so the
tables of later migrations too) into a fresh SQLite archive created by the Alembic migrations (so
the snapshot has exactly the schema, indexes and views of a crawled SQLite archive, and `nianbao
serve`, exports and re-parses work on it). Rows are streamed in batches in foreign-key order from
one consistent read snapshot (REPEATABLE READ on PostgreSQL), so a crawl writing meanwhile cannot
leave a capture without its blob. The file is written under a temporary name and renamed at the
end, so an interrupted snapshot never leaves a half-filled archive behind.

``nianbao snapshot --db archive.db --out postgresql://...`` goes the other way: an archive that
outgrew SQLite moves into an empty PostgreSQL database (schema by the migrations, rows in one
transaction, id sequences moved past the copied ids).

``build_search_index`` writes the full-text index `nianbao serve` searches. It lives in a side
file, never in the archive: the UI opens the archive read-only (a crawl may be writing to it, and
the schema belongs to the migrations), so the index is a disposable derivative rebuilt whenever
the archive's content signature changes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, insert, select

from storage.archive import Archive, ArchiveError, open_engine
from storage.db import resolve
from storage.writes import AGENCIES, BLOBS, REPORTS, SECTIONS, VERSIONS

SKIP_TABLES = {"alembic_version"}  # the target is stamped by its own migrations
ROW_BATCH = 2_000
BLOB_BATCH = 100  # blobs are up to megabytes each: keep a batch to tens of MB at most


def _rows(conn: Connection, table: Table, batch: int) -> Iterator[list[dict[str, Any]]]:
    """Every row of ``table`` in primary-key order, ``batch`` at a time, via a streaming cursor."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(select(table).order_by(*order))
    for part in result.mappings().partitions(batch):
        yield [{k: _utc(v) for k, v in r.items()} for r in part]


def _utc(value: Any) -> Any:
    """PostgreSQL returns aware datetimes in the session time zone; the SQLite archive keeps UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def copy_order(conn: Connection) -> list[Table]:
    """Every archive table, parents before children, as reflected from the database itself: a
    table added by a later migration is copied without this module knowing about it."""
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name not in SKIP_TABLES]


def copy_archive(source_url: str | None, out: Path | str, *, progress: Any = None) -> dict[str, int]:
    """Copy the archive at ``source_url`` into a new SQLite archive file ``out``, or (``out`` a
    ``postgresql://`` URL) into an empty PostgreSQL database. Returns rows per table."""
    if isinstance(out, str) and "://" in out:
        location = resolve(out)
        if not location.is_sqlite:
            return copy_into_database(source_url, out, progress=progress)
        if location.sqlite_path is None:
            raise ArchiveError("a snapshot needs a SQLite file, not an in-memory database")
        out = location.sqlite_path
    out = Path(out).expanduser().absolute()
    if out.exists():
        raise ArchiveError(f"{out} already exists; choose a new file for the snapshot")
    if not out.parent.is_dir():
        raise ArchiveError(f"directory {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.part-{os.getpid()}")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    source = Archive.open(source_url, readonly=True)
    try:
        Archive.open(str(tmp)).close()  # schema, indexes and views through the migrations
        target_engine, _ = open_engine(str(tmp))
        try:
            with source._read(snapshot=True) as src, target_engine.connect() as dst:
                counts = _copy_tables(src, dst, progress, commit_each_batch=True)
                dst.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target_engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        tmp.replace(out)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return counts


def copy_into_database(source_url: str | None, target_url: str, *, progress: Any = None) -> dict[str, int]:
    """Move an archive (e.g. a SQLite file that outgrew one machine) into an EMPTY PostgreSQL
    database: the schema comes from the migrations, the rows are copied in ONE transaction (an
    interrupted copy leaves the database empty), then the id sequences are moved past the copied
    ids so new rows do not collide with them."""
    source = Archive.open(source_url, readonly=True)
    try:
        Archive.open(target_url).close()
        target_engine, where = open_engine(target_url)
        try:
            with source._read(snapshot=True) as src, target_engine.connect() as dst:
                occupied = [
                    f"{t.name} ({n} rows)"
                    for t in copy_order(dst)
                    if (n := int(dst.execute(select(func.count()).select_from(t)).scalar_one())) > 0
                ]
                dst.rollback()
                if occupied:
                    raise ArchiveError(
                        f"{where} is not empty ({', '.join(occupied[:3])}); copy into an empty database"
                    )
                with dst.begin():
                    counts = _copy_tables(src, dst, progress, commit_each_batch=False)
                    for table in copy_order(dst):
                        _advance_sequence(dst, table)
        finally:
            target_engine.dispose()
    finally:
        source.close()
    return counts


def _copy_tables(src: Connection, dst: Connection, progress: Any, *, commit_each_batch: bool) -> dict[str, int]:
    """Every table of ``src`` into the same-named table of ``dst``, parents first, in batches."""
    targets = {t.name: t for t in copy_order(dst)}
    sources = {t.name: t for t in copy_order(src)}
    missing = sorted(set(sources) - set(targets))
    if missing:
        raise ArchiveError(f"snapshot schema lacks table(s) {', '.join(missing)}")
    if commit_each_batch:
        dst.rollback()
    counts: dict[str, int] = {}
    for name, table in targets.items():
        n = 0
        size = BLOB_BATCH if name == BLOBS.name else ROW_BATCH
        for rows in _rows(src, sources[name], size) if name in sources else ():
            if commit_each_batch:
                with dst.begin():
                    dst.execute(insert(table), rows)
            else:
                dst.execute(insert(table), rows)
            n += len(rows)
            if progress is not None:
                progress(name, n)
        counts[name] = n
    return counts


def _advance_sequence(conn: Connection, table: Table) -> None:
    """PostgreSQL: set the id sequence of ``table`` (if its key has one) past its largest id."""
    key = list(table.primary_key.columns)
    if len(key) != 1:
        return
    column = key[0].name
    sequence = conn.execute(
        select(func.pg_get_serial_sequence(table.name, column))
    ).scalar()
    if sequence is None:
        return
    top = conn.execute(select(func.max(table.c[column]))).scalar()
    if top is not None:
        conn.execute(select(func.setval(sequence, int(top))))


def run_snapshot_command(args: argparse.Namespace) -> int:
    """`nianbao snapshot --db URL --out FILE|postgresql://...`."""
    counts = copy_archive(args.db, args.out if "://" in args.out else Path(args.out))
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    where = resolve(args.out).display() if "://" in args.out else Path(args.out).absolute()
    print(f"nianbao snapshot: copied {total} rows into {where} ({detail or 'empty archive'})", file=sys.stderr)
    return 0


# --- full-text search side file ------------------------------------------------------------------

SEARCH_TABLE = "report_search"
SEARCH_FTS = "report_search_fts"
SEARCH_SCHEMA = f"""
CREATE TABLE {SEARCH_TABLE} (
  version_id INTEGER PRIMARY KEY,
  report_id INTEGER NOT NULL,
  agency TEXT,
  province TEXT,
  city TEXT,
  county TEXT,
  year INTEGER,
  template TEXT,
  source TEXT,
  parse_status TEXT,
  title TEXT,
  sections TEXT
);
CREATE VIRTUAL TABLE {SEARCH_FTS} USING fts5(
  title, sections, content='{SEARCH_TABLE}', content_rowid='version_id', tokenize='trigram'
);
CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT);
"""


def archive_signature(archive: Archive) -> str:
    """Changes whenever the set of current report versions changes (new parse, new report)."""
    with archive._read() as conn:
        row = conn.execute(
            select(func.count(), func.coalesce(func.max(VERSIONS.c.id), 0)).where(VERSIONS.c.is_current)
        ).one()
        total = conn.execute(select(func.count()).select_from(VERSIONS)).scalar_one()
    return f"{row[0]}:{row[1]}:{total}"


def _stored_signature(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            found = conn.execute("SELECT value FROM search_meta WHERE key = 'signature'").fetchone()
            return found[0] if found else None
    except sqlite3.Error:
        return None


def _search_rows(conn: Connection) -> Iterator[list[tuple[Any, ...]]]:
    q = (
        select(
            VERSIONS.c.id,
            REPORTS.c.id,
            AGENCIES.c.name,
            AGENCIES.c.province,
            AGENCIES.c.city,
            AGENCIES.c.county,
            REPORTS.c.year,
            VERSIONS.c.template,
            VERSIONS.c.source,
            VERSIONS.c.parse_status,
            VERSIONS.c.title,
        )
        .select_from(VERSIONS)
        .join(REPORTS, REPORTS.c.id == VERSIONS.c.report_id)
        .join(AGENCIES, AGENCIES.c.id == REPORTS.c.agency_id)
        .where(VERSIONS.c.is_current)
        .order_by(VERSIONS.c.id)
    )
    result = conn.execution_options(stream_results=True, yield_per=ROW_BATCH).execute(q)
    for part in result.partitions(ROW_BATCH):
        ids = [r[0] for r in part]
        texts: dict[int, list[str]] = {i: [] for i in ids}
        for vid, text in conn.execute(
            select(SECTIONS.c.version_id, SECTIONS.c.text)
            .where(SECTIONS.c.version_id.in_(ids))
            .order_by(SECTIONS.c.version_id, SECTIONS.c.key)
        ):
            texts[vid].append(text)
        yield [(*r, "\n\n".join(texts[r[0]])) for r in part]


def build_search_index(archive: Archive, path: Path, *, force: bool = False) -> bool:
    """(Re)build the FTS5 side file for ``archive`` at ``path``. Returns False if it was up to date.

    FTS5 with the trigram tokenizer: Chinese has no spaces, so the default tokenizer would treat a
    whole run of characters as one word; trigrams make any substring of 3+ characters findable
    (a 2-character query such as 复议 finds nothing: search for 行政复议).
    """
    signature = archive_signature(archive)
    if not force and _stored_signature(path) == signature:
        return False
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as out:
            out.executescript(SEARCH_SCHEMA)
            with archive._read(snapshot=True) as conn:
                for rows in _search_rows(conn):
                    out.executemany(f"INSERT INTO {SEARCH_TABLE} VALUES ({', '.join('?' * 12)})", rows)
            out.execute(f"INSERT INTO {SEARCH_FTS}({SEARCH_FTS}) VALUES ('rebuild')")
            out.execute("INSERT INTO search_meta VALUES ('signature', ?)", (signature,))
            out.execute("INSERT INTO search_meta VALUES ('archive', ?)", (archive.where,))
            out.commit()
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
