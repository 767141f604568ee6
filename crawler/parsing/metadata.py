"""The 信息公开元数据 block, <meta> tags and bylines -> Metadata (title, 索引号, dates, agency, year).

Every CMS lays the block out differently (gov.cn label/value table rows, Jiangsu one-line
"索引号: … 分类: … 发布机构: …", Anhui four-column tables, gkmlpt "名称：" rows, bylines
"来源：… 发布时间：…"). All of them become *lines of text* first (table cells joined by " | "), and
one label scanner reads label → value pairs from those lines. Labels may contain spaces or U+3000
("索　引　号"). Values are validated by shape: a 索引号 must look like one, a date must parse.

The report year comes from the title or the statistics period, never from the publication date;
the agency from the title prefix, then 发文机关/发布机构, then the body's first sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate, islice

from crawler.parsing.classify import title_verdict, to_simplified
from crawler.parsing.result import AgencyKind, Metadata

# ------------------------------------------------------------------------------------------------
# Labels

_FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "category": ("分类", "主题分类", "组配分类", "信息分类", "公开目录", "主题导航", "体裁分类", "所属主题"),
    "issuer": ("发文机关", "发布机构", "发布单位", "信息来源", "公开责任部门", "来源", "发文单位", "公开主体"),
    "doc_no": ("文号", "发文字号", "发布文号", "文件编号"),
    "written": ("成文日期", "生成日期", "发文日期", "成文时间"),
    "published": ("发布日期", "公开日期", "发布时间", "公开时间", "时间", "日期"),
    "title": ("名称", "标题", "信息名称", "文件名称"),
    "_ignore": (
        "有效性", "时效", "关键词", "主题词", "内容概述", "摘要", "作者", "点击数", "浏览次数", "访问量", "字体", "字号",
        "视力保护色", "打印", "分享到", "责任编辑", "编辑", "发布人", "阅读次数", "废止日期", "统一编号", "失效时间",
    ),
}
# Order of preference when several labels of one field are present (earlier wins).
_PREFERENCE = {
    "issuer": ("发文机关", "发布机构", "发布单位", "公开责任部门", "发文单位", "公开主体", "信息来源", "来源"),
    "published": ("发布日期", "公开日期", "发布时间", "公开时间", "时间", "日期"),
    "written": ("成文日期", "发文日期", "生成日期", "成文时间"),
    "category": ("主题分类", "分类", "组配分类", "信息分类", "体裁分类", "公开目录", "主题导航", "所属主题"),
    "title": ("标题", "名称", "信息名称", "文件名称"),
}
_LABEL_TO_FIELD = {lab: f for f, labs in _FIELD_LABELS.items() for lab in labs}
_SP = "[ \t\u3000\xa0]*"


def _label_pattern(label: str) -> str:
    return _SP.join(re.escape(c) for c in label)


_ALL_LABELS = sorted(_LABEL_TO_FIELD, key=len, reverse=True)
# A label is a label when it is not glued to preceding CJK text (so 公开目录 inside a sentence or
# 时间 inside 统计时间 do not count) and is followed by a colon, a cell separator, or spacing.
# The leading lookahead (a label's first character) changes no match; it lets the regex engine
# reject most positions with one set test instead of trying every alternative there.
_LABEL_RE = re.compile(
    "(?=[" + re.escape("".join(sorted({lab[0] for lab in _ALL_LABELS}))) + "])"
    r"(?<![\u4e00-\u9fff])(" + "|".join(_label_pattern(lab) for lab in _ALL_LABELS) + r")" + _SP + r"(?:[:：]|\||(?=[ \t\u3000\xa0]))",
)
_LINE_START = re.compile(r"^[\s\-•·*|]*")

# 索引号 (portals.md §3; 7 leading chars allowed: "0142768-8/2022-00185" is a real one), searched inside a value.
_INDEX_NO = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{7,18}(?:-[0-9A-Z]{1,2})?(?:-\d{1,2})?/\d{4}(?:\d{2})?-\d{3,7}(?!\d)")
_ISO_DATE_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")

# ------------------------------------------------------------------------------------------------
# Dates

_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DATE_RE = re.compile(r"([〇○零Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")


def _cn_number(s: str) -> int:
    """一..三十一 (with 十)."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


