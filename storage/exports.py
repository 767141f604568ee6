"""`nianbao export`: current report versions as JSON lines, CSV or Parquet, with a codebook beside.

- jsonl: one CLI-contract object per report (ParseResult.to_record shape), to stdout or --out.
- csv: two tables, UTF-8 with BOM so Excel opens Chinese text correctly:
  long (one row per report x cell key: ids, place, year, template, source, key, value, raw text,
  capture) and wide (one row per report: metadata, one column per cell key, one verdict per check).
- parquet: the same two tables with proper types (ints, dates, float values), zstd-compressed.
- codebook.csv / codebook.json beside every export written to a file (storage.codebook).

``--out`` may be a directory (files get default names) or a file: the long table (or the JSON
lines) goes there and the wide table beside it as ``<stem>_wide<suffix>``.

Streaming: current versions come from one streaming cursor (a server-side cursor on
PostgreSQL) and their cells/checks are fetched per batch of BATCH reports, rows are written as they
come (Parquet: one row group per batch), so memory stays flat however large the archive is.
The archive is opened read-only, so exporting never competes with a running crawl.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection

from storage.archive import Archive
from storage.codebook import check_column, wide_column, write_codebook

BATCH = 500

LONG_COLUMNS = (
    "report_id",
    "agency",
    "province",
    "city",
    "county",
    "region_code",
    "year",
    "template",
    "source",
    "key",
    "value",
    "raw",
    "capture",
)
WIDE_META_COLUMNS = (
    "report_id",
    "version_id",
    "agency",
    "agency_kind",
    "province",
    "city",
    "county",
    "region_code",
    "year",
    "title",
    "url",
    "index_no",
    "issuer",
    "doc_no",
    "published",
    "template",
    "source",
    "status",
    "message",
    "parser_version",
    "capture",
)
DEFAULT_NAMES = {
    "jsonl": ("nianbao.jsonl", None),
    "csv": ("nianbao_cells.csv", "nianbao_wide.csv"),
    "parquet": ("nianbao_cells.parquet", "nianbao_wide.parquet"),
}
INT_COLUMNS = {"report_id", "version_id", "year"}


def filters_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "year": list(getattr(args, "year", None) or []),
        "region": list(getattr(args, "region", None) or []),
        "agency": list(getattr(args, "agency", None) or []),
        "template": list(getattr(args, "template", None) or []),
    }


# --- reading ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReportRow:
    """One current report version with everything the three formats need."""

    meta: dict[str, Any]  # WIDE_META_COLUMNS (published as a date)
    cells: list[tuple[str, int | float | None, str | None]]  # (key, value, raw), by key
    checks: dict[str, str]  # report-level verdict per check


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def iter_reports(conn: Connection, filters: dict[str, Any], batch: int | None = None) -> Iterator[ReportRow]:
    """Current versions matching ``filters`` (see Archive.export_records), in export order, streamed
    ``batch`` (default BATCH) at a time."""
    batch = batch or BATCH
    from storage import content_docs
    from storage.reads import current_versions_query
    from storage.writes import AGENCIES

    q = current_versions_query(filters).add_columns(
        AGENCIES.c.kind.label("agency_kind"), AGENCIES.c.province, AGENCIES.c.city, AGENCIES.c.county
    )
    result = conn.execution_options(yield_per=batch).execute(q)
    for part in result.partitions(batch):
        ids = [r.version_id for r in part]
        documents = content_docs.read(conn, ids)
        cells = {  # sorted in Python (documents are): server collations order '.' and '_' differently
            i: [(key, _number(value), raw) for key, value, raw in content_docs.rows(documents.get(i))] for i in ids
        }
        checks = content_docs.read_verdicts(conn, ids)  # the report-level verdicts: no instances read
        for r in part:
            meta = {
                "report_id": r.report_id,
                "version_id": r.version_id,
                "agency": r.agency,
                "agency_kind": r.agency_kind,
                "province": r.province,
                "city": r.city,
                "county": r.county,
                "region_code": r.region_code,
                "year": r.year,
                "title": r.title,
                "url": r.url,
                "index_no": r.index_no,
                "issuer": r.issuer,
                "doc_no": r.doc_no,
                "published": r.published_date,
                "template": r.template,
                "source": r.source,
                "status": r.parse_status,
                "message": r.parse_message or "",
                "parser_version": r.parser_version,
                "capture": r.capture,
            }
            yield ReportRow(meta=meta, cells=cells[r.version_id], checks=checks[r.version_id])


def to_record(row: ReportRow) -> dict[str, Any]:
    """The CLI-contract object (same keys and order as ParseResult.to_record)."""
    m = row.meta
    return {
        "agency": m["agency"],
        "region_code": m["region_code"],
        "year": m["year"],
        "title": m["title"],
        "url": m["url"],
        "index_no": m["index_no"],
        "issuer": m["issuer"],
        "doc_no": m["doc_no"],
        "published": m["published"].isoformat() if m["published"] else None,
        "template": m["template"],
        "source": m["source"],
        "cells": {k: v for k, v, _raw in row.cells},
        "checks": dict(sorted(row.checks.items())),
        "capture": m["capture"],
        "parser_version": m["parser_version"],
        "status": m["status"],
        "message": m["message"],
    }


LONG_META = tuple(c for c in LONG_COLUMNS if c not in ("key", "value", "raw", "capture"))


def long_tuples(row: ReportRow) -> Iterator[tuple[Any, ...]]:
    """One tuple per cell, in LONG_COLUMNS order."""
    m = row.meta
    head = tuple(m[c] for c in LONG_META)
    capture = m["capture"]
    for key, value, raw in row.cells:
        yield (*head, key, value, raw, capture)


def long_rows(row: ReportRow) -> Iterator[dict[str, Any]]:
    for t in long_tuples(row):
        yield dict(zip(LONG_COLUMNS, t, strict=True))


@dataclass(frozen=True, slots=True)
class WideLayout:
    cell_keys: tuple[str, ...]
    checks: tuple[str, ...]

    @classmethod
    def current(cls) -> WideLayout:
        from crawler.parsing.schema import cell_keys, check_names

        return cls(tuple(k.key for k in cell_keys()), tuple(check_names()))

    @property
    def columns(self) -> list[str]:
        return [
            *WIDE_META_COLUMNS,
            *(wide_column(k) for k in self.cell_keys),
            *(check_column(c) for c in self.checks),
        ]


def wide_values(row: ReportRow, layout: WideLayout) -> list[Any]:
    """The wide row as a list in ``layout.columns`` order."""
    values = {k: v for k, v, _raw in row.cells}
    return [
        *(row.meta[c] for c in WIDE_META_COLUMNS),
        *(values.get(k) for k in layout.cell_keys),
        *(row.checks.get(c) for c in layout.checks),
    ]


def wide_row(row: ReportRow, layout: WideLayout) -> dict[str, Any]:
    return dict(zip(layout.columns, wide_values(row, layout), strict=True))


# --- writers ---------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class CsvSink:
    def __init__(self, long_out: TextIO, wide_out: TextIO | None, layout: WideLayout) -> None:
        self.layout = layout
        self.long = csv.writer(long_out, lineterminator="\n")
        self.long.writerow(LONG_COLUMNS)
        self.wide = None
        if wide_out is not None:
            self.wide = csv.writer(wide_out, lineterminator="\n")
            self.wide.writerow(layout.columns)

    def add(self, row: ReportRow) -> int:
        rows = list(long_tuples(row))
        self.long.writerows(rows)
        if self.wide is not None:
            self.wide.writerow([_csv_value(v) for v in wide_values(row, self.layout)])
        return len(rows)

    def close(self) -> None:
        pass


def long_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("report_id", pa.int64()),
            ("agency", pa.string()),
            ("province", pa.string()),
            ("city", pa.string()),
            ("county", pa.string()),
            ("region_code", pa.string()),
            ("year", pa.int32()),
            ("template", pa.string()),
            ("source", pa.string()),
            ("key", pa.string()),
            ("value", pa.float64()),
            ("raw", pa.string()),
            ("capture", pa.string()),
        ]
    )


def wide_schema(layout: WideLayout) -> Any:
    import pyarrow as pa

    fields = []
    for name in WIDE_META_COLUMNS:
        if name in ("report_id", "version_id"):
            fields.append((name, pa.int64()))
        elif name == "year":
            fields.append((name, pa.int32()))
        elif name == "published":
            fields.append((name, pa.date32()))
        else:
            fields.append((name, pa.string()))
    fields += [(wide_column(k), pa.float64()) for k in layout.cell_keys]
    fields += [(check_column(c), pa.string()) for c in layout.checks]
    return pa.schema(fields)


class ParquetSink:
    """Two ParquetWriters; rows are gathered column-wise and flushed as one row group per batch."""

    def __init__(self, long_path: Path, wide_path: Path, layout: WideLayout, flush_rows: int = 100_000) -> None:
        import pyarrow.parquet as pq

        self.layout = layout
        self.long_schema = long_schema()
        self.wide_schema = wide_schema(layout)
        self.long_writer = pq.ParquetWriter(str(long_path), self.long_schema, compression="zstd")
        self.wide_writer = pq.ParquetWriter(str(wide_path), self.wide_schema, compression="zstd")
        self.flush_rows = flush_rows
        self._reset()

    def _reset(self) -> None:
        self.long_cols: list[list[Any]] = [[] for _ in LONG_COLUMNS]
        self.wide_cols: list[list[Any]] = [[] for _ in self.wide_schema.names]
        self.n_long = self.n_wide = 0

    def add(self, row: ReportRow) -> int:
        n = 0
        for t in long_tuples(row):
            for col, v in zip(self.long_cols, t, strict=True):
                col.append(v)
            n += 1
        for col, v in zip(self.wide_cols, wide_values(row, self.layout), strict=True):
            col.append(v)
        self.n_long += n
        self.n_wide += 1
        if self.n_long >= self.flush_rows or self.n_wide >= BATCH:
            self.flush()
        return n

    def flush(self) -> None:
        import pyarrow as pa

        if self.n_wide:
            self.long_writer.write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(self.long_cols, self.long_schema, strict=True)],
                schema=self.long_schema))
            self.wide_writer.write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(self.wide_cols, self.wide_schema, strict=True)],
                schema=self.wide_schema))
        self._reset()

    def close(self) -> None:
        self.flush()
        self.long_writer.close()
        self.wide_writer.close()


# --- command ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Targets:
    main: Path | None  # None: stdout
    wide: Path | None

    @property
    def directory(self) -> Path | None:
        return self.main.parent if self.main is not None else None


def targets(out: str | None, fmt: str) -> Targets:
    main_name, wide_name = DEFAULT_NAMES[fmt]
    if out is None:
        return Targets(None, None)
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):  # "out/" names a directory, existing or not
        return Targets(path / main_name, path / wide_name if wide_name else None)
    wide = path.with_name(f"{path.stem}_wide{path.suffix}") if wide_name else None
    return Targets(path, wide)


def export(archive: Archive, fmt: str, tg: Targets, filters: dict[str, Any], out: TextIO | None = None) -> dict[str, int]:
    """Write the export (``out``: where stdout output goes; default sys.stdout); returns counts."""
    out = out if out is not None else sys.stdout
    layout = WideLayout.current()
    counts = {"reports": 0, "rows": 0}
    with archive._read(snapshot=True) as conn:
        rows = iter_reports(conn, filters)
        if fmt == "jsonl":
            fh = tg.main.open("w", encoding="utf-8", newline="") if tg.main is not None else out
            try:
                for row in rows:
                    fh.write(json.dumps(to_record(row), ensure_ascii=False) + "\n")
                    counts["reports"] += 1
            finally:
                if tg.main is not None:
                    fh.close()
            return counts
        sink: CsvSink | ParquetSink
        handles: list[TextIO] = []
        if fmt == "parquet":
            assert tg.main is not None and tg.wide is not None
            sink = ParquetSink(tg.main, tg.wide, layout)
        else:
            if tg.main is None:
                sink = CsvSink(out, None, layout)
            else:
                assert tg.wide is not None
                handles = [tg.main.open("w", encoding="utf-8-sig", newline=""),
                           tg.wide.open("w", encoding="utf-8-sig", newline="")]
                sink = CsvSink(handles[0], handles[1], layout)
        try:
            for row in rows:
                counts["rows"] += sink.add(row)
                counts["reports"] += 1
            sink.close()
        finally:
            for h in handles:
                h.close()
    return counts


def run_export_command(args: argparse.Namespace) -> int:
    fmt = args.format
    out = getattr(args, "out", None)
    if out and out.endswith(("/", os.sep)):
        Path(out).mkdir(parents=True, exist_ok=True)
    tg = targets(out, fmt)
    if fmt == "parquet" and tg.main is None:
        print("nianbao export: --format parquet needs --out FILE or DIRECTORY", file=sys.stderr)
        return 2
    if tg.main is not None and not tg.main.parent.is_dir():
        print(f"nianbao export: directory {tg.main.parent} does not exist", file=sys.stderr)
        return 2
    with Archive.open(args.db, readonly=True) as archive:
        counts = export(archive, fmt, tg, filters_from_args(args))
    if tg.main is None:
        if fmt == "csv":
            print("nianbao export: wrote the long table to stdout; use --out for the wide table and the codebook",
                  file=sys.stderr)
        return 0
    assert tg.directory is not None
    codebook_csv, codebook_json = write_codebook(tg.directory)
    written: Sequence[Path] = [p for p in (tg.main, tg.wide) if p is not None]
    what = f"{counts['reports']} reports" + (f", {counts['rows']} cell rows" if fmt != "jsonl" else "")
    print(
        f"nianbao export: wrote {what} to {', '.join(str(p) for p in written)}; codebook {codebook_csv.name} / "
        f"{codebook_json.name} beside it",
        file=sys.stderr,
    )
    return 0
