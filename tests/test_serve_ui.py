"""The Datasette UI, driven in-process through Datasette's own ASGI client (no browser): the
raw-capture route, provenance pages, canned queries, search, and that nothing can write."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from export_helpers import Built, build_archive

from nianbao.cli import main
from nianbao.serve import build_datasette, prepare_search_index, search_index_path
from nianbao.web.plugin import CSP
from storage.archive import Archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    path = tmp_path_factory.mktemp("serve") / "archive.db"
    return build_archive(str(path))


@pytest.fixture(scope="module")
def ds(built: Built) -> Any:
    path = Path(built.url)
    return build_datasette(path, prepare_search_index(path))


def get(ds: Any, url: str, **kw: Any) -> Any:
    return asyncio.run(ds.client.get(url, **kw))


def post(ds: Any, url: str, **kw: Any) -> Any:
    return asyncio.run(ds.client.post(url, **kw))


def rows(ds: Any, url: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in url else "?"
    r = get(ds, f"{url}{sep}_shape=array")
    assert r.status_code == 200, r.text
    return r.json()


def test_capture_route_serves_original_bytes_sandboxed(ds: Any, built: Built) -> None:
    r = get(ds, f"/-/capture/{built.script_sha}")
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == built.script_sha  # decompressed, byte for byte
    assert b"<script>" in r.content
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    pdf = get(ds, f"/-/capture/{built.pdf_sha}")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content == b"%PDF-1.4 not really a pdf"
    assert "attachment" in get(ds, f"/-/capture/{built.pdf_sha}?download=1").headers["content-disposition"]
    assert get(ds, "/-/capture/" + "0" * 64).status_code == 404
    assert get(ds, "/-/capture/../../etc/passwd").status_code == 404


def test_provenance_page_names_captures_parser_and_raw_cells(ds: Any, built: Built) -> None:
    (row,) = rows(ds, "/archive/report_wide.json?agency=山阳县人民政府&year=2020")
    page = get(ds, f"/-/report/{row['version_id']}")
    assert page.status_code == 200
    html = page.text
    parsed = built.expected[("山阳县人民政府", 2020)]
    assert parsed.metadata.title in html and "test-1" in html
    assert "http://127.0.0.1/sy/2020.html" in html and "2021-02-01" in html  # URL and fetch time
    assert f"/-/capture/{built.script_sha}" in html
    for cell in parsed.cells.values():
        assert f"<code>{cell.key}</code>" in html
        assert cell.raw in html
    assert "25.1万元" in html and "五、存在的主要问题" in html
    # both versions are listed, the old one links to its own page
    history = html.split("Versions of this report")[1]
    assert history.count("/-/report/") == 2
    assert get(ds, "/-/report/999999").status_code == 404


def test_attachment_provenance_marks_the_parsed_capture(ds: Any, built: Built) -> None:
    (row,) = rows(ds, "/archive/report_wide.json?agency=山阳县教育局")
    html = get(ds, f"/-/report/{row['version_id']}").text
    assert "http://127.0.0.1/sy/jy2021.pdf" in html and f"/-/capture/{built.pdf_sha}" in html
    assert "tables are in an attachment we could not read" in html
    captures = html.split("Archived originals")[1].split("Accounting identities")[0]
    assert captures.index("jy2021.pdf") < captures.index("jy2021.html")  # the capture parsed from comes first


def test_report_table_links_to_provenance_and_facets(ds: Any) -> None:
    html = get(ds, "/archive/report_wide?year=2021").text
    assert 'class="nianbao-provenance"' in html
    for facet in ("province", "county", "year", "template", "source", "check_t3_flow"):
        assert f'data-column="{facet}"' in html, facet
    assert {r["year"] for r in rows(ds, "/archive/report_wide.json?year=2021")} == {2021}
    captures = get(ds, "/archive/captures").text
    assert 'class="nianbao-capture"' in captures
    index = get(ds, "/archive").text
    assert "/archive/blobs" not in index  # the compressed payload table is hidden...
    assert get(ds, "/archive/blobs.json").status_code == 403  # ...and its compressed bytes not served


def test_search_finds_titles_and_section_text(ds: Any) -> None:
    found = rows(ds, "/search/report_search.json?_search=山阳县统计局")
    assert [r["agency"] for r in found] == ["山阳县统计局"]
    found = rows(ds, "/search/report_search.json?_search=行政复议案件")
    assert [r["agency"] for r in found] == ["山阳县统计局"]
    assert rows(ds, "/search/report_search.json?_search=不存在的单位名称") == []
    html = get(ds, "/search/report_search?_search=山阳县统计局").text
    assert "/-/report/" in html


def test_canned_queries(ds: Any, built: Built) -> None:
    apps = rows(ds, "/archive/applications.json?year=&place=")
    by = {(r["county"], r["year"]): r for r in apps}
    assert by[("山阳县", 2020)]["county_government_new"] == 12  # the current version, not the first parse
    assert by[("山阳县", 2020)]["all_agencies_new"] == 15  # + 统计局's 3
    assert by[("城口县", 2021)]["county_government_new"] == 30
    new_2021 = built.expected[("山阳县人民政府", 2021)].cells["t3.new_received.total"].value
    assert by[("山阳县", 2021)]["county_government_new"] == new_2021
    assert {r["county"] for r in rows(ds, "/archive/applications.json?year=2021&place=重庆")} == {"城口县"}

    failing = rows(ds, "/archive/failing_identities.json?check=t3_flow&year=")
    assert [(r["agency"], r["instance"]) for r in failing] == [("山阳县统计局", "total")]
    assert {r["check"] for r in rows(ds, "/archive/failing_identities.json?check=&year=")} == {"t3_flow", "t4_subtotals"}

    missing = rows(ds, "/archive/agencies_without_report.json?year=2020")
    assert sorted(r["agency"] for r in missing) == ["城口县人民政府", "山阳县教育局"]

    cov = {(r["county"], r["year"]): r for r in rows(ds, "/archive/coverage.json?place=")}
    assert cov[("山阳县", 2021)]["parsed_ok"] == 1 and cov[("山阳县", 2021)]["failed_to_parse"] == 1
    assert cov[("山阳县", 2021)]["no_report"] == 1 and cov[("山阳县", 2020)]["parsed_partial"] == 1

    blocked = {r["portal"]: r for r in rows(ds, "/archive/blocked_portals.json")}
    assert blocked["城口县人民政府"]["blocked_responses"] == 2 and blocked["城口县人民政府"]["blocked_last_run"] == 5
    assert blocked["城口县人民政府"]["counties"] == "城口县"


def test_codebook_page(ds: Any) -> None:
    html = get(ds, "/-/codebook").text
    assert "t3.new_received.total" in html and "本年新收政府信息公开申请数量" in html and "t4_subtotals" in html


def test_ui_cannot_change_anything(ds: Any, built: Built) -> None:
    path = Path(built.url)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with Archive.open(built.url, readonly=True) as a:
        counts = a.stats()
    r = get(ds, "/archive.json?sql=delete+from+reports")
    assert r.status_code == 400 and "select" in r.text.lower()
    r = get(ds, "/archive.json?sql=" + "update agencies set name = 'x'")
    assert r.status_code == 400
    for url in ("/archive/reports", "/archive/coverage", "/archive/reports/-/insert", "/archive/-/create",
                "/archive/agencies/1/-/delete", "/archive"):
        r = post(ds, url, json={"row": {"year": 1999}})
        assert r.status_code == 405, (url, r.status_code)
    # even Datasette's internal write path (plugins, writable canned queries) is refused by SQLite
    db = ds.get_database("archive")
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        asyncio.run(db.execute_write("insert into crawl_runs (kind, started_at, outcome) values ('x', 'y', 'z')"))
    with Archive.open(built.url, readonly=True) as a:
        assert a.stats() == counts
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_search_index_is_a_side_file_rebuilt_when_the_archive_changes(tmp_path: Path) -> None:
    built = build_archive(str(tmp_path / "a.db"))
    path = Path(built.url)
    side = prepare_search_index(path)
    assert side == search_index_path(path) and side != path and side.parent == path.parent
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert not any("search" in t or "fts" in t for t in tables)  # the archive itself is untouched
    mtime = side.stat().st_mtime_ns
    assert prepare_search_index(path) == side and side.stat().st_mtime_ns == mtime  # up to date: kept
    from storage_helpers import PORTAL, page, report

    with Archive.open(built.url) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/new", "n"),
                        parsed=report("山阳县水利局", 2022, title="山阳县水利局2022年政府信息公开工作年度报告"))
    prepare_search_index(path)
    with sqlite3.connect(side) as conn:
        hits = conn.execute("select agency from report_search where version_id in "
                            "(select rowid from report_search_fts where report_search_fts match '水利局')").fetchall()
    assert hits == [("山阳县水利局",)]


def test_serve_refuses_postgres_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", "postgresql://nobody@127.0.0.1:5432/test"]) == 2
    assert "nianbao snapshot" in capsys.readouterr().err
    assert main(["serve", "--db", str(tmp_path / "missing.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_ui_sees_reports_recorded_while_it_runs(tmp_path: Path) -> None:
    """mode=ro, not immutable: a crawl writing to the WAL archive shows up without a restart."""
    from storage_helpers import PORTAL, page, report

    built = build_archive(str(tmp_path / "live.db"))
    live = build_datasette(Path(built.url), None)
    assert {r["agency"] for r in rows(live, "/archive/report_wide.json?year=2022")} == set()
    with Archive.open(built.url) as a:
        a.record_report(run_id=None, portal=PORTAL, page=page("http://127.0.0.1/live", "l"),
                        parsed=report("山阳县林业局", 2022))
    assert {r["agency"] for r in rows(live, "/archive/report_wide.json?year=2022")} == {"山阳县林业局"}


def test_search_side_file_moves_to_the_cache_when_the_directory_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nianbao.serve as serve
    from nianbao.web import database

    archive = tmp_path / "ro" / "archive.db"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(serve.os, "access", lambda path, mode: Path(path) != archive.parent)
    side = serve.search_index_path(archive)
    assert side.parent == tmp_path / "cache" / "nianbao" and side.name.endswith(".search.db")
    assert serve.search_index_path(tmp_path / "other" / "archive.db") != side  # keyed by the archive's path
    monkeypatch.setattr(database.os, "access", lambda path, mode: False)
    assert database.needs_immutable(archive)  # no -shm and no way to create one: immutable=1
    (tmp_path / "ro").mkdir()
    Path(f"{archive}-shm").write_bytes(b"")
    assert not database.needs_immutable(archive)
