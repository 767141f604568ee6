"""Report titles vs decoys, challenge pages, and the positive-evidence rule through parse_document."""

from __future__ import annotations

import pytest

from crawler.parsing import parse_document
from crawler.parsing.classify import challenge_reason, classify_content, is_report_title, title_verdict

REPORT_TITLES = [
    "山阳县人民政府2020年政府信息公开工作年度报告",
    "关于2019年度政府信息公开工作的年度报告",
    "宿州市人民政府2019年政府信息公开工作年度报告（图片版）",
    "上海市黄浦区2022年政府信息公开工作年度报告（超链版）",
    "2019年度双牌县人民政府政府信息公开工作年度报告",
    "2019年双牌县政务服务中心信息公开年报",
    "定西市公共资源交易中心2020年政府信息公开工作的年度报告",
    "衡阳县2021年政府信息公开年度报告",
    "二〇二〇年某县政府信息公开工作年度报告",
    "城口县人民政府机关 2020年政府信息公开工作年度报告",
    "山阳县人民政府2020年政府信息公开工作年度报告_商洛市人民政府",
    "正定县2022年政府信息公开工作年度报告 - 正定县人民政府",
]
DECOY_TITLES = [
    "某县2020年政府网站工作年度报表",
    "某县人民政府网站2021年政府网站工作年报",
    "《某县2020年政府信息公开工作年度报告》解读",
    "图解：某县2020年政府信息公开工作年度报告",
    "一图读懂某县2021年政府信息公开工作年度报告",
    "某县政府信息公开工作年度报告制度",
    "某县人民政府政府信息公开指南",
    "关于做好2020年政府信息公开工作年度报告编制发布工作的通知",
    "关于开展2020年度企业年报公示工作的通知",
    "我县召开2021年政府信息公开工作年度报告编制培训会",
    "关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知",
]
SILENT_TITLES = ["政府信息公开年报", "2020年报_审计局", "正文", "", "根据《条例》要求，现公布某县2022年政府信息公开工作年度报告。"]


@pytest.mark.parametrize("title", REPORT_TITLES)
def test_report_titles(title: str) -> None:
    assert is_report_title(title)


@pytest.mark.parametrize("title", DECOY_TITLES)
def test_decoy_titles(title: str) -> None:
    assert title_verdict(title) is False
    assert not is_report_title(title)


@pytest.mark.parametrize("title", SILENT_TITLES)
def test_titles_that_say_nothing(title: str) -> None:
    assert title_verdict(title) is None


# ------------------------------------------------------------------------------------------------
# challenges


def test_normal_page_is_not_a_challenge() -> None:
    page = ("<html><body>" + "<p>一、总体情况 正文</p>" * 2000 + "</body></html>").encode()
    assert challenge_reason(200, page, {"content-type": "text/html"}) is None


@pytest.mark.parametrize(
    ("status", "body", "headers", "needle"),
    [
        (412, b'<html><script>$_ts=window["$_ts"];</script></html>', {}, "412"),
        (412, b"", {}, "412"),
        (418, "<html><title>访问被拦截！</title></html>".encode(), {}, "418"),
        (403, b"Forbidden", {}, "403"),
        (503, b"Service Unavailable", {}, "503"),
        (200, "<html><body>请稍候，正在进行安全验证…</body></html>".encode(), {}, "请稍候"),
        (200, "<html><body>请稍候</body></html>".encode("gbk"), {}, "请稍候"),
        (200, b"<html><head><title>Just a moment...</title></head></html>", {}, "Just a moment"),
        (200, b"<script>document.cookie='__jsluid_s=abc'</script>", {}, "__jsluid"),
        (200, b"<html><body></body></html>", {"set-cookie": "__jsluid_h=1; path=/"}, "__jsluid"),
        (200, "<html><body>访问异常，请稍后再试</body></html>".encode(), {}, "访问异常"),
    ],
)
def test_challenge_pages_are_blocked(status: int, body: bytes, headers: dict[str, str], needle: str) -> None:
    reason = challenge_reason(status, body, headers)
    assert reason is not None and needle in reason
    result = parse_document(body, "http://x.gov.cn/a.html", headers, status=status)
    assert result.status == "blocked" and needle in result.message


def test_small_real_report_mentioning_security_check_is_not_blocked() -> None:
    body = "<html><body><h1>某县2020年政府信息公开工作年度报告</h1><p>开展网络安全验证工作。</p></body></html>".encode()
    assert challenge_reason(200, body, {}) is None


def test_blanked_challenge_page_is_not_content() -> None:
    """A failed 瑞数 challenge returns an empty-looking page with no markers: never a report."""
    result = parse_document(b"<html><head></head><body><div></div></body></html>", "http://x.gov.cn/a.html", {})
    assert result.status == "not_report"
    assert "no positive evidence" in result.message


