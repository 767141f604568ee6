"""`nianbao parse FILE`: parse one saved file and print the export JSON. No database."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from crawler.parsing import parse_document


def run_parse_command(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        payload = path.read_bytes()
    except OSError as exc:
        print(f"nianbao parse: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    headers = {"content-type": args.content_type} if args.content_type else {}
    url = args.url or path.resolve().as_uri()
    result = parse_document(payload, url, headers)
    record = result.to_record(url=url, capture=hashlib.sha256(payload).hexdigest())
    if args.details:
        record["details"] = {
            "raw": {k: c.raw for k, c in sorted(result.cells.items())},
            "checks": [
                {"check": c.check, "instance": c.instance, "verdict": c.verdict, "detail": c.detail}
                for c in result.checks
            ],
            "sections": result.sections,
            "attachments": [{"url": a.url, "text": a.text} for a in result.attachments],
            "encoding": {"used": result.encoding, "declared": result.encoding_declared, "rule": result.encoding_rule},
        }
    json.dump(record, sys.stdout, ensure_ascii=False, indent=None if not args.details else 2)
    sys.stdout.write("\n")
    return 0 if result.status in ("ok", "partial", "no_tables", "not_report") else 1