def parse_date(value: str | None) -> dt.date | None:
    """'2020-01-20 10:04', '2020年1月20日', '2020/1/20', '二〇二一年一月二十日'; dateparser as the last resort."""
    if not value:
        return None
    value = value.strip()
    m = _DATE_RE.search(value)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = _CN_DATE_RE.search(value)
    if m:
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        try:
            return dt.date(year, _cn_number(m.group(2)), _cn_number(m.group(3)))
        except ValueError:
            return None
    if len(value) > 40 or not re.search(r"\d", value):
        return None
    try:
        import dateparser

        parsed = dateparser.parse(
            value, languages=["zh", "en"], settings={"PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": True}
        )
    except Exception:  # dateparser is a heuristic; a failure means "no date"
        return None
    return parsed.date() if parsed else None


# ------------------------------------------------------------------------------------------------
# Label scanning


_LABEL_SPACE = re.compile(r"[\s\u3000\xa0]")
_TRAILING_BAR = re.compile(r"\s*\|\s*$")


def scan_labels(lines: Iterable[str], max_lines: int = 800) -> dict[str, str]:
    """label → first value found, over metadata-looking lines (labels at line start, or ≥ 2 labels)."""
    found: dict[str, str] = {}
    head = [line if len(line) <= 600 else "" for line in (raw.strip() for raw in islice(lines, max_lines))]
    for line in _lines_with_labels(head):
        matches = list(_LABEL_RE.finditer(line))
        lead = _LINE_START.match(line)
        starts_with_label = matches[0].start() <= (lead.end() if lead else 0)
        if not starts_with_label and len(matches) < 2:
            continue
        for i, m in enumerate(matches):
            label = _LABEL_SPACE.sub("", m.group(1))
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            value = line[m.end() : end].strip(" \t\u3000\xa0|:：")
            value = _TRAILING_BAR.sub("", value).strip()
            if label not in found or (not found[label] and value):
                found[label] = value
    return found


def _lines_with_labels(lines: list[str]) -> list[str]:
    """The lines where _LABEL_RE matches, in order, from one regex pass over all of them.

    A match never spans a line break (no label, spacing or separator pattern contains "\n"), and a
    line start behaves like the position after "\n" (not CJK text), so the matches inside a line of
    the joined text are exactly the line's own matches. One pass in C replaces a Python loop over
    hundreds of lines (menus, narrative, table rows) that mostly have no label.
    """
    joined = "\n".join(lines)
    starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
    out: list[str] = []
    last = -1
    for m in _LABEL_RE.finditer(joined):
        i = bisect_right(starts, m.start()) - 1
        if i != last:
            out.append(lines[i])
            last = i
    return out


def _pick(found: dict[str, str], field: str) -> tuple[str | None, str | None]:
    for label in _PREFERENCE.get(field, _FIELD_LABELS[field]):
        v = found.get(label)
        if v:
            return label, v
    return None, None


def validate_index_no(value: str | None) -> str | None:
    if not value:
        return None
    m = _INDEX_NO.search(value.replace(" ", ""))
    if not m or _ISO_DATE_ONLY.match(m.group(0)):
        return None
    return m.group(0)


def _clean_value(v: str | None, max_len: int = 120) -> str | None:
    if not v:
        return None
    v = re.sub(r"[\s\u3000\xa0]+", " ", v).strip(" |:：")
    if not v or v in ("无", "-", "—", "/") or len(v) > max_len:
        return None
    return v


# ------------------------------------------------------------------------------------------------
# Title → agency / year

