"""The crawl writes to PostgreSQL exactly as to SQLite: reports, run statistics, incremental re-run."""

from __future__ import annotations

import pytest
from crawl_helpers import MiniSite, crawl, page, report_html, serve

from storage.archive import Archive

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


def test_crawl_into_postgres_and_rerun(pg_url):
    site = MiniSite()
    site.html("/", page("示例县人民政府", [("/xxgk/", "政务公开")]))
    site.html("/xxgk/", page("政务公开", [("/xxgk/nb/", "政府信息公开年报")]))
    site.html("/xxgk/nb/", page("政府信息公开年报", [
        ("/xxgk/nb/2022/a.html", "示例县应急管理局2022年政府信息公开工作年度报告"),
        ("/xxgk/nb/2021/b.html", "示例县应急管理局2021年政府信息公开工作年度报告"),
    ]))
    site.html("/xxgk/nb/2022/a.html", report_html("示例县应急管理局", 2022))
    site.html("/xxgk/nb/2021/b.html", report_html("示例县应急管理局", 2021))
    with serve(site) as base:
        r1 = crawl(pg_url, base + "/")
        assert r1.returncode == 0, r1.stderr[-3000:]
        r2 = crawl(pg_url, base + "/")
        assert r2.returncode == 0, r2.stderr[-3000:]
    with Archive.open(pg_url) as archive:
        recs = sorted((r["url"], r["agency"], r["year"]) for r in archive.export_records())
        assert recs == [
            (base + "/xxgk/nb/2021/b.html", "示例县应急管理局", 2021),
            (base + "/xxgk/nb/2022/a.html", "示例县应急管理局", 2022),
        ]
        first, second = archive.run_info(1), archive.run_info(2)
        assert archive.integrity_problems() == []
    assert first["outcome"] == second["outcome"] == "finished"
    [s1] = [v for k, v in first["stats"].items() if not k.startswith("_")]
    [s2] = [v for k, v in second["stats"].items() if not k.startswith("_")]
    assert s1["reports_new"] == 2 and s2["reports_unchanged"] == 2 and s2["reports_new"] == 0
    assert s2["not_modified"] == s2["pages"] and s2["bytes"] == 0
