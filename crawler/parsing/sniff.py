"""What a payload is: magic numbers first, then the declared content type, then the URL suffix."""

from __future__ import annotations

from crawler.parsing.result import Source


def sniff(payload: bytes, url: str, content_type: str | None) -> Source | None:
    raise NotImplementedError
