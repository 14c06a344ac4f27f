"""The bundled report suite (what `make run` runs) on the bundled data: in a file of its own,
as it is the longest test (the suite's two pytest-xdist workers take whole files)."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from test_report import BUNDLED, NOTEBOOKS, check_html, index_links

from zoomai.reporting.plan import plan
from zoomai.reporting.schedule import DEFAULT_SCHEDULE, load_schedule


def test_default_suite(tmp_path):
    """The bundled schedule (what `make run` runs) on the bundled data: every run succeeds
    and gives an offline report linked from the index."""
    schedule, source = load_schedule(DEFAULT_SCHEDULE)
    missing = [
        n
        for job in schedule.jobs
        if job.notebooks != "all"
        for n in job.notebooks
        if not (NOTEBOOKS / f"{n}.ipynb").exists()
    ]
    if missing:
        pytest.skip(f"notebooks not written yet: {', '.join(missing)}")
    runs = plan(schedule, source)
    assert {r.tenant for r in runs if r.tenant} == set(BUNDLED)
    assert len(runs) <= 60, "keep the default suite small: it runs in CI and `make run`"
    code, stdout, err = run_cli("report", "--out", tmp_path / "reports", "--run-id", "suite")
    assert code == 0, err
    folder = tmp_path / "reports" / "suite"
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["status"], summary["runs_total"]) == ("ok", len(runs))
    links = index_links(folder / "index.html")
    for run in runs:
        for suffix in (".ipynb", ".html", ".json"):
            assert f"{run.output}{suffix}" in links
        check_html(folder / f"{run.output}.html")
        assert json.loads((folder / f"{run.output}.json").read_text())["summary"], run.output
