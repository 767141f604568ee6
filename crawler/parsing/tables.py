"""Grids -> canonical cells: label matching by normalised row/column labels and their parents.

The mapper reads every grid row by row, in document order, as one stream, so a table split over
several ``<table>`` elements (or PDF pages) simply continues, and one text rendering holding all
three tables works the same way. Per row it separates *label* cells (text) from *value* cells
(numbers, blanks, "-", ...), then:

- labels update the context: which table (表二/三/四, from captions, section titles, headers or
  unambiguous row labels), which 表二 block (第二十条第（N）项), which 表三 group (（三）不予公开 ...),
  which 表四 group (行政复议 / 未经复议直接起诉 / 复议后起诉);
- a row of header labels (信息内容 | 本年新制作数量 ..., 自然人 | 法人或其他组织 ..., 行政复议 | 行政诉讼 ...)
  gives the column map: grid column -> column key, from each column's header path;
- a row whose last matched label is a row label gives cells ``<table>.<row>.<col>``: values come from
  the mapped grid columns (span copies are never counted twice) or, when the grid's columns are
  unreliable (text renderings), in the order of the header labels read for that block.

Labels are compared after normalisation (:func:`strip_label`): NFKC (full/half width), Traditional
-> Simplified for the label vocabulary, no whitespace/quotes/punctuation, no numbering prefix
("（三）", "1.", "一、"), no parenthetical annotations ("规章(设区的市...)"). Words that are both a
column and a row label ("其他" vs "3.其他", "总计" vs "（七）总计") are told apart by the numbering
prefix and the current context, i.e. by (path, label), never by the bare word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import cast

from crawler.parsing.grid import Grid
from crawler.parsing.result import Cell, Template
from crawler.parsing.schema import T3_COLUMNS, keys_for
from crawler.parsing.values import looks_like_value, parse_value


@dataclass(slots=True)
class TableMapping:
    template: Template
    cells: dict[str, Cell] = field(default_factory=dict)
    found_tables: set[str] = field(default_factory=set)  # {"t2", "t3", "t4"}
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Normalisation

# Traditional -> Simplified for the characters of the table vocabulary (mirrors such as sample 24).
_TRAD = str.maketrans(
    "條項內製數開總規範檔許證處罰強減決務對費採購額結轉辦發請從機關稱於這與為當認無實際護權過執詢屬類樣現補確問獲記報種體會議訴復維糾審計訟經國險穩態級門達區設應該資單係業構組織團產營錄號網頁導領聯職責價據參採徵獎勵給檢併執時間統務廳辦權義據説說區縣鄉鎮處據",
    "条项内制数开总规范档许证处罚强减决务对费采购额结转办发请从机关称于这与为当认无实际护权过执询属类样现补确问获记报种体会议诉复维纠审计讼经国险稳态级门达区设应该资单系业构组织团产营录号网页导领联职责价据参采征奖励给检并执时间统务厅办权义据说说区县乡镇处据",
)
_WS = re.compile(r"\s+")
_PUNCT = re.compile(r"[\"'“”‘’「」『』〝〞、，,。.．:：;；·•/／\\_＿\-—–~～*＊#＃!！?？]")
_PREFIX = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.,]|\([一二三四五六七八九十]+\)|\(\d{1,2}\)|\d{1,2}[.、,)](?!\d)|[①-⑳])"
)
_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_ARTICLE = re.compile(r"第二十条第\(?([一二三四五六七八九十\d]+)\)?项")
_BLOCK_NO = {"一": "art20_1", "1": "art20_1", "五": "art20_5", "5": "art20_5", "六": "art20_6", "6": "art20_6",
             "八": "art20_8", "8": "art20_8", "九": "art20_9", "9": "art20_9"}  # fmt: skip


@lru_cache(maxsize=65536)
def base_norm(text: str) -> str:
    """NFKC, Simplified, no whitespace; brackets become ASCII "(" ")"."""
    t = unicodedata.normalize("NFKC", text).translate(_TRAD).replace("档案", "文件")
    t = t.replace("〔", "(").replace("〕", ")").replace("［", "[").replace("］", "]")
    return _WS.sub("", t)


@lru_cache(maxsize=65536)
def _prefix_and_core(text: str) -> tuple[bool, str]:
    """(had a numbering prefix, label with prefix, annotations and punctuation removed)."""
    t = base_norm(text)
    had_prefix = False
    for _ in range(2):
        m = _PREFIX.match(t)
        if not m or m.end() == len(t):
            break
        t = t[m.end() :]
        had_prefix = True
    stripped = t
    for _ in range(3):
        new = _PAREN.sub("", stripped)
        if new == stripped:
            break
        stripped = new
    if not _PUNCT.sub("", stripped):
        stripped = t.replace("(", "").replace(")", "")
    return had_prefix, _PUNCT.sub("", stripped)


def strip_label(text: str) -> str:
    """The comparable core of a label: "（二）部分公开（区分处理的…）" -> "部分公开"."""
    return _prefix_and_core(text)[1]


# ------------------------------------------------------------------------------------------------
# Vocabulary (templates.md §2-§4; keys as in cell-keys.yaml)

T3_ROWS: dict[str, tuple[str, ...]] = {
    "new_received": ("本年新收政府信息公开申请数量",),
    "carried_over": ("上年结转政府信息公开申请数量",),
    "granted": ("予以公开",),
    "partial": ("部分公开",),
    "deny_state_secret": ("属于国家秘密",),
    "deny_law": ("其他法律行政法规禁止公开",),
    "deny_3s1w": ("危及三安全一稳定",),
    "deny_third_party": ("保护第三方合法权益",),
    "deny_internal": ("属于三类内部事务信息",),
    "deny_process": ("属于四类过程性信息",),
    "deny_case_file": ("属于行政执法案卷",),
    "deny_query": ("属于行政查询事项",),
    "unable_not_held": ("本机关不掌握相关政府信息",),
    "unable_need_make": ("没有现成信息需要另行制作",),
    "unable_unclear": ("补正后申请内容仍不明确",),
    "np_petition": ("信访举报投诉类申请",),
    "np_repeat": ("重复申请",),
    "np_publication": ("要求提供公开出版物",),
    "np_massive": ("无正当理由大量反复申请",),
    "np_confirm": ("要求行政机关确认或重新出具已获取信息",),
    "other_handling": ("其他处理",),
    "other_no_correction": ("申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请",),
    "other_fee_unpaid": ("申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",),
    "other_other": ("其他",),
    "result_total": ("总计",),
    "carry_next": ("结转下年度继续办理",),
}
T3_GROUPS: dict[str, str] = {
    "本年度办理结果": "results",
    "不予公开": "deny",
    "无法提供": "unable",
    "不予处理": "np",
    "其他处理": "other",
}
T3_COLS: dict[str, tuple[str, ...]] = {
    "natural_person": ("自然人",),
    "commercial": ("商业企业",),
    "research": ("科研机构",),
    "social_welfare": ("社会公益组织",),
    "legal_service": ("法律服务机构",),
    "other_org": ("其他",),
    "total": ("总计", "合计"),
}
_T3_HEADER_WORDS = ("申请人情况", "法人或其他组织", "勾稽关系", "本列数据")
T4_GROUPS: dict[str, tuple[str, ...]] = {
    "lit_direct": ("未经复议直接起诉", "直接起诉"),
    "lit_after": ("复议后起诉",),
    "review": ("行政复议",),
    "lit": ("行政诉讼",),
}
T4_OUTCOMES: dict[str, tuple[str, ...]] = {
    "maintain": ("结果维持",),
    "correct": ("结果纠正",),
    "other": ("其他结果",),
    "pending": ("尚未审结",),
    "total": ("总计", "合计"),
}
_T4_ORDER = tuple(f"{g}.{c}" for g in ("review", "lit_direct", "lit_after") for c in T4_OUTCOMES)


@dataclass(frozen=True, slots=True)
class _Block:
    key: str
    rows: dict[str, tuple[str, ...]]
    cols: dict[str, tuple[str, ...]]


_T2_V2019 = (
    _Block("art20_1", {"regulations": ("规章",), "normative_docs": ("规范性文件",)},
           {"made": ("本年新制作数量", "本年制作数量"), "published": ("本年新公开数量", "本年公开数量"),
            "total_public": ("对外公开总数量", "对外公开数量")}),
    _Block("art20_5", {"licensing": ("行政许可",), "other_services": ("其他对外管理服务事项",)},
           {"prev_items": ("上一年项目数量",), "change": ("本年增减",), "decisions": ("处理决定数量",)}),
    _Block("art20_6", {"penalty": ("行政处罚",), "coercion": ("行政强制",)},
           {"prev_items": ("上一年项目数量",), "change": ("本年增减",), "decisions": ("处理决定数量",)}),
    _Block("art20_8", {"fees": ("行政事业性收费",)},
           {"prev_items": ("上一年项目数量",), "change": ("本年增减",)}),
    _Block("art20_9", {"procurement": ("政府集中采购",)},
           {"items": ("采购项目数量",), "amount": ("采购总金额",)}),
)  # fmt: skip
_T2_V2021 = (
    _Block("art20_1", {"regulations": ("规章",), "normative_docs": ("行政规范性文件", "规范性文件")},
           {"issued": ("本年制发件数",), "repealed": ("本年废止件数",), "in_force": ("现行有效件数", "现行有效件")}),
    _Block("art20_5", {"licensing": ("行政许可",)}, {"decisions": ("本年处理决定数量", "处理决定数量")}),
    _Block("art20_6", {"penalty": ("行政处罚",), "coercion": ("行政强制",)},
           {"decisions": ("本年处理决定数量", "处理决定数量")}),
    _Block("art20_8", {"fees": ("行政事业性收费",)}, {"amount": ("本年收费金额", "本年收费金额单位万元", "收费金额")}),
)  # fmt: skip


def _t2_blocks(template: str) -> dict[str, _Block]:
    return {b.key: b for b in (_T2_V2019 if template == "v2019" else _T2_V2021)}


# ------------------------------------------------------------------------------------------------
# Fuzzy label matching (cached: official labels repeat on every page)


def _score(s: str, alt: str) -> float:
    if s == alt:
        return 1.0
    if len(alt) >= 4 and len(s) <= 2 * len(alt) + 4 and alt in s:
        return 0.9
    if len(s) >= 4 and s in alt:
        return 0.85
    if min(len(s), len(alt)) < 4 or abs(len(s) - len(alt)) > max(3, len(alt) // 3):
        return 0.0
    return SequenceMatcher(None, s, alt).ratio()


@lru_cache(maxsize=65536)
def _best(s: str, vocab_id: str) -> tuple[str | None, float]:
    vocab = _VOCABS.get(vocab_id)
    if vocab is None:  # e.g. a 第二十条第（九）项 block on a 2021-format page
        return None, 0.0
    best: tuple[str | None, float] = (None, 0.0)
    for key, alts in vocab.items():
        for alt in alts:
            sc = _score(s, alt)
            if sc > best[1]:
                best = (key, sc)
    return best if best[1] >= 0.78 else (None, best[1])


_VOCABS: dict[str, dict[str, tuple[str, ...]]] = {
    "t3_rows": T3_ROWS,
    "t3_cols": T3_COLS,
    "t4_groups": T4_GROUPS,
    "t4_outcomes": T4_OUTCOMES,
    "t3_groups": {v: (k,) for k, v in T3_GROUPS.items()},
}
for _tpl in ("v2019", "v2021"):
    for _b in _t2_blocks(_tpl).values():
        _VOCABS[f"{_tpl}.{_b.key}.rows"] = _b.rows
        _VOCABS[f"{_tpl}.{_b.key}.cols"] = _b.cols
    _VOCABS[f"{_tpl}.t2rows"] = {
        f"{b.key}.{r}": alts for b in _t2_blocks(_tpl).values() for r, alts in b.rows.items()
    }


# ------------------------------------------------------------------------------------------------
# Template detection (templates.md §7)

_V2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件", "本年处理决定数量", "本年收费金额")
_V2021_T3_MARKERS = ("申请人无正当理由逾期不补正", "申请人逾期未按收费通知要求缴纳费用")
_V2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "其他对外管理服务事项", "第二十条第(九)项",
                  "政府集中采购", "上一年项目数量")  # fmt: skip


def detect_template_detail(text: str) -> tuple[Template, bool]:
    """(format version, mixed?) from content markers, never from the year.

    A cheap normalisation (no whitespace, ASCII brackets) finds the markers on almost every page;
    only when it finds none is the text fully normalised (NFKC, Traditional -> Simplified).
    """
    cheap = _no_space(text).replace("（", "(").replace("）", ")")
    found = _markers(cheap)
    if found[0] == "unknown" or found[0] == "pre2019":
        full = _full_norm(text)
        if full != cheap:
            found = _markers(full)
    return found


def _full_norm(text: str) -> str:
    """base_norm without the cache (page-sized strings must not pile up in an LRU cache)."""
    t = unicodedata.normalize("NFKC", text).translate(_TRAD).replace("档案", "文件")
    t = t.replace("〔", "(").replace("〕", ")").replace("［", "[").replace("］", "]")
    return _no_space(t)


def _no_space(text: str) -> str:
    """``text`` without whitespace, as _WS.sub("", text): str.split() splits on exactly the characters
    \\s matches (str.isspace; tests/test_parse_fast_paths.py checks every code point), and on a
    page-sized text it is several times faster than the regex."""
    return "".join(text.split())


_ITEM_9 = re.compile(r"第二十条第\(?(九|9)\)?项")


def _markers(t: str) -> tuple[Template, bool]:
    # Both 表三 markers contain 逾, and removing punctuation creates no characters: without 逾 the
    # page-sized punctuation pass cannot find them.
    v21_t3 = False
    if "逾" in t:
        t_nopunct = _PUNCT.sub("", t.replace("“", "").replace("”", ""))
        v21_t3 = any(m in t_nopunct for m in _V2021_T3_MARKERS)
    v21 = v21_t3 or any(m in t for m in _V2021_MARKERS)
    # 表三 with a single （六）其他处理 data row (no 2021 sub-rows) is a 2019 marker
    t3_single = not v21_t3 and "其他处理" in t and ("本年新收" in t or "本年度办理结果" in t)
    v19 = any(m in t for m in _V2019_MARKERS) or ("第二十条第" in t and _ITEM_9.search(t) is not None)
    if v21 and v19:
        return ("v2021" if v21_t3 else "v2019"), True
    if v21:
        # a 2021 表二 with a 2019-style 表三 (洪泽区 2023/2024): the report is 2021-format, flagged
        return "v2021", t3_single
    if v19 or t3_single:
        return "v2019", False
    if (
        "第二十条第" not in t
        and "本年新收政府信息公开申请数量" not in t
        and "依申请公开" in t
        and any(m in t for m in ("收费及减免", "当面申请", "信函申请"))
    ):
        return "pre2019", False
    return "unknown", False


def detect_template(text: str) -> Template:
    """Format version from content (templates.md §7), never from the year."""
    return detect_template_detail(text)[0]


# ------------------------------------------------------------------------------------------------
# Mapping


@dataclass(slots=True)
class _ColMap:
    table: str
    block: str | None
    width: int
    cols: dict[int, str]  # grid column -> column key (t2/t3) or "group.outcome" (t4)


@dataclass(frozen=True, slots=True)
class _ClassifyContext:
    table: str | None
    block: str | None
    template: str
    blocks: dict[str, _Block]


@dataclass(slots=True)
class _State:
    template: Template
    allowed: frozenset[str]
    blocks: dict[str, _Block]
    table: str | None = None
    block: str | None = None
    t3_group: str | None = None
    t4_group: str | None = None
    colmap: _ColMap | None = None
    header_rows: list[int] = field(default_factory=list)
    text_header: dict[str, list[str]] = field(default_factory=dict)  # block/table -> header col keys read
    width: int = 0  # columns of the grid being mapped
    t2_head_seen: set[str] = field(default_factory=set)  # 表二 blocks whose "信息内容" header row was seen
    out: TableMapping | None = None

    def set_table(self, table: str) -> None:
        if table != self.table:
            self.table = table
            self.header_rows = []
            if table != "t2":
                self.block = None
            self.t3_group = None
            self.t4_group = None


@lru_cache(maxsize=8)
def _allowed_keys(template: Template) -> frozenset[str]:
    if template in ("v2019", "v2021"):
        return frozenset(keys_for(template))
    return frozenset(keys_for("v2019")) & frozenset(keys_for("v2021"))


def map_tables(grids: list[Grid], text: str, template: Template) -> TableMapping:
    """Map every recognised table (二, 三, 四) in ``grids`` (or in text renderings in ``text``) to cells.

    The text is read (:func:`crawler.parsing.text_tables.grids_from_text`) only when the grids hold
    no 表三: a page whose tables are "|" lines, one cell per line or flipbook text.
    """
    out = _map(grids, template)
    if template != "pre2019" and "t3" not in out.found_tables and text:
        from crawler.parsing.text_tables import grids_from_text

        text_grids = grids_from_text(text)
        if text_grids:
            out = _map(grids + text_grids, template)
    return out


def _map(grids: list[Grid], template: Template) -> TableMapping:
    out = TableMapping(template=template)
    if template == "pre2019":
        return out  # pre-2019 tables are free-form; no canonical cells (templates.md §6)
    st = _State(
        template=template,
        allowed=_allowed_keys(template),
        blocks=_t2_blocks("v2019" if template == "v2019" else "v2021"),
        out=out,
    )
    for grid in grids:
        _map_grid(grid, st)
    return out


# label roles
_BLOCK, _TABLE, _T2HEAD, _T2COL, _T2ROW, _T3HEAD, _T3COL, _T3GROUP, _T3ROW, _T4GROUP, _T4OUT = range(11)


def _classify(label: str, st: _State) -> list[tuple[int, object]]:
    """Every role the label can play, most specific first (cached: labels repeat on every page)."""
    return _classify_cached(label, st.table, st.block, st.template)


@lru_cache(maxsize=65536)
def _classify_cached(
    label: str, table: str | None, block: str | None, template: str
) -> list[tuple[int, object]]:
    st = _ClassifyContext(table, block, template, _t2_blocks("v2019" if template == "v2019" else "v2021"))
    had_prefix, core = _prefix_and_core(label)
    if not core or len(core) > 120:
        return []
    roles: list[tuple[int, object]] = []
    norm = base_norm(label)
    m = _ARTICLE.search(norm)
    if m:
        return [(_BLOCK, _BLOCK_NO.get(m.group(1)))]
    if "收到和处理政府信息公开申请" in core or (
        core.endswith("申请情况") and "公开" in core and len(core) <= 20
    ):
        return [(_TABLE, "t3")]
    if "主动公开政府" in core and core.endswith("情况") and len(core) <= 14:
        return [(_TABLE, "t2")]
    if ("行政复议" in core and "行政诉讼" in core) or ("复议" in core and "诉讼情况" in core):
        return [(_TABLE, "t4")]
    if core == "信息内容":
        return [(_T2HEAD, None)]
    if any(w in core for w in _T3_HEADER_WORDS):
        return [(_T3HEAD, None)]
    if "小计" in core:
        return []  # non-official subtotal rows/columns
    table = st.table
    # 表四 vocabulary
    g, gs = _best(core, "t4_groups")
    if g and gs >= 0.9:
        roles.append((_T4GROUP, g))
    o, _ = _best(core, "t4_outcomes")
    if o and (o != "total" or table == "t4"):
        roles.append((_T4OUT, o))
    # 表三
    grp, gsc = _best(core, "t3_groups")
    if grp and gsc >= 0.9 and not (grp == "other" and st.template == "v2019"):
        roles.append((_T3GROUP, grp))
    if core in ("其他", "总计", "合计"):
        if had_prefix:
            roles.append((_T3ROW, "other_other" if core == "其他" else "result_total"))
        else:
            roles.append((_T3COL, "other_org" if core == "其他" else "total"))
    else:
        r, _ = _best(core, "t3_rows")
        if r and not (r == "other_handling" and st.template == "v2021"):
            roles.append((_T3ROW, r))
        c, _ = _best(core, "t3_cols")
        if c:
            roles.append((_T3COL, c))
    # 表二
    tpl = "v2019" if st.template == "v2019" else "v2021"
    rr = None
    if st.block:
        r1, _ = _best(core, f"{tpl}.{st.block}.rows")
        rr = f"{st.block}.{r1}" if r1 else None
    if rr is None:
        rr, _ = _best(core, f"{tpl}.t2rows")
    if rr:
        b, r2 = rr.split(".", 1)
        roles.append((_T2ROW, (b, r2)))
    for b in st.blocks:
        cc, _ = _best(core, f"{tpl}.{b}.cols")
        if cc:
            roles.append((_T2COL, core))
            break
    if not roles and len(core) >= 2:
        # a truncated header ("本年新") is a prefix of column labels
        for blk in st.blocks.values():
            if any(alt.startswith(core) for alts in blk.cols.values() for alt in alts):
                roles.append((_T2COL, core))
                break
    # prefer roles of the current table
    order = {"t2": (_T2ROW, _T2COL), "t3": (_T3ROW, _T3GROUP, _T3COL), "t4": (_T4GROUP, _T4OUT)}.get(
        table or "", ()
    )
    roles.sort(key=lambda rv: 0 if rv[0] in order else 1)
    return roles


def _resolve_t2_header(labels: list[str], block: _Block, tpl: str) -> list[str | None]:
    """Header labels (in column order) -> column keys; ambiguous prefixes ("本年新") in official order."""
    keys: list[str | None] = []
    used: set[str] = set()
    official = list(block.cols)
    for lab in labels:
        core = strip_label(lab)
        k, _ = _best(core, f"{tpl}.{block.key}.cols")
        if k is None and len(core) >= 2:
            cands = [c for c in official if c not in used and any(a.startswith(core) for a in block.cols[c])]
            k = cands[0] if cands else None
        if k in used:
            k = None
        if k:
            used.add(k)
        keys.append(k)
    return keys


def _row_items(grid: Grid, r: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(label cells, value cells) of a row as (column, text).

    A cell is read once, at the first column it covers; a cell reaching down from an earlier row
    (rowspan) is a parent label for this row, never one of its values.
    """
    labels: list[tuple[int, str]] = []
    values: list[tuple[int, str]] = []
    is_value = looks_like_value
    for c, (text, (r0, c0)) in enumerate(grid.rows[r]):  # GridCell is a (text, origin) tuple
        if c0 != c:
            continue
        if text and not is_value(text):
            labels.append((c, text))
        elif r0 == r:
            values.append((c, text))
    return labels, values


