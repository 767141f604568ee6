"""Render a ReportSpec into the markup variants real portals use (HTML tables, Word HTML, text...).

Used by the portal simulator and by the parser's property tests, so both exercise the same variants.

Every variant carries the same truth (``spec.cells``); only the markup differs. The choices a variant
makes per cell (value decoration, label typos, repeated or blank labels) come from a RNG seeded by the
spec and the variant, so one input always renders to the same bytes.

Tables are first built as a *layout*: rows of :class:`_TCell` (text, rowspan, colspan, cell key). The
layout is then emitted as HTML (optionally cut into several ``<table>`` elements, or flattened
without rowspans) or as text (pipe rows / one cell per line), the way real pages present them.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from crawler.parsing.schema import T3_COLUMNS
from simulator.spec import ReportSpec

# every variant render_report_html understands
HTML_VARIANTS: tuple[str, ...] = (
    "standard",  # official layouts with exact rowspan/colspan
    "word",  # Word-exported HTML: MsoNormal <p><span>, &nbsp;, style soup
    "split",  # each 表二 block and parts of 表三/表四 in separate <table> elements
    "br_headers",  # header cells with <br> and newlines ("商业<br>企业")
    "vertical_t4",  # 表四 laid out vertically: one row per (group, outcome)
    "flat",  # no rowspans: spanned labels repeated or left blank
    "pipe_text",  # text rendering with "|" rows (seed 004), inside <pre> or <p>
    "cell_per_line",  # one cell per line separated by "|" lines (seed 000)
    "variant_labels",  # label variants/typos/annotations, extra non-official rows
)

SECTION_TITLES: tuple[tuple[str, str], ...] = (
    ("overall", "一、总体情况"),
    ("active_disclosure", "二、主动公开政府信息情况"),
    ("requests", "三、收到和处理政府信息公开申请情况"),
    ("review_litigation", "四、政府信息公开行政复议、行政诉讼情况"),
    ("problems", "五、存在的主要问题及改进情况"),
    ("other", "六、其他需要报告的事项"),
)
PRE2019_SECTION_TITLES: tuple[tuple[str, str], ...] = (
    ("overall", "一、概述"),
    ("active_disclosure", "二、主动公开政府信息情况"),
    ("requests", "三、依申请公开政府信息情况"),
    ("fees", "四、政府信息公开的收费及减免情况"),
    ("review_litigation", "五、因政府信息公开申请行政复议、提起行政诉讼的情况"),
    ("problems", "六、政府信息公开工作存在的主要问题及改进措施"),
    ("other", "七、其他需要报告的事项"),
)

T3_COLS = T3_COLUMNS
T4_GROUPS = ("review", "lit_direct", "lit_after")
T4_OUTCOMES = (
    ("maintain", "结果维持"),
    ("correct", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)

# (block key, caption, header labels, rows [(row key, label)], value column keys)
_T2_V2019 = (
    (
        "art20_1",
        "第二十条第（一）项",
        ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        (("regulations", "规章"), ("normative_docs", "规范性文件")),
        ("made", "published", "total_public"),
    ),
    (
        "art20_5",
        "第二十条第（五）项",
        ("上一年项目数量", "本年增/减", "处理决定数量"),
        (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")),
        ("prev_items", "change", "decisions"),
    ),
    (
        "art20_6",
        "第二十条第（六）项",
        ("上一年项目数量", "本年增/减", "处理决定数量"),
        (("penalty", "行政处罚"), ("coercion", "行政强制")),
        ("prev_items", "change", "decisions"),
    ),
    (
        "art20_8",
        "第二十条第（八）项",
        ("上一年项目数量", "本年增/减"),
        (("fees", "行政事业性收费"),),
        ("prev_items", "change"),
    ),
    (
        "art20_9",
        "第二十条第（九）项",
        ("采购项目数量", "采购总金额"),
        (("procurement", "政府集中采购"),),
        ("items", "amount"),
    ),
)
_T2_V2021 = (
    (
        "art20_1",
        "第二十条第（一）项",
        ("本年制发件数", "本年废止件数", "现行有效件数"),
        (("regulations", "规章"), ("normative_docs", "行政规范性文件")),
        ("issued", "repealed", "in_force"),
    ),
    ("art20_5", "第二十条第（五）项", ("本年处理决定数量",), (("licensing", "行政许可"),), ("decisions",)),
    (
        "art20_6",
        "第二十条第（六）项",
        ("本年处理决定数量",),
        (("penalty", "行政处罚"), ("coercion", "行政强制")),
        ("decisions",),
    ),
    (
        "art20_8",
        "第二十条第（八）项",
        ("本年收费金额（单位：万元）",),
        (("fees", "行政事业性收费"),),
        ("amount",),
    ),
)

T3_TOP = (
    ("new_received", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
)
T3_RESULT_GROUPS: tuple[tuple[str | None, tuple[tuple[str, str], ...]], ...] = (
    (
        None,
        (
            ("granted", "（一）予以公开"),
            ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        ),
    ),
    (
        "（三）不予公开",
        (
            ("deny_state_secret", "1.属于国家秘密"),
            ("deny_law", "2.其他法律行政法规禁止公开"),
            ("deny_3s1w", "3.危及“三安全一稳定”"),
            ("deny_third_party", "4.保护第三方合法权益"),
            ("deny_internal", "5.属于三类内部事务信息"),
            ("deny_process", "6.属于四类过程性信息"),
            ("deny_case_file", "7.属于行政执法案卷"),
            ("deny_query", "8.属于行政查询事项"),
        ),
    ),
    (
        "（四）无法提供",
        (
            ("unable_not_held", "1.本机关不掌握相关政府信息"),
            ("unable_need_make", "2.没有现成信息需要另行制作"),
            ("unable_unclear", "3.补正后申请内容仍不明确"),
        ),
    ),
    (
        "（五）不予处理",
        (
            ("np_petition", "1.信访举报投诉类申请"),
            ("np_repeat", "2.重复申请"),
            ("np_publication", "3.要求提供公开出版物"),
            ("np_massive", "4.无正当理由大量反复申请"),
            ("np_confirm", "5.要求行政机关确认或重新出具已获取信息"),
        ),
    ),
)
T3_OTHER_V2021 = (
    ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "3.其他"),
)
T3_CORNER_TEXT = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# label variants of templates.md (variant_labels): official label -> alternatives seen on real pages
_LABEL_VARIANTS: dict[str, tuple[str, ...]] = {
    "规章": ("规章(设区的市、自治州人民政府应提供相关数据)",),
    "规范性文件": ("规范性文件(行政机关制定发布的决定、公告、通告、意见、通知)",),
    "上一年项目数量": ("上一年项目数量(指上一年事项数)", "上一年项目数量"),
    "本年增/减": ("本年增/减(指本年增加或减少的事项数，减用负值表示，如-8)", "本年增／减"),
    "处理决定数量": ("处理决定数量(指本年办件量)",),
    "现行有效件数": ("现行有效件",),
    "本年收费金额（单位：万元）": ("本年收费金额", "本年收费金额(万元)", "本年收费金额（单位:万元）"),
    "总计": ("合计",),
    "3.危及“三安全一稳定”": ('3.危及"三安全一稳定"', "3.危及三安全一稳定", "3.危及「三安全一稳定」"),
    "1.属于国家秘密": ("1.属于国家机密",),
    "2.没有现成信息需要另行制作": ("2.没有现成信息需要另作制作",),
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": (
        "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
        "（二）部分公开",
    ),
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": (
        "1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请",
    ),
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": (
        "2.申请人逾期未按收费通知要求缴纳费用，行政机关不再处理其政府信息公开申请",
    ),
    "第二十条第（一）项": ("第二十条第(一)项", "第二十条第(1)项"),
    "第二十条第（五）项": ("第二十条第(五)项",),
    "第二十条第（六）项": ("第二十条第(六)项",),
    "第二十条第（八）项": ("第二十条第(八)项",),
    "第二十条第（九）项": ("第二十条第(九)项",),
    "二、主动公开政府信息情况": ("二、主动公开政府政府情况",),
}

_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@dataclass(frozen=True, slots=True)
class _TCell:
    """One table cell of a layout. ``key`` is the canonical cell key for value cells."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None
    header: bool = False


