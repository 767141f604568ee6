"""Grids from HTML and text, template detection, and the label-based mapper on hand-made tables."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.parsing import parse_document
from crawler.parsing.grid import Grid, grids_from_html
from crawler.parsing.report import build_report
from crawler.parsing.result import Metadata
from crawler.parsing.tables import detect_template, detect_template_detail, map_tables, strip_label
from crawler.parsing.text_tables import grids_from_text


def grids(html: str, **kw: int) -> list[Grid]:
    return grids_from_html(lxml.html.fragment_fromstring(html, create_parent="div"), **kw)


# ------------------------------------------------------------------------------------------------
# grids_from_html


def test_spans_give_dense_grid_with_origins() -> None:
    (g,) = grids(
        "<p>三、收到和处理政府信息公开申请情况</p>"
        "<table><tr><td rowspan=2 colspan=2>a</td><td>b</td></tr><tr><td>c</td></tr>"
        "<tr><td>d</td><td colspan=2>e</td></tr></table>"
    )
    assert g.caption == "三、收到和处理政府信息公开申请情况"
    assert [[c.text for c in r] for r in g.rows] == [["a", "a", "b"], ["a", "a", "c"], ["d", "e", "e"]]
    assert g.rows[1][1].origin == (0, 0)
    assert g.rows[2][2].origin == (2, 1)
    assert g.rows[1][2].is_origin_at(1, 2)


def test_cell_text_breaks_nbsp_and_whitespace() -> None:
    (g,) = grids(
        "<table><tr><td>商业<br>企业</td><td>本年新<br />制作数量</td><td>&nbsp;</td>"
        "<td><p class=MsoNormal><span>法律</span><span>服务机构</span></p></td><td>  a \n\t b  </td></tr></table>"
    )
    assert [c.text for c in g.rows[0]] == ["商业\n企业", "本年新\n制作数量", "", "法律服务机构", "a b"]


def test_layout_tables_are_skipped_innermost_kept() -> None:
    got = grids(
        "<table><tr><td><p>二、主动公开政府信息情况</p><table><tr><td>x</td><td>1</td></tr></table></td>"
        "<td><table><tr><td>y</td></tr></table></td></tr></table>"
    )
    assert [[c.text for c in g.rows[0]] for g in got] == [["x", "1"], ["y"]]
    assert got[0].caption == "二、主动公开政府信息情况"
    assert got[1].caption == ""  # another table comes first: a continuation, no caption


def test_absurd_spans_are_clamped() -> None:
    (g,) = grids(
        "<table><tr><td rowspan=99999 colspan=99999>x</td><td colspan=abc>y</td></tr><tr><td>z</td></tr></table>"
    )
    assert g.n_rows == 2
    assert g.n_cols <= 101
    assert g.rows[0][-1].text == "y"


def test_thousand_columns_are_bounded_by_the_cell_budget() -> None:
    row = "<tr>" + "<td>1</td>" * 1000 + "</tr>"
    (g,) = grids(f"<table>{row * 5}</table>", max_cells=1500)
    assert g.truncated
    assert sum(1 for r in g.rows for c in r if c.text) <= 1500
    (full,) = grids(f"<table>{row * 5}</table>", max_cells=200_000)
    assert not full.truncated and full.n_cols == 1000 and full.n_rows == 5


def test_fifty_deep_nesting_is_bounded() -> None:
    html = (
        "<table><tr><td>" * 50 + "<table><tr><td>deep</td><td>1</td></tr></table>" + "</td></tr></table>" * 50
    )
    assert grids(html, max_nesting=40) == []  # the only data table is nested 50 deep
    assert len(grids(html, max_nesting=60)) == 1
    page = f"<html><body><div id='zoom'>{html}</div></body></html>".encode()
    result = parse_document(page, "http://127.0.0.1/deep.html", {"content-type": "text/html; charset=utf-8"})
    assert result.status != "error" or "parser error" not in result.message


# ------------------------------------------------------------------------------------------------
# text tables


def test_text_pipe_rows_and_cell_per_line_give_the_same_logical_rows() -> None:
    pipe = "| 行政许可 | 60 | 增318件 | 378 | |\n| 行政处罚 | 5 | | 4 |"
    per_line = "行政许可\n|\n60\n|\n增318件\n|\n378\n|\n行政处罚\n|\n5\n|\n|\n4\n|"
    a = [[c.text for c in r] for r in grids_from_text(pipe)[0].rows]
    b = [[c.text for c in r] for r in grids_from_text(per_line)[0].rows]
    assert a[0][:4] == b[0] == ["行政许可", "60", "增318件", "378"]
    assert a[1][:4] == b[1] == ["行政处罚", "5", "", "4"]


def test_flipbook_number_run_is_split() -> None:
    (g,) = grids_from_text(
        "四、结转下年度继续办理 0 0 0 0 0 0 0\n行政复议 行政诉讼\n结 结 其 尚\n0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
    )
    rows = [[c.text for c in r] for r in g.rows]
    assert rows[0] == ["四、结转下年度继续办理", *["0"] * 7]
    assert rows[1][-15:] == ["0"] * 15 and rows[1][0] == "行政复议 行政诉讼"


def test_narrative_without_numbers_gives_no_grid() -> None:
    assert grids_from_text("一、总体情况\n本年度我局认真贯彻条例。\n二、主动公开政府信息情况") == []


# ------------------------------------------------------------------------------------------------
# template detection and label normalisation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("信息内容 | 本年新 制作数量 | 本年新 公开数量", "v2019"),
        ("第二十条第(九)项 政府集中采购", "v2019"),
        ("第二十條第（一）項 信息內容 本年新製作數量", "v2019"),
        ("信息内容 本年制发件数 本年废止件数 现行有效件", "v2021"),
        ("1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请", "v2021"),
        ("三、依申请公开政府信息情况 本年共收到申请3件，其中当面申请2件", "pre2019"),
        ("2020年政府信息公开工作年度报告", "unknown"),
    ],
)
def test_detect_template_by_content(text: str, expected: str) -> None:
    assert detect_template(text) == expected


def test_detect_mixed_prefers_v2021_when_t3_has_the_three_other_rows() -> None:
    both = "本年新制作数量 本年制发件数 "
    assert detect_template_detail(both) == ("v2019", True)
    assert detect_template_detail(both + "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理") == (
        "v2021",
        True,
    )


@pytest.mark.parametrize(
    ("label", "core"),
    [
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
        ("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "部分公开"),
        ("3.危及“三安全一稳定”", "危及三安全一稳定"),
        ('3.危及"三安全一稳定"', "危及三安全一稳定"),
        ("规章(设区的市、自治州人民政府应提供相关数据)", "规章"),
        ("本年新<br>制作数量".replace("<br>", "\n"), "本年新制作数量"),
        ("規範性檔案", "规范性文件"),
        ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
        ("3.其他", "其他"),
    ],
)
def test_strip_label(label: str, core: str) -> None:
    assert strip_label(label) == core


# ------------------------------------------------------------------------------------------------
# mapper on hand-made grids

T3_HEAD = (
    "<tr><td colspan=3 rowspan=3>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
    "<td colspan=7>申请人情况</td></tr>"
    "<tr><td rowspan=2>自然人</td><td colspan=5>法人或其他组织</td><td rowspan=2>总计</td></tr>"
    "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
)


def _vals(*v: object) -> str:
    return "".join(f"<td>{x}</td>" for x in v)


def test_other_column_vs_other_row_and_total_column_vs_total_row() -> None:
    html = (
        "<table>" + T3_HEAD
        + "<tr><td rowspan=5>三、本年度办理结果</td><td rowspan=3>（六）其他处理</td>"
        + "<td>1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请</td>" + _vals(1, 0, 0, 0, 0, 0, 1) + "</tr>"
        + "<tr><td>2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请</td>" + _vals(0, 0, 0, 0, 0, 0, 0) + "</tr>"
        + "<tr><td>3.其他</td>" + _vals(0, 0, 0, 0, 0, 4, 4) + "</tr>"
        + "<tr><td colspan=2>（七）总计</td>" + _vals(1, 0, 0, 0, 0, 4, 5) + "</tr>"
        + "</table>"
    )  # fmt: skip
    m = map_tables(grids(html), "", "v2021")
    assert m.cells["t3.other_other.other_org"].value == 4
    assert m.cells["t3.other_other.total"].value == 4
    assert m.cells["t3.result_total.total"].value == 5
    assert m.cells["t3.other_no_correction.natural_person"].value == 1
    assert m.cells["t3.result_total.other_org"].raw == "4"


def test_columns_by_header_labels_not_position() -> None:
    """A table whose 总计 column comes first is still read by its labels."""
    html = (
        "<table><tr><td>项目</td><td>总计</td><td>自然人</td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td>"
        "<td>法律服务机构</td><td>其他</td></tr>"
        "<tr><td>一、本年新收政府信息公开申请数量</td>" + _vals(9, 4, 1, 1, 1, 1, 1) + "</tr></table>"
    )
    m = map_tables(grids(html), "", "v2019")
    assert m.cells["t3.new_received.total"].value == 9
    assert m.cells["t3.new_received.natural_person"].value == 4
    assert m.cells["t3.new_received.other_org"].value == 1


def test_value_copied_by_a_span_is_counted_once() -> None:
    html = (
        "<table>" + T3_HEAD
        + "<tr><td colspan=3>一、本年新收政府信息公开申请数量</td><td rowspan=2>7</td>" + _vals(0, 0, 0, 0, 0, 7) + "</tr>"
        + "<tr><td colspan=3>二、上年结转政府信息公开申请数量</td>" + _vals(0, 0, 0, 0, 0, 0) + "</tr></table>"
    )  # fmt: skip
    m = map_tables(grids(html), "", "v2019")
    assert m.cells["t3.new_received.natural_person"].value == 7
    assert m.cells["t3.carried_over.natural_person"].value is None
    assert m.cells["t3.carried_over.total"].value == 0


def test_table_split_over_several_tables_is_merged() -> None:
    html = (
        "<p>三、收到和处理政府信息公开申请情况</p><table>" + T3_HEAD + "</table>"
        + "<table><tr><td colspan=3>一、本年新收政府信息公开申请数量</td>" + _vals(1, 2, 3, 4, 5, 6, 21) + "</tr></table>"
        + "<p>四、政府信息公开行政复议、行政诉讼情况</p><table><tr><td colspan=5>行政复议</td><td colspan=10>行政诉讼</td></tr>"
        + "<tr>" + "".join(f"<td rowspan=2>{o}</td>" for o in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
        + "<td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr>"
        + "<tr>" + "".join(f"<td>{o}</td>" for o in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr></table>"
        + "<table><tr>" + _vals(*range(1, 16)) + "</tr></table>"
    )  # fmt: skip
    m = map_tables(grids(html), "", "v2021")
    assert [m.cells[f"t3.new_received.{c}"].value for c in ("natural_person", "other_org", "total")] == [
        1,
        6,
        21,
    ]
    assert m.cells["t4.review.maintain"].value == 1
    assert m.cells["t4.lit_direct.maintain"].value == 6
    assert m.cells["t4.lit_after.total"].value == 15
    assert m.found_tables == {"t3", "t4"}


def test_bad_value_is_a_problem_and_none() -> None:
    html = (
        "<table>"
        + T3_HEAD
        + "<tr><td colspan=3>一、本年新收政府信息公开申请数量</td>"
        + _vals("约5", 0, 0, 0, 0, 0, 5)
        + "</tr></table>"
    )
    m = map_tables(grids(html), "", "v2019")
    assert m.cells["t3.new_received.natural_person"].value is None
    assert m.cells["t3.new_received.natural_person"].raw == "约5"
    assert any("约5" in p for p in m.problems)


def test_build_report_statuses() -> None:
    md = Metadata()
    assert (
        build_report(text="一、概述\n依申请公开 当面申请1件", grids=[], metadata=md, source="html").status
        == "ok"
    )
    none = build_report(text="一、总体情况\n本年度无变化。", grids=[], metadata=md, source="html")
    assert none.status == "no_tables" and not none.cells
    only_t2 = build_report(
        text="第二十条第(一)项\n| 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |\n| 规章 | 1 | 1 | 1 |",
        grids=[],
        metadata=md,
        source="text",
    )
    assert only_t2.status == "partial" and "表三" in only_t2.message
    assert only_t2.cells["t2.art20_1.regulations.made"].value == 1


def test_text_row_without_values_is_blank_only_if_the_table_goes_on() -> None:
    head = "申请人情况\n自然人\n商业企业\n"
    rows = [["一、本年新收政府信息公开申请数量"], ["二、上年结转政府信息公开申请数量", *"1234567"]]
    goes_on = map_tables([Grid.from_rows(rows, layout="text")], head, "v2019")
    assert goes_on.cells["t3.new_received.total"].value is None
    assert goes_on.cells["t3.carried_over.total"].value == 7
    truncated = map_tables([Grid.from_rows(rows[::-1], layout="text")], head, "v2019")
    assert "t3.new_received.total" not in truncated.cells  # an excerpt cut after the label


def test_shanghai_2019_style_markup_with_blank_total_column() -> None:
    """Real-page shape ([SH2019] in templates.md): 5-column 表二 with <br /> headers and 251000元, 表三 whose
    总计 column is blank for rows (一)…(六) while (七)总计 is filled: blanks are null, never 0."""

    def row(label: str, vals: list[object], span: str = "colspan=3") -> str:
        return (
            f"<tr><td {span}>{label}</td>"
            + "".join(f"<td>{'&nbsp;' if v is None else v}</td>" for v in vals)
            + "</tr>"
        )

    t2 = (
        "<table><tr><td colspan=5>第二十条第（一）项</td></tr>"
        "<tr><td>信息内容</td><td>本年新<br />制作数量</td><td>本年新<br />公开数量</td><td colspan=2>对外公开总数量</td></tr>"
        "<tr><td>规章</td><td>3</td><td>3</td><td colspan=2>152</td></tr>"
        "<tr><td colspan=5>第二十条第（九）项</td></tr>"
        "<tr><td>信息内容</td><td colspan=2>采购项目数量</td><td colspan=2>采购总金额</td></tr>"
        "<tr><td>政府集中采购</td><td colspan=2>4</td><td colspan=2>251000元</td></tr></table>"
    )
    n = [None] * 6
    t3 = (
        "<table>" + T3_HEAD
        + row("一、本年新收政府信息公开申请数量", [821, 35, 0, 0, 2, 1, 859])
        + row("二、上年结转政府信息公开申请数量", [17, 1, 0, 0, 0, 0, 18])
        + "<tr><td rowspan=4>三、本年度办理结果</td>" + row("（一）予以公开", [700, 30, 0, 0, 2, 1, None], "colspan=2")[4:]
        + row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [50, 2, *n[:4], None], "colspan=2")
        + row("（六）其他处理", [20, *n], "colspan=2")
        + row("（七）总计", [770, 32, 0, 0, 2, 1, 805], "colspan=2")
        + row("四、结转下年度继续办理", [68, 4, 0, 0, 0, 0, 72])
        + "</table>"
    )  # fmt: skip
    page = f"<p>二、主动公开政府信息情况</p>{t2}<p>三、收到和处理政府信息公开申请情况</p>{t3}"
    result = build_report(text="本年新制作数量", grids=grids(page), metadata=Metadata(), source="html")
    c = {k: v.value for k, v in result.cells.items()}
    assert result.template == "v2019"
    assert c["t2.art20_1.regulations.made"] == 3 and c["t2.art20_1.regulations.total_public"] == 152
    assert c["t2.art20_9.procurement.amount"] == 251000 and c["t2.art20_9.procurement.items"] == 4
    assert c["t3.granted.total"] is None and c["t3.granted.natural_person"] == 700
    assert c["t3.result_total.total"] == 805
    by = {(x.check, x.instance): x.verdict for x in result.checks}
    assert by[("t3_flow", "total")] == "pass"  # 859 + 18 = 805 + 72
    assert by[("t3_row_total", "new_received")] == "pass"  # 821+35+0+0+2+1 = 859
    assert by[("t3_row_total", "granted")] == "not_assessable"  # total blank, the rest numbers
    assert by[("t3_result_sum", "natural_person")] == "pass"  # 700 + 50 + 20 = 770
    assert by[("t3_result_sum", "total")] == "not_assessable"
    assert result.verdicts["t3_row_total"] == "pass"
    assert result.status == "partial"  # 表四 missing


def test_2021_table_two_with_2019_style_table_three_is_v2021_flagged() -> None:
    """洪泽区 2023/2024 (the real PDFs): 2021 表二, 表三 with one （六）其他处理 row -> v2021, mixed."""
    t3 = "一、本年新收政府信息公开申请数量 21\n（六）其他处理 0 0 0 0 0 0 0\n（七）总计 21"
    assert detect_template_detail("本年制发件数 本年废止件数\n" + t3) == ("v2021", True)
    assert detect_template_detail(t3) == ("v2019", False)
    assert detect_template_detail("本年制发件数\n" + t3 + "\n3.其他 申请人逾期未按收费通知要求缴纳费用") == (
        "v2021",
        False,
    )
