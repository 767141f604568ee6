"""Shared helpers for the attachment tests: sample paths, specs with random cells, grid lookups."""

from __future__ import annotations

import datetime as dt
import random

from shared_data import SAMPLES

from crawler.parsing.grid import Grid
from crawler.parsing.schema import keys_for
from simulator.spec import ReportSpec

PDF_DIR = SAMPLES / "pdf"


def make_spec(
    template: str = "v2021", cells: dict[str, int | float | None] | None = None, seed: int = 0
) -> ReportSpec:
    """A report spec; without ``cells``, every key of the template gets a random count."""
    if cells is None:
        rnd = random.Random(seed)
        cells = {k: rnd.randint(0, 400) for k in keys_for(template)}
    return ReportSpec(
        agency="示例县统计局",
        agency_kind="department",
        year=2022,
        template=template,
        title="示例县统计局2022年政府信息公开工作年度报告",
        cells=cells,
        issuer="示例县统计局",
        published=dt.date(2023, 1, 20),
        sections={
            "overall": "2022年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息。",
            "problems": "一是公开内容不够丰富；二是更新不够及时。",
            "other": "本年度未收取信息处理费。",
        },
    )


def find_grid(grids: list[Grid], marker: str) -> Grid:
    """The grid whose text contains ``marker`` (e.g. "申请人情况" for 表三)."""
    for g in grids:
        if any(marker in c.text for row in g.rows for c in row):
            return g
    raise AssertionError(f"no grid contains {marker!r}; grids: {[g.rows[0][0].text for g in grids]}")


def row_values(grid: Grid, label_cols: int) -> list[tuple[str, list[str]]]:
    """(joined label text, value texts) per row whose label columns name something.

    Label text joins the distinct label cells of the row (merged parents included), without line
    breaks or spaces, so "三、本年度办理结果（三）不予公开1.属于国家秘密" can be matched by its leaf.
    """
    out = []
    for row in grid.rows:
        labels: list[str] = []
        for c in row[:label_cols]:
            t = c.text.replace("\n", "").replace(" ", "")
            if t and t not in labels:
                labels.append(t)
        out.append(("".join(labels), [c.text for c in row[label_cols:]]))
    return out
