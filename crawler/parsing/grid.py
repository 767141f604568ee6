"""Tables as dense grids.

A :class:`Grid` is rectangular: a cell spanning rows/columns appears in every slot it covers, and each
slot remembers the ``origin`` slot of its cell so values copied by a span are never counted twice.
HTML tables, text renderings, PDF, DOCX and XLSX tables all become grids; one mapper
(:mod:`crawler.parsing.tables`) turns grids into canonical cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GridCell:
    text: str  # whitespace-normalised cell text (line breaks kept as "\n")
    origin: tuple[int, int]  # (row, col) of the top-left slot of the cell that covers this slot

    def is_origin_at(self, row: int, col: int) -> bool:
        return self.origin == (row, col)


@dataclass(slots=True)
class Grid:
    rows: list[list[GridCell]] = field(default_factory=list)
    caption: str = ""  # text just before the table (e.g. "三、收到和处理政府信息公开申请情况")

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def text(self, row: int, col: int) -> str:
        return self.rows[row][col].text

    @classmethod
    def from_rows(cls, rows: list[list[str]], caption: str = "") -> Grid:
        """A grid without spans (every slot its own origin), padded to a rectangle."""
        width = max((len(r) for r in rows), default=0)
        return cls(
            rows=[
                [GridCell(r[c] if c < len(r) else "", (i, c)) for c in range(width)] for i, r in enumerate(rows)
            ],
            caption=caption,
        )
