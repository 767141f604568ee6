"""`nianbao reparse`: run the current parser over the archived captures of the selected reports.

How it runs (and why):
- The parent streams candidate report ids from the archive by keyset pages, so memory stays flat
  however large the archive is. Reports whose current version was already produced (or confirmed)
  by this parser version are skipped without reading a blob.
- Worker processes (forkserver/spawn: no inherited SQLAlchemy connections) each open the archive,
  read a batch of reports (captures, blobs, old checks and sections), parse page and attachments
  exactly like the crawl (parse_document + crawler.parsing.assemble), and diff the result against
  the stored version. Parsing is the CPU cost, so it is what runs in parallel; everything else is
  kept small because it adds to it report by report:
  - the archive's content hash decides: an equal hash (plus equal status, checks and sections) is
    "unchanged" and only the parser version is confirmed; the old cells (one JSON document per
    version) are read, for the whole batch at once, only for reports whose hash changed, to list
    the changed cells;
  - a changed report travels as compact plain columns ready to insert
    (storage.reparse_store.NewContent), never as a ParseResult: pickling ~200 Cell dataclasses
    between processes cost more than the database write itself.
- Each batch of whole reports is written with the run's progress in ONE transaction
  (Archive.apply_reparse_batch, a few statements per batch rather than per report). On PostgreSQL
  with a worker per core the workers write their own batches, so writes run in parallel like the
  parsing; otherwise (SQLite has one writer anyway; or a core is left over for the parent) the
  parent writes every batch, in selection order. Batches may thus commit out of order: each adds its
  counts to the parse_runs row and its id range to the committed ones; last_report_id is the end of
  the contiguous committed prefix, the ranges beyond it are kept in counts["_done"]. A SIGKILL
  leaves every report fully old or fully new; a restart with the same parser version and filters
  resumes the dead run's row after last_report_id, skipping the committed ranges, so its counts stay
  exact (and any report done anyway is skipped cheaply: it is at the current parser version).
- ``--dry-run`` parses and diffs but writes no report data (only its parse_runs row, flagged
  dry_run, so the preview is on record).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import logging
import multiprocessing
import os
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)

PAGE = 512  # candidates read per keyset query
BATCH = 16  # reports per worker task and per write transaction: the smallest (see batch_size)
MAX_BATCH = 48  # the largest: per-batch costs (queries, statements, commit, task) are spread thinner
# Imported once by the forkserver, so every worker forks with the parser (and what its first report
# would import: tables, checks, sections...) and the archive code already loaded.
FORKSERVER_PRELOAD = [
    "nianbao.reparse",
    "crawler.parsing.dispatch",
    "crawler.parsing.assemble",
    "crawler.parsing.html",
    "crawler.parsing.report",
    "crawler.parsing.tables",
    "crawler.parsing.checks",
    "crawler.parsing.sections",
    # a worker's first PDF would otherwise import pdfplumber, pdfminer and pypdfium2 (~150 ms each
    # worker), its first undeclared page charset_normalizer
    "crawler.parsing.attachments.pdf",
    "crawler.parsing.attachments.pdf_layer",
    "crawler.parsing.attachments.docx",
    "pdfplumber",
    "charset_normalizer",
    "storage.archive",
]
STALE_HEARTBEAT = dt.timedelta(minutes=10)  # another host's run counts as dead after this long silent
PARSEABLE = ("ok", "partial")  # the parser found and mapped the tables (or a free-text report)
CSV_COLUMNS = ("report_id", "agency", "year", "key", "old_value", "new_value", "old_raw", "new_raw")


# --- versions -------------------------------------------------------------------------------------


def version_key(version: str) -> tuple[int, tuple[Any, ...]]:
    """Orderable key of a parser version ("1.10.0" > "1.9.2"); a non-numeric one sorts first."""
    parts = re.split(r"[.\-+]", version or "")
    if not parts[0].isdigit():
        return (0, (version or "",))
    key: list[tuple[int, int, str]] = []
    for part in parts:
        m = re.fullmatch(r"(\d*)(.*)", part)
        assert m is not None
        key.append((1, int(m[1]), m[2]) if m[1] else (0, 0, m[2]))
    return (1, tuple(key))


def needs_reparse(stored: str, current: str, since: str | None) -> bool:
    """Re-parse a report last parsed by ``stored``: never when it is the current parser (nothing
    can change) or a newer one; with --since-version only when older than ``since``."""
    if stored == current or version_key(stored) > version_key(current):
        return False
    return since is None or version_key(stored) < version_key(since)


# --- what a worker returns ------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One report re-parsed: the write to make (None for an error) and its diff."""

    report_id: int
    agency: str
    year: int | None
    write: Any = None  # storage.reparse_store.ReparseWrite
    changed: bool = False
    identity_changed: bool = False
    cell_changes: list[tuple[str, Any, Any, Any, Any, str]] = field(
        default_factory=list
    )  # ..., added|removed|changed; left out by workers when no --diff-out CSV wants them
    cell_tally: tuple[int, int, int] = (0, 0, 0)  # cells changed in all, of which added, removed
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_fail: list[str] = field(default_factory=list)
    was_parseable: bool = False
    now_parseable: bool = False
    error: str = ""
    new_hash: str = ""  # the archive's content hash of the new result
    parse_cpu: float = 0.0  # CPU seconds parse_stored took in the worker (the run's own parse baseline)


