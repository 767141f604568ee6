"""Archive API on both dialects: blobs, captures, runs, record_report and its change detection."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event
from storage_helpers import OTHER_PORTAL, PORTAL, not_report, page, report

from storage.archive import Archive, ArchiveError
from storage.blobs import sha256_hex


@pytest.fixture
def archive(migrated_db_url: str):
    with Archive.open(migrated_db_url) as a:
        yield a


def test_same_payload_twice_is_one_blob(archive: Archive) -> None:
    body = ("<html><body>" + "政府信息公开工作年度报告 " * 200 + "</body></html>").encode()
    first = archive.store_capture(page("http://127.0.0.1/a.html", body), None)
    second = archive.store_capture(page("http://127.0.0.1/b.html", body), None)
    assert first.sha256 == second.sha256 == sha256_hex(body)
    assert (first.new_blob, second.new_blob) == (True, False)
    assert first.id != second.id
    stats = archive.stats()
    assert stats["captures"] == 2 and stats["blobs"] == 1
    assert stats["blob_stored_bytes"] < stats["blob_bytes"] == len(body)  # compressed
    assert archive.read_blob(first.sha256) == body


def test_tiny_and_binary_payloads_round_trip(archive: Archive) -> None:
    for body in (b"", b"ok", bytes(range(256)) * 3):
        ref = archive.store_capture(page("http://127.0.0.1/x", body), None)
        assert archive.read_blob(ref.sha256) == body
    with pytest.raises(KeyError):
        archive.read_blob("0" * 64)


def test_repeated_headers_kept_in_order(archive: Archive) -> None:
    headers = [
        ("Set-Cookie", "a=1; Path=/"),
        ("Content-Type", "text/html; charset=GBK"),
        ("set-cookie", "b=2"),
        ("ETag", '"abc"'),
        ("Set-Cookie", "c=3"),
        ("Last-Modified", "Wed, 21 Oct 2020 07:28:00 GMT"),
    ]
    response = page("http://127.0.0.1/h", b"<html>x</html>", headers=headers)
    response.redirect_chain = ["http://127.0.0.1/old", "http://127.0.0.1/older"]
    response.declared_encoding, response.detected_encoding, response.encoding_rule = "gbk", "gb18030", "http-header"
    ref = archive.store_capture(response, None)
    info = archive.capture_info(ref.id)
    assert info is not None
    assert [tuple(h) for h in info["response_headers"]] == headers
    assert info["redirect_chain"] == ["http://127.0.0.1/old", "http://127.0.0.1/older"]
    assert info["content_type"] == "text/html; charset=GBK"
    assert info["etag"] == '"abc"'
    assert info["last_modified"] == "Wed, 21 Oct 2020 07:28:00 GMT"
    assert (info["declared_encoding"], info["detected_encoding"], info["encoding_rule"]) == (
        "gbk", "gb18030", "http-header")
    assert info["request_headers"] == [["User-Agent", "nianbao-test"]]


def test_validators_pick_newest_2xx_by_requested_or_final_url(archive: Archive) -> None:
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert archive.validators_for("http://127.0.0.1/r") is None
    old = page("http://127.0.0.1/r", b"v1", headers=[("ETag", '"1"')], fetched_at=t0)
    archive.store_capture(old, None)
    new = page("http://127.0.0.1/r", b"v2", headers=[("ETag", '"2"'), ("Last-Modified", "LM")],
               fetched_at=t0 + dt.timedelta(days=1))
    new.final_url = "http://127.0.0.1/r2"
    ref = archive.store_capture(new, None)
    archive.store_capture(page("http://127.0.0.1/r", b"gone", status=404, fetched_at=t0 + dt.timedelta(days=2)), None)
    for url in ("http://127.0.0.1/r", "http://127.0.0.1/r2"):
        v = archive.validators_for(url)
        assert v is not None
        assert (v.capture_id, v.etag, v.last_modified, v.status, v.sha256) == (ref.id, '"2"', "LM", 200, ref.sha256)


def test_runs(archive: Archive) -> None:
    run = archive.start_run("crawl", {"DOWNLOAD_DELAY": 0.5, "portals": ["山阳县"]})
    info = archive.run_info(run)
    assert info is not None and info["outcome"] == "running" and info["settings"]["portals"] == ["山阳县"]
    archive.finish_run(run, "finished_with_errors", {"山阳县": {"pages": 3, "errors": 1}})
    info = archive.run_info(run)
    assert info is not None
    assert info["outcome"] == "finished_with_errors" and info["finished_at"] is not None
    assert info["stats"] == {"山阳县": {"pages": 3, "errors": 1}}
    with pytest.raises(ArchiveError, match="no crawl run"):
        archive.finish_run(run + 100, "failed", {})
    assert archive.stats()["runs"] == 1
    # whatever Scrapy settings / crawl stats hold, the run is recorded as plain JSON
    odd = archive.start_run("crawl", {"cls": Archive, "hosts": {"b", "a"}, "when": dt.date(2024, 1, 2)})
    archive.finish_run(odd, "finished", {"p": {"started": dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC), "n": (1, 2)}})
    info = archive.run_info(odd)
    assert info is not None
    assert info["settings"] == {"cls": str(Archive), "hosts": ["a", "b"], "when": "2024-01-02"}
    assert info["stats"] == {"p": {"started": "2024-01-02 03:04:00+00:00", "n": [1, 2]}}


def test_record_new_unchanged_changed_keeps_history(archive: Archive) -> None:
    run = archive.start_run("crawl", {})
    url = "http://127.0.0.1/info/1/1.htm"
    first = archive.record_report(run_id=run, portal=PORTAL, page=page(url, "<p>v1</p>"), parsed=report())
    assert first.change == "new" and first.report_id is not None and first.version_id is not None
    # refetched page (different bytes, e.g. a visit counter) but identical parse -> unchanged
    again = archive.record_report(run_id=run, portal=PORTAL, page=page(url, "<p>v1 visits=2</p>"), parsed=report())
    assert again.change == "unchanged"
    assert (again.report_id, again.version_id) == (first.report_id, first.version_id)
    # corrected figure -> new current version, old one kept as history
    changed = archive.record_report(run_id=run, portal=PORTAL, page=page(url, "<p>v2</p>"),
                                    parsed=report(new_received=13))
    assert changed.change == "changed"
    assert changed.report_id == first.report_id and changed.version_id != first.version_id
    history = archive.report_history(first.report_id)
    assert [(h["version_no"], bool(h["is_current"])) for h in history] == [(1, False), (2, True)]
    assert history[0]["superseded_at"] is not None and history[1]["superseded_at"] is None
    assert history[0]["content_hash"] != history[1]["content_hash"]
    stats = archive.stats()
    assert (stats["reports"], stats["report_versions"], stats["captures"], stats["agencies"]) == (1, 2, 3, 1)
    records = list(archive.export_records())
    assert len(records) == 1
    rec = records[0]
    assert rec["cells"]["t3.new_received.total"] == 13
    assert rec["capture"] == sha256_hex(b"<p>v2</p>")
    # export shape is exactly the CLI contract of ParseResult.to_record
    expected = report(new_received=13).to_record(url=url, capture=sha256_hex(b"<p>v2</p>"), region_code="611024")
    assert rec == expected


def test_same_agency_other_year_and_other_region_are_separate_reports(archive: Archive) -> None:
    a = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
    b = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/2", "2"),
                              parsed=report(year=2021))
    c = archive.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/3", "3"),
                              parsed=report())
    assert len({a.report_id, b.report_id, c.report_id}) == 3
    assert {a.change, b.change, c.change} == {"new"}
    assert archive.stats()["agencies"] == 2  # same name, two regions


def test_not_report_keeps_captures_only(archive: Archive) -> None:
    out = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/news", "news"),
                                parsed=not_report())
    assert out.change == "not_report" and out.report_id is None and len(out.capture_ids) == 1
    stats = archive.stats()
    assert (stats["captures"], stats["reports"], stats["report_versions"]) == (1, 0, 0)


def test_unknown_agency_and_year_never_dropped(archive: Archive) -> None:
    p1 = report(agency=None, year=None, kind=None)
    p2 = report(agency=None, year=None, kind=None, new_received=3)
    r1 = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/u1", "u1"), parsed=p1)
    r2 = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/u2", "u2"), parsed=p2)
    assert r1.change == r2.change == "new"
    assert r1.report_id != r2.report_id  # undated reports at different URLs are different reports
    r3 = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/u1", "u1"), parsed=p1)
    assert r3.change == "unchanged" and r3.report_id == r1.report_id
    agencies = {rec["agency"] for rec in archive.export_records()}
    assert agencies == {"山阳县人民政府(未识别单位)"}


def test_attachment_report_links_captures_and_capture_is_the_attachment(archive: Archive) -> None:
    pdf = b"%PDF-1.7 fake attachment " * 10
    att = page("http://127.0.0.1/att/report.pdf", pdf, headers=[("Content-Type", "application/pdf")])
    out = archive.record_report(
        run_id=None, portal=PORTAL, page=page("http://127.0.0.1/p.htm", "<a href=att/report.pdf>附件</a>"),
        parsed=report(), attachments=[(att, report())], parsed_from="http://127.0.0.1/att/report.pdf",
    )
    assert out.change == "new" and len(out.capture_ids) == 2
    (rec,) = archive.export_records()
    assert rec["capture"] == sha256_hex(pdf)
    assert rec["url"] == "http://127.0.0.1/p.htm"


class _Boom(RuntimeError):
    pass


def test_record_report_is_one_transaction(archive: Archive) -> None:
    """An insert failing mid-way (sections, after captures/blobs/agency/report/version/cells) leaves nothing."""
    engine = archive._engine

    def fail_on_sections(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO SECTIONS"):
            raise _Boom("disk on fire")

    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/ok", "ok"), parsed=report(year=2019))
    before = archive.stats()
    event.listen(engine, "before_cursor_execute", fail_on_sections)
    try:
        with pytest.raises(_Boom):
            archive.record_report(
                run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/p", "<p>new page</p>"),
                parsed=report(agency="城口县人民政府"),
                attachments=[(page("http://127.0.0.1/a.pdf", b"%PDF new attachment"), report())],
            )
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_sections)
    assert archive.stats() == before
    assert archive.validators_for("http://127.0.0.1/p") is None
    with pytest.raises(KeyError):
        archive.read_blob(sha256_hex(b"<p>new page</p>"))
    # and the archive still works afterwards
    out = archive.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/p", "<p>new page</p>"),
                                parsed=report(agency="城口县人民政府"))
    assert out.change == "new"


def test_checks_store_instances_and_report_level_verdicts(archive: Archive) -> None:
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/c", "c"), parsed=report())
    (rec,) = archive.export_records()
    assert rec["checks"] == {"t3_flow": "pass", "t4_subtotals": "fail"}
    assert rec["cells"]["t3.partial.total"] is None
    assert rec["cells"]["t2.art20_9.procurement.amount"] == 251000


def test_export_filters(archive: Archive) -> None:
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/1", "1"), parsed=report())
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/2", "2"),
                          parsed=report(agency="山阳县财政局", year=2021, template="v2021", kind="department"))
    archive.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/3", "3"),
                          parsed=report(agency="城口县人民政府"))

    def agencies(**f):  # type: ignore[no-untyped-def]
        return sorted((r["agency"], r["year"]) for r in archive.export_records(**f))

    assert len(agencies()) == 3
    assert agencies(year=[2021]) == [("山阳县财政局", 2021)]
    assert agencies(year=2020) == [("城口县人民政府", 2020), ("山阳县人民政府", 2020)]
    assert agencies(region="6110") == [("山阳县人民政府", 2020), ("山阳县财政局", 2021)]
    assert agencies(region=["商洛市"]) == agencies(region="陕西") == agencies(region="山阳县")
    assert agencies(region="重庆") == [("城口县人民政府", 2020)]
    assert agencies(agency="财政") == [("山阳县财政局", 2021)]
    assert agencies(agency=["财政", "城口"]) == [("城口县人民政府", 2020), ("山阳县财政局", 2021)]
    assert agencies(template=["v2021"]) == [("山阳县财政局", 2021)]
    assert agencies(region="5002", year=[2021]) == []
    assert agencies(agency="%") == []  # LIKE wildcards are literal
    with pytest.raises(TypeError, match="unknown export filter"):
        archive.export_records(county="x")


def test_agency_alias_files_reports_under_one_agency(archive: Archive) -> None:
    first = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/a1", "a1"),
                                  parsed=report(year=2020))
    assert archive.add_agency_alias("山阳县人民政府", "611024", "山阳县政府") is True
    assert archive.add_agency_alias("不存在的单位", "611024", "x") is False
    second = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/a2", "a2"),
                                   parsed=report(agency="山阳县政府", year=2020, new_received=99))
    assert second.report_id == first.report_id and second.change == "changed"
    assert archive.stats()["agencies"] == 1
    # the alias only applies within its region
    other = archive.record_report(run_id=None, portal=OTHER_PORTAL, page=page("http://127.0.0.1/a3", "a3"),
                                  parsed=report(agency="山阳县政府", year=2020))
    assert other.report_id != first.report_id and archive.stats()["agencies"] == 2


def test_agency_kind_filled_in_later(archive: Archive) -> None:
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/k1", "k1"),
                          parsed=report(year=2019, kind=None))
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/k2", "k2"),
                          parsed=report(year=2020, kind="county_government"))
    from sqlalchemy import text

    with archive._read() as conn:
        kinds = conn.execute(text("SELECT kind FROM agencies")).scalars().all()
    assert kinds == ["county_government"]


def test_integrity_problems_detects_broken_archives(archive: Archive) -> None:
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/i", "i"), parsed=report())
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/i", "i2"),
                          parsed=report(new_received=2))
    archive.store_capture(page("http://127.0.0.1/list", "list"), None)
    assert archive.integrity_problems() == []
    from sqlalchemy import text

    # what constraints cannot prevent: an orphan blob and a report with no version at all
    with archive._write() as conn:
        conn.execute(text("INSERT INTO blobs (sha256, codec, size, stored_size, data) "
                          "VALUES ('ab', 'identity', 1, 1, :d)"), {"d": b"x"})
        agency = conn.execute(text("SELECT id FROM agencies")).scalar_one()
        conn.execute(text("INSERT INTO reports (agency_id, year) VALUES (:a, 1999)"), {"a": agency})
    assert archive.integrity_problems() == [
        "1 blob(s) not referenced by any capture",
        "1 report(s) without exactly one current version",
    ]


def test_long_parser_strings_and_region_codes(archive: Archive, caplog: pytest.LogCaptureFixture) -> None:
    """Whatever a parser or a web page produces is stored on PostgreSQL exactly as on SQLite."""
    from crawler.parsing.result import Cell, CheckResult
    from storage.records import PortalInfo

    parsed = report()
    long_key = "t9." + "x" * 300
    parsed.cells[long_key] = Cell(long_key, 1.5, "一点五" * 100)
    parsed.checks.append(CheckResult("t3_row_total_" + "y" * 100, "z" * 300, "pass", "d" * 5000))
    parsed.sections["s" * 200] = "文" * 20000
    parsed.parser_version = "v" * 200
    response = page("http://127.0.0.1/long", "x")
    response.declared_encoding = "text/html; charset=" + "g" * 200
    twelve = PortalInfo(name="镇", region_code="611024100000", province="陕西省", city="商洛市", county="山阳县")
    out = archive.record_report(run_id=None, portal=twelve, page=response, parsed=parsed)
    assert out.change == "new"
    bogus = PortalInfo(name="某地", region_code="not-a-code")
    archive.record_report(run_id=None, portal=bogus, page=page("http://127.0.0.1/b", "b"), parsed=report(agency="某单位"))
    assert "not a 6-digit division code" in caplog.text
    recs = {r["agency"]: r for r in archive.export_records()}
    assert recs["山阳县人民政府"]["region_code"] == "611024"
    assert recs["山阳县人民政府"]["cells"][long_key] == 1.5
    assert recs["山阳县人民政府"]["parser_version"] == "v" * 200
    assert recs["某单位"]["region_code"] is None


def test_nul_and_lone_surrogates_do_not_lose_a_report(archive: Archive) -> None:
    """PostgreSQL TEXT rejects NUL and no driver encodes lone surrogates: both dialects store the
    report with those characters dropped/replaced instead of failing."""
    from crawler.parsing.result import Cell

    parsed = report(agency="山阳县\x00人民政府")
    parsed.metadata.title = "年度报告\x00\udcff"
    parsed.cells["t3.granted.total"] = Cell("t3.granted.total", 5, "5\x00件\ud800")
    parsed.sections["overview"] = "总体\x00情况"
    response = page("http://127.0.0.1/nul", b"body with \x00 is fine: bytes",
                    headers=[("X-Odd", "a\x00b"), ("Content-Type", "text/html")])
    out = archive.record_report(run_id=None, portal=PORTAL, page=response, parsed=parsed)
    assert out.change == "new"
    (rec,) = archive.export_records()
    assert rec["agency"] == "山阳县人民政府"
    assert rec["title"] == "年度报告\ufffd"
    assert archive.read_blob(rec["capture"]) == b"body with \x00 is fine: bytes"
    info = archive.capture_info(out.capture_ids[0])
    assert info is not None and info["response_headers"][0] == ["X-Odd", "ab"]
    from sqlalchemy import text

    with archive._read() as conn:
        raw = conn.execute(text("SELECT raw FROM cells WHERE key = 't3.granted.total'")).scalar_one()
        section = conn.execute(text("SELECT text FROM sections WHERE key = 'overview'")).scalar_one()
    assert (raw, section) == ("5件\ufffd", "总体情况")


def test_export_order_is_the_same_on_both_dialects(archive: Archive) -> None:
    from storage.records import PortalInfo

    nowhere = PortalInfo(name="无区划门户")
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/o1", "1"), parsed=report(year=2021))
    archive.record_report(run_id=None, portal=nowhere, page=page("http://127.0.0.1/o2", "2"), parsed=report(agency="A"))
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/o3", "3"),
                          parsed=report(year=None))
    archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/o4", "4"), parsed=report(year=2020))
    got = [(r["region_code"], r["agency"], r["year"]) for r in archive.export_records()]
    assert got == [(None, "A", 2020), ("611024", "山阳县人民政府", None), ("611024", "山阳县人民政府", 2020),
                   ("611024", "山阳县人民政府", 2021)]


def test_parsed_from_unknown_attachment_credits_the_page(archive: Archive, caplog: pytest.LogCaptureFixture) -> None:
    out = archive.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/pp", "page body"),
                                parsed=report(), parsed_from="http://127.0.0.1/not-fetched.pdf")
    assert out.change == "new"
    assert "names no attachment" in caplog.text
    (rec,) = archive.export_records()
    assert rec["capture"] == sha256_hex(b"page body")


def test_export_streams_in_batches(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import exports

    monkeypatch.setattr(exports, "BATCH", 2)
    for i in range(5):
        archive.record_report(run_id=None, portal=PORTAL, page=page(f"http://127.0.0.1/s{i}", f"s{i}"),
                              parsed=report(agency=f"单位{i}", new_received=i))
    records = list(archive.export_records())
    assert [(r["agency"], r["cells"]["t3.new_received.total"]) for r in records] == [
        (f"单位{i}", i) for i in range(5)]
    assert all(r["checks"] == {"t3_flow": "pass", "t4_subtotals": "fail"} for r in records)
