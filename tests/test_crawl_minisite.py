"""`nianbao crawl` end to end against small hand-made portals on 127.0.0.1 (real HTTP, real SQLite).

One crawl covers many behaviours at once to keep the suite fast: robots.txt, a 503 with
Retry-After, a 412 challenge, a decoy, a calendar trap, plus three broken portals (connection
refused, garbage bytes, TLS to a plain-HTTP port) that must not disturb the good one. A second run
checks the incremental crawl (conditional requests, <= 10 % of the bytes, the new report found).
"""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest
from crawl_helpers import MiniSite, crawl, page, report_html, run_stats, serve

from storage.archive import Archive

pytestmark = pytest.mark.timeout(120)

CHALLENGE = b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;</script></head><body></body></html>"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_site() -> MiniSite:
    site = MiniSite()
    site.pages["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /zwgk/nb/secret/\n")
    site.html("/", page("示例县人民政府", [("/zwgk/", "政府信息公开"), ("/news/", "新闻动态")]))
    site.html("/news/", page("新闻动态", [("/news/1.html", "示例县召开全县经济工作会议")]))
    site.html(
        "/zwgk/",
        page("政府信息公开", [
            ("/zwgk/zn/", "政府信息公开指南"),
            ("/zwgk/nb/index.html", "政府信息公开年报"),
            ("/zwgk/wzbb/", "政府网站工作年度报表"),
        ]),
    )
    pager = '<script>createPageHTML(2, {i}, "index", "html");</script>'
    site.html(
        "/zwgk/nb/index.html",
        page("政府信息公开年报", [
            ("./202201/t20220120_1.html", "示例县统计局2021年政府信息公开工作年度报告"),
            ("./202201/t20220121_2.html", "示例县财政局2021年政府信息公开工作年度报告"),
            ("./202201/t20220122_3.html", "示例县2021年政府信息公开工作年度报告解读"),
            ("./secret/t20220101_9.html", "示例县审计局2021年政府信息公开工作年度报告"),
            ("./cal?date=2024-01-01", "活动日历"),
        ], pager.format(i=0)),
    )
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(_handler: object) -> tuple[int, dict[str, str], bytes]:
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        if first:
            return 503, {"Retry-After": "1", "Content-Type": "text/html"}, b"<html>busy</html>"
        body = page("政府信息公开年报", [
            ("./202101/t20210120_4.html", "示例县统计局2020年政府信息公开工作年度报告"),
            ("./202101/t20210121_5.html", "示例县交通运输局2020年政府信息公开工作年度报告"),
        ], pager.format(i=1))
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    site.pages["/zwgk/nb/index_1.html"] = flaky
    site.html("/zwgk/nb/202201/t20220120_1.html", report_html("示例县统计局", 2021))
    site.html("/zwgk/nb/202201/t20220121_2.html", report_html("示例县财政局", 2021))
    site.html("/zwgk/nb/202201/t20220122_3.html", "<html><body>解读</body></html>")
    site.html("/zwgk/nb/secret/t20220101_9.html", report_html("示例县审计局", 2021))
    site.html("/zwgk/nb/202101/t20210120_4.html", report_html("示例县统计局", 2020))
    site.pages["/zwgk/nb/202101/t20210121_5.html"] = (
        412, {"Content-Type": "text/html", "Set-Cookie": "FSSBBIl1UgzbN7N80S=abc; Path=/"}, CHALLENGE
    )

    def calendar(handler: object) -> tuple[int, dict[str, str], bytes]:
        day = int(handler.path.rsplit("-", 1)[-1]) + 1  # type: ignore[attr-defined]
        body = page("活动日历", [(f"/zwgk/nb/cal?date=2024-01-{day:02d}", "下一天"), ("/zwgk/nb/index.html", "返回")])
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    site.pages["/zwgk/nb/cal?*"] = calendar
    return site


