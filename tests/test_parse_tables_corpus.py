"""Every HTML variant of the renderer, both formats, parsed back through the single entry point."""

from __future__ import annotations

import random

import pytest
from tables_helpers import (
    cell_values,
    expected_verdicts,
    got_verdicts,
    make_spec,
    page_bytes,
    parse_direct,
    random_cells,
)

from crawler.parsing import parse_document
from simulator.render import HTML_VARIANTS, render_report_html

HEADERS = {"content-type": "text/html; charset=utf-8"}


@pytest.mark.parametrize("variant", HTML_VARIANTS)
@pytest.mark.parametrize("template", ["v2019", "v2021"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variant_round_trip(variant: str, template: str, seed: int) -> None:
    cells = random_cells(random.Random(seed * 7 + len(variant)), template)
    spec = make_spec(template, cells, seed)
    result = parse_document(page_bytes(spec, variant), f"http://127.0.0.1/{seed}.html", HEADERS)
    assert result.status == "ok", result.message
    assert result.template == template
    assert cell_values(result) == cells
    assert got_verdicts(result) == expected_verdicts(cells, template)


@pytest.mark.parametrize("variant", HTML_VARIANTS)
def test_direct_table_path_matches(variant: str) -> None:
    """grids_from_html + build_report without the page parser give the same cells."""
    cells = random_cells(random.Random(99), "v2021")
    spec = make_spec("v2021", cells, 9)
    assert cell_values(parse_direct(page_bytes(spec, variant))) == cells


def test_gbk_page_round_trip() -> None:
    cells = random_cells(random.Random(5), "v2019")
    spec = make_spec("v2019", cells, 5)
    payload = page_bytes(spec, "word", encoding="gbk")
    result = parse_document(payload, "http://127.0.0.1/gbk.html", {"content-type": "text/html; charset=gbk"})
    assert cell_values(result) == cells


def test_pre2019_free_text_is_ok_without_cells() -> None:
    spec = make_spec("pre2019", {}, 3)
    spec.year = 2016
    spec.title = "示例县第3局2016年政府信息公开工作年度报告"
    for variant in ("standard", "word"):
        result = parse_document(page_bytes(spec, variant), "http://127.0.0.1/old.html", HEADERS)
        assert result.status == "ok" and result.template == "pre2019"
        assert result.cells == {} and result.checks == []


def test_render_is_deterministic_and_variants_differ() -> None:
    spec = make_spec("v2019", random_cells(random.Random(1), "v2019"), 1)
    pages = {v: render_report_html(spec, v) for v in HTML_VARIANTS}
    assert all(render_report_html(spec, v) == pages[v] for v in HTML_VARIANTS)
    assert len(set(pages.values())) == len(HTML_VARIANTS)
    std = pages["standard"]
    assert 'rowspan="20"' in std and 'colspan="7"' in std and 'colspan="10"' in std
    assert 'rowspan="22"' in render_report_html(make_spec("v2021", {}, 1), "standard")
    assert "rowspan" not in pages["flat"]
    assert pages["split"].count("<table") >= 8
    assert "MsoNormal" in pages["word"] and "&nbsp;" in pages["word"]
    assert "<br" in pages["br_headers"]
    with pytest.raises(ValueError):
        render_report_html(spec, "nope")


def test_variant_labels_show_the_documented_variants() -> None:
    seen: set[str] = set()
    for n in range(12):
        for template in ("v2019", "v2021"):
            page = render_report_html(
                make_spec(template, random_cells(random.Random(n), template), n), "variant_labels"
            )
            for marker in (
                "合计",
                "现行有效件<",
                "(设区的市",
                "小计",
                "其他主动公开文件",
                '"三安全一稳定"',
                "主动公开政府政府情况",
            ):
                if marker in page:
                    seen.add(marker)
    assert len(seen) >= 6, seen


def test_values_render_in_the_real_ways() -> None:
    text = ""
    for n in range(10):
        cells = random_cells(random.Random(n), "v2019")
        cells["t2.art20_9.procurement.amount"] = 251000
        text += render_report_html(make_spec("v2019", cells, n), "word")
    assert "增" in text and "减" in text and "件<" in text
    assert "万元" in text or "251000元" in text
    assert any(ch in text for ch in "０１２３４５６７８９")
    assert ",2" in text or ",1" in text