def _map_grid(grid: Grid, st: _State) -> None:
    out = st.out
    assert out is not None
    if grid.caption:
        for role, val in _classify(grid.caption, st)[:1]:
            if role == _TABLE:
                st.set_table(str(val))
    text_mode = grid.layout == "text"
    st.header_rows = []
    st.width = grid.n_cols  # computed once: Grid.n_cols scans every row
    if st.colmap and st.colmap.width != st.width:
        st.colmap = None
    pending: tuple[tuple[str, str], int] | None = None  # a text row whose values may all be blank
    for r in range(grid.n_rows):
        labels, values = _row_items(grid, r)
        if not labels and not any(v for _, v in values) and not (values and st.table == "t4"):
            continue
        row_key: tuple[str, str] | None = None  # (table, row) ; t2 row is "block.row"
        header_hits = 0
        outcomes: list[str] = []
        group4: str | None = None
        last_label_col = -1
        for col, lab in labels:
            roles = _classify(lab, st)
            if not roles:
                continue
            role, val = roles[0]
            last_label_col = max(last_label_col, col)
            if role == _BLOCK:
                st.set_table("t2")
                st.block = val if isinstance(val, str) else None
                if st.block:
                    st.text_header[st.block] = []
                st.header_rows = []
                st.colmap = None
                continue
            if role == _TABLE:
                st.set_table(str(val))
                continue
            if role == _T2HEAD:
                st.set_table("t2")
                header_hits += 1
                if st.block:
                    st.text_header[st.block] = []
                    st.t2_head_seen.add(st.block)
                continue
            if role == _T3HEAD:
                st.set_table("t3")
                header_hits += 1
                continue
            if role == _T2COL and st.table == "t2":
                header_hits += 1
                if st.block is not None:
                    st.text_header.setdefault(st.block, []).append(lab)
                continue
            if role == _T3COL and (st.table == "t3" or val not in ("other_org", "total")):
                st.set_table("t3")  # 自然人/商业企业/... name 表三 whatever came before
                header_hits += 1
                continue
            if role == _T4GROUP:
                st.set_table("t4")
                group4 = str(val) if val != "lit" else group4
                if val != "lit":
                    st.t4_group = str(val)
                header_hits += 1
                continue
            if role == _T4OUT and st.table == "t4":
                outcomes.append(str(val))
                header_hits += 1
                continue
            if role == _T3GROUP:
                st.set_table("t3")
                st.t3_group = str(val)
                continue
            if role == _T3ROW:
                key = str(val)
                if key == "other_other" and st.t3_group != "other":
                    continue
                st.set_table("t3")
                if key in ("new_received", "carried_over", "carry_next"):
                    st.t3_group = None
                elif key in ("granted", "partial", "other_handling", "result_total"):
                    st.t3_group = "results"
                row_key = ("t3", key)
                continue
            if role == _T2ROW:
                block, row = cast(tuple[str, str], val)
                if st.table != "t2" or st.block != block:
                    st.set_table("t2")
                    if st.block != block:
                        st.block = block
                        st.colmap = None
                row_key = ("t2", f"{block}.{row}")
                continue
            if role in (_T2COL, _T3COL, _T4OUT):
                # a column word outside its table: treat by the other roles if any
                for role2, val2 in roles[1:]:
                    if role2 == _T3ROW:
                        row_key = ("t3", str(val2))
                        if st.table != "t3":
                            st.set_table("t3")
                        break
                continue
        has_numbers = any(v for _, v in values)
        if text_mode:
            values = [(c, v) for c, v in values if c > last_label_col]
        if pending is not None and (values or header_hits):
            (ptable, prow), pr = pending  # the table went on: that row's values were all blank
            pending = None
            emit = _emit_t2_row if ptable == "t2" else _emit_t3_row
            emit(grid, pr, prow, [], st, True, -1)
        vertical_t4 = st.table == "t4" and len(outcomes) == 1 and row_key is None
        if row_key is None and not vertical_t4:
            if st.table == "t4" and len(values) >= 15:  # the 15 numbers of 表四, even if all blank
                _emit_t4_row(grid, r, values, st, group4, text_mode)
                continue
            if header_hits and not has_numbers:
                if not text_mode:
                    st.header_rows.append(r)
                continue
            if st.table == "t4" and values and (has_numbers or not text_mode or len(values) >= 15):
                _emit_t4_row(grid, r, values, st, group4, text_mode)
            continue
        if not values and (text_mode or not labels):
            if text_mode and row_key is not None:
                # a text row with a label and nothing after it: blank values if the table goes on
                # (rows follow), or a truncated excerpt (nothing follows) -> decided at the next row
                pending = (row_key, r)
            continue
        if vertical_t4:
            group = group4 or st.t4_group
            if group in ("review", "lit_direct", "lit_after"):
                vals = [v for c, v in values if c > last_label_col] or [""]
                _put(out, st, f"t4.{group}.{outcomes[0]}", vals[0])
                out.found_tables.add("t4")
            continue
        assert row_key is not None
        table, row = row_key
        if table == "t2":
            _emit_t2_row(grid, r, row, values, st, text_mode, last_label_col)
        else:
            _emit_t3_row(grid, r, row, values, st, text_mode, last_label_col)
    if st.header_rows and not text_mode:
        _build_colmap(grid, st)