_TITLE_TRAILER = re.compile(r"(?:[（(【\[][^）)】\]]{0,12}[）)】\]]|[\s,，.。:：_\-—|]+)$")
_AGENCY_SUFFIX = re.compile(
    r"(?:(?:19|20)\d{2}\s*年(?:度)?)?\s*(?:的)?(?:政府|政务)?(?:信息)?公开(?:工作)?(?:的)?(?:年度)?(?:工作)?(?:年度报告|年度工作报告|年报|工作报告|报告)$"
)
_LEADING_YEAR = re.compile(r"^(?:关于)?\s*(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年(?:度)?\s*")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_TITLE_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年")
_PERIOD_YEAR = re.compile(
    r"统计(?:期限|时限|期间|时间|区间|周期|范围)?[^。\n]{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)
_SPAN_YEAR = re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|～|~)")
# the report's opening formula: "现将我局2020年度政府信息公开情况报告如下"
_INTRO_YEAR = re.compile(r"[现現][将將].{0,40}?((?:19|20)\d{2})\s*年度?.{0,20}?政府信息公[开開].{0,12}?[报報]告如下")
_BODY_YEAR = re.compile(r"(?:^|\n)[^\n]{0,4}((?:19|20)\d{2})\s*年(?:度)?(?:以来)?\s*[，,、]")
_BODY_AGENCY = re.compile(
    r"(?:19|20)\d{2}\s*年(?:度)?(?:以来)?\s*[，,]\s*([\u4e00-\u9fff（）()]{2,30}?(?:委员会|管理局|局|办公室|人民政府(?:办公室)?|政府(?:办公室)?|街道办事处|街道|镇(?:人民政府)?|乡(?:人民政府)?|中心|委))"
)
_BODY_PUBLISH = re.compile(
    r"现(?:将|予)?公布([\u4e00-\u9fff（）()]{2,30}?)(?:(?:19|20)\d{2}\s*年(?:度)?)(?:的)?(?:政府|政务)?信息公开"
)
# "现将<单位>2022年政府信息公开工作年度报告予以公布" (a detail page that links the report as a file)
_BODY_RELEASE = re.compile(
    r"现将([\u4e00-\u9fff（）()]{2,30}?)(?:(?:19|20)\d{2}\s*年(?:度)?)(?:的)?(?:政府|政务)?信息公开[^。\n]{0,20}予以公布"
)
_BODY_COMPILER = re.compile(r"由([\u4e00-\u9fff（）()]{2,40}?)(?:负责)?(?:根据|依据|按照|编制|汇总|制作)")
_INTERNAL_OFFICE = re.compile(
    r"(?<=[政府镇乡道局委心])(?:党政综合办公室|党政办公室|党政综合办|党政办|综合办公室|信息公开工作领导小组办公室|政府信息公开办公室|信息公开办公室|信息公开办|政务公开办公室|政务公开办|办公室)$"
)
_NOT_AGENCY_START = ("我", "本", "全", "在", "按", "根", "为", "经", "各", "该", "对", "从")
_SUMMARY_BODY = re.compile(r"汇总编制|基础上汇总|汇总[^。\n]{0,60}编制而成|汇总[^。\n]{0,40}(?:年度报告|年报)")


def strip_title(title: str) -> str:
    t = re.sub(r"[\s\u3000\xa0]+", "", to_simplified(title))
    for _ in range(3):
        s = _TITLE_TRAILER.sub("", t)
        if s == t:
            break
        t = s
    return t


def agency_from_title(title: str | None) -> str | None:
    """'<单位><YYYY>年政府信息公开工作年度报告' → 单位; also '关于…', '<YYYY>年度<单位>…'."""
    if not title:
        return None
    t = strip_title(title)
    t = re.sub(r"^关于", "", t)
    t = _LEADING_YEAR.sub("", t)
    stripped = _AGENCY_SUFFIX.sub("", t)
    if stripped == t:
        return None  # not a report title shape
    t = re.sub(r"(?:19|20)\d{2}\s*年(?:度)?$", "", stripped).strip("，,、 ")
    if t.endswith("人民"):
        t += "政府"  # "XX县人民政府信息公开年报": the suffix regex ate 政府
    if t.startswith("关于"):
        t = t[2:]
    return t or None


def year_from_title(title: str | None) -> int | None:
    if not title:
        return None
    m = _TITLE_YEAR.search(title)
    if m:
        return int(m.group(1))
    m = _TITLE_CN_YEAR.search(title)
    if m:
        return int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
    return None


