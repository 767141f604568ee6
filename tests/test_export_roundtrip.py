"""`nianbao export` round trips: what comes back through pyarrow / the csv module / json equals what
was recorded (the hand-built and parser-made ParseResults), on SQLite and PostgreSQL; the codebook
beside every export covers every column."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from export_helpers import Built, build_archive

from crawler.parsing.schema import cell_keys, check_names
from nianbao.cli import main
from storage import exports
from storage.archive import Archive
from storage.codebook import wide_column


@pytest.fixture
def built(migrated_db_url: str) -> Built:
    return build_archive(migrated_db_url)


@pytest.fixture(scope="module")
def built_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(str(tmp_path_factory.mktemp("exports") / "archive.db"))


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no BOM"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(text: str) -> float | None:
    return None if text == "" else float(text)


def test_parquet_round_trip(built: Built, tmp_path: Path) -> None:
    assert main(["export", "--format", "parquet", "--db", built.url, "--out", str(tmp_path)]) == 0
    long = pq.read_table(tmp_path / "nianbao_cells.parquet")
    wide = pq.read_table(tmp_path / "nianbao_wide.parquet")
    assert long.schema.field("value").type == pa.float64() and long.schema.field("year").type == pa.int32()
    assert wide.schema.field("published").type == pa.date32()
    assert wide.schema.field(wide_column("t3.new_received.total")).type == pa.float64()

    got_long: dict[tuple[str, int], dict[str, tuple[Any, Any]]] = {}
    for r in long.to_pylist():
        got_long.setdefault((r["agency"], r["year"]), {})[r["key"]] = (r["value"], r["raw"])
        assert (r["province"], r["city"], r["county"], r["region_code"]) == built.regions[r["agency"]]
    want_long = {
        ident: {k: (None if c.value is None else float(c.value), c.raw) for k, c in parsed.cells.items()}
        for ident, parsed in built.expected.items()
    }
    assert got_long == want_long

    rows = wide.to_pylist()
    assert len(rows) == len(built.expected)
    for r in rows:
        parsed = built.expected[(r["agency"], r["year"])]
        md = parsed.metadata
        assert (r["title"], r["template"], r["source"], r["status"]) == (
            md.title, parsed.template, parsed.source, parsed.status)
        assert r["published"] == md.published and isinstance(r["published"], dt.date)
        assert (r["province"], r["city"], r["county"], r["region_code"]) == built.regions[r["agency"]]
        for k in cell_keys():
            cell = parsed.cells.get(k.key)
            assert r[wide_column(k.key)] == (None if cell is None or cell.value is None else float(cell.value)), k.key
        for name in check_names():
            assert r[f"check_{name}"] == parsed.verdicts.get(name)
    # the capture named for the attachment report is the PDF it was parsed from
    (edu,) = [r for r in rows if r["agency"] == "山阳县教育局"]
    assert edu["capture"] == built.pdf_sha


def test_csv_round_trip_long_and_wide(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "cells.csv"
    assert main(["export", "--format", "csv", "--db", built.url, "--out", str(out)]) == 0
    long, wide = _read_csv(out), _read_csv(tmp_path / "cells_wide.csv")
    assert list(long[0]) == list(exports.LONG_COLUMNS)
    got: dict[tuple[str, int], dict[str, tuple[float | None, str]]] = {}
    for r in long:
        got.setdefault((r["agency"], int(r["year"])), {})[r["key"]] = (_num(r["value"]), r["raw"])
    assert got == {
        ident: {k: (None if c.value is None else float(c.value), c.raw) for k, c in p.cells.items()}
        for ident, p in built.expected.items()
    }
    assert len(wide) == len(built.expected)
    for r in wide:
        parsed = built.expected[(r["agency"], int(r["year"]))]
        assert r["title"] == parsed.metadata.title and r["published"] == parsed.metadata.published.isoformat()
        for k in cell_keys():
            cell = parsed.cells.get(k.key)
            assert _num(r[wide_column(k.key)]) == (None if cell is None or cell.value is None else float(cell.value))
        assert {n: r[f"check_{n}"] for n in check_names()} == {n: parsed.verdicts.get(n, "") for n in check_names()}
    assert (tmp_path / "codebook.csv").exists() and (tmp_path / "codebook.json").exists()


def test_jsonl_is_the_cli_contract(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--format", "jsonl", "--db", built.url, "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    with Archive.open(built.url, readonly=True) as a:
        assert lines == list(a.export_records())
    for rec in lines:
        parsed = built.expected[(rec["agency"], rec["year"])]
        contract = parsed.to_record(url=rec["url"], capture=rec["capture"], region_code=rec["region_code"])
        assert rec == contract
        assert list(rec) == list(contract)  # same keys, same order
    assert (tmp_path / "codebook.json").exists()


def test_filters_select_the_same_reports_in_every_format(built_sqlite: Built, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--year", "2021", "--region", "陕西", "--template", "v2021", "--template", "unknown"]
    assert main(["export", "--format", "jsonl", "--db", built_sqlite.url, *flags]) == 0
    jsonl = {(r["agency"], r["year"]) for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert jsonl == {("山阳县人民政府", 2021), ("山阳县教育局", 2021)}
    assert main(["export", "--format", "parquet", "--db", built_sqlite.url, "--out", str(tmp_path / "f.parquet"),
                 *flags]) == 0
    wide = pq.read_table(tmp_path / "f_wide.parquet").to_pylist()
    assert {(r["agency"], r["year"]) for r in wide} == jsonl
    assert main(["export", "--format", "csv", "--db", built_sqlite.url, "--agency", "统计局"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert {r["agency"] for r in rows} == {"山阳县统计局"}
    assert len(rows) == len(built_sqlite.expected[("山阳县统计局", 2020)].cells)


def test_streams_in_batches(built_sqlite: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 2 reports: the same content, written as several Parquet row groups."""
    assert main(["export", "--format", "parquet", "--db", built_sqlite.url, "--out", str(tmp_path / "a.parquet")]) == 0
    monkeypatch.setattr(exports, "BATCH", 2)
    assert main(["export", "--format", "parquet", "--db", built_sqlite.url, "--out", str(tmp_path / "b.parquet")]) == 0
    assert pq.ParquetFile(tmp_path / "b_wide.parquet").num_row_groups == 3
    assert pq.ParquetFile(tmp_path / "a_wide.parquet").num_row_groups == 1
    for name in ("{}.parquet", "{}_wide.parquet"):
        assert pq.read_table(tmp_path / name.format("a")).equals(pq.read_table(tmp_path / name.format("b")))