def joined_headers(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Stored [name, value] pairs -> the lower-cased, ", "-joined mapping the crawl passes."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def parse_stored(stored: Any) -> tuple[Any, int | None, list[Any]]:
    """(final ParseResult, index of the attachment used or None, attachment captures considered),
    mirroring the crawl: parse the page; when it wants its files, parse the stored ones and let
    crawler.parsing.assemble choose."""
    from crawler.parsing.assemble import assemble_report, wants_attachments
    from crawler.parsing.dispatch import parse_document

    page = stored.page
    page_parsed = parse_document(page.body, page.final_url, joined_headers(page.headers), status=page.status)
    # The crawl looks at a page's files only when the page is a report without tables of its own.
    if not page_parsed.is_report or not stored.attachments or not wants_attachments(page_parsed):
        return page_parsed, None, []
    parsed_atts = [
        parse_document(a.body, a.final_url, joined_headers(a.headers), status=a.status)
        for a in stored.attachments
    ]
    final, index = assemble_report(page_parsed, parsed_atts)
    return final, index, list(stored.attachments)


@dataclass(slots=True)
class _Staged:
    """A parsed report waiting for its diff (which may need the old cells, read for a whole batch)."""

    stored: Any  # storage.reparse_store.StoredReport
    parsed: Any  # the final ParseResult
    index: int | None  # the attachment the cells came from
    atts: list[Any]  # the attachment captures considered
    chash: str  # the archive's content hash of ``parsed``
    content: Any  # storage.reparse_store.NewContent when changed, else None (nothing to write)
    cells: list[tuple[str, float | None, str]]  # (key, value, raw) of ``parsed``, sorted by key
    parse_cpu: float = 0.0  # CPU seconds of parse_stored

    @property
    def changed(self) -> bool:
        return self.content is not None

    @property
    def needs_cells(self) -> bool:
        """The cell diff needs the old cells only when the content hash (which covers every cell)
        differs: an unchanged report, or one whose checks/sections/status alone changed, has
        exactly the stored cells."""
        return self.content is not None and self.chash != self.stored.content_hash


def _fingerprint_new(parsed: Any, chash: str) -> tuple[Any, ...]:
    """What a researcher sees of the new result, in the stored form (cleaned text, check rows as
    the archive names them), so it compares equal to an unchanged stored version."""
    from storage.reparse_store import stored_check_rows, stored_sections
    from storage.writes import clean

    return (
        chash,
        parsed.status,
        clean(parsed.message) or "",
        tuple(sorted(stored_check_rows(parsed))),
        tuple(sorted(stored_sections(parsed))),
    )


def _fingerprint_old(stored: Any) -> tuple[Any, ...]:
    return (
        stored.content_hash,
        stored.parse_status,
        stored.parse_message or "",
        tuple(stored.checks),
        tuple(sorted(stored.sections.items())),
    )


def _stage(stored: Any) -> _Staged:
    """Parse one stored report, hash it, and when anything differs from the stored version build
    the new version's content in the archive's compact form (an unchanged report needs none)."""
    from storage.reparse_store import new_content
    from storage.writes import cell_tuples, content_hash

    started = time.process_time()
    parsed, index, atts = parse_stored(stored)
    parse_cpu = time.process_time() - started
    cells = cell_tuples(parsed)
    chash = content_hash(parsed, cells)
    content = None
    # A new content hash is a change for sure; only an equal one needs the rest compared.
    if chash != stored.content_hash or _fingerprint_new(parsed, chash) != _fingerprint_old(stored):
        content = new_content(parsed, stored.page.final_url or stored.page.url, cells, chash)
    return _Staged(stored, parsed, index, atts, chash, content, cells, parse_cpu)


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def cell_diff(
    old: Mapping[str, Sequence[Any]], new: Sequence[tuple[Any, ...]]
) -> list[tuple[str, Any, Any, Any, Any, str]]:
    """(key, old value, new value, old raw, new raw, added|removed|changed) per differing cell, by
    key; ``old``: {key: (value, raw)}; ``new``: (key, value, raw) rows sorted by key. Values compare
    as numbers (318 == 318.0); a raw text of "" equals a missing one."""
    out: list[tuple[str, Any, Any, Any, Any, str]] = []
    for key, nv, nraw in new:
        o = old.get(key)
        if o is None:
            out.append((key, None, nv, None, nraw, "added"))
        elif o[0] != nv or (o[1] or "") != (nraw or ""):
            out.append((key, _as_float(o[0]), nv, o[1], nraw, "changed"))
    if len(old) + sum(1 for c in out if c[5] == "added") != len(new):  # some old keys are gone
        keys = {row[0] for row in new}
        out += [
            (key, _as_float(ov), None, oraw, None, "removed") for key, (ov, oraw) in old.items() if key not in keys
        ]
        out.sort(key=lambda c: c[0])
    return out


def _finish(
    st: _Staged, parser_version: str, old_cells: Mapping[str, Sequence[Any]] | str | None
) -> Outcome:
    """The diff of one report and the write that records it. A report is "changed" when anything
    a researcher sees differs: metadata, cells, template/source (the archive's content hash),
    status/message, check rows, sections. Otherwise only the confirming parser version is written.
    ``old_cells``: the stored cells, needed only when the content hash changed: decoded, or the
    stored document (storage.content_docs), which when equal to the new one means no cell changed."""
    from storage import content_docs
    from storage import writes as w
    from storage.reparse_store import ReparseWrite

    stored, parsed, content = st.stored, st.parsed, st.content
    out = Outcome(report_id=stored.report_id, agency=stored.agency, year=stored.year)
    out.was_parseable = stored.parse_status in PARSEABLE
    out.now_parseable = parsed.status in PARSEABLE
    out.new_hash = st.chash
    out.parse_cpu = st.parse_cpu
    out.changed = st.changed
    if not st.changed:
        out.write = ReparseWrite(
            report_id=stored.report_id,
            expected_version_id=stored.version_id,
            parsed=None,
            parser_version=parser_version,
        )
        return out
    if st.needs_cells and not (isinstance(old_cells, str) and old_cells == content.cells[1]):
        old = content_docs.decode(old_cells) if isinstance(old_cells, str) else (old_cells or {})
        out.cell_changes = cell_diff(old, w.clean_rows(st.cells, (0, 2)))
        kinds = [c[5] for c in out.cell_changes]
        out.cell_tally = (len(kinds), kinds.count("added"), kinds.count("removed"))
    new_verdicts = parsed.verdicts
    for name in sorted(set(stored.verdicts) | set(new_verdicts)):
        before, after = stored.verdicts.get(name), new_verdicts.get(name)
        if before == "fail" and after == "pass":
            out.fail_to_pass.append(name)
        elif before == "pass" and after == "fail":
            out.pass_to_fail.append(name)
    md = parsed.metadata
    agency = (md.agency or "").strip()
    out.identity_changed = bool(
        parsed.is_report and agency and (agency != stored.agency or md.year != stored.year)
    )
    links = [(stored.page.capture_id, "page", st.index is None)]
    links += [(a.capture_id, "attachment", i == st.index) for i, a in enumerate(st.atts)]
    moving = out.identity_changed  # only then does the writer look at the metadata and the portal
    out.write = ReparseWrite(
        report_id=stored.report_id,
        expected_version_id=stored.version_id,
        parsed=parsed if moving else None,
        links=links,
        url=stored.page.final_url or stored.page.url,
        portal=stored.portal if moving else None,
        same_identity=not moving,
        content=content,
    )
    return out


def _failed(stored: Any, exc: Exception) -> Outcome:
    log.error("re-parsing report %s failed", stored.report_id, exc_info=exc)
    return Outcome(stored.report_id, stored.agency, stored.year, error=f"{type(exc).__name__}: {exc}")


def reparse_many(
    stored: Sequence[Any],
    parser_version: str,
    read_cells: Callable[[list[int]], dict[int, str]] | None = None,
) -> list[Outcome]:
    """Parse and diff a batch of stored reports; never raises (an error is an Outcome with
    ``error``). Reports read without their old cells (``StoredReport.cells`` None) get them from
    ``read_cells(version ids)`` ({version id: stored cells document}), one call for the batch and
    only for those whose content hash changed."""
    staged: list[_Staged | Outcome] = []
    for s in stored:
        if s.page is None:
            staged.append(Outcome(s.report_id, s.agency, s.year, error="no stored page capture"))
            continue
        try:
            staged.append(_stage(s))
        except Exception as exc:  # one report must not stop the run; it is counted and reported
            staged.append(_failed(s, exc))
    need = [st for st in staged if isinstance(st, _Staged) and st.needs_cells and st.stored.cells is None]
    cells = read_cells([st.stored.version_id for st in need]) if need and read_cells is not None else {}
    out: list[Outcome] = []
    for st in staged:
        if isinstance(st, Outcome):
            out.append(st)
            continue
        try:
            old = st.stored.cells if st.stored.cells is not None else cells.get(st.stored.version_id)
            out.append(_finish(st, parser_version, old))
        except Exception as exc:
            out.append(_failed(st.stored, exc))
    return out


def reparse_one(stored: Any, parser_version: str) -> Outcome:
    """Parse one stored report (read with its cells) and diff it; never raises."""
    return reparse_many([stored], parser_version)[0]


def reparse_ids(archive: Any, report_ids: list[int], parser_version: str) -> list[Outcome]:
    """Read, parse and diff the reports ``report_ids`` (old cells read only where needed)."""
    return reparse_many(
        archive.reparse_inputs(report_ids, cells=False), parser_version, archive.reparse_old_cells
    )


# --- workers --------------------------------------------------------------------------------------

_worker_archive: Any = None
_worker_run_id: int | None = None


def _init_worker(db_url: str, parent_pid: int, writable: bool = False) -> None:
    """Open the archive (for reading only unless the workers write their batches). The parent
    already checked the schema revision, so the worker skips Archive.open's Alembic check
    (importing Alembic costs about a second per worker).

    A killed parent cannot tell its pool to stop, and an idle worker would wait on its queue forever:
    a watchdog thread ends the worker once the parent is gone."""
    global _worker_archive
    from storage.archive import Archive, open_engine

    logging.getLogger("crawler").setLevel(logging.ERROR)
    engine, where = open_engine(db_url)
    _worker_archive = Archive(engine, where, readonly=not writable)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="parent-watchdog").start()
    # Keep the start-up heap out of every later full collection (as crawler.workers does): measured,
    # 20-30% less worker CPU besides parsing.
    gc.freeze()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(3)
        except PermissionError:
            pass


