"""A small but varied archive for the export, serve, snapshot and coverage tests, built through the
Archive API only (record_report / store_capture / start_run / finish_run, never raw SQL).

What it holds (``EXPECTED`` describes the current versions, the tests' ground truth):
- 山阳县 (611024): the county government 2020 (recorded twice: the second parse changed a cell, so
  version 2 is current), 2021 parsed by the real parser from a simulator-rendered page, a
  department 2020 parsed only partially, a department 2021 whose report failed (no tables) and
  whose cells came from a PDF attachment;
- 城口县 (500229): the county government 2021 (v2021) and two blocked responses (HTTP 403);
- a crawl run whose stats say 城口县's portal blocked 5 pages.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from storage_helpers import OTHER_PORTAL, PORTAL, page, report

from crawler.parsing.result import Cell, CheckResult, ParseResult
from storage.archive import Archive
from storage.records import FetchedResponse

SCRIPT_PAGE = (
    "<html><head><meta charset='utf-8'><title>山阳县人民政府2020年政府信息公开工作年度报告</title></head>"
    "<body><h1>山阳县人民政府2020年政府信息公开工作年度报告</h1>"
    "<script>document.title='pwned'; fetch('/archive/reports.json')</script>"
    "<p id='body'>一、总体情况</p></body></html>"
)
T0 = dt.datetime(2021, 2, 1, 8, 30, tzinfo=dt.UTC)


@dataclass
class Built:
    url: str
    expected: dict[tuple[str, int], ParseResult]  # (agency, year) -> the current version's content
    regions: dict[str, tuple[str | None, str | None, str | None, str | None]]  # agency -> province/city/county/code
    script_sha: str  # sha256 of the page carrying a <script>
    pdf_sha: str


@functools.cache
def _simulated(agency: str, year: int) -> tuple[bytes, ParseResult]:
    """Rendered and parsed once per test session (parse_document is pure; the result is not mutated)."""
    from crawler.parsing.dispatch import parse_document
    from simulator.cells import make_cells
    from simulator.render import render_report_html
    from simulator.spec import ReportSpec

    template = "v2021" if year >= 2021 else "v2019"
    cells = make_cells(7, agency, "county_government", year, template, None)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(
        agency=agency, agency_kind="county_government", year=year, template=template, title=title, cells=cells,
        issuer=agency, published=dt.date(year + 1, 1, 25),
        sections={"overview": "一、总体情况 本年度依申请公开和行政复议工作稳步推进。"},
    )
    body = (
        f"<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='ArticleTitle' content='{title}'></head><body>{render_report_html(spec, 'standard')}</body></html>"
    ).encode()
    url = f"http://127.0.0.1/sy/{year}.html"
    parsed = parse_document(body, url, {"content-type": "text/html; charset=utf-8"})
    return body, parsed


def _partial(agency: str, year: int) -> ParseResult:
    r = report(agency, year, new_received=3, kind="department", status="partial")
    r.message = "表四 not found"
    r.cells = {k: c for k, c in r.cells.items() if k.startswith("t3.")}
    r.checks = [CheckResult("t3_flow", "total", "fail", "3+1 != 3+1+2")]
    r.sections = {"overview": "一、总体情况 本局行政复议案件为零。"}
    return r


def _failed_with_attachment(agency: str, year: int) -> ParseResult:
    r = report(agency, year, kind="department", status="no_tables", template="unknown")
    r.message = "tables are in an attachment we could not read"
    r.source = "pdf"
    r.cells = {"t3.new_received.total": Cell("t3.new_received.total", 4, "4 件")}
    r.checks = []
    return r


def build_archive(url: str) -> Built:
    expected: dict[tuple[str, int], ParseResult] = {}
    with Archive.open(url) as a:
        run = a.start_run("crawl", {"test": True})
        first = report("山阳县人民政府", 2020, new_received=10)
        a.record_report(run_id=run, portal=PORTAL, page=page("http://127.0.0.1/sy/2020.html", SCRIPT_PAGE,
                                                              fetched_at=T0), parsed=first)
        second = report("山阳县人民政府", 2020, new_received=12)
        out = a.record_report(run_id=run, portal=PORTAL,
                              page=page("http://127.0.0.1/sy/2020.html", SCRIPT_PAGE + " ", fetched_at=T0),
                              parsed=second)
        assert out.change == "changed"
        expected[("山阳县人民政府", 2020)] = second

        body, parsed = _simulated("山阳县人民政府", 2021)
        assert parsed.is_report and parsed.cells, parsed.message
        a.record_report(run_id=run, portal=PORTAL, page=page("http://127.0.0.1/sy/2021.html", body), parsed=parsed)
        expected[("山阳县人民政府", 2021)] = parsed

        part = _partial("山阳县统计局", 2020)
        a.record_report(run_id=run, portal=PORTAL, page=page("http://127.0.0.1/sy/tj2020.html", "tj"), parsed=part)
        expected[("山阳县统计局", 2020)] = part

        failed = _failed_with_attachment("山阳县教育局", 2021)
        pdf = FetchedResponse(
            url="http://127.0.0.1/sy/jy2021.pdf", final_url="http://127.0.0.1/sy/jy2021.pdf", status=200,
            body=b"%PDF-1.4 not really a pdf", response_headers=[("Content-Type", "application/pdf")],
        )
        a.record_report(run_id=run, portal=PORTAL, page=page("http://127.0.0.1/sy/jy2021.html", "jy"), parsed=failed,
                        attachments=[(pdf, failed)], parsed_from=pdf.url)
        expected[("山阳县教育局", 2021)] = failed

        ck = report("城口县人民政府", 2021, new_received=30, template="v2021")
        a.record_report(run_id=run, portal=OTHER_PORTAL, page=page("http://127.0.0.1/ck/2021.html", "ck"), parsed=ck)
        expected[("城口县人民政府", 2021)] = ck
        for i in range(2):
            blocked = page(f"http://127.0.0.1/ck/list_{i}.html", "<html>请开启JavaScript</html>", status=403)
            blocked.portal = OTHER_PORTAL.name
            a.store_capture(blocked, run)
        a.finish_run(run, "finished_with_errors", {
            PORTAL.name: {"pages": 7, "blocked": 0, "parse_errors": 1},
            OTHER_PORTAL.name: {"pages": 4, "blocked": 5, "parse_errors": 0},
            "_scrapy": {"x": 1},
        })
    regions = {
        "山阳县人民政府": ("陕西省", "商洛市", "山阳县", "611024"),
        "山阳县统计局": ("陕西省", "商洛市", "山阳县", "611024"),
        "山阳县教育局": ("陕西省", "商洛市", "山阳县", "611024"),
        "城口县人民政府": ("重庆市", None, "城口县", "500229"),
    }
    import hashlib

    return Built(
        url=url, expected=expected, regions=regions,
        script_sha=hashlib.sha256((SCRIPT_PAGE + " ").encode()).hexdigest(),
        pdf_sha=hashlib.sha256(b"%PDF-1.4 not really a pdf").hexdigest(),
    )


def expected_record(parsed: ParseResult) -> dict[str, Any]:
    """What an export must say about a report, straight from the ParseResult that was recorded."""
    return {
        "year": parsed.metadata.year,
        "title": parsed.metadata.title,
        "template": parsed.template,
        "source": parsed.source,
        "status": parsed.status,
        "cells": {k: c.value for k, c in parsed.cells.items()},
        "raw": {k: c.raw for k, c in parsed.cells.items()},
        "checks": parsed.verdicts,
    }
