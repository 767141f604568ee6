"""element_lines: the XSLT text transform gives exactly the lines of the deep-copy walk it replaces."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from crawler.parsing.html import _element_lines_copy, _parse_tree, element_lines, split_marked

_TAGS = ("div", "p", "span", "b", "td", "th", "tr", "table", "br", "li", "font", "h1", "o:p", "a", "TD")
_TEXTS = ("", " ", "文字", " a  b ", "\n", "1\u3000 2", "\xa0x\xa0", "\r\nz")


def _random_html(rng: random.Random, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(0, 4)):
        parts.append(rng.choice(_TEXTS))
        if depth < 6 and rng.random() < 0.6:
            tag = rng.choice(_TAGS)
            attrs = ""
            if rng.random() < 0.1:
                attrs = ' class="TRS_Editor"'
            if rng.random() < 0.05:
                attrs += " data-x='1'"
            parts.append(f"<{tag}{attrs}>{_random_html(rng, depth + 1)}</{tag}>")
        if rng.random() < 0.1:
            parts.append("<!-- note -->")
    return "".join(parts)


def _body(html: str) -> etree._Element:
    root = _parse_tree(f"<html><body>{html}</body></html>")
    assert root is not None
    body = root.find(".//body")
    return body if body is not None else root


@pytest.mark.parametrize("seed", range(60))
def test_xslt_lines_match_copy_walk(seed: int) -> None:
    rng = random.Random(seed)
    body = _body(_random_html(rng))
    before = etree.tostring(body)
    assert element_lines(body) == _element_lines_copy(body)
    elements = list(body.iter(etree.Element))
    mark = rng.choice(elements)
    assert element_lines(body, mark=mark) == _element_lines_copy(body, mark=mark)
    assert etree.tostring(body) == before  # the caller's tree is left untouched


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td>a</td><td>b<br>c</td></tr></table>tail",
        "<div><p>x</p>y<td>z</td>w</div>",
        "<table><tr><td><p>1</p><p>2</p></td></tr></table>",
        '<div style="display: none">secret</div><p>seen</p>',
        "<div hidden>secret</div><p>seen</p>",
        '<p style="DISPLAY :NONE">upper</p><p style="color:red">seen</p>',
        '<p style="d\u0130splay:none">dotted I folds to i under re.I</p><p style="border:none">seen</p>',
        '<p style="vi\u017fibility: hidden">long s</p><td style="width:3pt">1</td>',
        '<p data-nianbao-mark="x">the page uses our attribute</p><p>b</p>',
        "<p>a<!-- c -->b</p>",
    ],
)
def test_known_shapes(html: str) -> None:
    body = _body(html)
    assert element_lines(body) == _element_lines_copy(body)
    for el in body.iter(etree.Element):
        assert element_lines(el) == _element_lines_copy(el)  # a cell as the root: no " | " after it
        if el is not body:
            assert element_lines(body, mark=el) == _element_lines_copy(body, mark=el)


def test_marked_container_split() -> None:
    body = _body(
        "<div>head</div><div id='zoom'><p>one</p><table><tr><td>1</td></tr></table></div><p>foot</p>"
    )
    container = body.find(".//div[@id='zoom']")
    page, inner = split_marked(element_lines(body, mark=container))
    assert page == ["head", "one", "1 |", "foot"]
    assert inner == ["one", "1 |"]


def test_hidden_style_fold_matches_case_insensitive_regex() -> None:
    """_fold_for_hidden + the plain pattern decide exactly like the re.I pattern, for every code point
    that re.I or lower() relates to a letter of the pattern."""
    import re
    import sys

    from crawler.parsing.html import _HIDDEN_STYLE, _HIDDEN_STYLE_LOW, _fold_for_hidden

    letters = set("displayvisibilitynonehidden")
    related = re.compile("[" + "".join(sorted(letters)) + "]", re.I)
    for c in range(0x80, sys.maxunicode + 1):
        ch = chr(c)
        folded = _fold_for_hidden(ch)
        if related.fullmatch(ch) or any(x in letters for x in folded):
            assert folded in letters and related.fullmatch(ch), hex(c)
    for style in (
        "DISPLAY :NONE",
        "d\u0130splay:none",
        "d\u0131splay: none",
        "vi\u017fibility:\thidden",
        "font-family:宋体;display:block",
        "dis play:none",
        "display:\u3000none",
        "VISIBILITY:HIDDEN;color:红",
        "x\x00display:none",
    ):
        assert bool(_HIDDEN_STYLE.search(style)) == bool(_HIDDEN_STYLE_LOW.search(_fold_for_hidden(style))), (
            style
        )


def test_container_candidates_ids_then_classes_in_document_order() -> None:
    from crawler.parsing.html import _container_candidates

    body = _body(
        '<div class="TRS_Editor x" id="c1"><td class="xxgk_content">a</td></div>'
        '<section id="content"><article class="article-content" id="zoom">b</article></section>'
        '<span class="TRS_Editor">not a container tag</span><div id="other" class="">c</div>'
    )
    got = [(el.tag, el.get("id"), el.get("class")) for el in _container_candidates(body)]
    assert got == [
        ("section", "content", None),
        ("article", "zoom", "article-content"),
        ("div", "c1", "TRS_Editor x"),
        ("td", None, "xxgk_content"),
        ("article", "zoom", "article-content"),
    ]
    section = body.find(".//section")
    assert section is not None
    # ids are looked up in the whole document (as before), classes under the given element only
    assert [el.tag for el in _container_candidates(section)] == ["section", "article", "article"]
