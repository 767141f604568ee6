"""Metadata layouts of portals.md §3, dates, 索引号 shape, report year, agency and its kind, sections."""

from __future__ import annotations

import datetime as dt

import pytest

from crawler.parsing import parse_document
from crawler.parsing.metadata import agency_from_title, agency_kind, parse_date, validate_index_no
from crawler.parsing.sections import split_sections

D = dt.date
REPORT_BODY = (
    "<div id='zoom'><p>一、总体情况</p><p>2020年，本机关认真贯彻条例。本年度报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。</p>"
    "<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p></div>"
)


def _page(head: str, before_body: str, title: str = "某县统计局2020年政府信息公开工作年度报告") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        f"<div class='nav'>首页 &gt; 信息公开 &gt; 年报</div>{before_body}{REPORT_BODY}</body></html>"
    ).encode()


def test_govcn_table_with_ideographic_spaces() -> None:
    block = (
        "<table class='xxgk'><tr><td><b>索　引　号：</b></td><td>000014349/2021-00012</td>"
        "<td><b>主题分类：</b></td><td>政府信息公开年报</td></tr>"
        "<tr><td><b>发文机关：</b></td><td>某县统计局</td><td><b>成文日期：</b></td><td>2021年01月15日</td></tr>"
        "<tr><td><b>标　　题：</b></td><td colspan=3>某县统计局2020年政府信息公开工作年度报告</td></tr>"
        "<tr><td><b>发文字号：</b></td><td></td><td><b>发布日期：</b></td><td>2021年01月20日</td></tr></table>"
    )
    md = parse_document(_page("", block), "http://x.gov.cn/a.html").metadata
    assert md.index_no == "000014349/2021-00012"
    assert md.category == "政府信息公开年报"
    assert md.issuer == "某县统计局"
    assert md.written == D(2021, 1, 15)
    assert md.published == D(2021, 1, 20)
    assert md.doc_no is None
    assert md.year == 2020 and md.agency == "某县统计局" and md.agency_kind == "department"


def test_jiangsu_one_line_block_and_later_byline() -> None:
    block = (
        "<div class='xxgk'><p>索引号: 014416330/2021-04736 分类: 综合政务\\其他,机关事务 通知</p>"
        "<p>发布机构: 某市人民政府办公室 文号: 成文日期: 2021-03-30 发布日期: 2021-04-22 有效性: 有效</p>"
        "<p>名称: 某市人民政府办公室2020年政府信息公开工作年度报告</p></div>"
        "<div class='byline'>来源: 市政府办 发布时间:2021-04-25 14:16</div>"
    )
    md = parse_document(_page("", block, title="某市人民政府"), "http://x.gov.cn/a.html").metadata
    assert md.index_no == "014416330/2021-04736"
    assert md.issuer == "某市人民政府办公室"  # 发布机构 beats the byline's 来源
    assert md.published == D(2021, 4, 22)  # the block's 发布日期, not the byline's 发布时间
    assert md.written == D(2021, 3, 30)
    assert md.doc_no is None
    assert md.title == "某市人民政府办公室2020年政府信息公开工作年度报告"
    assert md.agency == "某市人民政府办公室" and md.agency_kind == "government_office"


def test_anhui_four_column_table() -> None:
    block = (
        "<table><tr><th>索引号</th><td>11341702486344515H/202201-00013</td><th>组配分类</th><td>政府信息公开年报</td></tr>"
        "<tr><th>发布机构</th><td>宁国市杨柳镇</td><th>发文日期</th><td>2022-01-07 15:47</td></tr>"
        "<tr><th>发布文号</th><td></td><th>关键词</th><td>年报</td></tr>"
        "<tr><th>信息来源</th><td>杨柳镇人民政府</td><th>主题导航</th><td>综合政务</td></tr>"
        "<tr><th>信息名称</th><td>杨柳镇2021年政府信息公开工作年度报告</td><th>内容概述</th><td></td></tr></table>"
    )
    md = parse_document(_page("", block, title="宁国市人民政府"), "http://x.gov.cn/XxgkAnnualReport/show/1.html").metadata
    assert md.index_no == "11341702486344515H/202201-00013"
    assert md.issuer == "宁国市杨柳镇"
    assert md.category == "政府信息公开年报"
    assert md.published == D(2022, 1, 7)
    assert md.title == "杨柳镇2021年政府信息公开工作年度报告"
    assert (md.agency, md.agency_kind, md.year) == ("杨柳镇", "township", 2021)


