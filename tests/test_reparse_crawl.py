"""The crawl and the re-parse agree: re-parsing what a real `nianbao crawl` archived (inline-table
reports, a report whose tables are in a DOCX attachment) reproduces every stored version exactly,
from the stored bytes and response headers alone (same parse, same page/attachment choice)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from crawl_helpers import MiniSite, crawl, page, report_html, serve

from crawler.parsing import PARSER_VERSION
from nianbao.reparse import reparse_one, run_reparse
from simulator.cells import make_cells
from simulator.render_files import render_docx
from simulator.spec import ReportSpec
from storage.archive import Archive

pytestmark = pytest.mark.timeout(180)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_site() -> MiniSite:
    site = MiniSite()
    site.html("/", page("示例县人民政府", [("/zwgk/", "政府信息公开")]))
    site.html("/zwgk/", page("政府信息公开", [("/zwgk/nb/index.html", "政府信息公开年报")]))
    site.html(
        "/zwgk/nb/index.html",
        page(
            "政府信息公开年报",
            [
                ("./202201/t20220120_1.html", "示例县统计局2021年政府信息公开工作年度报告"),
                ("./202201/t20220121_2.html", "示例县财政局2020年政府信息公开工作年度报告"),
                ("./202201/t20220122_3.html", "示例县教育局2020年政府信息公开工作年度报告"),
            ],
        ),
    )
    site.html("/zwgk/nb/202201/t20220120_1.html", report_html("示例县统计局", 2021))
    site.html("/zwgk/nb/202201/t20220121_2.html", report_html("示例县财政局", 2020))
    agency, year = "示例县教育局", 2020
    title = f"{agency}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(
        agency=agency,
        agency_kind="department",
        year=year,
        template="v2019",
        title=title,
        cells=make_cells(3, agency, "department", year, "v2019", None),
        issuer=agency,
        published=dt.date(year + 1, 1, 20),
    )
    site.html(
        "/zwgk/nb/202201/t20220122_3.html",
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>发布机构：{agency} 发布日期：2021-01-20</p><p>{agency}{year}年政府信息公开工作年度报告全文见附件。</p>"
        f"<p>附件：<a href='/zwgk/nb/202201/P020220122.docx'>{title}.docx</a></p></body></html>",
    )
    site.pages["/zwgk/nb/202201/P020220122.docx"] = (200, {"Content-Type": DOCX}, render_docx(spec))
    return site


def test_reparse_reproduces_what_the_crawl_stored(tmp_path) -> None:
    db = str(tmp_path / "crawl.db")
    with serve(build_site()) as base:
        result = crawl(db, base + "/")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    with Archive.open(db) as archive:
        records = list(archive.export_records())
        assert {r["agency"] for r in records} == {"示例县统计局", "示例县财政局", "示例县教育局"}
        assert {r["agency"]: r["source"] for r in records}["示例县教育局"] == "docx"
        ids = [c.report_id for c in archive.reparse_candidates({}, 0, 100)]
        stored = archive.reparse_inputs(ids)
    assert len(stored) == 3
    for s in stored:
        out = reparse_one(s, PARSER_VERSION)
        assert not out.error and not out.changed, (s.agency, out.cell_changes[:5], out.error)
    summary = run_reparse(db, workers=0, progress=io.StringIO())
    assert (summary.counts["reparsed"], summary.counts["skipped_current"], summary.counts["changed"]) == (
        0,
        3,
        0,
    )
