"""Grids -> canonical cells: label matching by normalised row/column labels and their parents."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.parsing.grid import Grid
from crawler.parsing.result import Cell, Template


@dataclass(slots=True)
class TableMapping:
    template: Template
    cells: dict[str, Cell] = field(default_factory=dict)
    found_tables: set[str] = field(default_factory=set)  # {"t2", "t3", "t4"}
    problems: list[str] = field(default_factory=list)


def detect_template(text: str) -> Template:
    """Format version from content (templates.md §7), never from the year."""
    raise NotImplementedError


def map_tables(grids: list[Grid], text: str, template: Template) -> TableMapping:
    """Map every recognised table (二, 三, 四) in ``grids`` (or in text renderings in ``text``) to cells."""
    raise NotImplementedError
