"""`nianbao export` (jsonl, csv with BOM, parquet) over a real archive."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from storage_helpers import OTHER_PORTAL, PORTAL, page, report

from nianbao.cli import main
from storage.archive import Archive


@pytest.fixture
def archive_url(migrated_db_url: str) -> str:
    with Archive.open(migrated_db_url) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
        a.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/2", "2"),
                        parsed=report(agency="城口县人民政府", year=2021, template="v2021"))
    return migrated_db_url


def test_jsonl_to_stdout_with_filters(archive_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "jsonl", "--db", archive_url]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["agency"] for r in lines) == ["城口县人民政府", "山阳县人民政府"]
    assert main(["export", "--format", "jsonl", "--db", archive_url, "--region", "陕西", "--year", "2020"]) == 0
    (only,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert only["agency"] == "山阳县人民政府" and only["region_code"] == "611024"
    assert only["cells"]["t3.new_received.total"] == 12


def test_csv_long_with_bom(archive_url: str, tmp_path: Path) -> None:
    out = tmp_path / "cells.csv"
    assert main(["export", "--format", "csv", "--db", archive_url, "--out", str(out), "--template", "v2021"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(report().cells)
    assert {r["agency"] for r in rows} == {"城口县人民政府"}
    by_key = {r["key"]: r["value"] for r in rows}
    assert by_key["t3.new_received.total"] == "12" and by_key["t3.partial.total"] == ""


def test_parquet_into_directory(archive_url: str, tmp_path: Path) -> None:
    assert main(["export", "--format", "parquet", "--db", archive_url, "--out", str(tmp_path)]) == 0
    table = pq.read_table(tmp_path / "nianbao_cells.parquet")
    assert table.num_rows == 2 * len(report().cells)
    rows = table.to_pylist()
    amount = [r for r in rows if r["key"] == "t2.art20_9.procurement.amount" and r["year"] == 2020]
    assert amount[0]["value"] == 251000.0 and amount[0]["agency"] == "山阳县人民政府"


def test_parquet_needs_out(archive_url: str) -> None:
    assert main(["export", "--format", "parquet", "--db", archive_url]) == 2
