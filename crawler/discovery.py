"""Finding the 年报 columns and paging through their lists: pure functions over page text.

The spider decides *whether* to follow; this module only says *what* a link or a page offers:
anchors with their text, which anchors look like the 信息公开 entry / the 年报 column / a decoy,
and the list pages hidden behind each CMS family's pager (portals.md §2):
TRS ``createPageHTML(count, idx, "index", "html")`` (zero-based ``index_N``; the container-id-first
variant; ``var countPage = N``), Hanweb ``dataproxy.jsp`` (XML records in CDATA), Guangdong gkmlpt
(JSON API keyed by ``window._CONFIG``) and plain ``?page=N`` / ``index_N`` links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from posixpath import dirname
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

# --- link text vocabulary --------------------------------------------------------------------
# The 信息公开 entry (and its 公开目录 variants) on a home page or a unit node.
ENTRY_RE = re.compile(r"信息公开|政务公开|公开目录|信息公示|政府公开")
# The 年报 column itself, or a report title; the decoys below are checked first.
NIANBAO_RE = re.compile(r"年\s*报|年度报告|工作报告")
# Website-operations reports (a different statute), explanations, guides, rules: never the column.
DECOY_RE = re.compile(r"网站.{0,6}(年度?报|报表)|工作年度报表|解读|图解|指南|制度|一图读懂|答记者问")
# Sub-columns of the 年报 column: years, unit types, unit nodes.
YEAR_RE = re.compile(r"^\s*(?:19|20)\d\d\s*(?:年度?|n)?\s*(?:年报|报告)?\s*$")
UNIT_TYPE_RE = re.compile(
    r"县政府|区政府|市政府|本级|政府办|县直|区直|市直|部门|乡镇|镇街|街道|单位|机构|委办局|县区|乡\(镇|汇总"
)
AGENCY_SUFFIX_RE = re.compile(
    r"(?:局|委|办|镇|乡|街道|办事处|中心|政府|委员会|办公室|院|所|站|队|会|部|社|厅|处|管委会|园区|场|馆|台|校|团|署|室|组"
    r"|公司|集团|医院|学校|分局|支队|大队|中队|林场|农场|监狱|协会|联合会|银行|研究院)$"
)
PAGER_TEXT_RE = re.compile(r"^\s*(?:下一页|下页|尾页|末页|上一页|上页|首页|\d{1,4}|>|>>|»|›|更多|more)\s*$", re.I)
# Calendar widgets generate endless ?date=… links (a crawler trap) — never followed as pagers.
TRAP_PARAM_RE = re.compile(r"^(?:date|day|month|year|time|cal|calendar|d|ymd|riqi)$", re.I)

ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".rtf", ".ofd", ".zip", ".et", ".txt")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
SKIP_EXT = (".css", ".js", ".ico", ".svg", ".mp4", ".mp3", ".flv", ".swf", ".exe", ".apk", ".rar", ".7z")
_WAP_RE = re.compile(r"_wap(\.s?html?)$", re.I)


@dataclass(frozen=True, slots=True)
class Anchor:
    url: str  # absolute, without fragment
    text: str  # whitespace-collapsed anchor text (or title attribute)


def normalise_url(url: str) -> str:
    """Drop the fragment and surrounding whitespace; keep the query as written."""
    url = url.strip().replace("\\", "/")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def canonical_twin(url: str) -> str:
    """TRS mobile twins ``t…_wap.html`` stand for ``t….html``: always fetch the canonical page."""
    parts = urlsplit(url)
    path = _WAP_RE.sub(r"\1", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def extract_anchors(text: str, base_url: str, selectors: list[str] | None = None) -> list[Anchor]:
    """Every followable hyperlink (``a``/``area``/``option``/``iframe``) with its text, in page order.

    ``selectors`` (CSS, or XPath when starting with ``/`` or ``(``) restrict extraction to parts of
    the page (the sources file's ``list_selectors``).
    """
    sel = Selector(text=text or "<html></html>")
    base = sel.xpath("//base/@href").get()
    base_url = urljoin(base_url, base.strip()) if base else base_url
    roots = [sel]
    if selectors:
        roots = []
        for s in selectors:
            roots.extend(sel.xpath(s) if s.startswith(("/", "(")) else sel.css(s))
    out: list[Anchor] = []
    seen: set[str] = set()
    for root in roots:
        for node in root.xpath(".//a[@href] | .//area[@href] | .//iframe[@src] | .//option[@value]"):
            href = node.attrib.get("href") or node.attrib.get("src") or node.attrib.get("value") or ""
            href = href.strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
                continue
            try:
                url = normalise_url(urljoin(base_url, href))
            except ValueError:
                continue
            if not url.startswith(("http://", "https://")):
                continue
            label = " ".join(" ".join(node.xpath(".//text()").getall()).split())
            if not label:
                label = (node.attrib.get("title") or "").strip()
            key = url + "\x00" + label
            if key in seen:
                continue
            seen.add(key)
            out.append(Anchor(url, label))
    return out


def is_decoy_text(text: str) -> bool:
    return bool(DECOY_RE.search(text))


_ENTRY_LABEL_RE = re.compile(
    r"^(?:.{0,12}?)(?:政府)?(?:信息公开|政务公开|公开目录|信息公示)(?:目录|专栏|平台|网|栏目|专区)?$"
    r"|^(?:政府)?(?:信息公开|政务公开)"
)


def is_entry_text(text: str) -> bool:
    """A 信息公开 entry label ("政府信息公开", "部门和乡镇信息公开", "政务公开专栏"), not a headline."""
    t = text.strip()
    return len(t) <= 20 and not is_decoy_text(t) and bool(_ENTRY_LABEL_RE.search(t))


def is_nianbao_text(text: str) -> bool:
    return bool(NIANBAO_RE.search(text)) and not is_decoy_text(text)


def is_column_label(text: str) -> bool:
    """A column name ("政府信息公开年报", "信息公开年度报告（旧版栏目）"), not a headline or a report title:
    outside the column only these are followed, so home-page news about a report is left alone."""
    t = text.strip()
    return len(t) <= 20 and not re.search(r"\d{4}", t)


def is_subcolumn_text(text: str) -> bool:
    """Short labels of year / unit-type / unit sub-columns inside a 年报 column."""
    t = text.strip()
    if not t or len(t) > 24 or is_decoy_text(t):
        return False
    return bool(YEAR_RE.match(t) or UNIT_TYPE_RE.search(t) or AGENCY_SUFFIX_RE.search(t))


def is_unit_node_text(text: str) -> bool:
    """A unit's own node (部门/乡镇 → 单位 → 信息公开) reached from outside the 年报 column."""
    t = text.strip()
    if not t or len(t) > 20 or is_decoy_text(t):
        return False
    return bool(UNIT_TYPE_RE.search(t) or AGENCY_SUFFIX_RE.search(t))


def is_pager_text(text: str) -> bool:
    return bool(PAGER_TEXT_RE.match(text))


def file_kind(url: str) -> str | None:
    """'attachment' / 'image' / 'skip' for file links, None for pages."""
    path = urlsplit(url).path.lower()
    if "downfile.jsp" in path or ("download" in path and "filename=" in urlsplit(url).query.lower()):
        return "attachment"
    if path.endswith(ATTACHMENT_EXT):
        return "attachment"
    if path.endswith(IMAGE_EXT):
        return "image"
    if path.endswith(SKIP_EXT):
        return "skip"
    return None


def column_root(url: str) -> str:
    """The directory a column's pages and details live under: ``/zwgk/nb/index_2.html`` -> ``/zwgk/nb/``."""
    path = urlsplit(url).path or "/"
    if not path.endswith("/"):
        path = dirname(path) + "/"
    return path


def under(url: str, root: str) -> bool:
    return urlsplit(url).path.startswith(root) and root != "/"


def query_variant_key(url: str) -> tuple[str, str, tuple[str, ...]]:
    """(host, path, sorted query-parameter names): URLs sharing it are variants of one page."""
    parts = urlsplit(url)
    names = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return parts.netloc, parts.path, names


def is_trap_url(url: str) -> bool:
    """Calendar-style query parameters (date=YYYY-MM-DD ...) that generate endless pages."""
    for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if TRAP_PARAM_RE.match(k) or re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", v):
            return True
    return False


_INDEX_N_RE = re.compile(r"^(?P<name>[^/]*?)(?:_(?P<n>\d+))?\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)


def is_sibling_page(url: str, current: str) -> bool:
    """``index_3.html`` next to ``index.html`` or ``?page=4`` on the same path: a pager sibling."""
    a, b = urlsplit(url), urlsplit(current)
    if a.netloc != b.netloc:
        return False
    if a.path == b.path:
        return a.query != b.query
    if dirname(a.path) != dirname(b.path):
        return False
    ma, mb = _INDEX_N_RE.match(a.path.rsplit("/", 1)[-1]), _INDEX_N_RE.match(b.path.rsplit("/", 1)[-1])
    return bool(ma and mb and ma["name"] == mb["name"] and (ma["n"] or mb["n"]))


# --- TRS createPageHTML ------------------------------------------------------------------------
_TRS_CALL = re.compile(
    r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*['\"]?(\d+)")


def trs_pages(text: str, url: str, cap: int = 1000) -> list[str]:
    """All list pages a TRS pager script announces (``name.ext``, ``name_1.ext`` … zero-based)."""
    m = _TRS_CALL.search(text)
    if m:
        count, name, ext = int(m[1]), m[3], m[4]
    else:
        m2 = _COUNT_PAGE.search(text)
        if not m2:
            return []
        count = int(m2[1])
        fm = _INDEX_N_RE.match(urlsplit(url).path.rsplit("/", 1)[-1] or "index.html")
        name, ext = (fm["name"], fm["ext"]) if fm else ("index", "html")
    count = min(count, cap)
    pages = [f"{name}.{ext}"] + [f"{name}_{i}.{ext}" for i in range(1, count)]
    return [normalise_url(urljoin(url, p)) for p in pages]


# --- Hanweb jpage dataproxy --------------------------------------------------------------------
_HW_UNIT = re.compile(r"jpageform_(\d+)|unitid\W{1,4}(\d+)", re.I)
_HW_COL = re.compile(r"columnid\W{1,4}(\d+)", re.I)
_HW_WEB = re.compile(r"webid\W{1,4}(\d+)", re.I)
_HW_PERPAGE = re.compile(r"perpage\W{1,4}(\d+)", re.I)
_HW_PROXY = re.compile(r"['\"]?([\w/.\-]*dataproxy\.jsp)", re.I)
_HW_COL_URL = re.compile(r"/col/col(\d+)/", re.I)
_HW_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_HW_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)


@dataclass(frozen=True, slots=True)
class HanwebList:
    proxy: str  # absolute dataproxy.jsp URL
    columnid: str
    unitid: str
    webid: str
    perpage: int

    def url(self, start: int, end: int) -> str:
        q = {
            "startrecord": start,
            "endrecord": end,
            "perpage": self.perpage,
            "col": 1,
            "appid": 1,
            "webid": self.webid,
            "path": "/",
            "columnid": self.columnid,
            "sourceContentType": 1,
            "unitid": self.unitid,
            "permissiontype": 0,
        }
        return f"{self.proxy}?{urlencode(q)}"

    def form(self) -> dict[str, str]:
        """The form fields the jpage script POSTs (the record range stays in the query string)."""
        return {
            "col": "1", "appid": "1", "webid": self.webid, "path": "/", "columnid": self.columnid,
            "sourceContentType": "1", "unitid": self.unitid, "permissiontype": "0",
        }

    def chunk(self) -> int:
        return self.perpage * 3  # what the jpage script asks for per request


def hanweb_list(text: str, url: str) -> HanwebList | None:
    """The dataproxy parameters of a Hanweb column page, when it has a jpage list."""
    if "dataproxy" not in text and "jpage" not in text.lower():
        return None
    unit = _HW_UNIT.search(text)
    if not unit:
        return None
    col = _HW_COL.search(text) or _HW_COL_URL.search(url)
    web = _HW_WEB.search(text)
    if not col:
        return None
    per = _HW_PERPAGE.search(text)
    proxy = _HW_PROXY.search(text)
    proxy_path = proxy[1] if proxy and "/" in proxy[1] else "/module/web/jpage/dataproxy.jsp"
    return HanwebList(
        proxy=normalise_url(urljoin(url, proxy_path)),
        columnid=col[1],
        unitid=unit[1] or unit[2],
        webid=web[1] if web else "1",
        perpage=max(1, min(int(per[1]), 200)) if per else 15,
    )


def hanweb_records(xml_text: str, url: str) -> tuple[int | None, list[Anchor]]:
    """(totalrecord, the links in the CDATA records) of a dataproxy.jsp answer."""
    total = _HW_TOTAL.search(xml_text)
    anchors: list[Anchor] = []
    for rec in _HW_RECORD.findall(xml_text):
        anchors.extend(extract_anchors(rec, url))
    return (int(total[1]) if total else None), anchors


# --- Guangdong gkmlpt --------------------------------------------------------------------------
_GK_CONFIG = re.compile(r"window\._CONFIG\s*=\s*(\{.*?\})\s*;?\s*(?:</script>|\n\s*window\.)", re.S)
_GK_SID = re.compile(r"['\"]?SID['\"]?\s*:\s*['\"]([^'\"]+)['\"]")
_GK_NODE = re.compile(
    r"['\"]?id['\"]?\s*:\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?name['\"]?\s*:\s*['\"]([^'\"]+)['\"]"
    r"|['\"]?name['\"]?\s*:\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]?id['\"]?\s*:\s*['\"]?(\d+)"
)


@dataclass(frozen=True, slots=True)
class GkmlptConfig:
    sid: str
    categories: list[tuple[str, str]]  # (cat id, name) of the 年报 categories


def gkmlpt_config(text: str) -> GkmlptConfig | None:
    """SID and the 年报 categories from a gkmlpt shell's ``window._CONFIG``."""
    if "_CONFIG" not in text:
        return None
    m = _GK_CONFIG.search(text)
    blob = m[1] if m else text[text.index("_CONFIG") :][:200_000]
    sid: str | None = None
    nodes: list[tuple[str, str]] = []
    try:
        cfg = json.loads(blob)
        sid = str(cfg.get("SID") or cfg.get("sid") or "") or None
        _walk_tree(cfg.get("TREE") or cfg.get("tree"), nodes)
    except (ValueError, AttributeError):
        pass
    if sid is None:
        sm = _GK_SID.search(blob)
        sid = sm[1] if sm else None
    if not nodes:
        for g in _GK_NODE.finditer(blob):
            nodes.append((g[1], g[2]) if g[1] else (g[4], g[3]))
    if sid is None:
        return None
    cats = [(i, n) for i, n in nodes if is_nianbao_text(n)]
    return GkmlptConfig(sid=sid, categories=cats)


def _walk_tree(node: object, out: list[tuple[str, str]]) -> None:
    if isinstance(node, list):
        for n in node:
            _walk_tree(n, out)
    elif isinstance(node, dict):
        if "id" in node and "name" in node:
            out.append((str(node["id"]), str(node["name"])))
        for key in ("children", "child", "nodes", "sub"):
            _walk_tree(node.get(key), out)


def gkmlpt_api_url(page_url: str, cat: str, sid: str, page: int) -> str:
    return normalise_url(urljoin(page_url, f"/gkmlpt/api/all/{cat}?page={page}&sid={sid}"))


def gkmlpt_records(text: str, url: str) -> tuple[int | None, int, list[Anchor]]:
    """(total records, records on this page, links) of a gkmlpt JSON answer."""
    try:
        data = json.loads(text)
    except ValueError:
        return None, 0, []
    items: list[dict[str, object]] = []
    total: int | None = None
    if isinstance(data, dict):
        for key in ("articles", "data", "list", "items", "records"):
            v = data.get(key)
            if isinstance(v, list):
                items = [x for x in v if isinstance(x, dict)]
                break
            if isinstance(v, dict):  # {"data": {"articles": [...], "total": n}}
                for k2 in ("articles", "list", "items"):
                    if isinstance(v.get(k2), list):
                        items = [x for x in v[k2] if isinstance(x, dict)]
                        total = _int(v.get("total") or v.get("count"))
                        break
        if total is None:
            total = _int(data.get("total") or data.get("count") or data.get("totalCount"))
    elif isinstance(data, list):
        items = [x for x in data if isinstance(x, dict)]
    anchors = []
    for it in items:
        u = it.get("url") or it.get("link") or it.get("href")
        if isinstance(u, str) and u.strip():
            anchors.append(Anchor(normalise_url(urljoin(url, u.strip())), str(it.get("title") or "")))
    return total, len(items), anchors


def _int(v: object) -> int | None:
    try:
        return int(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def with_query(url: str, **params: object) -> str:
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query, keep_blank_values=True))
    q.update({k: str(v) for k, v in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), ""))
