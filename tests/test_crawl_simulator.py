"""`nianbao crawl` against the portal simulator (every CMS family, decoys and faults), compared with its truth.

One module-scoped fixture serves a "tiny" world (all six CMS families, robots Disallow, 500-once,
301s, _wap twins, 404s, a 412 WAF, the calendar trap, a slow page), crawls it, publishes a few more
reports, and crawls again; the tests read the archive, the run statistics and the request log.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from crawl_helpers import crawl, run_stats

from simulator import build_world, serve_world
from simulator.truth import disallowed
from storage.archive import Archive

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@dataclass
class Crawled:
    world: Any
    truth1: Any
    truth2: Any
    records1: list[dict[str, Any]]
    records2: list[dict[str, Any]]
    log1: list[tuple[str, str, str, int, dict[str, str]]]
    log2: list[tuple[str, str, str, int, dict[str, str]]]
    runs: list[dict[str, Any]]
    codes: tuple[int, int]
    added: list[str]
    changed: tuple[str, str, int]  # url, cell key, new value


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    tmp = tmp_path_factory.mktemp("simcrawl")
    db = str(tmp / "sim.db")
    world = build_world(11, "tiny")
    with serve_world(world, slow_seconds=0.5) as running:  # still slow; no need to wait 1.5 s twice
        sources = tmp / "sources.json"
        sources.write_text(json.dumps(running.sources(), ensure_ascii=False), encoding="utf-8")
        r1 = crawl(db, "--sources", str(sources), timeout=200)
        assert r1.returncode in (0, 1), r1.stderr[-3000:]
        truth1 = running.truth()
        log1 = list(running.request_log)
        with Archive.open(db) as archive:
            records1 = list(archive.export_records())
        added = world.add_reports(3)
        victim = next(t for t in truth1.reports if t.source_kind == "html_inline" and t.cells)
        key = next(k for k, v in sorted(victim.cells.items()) if k.startswith("t3.") and isinstance(v, int))
        world.change_report(victim.report_id, cells={key: victim.cells[key] + 7})
        truth2 = running.truth()
        # the first crawl ran unthrottled, so with a parse worker and the archive writer process
        # (crawler.workers "auto"); the second runs everything in the crawl process
        in_process = ["-s", "NIANBAO_PARSE_WORKERS=0", "-s", "NIANBAO_ARCHIVE_WRITER=False"]
        r2 = crawl(db, "--sources", str(sources), *in_process, timeout=200)
        assert r2.returncode in (0, 1), r2.stderr[-3000:]
        log2 = list(running.request_log)[len(log1):]
        with Archive.open(db) as archive:
            records2 = list(archive.export_records())
    return Crawled(world, truth1, truth2, records1, records2, log1, log2, run_stats(db), (r1.returncode, r2.returncode),
                   [str(i.id) for i in added], (victim.url, key, victim.cells[key] + 7))


def _urls(records: list[dict[str, Any]]) -> set[str]:
    return {r["url"] for r in records}


def test_archived_reports_equal_truth(crawled: Crawled):
    truth = {t.url: t for t in crawled.truth1.reports}
    got = {r["url"]: r for r in crawled.records1}
    assert set(got) == set(truth), (sorted(set(truth) - set(got)), sorted(set(got) - set(truth)))
    # every report exact: agency, year and every cell (a mismatch names the URL and what differs,
    # so a residual parser defect is visible here rather than averaged away)
    wrong = {
        u: {
            f: (got[u][f], want)
            for f, want in (("agency", t.agency), ("year", t.year), ("cells", t.cells))
            if got[u][f] != want
        }
        for u, t in truth.items()
    }
    wrong = {u: _diff(d) for u, d in wrong.items() if d}
    assert not wrong, f"{len(wrong)}/{len(truth)} reports differ from the truth: {wrong}"


def _diff(fields: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """Only the differing cells (got, want) of a mismatching report, to keep the message readable."""
    out: dict[str, Any] = {}
    for f, (got, want) in fields.items():
        if f == "cells":
            keys = sorted(set(got) | set(want))
            out[f] = {k: (got.get(k), want.get(k)) for k in keys if got.get(k) != want.get(k)}
        else:
            out[f] = (got, want)
    return out


def test_no_decoy_disallowed_or_blocked_page_archived_as_report(crawled: Crawled):
    urls = _urls(crawled.records1)
    for t in crawled.truth1.disallowed + crawled.truth1.blocked:
        assert t.url not in urls
    titles = [r["title"] or "" for r in crawled.records1]
    assert not [t for t in titles if any(w in t for w in ("解读", "图解", "网站工作年度报表", "制度", "指南", "发布"))]


def test_no_request_to_robots_disallowed_paths(crawled: Crawled):
    by_host = {p.host: p for p in crawled.world.portals}
    for host, _method, path, _status, _h in crawled.log1 + crawled.log2:
        p = by_host[host.split(":")[0]]
        if path != "/robots.txt":
            assert not disallowed(p, urlsplit(path).path), (host, path)
    stats = crawled.runs[0]["stats"]
    assert sum(s["robots_denied"] for k, s in stats.items() if not k.startswith("_")) >= len(crawled.truth1.disallowed)


def test_500_page_recovered(crawled: Crawled):
    failed = {(h, p) for h, _m, p, s, _ in crawled.log1 if s == 500}
    assert failed, "the simulator's 500-once page was never requested"
    ok = {(h, p) for h, _m, p, s, _ in crawled.log1 if s == 200}
    assert failed <= ok


def test_twins_and_redirects_give_one_report(crawled: Crawled):
    urls = _urls(crawled.records1)
    alts = [a for t in crawled.truth1.reports for a in t.alt_urls]
    assert alts, "no twins/old URLs in this world"
    assert not urls & set(alts)
    pairs = Counter((r["agency"], r["year"], r["url"]) for r in crawled.records1)
    assert max(pairs.values()) == 1
    wap_requests = [p for _h, _m, p, _s, _ in crawled.log1 if p.endswith("_wap.html")]
    assert wap_requests == []  # twins are canonicalised before any request


def test_trap_bounded_and_412_counted(crawled: Crawled):
    per_host = Counter(h for h, _m, p, _s, _ in crawled.log1 if p.startswith("/calendar"))
    assert all(n <= 25 for n in per_host.values())
    stats = {k: v for k, v in crawled.runs[0]["stats"].items() if not k.startswith("_")}
    assert sum(s["blocked"] for s in stats.values()) >= len(crawled.truth1.blocked) >= 1
    requested_412 = {p for _h, _m, p, s, _ in crawled.log1 if s == 412}
    assert requested_412 and not any(urlsplit(u).path in requested_412 for u in _urls(crawled.records1))


def test_second_run_is_incremental_finds_new_and_changed_reports(crawled: Crawled):
    s1 = {k: v for k, v in crawled.runs[0]["stats"].items() if not k.startswith("_")}
    s2 = {k: v for k, v in crawled.runs[1]["stats"].items() if not k.startswith("_")}
    # portals where nothing changed in between cost <= 10 % of their first-run bytes (304s only);
    # the tiny world changed 4 of ~10 reports, so the whole run may cost more, but still little
    quiet = [n for n, s in s2.items() if s["reports_new"] == 0 and s["reports_changed"] == 0]
    assert quiet
    for n in quiet:
        assert s2[n]["bytes"] <= 0.10 * s1[n]["bytes"], (n, s1[n]["bytes"], s2[n]["bytes"])
    bytes1 = sum(s["bytes"] for s in s1.values())
    bytes2 = sum(s["bytes"] for s in s2.values())
    assert bytes2 <= 0.25 * bytes1, (bytes1, bytes2)
    new_urls = {t.url for t in crawled.truth2.reports} - {t.url for t in crawled.truth1.reports}
    assert new_urls, "the simulator added no reachable report"
    assert new_urls <= _urls(crawled.records2)
    assert _urls(crawled.records2) == {t.url for t in crawled.truth2.reports}
    assert sum(s["reports_new"] for s in s2.values()) == len(new_urls)
    assert sum(s["reports_changed"] for s in s2.values()) == 1  # the report changed in between
    url, key, value = crawled.changed
    [rec] = [r for r in crawled.records2 if r["url"] == url]
    assert rec["cells"][key] == value
    statuses = Counter(s for _h, _m, _p, s, _ in crawled.log2)
    assert statuses[304] > statuses[200]