def test_crawl_minisite_end_to_end(tmp_path):
    site = build_site()
    db = str(tmp_path / "a.db")
    garbage = MiniSite()
    garbage.pages["/"] = (200, {"Content-Type": "application/octet-stream"}, os.urandom(3000))
    with serve(site) as base, serve(garbage, "127.0.0.3") as gbase:
        port = base.rsplit(":", 1)[1]
        sources = tmp_path / "sources.json"
        sources.write_text(json.dumps([
            {"name": "good", "region_code": "110229", "start_urls": [base + "/"]},
            {"name": "refused", "start_urls": [f"http://127.0.0.1:{_closed_port()}/"]},
            {"name": "garbage", "start_urls": [gbase + "/"]},
            {"name": "tls", "start_urls": [f"https://127.0.0.1:{port}/"]},
        ], ensure_ascii=False), encoding="utf-8")
        r1 = crawl(db, "--sources", str(sources))
        assert r1.returncode == 1, r1.stderr[-3000:]  # finished, with portal errors
        first_log = list(site.log)

        with Archive.open(db) as archive:
            recs = {r["url"]: r for r in archive.export_records()}
        assert set(recs) == {
            base + "/zwgk/nb/202201/t20220120_1.html",
            base + "/zwgk/nb/202201/t20220121_2.html",
            base + "/zwgk/nb/202101/t20210120_4.html",  # behind the 503 + Retry-After list page
        }
        assert {(r["agency"], r["year"]) for r in recs.values()} == {
            ("示例县统计局", 2021), ("示例县财政局", 2021), ("示例县统计局", 2020)
        }
        assert all(r["region_code"] == "110229" for r in recs.values())
        paths = [p for _m, p, _s, _h in first_log]
        assert not any(p.startswith("/zwgk/nb/secret/") for p in paths), "robots.txt Disallow ignored"
        assert "/zwgk/wzbb/" not in paths and "/zwgk/zn/" not in paths  # decoy columns never fetched
        assert "/news/1.html" not in paths
        assert paths.count("/zwgk/nb/index_1.html") == 2  # 503 then retried
        assert 1 <= sum(p.startswith("/zwgk/nb/cal") for p in paths) <= 20  # the trap stays bounded
        ua = {h.get("User-Agent") for _m, _p, _s, h in first_log}
        assert all(u and u.startswith("nianbao/") for u in ua)

        [run1] = run_stats(db)
        assert run1["outcome"] == "finished_with_errors"
        st = run1["stats"]
        good = st["good"]
        assert good["errors"] == {}
        assert good["reports_new"] == 3 and good["blocked"] == 1 and good["robots_denied"] == 1
        assert good["skipped"]["decoy_link"] >= 3
        assert "connection_refused" in st["refused"]["errors"]
        assert "unparseable_start_page" in st["garbage"]["errors"]
        assert "tls" in st["tls"]["errors"] or "connection_lost" in st["tls"]["errors"]
        for name in ("refused", "garbage", "tls"):
            assert st[name]["reports_new"] == 0
        assert "good" in r1.stdout and "refused" in r1.stdout  # the summary table

        # --- second run: a new report appeared on page 1; everything else unchanged ------------
        site.html(
            "/zwgk/nb/index.html",
            page("政府信息公开年报", [
                ("./202301/t20230120_6.html", "示例县水利局2022年政府信息公开工作年度报告"),
                ("./202201/t20220120_1.html", "示例县统计局2021年政府信息公开工作年度报告"),
                ("./202201/t20220121_2.html", "示例县财政局2021年政府信息公开工作年度报告"),
            ], '<script>createPageHTML(2, 0, "index", "html");</script>'),
        )
        site.html("/zwgk/nb/202301/t20230120_6.html", report_html("示例县水利局", 2022))
        r2 = crawl(db, base + "/")
        assert r2.returncode == 0, r2.stderr[-3000:]
        second_log = site.log[len(first_log):]
    runs = run_stats(db)
    st1, st2 = runs[0]["stats"]["good"], runs[1]["stats"][next(iter(runs[1]["stats"]))]
    assert st2["reports_new"] == 1 and st2["reports_unchanged"] >= 2 and st2["reports_changed"] == 0
    # an unchanged site costs conditional requests only: <= 10 % of the first run's bytes
    new_report_bytes = len(site.pages["/zwgk/nb/202301/t20230120_6.html"][2]) + len(site.pages["/zwgk/nb/index.html"][2])
    assert st2["bytes"] - new_report_bytes <= 0.10 * st1["bytes"]
    assert st2["not_modified"] >= 4
    conditional = [h for _m, p, s, h in second_log if s == 304]
    assert conditional and all("If-None-Match" in h for h in conditional)
    with Archive.open(db) as archive:
        urls = {r["url"] for r in archive.export_records()}
    assert base + "/zwgk/nb/202301/t20230120_6.html" in urls and len(urls) == 4


