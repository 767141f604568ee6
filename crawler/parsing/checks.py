"""The accounting identities of cell-keys.yaml, evaluated per instance.

Rule (cell-keys.yaml ``checks``): blank (null) cells count as 0. If the identity holds -> ``pass``
(real tables often leave zeros blank); if it does not hold -> ``fail`` only when every operand is a
number, else ``not_assessable``; when every operand is null -> ``not_assessable``. Differences up to
0.5 are tolerated (rounded decimals). A table with no cells at all is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

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


def _side(terms: Sequence[tuple[str, int | float | None]], nulls: int | None = None) -> str:
    """One side of an identity for a detail text; ``nulls`` when the caller has counted them."""
    if len(terms) == 1:
        return f"{terms[0][0]}={_fmt(terms[0][1])}"
    # _fmt inlined (a failing 表三 check formats ~20 operands): floats by :g, ints by str
    nonzero = [
        f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}" for n, v in terms if v is not None and v != 0
    ]
    if nulls is None:
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
    # One pass per side (this runs ~30 times per report): same additions, in the same order, as
    # sum(v or 0 ...), so int/float results and their formatting are unchanged.
    lsum: int | float = 0
    rsum: int | float = 0
    lnulls = rnulls = 0
    for _, v in left:
        if v is None:
            lnulls += 1
        else:
            lsum += v or 0
    for _, v in right:
        if v is None:
            rnulls += 1
        else:
            rsum += v or 0
    nulls = lnulls + rnulls
    diff = lsum - rsum
    verdict: Verdict
    if nulls == len(left) + len(right):
        verdict = "not_assessable"
    elif abs(diff) <= TOLERANCE:
        verdict = "pass"
    elif not nulls:
        verdict = "fail"
    else:
        verdict = "not_assessable"

    if verdict == "pass":  # the common case: keep it cheap
        detail = f"{where}: {_fmt(lsum)} = {_fmt(rsum)}"
    else:
        detail = (
            f"{where}: expected {_side(left, lnulls)} = {_fmt(lsum)}, found {_side(right, rnulls)} = {_fmt(rsum)} (diff {diff:g})"
            + (
                " [nulls counted as 0]"
                if verdict == "not_assessable" and nulls < len(left) + len(right)
                else ""
            )
        )
    return CheckResult(check=check, instance=instance, verdict=verdict, detail=detail)


_Plan = tuple[str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]


@lru_cache(maxsize=8)
def _plans(template: str) -> tuple[tuple[_Plan, ...], tuple[_Plan, ...]]:
    """(表三 checks, 表四 checks) of a format version as (check, instance, left, right, where), where
    left/right are (operand name, cell key) pairs: the keys and texts are built once, not per report."""
    t3: list[_Plan] = []
    for c in T3_COLUMNS:
        t3.append((
            "t3_flow", c,
            (("new_received", f"t3.new_received.{c}"), ("carried_over", f"t3.carried_over.{c}")),
            (("result_total", f"t3.result_total.{c}"), ("carry_next", f"t3.carry_next.{c}")),
            f"表三 column {c}: new_received + carried_over vs result_total + carry_next",
        ))  # fmt: skip
    for r in t3_rows(template):
        t3.append((
            "t3_row_total", r,
            (("total", f"t3.{r}.total"),),
            tuple((c, f"t3.{r}.{c}") for c in T3_ORG_COLUMNS),
            f"表三 row {r}: total vs sum of the six applicant columns",
        ))  # fmt: skip
    parts = (*_T3_RESULT_PARTS_COMMON, *T3_OTHER_ROWS.get(template, ()))
    for c in T3_COLUMNS if template != "unknown" else ():  # unknown: which 其他处理 rows exist?
        t3.append((
            "t3_result_sum", c,
            (("result_total", f"t3.result_total.{c}"),),
            tuple((p, f"t3.{p}.{c}") for p in parts),
            f"表三 column {c}: result_total vs sum of the handling-result rows",
        ))  # fmt: skip
    t4: list[_Plan] = [
        (
            "t4_subtotals", r,
            (("total", f"t4.{r}.total"),),
            tuple((c, f"t4.{r}.{c}") for c in T4_COLUMNS if c != "total"),
            f"表四 {r}: total vs maintain + correct + other + pending",
        )
        for r in T4_ROWS
    ]  # fmt: skip
    return tuple(t3), tuple(t4)


def run_checks(cells: dict[str, Cell], template: Template) -> list[CheckResult]:
    """t3_flow, t3_row_total, t3_result_sum, t4_subtotals for one report."""
    if template not in ("v2019", "v2021", "unknown"):
        return []  # pre-2019 reports have no canonical tables
    out: list[CheckResult] = []
    g = {k: c.value for k, c in cells.items()}.get  # missing cell = null
    has_t3 = any(k.startswith("t3.") for k in cells)
    has_t4 = any(k.startswith("t4.") for k in reversed(cells))  # 表四 cells come last: found at once
    t3, t4 = _plans(template)
    for plans in (t3 if has_t3 else (), t4 if has_t4 else ()):
        for check, instance, left, right, where in plans:
            out.append(
                _judge(check, instance, [(n, g(k)) for n, k in left], [(n, g(k)) for n, k in right], where)
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
