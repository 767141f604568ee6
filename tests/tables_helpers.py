"""Helpers for the table-parsing tests: report specs, pages from the renderer, the direct table path."""

from __future__ import annotations

import datetime as dt
import random

import lxml.html
from shared_data import SAMPLES

from crawler.parsing.checks import run_checks
from crawler.parsing.grid import grids_from_html
from crawler.parsing.report import build_report
from crawler.parsing.result import Cell, Metadata, ParseResult
from crawler.parsing.schema import keys_for
from simulator.render import render_report_html
from simulator.spec import ReportSpec

_BLOCK = frozenset(("p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "li", "pre"))


def sample_text(prefix: str) -> str:
    matches = [p for p in SAMPLES.glob(f"{prefix}*.txt") if not p.name.endswith(".source.txt")]
    assert len(matches) == 1, matches
    return matches[0].read_text(encoding="utf-8")


def random_cells(rng: random.Random, template: str) -> dict[str, int | float | None]:
    """Plausible truth for a report: blanks, zeros, counts, signed changes, decimal fees."""
    cells: dict[str, int | float | None] = {}
    for k in keys_for(template):
        x = rng.random()
        if x < 0.2:
            cells[k] = None
        elif x < 0.5:
            cells[k] = 0
        else:
            cells[k] = rng.choice([1, 2, 3, 7, 12, 150, 1234, 25100, 310000])
        if k.endswith(".change") and cells[k] and rng.random() < 0.5:
            cells[k] = -int(cells[k])  # type: ignore[arg-type]
        if k == "t2.art20_8.fees.amount" and cells[k] and rng.random() < 0.5:
            cells[k] = 9.63211
    return cells


def make_spec(template: str, cells: dict[str, int | float | None], n: int = 0) -> ReportSpec:
    return ReportSpec(
        agency=f"示例县第{n}局",
        agency_kind="department",
        year=2020 if template != "v2021" else 2022,
        template=template,
        title=f"示例县第{n}局{2020 if template != 'v2021' else 2022}年政府信息公开工作年度报告",
        cells=cells,
        index_no="11410000/2021-00012",
        issuer=f"示例县第{n}局",
        published=dt.date(2021, 1, 20),
    )


def page_bytes(spec: ReportSpec, variant: str, encoding: str = "utf-8") -> bytes:
    body = render_report_html(spec, variant, encoding=encoding)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>{spec.title}</title></head>'
        f"<body><div class='header'>示例县人民政府</div>{body}</body></html>"
    ).encode(encoding)


def page_text(root: lxml.html.HtmlElement) -> str:
    """Visible text with line breaks at blocks and " | " between cells (like the page parser)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _BLOCK:
            el.tail = "\n" + (el.tail or "")
        elif el.tag in ("td", "th"):
            el.tail = " | " + (el.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def parse_direct(html: str | bytes) -> ParseResult:
    """Tables path without the page parser: lxml -> grids_from_html + text -> build_report."""
    root = lxml.html.document_fromstring(html)
    grids = grids_from_html(root, max_nesting=40, max_cells=200_000)
    return build_report(text=page_text(root), grids=grids, metadata=Metadata(), source="html")


def expected_verdicts(cells: dict[str, int | float | None], template: str) -> dict[str, str]:
    return {
        f"{c.check}/{c.instance}": c.verdict
        for c in run_checks({k: Cell(k, v, "") for k, v in cells.items()}, template)  # type: ignore[arg-type]
    }


def got_verdicts(result: ParseResult) -> dict[str, str]:
    return {f"{c.check}/{c.instance}": c.verdict for c in result.checks}


def cell_values(result: ParseResult) -> dict[str, int | float | None]:
    return {k: c.value for k, c in result.cells.items()}
