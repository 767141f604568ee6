"""The accounting identities of cell-keys.yaml, evaluated per instance.

Rule (cell-keys.yaml ``checks``): blank (null) cells count as 0. If the identity holds -> ``pass``
(real tables often leave zeros blank); if it does not hold -> ``fail`` only when every operand is a
number, else ``not_assessable``; when every operand is null -> ``not_assessable``. Differences up to
0.5 are tolerated (rounded decimals). A table with no cells at all is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crawler.parsing.result import Cell, CheckResult, Template, Verdict
from crawler.parsing.schema import T3_COLUMNS, T4_COLUMNS, T4_ROWS

TOLERANCE = 0.5

T3_ORG_COLUMNS = T3_COLUMNS[:-1]  # the six applicant columns summed into "total"
_T3_RESULT_PARTS_COMMON = (
    "granted",
    "partial",
    "deny_state_secret",
    "deny_law",
    "deny_3s1w",
    "deny_third_party",
    "deny_internal",
    "deny_process",
    "deny_case_file",
    "deny_query",
    "unable_not_held",
    "unable_need_make",
    "unable_unclear",
    "np_petition",
    "np_repeat",
    "np_publication",
    "np_massive",
    "np_confirm",
)
T3_OTHER_ROWS = {
    "v2019": ("other_handling",),
    "v2021": ("other_no_correction", "other_fee_unpaid", "other_other"),
}


def t3_rows(template: str) -> tuple[str, ...]:
    """Data rows of 表三 in table order for a format version (both versions' common rows if unknown)."""
    return (
        "new_received",
        "carried_over",
        *_T3_RESULT_PARTS_COMMON,
        *T3_OTHER_ROWS.get(template, ()),
        "result_total",
        "carry_next",
    )


def _value(cells: Mapping[str, Cell], key: str) -> int | float | None:
    cell = cells.get(key)
    return None if cell is None else cell.value


def _fmt(v: int | float | None) -> str:
    return "null" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _side(terms: Sequence[tuple[str, int | float | None]]) -> str:
    if len(terms) == 1:
        return f"{terms[0][0]}={_fmt(terms[0][1])}"
    nonzero = [f"{n}={_fmt(v)}" for n, v in terms if v not in (0, None)]
    nulls = sum(1 for _, v in terms if v is None)
    shown = " + ".join(nonzero) if nonzero else "all zero"
    return f"({shown}{f'; {nulls} null' if nulls else ''})"


def _judge(
    check: str,
    instance: str,
    left: Sequence[tuple[str, int | float | None]],
    right: Sequence[tuple[str, int | float | None]],
    where: str,
) -> CheckResult:
    """Compare sum(left) with sum(right) under the null rules."""
    values = [v for _, v in (*left, *right)]
    lsum = sum(v or 0 for _, v in left)
    rsum = sum(v or 0 for _, v in right)
    diff = lsum - rsum
    verdict: Verdict
    if all(v is None for v in values):
        verdict = "not_assessable"
    elif abs(diff) <= TOLERANCE:
        verdict = "pass"
    elif all(v is not None for v in values):
        verdict = "fail"
    else:
        verdict = "not_assessable"

    if verdict == "pass":  # the common case: keep it cheap
        detail = f"{where}: {_fmt(lsum)} = {_fmt(rsum)}"
    else:
        detail = (
            f"{where}: expected {_side(left)} = {_fmt(lsum)}, found {_side(right)} = {_fmt(rsum)} (diff {diff:g})"
            + (
                " [nulls counted as 0]"
                if verdict == "not_assessable" and any(v is not None for v in values)
                else ""
            )
        )
    return CheckResult(check=check, instance=instance, verdict=verdict, detail=detail)


def run_checks(cells: Mapping[str, Cell], template: Template) -> list[CheckResult]:
    """t3_flow, t3_row_total, t3_result_sum, t4_subtotals for one report."""
    if template not in ("v2019", "v2021", "unknown"):
        return []  # pre-2019 reports have no canonical tables
    out: list[CheckResult] = []
    g = {k: c.value for k, c in cells.items()}.get  # missing cell = null
    has_t3 = any(k.startswith("t3.") for k in cells)
    has_t4 = any(k.startswith("t4.") for k in cells)
    if has_t3:
        rows = t3_rows(template)
        for c in T3_COLUMNS:

            def v(row: str, col: str = c) -> tuple[str, int | float | None]:
                return row, g(f"t3.{row}.{col}")

            out.append(
                _judge(
                    "t3_flow",
                    c,
                    [v("new_received"), v("carried_over")],
                    [v("result_total"), v("carry_next")],
                    f"表三 column {c}: new_received + carried_over vs result_total + carry_next",
                )
            )
        for r in rows:
            out.append(
                _judge(
                    "t3_row_total",
                    r,
                    [("total", g(f"t3.{r}.total"))],
                    [(c, g(f"t3.{r}.{c}")) for c in T3_ORG_COLUMNS],
                    f"表三 row {r}: total vs sum of the six applicant columns",
                )
            )
        parts = (*_T3_RESULT_PARTS_COMMON, *T3_OTHER_ROWS.get(template, ()))
        for c in T3_COLUMNS if template != "unknown" else ():  # unknown: which 其他处理 rows exist?
            out.append(
                _judge(
                    "t3_result_sum",
                    c,
                    [("result_total", g(f"t3.result_total.{c}"))],
                    [(p, g(f"t3.{p}.{c}")) for p in parts],
                    f"表三 column {c}: result_total vs sum of the handling-result rows",
                )
            )
    if has_t4:
        for r in T4_ROWS:
            out.append(
                _judge(
                    "t4_subtotals",
                    r,
                    [("total", g(f"t4.{r}.total"))],
                    [(c, g(f"t4.{r}.{c}")) for c in T4_COLUMNS if c != "total"],
                    f"表四 {r}: total vs maintain + correct + other + pending",
                )
            )
    return out


def cross_year_checks(current: Mapping[str, Cell], previous: Mapping[str, Cell]) -> list[CheckResult]:
    """cross_year: carried_over(Y)[c] == carry_next(Y-1)[c] for every t3 column."""
    if not any(k.startswith("t3.") for k in current) or not any(k.startswith("t3.") for k in previous):
        return []
    return [
        _judge(
            "cross_year",
            c,
            [("carry_next(Y-1)", _value(previous, f"t3.carry_next.{c}"))],
            [("carried_over(Y)", _value(current, f"t3.carried_over.{c}"))],
            f"表三 column {c}: this year's carried_over vs last year's carry_next",
        )
        for c in T3_COLUMNS
    ]
