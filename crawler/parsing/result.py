"""The typed result of parsing one payload.

Every parser entry point returns a :class:`ParseResult`. The crawl, ``nianbao parse`` and
``nianbao reparse`` all build their output from it, and :meth:`ParseResult.to_record` is the one
place that turns it into the JSON object of the CLI contract (an export line).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

ParseStatus = Literal[
    "ok",  # a report; tables found and mapped (or a pre-2019 free-text report)
    "partial",  # a report; some tables or cells could not be mapped
    "no_tables",  # a report page without inline tables (the report may be an attachment)
    "not_report",  # content, but not a 政府信息公开工作年度报告 (decoy, list, news, ...)
    "blocked",  # an anti-bot challenge or block page; never content
    "image_only",  # a report published as images / scans only
    "unparsed",  # a report we could not parse (e.g. "unparsed: converter missing")
    "error",  # the payload is broken (truncated, garbage, too large, ...)
]
Template = Literal["v2019", "v2021", "pre2019", "unknown"]
Source = Literal["html", "pdf", "docx", "doc", "wps", "xls", "xlsx", "image", "text"]
Verdict = Literal["pass", "fail", "not_assessable"]
AgencyKind = Literal["county_government", "government_office", "department", "township", "summary", "other"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, and how the encoding was chosen."""

    text: str
    encoding: str  # the codec actually used, e.g. "utf-8", "gb18030"
    declared: str | None  # what the HTTP header or <meta> declared, verbatim (lower-cased)
    rule: Literal["http-header", "bom", "meta", "detected", "default"]


@dataclass(slots=True)
class Metadata:
    """The 信息公开元数据 of a report, plus what we infer (agency, report year)."""

    title: str | None = None
    index_no: str | None = None  # 索引号, only when it validates by shape
    issuer: str | None = None  # 发文机关 / 发布机构
    doc_no: str | None = None  # 文号
    written: dt.date | None = None  # 成文日期
    published: dt.date | None = None  # 发布日期 (metadata block preferred over a byline)
    category: str | None = None  # 分类 / 主题分类 / ...
    column: str | None = None  # <meta name="ColumnName">
    agency: str | None = None  # canonical reporting unit
    agency_kind: AgencyKind | None = None
    year: int | None = None  # report year (statistics period), not the publication year


@dataclass(frozen=True, slots=True)
class Cell:
    """One canonical cell: ``key`` from cell-keys.yaml, the normalised ``value`` and the raw text."""

    key: str
    value: int | float | None
    raw: str

    def __reduce__(self) -> tuple[type[Cell], tuple[str, int | float | None, str]]:
        # Results cross process boundaries (parse workers, the archive writer, re-parse workers);
        # dataclasses' generic slots pickling walks fields() per object, ~3x slower for ~200 cells.
        return (Cell, (self.key, self.value, self.raw))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One instance of an accounting identity (a column, a row)."""

    check: str  # t3_flow | t3_row_total | t3_result_sum | t4_subtotals | cross_year
    instance: str  # e.g. "natural_person" (a column) or "granted" (a row)
    verdict: Verdict
    detail: str  # which row/column, expected, found

    def __reduce__(self) -> tuple[type[CheckResult], tuple[str, str, Verdict, str]]:
        return (CheckResult, (self.check, self.instance, self.verdict, self.detail))  # see Cell.__reduce__


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink found on a page (attachments, images)."""

    url: str
    text: str

    def __reduce__(self) -> tuple[type[Link], tuple[str, str]]:
        return (Link, (self.url, self.text))  # see Cell.__reduce__


@dataclass(slots=True)
class ParseResult:
    status: ParseStatus
    message: str = ""  # human-readable reason for any status other than "ok"
    source: Source = "html"
    encoding: str | None = None
    encoding_declared: str | None = None
    encoding_rule: str | None = None
    template: Template = "unknown"
    metadata: Metadata = field(default_factory=Metadata)
    cells: dict[str, Cell] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # section key -> narrative text
    attachments: list[Link] = field(default_factory=list)  # report files linked from the page
    images: list[Link] = field(default_factory=list)  # content images (图片版 reports)
    parser_version: str = ""

    @property
    def is_report(self) -> bool:
        return self.status in ("ok", "partial", "no_tables", "image_only", "unparsed")

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """The report's verdict per check: fail if any instance fails, else pass if any passed."""
        by_check: dict[str, list[Verdict]] = {}
        for c in self.checks:
            by_check.setdefault(c.check, []).append(c.verdict)
        out: dict[str, Verdict] = {}
        for name, vs in by_check.items():
            out[name] = "fail" if "fail" in vs else "pass" if "pass" in vs else "not_assessable"
        return out

    def to_record(
        self, *, url: str | None, capture: str | None, region_code: str | None = None
    ) -> dict[str, object]:
        """The JSON object of the CLI contract (one export line / `nianbao parse` output)."""
        md = self.metadata
        return {
            "agency": md.agency,
            "region_code": region_code,
            "year": md.year,
            "title": md.title,
            "url": url,
            "index_no": md.index_no,
            "issuer": md.issuer,
            "doc_no": md.doc_no,
            "published": md.published.isoformat() if md.published else None,
            "template": self.template,
            "source": self.source,
            "cells": {k: c.value for k, c in sorted(self.cells.items())},
            "checks": dict(sorted(self.verdicts.items())),
            "capture": capture,
            "parser_version": self.parser_version,
            "status": self.status,
            "message": self.message,
        }
