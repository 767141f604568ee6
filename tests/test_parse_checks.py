"""Accounting identities: pass / fail / not_assessable exactly per cell-keys.yaml."""

from __future__ import annotations

from crawler.parsing.checks import cross_year_checks, run_checks, t3_rows
from crawler.parsing.result import Cell, ParseResult
from crawler.parsing.schema import T3_COLUMNS, keys_for


def cells_of(values: dict[str, int | float | None]) -> dict[str, Cell]:
    return {k: Cell(k, v, "" if v is None else str(v)) for k, v in values.items()}


def zeros(template: str) -> dict[str, int | float | None]:
    return dict.fromkeys(keys_for(template), 0)


def by_instance(results: list, check: str) -> dict[str, str]:
    return {c.instance: c.verdict for c in results if c.check == check}


def test_consistent_report_passes_every_instance() -> None:
    v = zeros("v2019")
    # 5 new + 1 carried = 4 granted + 1 np_repeat + 0 ... + 1 carry_next, natural persons only
    for row, n in {
        "new_received": 5,
        "carried_over": 1,
        "granted": 4,
        "np_repeat": 1,
        "result_total": 5,
        "carry_next": 1,
    }.items():
        v[f"t3.{row}.natural_person"] = n
        v[f"t3.{row}.total"] = n
    v["t4.review.maintain"] = 2
    v["t4.review.total"] = 2
    results = run_checks(cells_of(v), "v2019")
    assert {c.verdict for c in results} == {"pass"}
    assert len(by_instance(results, "t3_flow")) == 7
    assert len(by_instance(results, "t3_row_total")) == 23
    assert len(by_instance(results, "t3_result_sum")) == 7
    assert len(by_instance(results, "t4_subtotals")) == 3
    assert len(by_instance(run_checks(cells_of(zeros("v2021")), "v2021"), "t3_row_total")) == 25


def test_fail_names_row_column_expected_found() -> None:
    v = zeros("v2019")
    v["t3.new_received.natural_person"] = 5
    v["t3.new_received.total"] = 5
    results = run_checks(cells_of(v), "v2019")
    flow = next(c for c in results if c.check == "t3_flow" and c.instance == "natural_person")
    assert flow.verdict == "fail"
    assert "natural_person" in flow.detail and "5" in flow.detail and "0" in flow.detail
    assert by_instance(results, "t3_flow")["commercial"] == "pass"
    report = ParseResult(status="ok", checks=results)
    assert report.verdicts["t3_flow"] == "fail"
    assert report.verdicts["t4_subtotals"] == "pass"


def test_null_counted_as_zero_pass_fail_or_not_assessable() -> None:
    v = zeros("v2019")
    # holds with blanks counted as 0 -> pass
    v["t4.review.maintain"] = None
    v["t4.review.total"] = 0
    # does not hold, one operand null -> not_assessable
    v["t4.lit_direct.total"] = 3
    v["t4.lit_direct.maintain"] = None
    v["t4.lit_direct.correct"] = 1
    # every operand null -> not_assessable
    for c in ("maintain", "correct", "other", "pending", "total"):
        v[f"t4.lit_after.{c}"] = None
    got = by_instance(run_checks(cells_of(v), "v2019"), "t4_subtotals")
    assert got == {"review": "pass", "lit_direct": "not_assessable", "lit_after": "not_assessable"}


def test_tolerance_half_unit() -> None:
    v = zeros("v2021")
    v["t4.review.total"] = 1.4
    v["t4.review.maintain"] = 1
    v["t4.lit_direct.total"] = 1.6
    v["t4.lit_direct.maintain"] = 1
    got = by_instance(run_checks(cells_of(v), "v2021"), "t4_subtotals")
    assert got["review"] == "pass"
    assert got["lit_direct"] == "fail"


def test_result_sum_uses_the_other_rows_of_the_template() -> None:
    v19 = zeros("v2019")
    v19["t3.other_handling.legal_service"] = 2
    v19["t3.result_total.legal_service"] = 2
    assert by_instance(run_checks(cells_of(v19), "v2019"), "t3_result_sum")["legal_service"] == "pass"
    v21 = zeros("v2021")
    v21["t3.other_fee_unpaid.research"] = 1
    v21["t3.other_other.research"] = 2
    v21["t3.result_total.research"] = 3
    assert by_instance(run_checks(cells_of(v21), "v2021"), "t3_result_sum")["research"] == "pass"
    v21["t3.result_total.research"] = 2
    assert by_instance(run_checks(cells_of(v21), "v2021"), "t3_result_sum")["research"] == "fail"
    assert "other_handling" in t3_rows("v2019") and "other_handling" not in t3_rows("v2021")


def test_absent_tables_and_pre2019_are_not_checked() -> None:
    assert run_checks({}, "v2019") == []
    assert run_checks(cells_of(zeros("v2019")), "pre2019") == []
    only_t4 = {k: v for k, v in zeros("v2021").items() if k.startswith("t4.")}
    assert {c.check for c in run_checks(cells_of(only_t4), "v2021")} == {"t4_subtotals"}


def test_cross_year_per_column() -> None:
    prev = zeros("v2019")
    cur = zeros("v2021")
    prev["t3.carry_next.natural_person"] = 3
    cur["t3.carried_over.natural_person"] = 3
    prev["t3.carry_next.total"] = 3
    cur["t3.carried_over.total"] = 2
    cur["t3.carried_over.commercial"] = None
    prev["t3.carry_next.commercial"] = 1
    got = by_instance(cross_year_checks(cells_of(cur), cells_of(prev)), "cross_year")
    assert set(got) == set(T3_COLUMNS)
    assert got["natural_person"] == "pass"
    assert got["total"] == "fail"
    assert got["commercial"] == "not_assessable"
    assert got["research"] == "pass"
    assert cross_year_checks(cells_of(cur), {}) == []
