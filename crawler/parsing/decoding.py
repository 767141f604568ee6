"""Bytes -> text: HTTP charset, BOM, <meta>, then CJK-aware detection; gb2312/gbk decoded as gb18030."""

from __future__ import annotations

from collections.abc import Mapping

from crawler.parsing.result import Decoded


def decode_html(payload: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    raise NotImplementedError
