"""`zoomai report`: schedule validation, expansion into runs, the papermill pipeline (executed
notebooks, offline HTML, index), failures, atomic output, and tenant isolation."""

from __future__ import annotations

import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, run_cli

from zoomai.analysis.configurations import load_configurations
from zoomai.reporting import runner
from zoomai.reporting.export import plotly_js
from zoomai.reporting.plan import plan
from zoomai.reporting.schedule import (
    adhoc_schedule,
    list_notebooks,
    load_schedule,
    notebook_parameters,
)
from zoomai.tenants.tables import tenants_dir

FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
NOTEBOOKS = REPO / "notebooks"
BUNDLED = sorted(p.name for p in tenants_dir().iterdir() if p.is_dir())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def fixture_report(tmp_path: Path, schedule: str, *args: str) -> tuple[int, str, str]:
    """`zoomai report` of a schedule over the fixture notebooks, into tmp_path/reports."""
    path = write(tmp_path / "schedule.yaml", schedule)
    return run_cli(
        "report",
        "--schedule",
        path,
        "--notebooks-dir",
        FIXTURES,
        "--out",
        tmp_path / "reports",
        *args,
    )


# ------------------------------------------------------------------------------ validation

JOB = """\
jobs:
  - name: weekly
    notebooks: [tenant_chart]
    tenants: [us_enterprise_defaults]
"""


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            "jobs:\n  - name: weekly\n    notebooks: [nope]\n",
            "line 3, field jobs[0].notebooks[0]: job 'weekly': unknown notebook 'nope'; "
            "expected one of dies, fails, no_tenant, sleeps, tenant_chart or an .ipynb file",
        ),
        (
            JOB + "    parameters:\n      colour: red\n",
            "line 6, field jobs[0].parameters.colour: job 'weekly': unknown parameter 'colour': "
            "no notebook of the job declares it; declared: region",
        ),
        (
            "jobs:\n  - name: weekly\n    notebooks: [no_tenant]\n    parameters:\n      limit: three\n",
            "line 5, field jobs[0].parameters.limit: job 'weekly': "
            "notebook no_tenant expects int (default 3), got 'three'",
        ),
        (
            JOB + "    parameters:\n      region: 7\n",
            "line 6, field jobs[0].parameters.region: job 'weekly': "
            'notebook tenant_chart expects str (default "US"), got 7',
        ),
        (
            JOB + "    parameters:\n      region: Europe\n",
            "line 6, field jobs[0].parameters.region: job 'weekly': "
            "expected a two-letter hosting region such as US or EU, got 'Europe'",
        ),
        (
            JOB + "    parameters:\n      tenant: eu_company_zmo\n",
            "line 6, field jobs[0].parameters.tenant: job 'weekly': "
            "parameter 'tenant' cannot be given here; set it with the job's `tenants`",
        ),
        (
            "jobs:\n  - name: weekly\n    notebooks: [tenant_chart]\n    tenants: [acme]\n",
            "line 4, field jobs[0].tenants[0]: job 'weekly': acme: not a tenant folder nor a bundled "
            f"tenant id; bundled tenants: {', '.join(BUNDLED)}",
        ),
        (
            JOB + "    configurations: [default, strict]\n",
            "line 5, field jobs[0].configurations[1]: job 'weekly': unknown configuration 'strict'; "
            f"expected one of {', '.join(load_configurations())} or a YAML file",
        ),
        (
            "jobs:\n  - name: weekly\n    notebooks: [tenant_chart\n",
            "line 4: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "jobs:\n  - name: weekly\n    notebook: [tenant_chart]\n",
            "2 problems\n  line 2, field jobs[0].notebooks: required field is missing\n"
            "  line 3, field jobs[0].notebook: unknown field (not expected here)",
        ),
        (
            "jobs:\n  - name: weekly\n    notebooks: some\n",
            "line 3, field jobs[0].notebooks: expected \"all\" or a non-empty list of names, got 'some'",
        ),
        (
            "workers: 0\n" + JOB,
            "line 1, field workers: Input should be greater than 0, got 0",
        ),
        (
            JOB + JOB.removeprefix("jobs:\n"),
            "line 5, field jobs[1].name: job 'weekly': the job name is used twice",
        ),
    ],
    ids=[
        "unknown-notebook",
        "unknown-parameter",
        "ill-typed-int",
        "ill-typed-str",
        "bad-region",
        "reserved-parameter",
        "unknown-tenant",
        "unknown-configuration",
        "bad-yaml",
        "misspelt-field",
        "notebooks-not-a-list",
        "workers",
        "duplicate-job",
    ],
)
def test_schedule_errors_name_file_line_and_field(tmp_path, schedule, expected):
    code, out, err = fixture_report(tmp_path, schedule)
    assert code == 2, err
    assert out == ""
    separator = ", " if expected.startswith("line") else ": "  # DataError: "file, line 3, ..."
    assert err == f"zoomai: error: {tmp_path / 'schedule.yaml'}{separator}{expected}\n"
    assert not (tmp_path / "reports").exists()


