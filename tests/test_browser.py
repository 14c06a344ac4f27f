"""The HTML reports in a real browser (Debian's chromium driven by Playwright), offline:
no network request, no console or page error, every plotly chart drawn (plotly.js loaded from
the run's assets/ by relative path), and names that carry HTML (`<script>alert(1)</script>` in
a group of startup_everything_on) shown as text; and the PDFs chromium prints (`--pdf`).

Set ZOOMAI_SKIP_BROWSER=1 to skip; otherwise a missing chromium fails the test (`make test`
installs it, and poppler-utils for the PDF checks). Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, run_cli

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAYLOAD = "<script>alert(1)</script>"
TENANT = "startup_everything_on"
CONFIGURATION = "hardened"

pytestmark = pytest.mark.skipif(os.environ.get("ZOOMAI_SKIP_BROWSER") == "1", reason="ZOOMAI_SKIP_BROWSER=1")


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.fail(
            "chromium is not installed: `apt-get install chromium` (Debian), as .ci/run does, "
            "or set ZOOMAI_SKIP_BROWSER=1 to skip the browser tests"
        )
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """Reports for startup_everything_on under the hardened preset, HTML and PDF: real
    notebooks with charts, the fixture that lists the tenant's group names, and a tenant-free
    notebook with charts."""
    chromium_path()
    out = tmp_path_factory.mktemp("browser") / "reports"
    fixture = REPO / "tests" / "fixtures" / "notebooks" / "tenant_chart.ipynb"
    code, _, err = run_cli(
        "report",
        "--notebooks",
        f"settings_audit,data_flows,tenant_risk_report,{fixture}",
        "--tenants",
        TENANT,
        "--config",
        CONFIGURATION,
        "--out",
        out,
        "--run-id",
        "browser",
        "--pdf",
    )
    assert code == 0, err
    return out / "browser"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_offline(browser, path: Path):
    """Open a file:// page with every other request blocked; return the page and the lists
    of blocked requests, console errors, page errors and dialogs."""
    context = browser.new_context()
    page = context.new_page()
    seen: dict[str, list[str]] = {"blocked": [], "console": [], "errors": [], "dialogs": []}

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            seen["blocked"].append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


def check_page(browser, path: Path, charts: bool) -> str:
    page, seen = open_offline(browser, path)
    try:
        if charts:
            page.wait_for_selector(".plotly-graph-div svg.main-svg", timeout=30_000)
            graphs = page.locator(".plotly-graph-div").count()
            drawn = page.locator(".plotly-graph-div").filter(has=page.locator("svg.main-svg")).count()
            assert graphs >= 1 and drawn == graphs, f"{path.name}: {drawn} of {graphs} charts drawn"
        page.wait_for_timeout(300)  # let late scripts run
        text = page.inner_text("body")
    finally:
        page.context.close()
    assert seen["blocked"] == [], f"{path.name} fetched from the network: {seen['blocked']}"
    assert seen["errors"] == [], f"{path.name}: page errors {seen['errors']}"
    assert seen["console"] == [], f"{path.name}: console errors {seen['console']}"
    assert seen["dialogs"] == [], f"{path.name}: a dialog opened: {seen['dialogs']}"
    return text


def test_reports_render_offline_and_escape_names(browser, reports):
    text = check_page(browser, reports / TENANT / f"tenant_chart__{CONFIGURATION}.html", charts=True)
    assert PAYLOAD in text  # the group name, shown literally
    text = check_page(browser, reports / TENANT / "settings_audit.html", charts=True)
    assert PAYLOAD in text
    check_page(browser, reports / "_all" / f"data_flows__{CONFIGURATION}.html", charts=True)
    check_page(browser, reports / TENANT / f"tenant_risk_report__{CONFIGURATION}.html", charts=True)


def test_index_renders_and_escapes(browser, reports):
    text = check_page(browser, reports / "index.html", charts=True)  # the tenants ranked
    assert PAYLOAD in text  # a key figure of the fixture: the first group's name
    assert "settings_audit" in text and "failed" in text  # "0 failed"
    assert "Hyperloop Labs, Inc." in text  # the tenant by its name


def poppler(*args: str | Path) -> str:
    if shutil.which(str(args[0])) is None:
        pytest.fail(f"{args[0]} is not installed: `apt-get install poppler-utils` (make test does)")
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


def test_pdf_has_the_sections_on_their_own_pages_and_says_what_it_is_about(reports):
    pdf = reports / TENANT / f"tenant_risk_report__{CONFIGURATION}.pdf"
    pages = int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", pdf), re.MULTILINE).group(1))
    html = pdf.with_suffix(".html").read_text(encoding="utf-8")
    sections = re.findall(r"<h2[^>]*>([^<]+)", html)
    assert "Executive summary" in sections and len(sections) >= 3
    # the print stylesheet starts every section on a new page: at least one page each; a
    # run-away layout (an element per page, clipped tables repeated) gives far more than 60
    assert len(sections) <= pages <= 60, f"{pages} pages for {len(sections)} sections"
    text = poppler("pdftotext", "-layout", pdf, "-")
    assert text.count("\f") == pages  # pdftotext ends every page with a form feed
    first_lines = [
        next((ln.strip() for ln in page.splitlines() if ln.strip()), "") for page in text.split("\f")
    ]
    for title in sections:  # ... its heading is the first line of a page
        assert title.strip() in first_lines, f"section {title!r} does not start a page"
    assert CONFIGURATION in text.split("Executive summary")[0]  # the title, before the summary
    for other in ("settings_audit", f"data_flows__{CONFIGURATION}"):
        assert next(reports.rglob(f"{other}.pdf")).stat().st_size > 0