def test_meta_tags_and_gkmlpt_rows() -> None:
    head = (
        "<meta name='ArticleTitle' content='遂溪县乐民镇2021年政府信息公开工作年度报告'>"
        "<meta name='PubDate' content='2022-01-07 09:30'><meta name='ColumnName' content='政府信息公开年报'>"
    )
    block = (
        "<div class='classify'><table><tr><td>索引号：</td><td>007203405/2022-00023</td><td>分类：</td><td>年报</td></tr>"
        "<tr><td>发布机构：</td><td>遂溪县乐民镇人民政府</td><td>成文日期：</td><td>2022-01-06</td></tr>"
        "<tr><td>名称：</td><td>乐民镇2021年政府信息公开工作年度报告</td></tr>"
        "<tr><td>文号：</td><td>乐府〔2022〕3号</td><td>发布日期：</td><td></td></tr></table></div>"
    )
    md = parse_document(_page(head, block, title="首页"), "http://x.gov.cn/gkmlpt/content/1/1/post_1.html").metadata
    assert md.title == "遂溪县乐民镇2021年政府信息公开工作年度报告"  # ArticleTitle first
    assert md.column == "政府信息公开年报"
    assert md.published == D(2022, 1, 7)  # empty 发布日期 → <meta PubDate>
    assert md.doc_no == "乐府〔2022〕3号"
    assert md.index_no == "007203405/2022-00023"
    assert (md.agency, md.agency_kind, md.year) == ("遂溪县乐民镇", "township", 2021)


def test_byline_only() -> None:
    block = "<div class='info'>发布时间：2022-01-27 10:07　来源：牛华镇　字体：大 中 小</div>"
    md = parse_document(_page("", block), "http://x.gov.cn/a.html").metadata
    assert md.published == D(2022, 1, 27)
    assert md.issuer == "牛华镇"


