"""The speed paths of the parser decide exactly like the code they replace."""

from __future__ import annotations

import re
import sys

from crawler.parsing.checks import _judge, run_checks
from crawler.parsing.result import Cell
from crawler.parsing.schema import T3_COLUMNS, keys_for
from crawler.parsing.tables import T3_COLS, _make_cell, _no_space, _t3_keys
from crawler.parsing.values import parse_value


def test_no_space_is_the_whitespace_regex() -> None:
    ws = re.compile(r"\s")
    differ = [hex(c) for c in range(sys.maxunicode + 1) if bool(ws.match(chr(c))) != chr(c).isspace()]
    assert differ == []
    text = " 本年新收\u3000政府信息\xa0公开 | 0 |\n\t1\u2028 2\x1c3 "
    assert _no_space(text) == re.sub(r"\s+", "", text)


def test_t3_column_map_keys_are_the_official_columns() -> None:
    """_emit_t3_row looks column-map keys up in _t3_keys: the column vocabulary is T3_COLUMNS."""
    assert tuple(T3_COLS) == T3_COLUMNS
    assert list(_t3_keys("granted")) == list(T3_COLUMNS)
    assert _t3_keys("granted")["total"] == "t3.granted.total"


def test_cached_cells_match_parse_value() -> None:
    for key in ("t3.granted.total", "t2.art20_5.licensing.change", "t2.art20_8.fees.amount"):
        for raw in ("", "0", "12", "增3件", "减1", "25.1万元", "—", "abc", "1,234"):
            cell, problem = _make_cell(key, raw)
            try:
                value, expected_problem = parse_value(raw, key), None
            except ValueError as exc:
                value, expected_problem = None, str(exc)
            assert cell == Cell(key=key, value=value, raw=raw)
            assert problem == expected_problem


def test_check_details_for_zero_floats_and_nulls() -> None:
    """A 0.0 operand is added as int 0 (``v or 0``), so sums print as ints; nulls are counted per side."""
    cells = {k: Cell(k, 0.0 if k.endswith(".natural_person") else None, "") for k in keys_for("v2021")}
    cells["t3.new_received.total"] = Cell("t3.new_received.total", 1234567, "1234567")
    details = {(c.check, c.instance): c for c in run_checks(cells, "v2021")}
    flow = details[("t3_flow", "total")]
    assert flow.verdict == "not_assessable"
    assert "new_received=1234567" in flow.detail and "; 1 null" in flow.detail
    judged = _judge("c", "i", [("a", 0.0), ("b", 2)], [("c", None), ("d", 3.5)], "w")
    assert (
        judged.detail == "w: expected (b=2) = 2, found (d=3.5; 1 null) = 3.5 (diff -1.5) [nulls counted as 0]"
    )


def _scan_labels_per_line(lines: list[str], max_lines: int = 800) -> dict[str, str]:
    """The per-line scan that scan_labels replaced (one _LABEL_RE pass per line)."""
    from crawler.parsing.metadata import _LABEL_RE, _LINE_START

    found: dict[str, str] = {}
    for raw in lines[:max_lines]:
        line = raw.strip()
        if not line or len(line) > 600:
            continue
        matches = list(_LABEL_RE.finditer(line))
        if not matches:
            continue
        lead = _LINE_START.match(line)
        if matches[0].start() > (lead.end() if lead else 0) and len(matches) < 2:
            continue
        for i, m in enumerate(matches):
            label = re.sub(r"[\s\u3000\xa0]", "", m.group(1))
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            value = line[m.end() : end].strip(" \t\u3000\xa0|:：")
            value = re.sub(r"\s*\|\s*$", "", value).strip()
            if label not in found or (not found[label] and value):
                found[label] = value
    return found


def test_scan_labels_one_pass_matches_per_line_scan() -> None:
    from crawler.parsing.metadata import scan_labels

    lines = [
        "首页 > 政府信息公开",
        "索引号：11410000/2021-00012 | 分类：年度报告",
        "发布机构 | 示例县统计局 | 发布日期 | 2021-01-20",
        "统计时间：2020年",  # 时间 glued to CJK: not a label
        "  来源: 本网  ",
        "成文日期\n2021年1月5日",  # a line holding a line break
        "名　称：示例县2020年政府信息公开工作年度报告",
        "文号",  # a label with nothing after it
        "x" * 601 + " 索引号：1",  # too long: skipped
        "",
        "时间 2021-02-01 浏览次数：12",
        "信息来源：示例县人民政府办公室 时间：",
    ]
    assert scan_labels(lines) == _scan_labels_per_line(lines)
    assert scan_labels(lines, max_lines=3) == _scan_labels_per_line(lines, max_lines=3)
    assert scan_labels(iter(lines)) == _scan_labels_per_line(lines)
    assert scan_labels([]) == {}