def _ordinal(values: list[tuple[int, str]], n: int, after: int) -> list[str]:
    """Values after the last label, trailing blanks trimmed to ``n``, padded with blanks."""
    vals = [v for c, v in values if c > after]
    while len(vals) > n and vals[-1] == "":
        vals.pop()
    if len(vals) < n:
        vals += [""] * (n - len(vals))
    return vals[:n]


def _mapped(grid: Grid, r: int, st: _State, table: str, block: str | None) -> dict[str, str] | None:
    """Values of row ``r`` by the column map of ``table``/``block``, if one applies."""
    if st.header_rows:
        _build_colmap(grid, st)
    cm = st.colmap
    if cm is None or cm.table != table or cm.block != block or cm.width != st.width or grid.layout == "text":
        return None
    row = grid.rows[r]
    n = len(row)
    got: dict[str, str] = {}
    for c, key in cm.cols.items():
        if c >= n:
            continue
        text, (r0, c0) = row[c]
        if r0 == r and c0 == c:
            got[key] = text
        elif r0 != r:
            got[key] = ""  # a value copied down by a rowspan is counted once, in its own row
    if not got or not any(map(looks_like_value, got.values())):
        return None
    return got


def _build_colmap(grid: Grid, st: _State) -> None:
    rows = st.header_rows
    st.header_rows = []
    if not rows:
        return
    width = st.width
    leaf_row = rows[-1]
    paths: dict[int, list[str]] = {}
    for c in range(width):
        path: list[str] = []
        for h in rows:
            if c >= len(grid.rows[h]):
                continue
            cell = grid.rows[h][c]
            if cell.text and (not path or path[-1] != cell.text):
                path.append(cell.text)
        # only the first column of a header cell spanning several columns names a value column
        leaf_cell = grid.rows[leaf_row][c] if c < len(grid.rows[leaf_row]) else None
        if leaf_cell is not None and leaf_cell.origin[1] != c:
            continue
        if path:
            paths[c] = path
    cols: dict[int, str] = {}
    table = st.table
    if table == "t2" and st.block in st.blocks:
        block = st.blocks[st.block]
        tpl = "v2019" if st.template == "v2019" else "v2021"
        order = sorted(paths)
        keys = _resolve_t2_header([paths[c][-1] for c in order], block, tpl)
        cols = {c: k for c, k in zip(order, keys, strict=True) if k}
    elif table == "t3":
        for c, path in paths.items():
            had_prefix, core = _prefix_and_core(path[-1])
            if had_prefix:
                continue
            k = {"其他": "other_org", "总计": "total", "合计": "total"}.get(core) or _best(core, "t3_cols")[0]
            if k and k not in cols.values():
                cols[c] = k
    elif table == "t4":
        for c, path in paths.items():
            group = None
            for p in path:
                g, sc = _best(strip_label(p), "t4_groups")
                if g and sc >= 0.9 and g != "lit":
                    group = g if group in (None, "review") or g != "review" else group
            o, _ = _best(strip_label(path[-1]), "t4_outcomes")
            if group and o and f"{group}.{o}" not in cols.values():
                cols[c] = f"{group}.{o}"
    if cols:
        st.colmap = _ColMap(
            table=table or "", block=st.block if table == "t2" else None, width=width, cols=cols
        )


