"""The codebook written beside every export: what each column of the exported tables means.

Why generated and not hand-written: the cell keys come from crawler.parsing.schema.cell_keys()
(itself loaded from the one cell-keys.yaml), so a key added there appears in the exports, the
wide table and the codebook at the same time. One row per variable, three kinds:

- ``metadata``: report-level columns of the long and wide tables (agency, year, title, ...);
- ``cell``: one per canonical cell key (Chinese label, English label, unit, table, format versions);
- ``check``: one per accounting identity (verdict column ``check_<name>`` of the wide table).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from crawler.parsing import schema
from crawler.parsing.schema import cell_keys, check_names

CODEBOOK_FIELDS = (
    "kind",
    "name",
    "column",
    "label_zh",
    "label_en",
    "unit",
    "table",
    "templates",
    "dtype",
    "description",
)

TABLE_LABELS = {
    "t2": "二、主动公开政府信息情况 (proactive disclosure)",
    "t3": "三、收到和处理政府信息公开申请情况 (requests received and handled)",
    "t4": "四、政府信息公开行政复议、行政诉讼情况 (administrative review and litigation)",
}

# (name, Chinese label, English label, dtype, description). Order = column order of the exports.
METADATA_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("report_id", "报告编号", "report id", "int", "archive id of the (agency, year) report; stable across re-parses"),
    ("version_id", "版本编号", "report version id", "int", "archive id of the current parse of the report"),
    ("agency", "报告单位", "reporting agency", "string", "canonical name of the agency the report covers"),
    ("agency_kind", "单位类型", "agency kind", "string",
     "county_government | government_office | department | township | summary | other"),
    ("province", "省", "province", "string", "province of the portal the report was found on"),
    ("city", "市", "prefecture", "string", "prefecture-level city (empty for municipality counties)"),
    ("county", "县（区）", "county", "string", "county-level division of the portal"),
    ("region_code", "行政区划代码", "division code", "string", "6-digit GB/T 2260 code of the county"),
    ("year", "报告年度", "report year", "int", "the year the statistics cover (not the publication year)"),
    ("title", "标题", "title", "string", "title as published"),
    ("url", "网址", "URL", "string", "page the report was found on (final URL after redirects)"),
    ("index_no", "索引号", "index number", "string", "索引号 of the disclosure catalogue, when it validates by shape"),
    ("issuer", "发布机构", "issuer", "string", "发文机关 / 发布机构 from the metadata block"),
    ("doc_no", "文号", "document number", "string", "文号, if any"),
    ("published", "发布日期", "publication date", "date", "发布日期 (metadata block preferred over a byline)"),
    ("template", "表格格式", "table format", "string",
     "v2019 (国办公开办函〔2019〕60号) | v2021 (〔2021〕30号) | pre2019 | unknown"),
    ("source", "来源类型", "source kind", "string", "what the cells were read from: html, pdf, docx, xlsx, ..."),
    ("status", "解析状态", "parse status", "string", "ok | partial | no_tables | image_only | unparsed"),
    ("message", "解析说明", "parse message", "string", "why the status is not ok"),
    ("parser_version", "解析器版本", "parser version", "string", "version of the parser that produced the cells"),
    ("capture", "原始文件", "archived original", "string",
     "sha256 of the archived bytes the cells were parsed from (`nianbao serve`: /-/capture/<sha256>)"),
    ("key", "单元格键", "cell key", "string", "long table only: canonical cell key (see the cell rows below)"),
    ("value", "数值", "value", "float",
     "long table only: number in the key's unit; empty when the cell is blank, '-', '—', '/', '无' or not applicable"),
    ("raw", "原文", "raw text", "string", "long table only: the cell text exactly as printed"),
)

CHECK_LABELS = {
    "t3_flow": ("表三 收支平衡：新收+上年结转=办理结果总计+结转下年", "table 3 flow: received + carried over = handled + carried to next year"),
    "t3_row_total": ("表三 各行：各申请人类型之和=总计", "table 3 rows: applicant columns sum to the total column"),
    "t3_result_sum": ("表三 办理结果各项之和=总计", "table 3 results: outcome rows sum to the results total"),
    "t4_subtotals": ("表四 各项结果之和=总计", "table 4: outcome columns sum to each total"),
    "cross_year": ("上年结转=上一年报告的结转下年", "carried over = previous year's carried to next year"),
}


@dataclass(frozen=True, slots=True)
class CodebookEntry:
    kind: str  # metadata | cell | check
    name: str  # metadata column, cell key or check name
    column: str  # column name in the wide table (report_wide view / *_reports export)
    label_zh: str
    label_en: str
    unit: str
    table: str
    templates: str  # space-separated format versions that have this cell
    dtype: str
    description: str


def wide_column(key: str) -> str:
    """The wide-table column of a cell key: same rule as the report_wide view (dots become __)."""
    return key.replace(".", "__")


def check_column(name: str) -> str:
    return f"check_{name}"


def entries() -> Iterator[CodebookEntry]:
    for name, zh, en, dtype, desc in METADATA_COLUMNS:
        yield CodebookEntry("metadata", name, name, zh, en, "", "", "", dtype, desc)
    for k in cell_keys():
        yield CodebookEntry(
            kind="cell",
            name=k.key,
            column=wide_column(k.key),
            label_zh=k.label_zh,
            label_en=k.label_en,
            unit=k.unit,
            table=TABLE_LABELS.get(k.table, k.table),
            templates=" ".join(k.templates),
            dtype="float",
            description=f"{k.table} row {k.row}, column {k.col}" + (f", block {k.block}" if k.block else ""),
        )
    formulas = schema._load_yaml().get("checks") or {}
    for name in check_names():
        zh, en = CHECK_LABELS.get(name, (name, name))
        yield CodebookEntry(
            kind="check",
            name=name,
            column=check_column(name),
            label_zh=zh,
            label_en=en,
            unit="",
            table="",
            templates="",
            dtype="string",
            description=f"{formulas.get(name, '')}. Report-level verdict: pass | fail (any instance fails) | "
            "not_assessable; empty: not run",
        )


def write_codebook(directory: Path) -> tuple[Path, Path]:
    """Write codebook.csv (UTF-8 with BOM, for Excel) and codebook.json into ``directory``."""
    rows = [asdict(e) for e in entries()]
    csv_path = directory / "codebook.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CODEBOOK_FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    json_path = directory / "codebook.json"
    json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return csv_path, json_path
