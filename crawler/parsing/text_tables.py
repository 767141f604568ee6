"""Tables that arrive as text: "|" rows, one-cell-per-line layouts, flipbook number runs -> grids."""

from __future__ import annotations

from crawler.parsing.grid import Grid


def grids_from_text(text: str) -> list[Grid]:
    """Find text-rendered tables in ``text`` and return them as grids (possibly empty)."""
    raise NotImplementedError