def test_index_no_must_have_the_shape() -> None:
    block = "<table><tr><td>索引号：</td><td>2021-02-00018</td><td>发布日期：</td><td>2021-02-03</td></tr></table>"
    md = parse_document(_page("", block), "http://x.gov.cn/a.html").metadata
    assert md.index_no is None
    assert md.published == D(2021, 2, 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01606072-9-30/2021-0223004", "01606072-9-30/2021-0223004"),
        ("4311230009/2020-00156", "4311230009/2020-00156"),
        ("11341702486344515H/202110-00013", "11341702486344515H/202110-00013"),
        ("0142768-8/2022-00185", "0142768-8/2022-00185"),
        ("01424668-5/2021-00063 [打印]", "01424668-5/2021-00063"),
        ("2026-02-00018", None),
        ("2021-01-20", None),
        ("", None),
        ("无", None),
    ],
)
def test_validate_index_no(value: str, expected: str | None) -> None:
    assert validate_index_no(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-20 10:04", D(2020, 1, 20)),
        ("2020年1月20日", D(2020, 1, 20)),
        ("2020/1/20", D(2020, 1, 20)),
        ("2020.01.20", D(2020, 1, 20)),
        ("二〇二一年一月二十日", D(2021, 1, 20)),
        ("二〇二〇年十二月三十一日", D(2020, 12, 31)),
        ("Jan 20, 2021", D(2021, 1, 20)),  # dateparser fallback
        ("2020-13-45", None),
        ("", None),
        ("有效", None),
    ],
)
def test_parse_date(value: str, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_year_from_statistics_period_not_publication_date() -> None:
    body = (
        "<html><body><div id='zoom'><p>发布日期：2021-03-31</p><p>本报告由某镇人民政府办公室编制。本年度报告中所列数据的统计期限"
        "自2020年1月1日起至2020年12月31日止。</p><p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
        "<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p></div></body></html>"
    )
    result = parse_document(body.encode(), "http://x.gov.cn/a.html")
    assert result.is_report, result.message
    assert result.metadata.year == 2020
    assert result.metadata.published == D(2021, 3, 31)
    assert result.metadata.agency == "某镇人民政府" and result.metadata.agency_kind == "township"


@pytest.mark.parametrize(
    ("title", "agency"),
    [
        ("山阳县人民政府2020年政府信息公开工作年度报告", "山阳县人民政府"),
        ("关于2019年度政府信息公开工作的年度报告", None),
        ("2019年度双牌县人民政府政府信息公开工作年度报告", "双牌县人民政府"),
        ("2019年双牌县政务服务中心信息公开年报", "双牌县政务服务中心"),
        ("宿州市人民政府2019年政府信息公开工作年度报告（图片版）", "宿州市人民政府"),
        ("2020年某县人民政府信息公开年报", "某县人民政府"),
        ("定西市公共资源交易中心2020年政府信息公开工作的年度报告", "定西市公共资源交易中心"),
        ("某县统计局工作总结", None),
    ],
)
def test_agency_from_title(title: str, agency: str | None) -> None:
    assert agency_from_title(title) == agency


@pytest.mark.parametrize(
    ("agency", "title", "text", "kind"),
    [
        ("某县人民政府", None, "", "county_government"),
        ("某县", None, "", "county_government"),
        ("某县人民政府办公室", None, "", "government_office"),
        ("某县统计局", None, "", "department"),
        ("某县发展和改革委员会", None, "", "department"),
        ("某县政务服务中心", None, "", "department"),
        ("某镇人民政府", None, "", "township"),
        ("某街道办事处", None, "", "township"),
        ("某乡", None, "", "township"),
        ("某县", "某县2022年政府信息公开工作年度报告", "在各乡镇、县政府各部门年度报告基础上汇总编制。", "summary"),
        ("某县", "某县2022年政府信息公开工作年度报告（汇总）", "", "summary"),
    ],
)
def test_agency_kind(agency: str, title: str | None, text: str, kind: str) -> None:
    assert agency_kind(agency, title, text) == kind


# ------------------------------------------------------------------------------------------------
# sections

V2021 = """本年度报告根据条例编制。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等。
一、总体情况
2021年，本机关认真贯彻条例。
（一）主动公开
全年主动公开信息120条。
二、主动公开政府信息情况
第二十条第（一）项 | | |
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数
规章 | 0 | 0 | 0
三、收到和处理政府信息公开申请情况
本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和
一、本年新收政府信息公开申请数量 | 3 | 0 | 0
三、本年度办理结果
四、结转下年度继续办理 | 0
四、因政府信息公开工作被申请行政复议、提起行政诉讼情况
行政复议
0
五、政府信息公开工作存在的主要问题及改进情况
一是公开内容不够丰富，二是解读形式单一。
六、其他需要报告的事项
本年度未收取信息处理费。"""


def test_split_sections_v2021() -> None:
    s = split_sections(V2021, "v2021")
    assert list(s) == ["overall", "active_disclosure", "requests", "review_litigation", "problems", "other"]
    assert "全年主动公开信息120条。" in s["overall"] and "（一）主动公开" in s["overall"]
    assert "本年制发件数" not in s["active_disclosure"]
    assert "本年新收" not in s["requests"] and "结转下年度" not in s["requests"]
    assert s["problems"] == "一是公开内容不够丰富，二是解读形式单一。"
    assert s["other"] == "本年度未收取信息处理费。"


def test_split_sections_inline_headings() -> None:
    text = "一、总体情况 本年度报告根据条例编制，全年公开信息50条。 二、主动公开政府信息情况 见下表。 三、收到和处理政府信息公开申请情况 全年未收到申请。"
    s = split_sections(text, "v2021")
    assert list(s) == ["overall", "active_disclosure", "requests"]
    assert s["requests"] == "全年未收到申请。"


def test_split_sections_pre2019() -> None:
    text = """一、概述
2016年，我区认真贯彻条例，全年公开信息300条。
二、主动公开政府信息情况
全年主动公开政府信息300条，其中规范性文件5条。
三、政府信息依申请公开办理情况
全年收到申请3件，均已按时答复。
四、政府信息公开的收费及减免情况
全年未收取任何费用。
五、因政府信息公开申请行政复议、提起行政诉讼的情况
全年未发生行政复议和行政诉讼。
六、政府信息公开工作存在的主要问题及改进措施
公开的及时性有待提高，将进一步加强。
七、需要说明的事项与附表
无其他需要说明的事项。"""
    s = split_sections(text, "pre2019")
    assert list(s) == ["overview", "active", "requests", "fees", "review_litigation", "problems", "other"]
    assert s["fees"] == "全年未收取任何费用。"


def test_split_sections_new_format_variants() -> None:
    text = "一、工作基本情况\n本报告由镇党政办编制，内容如下。\n二、主动公开政府政府情况\n主动公开信息85条，渠道多样。\n五、存在问题及改进情况\n人员不足，将加强培训。"
    s = split_sections(text, "v2019")
    assert list(s) == ["overall", "active_disclosure", "problems"]


# ------------------------------------------------------------------------------------------------
# simulator pages: every HTML variant carries the same metadata truth


def _spec(variant_index: int):
    from simulator.cells import make_cells
    from simulator.spec import ReportSpec

    year = 2019 + variant_index % 4
    template = "v2019" if year < 2021 else "v2021"
    return ReportSpec(
        agency="示例县城关镇人民政府",
        agency_kind="township",
        year=year,
        template=template,
        title=f"示例县城关镇人民政府{year}年政府信息公开工作年度报告",
        cells=make_cells(3, "cgz", "township", year, template, None),
        index_no=f"11330000002482120X/{year + 1}-00012",
        issuer="示例县人民政府办公室",
        published=D(year + 1, 1, 20),
        sections=dict(SIM_SECTIONS),
    )


SIM_SECTIONS = {
    "overall": "本年度，城关镇认真贯彻条例，全年主动公开信息128条，其中规范性文件3件。",
    "problems": "一是公开内容不够丰富；二是解读形式单一。下一步将加强培训。",
    "other": "本年度未收取信息处理费。",
}


def _variants() -> list[str]:
    from simulator.render import HTML_VARIANTS

    return list(HTML_VARIANTS)


@pytest.mark.parametrize("variant", _variants())
def test_simulator_variants_metadata(variant: str) -> None:
    from simulator.render import render_report_html

    spec = _spec(_variants().index(variant))
    body = render_report_html(spec, variant, encoding="gb18030")
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
        f"<title>{spec.title}_示例县人民政府</title></head><body><ul>"
        + "".join(f"<li><a href='/col/{i}/'>栏目{i}</a></li>" for i in range(80))
        + f"</ul>{body}</body></html>"
    ).encode("gb18030")
    result = parse_document(page, "http://www.example.gov.cn/art/2021/1/20/art_1_1.html", {})
    md = result.metadata
    assert result.is_report, result.message
    assert result.encoding == "gb18030" and result.encoding_rule == "meta"
    assert md.title == spec.title
    assert (md.index_no, md.issuer, md.published) == (spec.index_no, spec.issuer, spec.published)
    assert md.year == spec.year
    assert (md.agency, md.agency_kind) == (spec.agency, "township")
    for key, text in SIM_SECTIONS.items():
        assert result.sections.get(key) == text, (key, result.sections.get(key))
    for key in ("active_disclosure", "requests", "review_litigation"):  # tables only: no table text leaks
        assert result.sections.get(key) == "", (key, result.sections.get(key))


