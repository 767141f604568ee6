"""The canonical cell keys, loaded once from ``data/cell-keys.yaml`` (a verbatim copy of the shared file).

Everything that names a cell (the table mapper, the checks, the archive views, the codebook) uses
:data:`CELL_KEYS` or the helpers below, so there is exactly one list of keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

# English labels for the codebook; Chinese labels come from the YAML file itself.
_ENGLISH = {
    "natural_person": "natural persons",
    "commercial": "commercial enterprises",
    "research": "research institutions",
    "social_welfare": "social welfare organisations",
    "legal_service": "legal service organisations",
    "other_org": "other organisations",
    "total": "total",
    "new_received": "new requests received this year",
    "carried_over": "requests carried over from last year",
    "granted": "granted",
    "partial": "partially granted",
    "deny_state_secret": "denied: state secret",
    "deny_law": "denied: other laws prohibit disclosure",
    "deny_3s1w": "denied: endangers the 'three securities, one stability'",
    "deny_third_party": "denied: protects third-party rights",
    "deny_internal": "denied: internal affairs",
    "deny_process": "denied: process information",
    "deny_case_file": "denied: administrative enforcement case file",
    "deny_query": "denied: administrative query matter",
    "unable_not_held": "unable: agency does not hold the information",
    "unable_need_make": "unable: would need to be newly produced",
    "unable_unclear": "unable: request still unclear after correction",
    "np_petition": "not processed: petition/complaint",
    "np_repeat": "not processed: repeated request",
    "np_publication": "not processed: asks for publications",
    "np_massive": "not processed: massive repeated requests",
    "np_confirm": "not processed: asks to confirm/reissue information",
    "other_handling": "other handling",
    "other_no_correction": "other: no correction in time",
    "other_fee_unpaid": "other: fee not paid in time",
    "other_other": "other: other",
    "result_total": "total handled",
    "carry_next": "carried over to next year",
    "review": "administrative review",
    "lit_direct": "litigation without prior review",
    "lit_after": "litigation after review",
    "maintain": "upheld",
    "correct": "corrected",
    "other": "other outcome",
    "pending": "pending",
    "regulations": "rules (规章)",
    "normative_docs": "normative documents",
    "licensing": "administrative licensing",
    "other_services": "other external management services",
    "penalty": "administrative penalty",
    "coercion": "administrative coercion",
    "fees": "administrative fees",
    "procurement": "government centralised procurement",
    "made": "newly made this year",
    "published": "newly published this year",
    "total_public": "total public",
    "prev_items": "items last year",
    "change": "change this year",
    "decisions": "decisions",
    "items": "procurement items",
    "amount": "amount",
    "issued": "issued this year",
    "repealed": "repealed this year",
    "in_force": "currently in force",
}

TEMPLATES = ("v2019", "v2021")


@dataclass(frozen=True, slots=True)
class CellKey:
    key: str  # e.g. "t3.new_received.total"
    table: str  # "t2" | "t3" | "t4"
    row: str
    col: str
    block: str | None  # 表二 block, e.g. "art20_1"
    label_zh: str  # "<row label> / <col label>"
    label_en: str
    unit: str  # "件" | "元" | "万元" | "项"
    templates: tuple[str, ...]  # format versions that have this key


def _load_yaml() -> dict:
    text = resources.files("crawler.parsing").joinpath("data/cell-keys.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _unit(table: str, block: str | None, col: str, template: str) -> str:
    if table == "t2" and col == "amount":
        return "元" if template == "v2019" else "万元"
    if table == "t2" and block in ("art20_5", "art20_6", "art20_8") and col in ("prev_items", "change"):
        return "项"
    return "件"


@cache
def cell_keys() -> tuple[CellKey, ...]:
    """Every canonical cell key, in table order (t2, t3, t4)."""
    doc = _load_yaml()
    found: dict[str, CellKey] = {}

    def add(key: str, **kw: Any) -> None:
        prev = found.get(key)
        if prev is None:
            found[key] = CellKey(key=key, **kw)
        else:
            templates = tuple(sorted(set(prev.templates) | set(kw["templates"])))
            found[key] = CellKey(
                key=key, **{**kw, "templates": templates, "unit": prev.unit if prev.unit == kw["unit"] else "元/万元"}
            )

    for template in TEMPLATES:
        for block, spec in doc[f"t2_{template}"].items():
            for row, row_zh in spec["rows"].items():
                for col, col_zh in spec["cols"].items():
                    add(
                        f"t2.{block}.{row}.{col}",
                        table="t2",
                        row=row,
                        col=col,
                        block=block,
                        label_zh=f"{row_zh} / {col_zh}",
                        label_en=f"{_ENGLISH.get(row, row)} / {_ENGLISH.get(col, col)}",
                        unit=_unit("t2", block, col, template),
                        templates=(template,),
                    )
    t3 = doc["t3"]
    for template in TEMPLATES:
        rows = dict(t3["rows_v2019"])
        if template == "v2021":
            rows.pop("other_handling")
            tail = {k: rows.pop(k) for k in ("result_total", "carry_next")}
            rows.update(t3["rows_v2021"])
            rows.update(tail)
        for row, row_zh in rows.items():
            for col, col_zh in t3["cols"].items():
                add(
                    f"t3.{row}.{col}",
                    table="t3",
                    row=row,
                    col=col,
                    block=None,
                    label_zh=f"{row_zh} / {col_zh}",
                    label_en=f"{_ENGLISH.get(row, row)} / {_ENGLISH.get(col, col)}",
                    unit="件",
                    templates=(template,),
                )
    t4 = doc["t4"]
    for row, row_zh in t4["rows"].items():
        for col, col_zh in t4["cols"].items():
            add(
                f"t4.{row}.{col}",
                table="t4",
                row=row,
                col=col,
                block=None,
                label_zh=f"{row_zh} / {col_zh}",
                label_en=f"{_ENGLISH.get(row, row)} / {_ENGLISH.get(col, col)}",
                unit="件",
                templates=TEMPLATES,
            )
    return tuple(found.values())


@cache
def keys_for(template: str) -> tuple[str, ...]:
    """The cell keys a report of the given format version has (empty for pre2019/unknown)."""
    return tuple(k.key for k in cell_keys() if template in k.templates)


@cache
def check_names() -> tuple[str, ...]:
    return tuple(_load_yaml()["checks"].keys())


T3_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
)
T4_ROWS: tuple[str, ...] = ("review", "lit_direct", "lit_after")
T4_COLUMNS: tuple[str, ...] = ("maintain", "correct", "other", "pending", "total")
# key figures for the wide researcher view (one row per report)
KEY_FIGURES: tuple[str, ...] = (
    "t3.new_received.total",
    "t3.carried_over.total",
    "t3.granted.total",
    "t3.partial.total",
    "t3.result_total.total",
    "t3.carry_next.total",
    "t4.review.total",
    "t4.lit_direct.total",
    "t4.lit_after.total",
)
