"""The accounting identities of cell-keys.yaml, evaluated per instance."""

from __future__ import annotations

from collections.abc import Mapping

from crawler.parsing.result import Cell, CheckResult, Template


def run_checks(cells: Mapping[str, Cell], template: Template) -> list[CheckResult]:
    """t3_flow, t3_row_total, t3_result_sum, t4_subtotals for one report."""
    raise NotImplementedError


def cross_year_checks(current: Mapping[str, Cell], previous: Mapping[str, Cell]) -> list[CheckResult]:
    """cross_year: carried_over(Y)[c] == carry_next(Y-1)[c] for every t3 column."""
    raise NotImplementedError
