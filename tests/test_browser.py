"""The HTML reports in a real browser (Debian's chromium driven by Playwright), offline:
no network request, no console or page error, every plotly chart drawn (plotly.js loaded from
the run's assets/ by relative path), and names that carry HTML (`<script>alert(1)</script>` in
a group of startup_everything_on) shown as text; the PDFs chromium prints (`--pdf`); and the
risk report of an imported tenant without usage. (The bundled suite's reports as an analyst
reads them: test_report_suite.)

Set ZOOMAI_SKIP_BROWSER=1 to skip; otherwise a missing chromium fails the test (`make test`
installs it, and poppler-utils for the PDF checks). Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, SKIP_BROWSER, chromium_path, run_cli

PAYLOAD = "<script>alert(1)</script>"
TENANT = "startup_everything_on"
CONFIGURATION = "hardened"


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


@SKIP_BROWSER
def test_reports_render_offline_and_escape_names(browser, reports):
    text = check_page(browser, reports / TENANT / f"tenant_chart__{CONFIGURATION}.html", charts=True)
    assert PAYLOAD in text  # the group name, shown literally
    text = check_page(browser, reports / TENANT / "settings_audit.html", charts=True)
    assert PAYLOAD in text
    check_page(browser, reports / "_all" / f"data_flows__{CONFIGURATION}.html", charts=True)
    check_page(browser, reports / TENANT / f"tenant_risk_report__{CONFIGURATION}.html", charts=True)


@SKIP_BROWSER
def test_index_renders_and_escapes(browser, reports):
    text = check_page(browser, reports / "index.html", charts=True)  # the tenants ranked
    assert PAYLOAD in text  # a key figure of the fixture: the first group's name
    assert "Settings audit" in text and "failed" in text  # the notebook's title; "0 failed"
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
    assert "Tenant risk report - startup_everything_on - Hardened" in text.split("Executive summary")[0]
    for other in ("settings_audit", f"data_flows__{CONFIGURATION}"):
        assert next(reports.rglob(f"{other}.pdf")).stat().st_size > 0


# --- an imported tenant without usage: the risk report says what the settings allow ---------------

SAMPLES = {  # the shared sample responses (tests/fixtures/zoom_api) in the import-settings layout
    "account_settings.json": "accounts-accountId-settings_GET.json",
    "account_lock_settings.json": "accounts-accountId-lock_settings_GET.json",
    "groups/g1/settings.json": "groups-groupId-settings_GET.json",
    "groups/g1/lock_settings.json": "groups-groupId-lock_settings_GET.json",
    "users/u1/settings.json": "users-userId-settings_GET.json",
}


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    """The tenant risk report of the imported sample tenant: two made-up users, u1 in group g1
    with the sample user settings; no usage (settings only)."""
    chromium_path()
    root = tmp_path_factory.mktemp("sample")
    src = root / "export"
    for name, sample in SAMPLES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "tests" / "fixtures" / "zoom_api" / sample, src / name)
    users = [
        {"id": "u1", "email": "ana@example.com", "group_ids": ["g1"]},
        {"id": "u2", "email": "bo@example.com"},
    ]
    (src / "users.json").write_text(json.dumps({"users": users}))
    code, _, err = run_cli(
        "import-settings", src, "--out", root / "sample", "--region", "US", "--tenant-id", "sample"
    )
    assert code == 0, err
    code, _, err = run_cli(
        "report", "--notebooks", "tenant_risk_report", "--tenants", root / "sample", "--config", "default",
        "--out", root / "reports", "--run-id", "sample",
    )  # fmt: skip
    assert code == 0, err
    return root / "reports" / "sample"


@SKIP_BROWSER
def test_imported_tenant_without_usage_reports_potential_exposure_and_nothing_false(browser, sample_report):
    (page,) = sample_report.glob("*/tenant_risk_report*.html")
    text = check_page(browser, page, charts=False)
    potential = text.split("Potential exposure: what the settings allow")[1].split("What the usage rests on")[
        0
    ]
    # The sample user settings switch meeting summary, meeting questions and smart recordings on
    # (users-userId-settings_GET.json); the account's switch them off for the other user: one user
    # each, and each reaches Zoom and possibly OpenAI or Anthropic (whitepaper feature tables) and,
    # for the items the later pages add (OCR-read screen share, in-meeting chat), a provider they
    # do not name; names keep their capitals inside the sentence.
    assert (
        "1 user can send audio transcript, meeting summary, screen-shared content read by OCR and "
        "in-meeting chat messages to OpenAI, Anthropic or Unnamed model provider in US" in potential
    )
    # every user, as no setting zoomai reads switches the panel's third-party sources
    assert "2 users can send Microsoft or Google calendar events, Microsoft or Google emails" in potential
    assert (
        "1 user can send audio transcript, question and answer to Zoom in US, kept up to 30 days."
        in potential
    )
    assert "No AI Companion use is observed or estimated for this tenant" in text
    # the three meeting features for one user, and the five the later pages add for both
    assert "In force for up to 2 users: 8 AI Companion features (Smart recordings (Meetings)" in text
    assert "no content is processed" not in text.lower()
    assert "No AI Companion content is processed" not in text
    assert "No content records: no use of an available feature" in text  # the chart, in words
