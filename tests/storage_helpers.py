"""Builders for storage tests: hand-made ParseResults and FetchedResponses (the parser is written
concurrently, so storage tests never depend on it)."""

from __future__ import annotations

import datetime as dt

from crawler.parsing.result import Cell, CheckResult, Metadata, ParseResult
from storage.records import FetchedResponse, PortalInfo

PORTAL = PortalInfo(name="山阳县人民政府", region_code="611024", province="陕西省", city="商洛市", county="山阳县")
OTHER_PORTAL = PortalInfo(name="城口县人民政府", region_code="500229", province="重庆市", city=None, county="城口县")


def page(url: str, body: bytes | str, *, status: int = 200, headers: list[tuple[str, str]] | None = None,
         fetched_at: dt.datetime | None = None) -> FetchedResponse:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return FetchedResponse(
        url=url,
        final_url=url,
        status=status,
        body=body,
        response_headers=headers if headers is not None else [("Content-Type", "text/html; charset=utf-8")],
        request_headers=[("User-Agent", "nianbao-test")],
        fetched_at=fetched_at or dt.datetime.now(dt.UTC),
    )


def report(agency: str | None = "山阳县人民政府", year: int | None = 2020, *, new_received: int = 12,
           title: str | None = None, template: str = "v2019", status: str = "ok",
           kind: str | None = "county_government", sections: dict[str, str] | None = None) -> ParseResult:
    """A small but complete v2019-like result: a few t3/t4 cells, check instances, sections."""
    cells = {
        "t3.new_received.total": Cell("t3.new_received.total", new_received, f"{new_received}"),
        "t3.carried_over.total": Cell("t3.carried_over.total", 1, "1"),
        "t3.granted.total": Cell("t3.granted.total", 5, "5件"),
        "t3.result_total.total": Cell("t3.result_total.total", new_received, str(new_received)),
        "t3.carry_next.total": Cell("t3.carry_next.total", 1, "1"),
        "t3.partial.total": Cell("t3.partial.total", None, "—"),
        "t4.review.total": Cell("t4.review.total", 0, "0"),
        "t2.art20_9.procurement.amount": Cell("t2.art20_9.procurement.amount", 251000, "25.1万元"),
    }
    checks = [
        CheckResult("t3_flow", "total", "pass", "13 == 13"),
        CheckResult("t3_flow", "natural_person", "not_assessable", "blank operand"),
        CheckResult("t4_subtotals", "review", "fail", "0 != 1"),
        CheckResult("t4_subtotals", "lit_direct", "pass", "0 == 0"),
    ]
    return ParseResult(
        status=status,  # type: ignore[arg-type]
        source="html",
        template=template,  # type: ignore[arg-type]
        metadata=Metadata(
            title=title or f"{agency or ''}{year}年政府信息公开工作年度报告",
            index_no="11611024015958xxxx/2021-00012",
            issuer=agency,
            doc_no=None,
            written=dt.date(year or 2020, 12, 31) if year else None,
            published=dt.date((year or 2020) + 1, 1, 20),
            category="政府信息公开年报",
            agency=agency,
            agency_kind=kind,  # type: ignore[arg-type]
            year=year,
        ),
        cells=cells,
        checks=checks,
        sections=sections if sections is not None else {"overview": "一、总体情况 ……", "problems": "五、存在的主要问题 ……"},
        parser_version="test-1",
    )


def not_report() -> ParseResult:
    return ParseResult(status="not_report", message="news item", parser_version="test-1")