Layout = list[list[_TCell]]


def render_report_html(spec: ReportSpec, variant: str = "standard", *, encoding: str = "utf-8") -> str:
    """The body of a report detail page (metadata block + sections + tables 二/三/四) as HTML.

    ``encoding`` is the charset the page will be served in: characters it cannot encode are written
    as numeric character references, as CMSs do, so the HTML survives any encoding.
    """
    if variant not in HTML_VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(HTML_VARIANTS)}")
    r = _Renderer(spec, variant)
    body = r.render()
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        body = body.encode(encoding, "xmlcharrefreplace").decode(encoding)
    return body


class _Renderer:
    def __init__(self, spec: ReportSpec, variant: str) -> None:
        self.spec = spec
        self.variant = variant
        seed = hashlib.sha256(
            f"{spec.agency}|{spec.year}|{spec.title}|{spec.template}|{variant}".encode()
        ).digest()
        self.rng = random.Random(int.from_bytes(seed[:8], "big"))
        self.decorate = variant != "standard"

    # -- page ----------------------------------------------------------------------------------
    def render(self) -> str:
        s = self.spec
        out = ['<div class="article">', f'<h1 class="title">{_esc(s.title)}</h1>', self._metadata_block()]
        out.append('<div class="TRS_Editor" id="zoom">')
        if s.template == "pre2019":
            out.append(
                self._para(
                    f"根据《中华人民共和国政府信息公开条例》（国务院令第492号）要求，特向社会公布{s.year}年度本机关政府信息公开工作年度报告。"
                )
            )
            for key, title in PRE2019_SECTION_TITLES:
                out.append(self._heading(title))
                out.append(self._para(s.sections.get(key) or self._pre2019_text(key)))
        else:
            for key, title in SECTION_TITLES:
                out.append(self._heading(self._label(title) if key == "active_disclosure" else title))
                if key in ("overall", "problems", "other") or not self._has_table(key):
                    out.append(self._para(s.sections.get(key) or _DEFAULT_TEXT[key].format(year=s.year)))
                elif s.sections.get(key):
                    out.append(self._para(s.sections[key]))
                if key == "active_disclosure":
                    out.append(self._emit_tables(self._t2_layouts(), "t2"))
                elif key == "requests":
                    out.append(self._emit_tables([self._t3_layout()], "t3"))
                elif key == "review_litigation":
                    out.append(self._emit_tables([self._t4_layout()], "t4"))
        out.append("</div></div>")
        return "\n".join(out)

    def _has_table(self, key: str) -> bool:
        return key in ("active_disclosure", "requests", "review_litigation")

    def _metadata_block(self) -> str:
        s = self.spec
        pub = s.published.isoformat() if s.published else ""
        rows = [
            ("索引号", s.index_no or "", "分类", "政府信息公开年报"),
            ("发布机构", s.issuer or "", "发布日期", pub),
            ("文号", s.doc_no or "", "有效性", "有效"),
        ]
        cells = "".join(
            f"<tr><th>{a}：</th><td>{_esc(b)}</td><th>{c}：</th><td>{_esc(d)}</td></tr>"
            for a, b, c, d in rows
        )
        cells += f'<tr><th>名称：</th><td colspan="3">{_esc(s.title)}</td></tr>'
        return f'<table class="xxgk-meta" id="xxgk_meta">{cells}</table>'

    def _heading(self, title: str) -> str:
        if self.variant == "word":
            return f"<p class=MsoNormal style='text-indent:32.0pt;mso-char-indent-count:2.0'><b><span style='font-size:16.0pt;font-family:黑体'>{_esc(title)}<span lang=EN-US><o:p></o:p></span></span></b></p>"
        return f"<p><strong>{_esc(title)}</strong></p>"

    def _para(self, text: str) -> str:
        if self.variant == "word":
            return f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'><span style='font-size:16.0pt;font-family:仿宋_GB2312'>{_esc(text)}<span lang=EN-US><o:p></o:p></span></span></p>"
        return f'<p style="text-indent:2em">{_esc(text)}</p>'

    def _pre2019_text(self, key: str) -> str:
        y = self.spec.year
        n = 100 + len(self.spec.agency) * 7 + y % 50
        texts = {
            "overall": f"{y}年，我单位认真贯彻落实《中华人民共和国政府信息公开条例》，进一步健全工作机制，政府信息公开工作有序开展。",
            "active_disclosure": f"{y}年全年主动公开政府信息{n}条，其中规范性文件{n % 7}件，通过政府网站公开{n - 3}条。",
            "requests": f"{y}年共收到政府信息公开申请{n % 5}件，其中当面申请{n % 3}件、信函申请{n % 5 - n % 3 if n % 5 >= n % 3 else 0}件，均已按时答复。",
            "fees": "本年度未收取政府信息公开检索、复制、邮寄等费用，无收费及减免情况。",
            "review_litigation": "本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。",
            "problems": "政府信息公开工作仍存在公开内容不够全面、更新不够及时等问题，下一步将加强培训、完善制度。",
            "other": "无其他需要报告的事项。",
        }
        return texts.get(key, "无。")

    # -- labels and values -----------------------------------------------------------------------
    def _label(self, official: str) -> str:
        if self.variant != "variant_labels":
            return official
        alts = _LABEL_VARIANTS.get(official)
        if alts and self.rng.random() < 0.6:
            return self.rng.choice(alts)
        if official[:1] in "（" and self.rng.random() < 0.5:
            return official.replace("（", "(").replace("）", ")")
        return official

    def _header(self, official: str) -> str:
        """A header label; br_headers breaks long ones in two lines as Word/PDF exports do."""
        text = self._label(official)
        if self.variant == "br_headers" and len(text) >= 4:
            cut = 3 if text.startswith("本年新") else 2
            return text[:cut] + self.rng.choice(("\n", " \n", "\n ")) + text[cut:]
        return text

    def _value(self, key: str) -> str:
        v = self.spec.cells.get(key)
        if v is None:
            if self.variant == "variant_labels" and self.rng.random() < 0.3:
                return self.rng.choice(("—", "-", "/", "无"))
            return ""
        if not self.decorate:
            return _plain(v)
        rng = self.rng
        col = key.rsplit(".", 1)[-1]
        if key.startswith("t2.") and col == "change" and isinstance(v, int):
            style = rng.randrange(4)
            if style == 0 and v != 0:
                return f"增{v}件" if v > 0 else f"减{-v}件"
            if style == 1 and v != 0:
                return f"+{v}" if v > 0 else str(v)
            return str(v)
        if key == "t2.art20_9.procurement.amount" and isinstance(v, int) and rng.random() < 0.6:
            if v % 100 == 0 and v and rng.random() < 0.5:
                wan = (Decimal(v) / 10000).normalize()
                return f"{wan:f}万元"
            return f"{v}元"
        if isinstance(v, float):
            return _plain(v)
        style = rng.randrange(10)
        if style == 0:
            return str(v).translate(_FULLWIDTH)
        if style == 1 and abs(v) >= 1000:
            return f"{v:,}"
        if style == 2 and key.startswith("t2.") and col != "amount" and v >= 0:
            return f"{v}件"
        return str(v)

    # -- layouts -----------------------------------------------------------------------------------
    def _t2_layouts(self) -> list[Layout]:
        """One layout per 表二 block (the standard emitter joins them into one table)."""
        blocks = _T2_V2019 if self.spec.template == "v2019" else _T2_V2021
        out: list[Layout] = []
        for block, caption, headers, rows, cols in blocks:
            layout: Layout = [[_TCell(self._label(caption), colspan=4, header=True)]]
            hdr = [_TCell("信息内容", header=True)]
            span_last = 4 - len(headers)
            for i, h in enumerate(headers):
                hdr.append(
                    _TCell(self._header(h), colspan=span_last if i == len(headers) - 1 else 1, header=True)
                )
            layout.append(hdr)
            for row, label in rows:
                cells = [_TCell(self._label(label))]
                for i, col in enumerate(cols):
                    key = f"t2.{block}.{row}.{col}"
                    cells.append(
                        _TCell(self._value(key), colspan=span_last if i == len(cols) - 1 else 1, key=key)
                    )
                layout.append(cells)
            if self.variant == "variant_labels" and block == "art20_1" and self.spec.template == "v2019":
                # Hubei units add a non-official row; its numbers belong to no canonical key
                layout.append([_TCell("其他主动公开文件"), _TCell("12"), _TCell("12"), _TCell("40")])
            out.append(layout)
        return out

    def _t3_layout(self) -> Layout:
        v2021 = self.spec.template == "v2021"
        extra_subtotals = self.variant == "variant_labels" and self.rng.random() < 0.7

        def values(row: str) -> list[_TCell]:
            return [_TCell(self._value(f"t3.{row}.{c}"), key=f"t3.{row}.{c}") for c in T3_COLS]

        lay: Layout = [
            [
                _TCell(T3_CORNER_TEXT, rowspan=3, colspan=3, header=True),
                _TCell("申请人情况", colspan=7, header=True),
            ],
            [
                _TCell(self._header("自然人"), rowspan=2, header=True),
                _TCell(self._header("法人或其他组织"), colspan=5, header=True),
                _TCell(self._header("总计"), rowspan=2, header=True),
            ],
            [
                _TCell(self._header(h), header=True)
                for h in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
            ],
        ]
        for row, label in T3_TOP:
            lay.append([_TCell(self._label(label), colspan=3), *values(row)])
        body: Layout = []
        for group, rows in T3_RESULT_GROUPS:
            if group is None:
                for row, label in rows:
                    body.append([_TCell(self._label(label), colspan=2), *values(row)])
                continue
            n = len(rows) + (1 if extra_subtotals else 0)
            for i, (row, label) in enumerate(rows):
                lead = [_TCell(self._label(group), rowspan=n)] if i == 0 else []
                body.append([*lead, _TCell(self._label(label)), *values(row)])
            if extra_subtotals:
                body.append([_TCell("小计"), *self._subtotal([r for r, _ in rows])])
        if v2021:
            for i, (row, label) in enumerate(T3_OTHER_V2021):
                lead = [_TCell(self._label("（六）其他处理"), rowspan=3)] if i == 0 else []
                body.append([*lead, _TCell(self._label(label)), *values(row)])
        else:
            body.append([_TCell(self._label("（六）其他处理"), colspan=2), *values("other_handling")])
        body.append([_TCell(self._label("（七）总计"), colspan=2), *values("result_total")])
        body[0] = [_TCell(self._label("三、本年度办理结果"), rowspan=len(body)), *body[0]]
        lay.extend(body)
        lay.append([_TCell(self._label("四、结转下年度继续办理"), colspan=3), *values("carry_next")])
        return lay

    def _subtotal(self, rows: list[str]) -> list[_TCell]:
        """A non-official subtotal row (some pages add them); values are sums of the known cells."""
        out = []
        for c in T3_COLS:
            vals = [self.spec.cells.get(f"t3.{r}.{c}") for r in rows]
            nums = [v for v in vals if isinstance(v, int | float)]
            out.append(_TCell(_plain(sum(nums)) if nums else ""))
        return out

    def _t4_layout(self) -> Layout:
        if self.variant == "vertical_t4":
            lay: Layout = [[_TCell("项目", colspan=3, header=True), _TCell("数量", header=True)]]
            for g in T4_GROUPS:
                for i, (col, label) in enumerate(T4_OUTCOMES):
                    key = f"t4.{g}.{col}"
                    row: list[_TCell] = []
                    if g == "review" and i == 0:
                        row.append(_TCell("行政复议", rowspan=5, colspan=2))
                    elif g == "lit_direct" and i == 0:
                        row += [_TCell("行政诉讼", rowspan=10), _TCell("未经复议直接起诉", rowspan=5)]
                    elif g == "lit_after" and i == 0:
                        row.append(_TCell("复议后起诉", rowspan=5))
                    row += [_TCell(self._label(label)), _TCell(self._value(key), key=key)]
                    lay.append(row)
            return lay
        outcomes = [self._header(label if col != "total" else "总计") for col, label in T4_OUTCOMES]
        return [
            [_TCell("行政复议", colspan=5, header=True), _TCell("行政诉讼", colspan=10, header=True)],
            [
                *(_TCell(o, rowspan=2, header=True) for o in outcomes),
                _TCell("未经复议直接起诉", colspan=5, header=True),
                _TCell("复议后起诉", colspan=5, header=True),
            ],
            [_TCell(o, header=True) for o in outcomes * 2],
            [
                _TCell(self._value(f"t4.{g}.{c}"), key=f"t4.{g}.{c}")
                for g in T4_GROUPS
                for c, _ in T4_OUTCOMES
            ],
        ]

    # -- emitters ----------------------------------------------------------------------------------
    def _emit_tables(self, layouts: list[Layout], table: str) -> str:
        if self.variant == "pipe_text":
            return self._emit_pipe(layouts)
        if self.variant == "cell_per_line":
            return self._emit_cell_per_line(layouts)
        if self.variant == "split":
            parts: list[str] = []
            for lay in layouts:
                dense = _dense(lay)
                if table == "t3":
                    cuts = [0, 3, 3 + 2 + self.rng.randrange(3, 9), len(dense)]
                elif table == "t4" and len(dense) == 4:
                    cuts = [0, 3, 4]
                else:
                    cuts = [0, len(dense)]
                for a, b in itertools.pairwise(cuts):
                    parts.append(self._html_table(_slice(dense, a, b)))
            return "\n".join(parts)
        merged: Layout = [row for lay in layouts for row in lay]
        if self.variant == "flat":
            dense = _dense(merged)
            repeat = self.rng.random() < 0.5
            return self._html_table(_flatten(dense, repeat))
        return self._html_table(merged)

    def _html_table(self, layout: Layout) -> str:
        word = self.variant == "word"
        rows = []
        for row in layout:
            tds = []
            for c in row:
                attrs = ""
                if c.rowspan > 1:
                    attrs += f' rowspan="{c.rowspan}"'
                if c.colspan > 1:
                    attrs += f' colspan="{c.colspan}"'
                tds.append(self._td(c.text, attrs, word))
            tr = "<tr style='height:20.0pt'>" if word else "<tr>"
            rows.append(tr + "".join(tds) + "</tr>")
        if word:
            return (
                "<table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0 width=600 "
                "style='width:450.0pt;border-collapse:collapse;mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>"
                + "\n".join(rows)
                + "</table>"
            )
        return (
            '<table border="1" cellspacing="0" cellpadding="0" class="nb-table">'
            + "\n".join(rows)
            + "</table>"
        )

    def _td(self, text: str, attrs: str, word: bool) -> str:
        if word:
            inner = self._word_text(text)
            return (
                f"<td{attrs} valign=center style='border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;"
                f"padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal align=center style='text-align:center;"
                f"mso-pagination:widow-orphan'>{inner}</p></td>"
            )
        if self.variant == "br_headers" and "\n" in text:
            parts = text.split("\n")
            br = self.rng.choice(("<br>", "<br />", "<br/>\n"))
            return f"<td{attrs}>{br.join(_esc(p) for p in parts)}</td>"
        return f"<td{attrs}>{_esc(text)}</td>"

    def _word_text(self, text: str) -> str:
        if not text:
            return "<span lang=EN-US style='font-size:10.5pt'>&nbsp;<o:p></o:p></span>"
        style = "font-size:10.5pt;font-family:宋体;mso-bidi-font-family:宋体;color:black;mso-font-kerning:0pt"
        if len(text) > 4 and self.rng.random() < 0.4:
            cut = self.rng.randrange(1, len(text))
            a, b = text[:cut], text[cut:]
            return (
                f"<span style='{style}'>{_esc(a)}</span><span lang=EN-US style='{style}'>{_esc(b)}</span>"
                "<span lang=EN-US style='font-size:10.5pt'><o:p></o:p></span>"
            )
        if text.strip().isdigit():
            return f"<span lang=EN-US style='{style}'>{_esc(text)}<o:p></o:p></span>"
        return f"<span style='{style}'>{_esc(text)}<span lang=EN-US><o:p></o:p></span></span>"

    def _text_rows(self, layouts: list[Layout]) -> list[list[str]]:
        """What a text rendering of the tables shows: per <tr>, the texts of its own cells."""
        rows: list[list[str]] = []
        for lay in layouts:
            width = max(sum(c.colspan for c in row) for row in lay)
            for row in lay:
                texts = [c.text.replace("\n", " ") for c in row]
                rows.append(texts + [""] * (width - len(texts)))
        return rows

    def _emit_pipe(self, layouts: list[Layout]) -> str:
        lines = ["| " + " | ".join(r) + " |" for r in self._text_rows(layouts)]
        if self.rng.random() < 0.5:
            return "<pre>" + _esc("\n".join(lines)) + "</pre>"
        return "\n".join(f"<p>{_esc(line)}</p>" for line in lines)

    def _emit_cell_per_line(self, layouts: list[Layout]) -> str:
        lines: list[str] = []
        for lay in layouts:
            for row in lay:
                for c in row:
                    lines.append(c.text.replace("\n", ""))
                    lines.append("|")
        return "\n".join(f"<p>{_esc(line)}</p>" for line in lines)


