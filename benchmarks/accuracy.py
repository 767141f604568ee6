"""Exact-match accuracy of parse_document: cells, metadata fields, report/non-report decisions.

    .venv/bin/python benchmarks/accuracy.py [--seeds 20] [--show 15]

Two corpora, scored separately:

* real: the two seeds and the sample excerpts of /work/shared (expected values written by hand in
  tests/test_parse_seeds.py and tests/test_parse_samples_meta.py), each payload parsed as text
  (goal: 100%);
* simulated: render_report_html pages, every variant x {v2019, v2021, pre2019} x ``--seeds`` random
  truths, plus simple non-report pages (news, list, the national format notice) (goal: >= 99.5%).

A cell counts as correct when the key is present with exactly the truth's value (None included);
missing and extra keys count as wrong. Metadata fields: title, index_no, issuer, published, year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from shared_data import SHARED  # noqa: E402

from crawler.parsing import parse_document  # noqa: E402
from crawler.parsing.schema import keys_for  # noqa: E402
from simulator.render import HTML_VARIANTS, render_report_html  # noqa: E402
from simulator.spec import ReportSpec  # noqa: E402


class Score:
    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.misses: list[str] = []

    def add(self, kind: str, good: bool, what: str) -> None:
        self.total[kind] += 1
        if good:
            self.ok[kind] += 1
        else:
            self.misses.append(f"{kind}: {what}")

    def report(self, name: str, show: int) -> None:
        print(f"== {name}")
        for kind in ("cells", "metadata", "decisions"):
            n = self.total[kind]
            if n:
                print(f"  {kind:10s} {self.ok[kind]:6d}/{n:<6d} = {100 * self.ok[kind] / n:7.3f}%")
        for m in self.misses[:show]:
            print("   miss", m)
        if len(self.misses) > show:
            print(f"   ... {len(self.misses) - show} more")


def score_cells(score: Score, label: str, got: dict, want: dict) -> None:
    for k, v in want.items():
        score.add(
            "cells", k in got and got[k] == v, f"{label} {k}: got {got.get(k, '<missing>')!r}, want {v!r}"
        )
    for k in got.keys() - want.keys():
        score.add("cells", False, f"{label} {k}: extra {got[k]!r}")


def real_corpus(score: Score) -> None:
    from test_parse_samples_meta import EXPECTED as META
    from test_parse_seeds import SAMPLES as CELLS
    from test_parse_seeds import SEED_000_T2, SEED_004_T2, V2019

    text_headers = {"content-type": "text/plain; charset=utf-8"}
    for name, t2 in (("000", SEED_000_T2), ("004", SEED_004_T2)):
        (path,) = (SHARED / "seeds").glob(f"{name}_*.txt")
        result = parse_document(path.read_bytes(), "http://127.0.0.1/seed.txt", text_headers)
        want = {**{k: 0 for k in V2019 if not k.startswith("t2.")}, **t2}
        score.add("decisions", result.is_report, f"seed {name}: {result.status}")
        score_cells(score, f"seed {name}", {k: c.value for k, c in result.cells.items()}, want)
    for path in sorted((SHARED / "samples").glob("*.txt")):
        if path.name.endswith(".source.txt"):
            continue
        prefix = path.name[:3]
        result = parse_document(path.read_bytes(), f"http://127.0.0.1/{prefix}.txt", text_headers)
        meta = META.get(prefix)
        if meta is not None:
            score.add(
                "decisions",
                result.is_report is meta["report"],
                f"sample {prefix}: {result.status} {result.message}",
            )
            for field, value in meta.items():
                if field != "report":
                    got = getattr(result.metadata, field)
                    score.add("metadata", got == value, f"sample {prefix} {field}: {got!r} != {value!r}")
        if meta is None and prefix in CELLS:  # a report excerpt with table cells (e.g. 24_, no title)
            score.add("decisions", result.is_report, f"sample {prefix}: {result.status} {result.message}")
        if prefix in CELLS:
            _, want = CELLS[prefix]
            score_cells(score, f"sample {prefix}", {k: c.value for k, c in result.cells.items()}, want)


def _spec(rng: random.Random, template: str, n: int) -> ReportSpec:
    year = {"pre2019": 2016, "v2019": 2020, "v2021": 2022}[template]
    cells = {}
    for k in keys_for(template):
        x = rng.random()
        cells[k] = None if x < 0.2 else 0 if x < 0.5 else rng.choice([1, 2, 5, 12, 150, 1234, 25100])
        if k.endswith(".change") and cells[k] and rng.random() < 0.4:
            cells[k] = -cells[k]
        if k == "t2.art20_8.fees.amount" and cells[k] and rng.random() < 0.5:
            cells[k] = round(rng.random() * 100, 5)
    agency = rng.choice(
        ["示例县统计局", "示例县人民政府", "示例县城关镇人民政府", "示例县人民政府办公室"]
    ) + str(n)
    return ReportSpec(
        agency=agency, agency_kind="department", year=year, template=template,
        title=f"{agency}{year}年政府信息公开工作年度报告", cells=cells,
        index_no=f"{rng.randrange(10**8, 10**9)}/{year + 1}-{rng.randrange(10**4, 10**5)}", issuer=agency,
        published=dt.date(year + 1, rng.randrange(1, 4), rng.randrange(1, 28)),
    )  # fmt: skip


_NON_REPORTS = (
    ("示例县召开政务公开工作推进会", "<p>3月5日，示例县召开政务公开工作推进会，部署全年重点工作。</p>"),
    ("政府信息公开指南", "<p>一、公开的主体和范围</p><p>二、主动公开的方式和时限</p><p>三、依申请公开的程序</p>"),
    (
        "关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知",
        "<p>国办公开办函〔2021〕30号</p><p>现将修订后的《中华人民共和国政府信息公开工作年度报告格式》印发给你们。</p>",
    ),
    ("政府信息公开年报", "<ul>" + "".join(f"<li><a href='/{i}.html'>示例县{i}局2020年政府信息公开工作年度报告</a></li>" for i in range(20)) + "</ul>"),
)  # fmt: skip


def simulated_corpus(score: Score, seeds: int) -> None:
    headers = {"content-type": "text/html; charset=utf-8"}
    n = 0
    for seed in range(seeds):
        for template in ("v2019", "v2021", "pre2019"):
            for variant in HTML_VARIANTS:
                rng = random.Random(seed * 7919 + n)
                spec = _spec(rng, template, n)
                n += 1
                page = (
                    f'<html><head><meta charset="utf-8"><title>{spec.title}</title></head><body>'
                    f"{render_report_html(spec, variant)}</body></html>"
                ).encode()
                result = parse_document(page, f"http://127.0.0.1/r{n}.html", headers)
                label = f"{template}/{variant}#{n}"
                score.add("decisions", result.is_report, f"{label}: {result.status} {result.message}")
                want = spec.cells if template != "pre2019" else {}
                score_cells(score, label, {k: c.value for k, c in result.cells.items()}, want)
                md = result.metadata
                for field, value in (
                    ("title", spec.title), ("index_no", spec.index_no), ("issuer", spec.issuer),
                    ("published", spec.published), ("year", spec.year),
                ):  # fmt: skip
                    got = getattr(md, field)
                    score.add("metadata", got == value, f"{label} {field}: {got!r} != {value!r}")
    for i, (title, body) in enumerate(_NON_REPORTS):
        page = f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><div id="zoom"><h1>{title}</h1>{body}</div></body></html>'
        result = parse_document(page.encode(), f"http://127.0.0.1/n{i}.html", headers)
        score.add("decisions", not result.is_report, f"non-report {title}: {result.status}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--show", type=int, default=15)
    args = ap.parse_args()
    real, sim = Score(), Score()
    real_corpus(real)
    simulated_corpus(sim, args.seeds)
    real.report("real seeds + samples (goal 100%)", args.show)
    sim.report(
        f"simulated: {len(HTML_VARIANTS)} variants x 3 templates x {args.seeds} seeds + non-reports (goal >= 99.5%)",
        args.show,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