def year_from_text(text: str) -> int | None:
    """Statistics period ('统计期限自2019年1月1日至…'), a 'YYYY年1月1日至' span, the opening formula
    ('现将…2020年度政府信息公开情况报告如下'), then 'YYYY年，' openers."""
    window = text[:20_000]
    for rx in (_PERIOD_YEAR, _SPAN_YEAR, _INTRO_YEAR):
        m = rx.search(window)
        if m:
            return int(m.group(1))
    m = _BODY_YEAR.search(window[:6000])
    return int(m.group(1)) if m else None


_TOWNSHIP = re.compile(r"(?:镇|乡|街道|街道办事处|办事处|农场|林场|园艺场|苏木|场)(?:人民政府|政府)?(?:机关)?$")
_GOV_OFFICE = re.compile(r"(?:人民政府办公室|政府办公室|政府办|人民政府办公厅|政府办公厅|办公厅)$")
_COUNTY_GOV = re.compile(r"(?:县|区|市|旗|州|盟)(?:人民政府|政府)?(?:机关)?$")
_DEPARTMENT = re.compile(
    r"(?:局|委|委员会|办|办公室|中心|站|所|院|队|会|处|厅|部|署|馆|社|团|公司|集团|台|校|学校|医院|园区|管委会|管理委员会)$"
)


def agency_kind(agency: str | None, title: str | None, text: str) -> AgencyKind | None:
    """county_government / government_office / department / township / summary / other."""
    if not agency:
        return None
    if (title and "汇总" in title) or _SUMMARY_BODY.search(text[:8000]):
        return "summary"
    a = re.sub(r"[（(][^）)]*[）)]", "", agency)
    if _GOV_OFFICE.search(a):
        return "government_office"
    if _TOWNSHIP.search(a):
        return "township"
    if _COUNTY_GOV.search(a):
        return "county_government"
    if _DEPARTMENT.search(a):
        return "department"
    return "other"


def _agency_from_body(text: str) -> str | None:
    """'现公布<单位>2020年…', 'YYYY年，<单位>…', '由<单位>编制' in the opening of the body."""
    head = text[:6000]
    for rx in (_BODY_PUBLISH, _BODY_RELEASE, _BODY_AGENCY, _BODY_COMPILER):
        m = rx.search(head)
        if not m:
            continue
        name = m.group(1).strip("，,、 ")
        if rx is _BODY_COMPILER:
            name = _INTERNAL_OFFICE.sub("", name)
        if name and not name.startswith(_NOT_AGENCY_START) and len(name) >= 2:
            return name
    return None


# ------------------------------------------------------------------------------------------------
# Title choice

_TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|——| - | — |-{2,})\s*")
_ORG_TAIL = re.compile(r"(?:政府|机关|局|委|办|中心|镇|乡|街道|县|区|市|室|院|所|站|会|处|厅|场)$")
_LINE_LABEL = re.compile(r"^[\s\-•·*|]*(?:(?:信息|文件)?名[ \u3000]*称|标[ \u3000]*题)[ \u3000]*[:：|]?[ \u3000]*")


def _report_segment(text: str) -> str | None:
    """``text`` or its report-shaped segment ("Page 8 - <title>", "<title>_<site>")."""
    if title_verdict(text) is not True:
        return None
    if _TITLE_SPLIT.search(text):
        for seg in _TITLE_SPLIT.split(text):
            if seg and title_verdict(seg) is True:
                return seg.strip()
    return text.strip()


