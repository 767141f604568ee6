"""Is this a 政府信息公开工作年度报告, a decoy, or a challenge page?

Two questions, asked at different times:

* :func:`challenge_reason` runs on every response before anything else (dispatch), so it must be
  cheap for a normal 200 page: it only looks inside small bodies.
* :func:`title_verdict` / :func:`report_evidence` decide whether decoded content is a report. The
  rule from portals.md §7 is *positive evidence*: a report title, or the report's section structure
  and table-三 labels in the body. A blanked challenge page or a news item never gets accepted by
  default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

# Bodies above this size are real pages, not challenge shells (瑞数 / 加速乐 / 创宇盾 shells are 1-10 KB).
_SHELL_MAX = 24 * 1024
_CHALLENGE_MARKERS: tuple[tuple[bytes, str], ...] = tuple(
    (marker.encode(enc), label)
    for marker, label in (
        ("$_ts", "瑞数 $_ts JS challenge"),
        ("__jsluid", "加速乐 __jsluid cookie challenge"),
        ("Just a moment", "'Just a moment' JS challenge"),
        ("访问被拦截", "WAF block page (访问被拦截)"),
        ("请稍候", "JS challenge shell (请稍候)"),
        ("安全验证", "security-verification shell (安全验证)"),
        ("访问异常", "block page (访问异常)"),
        ("请开启JavaScript", "JS challenge shell (请开启JavaScript)"),
        ("滑动验证", "slider CAPTCHA (滑动验证)"),
    )
    for enc in (("utf-8", "gb18030") if not marker.isascii() else ("ascii",))
)


def challenge_reason(status: int, payload: bytes, headers: Mapping[str, str]) -> str | None:
    """A message when the response is an anti-bot challenge / block page (412 $_ts, 418, tiny shells)."""
    small = len(payload) <= _SHELL_MAX
    marker = _find_marker(payload) if small else None
    if status == 412:
        return f"blocked: HTTP 412 ({marker or '瑞数-style WAF challenge'})"
    if status == 418:
        return f"blocked: HTTP 418 ({marker or '创宇盾 WAF block page'})"
    if status == 403:
        return f"blocked: HTTP 403 forbidden{f' ({marker})' if marker else ''}"
    if status == 429:
        return "blocked: HTTP 429 too many requests"
    if status >= 500:
        return f"blocked: HTTP {status} server error{f' ({marker})' if marker else ''}"
    if status >= 400:
        return f"blocked: HTTP {status} (not content)"
    if marker and not _has_report_text(payload):
        return f"blocked: HTTP {status} with a {len(payload):,}-byte {marker}"
    cookie = (headers.get("set-cookie") or "").lower()
    if small and "__jsluid" in cookie and len(payload) < 4096 and not _has_report_text(payload):
        return f"blocked: HTTP {status} with a __jsluid cookie challenge"
    return None


def _find_marker(payload: bytes) -> str | None:
    for marker, label in _CHALLENGE_MARKERS:
        if marker in payload:
            return label
    return None


_REPORT_BYTES = tuple(s.encode(enc) for s in ("信息公开", "年度报告") for enc in ("utf-8", "gb18030"))


def _has_report_text(payload: bytes) -> bool:
    """A small page that talks about 信息公开 年度报告 is content (a short report), not a shell."""
    hits = sum(1 for b in _REPORT_BYTES if b in payload)
    return hits >= 2


# ------------------------------------------------------------------------------------------------
# Traditional-character mirrors (portals.md §8): enough of a mapping for titles and markers

_TRAD = (
    "條条項项內内開开報报處处請请複复議议訟讼總总體体況况動动務务據据結结轉转續续數数權权規规範范國国辦办關关於于門门"
    "區区縣县鎮镇鄉乡題题問问進进與与機机構构會会當当屬属發发佈布號号時时間间實实現现產产營营業业組组織织類类簡简態态"
    "環环漢汉財财經经濟济設设計计統统聯联應应對对訴诉審审維维護护糾纠網网頁页圖图單单級级訊讯構构傳传達达這这"
    "為为個个們们來来後后從从舉举辭辞響响錄录備备門门級级準准製制廢废歸归勞劳稅税證证療疗衛卫醫医藥药學学專专導导陽阳讀读說说詢询覽览點点擊击"
)
_TRAD_MAP = str.maketrans(_TRAD[0::2], _TRAD[1::2])
_TRAD_HINT = re.compile(
    "[條項開報處複議訟總體況務據結轉續數權規範國辦關門區縣鎮鄉題問進與機構會發號時間實現]"
)


def to_simplified(text: str) -> str:
    """Map the Traditional characters that matter for matching (titles, section and table labels)."""
    if not _TRAD_HINT.search(text, 0, 20_000):
        return text
    return text.translate(_TRAD_MAP)


# ------------------------------------------------------------------------------------------------
# Titles

_WS = re.compile(r"[\s\u3000\xa0]+")
_YEAR = re.compile(r"(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4}")
# The report noun at the end of the title: …(政府|政务)?信息公开(工作)?(的)?(年度)?(工作)?(年度报告|年报|报告)
_REPORT_NOUN = re.compile(
    r"(?:政府|政务)?(?:信息)?公开(?:工作)?(?:的)?(?:年度)?(?:工作)?(?:年度报告|年度工作报告|年报|工作报告|报告)$"
)
_TRAILER = re.compile(
    r"(?:[（(【\[〔][^）)】\]〕]{0,12}[）)】\]〕]|[\s,，.。:：;；!！_\-—|]+)$"
)  # （图片版）（超链版）(2) 【全文】 and trailing punctuation
_DECOY = re.compile(
    "|".join(
        (
            r"网站(?:工作)?(?:年度)?(?:报表|年报|工作年报)",  # 政府网站工作年度报表 / 政府网站工作年报
            r"政府网站",
            r"解读",
            r"图解",
            r"一图读懂",
            r"图读",
            r"报告制度",
            r"年报制度",
            r"制度$",
            r"指南",
            r"企业年报",
            r"年报公示",
            r"的通知",
            r"的函",
            r"通报",
            r"点评",
            r"评估",
            r"评议",
            r"培训",
            r"会议",
            r"召开",
            r"部署",
            r"印发",
            r"做好",
            r"开展",
            r"编制",
            r"报告格式",
            r"目录",
            r"统计表$",
        )
    )
)
_SITE_SPLIT = re.compile(r"\s*(?:[_|｜]|——| - | — |-{2,})\s*")


def _normalise_title(title: str) -> str:
    t = _WS.sub("", to_simplified(title))
    for _ in range(3):
        stripped = _TRAILER.sub("", t)
        if stripped == t:
            break
        t = stripped
    return t


@lru_cache(maxsize=8192)  # a pure function of the text; menu and list lines repeat across a site's pages
def title_verdict(title: str | None) -> bool | None:
    """True: a report title. False: a known decoy (网站年报, 解读, 制度, 指南, 通知...). None: says nothing.

    A ``<title>`` with a site-name suffix ("…年度报告_XX县人民政府") is judged segment by segment.
    """
    if not title or not title.strip():
        return None
    if re.search(r"[，,。；;！]|^(?:根据|依据|按照|现将|现予|现公布)", title.strip()):
        return None  # a sentence that mentions a report, not a title
    if re.search(r"[>＞»›]|当前位置|所在位置|您现在", title):
        return None  # a breadcrumb ending in a column name ("… > 2020年政府信息公开年报")
    segments = [title, *(_SITE_SPLIT.split(title.strip()))] if _SITE_SPLIT.search(title) else [title]
    verdict: bool | None = None
    for seg in segments:
        t = _normalise_title(seg)
        if not t:
            continue
        if _DECOY.search(t):
            if any(w in t for w in ("信息公开", "年报", "年度报告", "报表", "网站")):
                return False  # talks about the report but is not it
            continue
        if _REPORT_NOUN.search(t) and ("公开" in t) and _YEAR.search(t) and len(t) <= 80:
            verdict = True
    return verdict


def is_report_title(title: str) -> bool:
    """True for every 年报 title variant of portals.md §3; False for decoys (网站年报, 解读, 制度, 指南...)."""
    return title_verdict(title) is True


# ------------------------------------------------------------------------------------------------
# Body evidence

_BODY_MARKERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"[一1][、.．]\s*(?:总体情况|工作基本情况|概述|基本情况)",
        r"主动公开政府信息(?:的)?情况",
        r"收到和处理政府信息公开申请情况",
        r"本年新收政府信息公开申请数量",
        r"上年结转政府信息公开申请数量",
        r"结转下年度继续办理",
        r"(?:政府信息公开)?行政复议[、和及]?(?:提起)?行政诉讼(?:的)?情况",
        r"存在的?主要问题(?:及|和)改进",
        r"其他需要报告的事项",
        r"依申请公开(?:政府信息)?(?:的)?(?:办理)?情况",
        r"收费及减免",
        r"第二十条第[（(]",
        r"统计(?:期限|时限|期间|时间)",
        r"本(?:年度)?(?:报告|年报)(?:是)?(?:根据|依据|由)",
        r"政府信息公开条例",
    )
)
# The opening formula of a report: "现将我局2020年度政府信息公开情况报告如下" / "…年度报告如下".
_REPORT_INTRO = re.compile(r"现[将將].{0,40}?(?:19|20)\d{2}\s*年度?.{0,20}?政府信息公开.{0,12}?报告如下")
_DECOY_BODY = re.compile(
    r"年度报告格式》|报告格式的通知|关于印发《中华人民共和国政府信息公开工作年度报告格式"
)


def report_evidence(text: str) -> int:
    """How many distinct report-structure markers appear in ``text`` (0..13)."""
    window = to_simplified(text[:200_000])
    return sum(1 for p in _BODY_MARKERS if p.search(window))


_DATE_TAIL = re.compile(r"[\s\[\]()（）]*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?[\s\]）)]*$")


def count_report_titles(lines: list[str], limit: int = 600) -> int:
    """Distinct lines that are report titles (a trailing list date ignored): ≥ 3 means a column list."""
    seen: set[str] = set()
    for line in lines[:limit]:
        if len(line) > 100 or ("报告" not in line and "年报" not in line and "報" not in line):
            continue
        t = _DATE_TAIL.sub("", line)
        if t not in seen and title_verdict(t) is True:
            seen.add(t)
    return len(seen)


_WEAK_TITLE = re.compile(r"(?:19|20)\d{2}\s*(?:年度?)?\s*(?:年报|年度报告)")


def classify_content(title: str | None, text: str, head_lines: list[str] | None = None) -> tuple[bool, str]:
    """(is_report, reason). Positive evidence required; a decoy title overrides body evidence.

    ``head_lines`` (the page's lines) may carry a weak title such as a flipbook's "2020年报_审计局",
    which together with some report structure is enough; three or more distinct report titles in
    them make the page a list (a 年报 column page), never a report.
    """
    verdict = title_verdict(title)
    if verdict is False:
        return False, f"decoy title: {(title or '')[:80]!r} (not a 政府信息公开工作年度报告)"
    if _DECOY_BODY.search(text[:20_000]):
        return False, "the national report-format notice (国办公开办函), not a report"
    score = report_evidence(text)
    listed = count_report_titles(head_lines or [])
    if listed >= 3 and score < 3:  # a report page with a "related reports" box still has structure
        return False, f"a list of {listed} report titles (a column/list page, not a report)"
    if verdict is True:
        return True, f"report title: {(title or '')[:80]!r}"
    if score >= 4 and ("年度报告" in text[:50_000] or "年报" in text[:50_000]):
        return True, f"report structure in body ({score} markers)"
    if score >= 6:
        return True, f"report structure in body ({score} markers)"
    if score >= 1 and _REPORT_INTRO.search(to_simplified(text[:5_000])):
        return True, f"report opening formula (…报告如下) and report structure ({score} markers)"
    weak = next((ln for ln in (head_lines or [])[:40] if len(ln) <= 60 and _WEAK_TITLE.search(ln)), None)
    if weak and score >= 2 and title_verdict(weak) is not False:
        return True, f"page header {weak!r} and report structure ({score} markers)"
    shown = repr((title or "").strip()[:60]) if title else "no title"
    return False, f"no positive evidence of an annual report ({shown}; {score} structure markers)"
