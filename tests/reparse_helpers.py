"""Archives for the reparse tests: simulator pages stored with results of an older, degraded parser.

Each stored report gets a known *kind* of degradation, so the diff a re-parse must report is known
by construction (relative to what the current parser makes of the very same bytes):
  drop3   the old result lacks 3 cells                  -> 3 cells added
  value   one cell had another value/raw, t3_flow fail  -> 1 cell changed (+ t3_flow fail -> pass)
  same    identical content, only an older version tag  -> unchanged (parser version confirmed)
  empty   old parse found no tables (status no_tables)  -> became parseable, every cell added
  worse   the page's identities fail, the old result said pass -> checks pass -> fail
  lost    the page has no tables (any more), the old result had them -> stopped being parseable
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

from crawler.parsing import Cell, CheckResult, ParseResult, parse_document
from simulator.cells import make_cells
from simulator.render import render_report_html
from simulator.spec import ReportSpec
from storage.archive import Archive
from storage.records import FetchedResponse, PortalInfo

OLD_VERSION = "0.9.0"
PORTAL = PortalInfo(
    name="示例县人民政府", region_code="411000", province="河南省", city="示例市", county="示例县"
)
KINDS = ("drop3", "value", "same", "empty")
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx")]


def spec_for(i: int) -> ReportSpec:
    agency = f"示例县第{i}局"
    year = 2019 + i % 3
    return ReportSpec(
        agency=agency,
        agency_kind="department",
        year=year,
        template="v2019",
        title=f"{agency}{year}年政府信息公开工作年度报告",
        cells=make_cells(7, agency, "department", year, "v2019", None),
        index_no=f"11410000/{year + 1}-{i:05d}",
        issuer=agency,
        published=dt.date(year + 1, 1, 20),
    )


def page_for(i: int, kind: str = "") -> FetchedResponse:
    """The report page; kind "worse": its t3 new_received total is off by 5 (identities fail);
    "lost": the tables are gone (the text announces a report, nothing to map)."""
    spec = spec_for(i)
    if kind == "worse":
        spec.cells = dict(spec.cells)
        spec.cells[WORSE_KEY] = (spec.cells[WORSE_KEY] or 0) + 5
    body = render_report_html(spec, "standard")
    if kind == "lost":
        body = f"<h1>{spec.title}</h1><p>发布机构：{spec.agency}</p><p>{spec.agency}{spec.year}年政府信息公开工作年度报告。</p>"
    html = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{spec.title}</title></head>'
        f"<body>{body}</body></html>"
    ).encode()
    url = f"http://127.0.0.1:8999/xxgk/{i}.html"
    return FetchedResponse(url=url, final_url=url, status=200, body=html, response_headers=list(HEADERS))


def current_parse(page: FetchedResponse) -> ParseResult:
    """What the current parser makes of the page (memoised: the pages are deterministic; never mutated)."""
    return _parse_cached(page.body, page.final_url, tuple(page.response_headers))


@functools.lru_cache(maxsize=512)
def _parse_cached(body: bytes, url: str, headers: tuple[tuple[str, str], ...]) -> ParseResult:
    return parse_document(body, url, {k.lower(): v for k, v in headers})


def degrade(good: ParseResult, kind: str) -> ParseResult:
    """The result an older parser is pretended to have stored."""
    keys = sorted(good.cells)
    if kind == "drop3":
        cells = {k: c for k, c in good.cells.items() if k not in keys[:3]}
        return replace(good, cells=cells, parser_version=OLD_VERSION)
    if kind == "value":
        k = VALUE_KEY
        c = good.cells[k]
        cells = dict(good.cells)
        cells[k] = Cell(k, (c.value or 0) + 1000, f"{(c.value or 0) + 1000}")
        checks = [
            CheckResult(x.check, x.instance, "fail", "old") if x.check == "t3_flow" else x
            for x in good.checks
        ]
        return replace(good, cells=cells, checks=checks, parser_version=OLD_VERSION)
    if kind == "same":
        return replace(good, parser_version=OLD_VERSION)
    if kind == "worse":  # an old parser that called every identity a pass
        return replace(
            good, checks=[replace(x, verdict="pass") for x in good.checks], parser_version=OLD_VERSION
        )
    if kind == "empty":
        return replace(
            good,
            status="no_tables",
            message="no tables found",
            cells={},
            checks=[],
            parser_version=OLD_VERSION,
        )
    raise ValueError(kind)


VALUE_KEY = "t3.granted.total"
WORSE_KEY = "t3.new_received.total"


@dataclass(slots=True)
class Stored:
    report_id: int
    kind: str
    page: FetchedResponse
    good: ParseResult
    old: ParseResult


def populate(url: str, n: int, kinds: tuple[str, ...] = KINDS, start: int = 0) -> list[Stored]:
    """Store ``n`` reports (kinds in rotation) with their degraded results; returns what was stored."""
    out: list[Stored] = []
    with Archive.open(url) as archive:
        run = archive.start_run("crawl", {"test": "reparse"})
        for i in range(start, start + n):
            kind = kinds[i % len(kinds)]
            page = page_for(i, kind)
            good = current_parse(page)
            if kind == "lost":  # the old parser found the tables of the page as it used to be
                assert good.status != "ok" and not good.cells, good.status
                old = replace(current_parse(page_for(i)), parser_version=OLD_VERSION)
            else:
                assert good.status == "ok" and len(good.cells) > 100, (good.status, good.message)
                old = degrade(good, kind)
            rec = archive.record_report(run_id=run, portal=PORTAL, page=page, parsed=old)
            assert rec.change == "new"
            out.append(Stored(rec.report_id, kind, page, good, old))  # type: ignore[arg-type]
        archive.finish_run(run, "finished", {})
    return out
