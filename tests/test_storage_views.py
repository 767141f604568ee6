"""The researcher views report_wide and cell_values, on both dialects."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from storage_helpers import OTHER_PORTAL, PORTAL, page, report

from crawler.parsing.schema import KEY_FIGURES, check_names
from storage.archive import Archive, open_engine
from storage.views import column_for_key


@pytest.fixture
def filled(migrated_db_url: str) -> str:
    with Archive.open(migrated_db_url) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
        # a correction: only the corrected version may appear in the views
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1b"),
                        parsed=report(new_received=40))
        a.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/2", "2"),
                        parsed=report(agency="城口县财政局", year=2021, kind="department", template="v2021"))
    return migrated_db_url


def _rows(url: str, sql: str) -> list[dict]:
    engine, _ = open_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql)).mappings()]
    finally:
        engine.dispose()


def test_report_wide_one_row_per_current_version(filled: str) -> None:
    rows = _rows(filled, "SELECT * FROM report_wide ORDER BY agency")
    assert len(rows) == 2
    cols = set(rows[0])
    assert {column_for_key(k) for k in KEY_FIGURES} <= cols
    assert {f"check_{c}" for c in check_names()} <= cols
    assert {"report_id", "version_id", "agency", "agency_kind", "province", "city", "county", "region_code", "year",
            "title", "url", "published", "template", "source", "parse_status", "parser_version"} <= cols
    by_agency = {r["agency"]: r for r in rows}
    shanyang = by_agency["山阳县人民政府"]
    assert shanyang["t3__new_received__total"] == 40  # the current (corrected) version
    assert shanyang["t3__partial__total"] is None
    assert shanyang["t4__lit_after__total"] is None  # key figure absent from this report
    assert shanyang["check_t3_flow"] == "pass"
    assert shanyang["check_t4_subtotals"] == "fail"
    assert shanyang["check_cross_year"] is None
    assert (shanyang["province"], shanyang["city"], shanyang["county"], shanyang["region_code"]) == (
        "陕西省", "商洛市", "山阳县", "611024")
    assert shanyang["agency_kind"] == "county_government" and shanyang["year"] == 2020
    assert str(shanyang["published"]) == "2021-01-20"
    chengkou = by_agency["城口县财政局"]
    assert (chengkou["agency_kind"], chengkou["template"], chengkou["year"]) == ("department", "v2021", 2021)


def test_cell_values_long_rows_of_current_versions(filled: str) -> None:
    rows = _rows(filled, "SELECT * FROM cell_values WHERE key = 't3.new_received.total' ORDER BY agency")
    assert [(r["agency"], r["year"], r["value"], r["raw"]) for r in rows] == [
        ("城口县财政局", 2021, 12, "12"),
        ("山阳县人民政府", 2020, 40, "40"),
    ]
    assert set(rows[0]) == {"report_id", "version_id", "agency", "province", "city", "county", "region_code", "year",
                            "template", "key", "value", "raw"}
    total = _rows(filled, "SELECT count(*) AS n FROM cell_values")[0]["n"]
    assert total == 2 * len(report().cells)  # history versions excluded
