"""PDF reports the simulator's crawl got wrong, rendered ruled and unruled, parsed back cell for cell.

The specs are simulator reports (seeds 7, 6, 9, 5, 17, 18, size small) whose unruled PDFs came back
with cells shifted between columns or rows missing. Their causes, one per test id:

* ``dexing-gov``: "（三）不予公开 | 1.属于国家秘密" (a group's first sub-row, all blank) was taken for a
  header line, its x positions became a value column and shifted every value after it;
* ``dexing-veterans``: 表三's continuation page showed no value in one column, so its columns were
  counted from its own numbers; the all-blank rows at the foot of page 1 and the top of page 2
  ("7.属于行政执法案卷", "8.属于行政查询事项") were left out of the grid;
* ``tonglin``: 表四's only row held two numbers, which alone looked like a page number;
* ``nanhe``: 表四's row was blank in every cell: nothing but its header and a gap;
* ``xincheng``: the sign-off under 表四 was taken for rows of a table going on;
* ``funing`` (seed 17): 表三's first rows blank right under the header; the page breaks inside a
  group whose label wraps ("（四）无法" / "提供") after rows with no numbers;
* ``zhuangxin`` (seed 18): the last line of page 1 is such a wrapped label, not a row.

The cells are stored here (in ``keys_for(template)`` order, "" for a blank cell) so the test does
not depend on how the simulator draws its worlds.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from crawler.parsing import parse_document
from crawler.parsing.attachments.pdf import parse_pdf
from crawler.parsing.dispatch import DEFAULT_LIMITS
from crawler.parsing.schema import keys_for
from simulator.render_files import render_pdf
from simulator.spec import ReportSpec

# (id, agency, kind, year, title, published, requests received, cells in keys_for("v2021") order)
CASES = [
    (
        "dexing-gov",
        "德兴县人民政府",
        "county_government",
        2022,
        "德兴县人民政府2022年政府信息公开工作年度报告",
        dt.date(2023, 3, 30),
        22,
        "477,138,18,0,0,4,6,1,39,0,19,1,,,1,1,22,1,,,,,,1,11,1,,,,1,13,1,,,,,,1,,,,,,,,,,,0,,,,,,,,,,,1,,0,"
        ",1,,2,,,,,,,0,,,,,,,,0,0,,,,,,,,,,,,,3,,,,,,3,0,,,0,,,0,,,,0,,,,1,,,,0,,1,2,0,,,,,2,,,,,,,,0,,,,,,,,,,"
        ",,,,20,1,,,1,1,23,,0,0,,,,,,,0,,,0,,,,,,,,,1,,,,,,1,2,2,,1,5,,,,,0,2,,0,2,4",
    ),
    (
        "dexing-veterans",
        "德兴县退役军人事务局",
        "department",
        2022,
        "德兴县退役军人事务局2022年政府信息公开工作年度报告",
        dt.date(2023, 1, 14),
        6,
        "139,24,1,0,0,1,0,0,6,1.2834,5,,,,1,,6,,,,,,,,3,,,,1,0,4,1,,,,,,1,,0,,,,,,,0,,,,,,,,0,,,,,0,,,,,,,,"
        ",,,,,0,,,,,,,0,,,,,,,,,,,,,,,,,,,,,,0,,,,,,,,,,,,,,0,0,,,,0,,,,,0,,,,,,,,,,,,0,,,,,,,,,,,,,5,,,,1,,6,"
        "0,,,,,,,1,,,,0,,1,,,,,,,,,,,0,,,,,,0,,,0,,,1,1,,,1,,1",
    ),
    (
        "funing",
        "河宁县坊坪乡人民政府",
        "township",
        2023,
        "河宁县坊坪乡人民政府2023年政府信息公开工作年度报告",
        dt.date(2024, 1, 20),
        None,
        "46,14,1,0,0,2,0,0,1,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,0,,,,,,,0,,,,,,0,,0,,,,,,,,,,,,0,,,,,,,,,"
        ",,,0,,,,,,,,,,,,,,,,,,,,,0,,,,0,,,,,,0,,,0,,0,0,,,,,,,,,0,,,,,,,0,,,,,,,,,,,,,,,,,,,,,,0,0,,,,,,,,,,,,,"
        ",,,,,,,,,,,,,,,,,,,,,,,,",
    ),
    (
        "zhuangxin",
        "河丰县庄新镇人民政府",
        "township",
        2022,
        "河丰县庄新镇人民政府2022年政府信息公开工作年度报告",
        dt.date(2023, 1, 28),
        None,
        "1,7,1,0,0,2,0,0,0,17.6689,,,,,,,,,,,,,,,,,0,,,0,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
        ",,,,,,,0,,,0,,,0,,,,,0,,,,,,,,,,,,,,,,,0,,,,,,,0,,,0,,,,,,,,,,,,,,,0,,,,,,,,,,,,,,0,,,,,,,,,,,,,,,,,"
        ",,,0,,,,,,0,,0,,,0,,,,,,,,,,,,,",
    ),
    (
        "tonglin",
        "通林县档案馆",
        "department",
        2022,
        "关于2022年度政府信息公开工作的年度报告",
        dt.date(2023, 1, 23),
        1,
        "180,57,4,0,0,0,0,0,6,0,1,0,,,,,1,0,,0,,,,,,,,,,0,,0,,,,,,,,,,,,,,,,,0,,,,,,,0,,,,,,,,,,0,,,0,,,0,,"
        ",,,,,,,,,,,,,,,,,,,0,,1,,0,,,,1,,,,,,,,,,0,,,,0,,,,,,,,,0,,,,,,,,0,,,,,,,,,,,,,,,,,,,1,,,,,0,1,,,,0,,"
        ",0,,,0,,,,,,,0,0,,,,,,,,0,,,,0,,,0,,,,,,,,,,",
    ),
    (
        "nanhe",
        "南河县发展和改革局",
        "department",
        2023,
        "南河县发展和改革局2023年政府信息公开工作年度报告",
        dt.date(2024, 1, 23),
        11,
        "166,45,4,0,0,1,1,1,1,0,11,,0,,,,11,1,1,,,,0,2,8,1,,,,,9,1,,,,,0,1,,,,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,"
        ",,,,1,,0,,0,,1,0,,,,,,0,,,,,,,0,1,,,,,,1,,,,0,,,,,0,,,,,0,,,,,,0,,,,,,,,,,0,,,,,,,0,,,,,,,,,,,,,11,1,"
        ",,,,12,1,,,0,,0,1,,,,,,0,,,0,,,0,,,,0,,,,,,,,,,,,,,,,,,,,",
    ),
    (
        "xincheng",
        "新城县交通运输局",
        "department",
        2022,
        "新城县交通运输局2022年政府信息公开年度报告",
        dt.date(2023, 1, 30),
        3,
        "152,17,6,0,0,2,0,0,3,0,1,2,,,,,3,1,1,,,,,2,1,,,,,,1,,,,,,,,,,,,,,,,,,,0,,,,,,,,,,,0,,,,,,,,0,,,,,"
        ",,,,,,,0,,0,,,,,,1,,,,,1,,,,,,,,,,,,,,,,,,,,0,,,,,,,,0,,,,,0,,,0,,,,,,,,1,,,,,1,,,,,,,,1,2,,,,0,3,1,1,"
        ",,,,2,,,,,0,0,,,,0,,,,,,,,0,0,,,,,,0,,,1,1,0,2,0,,,,",
    ),
]


def _value(text: str) -> int | float | None:
    if not text:
        return None
    return float(text) if "." in text else int(text)


def _spec(case: tuple) -> ReportSpec:
    _, agency, kind, year, title, published, received, values = case
    keys = keys_for("v2021")
    cells = [_value(v) for v in values.split(",")]
    sections = {
        "overall": f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作，"
        "进一步提升政务公开质量。"
    }
    if received is not None:
        sections["requests"] = f"{year}年，{agency}共收到政府信息公开申请{received}件，均在法定期限内答复。"
    assert len(cells) == len(keys), (len(cells), len(keys))
    return ReportSpec(
        agency=agency,
        agency_kind=kind,
        year=year,
        template="v2021",
        title=title,
        cells=dict(zip(keys, cells, strict=True)),
        issuer=agency,
        published=published,
        sections=sections,
    )


def _wrong(spec: ReportSpec, payload: bytes) -> list[str]:
    res = parse_document(payload, "http://127.0.0.1/report.pdf")
    got = {k: c.value for k, c in res.cells.items()}
    return [
        f"{k}: got {got.get(k, 'missing')!r} want {spec.cells.get(k, 'missing')!r}"
        for k in sorted(set(spec.cells) | set(got))
        if got.get(k, "missing") != spec.cells.get(k, "missing")
    ]


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_failing_simulator_reports_are_exact(case: tuple, ruled: bool) -> None:
    spec = _spec(case)
    payload = render_pdf(spec, ruled=ruled)
    assert _wrong(spec, payload) == []


def test_continuation_page_has_the_blank_rows_and_all_columns() -> None:
    """表三 over two pages, unruled: the rows around the page break are in the grids, each with 7 slots."""
    spec = _spec(CASES[1])
    _, grids, _, _ = parse_pdf(render_pdf(spec, ruled=False), DEFAULT_LIMITS)
    rows = {
        row[0].text if "、" not in row[0].text[:3] else row[-8].text: [c.text for c in row[-7:]]
        for g in grids
        for row in g.rows
        if len(row) >= 8
    }
    for label in ("7.属于行政执法案卷", "8.属于行政查询事项"):
        hits = [v for k, v in rows.items() if k.startswith(label)]
        assert hits == [[""] * 7], (label, hits)


def _t4_only_pdf(values: dict[str, str]) -> bytes:
    """One page holding only the heading and 表四 (unruled), with the given values."""
    from simulator import render_files as rf

    buf = io.BytesIO()
    w = rf._PdfWriter(buf, "表四", ruled=False, encrypt=None)
    w.paragraph(rf.SECTION_TITLES["review_litigation"], 12)
    spec = _spec(CASES[0])
    spec.cells = {k: (_value(values[k]) if k in values else None) for k in spec.cells}
    (t4,) = [t for t in rf.table_layouts(spec) if t.key == "t4"]
    w.table(t4, force_split=False)
    w.paragraph("示例县统计局", 11)
    w.finish()
    return buf.getvalue()


@pytest.mark.parametrize(
    "values",
    [{}, {"t4.lit_direct.maintain": "3"}, {"t4.review.correct": "1", "t4.lit_after.total": "2"}],
    ids=["all-blank", "one-value", "two-values"],
)
def test_table4_alone_with_few_values(values: dict[str, str]) -> None:
    """表四 alone on its page: a row with 0, 1 or 2 numbers still yields all 15 cells in place."""
    res = parse_document(_t4_only_pdf(values), "http://127.0.0.1/t4.pdf")
    got = {k: c.value for k, c in res.cells.items() if k.startswith("t4.")}
    want = {k: _value(values.get(k, "")) for k in keys_for("v2021") if k.startswith("t4.")}
    assert got == want