def _emit_t2_row(
    grid: Grid, r: int, row: str, values: list[tuple[int, str]], st: _State, text_mode: bool, after: int
) -> None:
    out = st.out
    assert out is not None
    block_key, row_key = row.split(".", 1)
    block = st.blocks.get(block_key)
    if block is None:
        return
    got = None if text_mode else _mapped(grid, r, st, "t2", block_key)
    if got is None:
        tpl = "v2019" if st.template == "v2019" else "v2021"
        header = st.text_header.get(block_key) or []
        keys = _resolve_t2_header(header, block, tpl) if header else []
        official: list[str | None] = list(block.cols)
        if (header and not any(keys)) or (not header and block_key in st.t2_head_seen):
            # a header was there but names none of this format's columns (a 2021 block in a report
            # mapped as 2019, or vice versa): never map its numbers by position
            out.problems.append(
                f"表二 {block_key}: columns not of the {tpl} format; row {row_key} not mapped"
            )
            return
        if len(keys) != len(official) or None in keys or len(set(keys)) != len(keys):
            keys = official  # header partly unreadable: the official column order of the block
        vals = _ordinal(values, len(keys), after)
        got = dict(zip([str(k) for k in keys], vals, strict=True))
    prefix = f"t2.{block_key}.{row_key}."
    _put_all(out, st, [(prefix + col, raw) for col, raw in got.items()])
    out.found_tables.add("t2")


