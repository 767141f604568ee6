"""`nianbao serve` in a real headless Chromium: home page, facet by year, search a title, open a
report's provenance page, follow it to the archived original (sandboxed: its script must not run),
and check the UI can change nothing.

The server is the real command (`python -m nianbao serve`) on 127.0.0.1 and a free port.
Screenshots of each step go to a temporary directory, or to docs/screenshots/ when
NIANBAO_SCREENSHOTS=1 (how the committed ones were made), so a test run leaves the checkout clean.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from export_helpers import Built, build_archive

from nianbao.web.plugin import CSP

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package: scripts/setup does)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(str(tmp_path_factory.mktemp("browser") / "archive.db"))


@pytest.fixture(scope="module")
def server(built: Built) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "serve", "--db", built.url, "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"nianbao serve exited with {proc.returncode}: {out}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail("nianbao serve did not answer within 60 s")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("NIANBAO_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_researcher_walkthrough(server: str, browser: object, built: Built, shots: Path) -> None:
    db_file = Path(built.url)
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(server) else None)

    # 1. home page
    page.goto(server + "/")
    assert "政府信息公开工作年度报告" in page.title() or "nianbao" in page.title()
    assert page.locator("a", has_text="reports (one row per report)").count() == 1
    page.screenshot(path=str(shots / "01-home.png"))

    # 2. the reports table, faceted by year
    page.click("text=reports (one row per report)")
    page.wait_for_url("**/archive/report_wide")
    year_facet = page.locator('.facet-info[data-column="year"]')
    year_facet.locator("a", has_text="2021").first.click()
    page.wait_for_url("**year=2021**")
    titles = page.locator("a.nianbao-report").all_inner_texts()
    assert titles and all("2021" in t for t in titles)
    assert len(titles) == sum(1 for (_a, y) in built.expected if y == 2021)
    page.locator(".facet-results").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -80)")
    page.screenshot(path=str(shots / "02-facet-year.png"))

    # 3. full-text search for a title
    page.goto(server + "/search/report_search")
    page.fill('input[name="_search"]', "山阳县人民政府2020")
    page.press('input[name="_search"]', "Enter")
    page.wait_for_url("**_search=**")
    hits = page.locator("a.nianbao-report")
    assert hits.all_inner_texts() == ["山阳县人民政府2020年政府信息公开工作年度报告"]
    page.screenshot(path=str(shots / "03-search.png"))

    # 4. the report's provenance page
    hits.first.click()
    page.wait_for_url("**/-/report/*")
    assert page.locator("h1.nb-title").inner_text() == "山阳县人民政府2020年政府信息公开工作年度报告"
    raw_cells = page.locator(".nb-cells td.nb-raw").all_inner_texts()
    expected = built.expected[("山阳县人民政府", 2020)]
    assert sorted(raw_cells) == sorted(c.raw for c in expected.cells.values())
    page.screenshot(path=str(shots / "04-report-provenance.png"))

    # 5. the archived original, sandboxed
    with page.expect_navigation() as nav:
        page.locator("a.nb-original").first.click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP
    assert hashlib.sha256(response.body()).hexdigest() == built.script_sha
    page.wait_for_load_state("load")
    assert page.title() == "山阳县人民政府2020年政府信息公开工作年度报告"  # the archived <script> did not run
    assert page.locator("#body").inner_text() == "一、总体情况"
    page.screenshot(path=str(shots / "05-archived-original.png"))

    # 6. the UI can change nothing, even from the browser
    page.goto(server + "/archive/reports")
    status = page.evaluate(
        "fetch('/archive/reports', {method: 'POST', headers: {'content-type': 'application/json'},"
        " body: JSON.stringify({row: {year: 1999}})}).then(r => r.status)"
    )
    assert status == 405
    sql_status = page.evaluate("fetch('/archive.json?sql=delete%20from%20reports').then(r => r.status)")
    assert sql_status == 400
    context.close()
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
    assert outside == []  # nothing left loopback (the archived page's own requests were blocked too)