def test_every_problem_is_listed_and_no_kernel_starts(tmp_path, monkeypatch):
    """One good job and one bad one: nothing runs, both problems of the bad job are named."""

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started before the parameters were validated")

    monkeypatch.setattr(runner, "execute", no_kernel)
    monkeypatch.setattr(runner, "open_workers", no_kernel)
    code, _, err = fixture_report(
        tmp_path,
        JOB
        + "  - name: broken\n    notebooks: [tenant_chart, fails]\n    tenants: [acme]\n"
        + "    parameters:\n      region: 1\n",
    )
    assert code == 2
    assert "2 problems" in err
    assert "line 7, field jobs[1].tenants[0]: job 'broken': acme: not a tenant folder" in err
    assert "line 9, field jobs[1].parameters.region: job 'broken': notebook tenant_chart expects str" in err
    assert not (tmp_path / "reports").exists()


def test_command_line_errors_name_the_flag(tmp_path):
    code, out, err = run_cli(
        "report",
        "--notebooks-dir",
        FIXTURES,
        "--out",
        tmp_path / "reports",
        "--notebooks",
        "tenant_chart",
        "--tenants",
        "acme",
    )
    assert code == 2
    assert err == (
        "zoomai: error: --tenants: acme: not a tenant folder nor a bundled tenant id; "
        f"bundled tenants: {', '.join(BUNDLED)}\n"
    )
    assert not (tmp_path / "reports").exists()
    code, _, err = run_cli("report", "--notebooks-dir", FIXTURES, "--notebooks", "nope")
    assert code == 2
    assert err.startswith("zoomai: error: --notebooks: unknown notebook 'nope'; expected one of dies, fails,")
    code, _, err = run_cli("report", "--workers", "0")
    assert code == 2
    assert "--workers: expected a whole number >= 1, got '0'" in err
    code, _, err = run_cli("report", "--data", tmp_path / "nowhere")
    assert (code, err) == (2, f"zoomai: error: --data {tmp_path / 'nowhere'}: not a folder\n")


def test_existing_run_id_is_refused(tmp_path):
    (tmp_path / "reports" / "r1").mkdir(parents=True)
    code, _, err = fixture_report(tmp_path, JOB, "--run-id", "r1")
    assert code == 2
    assert err == f"zoomai: error: {tmp_path / 'reports' / 'r1'} already exists; choose another --run-id\n"


# ------------------------------------------------------------------------------- expansion


def fixture_plan(tmp_path: Path, schedule: str):
    path = write(tmp_path / "schedule.yaml", schedule)
    return plan(*load_schedule(path), notebooks_dir=FIXTURES)