def _emit_t3_row(
    grid: Grid, r: int, row: str, values: list[tuple[int, str]], st: _State, text_mode: bool, after: int
) -> None:
    out = st.out
    assert out is not None
    got = None if text_mode else _mapped(grid, r, st, "t3", None)
    keys = _t3_keys(row)
    if got is None:
        _put_all(out, st, list(zip(keys.values(), _ordinal(values, len(T3_COLUMNS), after), strict=True)))
    else:
        _put_all(out, st, [(keys[col], raw) for col, raw in got.items()])  # colmap keys: T3_COLS = T3_COLUMNS
    out.found_tables.add("t3")


def _emit_t4_row(
    grid: Grid, r: int, values: list[tuple[int, str]], st: _State, group: str | None, text_mode: bool
) -> None:
    out = st.out
    assert out is not None
    got = None if text_mode else _mapped(grid, r, st, "t4", None)
    if got is None:
        vals = [v for _, v in values]
        if len(vals) >= 15 or (len([v for v in vals if v]) >= 15):
            keys: tuple[str, ...] = _T4_ORDER
            vals = [v for v in vals if v] if len(vals) > 15 and len([v for v in vals if v]) == 15 else vals
        elif group in ("review", "lit_direct", "lit_after") and 4 <= len(vals) <= 5:
            keys = tuple(f"{group}.{o}" for o in T4_OUTCOMES)
        else:
            return
        got = dict(zip(keys, vals + [""] * (len(keys) - len(vals)), strict=False))
    _put_all(out, st, [(f"t4.{key}", raw) for key, raw in got.items()])
    out.found_tables.add("t4")