def _work(report_ids: list[int], keep_writes: bool = True, keep_cell_changes: bool = True) -> list[Outcome]:
    """Parse and diff a batch; ``keep_writes`` False (a dry run): the new versions are not sent back;
    ``keep_cell_changes`` False (no --diff-out CSV): only the per-report cell counts are (a changed
    report can list ~200 changed cells, all pickled to the parent for nothing)."""
    from crawler.parsing.dispatch import PARSER_VERSION

    outcomes = reparse_ids(_worker_archive, report_ids, PARSER_VERSION)
    for out in outcomes:
        if not keep_writes:
            out.write = None
        if not keep_cell_changes:
            out.cell_changes = []
    return outcomes


def _work_and_write(
    batch: Batch, parse_run_id: int, run_id: int | None, keep_cell_changes: bool = True
) -> tuple[list[Outcome], dict[str, Any]]:
    """Parse a batch and write it in this worker's own transaction; returns the outcomes (without
    their parse results: the parent needs only the diff) and the counts committed with them."""
    global _worker_run_id
    outcomes = _work(batch.ids, True, keep_cell_changes)
    delta, run = write_batch(_worker_archive, batch, outcomes, parse_run_id, run_id or _worker_run_id)
    if run is not None:
        _worker_run_id = run
    for out in outcomes:
        out.write = None
    return outcomes, delta


