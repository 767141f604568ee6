"""`nianbao reparse` on real SQLite and PostgreSQL archives: the exact diff, history, idempotency,
dry run, CSV, filters, attachment reports, moved reports, conflicts with a concurrent crawl."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from pathlib import Path

import pytest
from reparse_helpers import (
    OLD_VERSION,
    PORTAL,
    VALUE_KEY,
    current_parse,
    degrade,
    page_for,
    populate,
    spec_for,
)

from crawler.parsing import PARSER_VERSION, parse_document
from crawler.parsing.assemble import assemble_report, best_attachment, wants_attachments
from crawler.parsing.dispatch import combine
from crawler.parsing.result import Cell, Link, ParseResult
from nianbao.cli import main
from nianbao.reparse import (
    Progress,
    default_workers_write,
    format_summary,
    needs_reparse,
    run_reparse,
    version_key,
)
from simulator.render_files import render_docx
from storage.archive import Archive
from storage.records import FetchedResponse
from storage.reparse_store import ReparseWrite


def _fmt(v: float | int | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def expected_diff(stored: list) -> tuple[dict[str, int], set[tuple[str, ...]]]:
    """The counts and CSV rows a re-parse must report, from how each report was degraded."""
    counts = dict.fromkeys(
        (
            "changed",
            "unchanged",
            "cells_changed",
            "cells_added",
            "cells_removed",
            "checks_fail_to_pass",
            "checks_pass_to_fail",
            "became_parseable",
            "stopped_parseable",
        ),
        0,
    )
    rows: set[tuple[str, ...]] = set()
    for s in stored:
        md = s.good.metadata
        if s.kind == "same":
            counts["unchanged"] += 1
            continue
        counts["changed"] += 1
        if s.kind == "value":
            old, new = s.old.cells[VALUE_KEY], s.good.cells[VALUE_KEY]
            rows.add(
                (
                    str(s.report_id),
                    md.agency,
                    str(md.year),
                    VALUE_KEY,
                    _fmt(old.value),
                    _fmt(new.value),
                    old.raw,
                    new.raw,
                )
            )
            counts["cells_changed"] += 1
            counts["checks_fail_to_pass"] += s.good.verdicts.get("t3_flow") == "pass"
            counts["checks_pass_to_fail"] += 0
            continue
        added = [k for k in s.good.cells if k not in s.old.cells]
        assert len(added) == (3 if s.kind == "drop3" else len(s.good.cells))
        for k in added:
            c = s.good.cells[k]
            rows.add((str(s.report_id), md.agency, str(md.year), k, "", _fmt(c.value), "", c.raw))
        counts["cells_changed"] += len(added)
        counts["cells_added"] += len(added)
        counts["became_parseable"] += s.kind == "empty"
    return counts, rows


def read_csv(path: Path) -> tuple[list[str], set[tuple[str, ...]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], {tuple(r) for r in rows[1:]}


def test_diff_counts_are_exact_without_a_csv(db_url: str) -> None:
    """Without --diff-out the workers send per-report cell counts instead of the changed cells:
    the run's counts must be the same."""
    stored = populate(db_url, 8)
    want, _ = expected_diff(stored)
    assert want["cells_changed"] > 0
    c = run_reparse(db_url, workers=2, progress=io.StringIO()).counts
    assert {k: c[k] for k in want} == want