# ------------------------------------------------------------------------------------------------
# positive evidence

BODY = """一、总体情况
2020年，本机关认真贯彻《中华人民共和国政府信息公开条例》。本年度报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。
二、主动公开政府信息情况
三、收到和处理政府信息公开申请情况
本年新收政府信息公开申请数量 | 0
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
六、其他需要报告的事项"""


def test_body_structure_accepts_a_report_without_title() -> None:
    ok, reason = classify_content(None, BODY)
    assert ok, reason


def test_body_structure_does_not_override_a_decoy_title() -> None:
    ok, reason = classify_content("《某县2020年政府信息公开工作年度报告》解读", BODY)
    assert not ok and "decoy" in reason


def test_news_mentioning_a_report_is_not_a_report() -> None:
    news = "<html><head><title>我县部署政务公开工作</title></head><body><div id='zoom'><p>会议要求，3月31日前发布2020年政府信息公开工作年度报告。</p></div></body></html>"
    result = parse_document(news.encode(), "http://x.gov.cn/n.html", {})
    assert result.status == "not_report"
    assert result.metadata.title == "我县部署政务公开工作"


def test_website_annual_report_page_is_not_a_report() -> None:
    page = (
        "<html><head><meta name='ArticleTitle' content='某县2020年政府网站工作年度报表'></head><body>"
        "<div id='zoom'><table><tr><td>网站名称</td><td>某县人民政府</td></tr></table></div></body></html>"
    )
    result = parse_document(page.encode(), "http://x.gov.cn/w.html", {})
    assert result.status == "not_report" and "decoy" in result.message
    assert result.metadata.title == "某县2020年政府网站工作年度报表"


def test_report_page_is_accepted_by_title() -> None:
    page = (
        "<html><head><title>某县统计局2021年政府信息公开工作年度报告_某县人民政府</title></head><body>"
        "<div class='TRS_Editor'><p>一、总体情况</p><p>2021年，某县统计局认真落实条例。</p></div></body></html>"
    )
    result = parse_document(page.encode(), "http://x.gov.cn/r.html", {})
    assert result.is_report, result.message
    assert result.metadata.title == "某县统计局2021年政府信息公开工作年度报告"
    assert result.metadata.agency == "某县统计局" and result.metadata.agency_kind == "department"


def test_traditional_character_mirror_title() -> None:
    """portals.md §8: mirrors convert pages to Traditional characters; titles still classify."""
    from crawler.parsing.metadata import agency_from_title

    title = "武漢市生態環境局2020年政府信息公開工作年度報告"
    assert is_report_title(title)
    assert agency_from_title(title) == "武汉市生态环境局"
    assert title_verdict("《某縣2020年政府信息公開工作年度報告》解讀") is False


def _list_page(extra_body: str = "") -> bytes:
    items = "".join(
        f"<li><a href='./2021{i:02d}/t2021{i:02d}20_{i}.html'>示例县第{i}局2020年政府信息公开工作年度报告</a><span>2021-01-{i:02d}</span></li>"
        for i in range(1, 9)
    )
    return (
        "<html><head><title>政府信息公开年报_示例县人民政府</title></head><body>"
        f"<div class='list'><ul>{items}</ul></div>{extra_body}</body></html>"
    ).encode()


def test_column_list_page_is_not_a_report() -> None:
    result = parse_document(_list_page(), "http://www.example.gov.cn/zfxxgk/zfxxgknb/index.html", {})
    assert result.status == "not_report"
    assert "list of 8 report titles" in result.message


def test_report_with_a_related_reports_box_is_still_a_report() -> None:
    body = (
        "<div id='zoom'><h1>示例县2020年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>2020年，本县认真贯彻条例。</p>"
        "<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p></div>"
    )
    result = parse_document(_list_page(body), "http://www.example.gov.cn/a.html", {})
    assert result.is_report, result.message


def test_breadcrumb_is_not_a_title() -> None:
    assert title_verdict("首页 > 政府信息公开 > 政府信息公开年报 > 2020年政府信息公开年报") is None
    page = (
        "<html><body><div class='crumb'>当前位置：首页 &gt; 政府信息公开年报 &gt; 2020年政府信息公开年报</div>"
        "<div class='title'>某县民政局2020年政府信息公开工作年度报告</div><div id='zoom'><p>一、总体情况</p></div></body></html>"
    )
    result = parse_document(page.encode(), "http://x.gov.cn/a.html", {})
    assert result.metadata.title == "某县民政局2020年政府信息公开工作年度报告"
    assert result.metadata.agency == "某县民政局"
