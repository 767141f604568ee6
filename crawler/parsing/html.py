"""HTML pages (and plain text): decode, classify, metadata, tables, links -> ParseResult.

One lxml parse per page. The tree is walked once (iteratively, so 10,000-deep junk cannot blow
the stack) into lines of visible text where table cells are joined by " | " - the same shape as
the text renderings of the samples, so the metadata scanner, the classifier, the section splitter
and the text-table fallback all read one representation. Tables go to the TABLES code as grids.
"""

from __future__ import annotations

import copy
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

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "object",
    "embed",
    "svg",
    "select",
    "button",
    "textarea",
)
_BLOCK_TAGS = (
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article",
    "header", "footer", "nav", "aside", "table", "tbody", "thead", "tfoot", "tr", "caption", "form", "blockquote",
    "pre", "hr", "address", "center", "title", "main", "figure", "figcaption", "fieldset", "legend", "option",
)  # fmt: skip
_CONTAINER_IDS = (
    "zoom",
    "Zoom",
    "ivs_content",
    "webeditorview",
    "UCAP-CONTENT",
    "ucap-content",
    "zoomcon",
    "content",
)
_CONTAINER_CLASSES = (
    "TRS_Editor",
    "trs_editor_view",
    "Custom_UnionStyle",
    "xxgk_content",
    "article-content",
    "article_content",
    "zwxl-article",
)
_ZJEG = re.compile(
    r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CLOSE_TITLE = re.compile(r"</title", re.I)
_OPEN_TITLE = re.compile(r"(<title[^>]*>)([^<]*)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_ATTACH_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|rtf|ofd|zip|rar|et)$", re.I)
_ATTACH_QUERY = re.compile(
    r"(?:filename|file|fileName|name|path)=[^&]*\.(pdf|docx?|wps|xlsx?|rtf|ofd|zip)\b", re.I
)
_IMG_SKIP = re.compile(
    r"logo|icon|ico_|banner|share|print|close|dot\.|arrow|btn|button|qrcode|ewm|erweima|weixin|wx\.|loading|blank|spacer|gov_?jc|jiucuo|conac|police|beian|wza|wzjc|bg\.",
    re.I,
)


# ------------------------------------------------------------------------------------------------
# Tree → lines


_PARSER = etree.HTMLParser(remove_blank_text=False, remove_comments=False, default_doctype=False)


def _text_of(el: etree._Element) -> str:
    return "".join(el.itertext())


def _parse_tree(text: str) -> etree._Element | None:
    if text.lstrip()[:5].lower() == "<?xml":
        text = _XML_DECL.sub("", text, count=1)  # lxml refuses str input with an encoding declaration
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if not _CLOSE_TITLE.search(text, 0, 200_000):  # an unclosed <title> would swallow the page as RCDATA
        text = _OPEN_TITLE.sub(r"\1\2</title>", text, count=1)
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, _PARSER)  # plain etree elements: no per-node class lookup
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None
    return root


def _clean_tree(root: etree._Element) -> None:
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MARK_IN, _MARK_OUT = "\ue000", "\ue001"  # private-use chars: lxml refuses control characters
_MARK_ATTR = "data-nianbao-mark"
# Word pages put a style on every cell: one regex over all style values (joined by NUL, which
# \s never matches) decides whether any element can be hidden before elements are visited.
_STYLED = etree.XPath(".//*[@style or @hidden]")
_STYLES = etree.XPath(".//@style", smart_strings=False)
_ANY_HIDDEN_ATTR = etree.XPath("boolean(.//*[@hidden])")