@dataclass(slots=True)
class Batch:
    """Reports to re-parse (``ids``) covering the selection's id range (after, mark]; ``skipped``
    candidates of that range were at the current parser version already."""

    ids: list[int]
    after: int
    mark: int
    skipped: int


def tally(
    outcomes: Sequence[Outcome], results: Sequence[str] | None, skipped: int, dry_run: bool
) -> dict[str, Any]:
    """One batch's counts; ``results``: apply_reparse_batch's per-write outcomes (None: nothing written)."""
    delta = empty_counts()
    delta["skipped_current"] = skipped
    for out in outcomes:
        _record(delta, out, dry_run, None)
    writes = [o.write for o in outcomes if o.write is not None]
    for write, res in zip(writes, results or (), strict=False):
        if res == "moved":
            delta["moved"] += 1
        elif res == "conflict":  # a crawl made another version current: nothing was written
            delta["conflicts"] += 1
            delta["changed" if write.changes else "unchanged"] -= 1
    return delta


def write_batch(
    archive: Any, batch: Batch, outcomes: Sequence[Outcome], parse_run_id: int, run_id: int | None
) -> tuple[dict[str, Any], int | None]:
    """Write a batch and its progress in one transaction; (its counts, the versions' crawl run id)."""
    from crawler.parsing.dispatch import PARSER_VERSION

    writes = [o.write for o in outcomes if o.write is not None]
    got: dict[str, Any] = {}

    def counted(results: list[str]) -> dict[str, Any]:
        got["delta"] = tally(outcomes, results, batch.skipped, False)
        return got["delta"]

    result = archive.apply_reparse_batch(
        parse_run_id,
        writes,
        run_id=run_id,
        last_report_id=batch.mark,
        span=(batch.after, batch.mark),
        tally=counted,
        run_settings={"parser_version": PARSER_VERSION, "parse_run_id": parse_run_id},
    )
    return got["delta"], result.run_id