def test_expansion_per_declared_parameter(tmp_path):
    runs = fixture_plan(
        tmp_path,
        """\
jobs:
  - name: weekly
    notebooks: all
    tenants: [us_enterprise_defaults, eu_company_zmo]
    configurations: [default, zmo]
    parameters:
      region: eu
      limit: 5
""",
    )
    got = {(r.output, json.dumps(r.parameters, sort_keys=True)) for r in runs}
    chart = '{{"configuration": "{c}", "region": "EU", "tenant": "{t}"}}'
    assert got == {
        ("eu_company_zmo/fails", '{"tenant": "eu_company_zmo"}'),
        ("us_enterprise_defaults/fails", '{"tenant": "us_enterprise_defaults"}'),
        ("_all/no_tenant", '{"configurations": ["default", "zmo"], "limit": 5}'),
        ("_all/sleeps", "{}"),
        ("us_enterprise_defaults/dies", '{"tenant": "us_enterprise_defaults"}'),
        ("eu_company_zmo/dies", '{"tenant": "eu_company_zmo"}'),
        *(
            (f"{t}/tenant_chart__{c}", chart.format(c=c, t=t))
            for t in ("us_enterprise_defaults", "eu_company_zmo")
            for c in ("default", "zmo")
        ),
    }
    assert {r.notebook for r in runs if not r.writes_summary} == {"sleeps", "dies"}
    assert {r.job for r in runs} == {"weekly"}


def test_expansion_defaults_duplicates_and_name_clashes(tmp_path):
    import shutil

    tenant = tmp_path / "acme"  # a tenant folder (the pre-flight loads it)
    shutil.copytree(tenants_dir() / "eu_company_zmo", tenant)
    custom = write(tmp_path / "strict.yaml", "configurations:\n  strict:\n    zmo: true\n")
    runs = fixture_plan(
        tmp_path,
        f"""\
jobs:
  - name: a
    notebooks: [tenant_chart]
  - name: b
    notebooks: [tenant_chart, no_tenant]
    configurations: [default]
  - name: c
    notebooks: [no_tenant]
    configurations: [default, zmo_zdr]
  - name: d
    notebooks: [tenant_chart]
    tenants: [acme]
    configurations: [{custom.name}]
""",
    )
    got = [(r.job, r.output, r.parameters) for r in runs]
    assert got == [
        # no tenants/configurations: the notebook's defaults, named after them
        ("a", "us_enterprise_defaults/tenant_chart__default", {}),
        # the same notebook with the same configuration passed explicitly: another run
        ("b", "us_enterprise_defaults/tenant_chart__default__2", {"configuration": "default"}),
        ("b", "_all/no_tenant", {"configurations": ["default"]}),
        ("c", "_all/no_tenant__2", {"configurations": ["default", "zmo_zdr"]}),
        # paths in a schedule are relative to its folder and passed as absolute paths
        ("d", "acme/tenant_chart__strict", {"tenant": str(tenant), "configuration": str(custom)}),
    ]
    # a run both jobs produce is run once
    again = fixture_plan(
        tmp_path,
        "jobs:\n  - name: a\n    notebooks: [fails]\n    tenants: all\n"
        "  - name: b\n    notebooks: [fails]\n    tenants: [eu_company_zmo]\n",
    )
    assert [r.output for r in again] == [f"{t}/fails" for t in BUNDLED]


def test_adhoc_job_from_flags():
    schedule, source = adhoc_schedule(["tenant_chart"], ["eu_company_zmo"], ["zmo"])
    runs = plan(schedule, source, FIXTURES)
    assert [(r.output, r.parameters) for r in runs] == [
        ("eu_company_zmo/tenant_chart__zmo", {"tenant": "eu_company_zmo", "configuration": "zmo"})
    ]
    schedule, source = adhoc_schedule(["fails"], None, None)
    assert [r.output for r in plan(schedule, source, FIXTURES)] == [f"{t}/fails" for t in BUNDLED]


# -------------------------------------------------------------------------- HTML checks


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.network: list[str] = []
        self.scripts = 0
        self.sources: list[tuple[str, int]] = []  # (script src, offset of its line)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if attrs.get("src"):
                self.sources.append((attrs["src"], self.getpos()[0]))
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if tag in ("script", "link", "img", "iframe") and re.match(r"\s*(https?:)?//", value):
                self.network.append(f"<{tag} {name}={value}>")


