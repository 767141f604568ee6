"""HTML pages (and plain text): decode, classify, metadata, tables, links -> ParseResult.

One lxml parse per page. The tree is walked once (iteratively, so 10,000-deep junk cannot blow
the stack) into lines of visible text where table cells are joined by " | " - the same shape as
the text renderings of the samples, so the metadata scanner, the classifier, the section splitter
and the text-table fallback all read one representation. Tables go to the TABLES code as grids.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.parsing.classify import classify_content
from crawler.parsing.decoding import decode_html
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.metadata import extract_metadata
from crawler.parsing.result import Decoded, Link, Metadata, ParseResult

log = logging.getLogger(__name__)

_DROP_TAGS = ("script", "style", "noscript", "template", "object", "embed", "svg", "select", "button", "textarea")
_BLOCK = frozenset(
    ["p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "table", "tbody", "thead", "tfoot", "caption", "form", "blockquote", "pre", "hr", "address", "center", "title", "main", "figure", "figcaption", "fieldset", "legend", "option"]
)
_CELL = frozenset(("td", "th"))
_CONTAINER_IDS = ("zoom", "Zoom", "ivs_content", "webeditorview", "UCAP-CONTENT", "ucap-content", "zoomcon", "content")
_CONTAINER_CLASSES = (
    "TRS_Editor",
    "trs_editor_view",
    "Custom_UnionStyle",
    "xxgk_content",
    "article-content",
    "article_content",
    "zwxl-article",
)
_ZJEG = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_ATTACH_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|rtf|ofd|zip|rar|et)$", re.I)
_ATTACH_QUERY = re.compile(r"(?:filename|file|fileName|name|path)=[^&]*\.(pdf|docx?|wps|xlsx?|rtf|ofd|zip)\b", re.I)
_IMG_SKIP = re.compile(r"logo|icon|ico_|banner|share|print|close|dot\.|arrow|btn|button|qrcode|ewm|erweima|weixin|wx\.|loading|blank|spacer|gov_?jc|jiucuo|conac|police|beian|wza|wzjc|bg\.", re.I)


# ------------------------------------------------------------------------------------------------
# Tree → lines


def _parse_tree(text: str) -> lxml.html.HtmlElement | None:
    text = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        try:
            return lxml.html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            return None


def _clean_tree(root: lxml.html.HtmlElement) -> None:
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)


def _hidden(el: etree._Element) -> bool:
    style = el.get("style")
    if style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
        return True
    return el.get("hidden") is not None


_MARK_IN, _MARK_OUT = "\x01", "\x02"


def element_lines(el: etree._Element, mark: etree._Element | None = None) -> list[str]:
    """Visible text of ``el`` as lines; table rows become "a | b | c" lines.

    With ``mark``, the lines of that descendant are bracketed by lone "\\x01" / "\\x02" lines so a
    caller gets the page text and the container text from one walk (see :func:`split_marked`).
    """
    parts: list[str] = []
    add = parts.append
    skip_depth = 0
    for event, node in etree.iterwalk(el, events=("start", "end")):
        tag = node.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if skip_depth or _hidden(node):
                skip_depth += 1
                continue
            if node is mark:
                add(f"\n{_MARK_IN}\n")
            if tag in _BLOCK or tag == "tr":
                add("\n")
            if tag == "br":
                add("\n")
            if node.text:
                add(node.text)
        else:
            if skip_depth:
                skip_depth -= 1
                if skip_depth:
                    continue
                if node.tail and node is not el:
                    add(node.tail)
                continue
            if tag in _CELL:
                add(" | ")
            elif tag in _BLOCK or tag == "tr":
                add("\n")
            if node is mark:
                add(f"\n{_MARK_OUT}\n")
            if node.tail and node is not el:
                add(node.tail)
    raw = "".join(parts)
    lines = []
    for line in raw.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        if line:
            lines.append(line)
    return lines


def split_marked(lines: list[str]) -> tuple[list[str], list[str]]:
    """(page lines without markers, container lines) from :func:`element_lines` with ``mark``."""
    try:
        i = lines.index(_MARK_IN)
        j = lines.index(_MARK_OUT, i)
    except ValueError:
        page = [ln for ln in lines if ln not in (_MARK_IN, _MARK_OUT)]
        return page, page
    return lines[:i] + lines[i + 1 : j] + lines[j + 1 :], lines[i + 1 : j]


def find_container(root: lxml.html.HtmlElement) -> etree._Element:
    """The body container of portals.md §2 rule 5, else <body>."""
    by_id: dict[str, etree._Element] = {}
    by_class: dict[str, etree._Element] = {}
    for node in root.iter("div", "td", "section", "article", "span", "font"):
        nid = node.get("id")
        if nid and nid in _CONTAINER_IDS and nid not in by_id:
            by_id[nid] = node
        cls = node.get("class")
        if cls:
            for c in cls.split():
                if c in _CONTAINER_CLASSES and c not in by_class:
                    by_class[c] = node
    candidates = [by_id[i] for i in _CONTAINER_IDS if i in by_id] + [by_class[c] for c in _CONTAINER_CLASSES if c in by_class]
    best = None
    for cand in candidates:
        size = len(cand.text_content())
        if size >= 200:
            return cand
        if best is None or size > len(best.text_content()):
            best = cand
    if best is not None and len(best.text_content()) >= 50:
        return best
    body = root.find(".//body")
    return body if body is not None else root


# ------------------------------------------------------------------------------------------------
# Title


def _meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = m.get("content")
        if name and content and name not in out:
            out[name] = content.strip()
    return out


# ------------------------------------------------------------------------------------------------
# Links


def _is_attachment(href: str) -> bool:
    parts = urlsplit(href)
    if _ATTACH_EXT.search(parts.path):
        return True
    if "downfile.jsp" in parts.path.lower() or ("download" in parts.path.lower() and parts.query):
        return True
    return bool(_ATTACH_QUERY.search(parts.query))


def collect_links(
    root: lxml.html.HtmlElement, container: etree._Element, base: str
) -> tuple[list[Link], list[Link]]:
    """Attachment links (container first, then page-wide links labelled 附件/报告) and content images."""
    attachments: list[Link] = []
    seen: set[str] = set()

    def add(a: etree._Element) -> None:
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            return
        url = urljoin(base, href) if base else href
        if url in seen or not _is_attachment(href):
            return
        seen.add(url)
        text = _SPACES.sub(" ", a.text_content() or "").strip()
        attachments.append(Link(url=url, text=text[:200]))

    for a in container.iter("a"):
        add(a)
    if container is not root:
        for a in root.iter("a"):
            label = a.text_content() or ""
            if "附件" in label or "报告" in label or "年报" in label or "下载" in label:
                add(a)

    images: list[Link] = []
    seen_img: set[str] = set()
    for img in container.iter("img"):
        src = (img.get("src") or img.get("data-src") or img.get("original") or "").strip()
        if not src or src.startswith("data:") or _IMG_SKIP.search(src):
            continue
        if _tiny(img):
            continue
        url = urljoin(base, src) if base else src
        if url in seen_img:
            continue
        seen_img.add(url)
        images.append(Link(url=url, text=(img.get("alt") or img.get("title") or "").strip()[:200]))
    return attachments, images


def _tiny(img: etree._Element) -> bool:
    for attr in ("width", "height"):
        v = (img.get(attr) or "").strip().rstrip("px")
        if v.isdigit() and int(v) < 60:
            return True
    return False


# ------------------------------------------------------------------------------------------------
# Orchestration


def _build(
    *,
    text: str,
    grids: list,
    metadata: Metadata,
    source: str,
) -> ParseResult:
    from crawler.parsing.report import build_report

    try:
        return build_report(text=text, grids=grids, metadata=metadata, source=source)  # type: ignore[arg-type]
    except NotImplementedError:  # the tables step has not landed: keep page-level results
        return ParseResult(status="unparsed", message="unparsed: table mapper not available", metadata=metadata)


def _grids(container: etree._Element, limits: ParseLimits) -> tuple[list, str]:
    try:
        from crawler.parsing.grid import grids_from_html  # type: ignore[attr-defined]
    except ImportError:
        return [], ""
    try:
        return list(grids_from_html(container, max_nesting=limits.max_nesting, max_cells=limits.max_table_cells)), ""
    except NotImplementedError:
        return [], ""
    except RecursionError:
        return [], "tables too deeply nested; ignored"


def _finish(
    result: ParseResult,
    *,
    metadata: Metadata,
    decoded: Decoded,
    source: str,
    attachments: list[Link],
    images: list[Link],
) -> ParseResult:
    # build_report may fill fields it learnt (e.g. the year from a table caption); ours win otherwise.
    md = result.metadata
    for name in ("title", "index_no", "issuer", "doc_no", "written", "published", "category", "column", "agency", "agency_kind", "year"):
        if getattr(metadata, name) is None and getattr(md, name, None) is not None:
            setattr(metadata, name, getattr(md, name))
    result.metadata = metadata
    result.source = source  # type: ignore[assignment]
    result.encoding = decoded.encoding
    result.encoding_declared = decoded.declared
    result.encoding_rule = decoded.rule
    result.attachments = attachments
    result.images = images
    return result


def _narrative_chars(lines: list[str], title: str | None) -> int:
    return sum(len(line) for line in lines if line != title and "|" not in line)


def parse_html(payload: bytes, url: str, headers: Mapping[str, str], limits: ParseLimits) -> ParseResult:
    decoded = decode_html(payload, headers)
    text = decoded.text
    root = _parse_tree(text)
    if root is None:
        return ParseResult(status="error", message="empty or unparseable HTML", encoding=decoded.encoding,
                           encoding_declared=decoded.declared, encoding_rule=decoded.rule)
    meta = _meta_tags(root)
    _clean_tree(root)

    container: etree._Element | None = None
    m = _ZJEG.search(text) if "ZJEG_RSS" in text else None
    if m:
        frag = _parse_tree(m.group(1))
        if frag is not None:
            _clean_tree(frag)
            container = frag
    if container is None:
        container = find_container(root)

    body = root.find(".//body")
    walk_root = body if body is not None else root
    if container is walk_root or container.getroottree().getroot() is not root:
        page_lines = element_lines(walk_root)
        body_lines = page_lines if container is walk_root else element_lines(container)
    else:
        page_lines, body_lines = split_marked(element_lines(walk_root, mark=container))
    body_text = "\n".join(body_lines)

    title_el = root.find(".//title")
    h1 = next((h.text_content() for h in root.iter("h1") if h.text_content().strip()), None)
    candidates = [h1, title_el.text_content() if title_el is not None else None]
    title_lines = page_lines if body_lines is page_lines else body_lines[:20] + page_lines[:80]
    metadata = extract_metadata(page_lines, body_text, url, meta_tags=meta, candidates=candidates, title_lines=title_lines)

    attachments, images = collect_links(root, container, url)
    is_report, reason = classify_content(metadata.title, body_text, page_lines[:40])
    if not is_report:
        res = ParseResult(status="not_report", message=reason)
        return _finish(res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images)

    grids, grid_note = _grids(container, limits)
    has_table = next(container.iter("table"), None) is not None
    if not grids and not has_table and images and not attachments and _narrative_chars(body_lines, metadata.title) < 300:
        res = ParseResult(status="image_only", message=f"report published as {len(images)} image(s) without text tables")
        return _finish(res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images)

    res = _build(text=body_text, grids=grids, metadata=metadata, source="html")
    if res.status == "no_tables" and images and not attachments and _narrative_chars(body_lines, metadata.title) < 1500:
        res.status = "image_only"
        res.message = f"report tables appear to be images ({len(images)} image(s))"
    elif res.status == "no_tables" and attachments and not res.message:
        res.message = f"no inline tables; {len(attachments)} attachment(s) may hold the report"
    if grid_note:
        res.message = f"{res.message}; {grid_note}" if res.message else grid_note
    return _finish(res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images)


def parse_plain_text(payload: bytes, url: str, headers: Mapping[str, str], limits: ParseLimits) -> ParseResult:
    """A .txt payload (or a text rendering): same steps without the tree."""
    decoded = decode_html(payload, headers)
    text = _CONTROL.sub("", decoded.text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", ln).strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ParseResult(status="error", message="empty text", source="text", encoding=decoded.encoding,
                           encoding_declared=decoded.declared, encoding_rule=decoded.rule)
    body_text = "\n".join(lines)
    metadata = extract_metadata(lines, body_text, url)
    is_report, reason = classify_content(metadata.title, body_text, lines[:40])
    if not is_report:
        res = ParseResult(status="not_report", message=reason)
    else:
        res = _build(text=body_text, grids=[], metadata=metadata, source="text")
    return _finish(res, metadata=metadata, decoded=decoded, source="text", attachments=[], images=[])
