"""Reports published as pictures (图片版, scans): kept, marked ``image_only``; there is no OCR."""

from __future__ import annotations

import struct

from crawler.parsing.result import ParseResult


def image_size(payload: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG/GIF/JPEG from its header, without decoding the pixels."""
    if payload.startswith(b"\x89PNG\r\n\x1a\n") and len(payload) >= 24:
        return struct.unpack(">II", payload[16:24])
    if payload[:6] in (b"GIF87a", b"GIF89a") and len(payload) >= 10:
        return struct.unpack("<HH", payload[6:10])
    if payload.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(payload) and i < 1 << 20:
            if payload[i] != 0xFF:
                i += 1
                continue
            marker = payload[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", payload[i + 5 : i + 9])
                return w, h
            i += 2 + struct.unpack(">H", payload[i + 2 : i + 4])[0]
    return None


def parse_image(payload: bytes) -> ParseResult:
    size = image_size(payload)
    dims = f" ({size[0]}x{size[1]} px)" if size else ""
    return ParseResult(
        status="image_only",
        source="image",
        message=f"report published as an image{dims}; no text layer, no OCR",
    )
