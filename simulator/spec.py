"""What the simulator knows about one report: its truth, which a crawl is compared with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class ReportSpec:
    agency: str  # canonical agency name, e.g. "示例县人民政府" / "示例县统计局" / "示例县城关镇人民政府"
    agency_kind: str  # county_government | government_office | department | township | summary
    year: int
    template: str  # "v2019" | "v2021" | "pre2019"
    title: str  # e.g. "示例县统计局2020年政府信息公开工作年度报告"
    cells: dict[str, int | float | None]  # canonical key -> value (None = blank cell)
    index_no: str | None = None
    issuer: str | None = None
    doc_no: str | None = None
    published: dt.date | None = None
    sections: dict[str, str] = field(default_factory=dict)  # section key -> narrative text