def test_diff_history_and_csv_are_exact(db_url: str, tmp_path: Path) -> None:
    stored = populate(db_url, 8)
    want, want_rows = expected_diff(stored)
    assert want["changed"] == 6 and want["checks_fail_to_pass"] == 2 and want["became_parseable"] == 2
    out = tmp_path / "diff.csv"
    summary = run_reparse(db_url, workers=2, diff_out=out, progress=io.StringIO())
    c = summary.counts
    assert summary.outcome == "finished"
    assert {k: c[k] for k in want} == want
    assert (c["selected"], c["reparsed"], c["skipped_current"], c["moved"], c["conflicts"], c["errors"]) == (
        8,
        8,
        0,
        0,
        0,
        0,
    )
    assert c["fail_to_pass_by_check"] == {"t3_flow": 2}
    header, rows = read_csv(out)
    assert header == ["report_id", "agency", "year", "key", "old_value", "new_value", "old_raw", "new_raw"]
    assert rows == want_rows

    with Archive.open(db_url) as archive:
        records = {(r["agency"], r["year"]): r for r in archive.export_records()}
        for s in stored:
            hist = archive.report_history(s.report_id)
            if s.kind == "same":  # no new version; the current parser confirmed the stored one
                assert [(h["version_no"], h["is_current"], h["parser_version"]) for h in hist] == [
                    (1, True, PARSER_VERSION)
                ]
            else:  # the old version stays as history, the new one is current
                assert [(h["version_no"], h["is_current"], h["parser_version"]) for h in hist] == [
                    (1, False, OLD_VERSION),
                    (2, True, PARSER_VERSION),
                ]
                assert hist[0]["superseded_at"] is not None and hist[1]["run_id"] != hist[0]["run_id"]
            rec = records[(s.good.metadata.agency, s.good.metadata.year)]
            assert rec["cells"] == {k: v.value for k, v in sorted(s.good.cells.items())}
            assert rec["checks"] == dict(sorted(s.good.verdicts.items()))
            assert rec["status"] == "ok" and rec["capture"] == hashlib.sha256(s.page.body).hexdigest()
        run = archive.parse_run_info(summary.parse_run_id)
        assert run is not None
        assert (run["outcome"], run["dry_run"], run["workers"], run["parser_version"]) == (
            "finished",
            False,
            2,
            PARSER_VERSION,
        )
        assert run["counts"] == c and run["finished_at"] is not None
        assert run["filters"] == {"agency": [], "year": [], "only_failed": False, "since_version": None}
        assert archive.run_info(run["run_id"])["kind"] == "reparse"


def test_regressions_are_reported(sqlite_url: str, tmp_path: Path) -> None:
    stored = populate(sqlite_url, 4, kinds=("worse", "lost"))
    worse = [s for s in stored if s.kind == "worse"]
    lost = [s for s in stored if s.kind == "lost"]
    failing = [name for s in worse for name, v in s.good.verdicts.items() if v == "fail"]
    assert failing and all(v == "pass" for s in worse for v in s.old.verdicts.values())
    out = tmp_path / "diff.csv"
    c = run_reparse(sqlite_url, workers=0, diff_out=out, progress=io.StringIO()).counts
    assert (c["changed"], c["checks_pass_to_fail"], c["checks_fail_to_pass"]) == (4, len(failing), 0)
    assert (c["stopped_parseable"], c["became_parseable"]) == (2, 0)
    assert c["cells_removed"] == sum(len(s.old.cells) for s in lost)
    assert c["cells_changed"] == c["cells_removed"]  # worse pages: same cells, only the verdicts changed
    rows = read_csv(out)[1]
    for s in lost:
        k, cell = sorted(s.old.cells.items())[0]
        assert (
            str(s.report_id),
            s.old.metadata.agency,
            str(s.old.metadata.year),
            k,
            _fmt(cell.value),
            "",
            cell.raw,
            "",
        ) in rows


def test_the_summary_says_how_much_of_the_workers_time_went_into_parsing(sqlite_url: str) -> None:
    """Each outcome carries the CPU its parse took in the worker; the run's parse share is their
    sum over wall seconds x workers: above 0, at most 1 (a worker cannot parse longer than the run)."""
    for workers in (0, 2):
        populate(sqlite_url, 8, start=8 * workers)  # 8 more reports stored by the old parser
        s = run_reparse(sqlite_url, workers=workers, progress=io.StringIO())
        assert s.parsed_in_run == s.counts["reparsed"] == 8
        share = s.parse_share
        assert share is not None and 0 < share <= 1
        assert s.parse_cpu_seconds < s.seconds * max(workers, 1)
        whose = "workers'" if workers else "run's"
        assert f"parsing took {share:.0%} of the {whose} time" in format_summary(s)
    idle = run_reparse(sqlite_url, workers=0, progress=io.StringIO())  # nothing left to parse
    assert idle.parsed_in_run == 0 and idle.parse_share is None and idle.parse_cpu_each is None
    assert "parsing took" not in format_summary(idle)


