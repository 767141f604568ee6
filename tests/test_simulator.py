"""The portal simulator: determinism, size knob, truth consistent with the identities, and every
CMS family / fault checked through real HTTP on loopback addresses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from simulator import build_world, serve_world
from simulator.cells import check_identities
from simulator.server import App
from simulator.walk import walk

INDEX_NO = re.compile(r"^[0-9A-Z]{8,18}(-[0-9A-Z]{1,2})?(-\d{1,2})?/\d{4}(\d{2})?-\d{3,7}$")
REPO = Path(__file__).resolve().parents[1]


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    """(status, headers, body) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    req = urllib.request.Request(urllib.parse.quote(url, safe=":/?&=%#"), data=data, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030")


@pytest.fixture(scope="module")
def served():
    world = build_world(11, "small")
    with serve_world(world, slow_seconds=0.2) as running:
        yield world, running


def portal(world, family: str, encoding: str = "utf-8"):
    return next(p for p in world.portals if p.family == family and p.encoding == encoding)


# -- world generation -----------------------------------------------------------------------------


def test_same_seed_same_world_other_seed_other_world():
    def fingerprint(seed: int):
        w = build_world(seed, 60)
        tr = w.truth()
        app = App(w)
        pages = [app.respond(p, "GET", "/", {}, b"").body for p in w.portals]
        return [(r.url, r.title, r.cells, r.metadata) for r in tr.reports], pages

    a, b, c = fingerprint(5), fingerprint(5), fingerprint(6)
    assert a == b
    assert a[0] != c[0]


@pytest.mark.parametrize("size,n", [("tiny", 12), ("small", 60), ("medium", 600), (2500, 2500)])
def test_size_knob(size, n):
    w = build_world(3, size)
    assert sum(len(p.reports()) for p in w.portals) == n
    families = {p.family for p in w.portals}
    assert families >= {"trs", "hanweb", "gkmlpt", "anhui", "jiangsu", "generic"}
    if n >= 60:
        assert {p.encoding for p in w.portals} == {"utf-8", "gbk-header", "gbk-meta", "gbk-none"}
    assert len({p.host for p in w.portals}) == len(w.portals)
    # every world has each fault somewhere
    assert any(len(p.robots_disallow) > 2 for p in w.portals) and any(p.waf_ids for p in w.portals)
    assert any(p.slow_ids for p in w.portals) and any(p.fail_once for p in w.portals)
    assert any(p.redirected_ids for p in w.portals)


def test_truth_is_consistent_with_identities_and_metadata_rules():
    w = build_world(2, "medium")
    tr = w.truth()
    reports = tr.reports + tr.disallowed + tr.blocked
    assert len(reports) == 600
    verdicts = Counter()
    for r in reports:
        assert INDEX_NO.match(r.metadata["index_no"]), r.metadata["index_no"]
        pub = r.metadata["published"]
        assert pub.startswith(str(r.year + 1))
        if r.year <= 2018:
            assert r.template == "pre2019" and not r.cells
        elif r.year <= 2020:
            assert r.template == "v2019"
        elif r.year >= 2023:
            assert r.template == "v2021"
        if r.template == "pre2019":
            continue
        keys = {k for k in r.cells}
        assert ("t3.other_handling.total" in keys) == (r.template == "v2019")
        assert ("t3.other_other.total" in keys) == (r.template == "v2021")
        rep = w.find_report(r.report_id)[1].report
        for name, verdict in r.checks.items():
            verdicts[(name, verdict)] += 1
            if rep.defect is None and name != "cross_year":
                assert verdict in ("pass", "not_assessable"), (r.url, name)  # all-blank = not assessable
        if rep.defect is not None:
            assert "fail" in r.checks.values()
    # some 2021/2022 reports keep the 2019 format; a few reports are deliberately inconsistent
    assert any(r.year in (2021, 2022) and r.template == "v2019" for r in reports)
    assert 0 < verdicts[("t3_flow", "fail")] + verdicts[("t4_subtotals", "fail")] < 0.15 * len(reports)
    assert verdicts[("cross_year", "pass")] > 50 and verdicts[("t3_flow", "pass")] > 300
    # blank cells exist (zeros left empty) and the checks still pass on them
    assert any(v is None for r in reports for v in r.cells.values())


def test_cross_year_carry_link_holds_per_agency():
    w = build_world(4, "medium")
    by = {(r.agency, r.year): r for r in w.truth().reports}
    pairs = 0
    for (agency, year), r in by.items():
        prev = by.get((agency, year - 1))
        if prev is None or not prev.cells or not r.cells:
            continue
        pairs += 1
        for col in ("natural_person", "commercial", "total"):
            a, b = r.cells[f"t3.carried_over.{col}"], prev.cells[f"t3.carry_next.{col}"]
            assert (a or 0) == (b or 0) or w.find_report(prev.report_id)[1].report.defect
    assert pairs > 50


def test_check_identities_detects_a_broken_cell():
    w = build_world(1, "tiny")
    spec = next(i.report.spec() for p in w.portals for i in p.reports() if i.report.template != "pre2019")
    cells = dict(spec.cells)
    assert set(check_identities(cells, spec.template).values()) == {"pass"}
    cells["t3.granted.natural_person"] = (cells["t3.granted.natural_person"] or 0) + 1
    checks = check_identities(cells, spec.template)
    assert checks["t3_row_total"] == "fail" and checks["t3_result_sum"] == "fail"


# -- end to end through HTTP --------------------------------------------------------------------------


def test_walker_finds_exactly_the_reachable_reports(served):
    _world, running = served
    truth = running.truth()
    fetched: dict[str, int] = {}
    for p in running.portals:
        fetched.update(walk(p.home_url).statuses)
    ok = {u for u, s in fetched.items() if s == 200}
    reachable = {r.url for r in truth.reports}
    assert reachable and reachable <= ok
    assert truth.disallowed and not ({r.url for r in truth.disallowed} & set(fetched))
    assert truth.blocked and all(fetched.get(r.url) == 412 for r in truth.blocked)
    hosts = {h.split(":")[0] for h, *_ in running.request_log}
    assert hosts == {p.host for p in running.portals}


@pytest.fixture(scope="module")
def served_medium():
    world = build_world(12, "medium")
    with serve_world(world, slow_seconds=0.0) as running:
        yield world, running


_TRS_CALL = re.compile(r"""createPageHTML\((?:'page_div',)?(\d+|countPage), ?(\d+|currentPage), ?["']index["'], ?["'](s?html)["']""")


def test_trs_pages_only_through_create_page_html(served_medium):
    world, _ = served_medium
    styles = set()
    for p in (p for p in world.portals if p.family == "trs"):
        styles.add(p.site.style)
        col = max((c for c in p.root.walk() if c.kind == "list"), key=lambda c: len(c.items))
        base = p.base_url + p.site.column_url(col)
        assert re.search(r"/index\.s?html$", base)
        status, _h, body = fetch(base)
        if status == 500:  # the list page that fails once
            status, _h, body = fetch(base)
        text = decode(body)
        m = _TRS_CALL.search(text)
        count = int(m.group(1) if m.group(1) != "countPage" else re.search(r"var countPage = (\d+)", text).group(1))
        ext = m.group(3)
        assert status == 200 and count >= 2
        assert f"index_1.{ext}" not in text  # no plain link to page 2
        seen = set()
        for i in range(count):
            url = base if i == 0 else base.replace(f"index.{ext}", f"index_{i}.{ext}")
            status, _h, page = fetch(url)
            page_text = decode(page)
            assert status == 200 and re.search(rf"(var currentPage = |, ?){i}[,;]", page_text)
            seen |= set(re.findall(rf'href="\./(\d{{6}}/t\d{{8}}_\d+\.{ext})"', page_text))
        assert len(seen) == len(col.items)
        assert fetch(base.replace(f"index.{ext}", f"index_{count}.{ext}"))[0] == 404
        # every report has a _wap twin linked from its page
        item = next(i for i in col.items if i.kind == "report" and i.id not in p.waf_ids)
        status, _h, detail = fetch(p.base_url + p.site.item_url(item))
        wap = re.search(rf'href="\./(t\d+_\d+_wap\.{ext})"', decode(detail))
        assert status == 200 and wap
        assert fetch(p.base_url + p.site.item_url(item).rsplit("/", 1)[0] + "/" + wap.group(1))[0] == 200
    assert styles == {"classic", "container", "countpage"}


def test_walker_covers_every_trs_dialect(served_medium):
    world, running = served_medium
    truth = running.truth()
    for p in (p for p in world.portals if p.family == "trs"):
        ok = {u for u, s in walk(p.home_url).statuses.items() if s == 200}
        mine = {r.url for r in truth.reports if r.host == p.host}
        assert mine and mine <= ok


def test_hanweb_first_page_static_then_dataproxy_get_and_post(served):
    world, _ = served
    p = portal(world, "hanweb")
    col = max((c for c in p.root.walk() if c.kind == "list"), key=lambda c: len(c.items))
    status, _h, body = fetch(p.base_url + f"/col/col{col.cid}/index.html")
    text = body.decode()
    unitid = re.search(r'jpageform_(\d+)', text).group(1)
    first = re.findall(r"<record><!\[CDATA\[\s*<li><a href=\"([^\"]+)\"", text)
    total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", text).group(1))
    assert status == 200 and len(first) == p.per_page < total
    proxy = p.base_url + "/module/web/jpage/dataproxy.jsp"
    form = f"col=1&webid=1&path=/&columnid={col.cid}&unitid={unitid}&permissiontype=0".encode()
    n = p.per_page
    status, h, xml = fetch(f"{proxy}?startrecord={n + 1}&endrecord={2 * n}&perpage={n}", data=form)
    second = re.findall(r"<li><a href=\"([^\"]+)\"", xml.decode())
    assert status == 200 and "xml" in h["Content-Type"] and second and not set(second) & set(first)
    status, _h, xml_get = fetch(f"{proxy}?startrecord={n + 1}&endrecord={2 * n}&perpage={n}&columnid={col.cid}"
                                f"&unitid={unitid}&webid=1")
    assert re.findall(r"<li><a href=\"([^\"]+)\"", xml_get.decode()) == second
    everything = re.findall(r"<li><a href=\"([^\"]+)\"",
                            fetch(f"{proxy}?startrecord=1&endrecord={total}&perpage={n}", data=form)[2].decode())
    assert len(everything) == total
    wrong = fetch(f"{proxy}?startrecord=1&endrecord=45&perpage=15&columnid={col.cid}&unitid=1")[2].decode()
    assert "<record>" not in wrong


def test_gkmlpt_lists_only_from_the_json_api(served):
    world, _ = served
    p = portal(world, "gkmlpt")
    status, _h, body = fetch(p.base_url + "/gkmlpt/index")
    cfg = json.loads(re.search(r"window\._CONFIG = (\{.*?\});</script>", body.decode()).group(1))
    assert status == 200 and cfg["SID"] and cfg["TREE"]
    assert "/gkmlpt/content/" not in body.decode()
    nb = next(n for n in cfg["TREE"] if n["name"] == "政府信息公开年报")
    api = p.base_url + f"/gkmlpt/api/all/{nb['id']}?sid={cfg['SID']}"
    status, h, first = fetch(api + "&page=1")
    data = json.loads(first)
    assert status == 200 and h["Content-Type"].startswith("application/json")
    assert data["total"] > data["size"] and len(data["articles"]) == data["size"]
    art = data["articles"][0]
    assert {"title", "url", "date_published", "identifier", "publisher", "document_number"} <= set(art)
    assert re.search(r"/gkmlpt/content/\d+/\d+/post_\d+\.html$", art["url"])
    urls = []
    for page in range(1, -(-data["total"] // data["size"]) + 1):
        urls += [a["url"] for a in json.loads(fetch(api + f"&page={page}")[2])["articles"]]
    assert len(urls) == len(set(urls)) == data["total"]
    assert fetch(p.base_url + f"/gkmlpt/api/all/{nb['id']}?page=1&sid=bad")[0] == 403


@pytest.mark.parametrize("family,page2", [("anhui", "?page=2"), ("generic", "?page=2"), ("jiangsu", "index_2.html")])
def test_plain_pagers(served, family, page2):
    world, _ = served
    p = portal(world, family)
    col = max((c for c in p.root.walk() if c.kind == "list"), key=lambda c: len(c.items))
    url1 = p.base_url + p.site.column_url(col)
    s1, _h, b1 = fetch(url1)
    assert s1 == 200 and "下一页" in b1.decode()
    url2 = p.base_url + p.site.column_url(col, 2)
    assert url2.endswith(page2)
    s2, _h, b2 = fetch(url2)
    links1 = set(re.findall(r'<li><a href="([^"]+)"', b1.decode()))
    links2 = set(re.findall(r'<li><a href="([^"]+)"', b2.decode()))
    assert s2 == 200 and links2 and not links1 & links2


def test_jiangsu_report_is_a_pdf_attachment_and_generic_has_docx(served):
    world, _ = served
    truth = world.truth()
    js = next(r for r in truth.reports if r.host == portal(world, "jiangsu").host)
    status, _h, page = fetch(js.url)
    text = page.decode()
    assert status == 200 and "索引号:" in text and "发布机构:" in text and js.attachment_url
    assert js.attachment_url.split("/", 3)[3] in text
    status, h, pdf = fetch(js.attachment_url)
    assert status == 200 and pdf.startswith(b"%PDF") and h["Content-Type"] == "application/pdf"
    docx = [r for r in truth.reports + truth.blocked if r.source_kind == "docx"]
    assert docx
    reachable_docx = [r for r in docx if r.status == "reachable"]
    if reachable_docx:
        status, _h, blob = fetch(reachable_docx[0].attachment_url)
        assert status == 200 and blob[:2] == b"PK"


def test_gbk_portals_declare_charset_three_ways(served):
    world, _ = served
    truth = world.truth()
    seen = set()
    for enc in ("gbk-header", "gbk-meta", "gbk-none"):
        p = portal(world, "trs" if enc == "gbk-header" else "generic" if enc == "gbk-meta" else "anhui", enc)
        r = next(r for r in truth.reports if r.host == p.host)
        status, h, body = fetch(r.url)
        assert status == 200
        ctype = h["Content-Type"]
        head = body[:600].lower()
        if enc == "gbk-header":
            assert "charset=gbk" in ctype.lower() and b"charset" not in head
        elif enc == "gbk-meta":
            assert "charset" not in ctype and b"charset=gb2312" in head
        else:
            assert "charset" not in ctype and b"charset" not in head
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert r.title in body.decode("gb18030")
        seen.add(enc)
    assert len(seen) == 3


# -- faults ---------------------------------------------------------------------------------------------


def test_robots_disallows_a_real_report_path(served):
    world, _ = served
    truth = world.truth()
    r = truth.disallowed[0]
    status, _h, robots = fetch(r.url.split("/", 3)[0] + "//" + r.host + ":" + r.url.split(":")[2].split("/")[0]
                               + "/robots.txt")
    rules = [line.split(":", 1)[1].strip() for line in robots.decode().splitlines() if line.startswith("Disallow")]
    path = "/" + r.url.split("/", 3)[3]
    assert status == 200 and any(path.startswith(rule) for rule in rules)
    assert fetch(r.url)[0] == 200  # served anyway; only a polite crawler stays away


def test_500_once_then_ok_and_301_from_old_urls(served):
    fresh = build_world(11, "tiny")
    with serve_world(fresh) as running:
        p = portal(fresh, "trs")
        (path,) = p.fail_once
        assert fetch(p.base_url + path)[0] == 500
        assert fetch(p.base_url + path)[0] == 200
        assert [s for _h, _m, pth, s, _hd in running.request_log if pth == path] == [500, 200]
    world, _ = served
    p = portal(world, "trs")
    status, h, _b = fetch(p.base_url + "/xxgk/ndbg/index.html")
    assert status == 301 and h["Location"] == p.base_url + p.site.column_url(p.nb)
    g = portal(world, "generic")
    item = g.items[min(g.redirected_ids)]
    status, h, _b = fetch(g.base_url + f"/show.asp?id={item.id}")
    assert status == 301 and h["Location"] == g.base_url + g.site.item_url(item)
    assert fetch(g.base_url + "/zxft/index.html")[0] == 404


def test_412_challenge_is_consistent(served):
    world, _ = served
    r = world.truth().blocked[0]
    status, h, body = fetch(r.url)
    assert status == 412 and "$_ts" in body.decode() and len(body) < 1000 and h["Set-Cookie"]
    cookie = h["Set-Cookie"].split(";")[0]
    assert fetch(r.url, headers={"Cookie": cookie})[0] == 412


def test_conditional_requests_get_304(served):
    world, _ = served
    r = world.truth().reports[0]
    status, h, _b = fetch(r.url)
    etag, lm = h["ETag"], h["Last-Modified"]
    assert status == 200 and etag and lm
    assert fetch(r.url, headers={"If-None-Match": etag})[0] == 304
    assert fetch(r.url, headers={"If-Modified-Since": lm})[0] == 304
    assert fetch(r.url, headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(r.url, headers={"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})[0] == 200


def test_head_requests_and_unknown_pages(served):
    world, _ = served
    r = world.truth().reports[0]
    req = urllib.request.Request(r.url, method="HEAD")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and int(resp.headers["Content-Length"]) > 1000 and resp.read() == b""
    assert fetch(r.url.rsplit("/", 1)[0] + "/no_such_page.html")[0] == 404


def test_calendar_trap_is_endless(served):
    world, _ = served
    p = world.portals[0]
    url = p.base_url + "/calendar/?date=2024-01-01"
    for _ in range(20):
        status, _h, body = fetch(url)
        assert status == 200
        nxt = re.findall(r'href="(/calendar/\?date=[\d-]+)"', body.decode())
        url = p.base_url + nxt[1]
    assert "date=2024-01-21" in url


def test_decoys_are_listed_next_to_reports(served):
    world, _ = served
    kinds = Counter(i.kind for p in world.portals for i in p.items.values())
    assert kinds["website_report"] and kinds["jiedu"] and kinds["rules"] and kinds["news"] and kinds["dead"]
    p = world.portals[0]
    item = next(i for i in p.items.values() if i.kind == "website_report")
    status, _h, body = fetch(p.base_url + p.site.item_url(item))
    assert status == 200 and "政府网站工作年度报表" in body.decode()


# -- incremental changes --------------------------------------------------------------------------------


def test_new_reports_and_changes_between_two_crawls():
    world = build_world(9, "small")
    with serve_world(world, slow_seconds=0.2) as running:
        before = running.truth()
        p = world.portals[0]
        nb_url = p.base_url + p.site.column_url(next(c for c in p.nb.children if c.role == "nb_gov"))
        status, h, _b = fetch(nb_url)
        etag = h["ETag"]
        r0 = before.reports[0]
        _s, h0, _b = fetch(r0.url)

        new = world.publish_next_year()
        added = world.add_reports(3)
        changed = world.change_report(r0.report_id, cells={"t3.new_received.natural_person": 999})

        after = running.truth()
        n_before = len(before.reports) + len(before.disallowed) + len(before.blocked)
        n_after = len(after.reports) + len(after.disallowed) + len(after.blocked)
        assert new and all(i.report.year == 2024 for i in new) and len(added) == 3
        assert n_after == n_before + len(new) + 3
        assert fetch(nb_url, headers={"If-None-Match": etag})[0] == 200
        assert after.by_url()[r0.url].cells["t3.new_received.natural_person"] == 999
        assert changed.report.version == 1
        status, h1, body = fetch(r0.url, headers={"If-None-Match": h0["ETag"]})
        assert status == 200 and h1["ETag"] != h0["ETag"] and "999" in body.decode()
        # an untouched report page is unchanged: 304 on its old ETag
        other = next(r for r in before.reports[1:] if r.host == r0.host)
        _s, h_other, _b = fetch(other.url)
        world.publish_next_year()
        assert fetch(other.url, headers={"If-None-Match": h_other["ETag"]})[0] == 304
        # a text-only revision keeps the cells but changes the page
        revised = world.change_report(other.url)
        assert revised.report.spec().cells == other.cells
        assert fetch(other.url, headers={"If-None-Match": h_other["ETag"]})[0] == 200
        found = set()
        for info in running.portals:
            found |= {u for u, s in walk(info.home_url).statuses.items() if s == 200}
        assert {r.url for r in after.reports} <= found


def test_sources_and_portal_listing(served):
    world, running = served
    src = running.sources()
    assert len(src) == len(running.portals) == len(world.portals)
    for s, info in zip(src, running.portals, strict=True):
        assert set(s) >= {"name", "region_code", "province", "city", "county", "start_urls"}
        assert s["start_urls"] == [info.home_url] and info.host.startswith("127.")
        assert re.fullmatch(r"\d{6}", s["region_code"])


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "simulator", "--help"], capture_output=True, text=True, cwd=REPO,
                         timeout=60)
    assert out.returncode == 0 and "--seed" in out.stdout
