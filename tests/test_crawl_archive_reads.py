"""The two archive reads the crawler makes at scale: validators loaded per host, current report URLs.

Both replace a per-request / whole-export query, so each must give exactly the answer of the query it
replaces (``validators_for`` per URL, the URLs of ``export_records``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from crawl_helpers import report_html

from crawler.parsing.dispatch import parse_document
from storage.archive import Archive
from storage.records import FetchedResponse

A = "http://127.0.0.5:8080/"
B = "http://127.0.0.55:8080/"  # shares A's text prefix up to the port: must not leak into A
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _resp(url: str, status: int = 200, etag: str | None = None, *, final: str | None = None, minutes: int = 0,
          body: bytes = b"<html>x</html>") -> FetchedResponse:
    headers = [("Content-Type", "text/html")] + ([("ETag", etag)] if etag else [])
    return FetchedResponse(
        url=url, final_url=final or url, status=status, body=body + etag.encode() if etag else body,
        response_headers=headers, redirect_chain=[url] if final else [], fetched_at=T0 + dt.timedelta(minutes=minutes),
    )


def test_validators_under_equals_validators_for(db_url):
    with Archive.open(db_url) as archive:
        run = archive.start_run("crawl", {})
        for r in [
            _resp(A + "a.html", etag='"a1"'),
            _resp(A + "a.html", etag='"a2"', minutes=5),  # newer capture of the same URL wins
            _resp(A + "b.html", 404),  # not 2xx: no validators
            _resp(A + "old.html", etag='"r1"', final=A + "new.html", minutes=1),  # redirect: both URLs
            _resp(A + "new.html", etag='"r2"', minutes=2),
            _resp(A + "plain.html"),  # neither ETag nor Last-Modified: still the capture
            _resp(B + "a.html", etag='"b1"'),
            _resp("http://other.example/x.html", final=A + "moved.html", etag='"m"'),
        ]:
            archive.store_capture(r, run)
        got = archive.validators_under(A)
        urls = [A + p for p in ("a.html", "b.html", "old.html", "new.html", "plain.html", "moved.html", "none.html")]
        for u in urls:
            assert got.get(u) == archive.validators_for(u), u
        assert got[A + "a.html"].etag == '"a2"' and A + "b.html" not in got
        assert not [u for u in got if not u.startswith(A)]
        assert set(archive.validators_under(B)) == {B + "a.html"}
        assert archive.validators_under("http://127.0.0.9:1/") == {}


def test_current_report_urls_equals_export(db_url):
    with Archive.open(db_url) as archive:
        assert archive.current_report_urls() == set()
        run = archive.start_run("crawl", {})
        for i, (agency, year) in enumerate([("示例县统计局", 2021), ("示例县财政局", 2022)]):
            url = f"{A}nb/t2022010{i}_{i}.html"
            body = report_html(agency, year).encode()
            page = _resp(url, body=body)
            parsed = parse_document(body, url, {"content-type": "text/html; charset=utf-8"}, status=200)
            assert parsed.is_report
            archive.record_report(run_id=run, portal=None, page=page, parsed=parsed)
        archive.store_capture(_resp(A + "list.html"), run)  # not a report
        urls = archive.current_report_urls()
        assert urls == {r["url"] for r in archive.export_records()} and len(urls) == 2
