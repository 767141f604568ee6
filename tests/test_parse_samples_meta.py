"""Title, agency, year and metadata of every real excerpt, with expectations written by hand.

Each sample goes through the public entry point twice: as a plain-text payload (parse_plain_text)
and wrapped as an HTML page (<pre>), so both paths are held to the same answers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from parse_helpers import as_pre_html, sample_path, sample_url
from shared_data import SAMPLES, SEEDS

from crawler.parsing import parse_document

D = dt.date
# prefix: expected metadata fields (only the ones listed are checked); "report": is it a report?
EXPECTED: dict[str, dict[str, object]] = {
    "02_": dict(
        report=True,
        title="山阳县人民政府2020年政府信息公开工作年度报告",
        agency="山阳县人民政府",
        agency_kind="county_government",
        year=2020,
        index_no="01606072-9-30/2021-0223004",
        issuer="市政府办",  # the host office, not the reporting county
        published=D(2021, 2, 20),
        category="县区政府信息公开年度报告",
    ),
    "03_": dict(
        report=True,
        title="城口县人民政府机关2020年政府信息公开工作年度报告",  # split over two lines
        agency="城口县人民政府机关",
        agency_kind="county_government",
        year=2020,
    ),
    "04_": dict(report=True, agency="宝鸡市凤县人民政府", agency_kind="county_government", year=2020),
    "05_": dict(
        report=True, title="园艺场2020年政府信息公开工作年度报告", agency="园艺场", agency_kind="township", year=2020
    ),
    "06_": dict(report=True, agency="两城镇人民政府", agency_kind="township", year=2020),
    "08_": dict(
        report=True,
        title="乐民镇2021年政府信息公开工作年度报告",
        agency="乐民镇",
        agency_kind="township",
        year=2021,
        published=D(2022, 1, 7),
    ),
    "09_": dict(
        report=True,
        title="牛华镇2021年政府信息公开工作年度报告",
        agency="牛华镇",
        agency_kind="township",
        year=2021,
        issuer="牛华镇",
        published=D(2022, 1, 27),
    ),
    "10_": dict(
        report=True,
        title="周湾镇2021年政府信息公开工作年度报告",  # not the breadcrumb above it
        agency="周湾镇",
        agency_kind="township",
        year=2021,
    ),
    "12_": dict(report=True, agency="丰收乡", agency_kind="township", year=2022),
    "13_": dict(
        report=True,
        title="正定县2022年政府信息公开工作年度报告",
        agency="正定县",
        agency_kind="summary",  # 汇总编制 from townships and departments
        year=2022,
    ),
    "14_": dict(
        report=True,
        title="杨柳镇2021年政府信息公开工作年度报告",
        agency="杨柳镇",
        agency_kind="township",
        year=2021,
        issuer="杨柳镇人民政府",
        published=D(2022, 1, 7),
    ),
    "15_": dict(report=True, year=2023),
    "17_": dict(report=True, agency="南平市人民政府", agency_kind="summary", year=2012),
    "18_": dict(
        report=True,
        title="福州市晋安区2016年政府信息公开工作年度报告",
        agency="福州市晋安区",
        agency_kind="county_government",
        year=2016,
        issuer="区人民政府办公室",
        published=D(2017, 1, 12),  # the byline, not the URL's t20170721
    ),
    "19_": dict(
        report=True,
        title="威海市文登区信访局2022年政府信息公开工作年度报告",  # from "Page 8 - <title>"
        agency="威海市文登区信访局",
        agency_kind="department",
        year=2022,
    ),
    "20_": dict(report=True, year=2020),  # flipbook page 9: header "2020年报_审计局" + structure
    "22_": dict(
        report=False,  # the national format notice re-posted by a bureau
        index_no="11341702486344515H/202110-00013",
        issuer="宁国市商务局",
        published=D(2021, 10, 8),
        doc_no="国办公开办函〔2021〕30号",
        category="公开制度",
    ),
    "23_": dict(
        report=True,
        title="定西市公共资源交易中心2020年政府信息公开工作的年度报告",
        agency="定西市公共资源交易中心",
        agency_kind="department",
        year=2020,
        published=D(2021, 1, 25),
    ),
    "25_": dict(
        report=True,
        title="新野县统计局2020年政府信息公开工作年度报告",
        agency="新野县统计局",
        agency_kind="department",
        year=2020,
    ),
    "26_": dict(report=True, title=None, agency="桐梓县", agency_kind="county_government", year=2022),
    "30_": dict(
        report=True,
        title="2022年上海市政府信息公开工作年度报告",
        agency="上海市",
        agency_kind="county_government",
        year=2022,
    ),
    "31_": dict(report=False),
}


def _check(result, expected: dict[str, object], label: str) -> None:
    exp = dict(expected)
    assert result.is_report is exp.pop("report"), f"{label}: status {result.status} ({result.message})"
    for name, value in exp.items():
        got = getattr(result.metadata, name)
        assert got == value, f"{label}: {name} = {got!r}, expected {value!r}"


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_as_plain_text(prefix: str) -> None:
    path = sample_path(prefix)
    result = parse_document(path.read_bytes(), sample_url(prefix), {"content-type": "text/plain"})
    assert result.source == "text"
    _check(result, EXPECTED[prefix], f"{path.name} (text)")


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_as_html(prefix: str) -> None:
    path = sample_path(prefix)
    result = parse_document(as_pre_html(path.read_text(encoding="utf-8")), sample_url(prefix), {})
    assert result.source == "html"
    assert result.encoding == "utf-8" and result.encoding_rule == "meta"
    _check(result, EXPECTED[prefix], f"{path.name} (html)")


def test_seed_004_metadata_header() -> None:
    seed = next(SEEDS.glob("004_*.txt"))
    result = parse_document(seed.read_bytes(), "http://www.sp.gov.cn/x.txt", {})
    md = result.metadata
    assert result.is_report
    assert md.index_no == "4311230009/2020-00156"
    assert md.issuer == "双牌县政务服务中心"
    assert md.published == D(2020, 1, 20) and md.written == D(2020, 1, 20)  # 发文日期
    assert md.title == "2019年双牌县政务服务中心信息公开年报"
    assert md.year == 2019  # the report year, not the 2020 publication
    assert md.agency == "双牌县政务服务中心"
    assert md.agency_kind == "department"


def test_seed_000_year_from_body() -> None:
    seed = next(SEEDS.glob("000_*.txt"))
    result = parse_document(seed.read_bytes(), "", {})
    assert result.is_report
    assert result.metadata.year == 2020


def test_trs_list_page_is_not_a_report() -> None:
    page = next(SAMPLES.glob("27_*.html"))
    result = parse_document(page.read_bytes(), "http://www.yzq.gov.cn/zwgk/zwdt/zwyw/index.html", {})
    assert result.status == "not_report", result.message
    assert result.encoding == "utf-8"
    assert result.message


def test_sections_of_a_full_sample() -> None:
    from crawler.parsing.sections import split_sections

    text = sample_path("09_").read_text(encoding="utf-8")
    sections = split_sections(text, "v2021")
    assert list(sections) == ["overall", "active_disclosure", "requests"]
    assert "主动公开发布包括政府工作" in sections["overall"]
    assert "本年制发件数" not in sections["active_disclosure"]  # table text dropped
