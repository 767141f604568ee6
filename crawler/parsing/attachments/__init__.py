"""Reports published as files: PDF, DOCX, DOC/WPS, XLS/XLSX, images.

:func:`parse_attachment` is called by :func:`crawler.parsing.dispatch.parse_document` after sniffing.
Each format module turns its file into visible text + grids + a title; :func:`common.finish` maps them
with the same code as HTML. Problems never raise: a password-protected PDF, a zip bomb, a truncated
file or a missing converter come back as a status (``error``, ``unparsed``, ``image_only``) with a
message that says what happened.
"""

from __future__ import annotations

import logging

from crawler.parsing.attachments.common import AttachmentError, finish
from crawler.parsing.dispatch import ParseLimits
from crawler.parsing.result import ParseResult, Source

log = logging.getLogger(__name__)


def parse_attachment(source: Source, payload: bytes, url: str, limits: ParseLimits) -> ParseResult:
    """Parse one report file of the sniffed ``source`` type. Never raises."""
    try:
        return _parse(source, payload, limits)
    except AttachmentError as exc:
        return ParseResult(status=exc.status, message=exc.message, source=source)
    except MemoryError:
        return ParseResult(
            status="error", message=f"{source} file too large to parse in memory", source=source
        )
    except RecursionError:
        return ParseResult(status="error", message=f"{source} file nested too deeply to parse", source=source)


def _parse(source: Source, payload: bytes, limits: ParseLimits) -> ParseResult:
    if source == "image":
        from crawler.parsing.attachments.image import parse_image

        return parse_image(payload)
    if source == "pdf":
        from crawler.parsing.attachments.pdf import parse_pdf

        text, grids, title, note = parse_pdf(payload, limits)
        result = finish(text=text, grids=grids, title=title, source="pdf")
        if note:
            if result.status == "ok":
                result.status = "partial"
            result.message = f"{result.message}; {note}" if result.message else note
        return result
    if source == "docx":
        from crawler.parsing.attachments.docx import parse_docx

        text, grids, title = parse_docx(payload, limits)
        return finish(text=text, grids=grids, title=title, source="docx")
    if source == "xlsx":
        from crawler.parsing.attachments.xlsx import parse_xlsx

        text, grids, title = parse_xlsx(payload, limits)
        return finish(text=text, grids=grids, title=title, source="xlsx")
    if source == "xls":
        from crawler.parsing.attachments.xlsx import parse_xls

        try:
            text, grids, title = parse_xls(payload, limits)
        except AttachmentError:
            if "WordDocument".encode("utf-16-le") not in payload[: 4 << 20]:
                raise
            source = "doc"  # an OLE file with a Word stream that was taken for a workbook
        else:
            return finish(text=text, grids=grids, title=title, source="xls")
    if source in ("doc", "wps"):
        from crawler.parsing.attachments.doc import parse_doc

        suffix = "rtf" if payload.lstrip()[:5] == b"{\\rtf" else source
        text, grids, title, converter = parse_doc(payload, suffix, limits)
        result = finish(text=text, grids=grids, title=title, source=source)
        if converter == "antiword":
            note = "converted with antiword (text only; LibreOffice would keep the tables)"
            result.message = f"{result.message}; {note}" if result.message else note
        return result
    return ParseResult(status="error", message=f"no attachment parser for source {source!r}", source=source)