@lru_cache(maxsize=256)
def _t3_keys(row: str) -> dict[str, str]:
    """表三 column -> cell key of one row, in column order (built once per row name)."""
    return {col: f"t3.{row}.{col}" for col in T3_COLUMNS}


@lru_cache(maxsize=65536)
def _make_cell(key: str, raw: str) -> tuple[Cell, str | None]:
    """(cell, problem) for a raw text under a key. Cached: (key, text) pairs repeat on every page
    ("0", "", "-" in the same cells), and a Cell is immutable, so reports can share it."""
    try:
        return Cell(key=key, value=parse_value(raw, key), raw=raw), None
    except ValueError as exc:
        return Cell(key=key, value=None, raw=raw), str(exc)


def _put_all(out: TableMapping, st: _State, items: list[tuple[str, str]]) -> None:
    """:func:`_put` for the cells of one row, in order."""
    cells = out.cells
    allowed = st.allowed
    for key, raw in items:
        if key in allowed and key not in cells:
            cell, problem = _make_cell(key, raw)
            if problem is not None:
                out.problems.append(problem)
            cells[key] = cell
        else:
            _put(out, st, key, raw)


def _put(out: TableMapping, st: _State, key: str, raw: str) -> None:
    if key not in st.allowed:
        if key.split(".")[0] in ("t2", "t3") and st.template in ("v2019", "v2021"):
            out.problems.append(f"{key}: not a {st.template} cell (mixed template?)")
        return
    if key in out.cells:
        return  # a table repeated (e.g. in a text rendering too): the first reading wins
    cell, problem = _make_cell(key, raw)
    if problem is not None:
        out.problems.append(problem)
    out.cells[key] = cell
