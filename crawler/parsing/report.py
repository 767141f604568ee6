"""Shared last step for every format: text + grids + metadata -> a report ParseResult.

HTML pages and every attachment format (PDF, DOCX, XLSX, ...) end here, so a number gets the same
label matching, value rules and checks whatever markup it came in.
"""

from __future__ import annotations

from crawler.parsing.checks import run_checks
from crawler.parsing.grid import Grid
from crawler.parsing.result import Metadata, ParseResult, ParseStatus, Source
from crawler.parsing.schema import keys_for
from crawler.parsing.tables import detect_template_detail, map_tables

_MAX_DETECT_CHARS = 400_000  # template markers sit in table headers; no need to scan megabytes


def _common_keys() -> tuple[str, ...]:
    """Keys both format versions have: what an undated fragment (e.g. one flipbook page) can hold."""
    v2021 = set(keys_for("v2021"))
    return tuple(k for k in keys_for("v2019") if k in v2021)


def _grid_text(grids: list[Grid]) -> str:
    parts: list[str] = []
    for g in grids:
        if g.caption:
            parts.append(g.caption)
        for row in g.rows:
            last = None
            for cell in row:
                if cell.origin != last and cell.text:
                    parts.append(cell.text)
                last = cell.origin
    return "\n".join(parts)


def build_report(*, text: str, grids: list[Grid], metadata: Metadata, source: Source) -> ParseResult:
    """Detect the template, map grids (and text renderings) to cells, run the checks, split sections.

    ``text`` is the document's visible text (used for template detection, text-rendered tables and
    sections). Status is ``ok`` when tables 三 and 四 were mapped (or the report is pre-2019 free text),
    ``partial`` when only some were, ``no_tables`` when none were found.
    """
    template, mixed = detect_template_detail(text[:_MAX_DETECT_CHARS])
    if template in ("unknown", "pre2019") and grids:  # the visible text may lack the table labels
        template, mixed = detect_template_detail(
            (text[:_MAX_DETECT_CHARS] + "\n" + _grid_text(grids))[: 2 * _MAX_DETECT_CHARS]
        )
    mapping = map_tables(grids, text, template)  # falls back to text renderings when grids lack 表三
    problems = list(mapping.problems)
    if mixed:
        problems.insert(0, f"mixed template markers (v2019 and v2021); mapped as {template}")
    if any(g.truncated for g in grids):
        problems.append("table cells beyond the cell budget were dropped (ParseLimits.max_table_cells)")

    status: ParseStatus
    found = mapping.found_tables
    if template == "pre2019":
        status = "ok"
    elif not mapping.cells:
        status = "no_tables"
    elif {"t3", "t4"} <= found:
        keys = keys_for(template) if template != "unknown" else _common_keys()
        expected = [k for k in keys if k.startswith(("t3.", "t4."))]
        missing = [k for k in expected if k not in mapping.cells]
        if missing:
            problems.append(f"{len(missing)} cells of 表三/表四 not found, e.g. {', '.join(missing[:3])}")
        status = "partial" if missing or mapping.problems else "ok"
    else:
        status = "partial"
        absent = [name for t, name in (("t3", "表三"), ("t4", "表四")) if t not in found]
        problems.insert(0, f"table(s) not found: {'、'.join(absent)}")

    sections: dict[str, str] = {}
    try:
        from crawler.parsing.sections import split_sections

        sections = split_sections(text, template)
    except NotImplementedError:
        sections = {}

    return ParseResult(
        status=status,
        message="; ".join(problems[:10]),
        source=source,
        template=template,
        metadata=metadata,
        cells=mapping.cells,
        checks=run_checks(mapping.cells, template),
        sections=sections,
    )
