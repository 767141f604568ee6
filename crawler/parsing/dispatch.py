"""The entry point: sniff what a payload is, hand it to the right format parser, never raise."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from crawler.parsing.result import ParseResult, Source

log = logging.getLogger(__name__)

# Bump on any change that can alter a parse result. Stored with every report version;
# `nianbao reparse --since-version` compares against it.
PARSER_VERSION = "1.0.0"

Headers = Mapping[str, str]  # lower-cased header name -> value (repeated headers joined with ", ")


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps that keep hostile input bounded in time and memory. All overridable."""

    max_bytes: int = 32 * 1024 * 1024  # payloads above this are refused with status "error"
    max_pdf_pages: int = 60
    max_table_cells: int = 200_000  # sum over all tables of one document
    max_unzipped_bytes: int = 64 * 1024 * 1024  # DOCX/XLSX zip bomb guard
    max_nesting: int = 40  # HTML tables nested deeper are ignored


DEFAULT_LIMITS = ParseLimits()


def sniff_source(payload: bytes, url: str, content_type: str | None) -> Source | None:
    """What kind of document the bytes are, from magic numbers first, then content type, then URL."""
    from crawler.parsing.sniff import sniff

    return sniff(payload, url, content_type)


def parse_document(
    payload: bytes,
    url: str = "",
    headers: Headers | None = None,
    *,
    status: int = 200,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """Parse one payload. Never raises: problems come back as ``status``/``message``."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    try:
        result = _parse(payload, url, headers, status, limits)
    except Exception as exc:  # the contract: nothing escapes, the reason is recorded
        log.exception("parser crashed on %s", url)
        result = ParseResult(status="error", message=f"parser error: {type(exc).__name__}: {exc}")
    if result.status != "ok" and not result.message:  # the contract: every non-ok status says why
        result.message = _DEFAULT_MESSAGES.get(result.status, result.status)
    result.parser_version = PARSER_VERSION
    return result


_DEFAULT_MESSAGES = {
    "no_tables": "no recognisable statistical tables (tables 二/三/四 not found)",
    "partial": "some tables or cells could not be mapped",
    "unparsed": "unparsed: the document could not be parsed",
    "not_report": "not a 政府信息公开工作年度报告",
    "error": "broken payload",
}


def _parse(payload: bytes, url: str, headers: dict[str, str], status: int, limits: ParseLimits) -> ParseResult:
    from crawler.parsing.classify import challenge_reason

    blocked = challenge_reason(status, payload, headers)
    if blocked:
        return ParseResult(status="blocked", message=blocked)
    if not payload:
        return ParseResult(status="error", message="empty payload")
    if len(payload) > limits.max_bytes:
        return ParseResult(
            status="error",
            message=f"payload too large: {len(payload):,} bytes > cap {limits.max_bytes:,} (ParseLimits.max_bytes)",
        )
    source = sniff_source(payload, url, headers.get("content-type"))
    if source == "html":
        from crawler.parsing.html import parse_html

        return parse_html(payload, url, headers, limits)
    if source == "text":
        from crawler.parsing.html import parse_plain_text

        return parse_plain_text(payload, url, headers, limits)
    if source is None:
        return ParseResult(status="error", message="unrecognised payload (not HTML, text, PDF, Office or image)")
    from crawler.parsing.attachments import parse_attachment

    return parse_attachment(source, payload, url, limits)


def combine(page: ParseResult, attachment: ParseResult) -> ParseResult:
    """A report whose tables live in an attachment: metadata from the detail page, cells from the file.

    Fields the page lacks (e.g. the report year) are filled from the attachment.
    """
    md = replace(page.metadata)
    for name in ("title", "index_no", "issuer", "doc_no", "written", "published", "agency", "agency_kind", "year"):
        if getattr(md, name) is None:
            setattr(md, name, getattr(attachment.metadata, name))
    # A county-wide 汇总 report says so in its text, which lives in the file, not on the page.
    if attachment.metadata.agency_kind == "summary" and attachment.metadata.agency in (None, md.agency):
        md.agency_kind = "summary"
    return replace(
        attachment,
        metadata=md,
        sections=attachment.sections or page.sections,
        attachments=page.attachments,
        images=page.images,
        encoding=page.encoding,
        encoding_declared=page.encoding_declared,
        encoding_rule=page.encoding_rule,
    )