# ------------------------------------------------------------------------------------------------
# page orchestration: container, hidden text, links, images


def test_links_images_and_container() -> None:
    page = """<html><head><title>某县2021年政府信息公开工作年度报告</title></head><body>
    <div class="side"><a href="/other/2019report.pdf">2019年年度报告</a></div>
    <div class="main"><h1>某县2021年政府信息公开工作年度报告</h1>
      <div class="TRS_Editor"><p>一、总体情况</p><p style="display:none">隐藏文字</p>
        <p>详见附件。<a href="./P020220120.pdf">附件1：年度报告.pdf</a>
        <a href="/module/download/downfile.jsp?classid=0&filename=abc.docx">附件2</a>
        <a href="/col/col1/index.html">返回</a></p>
        <img src="../images/report_p1.jpg" alt="第1页"><img src="/images/icon_print.gif">
        <img src="data:image/png;base64,AAAA"><img src="p2.png" width="20" height="20">
      </div></div></body></html>"""
    result = parse_document(page.encode(), "http://www.example.gov.cn/zwgk/nb/202201/t20220120_1.html", {})
    urls = [a.url for a in result.attachments]
    assert urls == [
        "http://www.example.gov.cn/zwgk/nb/202201/P020220120.pdf",
        "http://www.example.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.docx",
    ]
    assert [i.url for i in result.images] == ["http://www.example.gov.cn/zwgk/nb/images/report_p1.jpg"]
    assert result.images[0].text == "第1页"
    assert "隐藏文字" not in "".join(result.sections.values())