def choose_title(candidates: list[str | None], lines: list[str]) -> str | None:
    """First report-shaped title among the candidates, then among the first lines; else a decoy
    title (so the page is reported as what it is), else the first candidate.

    A title split over two lines ("城口县人民政府机关" / "2020年政府信息公开工作年度报告") is joined.
    """
    cleaned = [re.sub(r"\s+", " ", c).strip() for c in candidates if c and c.strip()]
    for c in cleaned:
        seg = _report_segment(c)
        if seg:
            return seg
    for i, raw in enumerate(lines[:60]):
        line = _LINE_LABEL.sub("", raw)
        if len(line) > 90:
            continue
        seg = _report_segment(line)
        if seg:
            if i > 0 and agency_from_title(seg) is None:
                prev = lines[i - 1]
                if len(prev) <= 30 and _ORG_TAIL.search(prev) and not re.search(r"[，,。:：|>＞/]", prev):
                    return prev + seg
            return seg
    for c in cleaned:
        if title_verdict(c) is False:
            return c
    return cleaned[0] if cleaned else None


# ------------------------------------------------------------------------------------------------
# Entry point


def extract_metadata(
    lines: list[str],
    text: str,
    url: str = "",
    *,
    meta_tags: dict[str, str] | None = None,
    candidates: list[str | None] | None = None,
    title_lines: list[str] | None = None,
) -> Metadata:
    """Metadata from the page's text lines (tables as "a | b | c"), its ``<meta>`` tags and titles.

    ``lines``: the lines where a metadata block can be (the page text). ``text``: the body's visible
    text (agency/year/汇总 evidence). ``candidates``: title candidates after ``ArticleTitle`` and the
    block's 标题/名称, in order (h1, <title>). ``title_lines``: lines to look for a title in
    (default ``lines``).
    """
    meta_tags = meta_tags or {}
    found = scan_labels(lines)
    md = Metadata()

    _, block_title = _pick(found, "title")
    title = choose_title(
        [meta_tags.get("articletitle"), block_title, *(candidates or [])],
        title_lines if title_lines is not None else lines,
    )
    md.title = _clean_value(title, 200)

    md.index_no = validate_index_no(found.get("索引号"))
    _, issuer = _pick(found, "issuer")
    md.issuer = _clean_value(issuer, 60)
    if md.issuer and re.fullmatch(r"[\d\s:：\-/.年月日]+", md.issuer):
        md.issuer = None  # a date in the issuer slot (broken layout)
    if md.issuer is None and meta_tags.get("contentsource"):
        md.issuer = _clean_value(meta_tags["contentsource"], 60)
    _, doc_no = _pick(found, "doc_no")
    md.doc_no = _clean_value(doc_no, 60)
    if md.doc_no and not re.search(r"\d|号", md.doc_no):
        md.doc_no = None
    _, category = _pick(found, "category")
    md.category = _clean_value(category, 80)
    md.column = _clean_value(meta_tags.get("columnname"), 60)

    _, written = _pick(found, "written")
    md.written = parse_date(written)
    for label in _PREFERENCE["published"]:
        d = parse_date(found.get(label))
        if d:
            md.published = d
            break
    if md.published is None:
        md.published = parse_date(meta_tags.get("pubdate") or meta_tags.get("firstpublishedtime") or meta_tags.get("maketime"))
    if md.published is None:
        md.published = parse_date(found.get("发文日期"))  # Anhui / Hunan blocks: 发文日期 is the posting date

    # Report year: title first, then the statistics period / body; never the publication date.
    md.year = year_from_title(md.title) or year_from_title(block_title) or year_from_text(text)

    agency = agency_from_title(md.title) or agency_from_title(block_title)
    if not agency and md.issuer and not re.search(r"本网|本站|网站|网$|政府网|门户", md.issuer):
        agency = md.issuer
        # The 发布机构 is often the portal's host office (portals.md §3), not the reporting unit:
        # when the body or the 信息来源 names another unit that contains the host's region, that
        # unit reported (e.g. 发布机构 某县人民政府办公室, body "2022年，某县某镇人民政府…").
        if _GOV_OFFICE.search(agency):
            named = _clean_value(found.get("信息来源"), 60) or _agency_from_body(text)
            region = _GOV_OFFICE.sub("", agency).removesuffix("人民")
            if (named and region and named.startswith(region) and not agency.startswith(named)
                    and not _GOV_OFFICE.search(named)):
                agency = named
    if not agency:
        agency = _agency_from_body(text)
    md.agency = agency
    md.agency_kind = agency_kind(agency, md.title, text)
    return md
