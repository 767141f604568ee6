"""`nianbao export`: current report versions as JSON lines, long CSV or Parquet.

- jsonl: one CLI-contract object per report (ParseResult.to_record shape), to stdout or --out.
- csv: long format, one row per cell, UTF-8 with BOM so Excel opens Chinese text correctly.
- parquet: the same long table with typed columns (pyarrow).
The archive is opened read-only, so exporting never competes with a running crawl.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from storage.archive import Archive

LONG_COLUMNS = (
    "agency",
    "region_code",
    "year",
    "title",
    "url",
    "published",
    "template",
    "source",
    "status",
    "parser_version",
    "capture",
    "key",
    "value",
)
DEFAULT_NAMES = {"jsonl": "nianbao.jsonl", "csv": "nianbao_cells.csv", "parquet": "nianbao_cells.parquet"}


def filters_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "year": list(getattr(args, "year", None) or []),
        "region": list(getattr(args, "region", None) or []),
        "agency": list(getattr(args, "agency", None) or []),
        "template": list(getattr(args, "template", None) or []),
    }


def long_rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per (report, cell key); a report without cells still gets one row (key None)."""
    for rec in records:
        base = {col: rec.get(col) for col in LONG_COLUMNS if col not in ("key", "value")}
        cells = rec.get("cells") or {}
        if not cells:
            yield {**base, "key": None, "value": None}
        for key, value in cells.items():
            yield {**base, "key": key, "value": value}


def write_jsonl(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    n = 0
    for rec in records:
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=list(LONG_COLUMNS), lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in long_rows(records):
        writer.writerow(row)
        n += 1
    return n


def write_parquet(records: Iterable[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("agency", pa.string()),
            ("region_code", pa.string()),
            ("year", pa.int32()),
            ("title", pa.string()),
            ("url", pa.string()),
            ("published", pa.string()),
            ("template", pa.string()),
            ("source", pa.string()),
            ("status", pa.string()),
            ("parser_version", pa.string()),
            ("capture", pa.string()),
            ("key", pa.string()),
            ("value", pa.float64()),
        ]
    )
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for row in long_rows(records):
            if row["value"] is not None:
                row["value"] = float(row["value"])
            batch.append(row)
            if len(batch) >= 50_000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def _target(out: str | None, fmt: str) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.is_dir():
        return path / DEFAULT_NAMES[fmt]
    return path


def run_export_command(args: argparse.Namespace) -> int:
    fmt = args.format
    target = _target(getattr(args, "out", None), fmt)
    if fmt == "parquet" and target is None:
        print("nianbao export: --format parquet needs --out FILE", file=sys.stderr)
        return 2
    if target is not None and not target.parent.is_dir():
        print(f"nianbao export: directory {target.parent} does not exist", file=sys.stderr)
        return 2
    with Archive.open(args.db, readonly=True) as archive:
        records = archive.export_records(**filters_from_args(args))
        if fmt == "parquet":
            assert target is not None
            n = write_parquet(records, target)
        elif target is None:
            n = write_jsonl(records, sys.stdout) if fmt == "jsonl" else write_csv(records, sys.stdout)
        else:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            with target.open("w", encoding=encoding, newline="") as fh:
                n = write_jsonl(records, fh) if fmt == "jsonl" else write_csv(records, fh)
    if target is not None:
        print(f"nianbao export: wrote {n} {'records' if fmt == 'jsonl' else 'rows'} to {target}", file=sys.stderr)
    return 0
