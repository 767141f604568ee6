"""`nianbao coverage`: per county, which agencies have reports for which years (table, CSV or JSON).

Table legend: ✓ parsed ok, ~ partially parsed, ✗ a report that failed to parse (no tables, image
only, unparsed), · no report in the archive; a trailing ! marks a failed accounting identity.
The numbers come from storage.coverage (the same ones the web UI's coverage page shows).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from storage.archive import Archive
from storage.coverage import Coverage, coverage, unmatched_portals

SYMBOLS = {"ok": "✓", "partial": "~", "failed": "✗", "missing": "·"}
CSV_FIELDS = (
    "province", "city", "county", "region_code", "agency", "agency_kind", "year", "status", "parse_status",
    "failing_checks", "version_id",
)


def coverage_dict(cov: Coverage, orphans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "years": cov.years,
        "counties": [
            {
                "province": c.province,
                "city": c.city,
                "county": c.county,
                "region_code": c.region_code,
                "portals": c.portals,
                "blocked_last_run": c.blocked_last_run,
                "blocked_captures": c.blocked_captures,
                "parse_errors_last_run": c.parse_errors_last_run,
                "counts": c.counts(cov.years),
                "agencies": [
                    {
                        "agency": a.agency,
                        "kind": a.kind,
                        "undated_reports": a.undated,
                        "years": {
                            str(y): {
                                "status": cell.status,
                                "parse_status": cell.parse_status,
                                "failing_checks": cell.failing_checks,
                                "version_id": cell.version_id,
                            }
                            for y, cell in a.years.items()
                        },
                    }
                    for a in c.agencies
                ],
            }
            for c in cov.counties
        ],
        "portals_without_reports": orphans,
    }


def write_csv(cov: Coverage, out: TextIO) -> None:
    """Long format: one row per agency x year."""
    writer = csv.DictWriter(out, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for c in cov.counties:
        for a in c.agencies:
            for y, cell in a.years.items():
                writer.writerow(
                    {
                        "province": c.province, "city": c.city, "county": c.county, "region_code": c.region_code,
                        "agency": a.agency, "agency_kind": a.kind, "year": y, "status": cell.status,
                        "parse_status": cell.parse_status, "failing_checks": " ".join(cell.failing_checks),
                        "version_id": cell.version_id,
                    }
                )


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def write_table(cov: Coverage, orphans: list[dict[str, Any]], out: TextIO) -> None:
    if not cov.counties:
        print("no agencies in the archive (for this selection)", file=out)
    years = cov.years
    for c in cov.counties:
        place = " ".join(p for p in (c.province, c.city, c.county) if p) or "(unknown region)"
        counts = c.counts(years)
        print(
            f"{place} [{c.region_code or '-'}]  agencies {len(c.agencies)}, reports ok {counts['ok']}, "
            f"partial {counts['partial']}, failed {counts['failed']}, missing {counts['missing']}; "
            f"blocked (last run) {c.blocked_last_run}, blocked responses archived {c.blocked_captures}",
            file=out,
        )
        name_w = max([_width("agency"), *(_width(a.agency) for a in c.agencies)])
        print("  " + _pad("agency", name_w) + "  " + "  ".join(f"{y:>5}" for y in years), file=out)
        for a in c.agencies:
            marks = []
            for y in years:
                cell = a.years[y]
                mark = SYMBOLS[cell.status] + ("!" if cell.failing_checks else "")
                marks.append(f"{mark:>5}")
            extra = f"  (+{a.undated} undated)" if a.undated else ""
            print("  " + _pad(a.agency, name_w) + "  " + "  ".join(marks) + extra, file=out)
        print(file=out)
    if orphans:
        print("portals with captures but no report:", file=out)
        for o in orphans:
            print(
                f"  {o['portal']}: {o['captures']} responses, {o['blocked_captures']} blocked, "
                f"{o['blocked_last_run']} blocked in the last run",
                file=out,
            )
    print("legend: ✓ ok  ~ partial  ✗ failed to parse  · no report  ! failed accounting identity", file=out)


def run_coverage_command(args: argparse.Namespace) -> int:
    with Archive.open(args.db, readonly=True) as archive:
        cov = coverage(archive, regions=list(args.region or []))
        orphans = unmatched_portals(archive) if not args.region else []
    fmt = args.format
    out = sys.stdout
    if fmt == "json":
        json.dump(coverage_dict(cov, orphans), out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        write_csv(cov, out)
    else:
        write_table(cov, orphans, out)
    return 0