def test_second_run_changes_nothing(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    populate(db_url, 4)
    assert main(["reparse", "--db", db_url, "--workers", "0"]) == 0
    first = capsys.readouterr().out
    assert "3 reports changed" in first and "1 unchanged" in first
    with Archive.open(db_url) as archive:
        before = (archive.stats(), [archive.report_history(i) for i in range(1, 5)])
    assert main(["reparse", "--db", db_url, "--workers", "0"]) == 0
    second = capsys.readouterr().out
    assert (
        "0 reports changed" in second and "4 already parsed by parser" in second and "0 re-parsed" in second
    )
    with Archive.open(db_url) as archive:
        assert (archive.stats(), [archive.report_history(i) for i in range(1, 5)]) == before
        assert [r["outcome"] for r in archive.parse_runs()] == ["finished", "finished"]


def test_dry_run_writes_nothing(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = populate(db_url, 8)
    want, want_rows = expected_diff(stored)
    with Archive.open(db_url) as archive:
        before = (
            archive.stats(),
            [archive.report_history(s.report_id) for s in stored],
            list(archive.export_records()),
        )
    out = tmp_path / "dry.csv"
    assert main(["reparse", "--db", db_url, "--workers", "0", "--dry-run", "--diff-out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 reports would change" in text and "(dry run: nothing written)" in text
    assert "checks fail -> pass: 2 (t3_flow 2)" in text and "became parseable: 2" in text
    assert read_csv(out)[1] == want_rows
    with Archive.open(db_url) as archive:
        after = (
            archive.stats(),
            [archive.report_history(s.report_id) for s in stored],
            list(archive.export_records()),
        )
        assert after == before
        runs = archive.parse_runs()
        assert [(r["dry_run"], r["outcome"], r["run_id"]) for r in runs] == [(True, "finished", None)]
        assert {k: runs[0]["counts"][k] for k in want} == want
    # the real run then reports exactly what the dry run announced
    real = run_reparse(db_url, workers=0, progress=io.StringIO())
    assert {k: real.counts[k] for k in want} == want


def test_filters_select_reports(sqlite_url: str) -> None:
    stored = populate(sqlite_url, 8)  # report i: year 2019 + i % 3, kind KINDS[i % 4]

    def current_versions() -> set[int]:
        with Archive.open(sqlite_url) as archive:
            return {
                x.report_id
                for x in stored
                if archive.report_history(x.report_id)[-1]["parser_version"] == PARSER_VERSION
            }

    def run(**kw: object) -> tuple[int, int]:
        s = run_reparse(sqlite_url, workers=0, progress=io.StringIO(), **kw)  # type: ignore[arg-type]
        return s.counts["selected"], s.counts["reparsed"]

    ids = [x.report_id for x in stored]
    assert run(only_failed=True) == (2, 2)  # the two stored as no_tables
    assert current_versions() == {ids[3], ids[7]}
    assert run(year=[2020]) == (3, 2)  # reports 1, 4, 7; 7 is done
    assert current_versions() == {ids[1], ids[3], ids[4], ids[7]}
    assert run(agency=["第5局", "第6局"]) == (2, 2)
    assert run(since_version=OLD_VERSION) == (8, 0)  # nothing is older than 0.9.0
    assert run(since_version="0.10") == (8, 2)  # reports 0 and 2
    assert current_versions() == set(ids)
    assert run() == (8, 0)


def test_attachment_report_is_assembled_like_the_crawl(db_url: str) -> None:
    spec = spec_for(1)
    att_url = "http://127.0.0.1:8999/files/report.docx"
    html = (
        f'<html><head><meta charset="utf-8"><title>{spec.title}</title></head><body><h1>{spec.title}</h1>'
        f"<p>发布日期：2021-01-20</p><p>{spec.agency}2020年政府信息公开工作年度报告全文见附件。</p>"
        f'<p>附件：<a href="{att_url}">{spec.title}.docx</a></p></body></html>'
    ).encode()
    page = FetchedResponse(
        url="http://127.0.0.1:8999/xxgk/a.html",
        final_url="http://127.0.0.1:8999/xxgk/a.html",
        status=200,
        body=html,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
    )
    docx = render_docx(spec)
    att = FetchedResponse(
        url=att_url,
        final_url=att_url,
        status=200,
        body=docx,
        response_headers=[
            ("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        ],
    )
    page_parsed = current_parse(page)
    att_parsed = parse_document(docx, att_url, {"content-type": att.response_headers[0][1]})
    assert wants_attachments(page_parsed) and len(att_parsed.cells) > 100
    want = combine(page_parsed, att_parsed)
    old = degrade(page_parsed, "same")  # an old parser that never looked at the attachment
    with Archive.open(db_url) as archive:
        rec = archive.record_report(
            run_id=None, portal=PORTAL, page=page, parsed=old, attachments=[(att, old)]
        )
    s = run_reparse(db_url, workers=0, progress=io.StringIO())
    assert (s.counts["changed"], s.counts["became_parseable"], s.counts["errors"]) == (1, 1, 0)
    with Archive.open(db_url) as archive:
        (record,) = list(archive.export_records())
        hist = archive.report_history(rec.report_id)
    assert record["cells"] == {k: c.value for k, c in sorted(want.cells.items())}
    assert record["source"] == "docx" and record["title"] == want.metadata.title
    assert record["capture"] == hashlib.sha256(docx).hexdigest()  # parsed_from: the attachment
    assert [h["is_current"] for h in hist] == [False, True]


def test_report_moves_when_the_new_parse_names_another_year(db_url: str) -> None:
    page = page_for(5)
    good = current_parse(page)
    from dataclasses import replace

    old = replace(degrade(good, "drop3"), metadata=replace(good.metadata, year=2015))
    with Archive.open(db_url) as archive:
        rec = archive.record_report(run_id=None, portal=PORTAL, page=page, parsed=old)
    s = run_reparse(db_url, workers=0, progress=io.StringIO())
    assert (s.counts["changed"], s.counts["moved"]) == (1, 1)
    with Archive.open(db_url) as archive:
        records = list(archive.export_records())
        assert [h["is_current"] for h in archive.report_history(rec.report_id)] == [False]
    assert [(r["agency"], r["year"]) for r in records] == [(good.metadata.agency, good.metadata.year)]


def test_stale_write_is_a_conflict_and_left_alone(db_url: str) -> None:
    (s,) = populate(db_url, 1, kinds=("drop3",))
    with Archive.open(db_url) as archive:
        stale = archive.report_history(s.report_id)[0]["id"]
        # a crawl records a newer version meanwhile
        archive.record_report(run_id=None, portal=PORTAL, page=s.page, parsed=s.good)
        pid = archive.start_parse_run(
            parser_version="x", filters={}, workers=0, dry_run=False, owner="t", run_id=None
        )
        got = archive.apply_reparse_batch(
            pid,
            [ReparseWrite(s.report_id, stale, s.good, [], s.page.url, PORTAL)],
            run_id=None,
            last_report_id=s.report_id,
            counts={"n": 1},
        )
        assert got == ["conflict"]
        assert [h["is_current"] for h in archive.report_history(s.report_id)] == [False, True]
        assert archive.parse_run_info(pid)["last_report_id"] == s.report_id


def test_reparse_while_a_crawl_writes(sqlite_url: str) -> None:
    """SQLite WAL: the re-parse's batches and a crawl's record_report queue on the busy timeout."""
    populate(sqlite_url, 12)
    errors: list[BaseException] = []

    def crawl() -> None:
        try:
            populate(sqlite_url, 12, start=100)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    t = threading.Thread(target=crawl)
    t.start()
    s = run_reparse(sqlite_url, workers=2, progress=io.StringIO())
    t.join()
    assert not errors
    assert s.counts["errors"] == 0 and s.counts["reparsed"] >= 12
    s2 = run_reparse(sqlite_url, workers=0, progress=io.StringIO())
    assert s2.counts["reparsed"] + s.counts["reparsed"] == 24 and s2.counts["errors"] == 0


# --- pure parts ----------------------------------------------------------------------------------


def test_version_order_and_selection() -> None:
    assert version_key("1.10.0") > version_key("1.9.2") > version_key("1.9") > version_key("bench")
    assert not needs_reparse("1.0.0", "1.0.0", None)
    assert not needs_reparse("2.0.0", "1.0.0", None)  # written by a newer parser: never downgraded
    assert needs_reparse("0.9.0", "1.0.0", None) and needs_reparse("", "1.0.0", None)
    assert needs_reparse("0.9.0", "1.0.0", "0.10") and not needs_reparse("0.9.0", "1.0.0", "0.9.0")
    assert main(["reparse", "--db", "x.db", "--since-version", "latest"]) == 2


def test_assemble_prefers_attachment_cells_like_the_crawl() -> None:
    def res(status: str, n: int) -> ParseResult:
        return ParseResult(status=status, cells={f"k{i}": Cell(f"k{i}", i, str(i)) for i in range(n)})  # type: ignore[arg-type]

    page = res("no_tables", 0)
    page.attachments = [Link("a.pdf", "a")]
    atts = [res("not_report", 0), res("partial", 5), res("ok", 5), res("ok", 3)]
    assert best_attachment(atts) == 2  # most cells, then ok; first wins ties
    final, i = assemble_report(page, atts)
    assert i == 2 and final.cells == atts[2].cells and final.attachments == page.attachments
    page_with_cells = res("partial", 4)
    assert not wants_attachments(res("ok", 4)) and wants_attachments(page)
    assert assemble_report(page_with_cells, [res("not_report", 0)]) == (page_with_cells, None)
    assert assemble_report(page_with_cells, [res("ok", 1)])[1] == 0  # an attachment with cells wins
    assert assemble_report(page, []) == (page, None)


def test_progress_lines_without_a_terminal() -> None:
    out = io.StringIO()
    bar = Progress(10, out, interval=0)
    bar.update(4)
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("reparse: 4/10 reports (40%)") and "/s ETA" in lines[0]
    assert "\r" not in out.getvalue()


def test_summary_text() -> None:
    from nianbao.reparse import Summary, empty_counts

    counts = empty_counts() | {
        "selected": 3,
        "reparsed": 3,
        "changed": 2,
        "unchanged": 1,
        "fail_to_pass_by_check": {"t3_flow": 1},
        "checks_fail_to_pass": 1,
    }
    text = format_summary(Summary(7, "1.0.0", counts, "finished", False, 2, 1.5))
    assert "reparse run 7 (parser 1.0.0, 2 worker(s)): finished" in text
    assert "2 reports changed" in text and "checks fail -> pass: 1 (t3_flow 1)" in text


# --- what the compact hand-over writes ------------------------------------------------------------


def _current_content(archive: Archive, report_id: int) -> dict[str, object]:
    """The current version's own columns and its content rows, as stored."""
    from sqlalchemy import text

    from storage.writes import VERSION_FIELDS

    (version,) = [h for h in archive.report_history(report_id) if h["is_current"]]
    out: dict[str, object] = {k: version[k] for k in VERSION_FIELDS}
    with archive._engine.connect() as conn:
        for table, cols in (
            ("cells", "key, value, raw"),
            ("checks", '"check", instance, verdict, detail'),
            ("sections", "key, text"),
        ):
            rows = conn.execute(
                text(f"SELECT {cols} FROM {table} WHERE version_id = :v"), {"v": version["id"]}
            )
            out[table] = sorted(tuple(r) for r in rows)
    return out


@pytest.mark.parametrize("workers_write", [True, False], ids=["workers-write", "parent-writes"])
def test_reparsed_versions_hold_exactly_what_the_crawl_would_store(
    db_url: str, tmp_path: Path, workers_write: bool
) -> None:
    """The workers send new versions as compact columns, not ParseResults: the rows written must be
    the very rows record_report writes for the same parse (every version column, cells, checks
    with their details, sections), and the content hash the crawl's, so a later crawl of the same
    page finds the report unchanged. Whoever writes the batches: the workers or the parent."""
    stored = populate(db_url, 4, kinds=("drop3", "value", "empty", "worse"))
    summary = run_reparse(db_url, workers=2, progress=io.StringIO(), workers_write=workers_write)
    assert summary.counts["changed"] == 4
    crawl_db = f"sqlite:///{tmp_path / 'crawl.db'}"
    with Archive.open(db_url) as archive, Archive.open(crawl_db) as crawl:
        for s in stored:
            rec = crawl.record_report(run_id=None, portal=PORTAL, page=s.page, parsed=s.good)
            got, want = _current_content(archive, s.report_id), _current_content(crawl, rec.report_id)
            assert got == want, s.kind
            again = archive.record_report(run_id=None, portal=PORTAL, page=s.page, parsed=s.good)
            assert (again.report_id, again.change) == (s.report_id, "unchanged")


def test_cell_diff_lists_added_removed_and_changed_cells_by_key() -> None:
    from nianbao.reparse import cell_diff

    old = {"a": (1.0, "1"), "b": (2.0, "2"), "d": (None, None), "e": (5.0, "5")}
    new = [("a", 1.0, "1"), ("b", 3.0, "3"), ("c", 4.0, "4"), ("d", None, ""), ("e", 5.0, "五")]
    assert cell_diff(old, new) == [
        ("b", 2.0, 3.0, "2", "3", "changed"),
        ("c", None, 4.0, None, "4", "added"),
        ("e", 5.0, 5.0, "5", "五", "changed"),
    ]
    assert cell_diff(old, [("a", 1.0, "1")]) == [
        ("b", 2.0, None, "2", None, "removed"),
        ("d", None, None, None, None, "removed"),
        ("e", 5.0, None, "5", None, "removed"),
    ]
    assert cell_diff({}, []) == [] and cell_diff(old, [(k, *v) for k, v in old.items()]) == []


def test_cell_diff_reads_stored_documents_whatever_their_number_form() -> None:
    """Documents PostgreSQL's migration 0003 packed hold integers (318), the archive writes floats
    (318.0): equal numbers are no change, and a change reports the old value as a float."""
    from nianbao.reparse import cell_diff
    from storage import content_docs

    old = content_docs.decode('{"a":[318,"318"],"b":[7,"7"],"c":[1.5,"1.5"]}')
    assert cell_diff(old, [("a", 318.0, "318"), ("b", 7.0, "7"), ("c", 1.5, "1.5")]) == []
    assert cell_diff(old, [("a", 318.0, "318"), ("b", 8.0, "8")]) == [
        ("b", 7.0, 8.0, "7", "8", "changed"),
        ("c", 1.5, None, "1.5", None, "removed"),
    ]
    assert all(type(v) is float for _, v, _, _, _, _ in cell_diff(old, []) if v is not None)


def test_cell_diff_when_only_the_hash_changed_and_when_a_stored_cell_differs(sqlite_url: str) -> None:
    """A new content hash makes the re-parse read the old cells document: equal to the new one, no
    cell is listed (the document is not even decoded); one stored value altered, exactly that cell."""
    from sqlalchemy import text

    stored = populate(sqlite_url, 2, kinds=("same",))
    with Archive.open(sqlite_url) as archive, archive._engine.begin() as conn:
        conn.execute(text("UPDATE report_versions SET content_hash = 'x' || substr(content_hash, 2), parser_version = :v"),
                     {"v": OLD_VERSION})  # fmt: skip
        vid = conn.execute(
            text("SELECT id FROM report_versions WHERE report_id = :r AND is_current"), {"r": stored[1].report_id}
        ).scalar_one()
        doc = conn.execute(text("SELECT cells FROM version_cells WHERE version_id = :v"), {"v": vid}).scalar_one()
        key = sorted(stored[1].good.cells)[0]
        old = stored[1].good.cells[key]
        altered = doc.replace(f'"{key}":[{float(old.value)!r},', f'"{key}":[{float(old.value) + 1000!r},', 1)
        assert altered != doc
        conn.execute(text("UPDATE version_cells SET cells = :d WHERE version_id = :v"), {"d": altered, "v": vid})
    out = Path(sqlite_url.removeprefix("sqlite:///")).with_name("diff.csv")
    c = run_reparse(sqlite_url, workers=0, diff_out=out, progress=io.StringIO()).counts
    assert (c["changed"], c["cells_changed"], c["cells_added"], c["cells_removed"]) == (2, 1, 0, 0)
    _header, rows = read_csv(out)
    assert [r[3:6] for r in rows] == [(key, _fmt(old.value + 1000), _fmt(old.value))]


def test_the_parent_writes_unless_postgresql_workers_fill_every_core() -> None:
    assert default_workers_write("postgresql", workers=2, cores=2)
    assert default_workers_write("postgresql", workers=4, cores=2)
    assert not default_workers_write("postgresql", workers=1, cores=2)  # the spare core writes
    assert not default_workers_write("sqlite", workers=2, cores=2)  # one writer anyway


def test_the_fork_server_is_started_with_the_parser_before_any_pool_exists() -> None:
    """pool_context starts the fork server at once, preloading the parser, so its imports run
    while the parent opens the archive rather than after, and a worker forks with the parser and
    the PDF libraries loaded (run in a fresh interpreter: this test process may have a fork
    server of its own already)."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from proc_helpers import descendants\n"
        "from nianbao.reparse import pool_context\n"
        "ctx = pool_context()\n"
        "cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in descendants(os.getpid())]\n"
        "print(ctx.get_start_method(), any(b'forkserver import main' in c and b'nianbao.reparse' in c for c in cmds))\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from proc_helpers import imported\n"
        "with ProcessPoolExecutor(1, mp_context=ctx) as pool:\n"  # a worker, before its first report
        "    print(*pool.map(imported, ['crawler.parsing.tables', 'pdfplumber', 'crawler.parsing.attachments.pdf']))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["forkserver", "True", "True", "True", "True"]
