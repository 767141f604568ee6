"""Batches committed out of order (PostgreSQL workers write their own) and a resume after them:
the parse_runs row stays exact (contiguous last_report_id + committed ranges beyond it), a restart
skips what was committed without counting it twice, and the batched writer stores exactly what
the one-report-at-a-time writer did. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from reparse_helpers import OLD_VERSION, populate

from crawler.parsing import PARSER_VERSION
from nianbao import reparse as rp
from storage.archive import Archive
from storage.reparse_store import advance, merge_counts

N = 40  # with BATCH 16: three batches, ids 1-16, 17-32, 33-40
FILTERS = {"agency": [], "year": [], "only_failed": False, "since_version": None}
SQL_FILTERS = {"agency": [], "year": [], "only_failed": False}


def test_advance_joins_committed_ranges() -> None:
    assert advance(0, [], (0, 16)) == (16, [])
    assert advance(0, [], (16, 32)) == (0, [[16, 32]])
    assert advance(0, [[16, 32]], (32, 40)) == (0, [[16, 32], [32, 40]])
    assert advance(0, [[16, 32], [32, 40]], (0, 16)) == (40, [])
    # a resumed run cuts its batches differently: ranges overlap the old ones
    assert advance(10, [[16, 32], [40, 50]], (10, 20)) == (32, [[40, 50]])
    assert advance(60, [[16, 32]], (60, 70)) == (70, [])


def test_merge_counts_adds_batches() -> None:
    total = {"changed": 1, "fail_to_pass_by_check": {"a": 1}, "error_samples": ["x"], "_done": [[1, 2]]}
    delta = {
        "changed": 2,
        "fail_to_pass_by_check": {"a": 1, "b": 1},
        "error_samples": ["y"] * 12,
        "_done": [[5, 6]],
    }
    assert merge_counts(total, delta) == {
        "changed": 3,
        "fail_to_pass_by_check": {"a": 2, "b": 1},
        "error_samples": ["x"] + ["y"] * 9,
        "_done": [[1, 2]],
    }


def _versions(archive: Archive, report_id: int) -> list[tuple[int, bool, str]]:
    return [
        (h["version_no"], h["is_current"], h["parser_version"]) for h in archive.report_history(report_id)
    ]


@pytest.mark.timeout(120)
def test_out_of_order_commit_then_resume_is_exact(db_url: str) -> None:
    stored = populate(db_url, N, kinds=("drop3", "value", "same"))
    ids = sorted(s.report_id for s in stored)
    with Archive.open(db_url) as archive:
        batches = list(rp._batches(archive, SQL_FILTERS, 0, PARSER_VERSION, None))
        assert [(b.after, b.mark, len(b.ids)) for b in batches] == [
            (0, ids[15], 16),
            (ids[15], ids[31], 16),
            (ids[31], ids[-1], 8),
        ]
        pid = archive.start_parse_run(
            parser_version=PARSER_VERSION,
            filters=FILTERS,
            workers=2,
            dry_run=False,
            owner="elsewhere:1",
            run_id=None,
        )
        # the second and third batches commit (as another worker would), the first never does
        deltas = []
        for b in batches[2], batches[1]:
            outcomes = [rp.reparse_one(s, PARSER_VERSION) for s in archive.reparse_inputs(b.ids)]
            delta, run_id = rp.write_batch(archive, b, outcomes, pid, None)
            assert run_id is not None
            deltas.append(delta)
        row = archive.parse_run_info(pid)
        assert row is not None and row["run_id"] == run_id
        assert (row["last_report_id"] or 0) == 0 and row["counts"]["_done"] == [
            [ids[15], ids[31]],
            [ids[31], ids[-1]],
        ]
        assert row["counts"]["reparsed"] == 24 == sum(d["reparsed"] for d in deltas)
        for s in stored:
            done = s.report_id > ids[15]
            if s.kind == "same":
                assert _versions(archive, s.report_id) == [(1, True, PARSER_VERSION if done else OLD_VERSION)]
            elif done:
                assert _versions(archive, s.report_id) == [(1, False, OLD_VERSION), (2, True, PARSER_VERSION)]
            else:
                assert _versions(archive, s.report_id) == [(1, True, OLD_VERSION)]
        archive.finish_parse_run(pid, "interrupted", None)

    summary = rp.run_reparse(db_url, workers=0, progress=io.StringIO())
    c = summary.counts
    assert summary.parse_run_id == pid and summary.outcome == "finished"
    changed = sum(s.kind != "same" for s in stored)
    assert (c["reparsed"], c["skipped_current"], c["changed"], c["unchanged"], c["errors"]) == (
        N,
        0,
        changed,
        N - changed,
        0,
    )
    # the parse time covers what this invocation parsed: the first batch only
    assert summary.parsed_in_run == 16 and summary.parse_cpu_seconds > 0
    with Archive.open(db_url) as archive:
        row = archive.parse_run_info(pid)
        assert row is not None and row["outcome"] == "finished" and row["counts"] == c and "_done" not in c
        assert row["run_id"] == run_id and archive.run_info(run_id)["kind"] == "reparse"
        for s in stored:  # nothing written twice
            want = (
                [(1, True, PARSER_VERSION)]
                if s.kind == "same"
                else [(1, False, OLD_VERSION), (2, True, PARSER_VERSION)]
            )
            assert _versions(archive, s.report_id) == want
        records = {(r["agency"], r["year"]): r for r in archive.export_records()}
        for s in stored:
            rec = records[(s.good.metadata.agency, s.good.metadata.year)]
            assert rec["cells"] == {k: v.value for k, v in sorted(s.good.cells.items())}
            assert rec["checks"] == dict(sorted(s.good.verdicts.items()))
        assert archive.stats()["cells"] == sum(len(s.old.cells) for s in stored) + sum(
            len(s.good.cells) for s in stored if s.kind != "same"
        )


@pytest.mark.timeout(120)
def test_workers_writing_on_sqlite_store_the_same(sqlite_url: str) -> None:
    """Workers may write their own batches on SQLite too (the default there is the parent alone):
    the busy lock serialises them, the result is the same as the single writer's."""
    stored = populate(sqlite_url, 36, kinds=("drop3", "value", "same"))
    summary = rp.run_reparse(sqlite_url, workers=2, workers_write=True, progress=io.StringIO())
    c = summary.counts
    changed = sum(s.kind != "same" for s in stored)
    assert (c["reparsed"], c["changed"], c["unchanged"], c["errors"], c["conflicts"]) == (
        36,
        changed,
        36 - changed,
        0,
        0,
    )
    with Archive.open(sqlite_url) as archive:
        row = archive.parse_run_info(summary.parse_run_id)
        assert (
            row is not None
            and row["counts"] == c
            and row["last_report_id"] == max(s.report_id for s in stored)
        )
        for s in stored:
            want = (
                [(1, True, PARSER_VERSION)]
                if s.kind == "same"
                else [(1, False, OLD_VERSION), (2, True, PARSER_VERSION)]
            )
            assert _versions(archive, s.report_id) == want
        assert archive.stats()["cells"] == sum(len(s.old.cells) for s in stored) + sum(
            len(s.good.cells) for s in stored if s.kind != "same"
        )