def _drop_keep_tail(node: etree._Element) -> None:
    """Remove ``node`` but keep its tail text in place (the text after it belongs to the parent)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    if tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def _lines_of(raw: str) -> list[str]:
    # One substitution over the whole text, not one per line (_SPACES never matches "\n"); a line
    # that strips to nothing is exactly an empty or all-whitespace line.
    return [s for line in _SPACES.sub(" ", raw).split("\n") if (s := line.strip())]


# Temporary tag names for the XSLT walk. The HTML parser lower-cases every tag name, so these
# upper-case names cannot occur in a parsed page.
_ROOT_TAG = "NIANBAO-ROOT"
_MARK_TAGS = {"block": "NIANBAO-MARK-BLOCK", "cell": "NIANBAO-MARK-CELL", "other": "NIANBAO-MARK"}


def _text_stylesheet() -> etree.XSLT:
    """The separators of :func:`_element_lines_copy` as an XSLT text transform.

    libxslt walks the tree and writes the text in C, without the deep copy and without setting
    text/tail on every block element from Python. Block elements get a line break before and after,
    table cells " | " after; the marked element gets lone U+E000 / U+E001 lines around it. Every
    template matches by element name only (a predicate such as ``*[@attr]`` would be evaluated on
    every element, which costs more than the whole walk), hence the temporary tag names. The root
    is written without anything after it, like ``with_tail=False``.
    """
    nl, sep = "<xsl:text>&#10;</xsl:text>", "<xsl:text> | </xsl:text>"
    mark_in, mark_out = "<xsl:text>&#10;&#xE000;&#10;</xsl:text>", "<xsl:text>&#10;&#xE001;&#10;</xsl:text>"
    blocks = " | ".join(_BLOCK_TAGS)
    xsl = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="utf-8"/>
<xsl:template match="{blocks}">{nl}<xsl:apply-templates/>{nl}</xsl:template>
<xsl:template match="td | th"><xsl:apply-templates/>{sep}</xsl:template>
<xsl:template match="{_ROOT_TAG}"><xsl:apply-templates/></xsl:template>
<xsl:template match="{_MARK_TAGS["block"]}">{mark_in}{nl}<xsl:apply-templates/>{mark_out}{nl}</xsl:template>
<xsl:template match="{_MARK_TAGS["cell"]}">{mark_in}<xsl:apply-templates/>{mark_out}{sep}</xsl:template>
<xsl:template match="{_MARK_TAGS["other"]}">{mark_in}<xsl:apply-templates/>{mark_out}</xsl:template>
</xsl:stylesheet>"""
    return etree.XSLT(etree.XML(xsl))


_TEXT_XSLT = _text_stylesheet()
_BLOCK_TAG_SET = frozenset(_BLOCK_TAGS)
# A hidden attribute, or a marker attribute already in the page: the copy walk handles those.
_HIDDEN_OR_MARKED = etree.XPath(
    f"boolean(descendant::*/@hidden | descendant-or-self::*/@{_MARK_ATTR})", smart_strings=False
)
_DESC_STYLES = etree.XPath("descendant::*/@style", smart_strings=False)


# Characters other than ASCII letters that re.I equates with a letter of "display"/"visibility"/
# "none"/"hidden": İ and ı with i, ſ with s (tests/test_parse_html_lines.py checks every code point).
# Mapped to those letters and lower-cased, style text matches the plain pattern exactly where the
# original matched _HIDDEN_STYLE; a case-insensitive scan of large Word style text is much slower.
_RE_I_FOLDS = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"))
_HIDDEN_STYLE_LOW = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


def _fold_for_hidden(text: str) -> str:
    """``text`` folded so that _HIDDEN_STYLE_LOW on it decides exactly like _HIDDEN_STYLE on ``text``."""
    if not text.isascii():
        for char, letter in _RE_I_FOLDS:  # str.replace, not str.translate: a dict lookup per character
            if char in text:
                text = text.replace(char, letter)
    return text.lower()


def _styles_may_hide(styles: list[str]) -> bool:
    """_HIDDEN_STYLE matches one of the style values."""
    if not styles:
        return False
    low = _fold_for_hidden("\x00".join(styles))  # \s never matches NUL: no match spans two values
    if "display" not in low and "visibility" not in low:
        return False  # every match contains one of the two words
    return _HIDDEN_STYLE_LOW.search(low) is not None