_DEFAULT_TEXT = {
    "overall": "{year}年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进主动公开、依申请公开、政府信息管理、平台建设和监督保障各项工作。",
    "active_disclosure": "本年度主动公开政府信息情况如下表。",
    "requests": "本年度收到和处理政府信息公开申请情况如下表。",
    "review_litigation": "本年度政府信息公开行政复议、行政诉讼情况如下表。",
    "problems": "一是公开内容的深度和广度有待拓展；二是工作人员业务能力有待提高。下一步将加强培训，完善制度。",
    "other": "本年度无其他需要报告的事项。",
}


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _plain(v: int | float) -> str:
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return f"{v:.1f}"
        return format(Decimal(repr(v)), "f")  # plain digits, never "1e-05"
    return str(v)


# A dense slot: (text, origin row, origin col, rowspan, colspan, key)
_Slot = tuple[_TCell, int, int]


def _dense(layout: Layout) -> list[list[_Slot | None]]:
    """The layout as a dense grid of (cell, origin row, origin col), the way a browser lays it out."""
    width = 0
    grid: list[list[_Slot | None]] = []
    for r, row in enumerate(layout):
        while len(grid) <= r:
            grid.append([])
        c = 0
        for cell in row:
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            for dr in range(cell.rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                while len(line) < c + cell.colspan:
                    line.append(None)
                for dc in range(cell.colspan):
                    line[c + dc] = (cell, r, c)
            c += cell.colspan
            width = max(width, c)
    for line in grid:
        line.extend([None] * (width - len(line)))
    return grid


def _slice(dense: list[list[_Slot | None]], a: int, b: int) -> Layout:
    """Rows a..b of a dense grid as a layout; cells cut by the boundary are repeated with shorter spans."""
    out: Layout = []
    for r in range(a, b):
        row: list[_TCell] = []
        for c, slot in enumerate(dense[r]):
            if slot is None:
                continue
            cell, r0, c0 = slot
            if c != c0 or r != max(r0, a):
                continue
            end = min(r0 + cell.rowspan, b)
            row.append(replace(cell, rowspan=end - r))
        out.append(row)
    return out


def _flatten(dense: list[list[_Slot | None]], repeat: bool) -> Layout:
    """No rowspans: a spanned cell is repeated (or left blank) in every row it covered."""
    out: Layout = []
    for r, line in enumerate(dense):
        row: list[_TCell] = []
        for c, slot in enumerate(line):
            if slot is None:
                continue
            cell, r0, c0 = slot
            if c != c0:
                continue
            if r0 == r:
                row.append(replace(cell, rowspan=1))
            else:
                row.append(_TCell(cell.text if repeat else "", colspan=cell.colspan, header=cell.header))
        out.append(row)
    return out
