"""Pure pieces of the crawler: sources validation, link vocabulary, CMS pager decoding, Retry-After."""

from __future__ import annotations

import json

import pytest

from crawler import discovery as d
from crawler.middlewares import retry_after_seconds
from crawler.sources import SourcesError, load_sources, parse_sources
from nianbao.crawl import parse_setting_overrides, project_settings

BASE = "http://127.0.0.9:8080"


# --- sources file -------------------------------------------------------------------------------
def test_sources_yaml_with_overrides(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "portals:\n"
        "  - name: 示例县人民政府\n"
        "    region_code: '110229'\n"
        "    province: 北京市\n"
        "    county: 示例县\n"
        "    start_urls: [http://127.0.0.2:81/]\n"
        "    allowed_hosts: [XXGK.example.gov.cn]\n"
        "    column_url_patterns: ['/zfxxgknb/']\n"
        "    report_url_patterns: ['/t\\d{8}_\\d+\\.html$']\n"
        "    extra_list_endpoints: [http://127.0.0.2:81/api/list]\n"
        "    max_pages: 50\n",
        encoding="utf-8",
    )
    [p] = load_sources(f)
    assert p.name == "示例县人民政府" and p.region_code == "110229" and p.max_pages == 50
    assert p.allowed_hosts == {"xxgk.example.gov.cn", "127.0.0.2"}
    assert p.matches_column("http://127.0.0.2:81/zwgk/zfxxgknb/index.html")
    assert p.matches_report("http://127.0.0.2:81/a/202201/t20220101_5.html")
    assert not p.matches_report("http://127.0.0.2:81/a/index.html")
    assert p.info.county == "示例县"