def _xslt_lines(el: etree._Element, mark: etree._Element | None) -> list[str] | None:
    """:func:`element_lines` by the XSLT walk; None when the page needs the copy walk."""
    if _HIDDEN_OR_MARKED(el) or _styles_may_hide(_DESC_STYLES(el)):
        return None
    if mark is el or (mark is not None and not isinstance(mark.tag, str)):
        return None
    root_tag, mark_tag = el.tag, mark.tag if mark is not None else None
    if not isinstance(root_tag, str):
        return None
    el.tag = _ROOT_TAG
    if mark is not None:
        kind = "block" if mark_tag in _BLOCK_TAG_SET else "cell" if mark_tag in ("td", "th") else "other"
        mark.tag = _MARK_TAGS[kind]
    try:
        return _lines_of(str(_TEXT_XSLT(el)))
    except etree.XSLTError:
        return None
    finally:
        el.tag = root_tag
        if mark is not None:
            mark.tag = mark_tag


def element_lines(el: etree._Element, mark: etree._Element | None = None) -> list[str]:
    """Visible text of ``el`` as lines; table rows become "a | b | c" lines.

    The common case (nothing hidden) is one XSLT text transform over the caller's tree, which is
    left as it was. Pages that hide elements or that libxslt refuses take
    :func:`_element_lines_copy`, which gives the same lines. With ``mark``, that descendant's lines
    are bracketed by lone U+E000 / U+E001 lines (see :func:`split_marked`).
    """
    lines = _xslt_lines(el, mark)
    return lines if lines is not None else _element_lines_copy(el, mark)


def _element_lines_copy(el: etree._Element, mark: etree._Element | None = None) -> list[str]:
    """:func:`element_lines` on a deep copy: hidden elements are removed, separators are written
    into text/tail of block and cell elements, then lxml serialises the text in C."""
    if mark is not None:
        mark.set(_MARK_ATTR, "1")
    try:
        work = copy.deepcopy(el)
    finally:
        if mark is not None:
            del mark.attrib[_MARK_ATTR]
    if _ANY_HIDDEN_ATTR(work) or _HIDDEN_STYLE.search("\x00".join(_STYLES(work))):
        for node in _STYLED(work):
            if node.get("hidden") is not None or _HIDDEN_STYLE.search(node.get("style") or ""):
                _drop_keep_tail(node)
    for node in work.iter(*_BLOCK_TAGS):
        node.text = "\n" + node.text if node.text else "\n"
        node.tail = "\n" + node.tail if node.tail else "\n"
    for node in work.iter("td", "th"):
        node.tail = " | " + node.tail if node.tail else " | "
    if mark is not None:
        for node in work.iter():
            if node.get(_MARK_ATTR) is not None:
                node.text = f"\n{_MARK_IN}\n" + (node.text or "")
                node.tail = f"\n{_MARK_OUT}\n" + (node.tail or "")
                break
    return _lines_of(etree.tostring(work, method="text", encoding="unicode", with_tail=False))


def split_marked(lines: list[str]) -> tuple[list[str], list[str]]:
    """(page lines without markers, container lines) from :func:`element_lines` with ``mark``."""
    try:
        i = lines.index(_MARK_IN)
        j = lines.index(_MARK_OUT, i)
    except ValueError:
        page = [ln for ln in lines if ln not in (_MARK_IN, _MARK_OUT)]
        return page, page
    return lines[:i] + lines[i + 1 : j] + lines[j + 1 :], lines[i + 1 : j]


# One XPath pass yields every id (anywhere in the document, as before) and the class of every
# div/td/section/article under ``root``, as attribute values that know their element: a Python
# loop over every cell of a Word table only to read its class costs more.
_ID_AND_CLASS_ATTRS = etree.XPath(
    "//@id | descendant-or-self::div/@class | descendant-or-self::td/@class"
    " | descendant-or-self::section/@class | descendant-or-self::article/@class"
)
_CONTAINER_CLASS_SET = frozenset(_CONTAINER_CLASSES)


def _container_candidates(root: etree._Element) -> list[etree._Element]:
    """Elements with a container id (document order), then elements with a container class."""
    by_id: list[etree._Element] = []
    by_class: list[etree._Element] = []
    for value in _ID_AND_CLASS_ATTRS(root):
        if value.attrname == "id":
            if value in _CONTAINER_IDS:
                by_id.append(value.getparent())
        elif not _CONTAINER_CLASS_SET.isdisjoint(value.split()):
            by_class.append(value.getparent())
    return by_id + by_class