def check_html(path: Path, code_snippets: list[str] = (), self_contained: bool = False) -> str:
    """An exported report: offline (no script/stylesheet from the network, no CDN), no input
    cells; exactly when there are charts, plotly.js once in <head>: embedded when
    `self_contained`, else one <script src> whose relative path reaches the run folder's
    assets/plotly.min.js. Returns the text."""
    text = path.read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(text)
    assert tags.network == [], f"{path}: network references {tags.network}"
    rest = text.replace(plotly_js(), "")  # plotly.js itself names map tile servers
    for cdn in ("cdnjs.cloudflare.com", "unpkg.com", "cdn.jsdelivr.net", "cdn.plot.ly", "require.min.js"):
        assert cdn not in rest, f"{path}: mentions {cdn}"
    assert 'class="jp-CodeMirrorEditor' not in text and 'class="jp-InputPrompt' not in text
    assert 'class="jp-OutputPrompt' not in text
    for snippet in code_snippets:
        assert snippet not in text, f"{path}: shows input code {snippet!r}"
    charts = text.count('class="plotly-graph-div"')
    bundles = len(re.findall(r"\* plotly\.js v\d", text))
    sources = [src for src, _ in tags.sources]
    head_lines = text[: text.index("</head>")].count("\n") + 1
    if self_contained:
        assert (bundles, sources) == (1 if charts else 0, []), f"{path}: {charts} charts, {bundles} plotly.js"
        if charts:
            assert re.search(r"\* plotly\.js v\d", text[: text.index("</head>")]), "plotly.js not in <head>"
    else:
        assert bundles == 0, f"{path}: plotly.js embedded although the run folder has it"
        assert len(sources) == (1 if charts else 0), f"{path}: {charts} charts, scripts {sources}"
        if charts:
            assert tags.sources[0][1] <= head_lines, "plotly.js is not loaded in <head>"
            target = (path.parent / sources[0]).resolve()
            assert target.name == "plotly.min.js" and target.parent.name == "assets", sources[0]
            assert target.read_text(encoding="utf-8") == plotly_js(), f"{path}: {sources[0]} is not plotly.js"
    return text