# --- progress -------------------------------------------------------------------------------------


class Progress:
    """A carriage-return line on a terminal, a log line every few seconds otherwise."""

    def __init__(self, total: int, stream: TextIO, *, interval: float | None = None) -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.start = time.monotonic()
        self.last = 0.0
        self.done = 0
        self.shown = -1

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0)
        eta = f"{left / rate:,.0f} s" if rate > 0 else "?"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return f"reparse: {self.done:,}/{self.total:,} reports ({pct:.0f}%) {rate:,.1f}/s ETA {eta}"

    def update(self, done: int) -> None:
        """``done``: reports dealt with so far (skipped ones included)."""
        self.done = done
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._emit()

    def _emit(self) -> None:
        self.shown = self.done
        if self.tty:
            self.stream.write("\r" + self.line() + "\033[K")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.total and self.shown != self.done:
            self._emit()
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()


# --- the run --------------------------------------------------------------------------------------


def empty_counts() -> dict[str, Any]:
    return {
        "selected": 0,
        "skipped_current": 0,
        "reparsed": 0,
        "changed": 0,
        "unchanged": 0,
        "moved": 0,
        "conflicts": 0,
        "errors": 0,
        "cells_changed": 0,
        "cells_added": 0,
        "cells_removed": 0,
        "checks_fail_to_pass": 0,
        "checks_pass_to_fail": 0,
        "fail_to_pass_by_check": {},
        "pass_to_fail_by_check": {},
        "became_parseable": 0,
        "stopped_parseable": 0,
        "error_samples": [],
    }


@dataclass(slots=True)
class Summary:
    parse_run_id: int
    parser_version: str
    counts: dict[str, Any]
    outcome: str
    dry_run: bool
    workers: int
    seconds: float
    resumed_from: int | None = None  # last_report_id the run resumed after
    # The reports this invocation parsed (a resumed run's earlier part not included) and the CPU
    # seconds the parser itself took over them in the workers
    parsed_in_run: int = 0
    parse_cpu_seconds: float = 0.0

    @property
    def parse_share(self) -> float | None:
        """The share of the run's worker time that went into parsing: the parse CPU of this run
        over its wall seconds x workers (1 for an in-process run). The rest is the archive's cost
        (reading, hashing, writing, start-up) and whatever else ran on the machine. None when
        nothing was parsed. It is the re-parse rate over the pure parse rate x workers, with the
        pure parse rate measured in the same run, on the same reports, at the same time."""
        if self.parse_cpu_seconds <= 0 or self.seconds <= 0:
            return None
        return self.parse_cpu_seconds / (self.seconds * max(self.workers, 1))

    @property
    def parse_cpu_each(self) -> float | None:
        """CPU seconds the parser took per report parsed in this run (None when none was)."""
        return self.parse_cpu_seconds / self.parsed_in_run if self.parsed_in_run else None


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_dead(row: dict[str, Any]) -> bool:
    owner = row.get("owner") or ""
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    beat = row.get("heartbeat_at")
    if beat is None:
        return True
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - beat > STALE_HEARTBEAT


def _record(counts: dict[str, Any], out: Outcome, dry_run: bool, writer: Any) -> None:
    counts["reparsed"] += 1
    if out.error:
        counts["errors"] += 1
        if len(counts["error_samples"]) < 10:
            counts["error_samples"].append(f"report {out.report_id}: {out.error}")
        return
    if not out.changed:
        counts["unchanged"] += 1
        return
    counts["changed"] += 1
    if dry_run and out.identity_changed:
        counts["moved"] += 1
    changed, added, removed = out.cell_tally
    counts["cells_changed"] += changed
    counts["cells_added"] += added
    counts["cells_removed"] += removed
    if writer is not None:
        write_rows(writer, out)
    for name in out.fail_to_pass:
        counts["checks_fail_to_pass"] += 1
        counts["fail_to_pass_by_check"][name] = counts["fail_to_pass_by_check"].get(name, 0) + 1
    for name in out.pass_to_fail:
        counts["checks_pass_to_fail"] += 1
        counts["pass_to_fail_by_check"][name] = counts["pass_to_fail_by_check"].get(name, 0) + 1
    if out.now_parseable and not out.was_parseable:
        counts["became_parseable"] += 1
    if out.was_parseable and not out.now_parseable:
        counts["stopped_parseable"] += 1