def _container_rank(node: etree._Element) -> int:
    nid = node.get("id")
    if nid in _CONTAINER_IDS:
        return _CONTAINER_IDS.index(nid)
    classes = (node.get("class") or "").split()
    return len(_CONTAINER_IDS) + min(
        (_CONTAINER_CLASSES.index(c) for c in classes if c in _CONTAINER_CLASSES), default=99
    )


def _text_len(el: etree._Element, enough: int) -> int:
    """Length of ``el``'s text, counting only until ``enough`` (containers can be huge)."""
    n = 0
    for t in el.itertext():
        n += len(t.strip())
        if n >= enough:
            break
    return n


def find_container(root: etree._Element) -> etree._Element:
    """The body container of portals.md §2 rule 5 (first in priority order with real text), else <body>."""
    candidates = sorted(
        _container_candidates(root), key=_container_rank
    )  # stable: document order within a rank
    best, best_size = None, -1
    for cand in candidates:
        size = _text_len(cand, 200)
        if size >= 200:
            return cand
        if size > best_size:
            best, best_size = cand, size
    if best is not None and (best_size >= 20 or next(best.iter("table", "img", "a"), None) is not None):
        return best  # a short page: few words, or a report made of images/links
    body = root.find(".//body")
    return body if body is not None else root


_COUNT_LINKS = etree.XPath("count(.//a)")


def article_area(container: etree._Element, top: etree._Element) -> etree._Element:
    """The container's nearest ancestors that still look like "the article" (not the whole page).

    The metadata block, the title and the byline sit next to the body container inside an article
    wrapper; menus and footers (hundreds of links) do not need to be turned into text. Climbing
    stops at the first ancestor that adds more than a few dozen links (counted in C).
    """
    if container is top:
        return top
    area = container
    links = _COUNT_LINKS(container)
    for _ in range(4):
        parent = area.getparent()
        if parent is None:
            break
        parent_links = _COUNT_LINKS(parent)
        if parent_links > links + 40:
            break
        area, links = parent, parent_links
        if parent is top:
            break
    return area


# ------------------------------------------------------------------------------------------------
# Title


def _meta_tags(root: etree._Element) -> dict[str, str]:
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


_HREF_XPATH = etree.XPath(".//a[@href]")  # relative: "//" would search the whole document
_ATTACH_HINT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|rtf|ofd|zip|rar|et)\b|downfile|download", re.I)


def collect_links(
    root: etree._Element, container: etree._Element, base: str
) -> tuple[list[Link], list[Link]]:
    """Attachment links (container first, then links labelled 附件/下载 elsewhere in ``root``) and
    content images. ``root`` is the article area, not the whole page: sidebars link other reports."""
    attachments: list[Link] = []
    seen: set[str] = set()

    def add(a: etree._Element) -> None:
        href = (a.get("href") or "").strip()
        if not href or not _ATTACH_HINT.search(href) or href.startswith(("javascript:", "mailto:", "#")):
            return
        if not _is_attachment(href):
            return
        url = urljoin(base, href) if base else href
        if url in seen:
            return
        seen.add(url)
        text = _SPACES.sub(" ", _text_of(a) or "").strip()
        attachments.append(Link(url=url, text=text[:200]))

    for a in container.iter("a"):
        add(a)
    if container is not root:
        for a in _HREF_XPATH(root):
            if not _ATTACH_HINT.search(a.get("href")):
                continue
            label = _text_of(a)
            if "附件" in label or "下载" in label:  # not "报告": sidebars list other years' reports
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
        return ParseResult(
            status="unparsed", message="unparsed: table mapper not available", metadata=metadata
        )


def _grids(container: etree._Element, limits: ParseLimits) -> tuple[list, str]:
    try:
        from crawler.parsing.grid import grids_from_html  # type: ignore[attr-defined]
    except ImportError:
        return [], ""
    try:
        return list(
            grids_from_html(container, max_nesting=limits.max_nesting, max_cells=limits.max_table_cells)
        ), ""
    except NotImplementedError:
        return [], ""
    except RecursionError:
        return [], "tables too deeply nested; ignored"


