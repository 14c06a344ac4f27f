"""What a report run leaves on disk besides the reports: the shared plotly.js (or self-contained
files), pruning of older runs (--keep), and the portfolio index (every headline figure, tenants
by name, the ranking chart, trends over earlier runs)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO, run_cli
from test_report import check_html, index_links

from zoomai.reporting import pdf
from zoomai.reporting.export import CSS_ASSET, PLOTLY_ASSET, notebook_css, plotly_js
from zoomai.reporting.history import latest_run, prune_runs, runs_in
from zoomai.reporting.index import key_figures, ranking_figure, tenant_figures, write_index
from zoomai.reporting.runner import Report, write_summary

FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
TENANT = "startup_everything_on"


def fixture_run(out: Path, run_id: str, *args: str) -> tuple[int, str, str]:
    """tenant_chart (one chart) for one tenant into out/run_id."""
    return run_cli(
        "report",
        "--notebooks-dir",
        FIXTURES,
        "--notebooks",
        "tenant_chart",
        "--tenants",
        TENANT,
        "--config",
        "default",
        "--out",
        out,
        "--run-id",
        run_id,
        *args,
    )


# ------------------------------------------------------------------------ assets and --keep


def test_plotly_js_once_per_run_folder_or_self_contained(tmp_path, backend):
    out = tmp_path / "reports"
    code, _, err = fixture_run(out, "shared", *backend)
    assert code == 0, err
    page = out / "shared" / TENANT / "tenant_chart__default.html"
    check_html(page)  # loads ../assets/plotly.min.js, which is plotly.js
    assert (out / "shared" / PLOTLY_ASSET).read_text(encoding="utf-8") == plotly_js()
    assert len(list((out / "shared").rglob("plotly*.js"))) == 1
    # the notebook stylesheet likewise: linked, not inlined
    html = page.read_text(encoding="utf-8")
    assert re.findall(r'<link href="([^"]+)" rel="stylesheet"', html) == ["../assets/notebook.css"]
    css = (out / "shared" / CSS_ASSET).read_text(encoding="utf-8")
    assert css == notebook_css() and ".jp-OutputArea" in css and "<style" not in css
    # the point of it: a report no longer carries the 4.8 MB of plotly.js nor 250 kB of CSS
    assert page.stat().st_size < 100_000

    code, _, err = fixture_run(out, "single", "--self-contained", *backend)
    assert code == 0, err
    page = out / "single" / TENANT / "tenant_chart__default.html"
    check_html(page, self_contained=True)
    assert not (out / "single" / "assets").exists()
    assert page.stat().st_size > len(plotly_js()) + len(notebook_css()) - 1000  # both inside
    assert "notebook.css" not in page.read_text(encoding="utf-8")


def fake_run(out: Path, run_id: str, started: str) -> Path:
    """A run folder as runner.write_summary leaves it (no notebooks)."""
    folder = out / run_id
    folder.mkdir(parents=True)
    report = Report(run_id, folder, [], datetime.fromisoformat(started), 1.0)
    write_summary(report, folder, 1)
    return folder


def test_prune_keeps_the_newest_and_latest_and_what_is_not_ours(tmp_path):
    out = tmp_path / "reports"
    for run_id, started in (("a", "2026-01-01T00:00:00+00:00"), ("b", "2026-01-02T00:00:00+00:00")):
        fake_run(out, run_id, started)
    fake_run(out, "c", "2026-01-03T00:00:00+00:00")
    os.symlink("a", out / "latest")  # latest at the oldest run (e.g. the later ones failed)
    (out / "notes").mkdir()  # the user's own folder
    (out / "notes" / "summary.json").write_text('{"run_id": "other", "runs": []}')  # not ours either
    (out / "cron.log").write_text("log\n")
    (out / ".x.partial").mkdir()  # another run being written

    assert [s["run_id"] for s in runs_in(out)] == ["a", "b", "c"]
    assert latest_run(out) == "a"
    removed = prune_runs(out, 1)
    # newest 1 = c; a is latest; b goes; nothing else is touched
    assert removed == [out / "b"]
    assert sorted(p.name for p in out.iterdir()) == [".x.partial", "a", "c", "cron.log", "latest", "notes"]


def test_keep_flag_prunes_after_a_successful_run(tmp_path, backend):
    out = tmp_path / "reports"
    fake_run(out, "old1", "2020-01-01T00:00:00+00:00")
    fake_run(out, "old2", "2020-01-02T00:00:00+00:00")
    (out / "mine.txt").write_text("kept\n")
    code, _, err = fixture_run(out, "new", "--keep", "2", *backend)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["latest", "mine.txt", "new", "old2"]
    code, _, err = run_cli("report", "--keep", "0", "--out", out)
    assert code == 2 and "--keep: expected a whole number >= 1, got '0'" in err


def test_pdf_without_chromium_is_one_message_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    out = tmp_path / "reports"
    code, stdout, err = fixture_run(out, "r1", "--pdf")
    assert (code, stdout) == (2, "")
    assert err == (
        "zoomai: error: --pdf needs Debian's chromium, which is not installed: run `make run PDF=1` "
        "(installs it), or `sudo apt-get install chromium`\n"
    )
    assert not out.exists()


# ------------------------------------------------------------------------------- the index


def test_key_figures_are_all_there_and_formatted_for_people():
    summary = {f"figure_{i}": i * 1000 for i in range(12)}  # 12 figures: today's old cut-off
    summary |= {
        "records": 260465,
        "people_without_notice": 5915.7,  # an estimate: rounded, marked
        "share_small": 0.25,
        "exposure_score": {"default": 19815232, "ai_off": 0.0},
        "pareto": ["default", "ai_off"],
        "window": None,
        "records_min": 120770,
        "flows_by_location": {"US": 168, "device": 1},
        "best_change": "in_meeting.meeting_summary_with_ai_companion.enable=false",
        "dpia_required": True,
    }
    figures = dict(key_figures(summary))
    assert len(figures) == 12 + 12  # nothing cut: 12 + records ... window, bound, 2 locations, ...
    assert figures["Figure 11"] == "11,000"
    assert figures["Records held by any party"] == "260,465"  # the labels of data/labels.yaml
    assert figures["People without AI notice"] == "about 5,900"  # as the reports word estimates
    assert figures["Share small"] == "0.25"
    # configurations, locations and setting changes in words, as the notebooks' headlines say them
    assert figures["Exposure score · Tenant's own settings (default)"] == "19,815,232"
    assert figures["Exposure score · AI Companion off"] == "0"
    assert figures["Pareto-efficient configurations"] == "Tenant's own settings (default), AI Companion off"
    assert figures["Window"] == "unknown"
    assert figures["Records held by any party, lower bound"] == "120,770"
    assert figures["Flows by location · user's device"] == "1"
    assert figures["Best single setting change"] == "Switch off Meeting summary (Meetings)"
    assert figures["DPIA required"] == "yes"
    assert not any(re.search(r"\de[+-]\d", v) for v in figures.values())


def risk_result(tenant: str, configuration: str, summary: dict) -> dict:
    output = f"{tenant}/tenant_risk_report__{configuration}"
    return {
        "notebook": "tenant_risk_report",
        "job": "tenants",
        "tenant": tenant,
        "configuration": configuration,
        "parameters": {"tenant": tenant, "configuration": configuration},
        "status": "ok",
        "error": None,
        "started": None,
        "duration_seconds": 1.0,
        "files": {"html": f"{output}.html", "pdf": f"{output}.pdf", "json": f"{output}.json"},
        "summary": summary,
    }


# Exposure totals as `zoomai exposure TENANT --view totals` prints them (the default preset).
NORTHWIND = {
    "records": 260465,
    "third_party_records": 152199,
    "cross_border_records": 0,
    "people_without_notice": 5915.7,
    "exposure_score": 19815232,
}
LINDQVIST = {
    "records": 37493,
    "third_party_records": 3627,
    "cross_border_records": 0,
    "people_without_notice": 924.2,
    "exposure_score": 4544464,
}


def write_run(out: Path, run_id: str, started: str, results: list[dict]) -> Report:
    folder = out / run_id
    folder.mkdir(parents=True)
    report = Report(run_id, folder, results, datetime.fromisoformat(started).astimezone(UTC), 2.0, "test")
    write_summary(report, folder, 1)
    return report


def test_index_names_ranks_and_trends_tenants(tmp_path):
    out = tmp_path / "reports"
    earlier = {**NORTHWIND, "exposure_score": 25_000_000}
    write_run(
        out, "r0", "2026-11-01T06:00:00+00:00", [risk_result("us_enterprise_defaults", "default", earlier)]
    )
    results = [
        risk_result("us_enterprise_defaults", "default", NORTHWIND),
        risk_result("eu_company_zmo", "default", LINDQVIST),
    ]
    report = write_run(out, "r1", "2026-11-08T06:00:00+00:00", results)
    write_index(report, report.folder, out, self_contained=False)
    html = (report.folder / "index.html").read_text(encoding="utf-8")

    # tenants by name, alphabetically, with their id beside
    lindqvist, northwind = (
        html.index('<h2 id="eu_company_zmo">'),
        html.index('<h2 id="us_enterprise_defaults">'),
    )
    assert lindqvist < northwind
    assert "Lindqvist &amp; Moreau GmbH" in html and "Northwind Manufacturing Inc." in html
    # every headline figure, formatted; the PDF linked
    assert "19,815,232" in html and "about 5,900" in html and "e+0" not in html
    assert {"us_enterprise_defaults/tenant_risk_report__default.pdf"} <= index_links(
        report.folder / "index.html"
    )
    # the ranking chart, loading the run's plotly.js
    assert 'id="zoomai-ranking"' in html and f'src="{PLOTLY_ASSET}"' in html

    summary = json.loads((report.folder / "summary.json").read_text())
    figures = tenant_figures(summary, {"us_enterprise_defaults": "Northwind", "eu_company_zmo": "Lindqvist"})
    share = dict(zip(figures["tenant"], figures["third_party_share"], strict=True))
    assert share["us_enterprise_defaults"] == 152199 / 260465  # 58.4 %
    assert share["eu_company_zmo"] == 3627 / 37493  # 9.7 %
    fig = ranking_figure(figures)
    # horizontal bars are drawn bottom-up: the highest exposure score (Northwind) on top
    assert list(fig.data[0].y) == ["Lindqvist", "Northwind"]
    assert [t.name for t in fig.data] == ["Tenant's own settings (default)"] * 4  # in words
    # no tenant has cross-border records: the panel says so instead of staying blank
    assert [a.text for a in fig.layout.annotations if a.xref == "x2 domain"] == ["0 for every tenant"]
    # each report by its notebook's title (no title in an older run's results: its name in words)
    assert '<a href="us_enterprise_defaults/tenant_risk_report__default.html">Tenant risk report</a>' in html

    # the trend: Northwind in r0 and r1 (25,000,000 then 19,815,232); Lindqvist only in r1
    assert 'id="zoomai-trend"' in html
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", html)
    assert ("Northwind Manufacturing Inc.", "Tenant&#39;s own settings (default)", "r0") in rows
    assert ("Northwind Manufacturing Inc.", "Tenant&#39;s own settings (default)", "r1") in rows
    assert "25,000,000" in html


def test_index_without_earlier_runs_or_risk_reports_has_no_chart(tmp_path):
    out = tmp_path / "reports"
    result = {**risk_result(TENANT, "default", {"limit": 3}), "notebook": "no_tenant", "tenant": None}
    report = write_run(out, "only", "2026-11-08T06:00:00+00:00", [result])
    write_index(report, report.folder, out, self_contained=False)
    html = (report.folder / "index.html").read_text(encoding="utf-8")
    assert "zoomai-ranking" not in html and "zoomai-trend" not in html and "<script" not in html


def test_tenant_names_from_the_tenant_table_distinct_and_with_a_fallback(tmp_path):
    import shutil

    from zoomai.reporting.index import tenant_names
    from zoomai.tenants.tables import tenants_dir

    for copy in ("a", "b"):  # two folders of the same tenant: the same display name
        shutil.copytree(tenants_dir() / "eu_company_zmo", tmp_path / copy)
    results = [
        {"tenant": label, "parameters": {"tenant": str(tmp_path / label)}} for label in ("a", "b", "gone")
    ]
    results.append({"tenant": "eu_company_zmo", "parameters": {"tenant": "eu_company_zmo"}})
    results.append({"tenant": None, "parameters": {}})
    assert tenant_names(results) == {
        "a": "Lindqvist & Moreau GmbH (a)",
        "b": "Lindqvist & Moreau GmbH (b)",
        "gone": "gone",  # no such folder (e.g. removed since): the label
        "eu_company_zmo": "Lindqvist & Moreau GmbH (eu_company_zmo)",
    }