def test_sources_json_list(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps([{"name": "a", "start_urls": ["http://127.0.0.2/"]}, {"name": "b", "start_urls": "http://127.0.0.3/"}]))
    assert [p.name for p in load_sources(f)] == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x"}, "expected a list of portals"),
        ([], "empty"),
        (["http://a/"], "entry 1: expected a mapping"),
        ([{"start_urls": ["http://a/"]}], "entry 1: field 'name': required"),
        ([{"name": "x"}], "entry 1 ('x'): field 'start_urls': required"),
        ([{"name": "x", "start_urls": ["ftp://a/"]}], "field 'start_urls': not an http(s) URL"),
        ([{"name": "x", "start_urls": ["http://a/"], "start_url": 1}], "unknown field(s) 'start_url'"),
        ([{"name": "x", "start_urls": ["http://a/"], "region_code": "11"}], "field 'region_code': expected a 6-digit"),
        ([{"name": "x", "start_urls": ["http://a/"], "max_pages": 0}], "field 'max_pages': expected a positive integer"),
        ([{"name": "x", "start_urls": ["http://a/"], "report_url_patterns": ["("]}], "bad regular expression"),
        (
            [{"name": "x", "start_urls": ["http://a/"]}, {"name": "y", "start_urls": ["http://b/"]}, {"name": "x", "start_urls": ["http://c/"]}],
            "entry 3 ('x'): field 'name': duplicate",
        ),
    ],
)
def test_sources_errors_name_entry_and_field(data, message):
    with pytest.raises(SourcesError) as err:
        parse_sources(data, origin="s.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("s.yaml")


def test_sources_unreadable_and_malformed(tmp_path):
    with pytest.raises(SourcesError, match="no such file"):
        load_sources(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: [unclosed\n")
    with pytest.raises(SourcesError, match="not valid YAML"):
        load_sources(bad)


# --- link vocabulary ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "entry", "nianbao", "decoy"),
    [
        ("政府信息公开", True, False, False),
        ("部门和乡镇信息公开", True, False, False),
        ("政府信息公开年报", True, True, False),
        ("政府信息公开年度报告（旧版栏目）", True, True, False),
        ("示例县统计局2021年政府信息公开工作年度报告", False, True, False),
        ("政府网站工作年度报表", False, False, True),
        ("示例县人民政府门户网站2021年政府网站工作年报", False, False, True),
        ("2021年政府信息公开工作年度报告解读", False, False, True),
        ("政府信息公开指南", False, False, True),
        ("政府信息公开工作年度报告制度", False, False, True),
        ("示例县举办政务公开日活动", False, False, False),
    ],
)
def test_link_vocabulary(text, entry, nianbao, decoy):
    assert d.is_entry_text(text) is entry
    assert d.is_nianbao_text(text) is nianbao
    assert d.is_decoy_text(text) is decoy


@pytest.mark.parametrize(
    "text", ["2021年", "2021", "2022n", "县政府", "部门", "乡镇", "示例县统计局", "城关镇人民政府", "示例县档案馆", "示例县融媒体中心"]
)
def test_subcolumn_labels(text):
    assert d.is_subcolumn_text(text)
    assert d.is_unit_node_text(text) or d.YEAR_RE.match(text)


@pytest.mark.parametrize("text", ["", "示例县召开全县经济工作会议并部署下一阶段各项重点任务要求", "政府信息公开指南"])
def test_not_subcolumn_labels(text):
    assert not d.is_subcolumn_text(text)


def test_extract_anchors_resolves_base_and_skips_scripts():
    html = (
        "<html><head><base href='/zwgk/'></head><body>"
        "<a href='nb/index.html'> 政府信息 <b>公开年报</b></a>"
        "<a href='javascript:void(0)'>x</a><a href='#top'>top</a><a href='mailto:a@b'>m</a>"
        "<a href='../a.pdf#page=2' title='附件'></a>"
        "<select><option value='/dept/tj/'>统计局</option></select></body></html>"
    )
    anchors = d.extract_anchors(html, BASE + "/x/y.html")
    assert [(a.url, a.text) for a in anchors] == [
        (BASE + "/zwgk/nb/index.html", "政府信息 公开年报"),
        (BASE + "/a.pdf", "附件"),
        (BASE + "/dept/tj/", "统计局"),
    ]


def test_extract_anchors_with_selectors():
    html = "<div id='nav'><a href='/n'>首页</a></div><ul class='list'><li><a href='/r1'>报告一</a></li></ul>"
    assert [a.url for a in d.extract_anchors(html, BASE + "/", ["ul.list"])] == [BASE + "/r1"]
    assert [a.url for a in d.extract_anchors(html, BASE + "/", ["//div[@id='nav']"])] == [BASE + "/n"]


def test_twins_files_and_roots():
    assert d.canonical_twin(BASE + "/nb/202201/t20220120_5_wap.html") == BASE + "/nb/202201/t20220120_5.html"
    assert d.canonical_twin(BASE + "/nb/wap.html") == BASE + "/nb/wap.html"
    assert d.file_kind(BASE + "/f/a.PDF") == "attachment"
    assert d.file_kind(BASE + "/module/download/downfile.jsp?filename=a.doc") == "attachment"
    assert d.file_kind(BASE + "/img/scan1.jpg") == "image"
    assert d.file_kind(BASE + "/css/a.css") == "skip"
    assert d.file_kind(BASE + "/nb/index.html") is None
    assert d.column_root(BASE + "/zwgk/nb/index_2.html") == "/zwgk/nb/"
    assert d.column_root(BASE + "/zwgk/nb/") == "/zwgk/nb/"
    assert d.under(BASE + "/zwgk/nb/202201/t1.html", "/zwgk/nb/")
    assert not d.under(BASE + "/zwgk/other/", "/zwgk/nb/")


def test_sibling_pages_and_traps():
    assert d.is_sibling_page(BASE + "/nb/index_3.html", BASE + "/nb/index.html")
    assert d.is_sibling_page(BASE + "/nb/list.html?page=4", BASE + "/nb/list.html")
    assert not d.is_sibling_page(BASE + "/nb/202201/t1.html", BASE + "/nb/index.html")
    assert not d.is_sibling_page(BASE + "/other/index_1.html", BASE + "/nb/index.html")
    assert d.is_trap_url(BASE + "/calendar/?date=2024-01-02")
    assert d.is_trap_url(BASE + "/x?d=2024-1")
    assert not d.is_trap_url(BASE + "/list?page=2")
    assert d.query_variant_key(BASE + "/c/?date=1&x=2") == d.query_variant_key(BASE + "/c/?x=5&date=9")


# --- CMS pagers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("script", "page", "expected"),
    [
        ('createPageHTML(3, 0, "index", "html");', "/nb/index.html", ["index.html", "index_1.html", "index_2.html"]),
        ("createPageHTML(2, 1, 'index', 'shtml')", "/nb/index_1.shtml", ["index.shtml", "index_1.shtml"]),
        ("createPageHTML('page_div',3, 1,'fg','shtml',89);", "/nb/fg.shtml", ["fg.shtml", "fg_1.shtml", "fg_2.shtml"]),
        ("var countPage = 2//共多少页\nvar currentPage = 0;", "/nb/index.htm", ["index.htm", "index_1.htm"]),
        ("var countPage = 1;", "/nb/", ["index.html"]),
        ("no pager here", "/nb/", []),
    ],
)
def test_trs_pages(script, page, expected):
    got = d.trs_pages(f"<script>{script}</script>", BASE + page)
    assert got == [f"{BASE}/nb/{p}" for p in expected]


def test_trs_pages_capped():
    assert len(d.trs_pages('createPageHTML(100000, 0, "index", "html")', BASE + "/nb/", cap=50)) == 50


def test_hanweb_list_and_records():
    html = (
        "<div id='div4398132'><script type='text/xml'><datastore></datastore></script>"
        "<script>$(function(){ $('#div4398132').jpage({ dataStore: dataStore, proxyUrl: '/module/web/jpage/dataproxy.jsp',"
        " perPage: 3, webid: '31', columnid: 56876, unitid: '4398132' }); });</script></div>"
    )
    hw = d.hanweb_list(html, BASE + "/col/col56876/index.html")
    assert hw is not None
    assert (hw.columnid, hw.unitid, hw.webid, hw.perpage) == ("56876", "4398132", "31", 3)
    url = hw.url(1, hw.chunk())
    assert url.startswith(BASE + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=9&perpage=3")
    assert "columnid=56876" in url and "unitid=4398132" in url
    xml = (
        "<datastore><nextgroup><![CDATA[<a href='x'></a>]]></nextgroup><totalrecord>7</totalrecord><recordset>"
        "<record><![CDATA[<li><a href='/art/2024/2/15/art_56876_1.html' title='t'>示例县2023年报</a><span>2024-02-15</span></li>]]></record>"
        "<record><![CDATA[<li><a href=\"/art/2023/2/1/art_56876_2.html\">示例县2022年报</a></li>]]></record>"
        "</recordset></datastore>"
    )
    total, anchors = d.hanweb_records(xml, url)
    assert total == 7
    assert [a.url for a in anchors] == [BASE + "/art/2024/2/15/art_56876_1.html", BASE + "/art/2023/2/1/art_56876_2.html"]
    assert d.hanweb_list("<html>plain page</html>", BASE + "/col/col1/index.html") is None


def test_gkmlpt_config_and_records():
    cfg = {
        "SID": "755034",
        "TREE": [
            {"id": 1, "name": "政策文件", "children": [{"id": 22195, "name": "政府信息公开年报"}]},
            {"id": 22196, "name": "政府网站工作年度报表"},
        ],
    }
    html = f"<script>window._CONFIG = {json.dumps(cfg, ensure_ascii=False)};</script>"
    gk = d.gkmlpt_config(html)
    assert gk is not None and gk.sid == "755034"
    assert gk.categories == [("22195", "政府信息公开年报")]
    # a JS object literal that is not JSON still yields SID and the tree
    js = "<script>window._CONFIG = {SID: '9', TREE: [{id: 7, name: '信息公开年报'}]};</script>"
    gk2 = d.gkmlpt_config(js)
    assert gk2 is not None and gk2.sid == "9" and gk2.categories == [("7", "信息公开年报")]
    api = d.gkmlpt_api_url(BASE + "/gkmlpt/index", "22195", "755034", 2)
    assert api == BASE + "/gkmlpt/api/all/22195?page=2&sid=755034"
    body = json.dumps({"total": 23, "articles": [{"title": "a", "url": "/gkmlpt/content/2/1/post_1.html"}, {"title": "b", "url": BASE + "/gkmlpt/content/2/1/post_2.html"}]})
    total, count, anchors = d.gkmlpt_records(body, api)
    assert (total, count) == (23, 2)
    assert [a.url for a in anchors] == [BASE + "/gkmlpt/content/2/1/post_1.html", BASE + "/gkmlpt/content/2/1/post_2.html"]
    assert d.gkmlpt_records("not json", api) == (None, 0, [])


# --- politeness helpers -------------------------------------------------------------------------
def test_retry_after_forms():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_setting_overrides_like_scrapy():
    ov = parse_setting_overrides(["DOWNLOAD_DELAY=0.5", "X=a=b", "EMPTY="])
    assert ov == {"DOWNLOAD_DELAY": "0.5", "X": "a=b", "EMPTY": ""}
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_setting_overrides(["NOEQUALS"])
    s = project_settings({"DOWNLOAD_DELAY": "0.25", "ROBOTSTXT_OBEY": "False"})
    assert s.getfloat("DOWNLOAD_DELAY") == 0.25 and s.getbool("ROBOTSTXT_OBEY") is False
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2 and s.getbool("AUTOTHROTTLE_ENABLED")
    assert "nianbao" in s.get("USER_AGENT") and "http" in s.get("USER_AGENT")


def test_worker_processes_only_for_unthrottled_crawls_on_several_cores(monkeypatch: pytest.MonkeyPatch):
    from crawler import workers

    monkeypatch.setattr(workers, "_cores", lambda: 2)
    polite = project_settings({})
    fast = project_settings({"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False"})
    assert workers.parse_workers(polite) == 0 and workers.archive_writer(polite) is False
    assert workers.parse_workers(fast) == 1 and workers.archive_writer(fast) is True
    # explicit settings win over "auto", either way
    assert workers.parse_workers(project_settings({"NIANBAO_PARSE_WORKERS": "3"})) == 3
    assert workers.archive_writer(project_settings({"NIANBAO_ARCHIVE_WRITER": "True"})) is True
    assert workers.parse_workers(project_settings({"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False",
                                                   "NIANBAO_PARSE_WORKERS": "0"})) == 0
    with pytest.raises(ValueError, match="NIANBAO_PARSE_WORKERS"):
        workers.parse_workers(project_settings({"NIANBAO_PARSE_WORKERS": "many"}))
    monkeypatch.setattr(workers, "_cores", lambda: 1)  # one core: a second process only competes with the first
    assert workers.parse_workers(fast) == 0 and workers.archive_writer(fast) is False


def test_bad_worker_settings_are_refused_before_the_crawl_starts(tmp_path):
    from crawl_helpers import run_nianbao

    r = run_nianbao("crawl", "--db", str(tmp_path / "a.db"), "-s", "NIANBAO_PARSE_WORKERS=many", "http://127.0.0.1:9/")
    assert r.returncode == 2 and "NIANBAO_PARSE_WORKERS must be a number or 'auto'" in r.stderr
    assert not (tmp_path / "a.db").exists()  # refused before the archive was even opened