def test_malformed_sources_exit_2(tmp_path, capsys):
    # in-process (the command refuses before Scrapy or the archive start): no interpreter start-ups;
    # the process exit code path of `python -m nianbao crawl` is exercised by the crawls above
    from nianbao.cli import main

    db = str(tmp_path / "x.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: ok\n  start_urls: [http://127.0.0.1:9/]\n- name: broken\n  start_url: http://x/\n")
    assert main(["crawl", "--db", db, "--sources", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "entry 2 ('broken')" in err and "start_url" in err
    assert main(["crawl", "--db", db]) == 2
    assert "nothing to crawl" in capsys.readouterr().err
    assert main(["crawl", "--db", db, "-s", "NOEQUALS", "http://127.0.0.1:9/"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # refused before the archive was created


def test_host_page_cap_and_progress_line(tmp_path):
    site = build_site()
    with serve(site) as base:
        r = crawl(str(tmp_path / "cap.db"), "-s", "NIANBAO_HOST_PAGE_CAP=3", "--progress", "always", base + "/")
    assert r.returncode == 0, r.stderr[-3000:]
    pages = [p for _m, p, _s, _h in site.log if p != "/robots.txt"]
    assert len(pages) == 3
    [run] = run_stats(str(tmp_path / "cap.db"))
    [st] = [v for k, v in run["stats"].items() if not k.startswith("_")]
    assert st["skipped"].get("page_cap", 0) >= 1 and st["samples"]["page_cap"]
    assert "crawl: 3 pages, " in r.stderr  # the live line (\r-refreshed; text mode shows \n)


def test_hanweb_list_through_post_when_get_refused(tmp_path):
    """A jpage column whose dataproxy.jsp only answers the form POST (as many Hanweb sites do)."""
    site = MiniSite()
    site.html("/", page("示例县人民政府", [("/col/col100/index.html", "政府信息公开年报")]))
    jpage = (
        "<div id='div4398132'></div><script>$('#div4398132').jpage({proxyUrl:'/module/web/jpage/dataproxy.jsp',"
        " perPage: 2, webid: '7', columnid: 100, unitid: '4398132'});</script>"
    )
    site.html("/col/col100/index.html", page("政府信息公开年报", [], jpage))
    site.pages["/module/web/jpage/dataproxy.jsp?*"] = (405, {"Content-Type": "text/plain"}, b"method not allowed")
    seen_forms: list[str] = []

    def proxy(handler: object) -> tuple[int, dict[str, str], bytes]:
        form = handler.form_body  # type: ignore[attr-defined]
        seen_forms.append(form)
        assert "columnid=100" in form and "unitid=4398132" in form and "webid=7" in form
        rec = "".join(
            f"<record><![CDATA[<li><a href='/art/2024/1/{i}/art_100_{i}.html'>示例县{n}2023年政府信息公开工作年度报告</a></li>]]></record>"
            for i, n in ((1, "统计局"), (2, "民政局"))
        )
        xml = f"<datastore><totalrecord>2</totalrecord><recordset>{rec}</recordset></datastore>"
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, xml.encode()

    site.pages["POST /module/web/jpage/dataproxy.jsp"] = proxy
    site.html("/art/2024/1/1/art_100_1.html", report_html("示例县统计局", 2023))
    site.html("/art/2024/1/2/art_100_2.html", report_html("示例县民政局", 2023))
    with serve(site) as base:
        r = crawl(str(tmp_path / "hw.db"), base + "/")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(seen_forms) == 1
    with Archive.open(str(tmp_path / "hw.db")) as archive:
        urls = {x["url"] for x in archive.export_records()}
    assert urls == {base + "/art/2024/1/1/art_100_1.html", base + "/art/2024/1/2/art_100_2.html"}
