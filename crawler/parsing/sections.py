"""Narrative text of each section (一、总体情况 ... 六、其他需要报告的事项, or the pre-2019 ones).

Headings are found by a Chinese ordinal ("三、") followed, within a few characters, by the
section's key phrase; numbering must increase, so table-三 row labels ("一、本年新收…",
"三、本年度办理结果") and intro sentences listing the six parts are never taken for headings.
Headings may be inline (Hanweb pages put the whole body in one paragraph), so we search the text,
not lines. Table renderings ("a | b | c" rows, one-cell-per-line runs) are dropped from the
narrative.
"""

from __future__ import annotations

import re

from crawler.parsing.result import Template

_ORD = "一二三四五六七八九十"
# (key, key phrase) in test order; the first phrase that matches the heading text decides.
_KEYS: tuple[tuple[str, str], ...] = (
    ("overall", r"总体情况|基本情况|概述|概况|总体工作情况"),
    ("active_disclosure", r"主动公开"),
    ("fees", r"收费(?:及|和)?减免|收费情况"),
    ("review_litigation", r"行政复议|行政诉讼"),
    ("requests", r"收到和处理|依申请公开|申请(?:办理|答复)?情况|申请公开"),
    ("problems", r"存在的?(?:主要)?问题|问题(?:及|和)改进|改进(?:情况|措施)"),
    ("other", r"其他需要报告|其它需要报告|其他事项|需要说明的事项|其他需要说明|相关说明|附表"),
)
_KEY_RES = tuple((k, re.compile(p)) for k, p in _KEYS)
# The leading lookahead (the ordinal's first character) changes no match; it lets the regex engine
# skip the positions where no heading can start with one set test.
_HEADING = re.compile(
    r"(?=[" + _ORD + r"])(?:^|(?<=[\n。；;！!？?\s|]))([" + _ORD + r"]{1,2})\s*[、．.，,]\s*"
    r"([^\n。；;|]{0,16}?(?:" + "|".join(p for _, p in _KEYS) + r")[^\n。；;|，,]{0,30}?)"
    r"(?=$|\n|[\s\u3000]|[：:。]|(?<=情况)|(?<=事项)|(?<=措施)|(?<=附表)|(?<=概述))"
)
_PRE2019_RENAME = {"overall": "overview", "active_disclosure": "active"}
_SENTENCE = re.compile(r"[。；;，,！？!?]")
# Official table labels (templates.md §2-4): a short line made of one of these is a table cell
# rendered as its own line (Word exports, one-cell-per-line layouts), never narrative.
_TABLE_LABEL = re.compile(
    "勾稽关系|申请人情况|自然人|法人或其他组织|商业企业|科研机构|社会公益组织|法律服务机构|予以公开|部分公开|不予公开|"
    "无法提供|不予处理|其他处理|总计|国家秘密|禁止公开|三安全一稳定|第三方合法权益|内部事务信息|过程性信息|执法案卷|"
    "行政查询事项|不掌握相关政府信息|另行制作|仍不明确|信访举报投诉|重复申请|公开出版物|大量反复申请|重新出具|逾期不补正|"
    "逾期未按收费|本年新收|上年结转|结转下年度|本年度办理结果|未经复议直接起诉|复议后起诉|结果维持|结果纠正|其他结果|尚未审结|"
    "信息内容|本年制发件数|本年废止件数|现行有效件数|本年处理决定数量|本年收费金额|本年新制作数量|本年新公开数量|对外公开总数量|"
    "上一年项目数量|本年增/减|处理决定数量|采购项目数量|采购总金额|第二十条第|行政许可|行政处罚|行政强制|行政事业性收费|"
    "政府集中采购|其他对外管理服务事项|规范性文件|^规章$|^其他$|^\\d+\\.其他$"
)
_SUBHEAD = re.compile(
    r"^[（(][一二三四五六七八九十\d]+[）)]|^[一二三四五六七八九十]+是|^\d+(?:[、．]|\.(?!\d))"
)


def _ordinal(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _ORD.index(s[1]) + 1
    if len(s) == 2 and s[1] == "十":
        return (_ORD.index(s[0]) + 1) * 10
    return _ORD.index(s[0]) + 1


def find_headings(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of each section heading, in order, numbering strictly increasing."""
    out: list[tuple[int, int, str]] = []
    last = 0
    seen: set[str] = set()
    for m in _HEADING.finditer(text):
        try:
            n = _ordinal(m.group(1))
        except (ValueError, IndexError):
            continue
        if n <= last or (last and n > last + 3):
            continue
        heading = m.group(2)
        key = next((k for k, rx in _KEY_RES if rx.search(heading)), None)
        if key is None or key in seen:
            continue
        out.append((m.start(1), m.end(), key))
        seen.add(key)
        last = n
    return out


def narrative(block: str) -> str:
    """Drop table renderings: '|' rows and runs of short cell-like lines (numbers, column labels)."""
    kept: list[str] = []
    for raw in block.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.count("|") >= 2 or line == "|":  # a stripped line has no "\n": same as r"\|.*\|"
            continue
        if len(line) < 20 and not _SENTENCE.search(line) and not _SUBHEAD.match(line):
            continue  # a table cell on its own line ("信息内容", "0", "本年制发件数")
        if len(line) < 90 and "。" not in line and _TABLE_LABEL.search(line):
            continue  # an official table label on its own line ("（一）予以公开", "（本列数据的勾稽关系为：…）")
        tokens = line.split()
        if len(tokens) >= 4 and not _SENTENCE.search(line) and sum(len(t) for t in tokens) / len(tokens) <= 3:
            continue  # a flattened table row ("维持 纠正 结果 审结 计", "0 0 0 0 0")
        kept.append(line)
    return "\n".join(kept)


def split_sections(text: str, template: Template) -> dict[str, str]:
    """Section key → narrative text. Keys: overall, active_disclosure, requests, review_litigation,
    problems, other (2019/2021 formats) or overview, active, requests, fees, review_litigation,
    problems, other (pre-2019). Sections that are absent are absent from the dict.
    """
    if not text:
        return {}
    headings = find_headings(text)
    out: dict[str, str] = {}
    for i, (_start, end, key) in enumerate(headings):
        stop = headings[i + 1][0] if i + 1 < len(headings) else len(text)
        if template == "pre2019":
            key = _PRE2019_RENAME.get(key, key)
        elif key == "fees":
            continue  # an old-style heading inside a new-format report: its text stays with its neighbour
        body = narrative(text[end:stop])
        if key in out:
            out[key] = f"{out[key]}\n{body}".strip()
        else:
            out[key] = body
    return out