_DEFAULT_MESSAGES = {
    "no_tables": "a report without recognisable statistical tables (tables 二/三/四 not found)",
    "partial": "a report with some tables or cells that could not be mapped",
    "unparsed": "a report that could not be parsed",
}


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
    for name in (
        "title",
        "index_no",
        "issuer",
        "doc_no",
        "written",
        "published",
        "category",
        "column",
        "agency",
        "agency_kind",
        "year",
    ):
        if getattr(metadata, name) is None and getattr(md, name, None) is not None:
            setattr(metadata, name, getattr(md, name))
    result.metadata = metadata
    if result.status != "ok" and not result.message:
        result.message = _DEFAULT_MESSAGES.get(result.status, result.status)
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
        return ParseResult(
            status="error",
            message="empty or unparseable HTML",
            encoding=decoded.encoding,
            encoding_declared=decoded.declared,
            encoding_rule=decoded.rule,
        )
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
    if container.getroottree().getroot() is root:
        walk_root = article_area(container, walk_root)
    if container is walk_root or container.getroottree().getroot() is not root:
        page_lines = element_lines(walk_root)
        body_lines = page_lines if container is walk_root else element_lines(container)
    else:
        page_lines, body_lines = split_marked(element_lines(walk_root, mark=container))
    body_text = "\n".join(body_lines)

    title_el = root.find(".//title")
    h1 = next((_text_of(h) for h in root.iter("h1") if _text_of(h).strip()), None)
    candidates = [h1, _text_of(title_el) if title_el is not None else None]
    title_lines = page_lines if body_lines is page_lines else body_lines[:20] + page_lines[:80]
    metadata = extract_metadata(
        page_lines, body_text, url, meta_tags=meta, candidates=candidates, title_lines=title_lines
    )

    attachments, images = collect_links(walk_root, container, url)
    is_report, reason = classify_content(metadata.title, body_text, page_lines)
    if not is_report:
        res = ParseResult(status="not_report", message=reason)
        return _finish(
            res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images
        )

    grids, grid_note = _grids(container, limits)
    has_table = next(container.iter("table"), None) is not None
    if (
        not grids
        and not has_table
        and images
        and not attachments
        and _narrative_chars(body_lines, metadata.title) < 300
    ):
        res = ParseResult(
            status="image_only", message=f"report published as {len(images)} image(s) without text tables"
        )
        return _finish(
            res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images
        )

    res = _build(text=body_text, grids=grids, metadata=metadata, source="html")
    if (
        res.status == "no_tables"
        and images
        and not attachments
        and _narrative_chars(body_lines, metadata.title) < 1500
    ):
        res.status = "image_only"
        res.message = f"report tables appear to be images ({len(images)} image(s))"
    elif res.status == "no_tables" and attachments:
        hint = f"{len(attachments)} attachment(s) may hold the report"
        res.message = f"{res.message}; {hint}" if res.message else f"no inline tables; {hint}"
    if grid_note:
        res.message = f"{res.message}; {grid_note}" if res.message else grid_note
    return _finish(
        res, metadata=metadata, decoded=decoded, source="html", attachments=attachments, images=images
    )


def parse_plain_text(
    payload: bytes, url: str, headers: Mapping[str, str], limits: ParseLimits
) -> ParseResult:
    """A .txt payload (or a text rendering): same steps without the tree."""
    decoded = decode_html(payload, headers)
    text = _CONTROL.sub("", decoded.text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", ln).strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ParseResult(
            status="error",
            message="empty text",
            source="text",
            encoding=decoded.encoding,
            encoding_declared=decoded.declared,
            encoding_rule=decoded.rule,
        )
    body_text = "\n".join(lines)
    metadata = extract_metadata(lines, body_text, url)
    is_report, reason = classify_content(metadata.title, body_text, lines)
    if not is_report:
        res = ParseResult(status="not_report", message=reason)
    else:
        res = _build(text=body_text, grids=[], metadata=metadata, source="text")
    return _finish(res, metadata=metadata, decoded=decoded, source="text", attachments=[], images=[])
