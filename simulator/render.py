"""Render a ReportSpec into the markup variants real portals use (HTML tables, Word HTML, text...).

Used by the portal simulator and by the parser's property tests, so both exercise the same variants.
"""

from __future__ import annotations

from simulator.spec import ReportSpec

# every variant render_report_html understands
HTML_VARIANTS: tuple[str, ...] = ()


def render_report_html(spec: ReportSpec, variant: str = "standard", *, encoding: str = "utf-8") -> str:
    """The body of a report detail page (metadata block + sections + tables 二/三/四) as HTML."""
    raise NotImplementedError
