"""Random but internally consistent table cells for one report, and the identities they obey.

Cells are generated per (agency, year) from their own RNG so any report can be built lazily and
independently; the one link between years (carried_over(Y) == carry_next(Y-1)) is kept by drawing
carry_next from an RNG that depends only on (agency, year), so year Y can recompute year Y-1's value.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from crawler.parsing.schema import T3_COLUMNS, T4_COLUMNS, T4_ROWS

ORG_COLS = T3_COLUMNS[:-1]  # the six applicant columns (total is derived)
DENY = ("deny_state_secret", "deny_law", "deny_3s1w", "deny_third_party", "deny_internal", "deny_process",
        "deny_case_file", "deny_query")
UNABLE = ("unable_not_held", "unable_need_make", "unable_unclear")
NP = ("np_petition", "np_repeat", "np_publication", "np_massive", "np_confirm")
OTHER_V2019 = ("other_handling",)
OTHER_V2021 = ("other_no_correction", "other_fee_unpaid", "other_other")


def result_rows(template: str) -> tuple[str, ...]:
    other = OTHER_V2019 if template == "v2019" else OTHER_V2021
    return ("granted", "partial", *DENY, *UNABLE, *NP, *other)


def t3_rows(template: str) -> tuple[str, ...]:
    return ("new_received", "carried_over", *result_rows(template), "result_total", "carry_next")


# "t3.<row>.<col>" key strings, built once (make_cells runs for every report of a world)
_T3_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    r: (tuple(f"t3.{r}.{c}" for c in ORG_COLS), f"t3.{r}.total")
    for r in (*t3_rows("v2019"), *OTHER_V2021)
}

# how often each applicant type asks (natural persons dominate in every real report)
_COL_WEIGHT = {"natural_person": 1.0, "commercial": 0.25, "research": 0.02, "social_welfare": 0.03,
               "legal_service": 0.08, "other_org": 0.06}
# where requests end up (予以公开 dominates, then 无法提供/不掌握)
_RESULT_WEIGHT = {"granted": 50, "partial": 8, "deny_third_party": 2, "deny_process": 2, "deny_internal": 1,
                  "deny_state_secret": 0.3, "deny_law": 0.5, "deny_3s1w": 0.3, "deny_case_file": 0.5,
                  "deny_query": 0.5, "unable_not_held": 14, "unable_need_make": 2, "unable_unclear": 1.5,
                  "np_petition": 2, "np_repeat": 2, "np_publication": 0.5, "np_massive": 0.3, "np_confirm": 0.4,
                  "other_handling": 3, "other_no_correction": 1.5, "other_fee_unpaid": 0.3, "other_other": 1.5}
_SCALE = {"county_government": 40, "summary": 160, "government_office": 15, "department": 6, "township": 2}


def _rng(seed: int, agency_key: str, year: int, what: str) -> random.Random:
    return random.Random(f"{seed}|{agency_key}|{year}|{what}")


def carry_next_values(seed: int, agency_key: str, kind: str, year: int) -> dict[str, int]:
    """carry_next per applicant column: depends only on (agency, year) so Y+1 can recompute it."""
    rng = _rng(seed, agency_key, year, "carry")
    scale = _SCALE.get(kind, 4)
    out = {}
    for c in ORG_COLS:
        p = 0.35 * _COL_WEIGHT[c] if scale > 3 else 0.1 * _COL_WEIGHT[c]
        out[c] = rng.randint(1, max(1, scale // 8)) if rng.random() < p else 0
    return out


def _spread(rng: random.Random, n: int, rows: tuple[str, ...]) -> dict[str, int]:
    weights = [_RESULT_WEIGHT[r] for r in rows]
    out = dict.fromkeys(rows, 0)
    for r in rng.choices(rows, weights, k=n) if n else ():
        out[r] += 1
    return out


def make_cells(seed: int, agency_key: str, kind: str, year: int, template: str,
               prev_template: str | None) -> dict[str, int | float | None]:
    """All canonical cells of one report, satisfying every identity (t3_flow, row totals, result
    sums, t4 subtotals) and the cross-year carry link when the previous year had tables."""
    if template not in ("v2019", "v2021"):
        return {}
    rng = _rng(seed, agency_key, year, "cells")
    scale = _SCALE.get(kind, 4)
    rows = result_rows(template)
    carried = (carry_next_values(seed, agency_key, kind, year - 1) if prev_template in ("v2019", "v2021")
               else dict.fromkeys(ORG_COLS, 0))
    nxt = carry_next_values(seed, agency_key, kind, year)
    t3: dict[str, list[int]] = {r: [] for r in t3_rows(template)}
    for c in ORG_COLS:
        lam = scale * _COL_WEIGHT[c]
        new = nxt[c] + (int(rng.expovariate(1 / lam)) if rng.random() < min(0.95, lam / 2) else 0)
        handled = new + carried[c] - nxt[c]
        spread = _spread(rng, handled, rows)
        t3["new_received"].append(new)
        t3["carried_over"].append(carried[c])
        for r in rows:
            t3[r].append(spread[r])
        t3["result_total"].append(handled)
        t3["carry_next"].append(nxt[c])
    cells: dict[str, int | float | None] = {}
    for r, per_col in t3.items():
        names, total = _T3_KEYS[r]
        cells.update(zip(names, per_col, strict=True))
        cells[total] = sum(per_col)
    for r in T4_ROWS:
        vals = {c: (rng.randint(0, 2) if rng.random() < 0.15 * (scale / 10) else 0) for c in T4_COLUMNS[:-1]}
        for c, v in vals.items():
            cells[f"t4.{r}.{c}"] = v
        cells[f"t4.{r}.total"] = sum(vals.values())
    cells.update(_t2(rng, template, scale))
    return cells


def _t2(rng: random.Random, template: str, scale: int) -> dict[str, int | float | None]:
    n = lambda hi: rng.randint(0, max(0, hi))  # noqa: E731 - tiny local helper
    out: dict[str, int | float | None] = {}
    if template == "v2019":
        for row in ("regulations", "normative_docs"):
            made = n(scale // 5) if row == "normative_docs" else 0
            out[f"t2.art20_1.{row}.made"] = made
            out[f"t2.art20_1.{row}.published"] = made
            out[f"t2.art20_1.{row}.total_public"] = made + n(scale)
        for block, rows in (("art20_5", ("licensing", "other_services")), ("art20_6", ("penalty", "coercion"))):
            for row in rows:
                out[f"t2.{block}.{row}.prev_items"] = n(scale * 3)
                out[f"t2.{block}.{row}.change"] = rng.randint(-3, 5)
                out[f"t2.{block}.{row}.decisions"] = n(scale * 20)
        out["t2.art20_8.fees.prev_items"] = n(5)
        out["t2.art20_8.fees.change"] = rng.randint(-1, 1)
        items = n(scale)
        out["t2.art20_9.procurement.items"] = items
        out["t2.art20_9.procurement.amount"] = items * rng.randint(1, 500) * 1000
    else:
        for row in ("regulations", "normative_docs"):
            issued = n(scale // 5) if row == "normative_docs" else 0
            out[f"t2.art20_1.{row}.issued"] = issued
            out[f"t2.art20_1.{row}.repealed"] = n(2) if issued else 0
            out[f"t2.art20_1.{row}.in_force"] = issued + n(scale)
        out["t2.art20_5.licensing.decisions"] = n(scale * 30)
        out["t2.art20_6.penalty.decisions"] = n(scale * 10)
        out["t2.art20_6.coercion.decisions"] = n(scale)
        out["t2.art20_8.fees.amount"] = round(rng.random() * 20, 4) if rng.random() < 0.3 else 0
    return out


def blank_zeros(cells: dict[str, int | float | None], rng: random.Random, share: float) -> None:
    """Real tables often leave zero cells empty; the checks count blanks as 0, so this stays consistent."""
    for k, v in cells.items():
        if v == 0 and k.startswith(("t3.", "t4.")) and rng.random() < share:
            cells[k] = None


# ---------------------------------------------------------------------------------------------------
# identities (the checks of cell-keys.yaml), used for the simulator's own truth and tests


def _verdict(instances: list[str]) -> str:
    if "fail" in instances:
        return "fail"
    if "pass" in instances:
        return "pass"
    return "not_assessable"


def _instance(lhs: list[int | float | None], rhs: list[int | float | None]) -> str:
    nulls = lhs.count(None) + rhs.count(None)
    if nulls == len(lhs) + len(rhs):
        return "not_assessable"
    left = sum([v for v in lhs if v is not None])
    right = sum([v for v in rhs if v is not None])
    if abs(left - right) < 1e-9:
        return "pass"
    return "not_assessable" if nulls else "fail"


def check_identities(cells: Mapping[str, int | float | None], template: str) -> dict[str, str]:
    """Verdict per within-report check (t3_flow, t3_row_total, t3_result_sum, t4_subtotals)."""
    if template not in ("v2019", "v2021"):
        return {}
    g = cells.get
    flow, row_total, result_sum, t4 = [], [], [], []
    for c in T3_COLUMNS:
        flow.append(_instance([g(f"t3.new_received.{c}"), g(f"t3.carried_over.{c}")],
                              [g(f"t3.result_total.{c}"), g(f"t3.carry_next.{c}")]))
        result_sum.append(_instance([g(f"t3.result_total.{c}")], [g(f"t3.{r}.{c}") for r in result_rows(template)]))
    for r in t3_rows(template):
        row_total.append(_instance([g(f"t3.{r}.total")], [g(f"t3.{r}.{c}") for c in ORG_COLS]))
    for r in T4_ROWS:
        t4.append(_instance([g(f"t4.{r}.total")], [g(f"t4.{r}.{c}") for c in T4_COLUMNS[:-1]]))
    return {"t3_flow": _verdict(flow), "t3_row_total": _verdict(row_total),
            "t3_result_sum": _verdict(result_sum), "t4_subtotals": _verdict(t4)}


def cross_year(cells: Mapping[str, int | float | None], prev: Mapping[str, int | float | None]) -> str:
    """carried_over(Y) == carry_next(Y-1), per column; same verdict rules as the other checks."""
    inst = [_instance([cells.get(f"t3.carried_over.{c}")], [prev.get(f"t3.carry_next.{c}")]) for c in T3_COLUMNS]
    return _verdict(inst)