def write_rows(writer: Any, out: Outcome) -> None:
    """The --diff-out CSV rows of one report."""
    for key, ov, nv, oraw, nraw, _kind in out.cell_changes:
        writer.writerow(
            (
                out.report_id,
                out.agency,
                "" if out.year is None else out.year,
                key,
                _fmt(ov),
                _fmt(nv),
                "" if oraw is None else oraw,
                "" if nraw is None else nraw,
            )
        )


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def batch_size(selected: int, workers: int) -> int:
    """Reports per batch: as many as MAX_BATCH (each batch costs a few queries, a transaction and a
    pool task whatever its size), but small enough that every worker gets several batches of a
    small selection."""
    if workers <= 0:
        return MAX_BATCH
    return max(BATCH, min(MAX_BATCH, selected // (workers * 4)))


def _batches(
    archive: Any,
    filters: dict[str, Any],
    after: int,
    current: str,
    since: str | None,
    done: Sequence[Sequence[int]] = (),
    size: int = BATCH,
) -> Iterator[Batch]:
    """The selection in id order, cut into batches that together cover every id after ``after``
    (skipped ones too, so the committed ranges join up). Ids inside ``done`` ranges (committed by
    an interrupted attempt of this run, and counted then) are left out and not counted again."""
    done = [(int(a), int(b)) for a, b in done]
    prev = after
    while True:
        page = archive.reparse_candidates(filters, after, PAGE)
        if not page:
            return
        todo: list[int] = []
        skipped = 0
        for c in page:
            if any(a < c.report_id <= b for a, b in done):
                continue
            if needs_reparse(c.parser_version, current, since):
                todo.append(c.report_id)
            else:
                skipped += 1
            if len(todo) == size:
                yield Batch(todo, prev, c.report_id, skipped)
                prev, todo, skipped = c.report_id, [], 0
        after = page[-1].report_id
        if after > prev:
            yield Batch(todo, prev, after, skipped)
            prev = after


def run_reparse(
    db_url: str | None,
    *,
    workers: int | None = None,
    agency: Sequence[str] = (),
    year: Sequence[int] = (),
    since_version: str | None = None,
    only_failed: bool = False,
    dry_run: bool = False,
    diff_out: str | Path | None = None,
    progress: TextIO | None = None,
    start_method: str | None = None,
    workers_write: bool | None = None,
) -> Summary:
    """Re-parse the selected reports; see the module docstring. ``workers=0`` parses in-process.
    ``workers_write``: the workers write their own batches (default: default_workers_write)."""
    from crawler.parsing.dispatch import PARSER_VERSION
    from storage.archive import Archive

    workers = (os.cpu_count() or 1) if workers is None else max(int(workers), 0)
    filters = {
        "agency": sorted(set(agency)),
        "year": sorted(set(int(y) for y in year)),
        "only_failed": only_failed,
        "since_version": since_version,
    }
    t0 = time.monotonic()
    # before the archive is opened (schema check, counts): the workers' imports overlap with that
    ctx = pool_context(start_method) if workers > 0 else None
    archive = Archive.open(db_url)
    writer_file = open(diff_out, "w", newline="", encoding="utf-8") if diff_out else None  # noqa: SIM115
    try:
        writer = csv.writer(writer_file) if writer_file is not None else None
        if writer is not None:
            writer.writerow(CSV_COLUMNS)
        owner = _owner()
        resumed_from: int | None = None
        counts = empty_counts()
        done: list[list[int]] = []
        parse_run_id: int | None = None
        run_id: int | None = None
        if not dry_run:
            for row in archive.unfinished_parse_runs(PARSER_VERSION):
                dead = row["outcome"] == "interrupted" or _owner_dead(row)
                if (
                    row["filters"] == filters
                    and dead
                    and archive.claim_parse_run(
                        row["id"], old_owner=row["owner"], owner=owner, workers=workers
                    )
                ):
                    parse_run_id, run_id = int(row["id"]), row["run_id"]
                    resumed_from = int(row["last_report_id"] or 0)
                    counts.update(row["counts"] or {})
                    done = counts.pop("_done", None) or []
                    break
        if parse_run_id is None:
            parse_run_id = archive.start_parse_run(
                parser_version=PARSER_VERSION,
                filters=filters,
                workers=workers,
                dry_run=dry_run,
                owner=owner,
                run_id=run_id,
            )
        after = resumed_from or 0
        sql_filters = {"agency": filters["agency"], "year": filters["year"], "only_failed": only_failed}
        total_selected = archive.count_reparse_candidates(sql_filters)
        counts["selected"] = total_selected
        bar = Progress(total_selected, progress if progress is not None else sys.stderr)
        bar.done = counts["skipped_current"] + counts["reparsed"] if resumed_from is not None else 0
        outcome = "finished"
        parsed_in_run, parse_cpu = 0, 0.0
        try:
            parsed_in_run, parse_cpu = _drive(
                archive,
                workers,
                ctx,
                _batches(
                    archive,
                    sql_filters,
                    after,
                    PARSER_VERSION,
                    since_version,
                    done,
                    batch_size(total_selected, workers),
                ),
                counts,
                parse_run_id,
                run_id,
                dry_run,
                writer,
                bar,
                workers_write,
            )
        except BaseException:
            bar.close()
            try:  # the counts stay those committed with the batches, matching last_report_id and _done
                archive.finish_parse_run(parse_run_id, "interrupted", None)
            except Exception:
                log.exception("could not record the interruption of parse run %s", parse_run_id)
            raise
        bar.done = counts["skipped_current"] + counts["reparsed"]
        bar.close()
        if counts["errors"]:
            outcome = "finished_with_errors"
        archive.finish_parse_run(parse_run_id, outcome, counts)
        if not dry_run:
            run_id = (archive.parse_run_info(parse_run_id) or {}).get("run_id")
        if run_id is not None:
            archive.finish_run(run_id, outcome, {"parse_run_id": parse_run_id, **_short(counts)})
        return Summary(
            parse_run_id,
            PARSER_VERSION,
            counts,
            outcome,
            dry_run,
            workers,
            time.monotonic() - t0,
            resumed_from,
            parsed_in_run,
            parse_cpu,
        )
    finally:
        if writer_file is not None:
            writer_file.close()
        archive.close()


def _short(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in counts.items() if not isinstance(v, (dict, list))}


def _drive(
    archive: Any,
    workers: int,
    ctx: multiprocessing.context.BaseContext | None,
    batches: Iterator[Batch],
    counts: dict[str, Any],
    parse_run_id: int,
    run_id: int | None,
    dry_run: bool,
    writer: Any,
    bar: Progress,
    workers_write: bool | None = None,
) -> tuple[int, float]:
    """Feed the batches to the workers and take their results in order: the parent writes them
    (SQLite, dry run, in-process) or the workers already did (PostgreSQL). Either way the parent
    keeps the run's counts (the same sums the batches committed), the CSV and the progress line.
    The crawl_runs row the new versions point at is created with the first new version, so a
    no-op run adds none. Returns the number of outcomes and the CPU seconds the parser took over them."""
    from crawler.parsing.dispatch import PARSER_VERSION
    from storage.reparse_store import merge_counts

    state: dict[str, Any] = {"run_id": run_id, "parsed": 0, "parse_cpu": 0.0}

    def take(batch: Batch, outcomes: list[Outcome], delta: dict[str, Any] | None) -> None:
        state["parsed"] += len(outcomes)
        state["parse_cpu"] += sum(out.parse_cpu for out in outcomes)
        if delta is None:
            if dry_run:
                delta = tally(outcomes, None, batch.skipped, True)
            else:
                delta, state["run_id"] = write_batch(archive, batch, outcomes, parse_run_id, state["run_id"])
        merge_counts(counts, delta)
        if writer is not None:
            for out in outcomes:
                write_rows(writer, out)
        bar.update(counts["skipped_current"] + counts["reparsed"])

    if workers == 0:
        for batch in batches:
            take(batch, reparse_ids(archive, batch.ids, PARSER_VERSION), None)
        return int(state["parsed"]), float(state["parse_cpu"])
    assert ctx is not None  # run_reparse made it for any workers > 0
    if workers_write is None:
        workers_write = default_workers_write(archive._engine.dialect.name, workers, os.cpu_count() or 1)
    workers_write = workers_write and not dry_run
    db = archive_url(archive)
    inflight: deque[tuple[Future[Any], Batch]] = deque()

    def finish(fut: Future[Any], batch: Batch) -> None:
        if workers_write:
            outcomes, delta = fut.result()
            take(batch, outcomes, delta)
        else:
            take(batch, fut.result(), None)

    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(db, os.getpid(), workers_write),
    ) as pool:
        try:
            for batch in batches:
                if workers_write:
                    inflight.append(
                        (pool.submit(_work_and_write, batch, parse_run_id, run_id, writer is not None), batch)
                    )
                else:
                    inflight.append((pool.submit(_work, batch.ids, not dry_run, writer is not None), batch))
                while len(inflight) >= workers * 3:
                    finish(*inflight.popleft())
            while inflight:
                finish(*inflight.popleft())
        except BaseException:
            for fut, _ in inflight:
                fut.cancel()
            raise
    return int(state["parsed"]), float(state["parse_cpu"])


def pool_context(start_method: str | None = None) -> multiprocessing.context.BaseContext:
    """The workers' multiprocessing context: forkserver where the platform has it, else spawn.
    The fork server is started at once, not at the pool's first task: it imports the parser
    (FORKSERVER_PRELOAD, ~0.6 s) while the caller opens the archive and plans the batches, instead
    of after. Idempotent: a running fork server is reused."""
    method = start_method or (
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":  # workers fork from a server that has the parser imported already
        ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return ctx


def default_workers_write(dialect: str, workers: int, cores: int) -> bool:
    """Whether the workers write their own batches: on PostgreSQL once they occupy every core, so
    the writes run in parallel like the parsing. While a core is left over (1 worker on 2 cores),
    the parent writes on it, and the worker only parses. SQLite has one writer anyway: the parent,
    in order, without lock waits."""
    return dialect == "postgresql" and workers >= cores


def archive_url(archive: Any) -> str:
    """The archive's URL with its password, for worker processes (never printed)."""
    return archive._engine.url.render_as_string(hide_password=False)


# --- the command ----------------------------------------------------------------------------------


def format_summary(s: Summary, where: str = "") -> str:
    c = s.counts
    verb = "would change" if s.dry_run else "changed"
    lines = [
        f"reparse run {s.parse_run_id} (parser {s.parser_version}, {s.workers} worker(s){', ' + where if where else ''})"
        f": {s.outcome}{' (dry run: nothing written)' if s.dry_run else ''}"
        + (f", resumed after report id {s.resumed_from}" if s.resumed_from else ""),
        f"  selected {c['selected']:,} reports; {c['skipped_current']:,} already parsed by parser "
        f"{s.parser_version} or newer / outside --since-version (skipped); {c['reparsed']:,} re-parsed in "
        f"{s.seconds:.1f} s ({c['reparsed'] / max(s.seconds, 1e-9):,.1f} reports/s)",
        f"  {c['changed']:,} reports {verb} ({c['moved']:,} to another agency/year), {c['unchanged']:,} unchanged, "
        f"{c['conflicts']:,} conflicts (a crawl wrote them meanwhile), {c['errors']:,} errors",
        f"  cells {verb}: {c['cells_changed']:,} ({c['cells_added']:,} added, {c['cells_removed']:,} removed)",
        f"  checks fail -> pass: {c['checks_fail_to_pass']:,}{_by(c['fail_to_pass_by_check'])}; "
        f"pass -> fail: {c['checks_pass_to_fail']:,}{_by(c['pass_to_fail_by_check'])}",
        f"  became parseable: {c['became_parseable']:,}; stopped being parseable: {c['stopped_parseable']:,}",
    ]
    share, each = s.parse_share, s.parse_cpu_each
    if share is not None and each is not None:
        whose = "workers'" if s.workers else "run's"  # workers 0: the parent parsed in-process
        lines.insert(
            2,
            f"  parsing took {share:.0%} of the {whose} time ({1000 * each:.1f} ms CPU per report); "
            "the rest went to reading, hashing, writing and start-up",
        )
    lines += [f"  error: {e}" for e in c.get("error_samples", [])]
    return "\n".join(lines)


def _by(d: dict[str, int]) -> str:
    return " (" + ", ".join(f"{k} {v}" for k, v in sorted(d.items())) + ")" if d else ""


def run_reparse_command(args: argparse.Namespace) -> int:
    """`nianbao reparse`: 0 finished, 1 finished with report errors, 2 could not run."""
    if args.workers is not None and args.workers < 0:
        print("nianbao reparse: --workers must be >= 0 (0: parse in this process)", file=sys.stderr)
        return 2
    if args.since_version is not None and version_key(args.since_version)[0] == 0:
        print(
            f"nianbao reparse: --since-version {args.since_version!r} is not a version like 1.2.0",
            file=sys.stderr,
        )
        return 2
    if args.diff_out:
        parent = Path(args.diff_out).expanduser().absolute().parent
        if not parent.is_dir():
            print(f"nianbao reparse: directory {parent} for --diff-out does not exist", file=sys.stderr)
            return 2
    summary = run_reparse(
        args.db,
        workers=args.workers,
        agency=args.agency or (),
        year=args.year or (),
        since_version=args.since_version,
        only_failed=args.only_failed,
        dry_run=args.dry_run,
        diff_out=args.diff_out,
    )
    print(format_summary(summary))
    return 1 if summary.counts["errors"] else 0
