"""Shared helpers for the page-level parsing tests (samples on disk, HTML wrappers)."""

from __future__ import annotations

import html
from pathlib import Path

from shared_data import SAMPLES


def sample_path(prefix: str) -> Path:
    """The excerpt file whose name starts with ``prefix`` ("02_", "13_")."""
    matches = [p for p in SAMPLES.glob(f"{prefix}*.txt") if not p.name.endswith(".source.txt")]
    assert len(matches) == 1, f"expected one sample for {prefix!r}, found {matches}"
    return matches[0]


def sample_url(prefix: str) -> str:
    """The URL recorded in the sample's .source.txt (first 'URL' line)."""
    src = sample_path(prefix).with_name(sample_path(prefix).name.replace(".txt", ".source.txt"))
    for line in src.read_text(encoding="utf-8").splitlines():
        if line.startswith("URL"):
            return line.split(":", 1)[1].strip().split()[0]
    return ""


def as_pre_html(text: str, title: str | None = None) -> bytes:
    """A text rendering wrapped as an HTML page (<pre>), UTF-8 with a <meta charset>."""
    head = f"<title>{html.escape(title)}</title>" if title else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head>'
        f"<body><pre>{html.escape(text)}</pre></body></html>"
    ).encode()