def test_image_only_report() -> None:
    imgs = "".join(f"<p><img src='/u/{i}.jpg' width='800'></p>" for i in range(6))
    page = f"<html><head><title>某镇2020年政府信息公开工作年度报告（图片版）</title></head><body><div id='zoom'>{imgs}</div></body></html>"
    result = parse_document(page.encode(), "http://x.gov.cn/a.html", {})
    assert result.status == "image_only", result.message
    assert len(result.images) == 6 and result.message
    assert (result.metadata.agency, result.metadata.year) == ("某镇", 2020)


def test_hanweb_zjeg_markers_choose_the_body() -> None:
    page = """<html><head><title>溪下乡2023年政府信息公开工作年度报告</title></head><body>
    <div class="menu">一、总体情况 首页 二、主动公开政府信息情况 三、收到和处理政府信息公开申请情况</div>
    <!--ZJEG_RSS.content.begin--><meta name="ContentStart"><p>一、总体情况 本乡全年主动公开信息50条。</p>
    <p>二、主动公开政府信息情况 详见下表。</p><!--ZJEG_RSS.content.end-->
    <div class="footer">版权所有</div></body></html>"""
    result = parse_document(page.encode(), "http://www.yj.gov.cn/art/2024/1/16/art_1_1.html", {})
    assert result.is_report
    assert result.sections.get("overall") == "本乡全年主动公开信息50条。"


def test_plain_text_payload() -> None:
    text = "某县2020年政府信息公开工作年度报告\n索引号：4311230009/2021-00156\n发布日期：2021年1月20日\n一、总体情况\n全年主动公开信息100条。\n"
    result = parse_document(text.encode("gbk"), "http://x.gov.cn/a.txt", {"content-type": "text/plain"})
    assert result.source == "text" and result.encoding == "gb18030"
    md = result.metadata
    assert (md.title, md.index_no, md.published, md.year) == (
        "某县2020年政府信息公开工作年度报告",
        "4311230009/2021-00156",
        D(2021, 1, 20),
        2020,
    )


def test_report_in_an_attachment() -> None:
    page = (
        "<html><head><title>某县财政局2022年政府信息公开工作年度报告</title></head><body><div class='TRS_Editor'>"
        "<p>附件：<a href='./P020230120123.pdf'>某县财政局2022年政府信息公开工作年度报告.pdf</a></p></div></body></html>"
    )
    result = parse_document(page.encode(), "http://www.example.gov.cn/zfxxgk/nb/202301/t20230120_9.html", {})
    assert result.status == "no_tables"
    assert "1 attachment(s)" in result.message
    assert result.attachments[0].url == "http://www.example.gov.cn/zfxxgk/nb/202301/P020230120123.pdf"
    assert (result.metadata.agency, result.metadata.year) == ("某县财政局", 2022)


_UNTITLED = "关于2022年度政府信息公开工作的年度报告"
_T3_LINES = "<p>三、收到和处理政府信息公开申请情况</p><p>一、本年新收政府信息公开申请数量</p><p>四、结转下年度继续办理</p>"


@pytest.mark.parametrize(
    ("issuer", "body", "agency", "kind"),
    [
        # the host office is the 发布机构, the body names the township that reported
        ("某县人民政府办公室", "2022年，某县某镇人民政府认真贯彻落实条例。", "某县某镇人民政府", "township"),
        # the office reports itself: the body's "某县人民政府" must not be cut out of "某县人民政府办公室"
        ("某县人民政府办公室", "2022年，某县人民政府办公室认真贯彻落实条例。", "某县人民政府办公室", "government_office"),
        # a detail page that only links the file: "现将<单位>2022年…予以公布"
        ("某县人民政府办公室", "现将某县某乡人民政府2022年政府信息公开工作年度报告予以公布。", "某县某乡人民政府", "township"),
    ],
)
def test_untitled_report_agency_from_the_body(issuer: str, body: str, agency: str, kind: str) -> None:
    page = (
        f"<html><head><title>{_UNTITLED}</title></head><body><table><tr><td>发布机构：</td><td>{issuer}</td></tr>"
        f"<tr><td>发布日期：</td><td>2023-02-16</td></tr></table><h1>{_UNTITLED}</h1><p>一、总体情况</p>"
        f"<p>{body}</p>{_T3_LINES}</body></html>"
    ).encode()
    md = parse_document(page, "http://127.0.0.1/a.html").metadata
    assert (md.agency, md.agency_kind, md.year) == (agency, kind, 2022)
