"""`nianbao coverage`: per county, which agencies have reports for which years, which failed to
parse, which portals blocked us; table, CSV and JSON from the same numbers."""

from __future__ import annotations

import csv
import io
import json

import pytest
from export_helpers import Built, build_archive

from nianbao.cli import main


@pytest.fixture
def built(migrated_db_url: str) -> Built:
    """On SQLite and PostgreSQL."""
    return build_archive(migrated_db_url)


@pytest.fixture(scope="module")
def built_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(str(tmp_path_factory.mktemp("coverage") / "archive.db"))


def _truth(built: Built) -> dict[tuple[str, int], str]:
    """(agency, year) -> status, straight from what was recorded; every other pair is missing."""
    out: dict[tuple[str, int], str] = {}
    years = sorted({y for _a, y in built.expected})
    for agency in built.regions:
        for year in years:
            parsed = built.expected.get((agency, year))
            if parsed is None:
                out[(agency, year)] = "missing"
            else:
                out[(agency, year)] = parsed.status if parsed.status in ("ok", "partial") else "failed"
    return out


def test_json_matches_what_was_recorded(built: Built, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--db", built.url, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["years"] == [2020, 2021]
    seen: dict[tuple[str, int], str] = {}
    for county in doc["counties"]:
        for agency in county["agencies"]:
            assert built.regions[agency["agency"]][2] == county["county"]
            for year, cell in agency["years"].items():
                seen[(agency["agency"], int(year))] = cell["status"]
                parsed = built.expected.get((agency["agency"], int(year)))
                fails = sorted(k for k, v in parsed.verdicts.items() if v == "fail") if parsed else []
                assert cell["failing_checks"] == fails
    assert seen == _truth(built)
    by_county = {c["county"]: c for c in doc["counties"]}
    assert by_county["城口县"]["blocked_captures"] == 2 and by_county["城口县"]["blocked_last_run"] == 5
    assert by_county["山阳县"]["blocked_captures"] == 0 and by_county["山阳县"]["parse_errors_last_run"] == 1
    assert by_county["山阳县"]["counts"] == {"ok": 2, "partial": 1, "failed": 1, "missing": 2}
    assert by_county["城口县"]["portals"] == ["城口县人民政府"]


def test_csv_one_row_per_agency_and_year(built_sqlite: Built, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--db", built_sqlite.url, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(built_sqlite.regions) * 2
    assert {(r["agency"], int(r["year"])): r["status"] for r in rows} == _truth(built_sqlite)
    failed = [r for r in rows if r["status"] == "failed"]
    assert [(r["agency"], r["parse_status"]) for r in failed] == [("山阳县教育局", "no_tables")]


def test_table_and_region_filter(built_sqlite: Built, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--db", built_sqlite.url, "--region", "500229"]) == 0
    out = capsys.readouterr().out
    assert "城口县" in out and "山阳县" not in out
    assert "blocked (last run) 5" in out and "blocked responses archived 2" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("城口县人民政府"))
    assert line.split()[1:] == ["·", "✓!"]  # no 2020 report; 2021 parsed but t4_subtotals failed
    assert main(["coverage", "--db", built_sqlite.url, "--region", "商洛"]) == 0
    out = capsys.readouterr().out
    statuses = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.startswith("  山阳县")}
    assert statuses == {"山阳县人民政府": ["✓!", "✓"], "山阳县教育局": ["·", "✗"], "山阳县统计局": ["~!", "·"]}


def test_empty_archive_and_unreadable_db(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from storage.archive import Archive

    Archive.open(str(tmp_path / "empty.db")).close()
    assert main(["coverage", "--db", str(tmp_path / "empty.db")]) == 0
    assert "no agencies" in capsys.readouterr().out
    assert main(["coverage", "--db", str(tmp_path / "nope.db")]) == 2