def index_links(index: Path) -> set[str]:
    return set(re.findall(r'href="([^"#]+)"', index.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """The real pipeline on two of the project's notebooks for one tenant."""
    for name in ("feature_matrix", "settings_audit"):
        assert (NOTEBOOKS / f"{name}.ipynb").exists(), f"notebooks/{name}.ipynb is missing"
    out = tmp_path_factory.mktemp("real") / "reports"
    code, stdout, err = run_cli(
        "report",
        "--notebooks",
        "feature_matrix,settings_audit",
        "--tenants",
        "startup_everything_on",
        "--out",
        out,
        "--run-id",
        "real",
        "--workers",
        "2",
    )
    return code, stdout, err, out


def test_real_notebooks_make_offline_reports(real_report):
    code, stdout, err, out = real_report
    assert code == 0, err
    folder = out / "real"
    assert stdout.strip().endswith(str(folder / "index.html").lstrip("/")) or stdout.strip() == str(
        folder / "index.html"
    )
    assert os.readlink(out / "latest") == "real"
    expected = {"_all/feature_matrix", "startup_everything_on/settings_audit"}
    for name in expected:
        for suffix in (".ipynb", ".html", ".json"):
            assert (folder / f"{name}{suffix}").is_file(), f"{name}{suffix}"
        meta = json.loads((folder / f"{name}.json").read_text())
        assert meta["status"] == "ok" and meta["error"] is None
        assert meta["notebook"] == name.split("/")[1]
        assert isinstance(meta["summary"], dict) and meta["summary"], "the notebook's key figures"
        assert meta["duration_seconds"] > 0
        text = check_html(folder / f"{name}.html", ["import zoomai", "summary_path ="])
        assert text.count('class="plotly-graph-div"') >= 1, f"{name}: expected charts"
    meta = json.loads((folder / "startup_everything_on/settings_audit.json").read_text())
    assert meta["parameters"] == {"tenant": "startup_everything_on"}
    links = index_links(folder / "index.html")
    for name in expected:
        assert {f"{name}.html", f"{name}.ipynb", f"{name}.json"} <= links
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["runs_total"] == 2 and summary["runs_failed"] == 0
    assert not list(out.glob(".*partial"))
    # the notebook's own escaping: the group name with a script tag is shown as text
    html_text = (folder / "startup_everything_on/settings_audit.html").read_text()
    assert "<script>alert(1)</script>" not in html_text


def test_fixture_pipeline_escapes_and_indexes(tmp_path, backend):
    code, stdout, err = fixture_report(
        tmp_path,
        "jobs:\n  - name: weekly\n    notebooks: [tenant_chart, no_tenant]\n"
        "    tenants: [startup_everything_on]\n    configurations: [default, hardened]\n",
        "--run-id",
        "r1",
        *backend,
    )
    assert code == 0, err
    folder = tmp_path / "reports" / "r1"
    assert stdout == f"{folder / 'index.html'}\n"
    names = [
        "startup_everything_on/tenant_chart__default",
        "startup_everything_on/tenant_chart__hardened",
        "_all/no_tenant",
    ]
    for name in names:
        check_html(folder / f"{name}.html", ["fig.update_layout", "summary_path ="])
    assert check_html(folder / "_all/no_tenant.html").count("plotly-graph-div") == 0
    index = (folder / "index.html").read_text()
    check_html(folder / "index.html")
    assert "<script>alert(1)</script>" not in index
    assert "Growth &lt;script&gt;alert(1)&lt;/script&gt;" in index  # a key figure, escaped
    assert {f"{n}.html" for n in names} <= index_links(folder / "index.html")
    meta = json.loads((folder / "_all/no_tenant.json").read_text())
    assert meta["summary"] == {"configurations": ["default", "hardened"], "limit": 3}
    assert not list(folder.rglob(".*.summary.json"))


def test_failure_keeps_other_reports_and_the_earlier_good_one(tmp_path, backend):
    good = JOB
    code, _, err = fixture_report(tmp_path, good, "--run-id", "good", *backend)
    assert code == 0, err
    reports = tmp_path / "reports"
    assert os.readlink(reports / "latest") == "good"
    before = sorted(p.relative_to(reports) for p in (reports / "good").rglob("*"))

    code, stdout, err = fixture_report(
        tmp_path,
        "jobs:\n  - name: weekly\n    notebooks: [fails, tenant_chart]\n"
        "    tenants: [us_enterprise_defaults, eu_company_zmo]\n",
        "--run-id",
        "bad",
        *backend,
    )
    assert code == 1
    assert stdout == f"{reports / 'bad' / 'index.html'}\n"
    assert err.splitlines()[-3:] == [
        "2 of 4 runs failed:",
        "  fails  tenant=us_enterprise_defaults  configuration=-  "
        "ValueError: boom for us_enterprise_defaults",
        "  fails  tenant=eu_company_zmo  configuration=-  ValueError: boom for eu_company_zmo",
    ]
    bad = reports / "bad"
    for tenant in ("us_enterprise_defaults", "eu_company_zmo"):
        assert (bad / tenant / "tenant_chart__default.html").is_file()
        executed = json.loads((bad / tenant / "fails.ipynb").read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert [(e["ename"], e["evalue"]) for e in errors] == [("ValueError", f"boom for {tenant}")]
        meta = json.loads((bad / tenant / "fails.json").read_text())
        assert meta["status"] == "failed" and meta["error"] == f"ValueError: boom for {tenant}"
        assert "boom for" in (bad / tenant / "fails.html").read_text()
    index = (bad / "index.html").read_text()
    assert index.count('class="failed"') == 3  # the total and the two runs
    assert json.loads((bad / "summary.json").read_text())["runs_failed"] == 2
    # the earlier good report is untouched, and still the latest
    assert os.readlink(reports / "latest") == "good"
    assert sorted(p.relative_to(reports) for p in (reports / "good").rglob("*")) == before


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch, backend):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "write_index", interrupt)
    code, out, err = fixture_report(tmp_path, JOB, "--run-id", "cut", *backend)
    assert code == 130
    assert "interrupted; no report written" in err
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == []


def test_interrupted_while_running_leaves_nothing_behind(tmp_path, monkeypatch, backend):
    """Ctrl-C after the first of three runs: the runs not started are cancelled, the running
    one finishes or fails, and none of them writes into the removed partial folder."""
    import time

    import tqdm

    def interrupt(self, n=1):
        raise KeyboardInterrupt

    monkeypatch.setattr(tqdm.tqdm, "update", interrupt)
    schedule = "workers: 1\njobs:\n  - name: t\n    notebooks: [tenant_chart]\n"
    schedule += "    tenants: [eu_company_zmo, startup_everything_on, us_enterprise_defaults]\n"
    code, _, err = fixture_report(tmp_path, schedule, "--run-id", "cut", *backend)
    assert code == 130, err
    for _ in range(10):  # a task still running on a cluster worker has time to write (it must not)
        assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == []
        time.sleep(0.5)


def test_fresh_kernels_and_data_folder(tmp_path, backend):
    """--fresh-kernels runs each notebook in its own kernel; --data reaches the kernels (a
    cluster's workers, started without it, get it with each run)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("tenants"))
    shutil.copytree(tenants_dir() / "eu_company_zmo", data / "tenants" / "eu_company_zmo")
    before = os.environ.get("ZOOMAI_DATA")
    code, _, err = fixture_report(
        tmp_path,
        "jobs:\n  - name: weekly\n    notebooks: [tenant_chart]\n    tenants: all\n",
        "--fresh-kernels",
        "--data",
        data,
        "--run-id",
        "fresh",
        *backend,
    )
    assert code == 0, err
    folder = tmp_path / "reports" / "fresh"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["assets", "eu_company_zmo"]
    meta = json.loads((folder / "eu_company_zmo/tenant_chart__default.json").read_text())
    assert meta["summary"]["tenant_id"] == "eu_company_zmo"
    assert os.environ.get("ZOOMAI_DATA") == before  # restored after an in-process run


def _same_name_tenants(tmp_path: Path) -> list[Path]:
    """Two different tenant folders both called `t` (copies of two bundled tenants)."""
    import shutil

    folders = [tmp_path / "a" / "t", tmp_path / "b" / "t"]
    for folder, bundled in zip(folders, ("us_enterprise_defaults", "startup_everything_on"), strict=True):
        shutil.copytree(tenants_dir() / bundled, folder)
    return folders


def test_tenant_folders_with_one_name_get_distinct_stable_labels(tmp_path):
    import hashlib

    a, b = _same_name_tenants(tmp_path)
    schedule = f"jobs:\n  - name: w\n    notebooks: [fails]\n    tenants: [{a}, {b}, eu_company_zmo]\n"
    runs = fixture_plan(tmp_path, schedule)
    # each folder: its name, "-" and the first 6 hex digits of the SHA-256 of its absolute path;
    # a tenant whose name no other shares keeps its plain name
    tag = {p: hashlib.sha256(str(p).encode()).hexdigest()[:6] for p in (a, b)}
    assert [r.output for r in runs] == [f"t-{tag[a]}/fails", f"t-{tag[b]}/fails", "eu_company_zmo/fails"]
    assert tag[a] != tag[b]
    assert [r.output for r in fixture_plan(tmp_path, schedule)] == [r.output for r in runs]  # stable


def test_report_of_two_tenant_folders_with_one_name_indexes_both(tmp_path):
    """Both folders were labelled `t` before: one name for two tenants, and with a third tenant
    ranked between them (exposure scores 80 < 120 < 300, the fixture's user counts) the ranking
    chart crashed on the duplicate name."""
    a, b = _same_name_tenants(tmp_path)
    code, _, err = run_cli(
        "report",
        "--notebooks",
        REPO / "tests" / "fixtures" / "ranking" / "tenant_risk_report.ipynb",
        "--tenants",
        f"{a},{b},events_marketing",
        "--out",
        tmp_path / "reports",
        "--run-id",
        "r1",
        "--workers",
        "1",
    )
    assert code == 0, err
    folder = tmp_path / "reports" / "r1"
    summary = json.loads((folder / "summary.json").read_text())
    tenants = sorted(r["tenant"] for r in summary["runs"])
    assert tenants[0] == "events_marketing" and len(set(tenants)) == 3
    assert all(t.startswith("t-") for t in tenants[1:])
    index = (folder / "index.html").read_text()
    assert {f"{t}/tenant_risk_report__default.html" for t in tenants} <= index_links(folder / "index.html")
    assert "zoomai-ranking" in index
    for bundled in ("us_enterprise_defaults", "startup_everything_on", "events_marketing"):
        name = pd.read_parquet(tenants_dir() / bundled / "tenants.parquet")["name"].iloc[0]
        assert html.escape(str(name)) in index


# ------------------------------------------------------------------------ tenant isolation

MARKERS = {"a": "MKA7Q", "b": "MZB3W"}


def _marked_tenant(folder: Path, which: str, profile: str) -> list[str]:
    """A small simulated tenant whose id, name, groups, sites and e-mail domain carry a marker."""
    from zoomai.tenants.simulate import simulate_tenant
    from zoomai.tenants.tables import Tenant, save_tenant, validate

    mark = MARKERS[which]
    tid = f"iso{which}_{mark.lower()}"
    t = simulate_tenant(profile, seed=3, users=25, months=1, tenant_id=tid, check=False)
    tenants = t.tenants.assign(name=f"Org {mark} <b>{which}</b>")
    groups = t.groups.assign(name=t.groups["name"].astype(str) + f" {mark}")
    sites = t.sites.assign(name=t.sites["name"].astype(str) + f" {mark}")
    users = t.users.assign(
        email=t.users["email"].astype(str).str.replace(r"@.*", f"@{mark.lower()}.example", regex=True)
    )
    tenant = Tenant(
        tenants=tenants, groups=groups, sites=sites, users=users, settings=t.settings, usage=t.usage
    )
    save_tenant(validate(tenant), folder / tid)
    return [mark, mark.lower(), tid]


def test_tenant_isolation(tmp_path):
    """Two tenants through every tenant notebook in one kernel (one worker): neither's report
    files mention the other."""
    markers = {
        "a": _marked_tenant(tmp_path, "a", "us_enterprise_defaults"),
        "b": _marked_tenant(tmp_path, "b", "startup_everything_on"),
    }
    tenant_notebooks = [
        name
        for name, path in list_notebooks(NOTEBOOKS).items()
        if "tenant" in notebook_parameters(path).params
    ]
    assert tenant_notebooks, "no notebook of notebooks/ declares `tenant`"
    tenant_notebooks.append(str(FIXTURES / "tenant_chart.ipynb"))
    out = tmp_path / "reports"
    code, _, err = run_cli(
        "report",
        "--notebooks",
        ",".join(tenant_notebooks),
        "--tenants",
        f"{tmp_path / markers['a'][2]},{tmp_path / markers['b'][2]}",
        "--configurations",
        "default",
        "--out",
        out,
        "--run-id",
        "iso",
        "--workers",
        "1",
    )
    assert code == 0, err
    for which, other in (("a", "b"), ("b", "a")):
        folder = out / "iso" / markers[which][2]
        files = sorted(p for p in folder.iterdir() if p.is_file())
        assert len(files) == 3 * len(tenant_notebooks)
        own_seen = False
        for path in files:
            text = path.read_text(encoding="utf-8")
            own_seen = own_seen or MARKERS[which] in text
            for marker in markers[other]:
                assert marker not in text, f"{path.name} of tenant {which} mentions tenant {other}: {marker}"
        assert own_seen


def test_timeout_and_dead_kernel_fail_their_run_and_the_next_run_gets_a_new_kernel(tmp_path, backend):
    """One worker (the session's Dask cluster: two), so one kernel at a time (two): a cell over
    the timeout, a kernel that exits, then a notebook that must still run in a new kernel. (The
    timeout leaves room for a new kernel's imports on a loaded machine; `sleeps` sleeps 60 s.)"""
    code, _, err = fixture_report(
        tmp_path,
        "cell_timeout_seconds: 20\nworkers: 1\njobs:\n  - name: slow\n"
        "    notebooks: [sleeps, dies, tenant_chart]\n    tenants: [eu_company_zmo]\n",
        "--run-id",
        "slow",
        *backend,
    )
    assert code == 1
    folder = tmp_path / "reports" / "slow"
    meta = json.loads((folder / "_all/sleeps.json").read_text())
    assert meta["status"] == "failed"
    assert meta["error"].startswith(
        "CellTimeoutError: A cell timed out while it was being executed, after 20 "
    )
    assert (folder / "_all/sleeps.ipynb").is_file()
    meta = json.loads((folder / "eu_company_zmo/dies.json").read_text())
    assert meta["status"] == "failed" and meta["error"].startswith("DeadKernelError"), meta["error"]
    meta = json.loads((folder / "eu_company_zmo/tenant_chart__default.json").read_text())
    assert meta["status"] == "ok", meta["error"]
    assert "2 of 3 runs failed:" in err


# ---------------------------------------------------------------------------- Dask clusters


def _descendants() -> set[int]:
    """This process's descendants, but Python's resource tracker (started once per process
    by the first spawned child, shared by all, it ends with this process)."""
    import psutil

    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
    }


def test_local_cluster_gives_the_pool_s_figures_and_leaves_no_process(tmp_path):
    """The real risk report for two tenants on an embedded 2-worker LocalCluster and on the
    built-in pool of 2 workers: the same runs, statuses and headline figures in summary.json
    (only times differ), and no worker or kernel process left once the command returns."""
    before = _descendants()
    args = ["--notebooks", "tenant_risk_report", "--tenants", "eu_company_zmo,startup_everything_on"]
    args += ["--config", "default", "--workers", "2", "--out", tmp_path / "reports"]
    code, _, err = run_cli("report", *args, "--run-id", "dask", "--cluster", "local")
    assert code == 0, err
    assert _descendants() <= before, "the LocalCluster left processes behind"
    code, _, err = run_cli("report", *args, "--run-id", "pool")
    assert code == 0, err

    def figures(run_id: str) -> tuple[dict, list]:
        summary = json.loads((tmp_path / "reports" / run_id / "summary.json").read_text())
        runs = [
            {k: v for k, v in r.items() if k not in ("started", "duration_seconds")} for r in summary["runs"]
        ]
        head = {k: summary[k] for k in ("status", "runs_total", "runs_failed", "workers", "cluster")}
        return head, runs

    dask_head, dask_runs = figures("dask")
    pool_head, pool_runs = figures("pool")
    assert dask_head == {**pool_head, "cluster": "local"}
    assert pool_head == {"status": "ok", "runs_total": 2, "runs_failed": 0, "workers": 2, "cluster": None}
    assert dask_runs == pool_runs
    assert all(r["summary"]["exposure_score"] > 0 for r in pool_runs)  # real figures, compared


@pytest.mark.parametrize(
    "value", ["locall", "tcp://", "tcp://host", "tcp://host:0", "tcp://host:70000", "http://host:8786", ""]
)
def test_cluster_value_is_validated(tmp_path, value):
    code, out, err = fixture_report(tmp_path, JOB, "--cluster", value)
    assert (code, out) == (2, "")
    assert (
        f"argument --cluster: expected local (a Dask LocalCluster on this machine) or tcp://HOST:PORT "
        f"(an existing Dask scheduler), e.g. local or tcp://10.0.0.5:8786, got {value!r}"
    ) in err
    assert not (tmp_path / "reports").exists()


def test_unreachable_scheduler_is_one_message_and_nothing_is_written(tmp_path, monkeypatch):
    import socket

    from zoomai.core import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
        code, out, err = fixture_report(tmp_path, JOB, "--run-id", "r1", "--cluster", address)
    assert (code, out) == (2, "")
    assert err.endswith(
        f"zoomai: error: --cluster {address}: no Dask scheduler answered within 1 s "
        f"(OSError); start one with `dask scheduler` and workers with `dask worker {address}`\n"
    ), err
    assert "Traceback" not in err
    assert not (tmp_path / "reports").exists()