def test_codebook_complete(built_sqlite: Built, tmp_path: Path) -> None:
    assert main(["export", "--format", "csv", "--db", built_sqlite.url, "--out", str(tmp_path)]) == 0
    book = _read_csv(tmp_path / "codebook.csv")
    assert book == json.loads((tmp_path / "codebook.json").read_text("utf-8"))
    cells = {r["name"]: r for r in book if r["kind"] == "cell"}
    assert set(cells) == {k.key for k in cell_keys()}
    for k in cell_keys():
        row = cells[k.key]
        assert row["label_zh"] == k.label_zh and row["label_en"] and row["unit"] == k.unit
        assert row["table"].startswith(("二、", "三、", "四、")) and row["templates"].split() == list(k.templates)
    assert cells["t3.new_received.total"]["label_zh"] == "一、本年新收政府信息公开申请数量 / 总计"
    assert cells["t2.art20_9.procurement.amount"]["unit"] == "元"
    assert {r["name"] for r in book if r["kind"] == "check"} == set(check_names())
    described = {r["column"] for r in book}
    for table in ("nianbao_cells.csv", "nianbao_wide.csv"):
        with (tmp_path / table).open(encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh))
        assert set(header) <= described, set(header) - described


def test_export_errors(built_sqlite: Built, tmp_path: Path) -> None:
    assert main(["export", "--format", "parquet", "--db", built_sqlite.url]) == 2
    assert main(["export", "--format", "csv", "--db", built_sqlite.url, "--out", str(tmp_path / "no" / "x.csv")]) == 2
    assert main(["export", "--format", "csv", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path)]) == 2
