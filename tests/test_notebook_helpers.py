"""zoomai.reporting.notebook: escaping, figure bundles for the report exporter, parameters, summaries."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from zoomai.core.errors import ZoomaiError
from zoomai.reporting import notebook

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def shown(monkeypatch):
    """What the helpers display: a list of (object, kwargs)."""
    calls: list = []
    monkeypatch.setattr(notebook, "display", lambda obj, **kw: calls.append((obj, kw)))
    return calls


@pytest.fixture
def fresh_ids(monkeypatch):
    monkeypatch.setattr(notebook, "_figure_ids", Counter())


def test_md_escapes_values(shown):
    notebook.md("Group **{name}** of {tenant}", name=SCRIPT, tenant="[x](javascript:alert(1)) *a* $x$")
    bundle, kw = shown[0]
    assert kw == {"raw": True}
    text = bundle["text/markdown"]
    assert text.startswith("Group **") and "<script" not in text
    assert not any(c in text.split("** of ")[1] for c in "[]()*$")
    html = markdown2html_mistune(text)
    assert "<script" not in html and "<a " not in html and "<em>" not in html
    assert "<strong>" in html  # the template's own Markdown still works


def test_escape_markdown_renders_as_the_same_text():
    html = markdown2html_mistune(notebook.escape_markdown("A & B <b>x</b> #1 5.15.12"))
    assert html.strip() == "<p>A &amp; B &lt;b&gt;x&lt;/b&gt; #1 5.15.12</p>"


def test_table_escapes_cells_headers_and_caption(shown):
    frame = pd.DataFrame({"group": [SCRIPT], "<i>col</i>": [1]})
    notebook.table(frame, caption="<b>cap</b>")
    bundle = shown[0][0]
    html = bundle["text/html"]
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;col&lt;/i&gt;" in html and "&lt;b&gt;cap&lt;/b&gt;" in html
    assert SCRIPT in bundle["text/plain"]  # plain text is not HTML


def test_table_shows_missing_values_as_empty_cells():
    frame = pd.DataFrame({"notice": pd.array([True, None], dtype="boolean"), "share": [0.5, float("nan")]})
    html = notebook.table_html(frame)
    assert "NA" not in html and "nan" not in html.lower() and ">yes</td>" in html


def _fig() -> go.Figure:
    return go.Figure(go.Bar(x=["a", SCRIPT], y=[1, 2]), layout={"title": {"text": "t"}, "height": 300})


def test_figure_bundle_has_plotly_json_and_html_without_plotly_js(fresh_ids):
    bundle = notebook.figure_bundle(_fig())
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html"}
    spec = bundle["application/vnd.plotly.v1+json"]
    assert spec["data"][0]["type"] == "bar" and spec["layout"]["title"]["text"] == "t"
    json.dumps(spec)  # JSON-able as it is
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html
    assert "require(" not in html and "define(" not in html and "<script src" not in html
    assert len(html) < 50_000  # a div and a call, not the 3 MB library
    assert "<script>alert" not in html  # the figure's text is JSON-escaped


def test_figure_ids_are_deterministic(fresh_ids, monkeypatch):
    first = notebook.figure_bundle(_fig())["text/html"]
    again = notebook.figure_bundle(_fig())["text/html"]
    assert first != again  # the same figure twice in one run gets a second id
    monkeypatch.setattr(notebook, "_figure_ids", Counter())
    assert notebook.figure_bundle(_fig())["text/html"] == first  # a rerun gives identical HTML


def test_show_displays_one_raw_bundle(shown, fresh_ids):
    notebook.show(_fig())
    assert len(shown) == 1
    bundle, kw = shown[0]
    assert kw == {"raw": True} and "application/vnd.plotly.v1+json" in bundle


def test_check_parameters():
    notebook.check_parameters(configuration="hardened", region="eu", tenant="eu_company_zmo", summary_path="")
    for params, message in [
        ({"region": "Europe"}, "notebook parameter region: expected a hosting region, one of US, AU,"),
        ({"configuration": "nope"}, "notebook parameter configuration: unknown configuration 'nope'"),
        ({"tenant": "nope"}, "notebook parameter tenant: nope: not a tenant folder"),
        ({"summary_path": None}, "notebook parameter summary_path: expected text, got None"),
        ({"colour": "red"}, "unknown notebook parameter 'colour'"),
    ]:
        with pytest.raises(ZoomaiError, match=message.replace("(", r"\(")):
            notebook.check_parameters(**params)


def test_save_summary_writes_sorted_json_with_converted_scalars(tmp_path, shown):
    path = tmp_path / "out" / "summary.json"
    figures = {"b": np.int64(3), "a": np.float64(0.5), "c": [np.bool_(True), "x"], "d": {"e": pd.NA}}
    assert notebook.save_summary(figures, str(path)) is None
    text = path.read_text()
    assert list(json.loads(text)) == ["a", "b", "c", "d"]
    assert json.loads(text) == {"b": 3, "a": 0.5, "c": [True, "x"], "d": {"e": None}}
    assert [p.name for p in path.parent.iterdir()] == ["summary.json"]  # no temporary file left
    assert shown == []  # shown once, by notebook.headlines, not again here


def test_save_summary_without_path_writes_nothing_but_still_checks(tmp_path, shown, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook.save_summary({"n": 1}, "")
    assert list(tmp_path.iterdir()) == [] and shown == []
    with pytest.raises(ZoomaiError, match="summary figure bad"):
        notebook.save_summary({"bad": object()}, "")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            pd.DataFrame(),
            "summary figure bad: expected a number, text, true/false, null, list or mapping, got DataFrame",
        ),
        (float("inf"), "summary figure bad: expected a finite number"),
        ({1: 2}, "summary figure bad: expected text keys"),
        ([1, object()], r"summary figure bad\[1\]: expected a number"),
    ],
)
def test_save_summary_rejects_non_json_values(tmp_path, shown, value, message):
    path = tmp_path / "summary.json"
    path.write_text("old")
    with pytest.raises(ZoomaiError, match=message):
        notebook.save_summary({"ok": 1, "bad": value}, str(path))
    assert path.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_save_summary_is_atomic(tmp_path, shown, monkeypatch):
    path = tmp_path / "summary.json"
    path.write_text("old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(notebook.json, "dump", broken)
    with pytest.raises(OSError, match="disk full"):
        notebook.save_summary({"n": 1}, str(path))
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_headlines_are_shown_once_as_a_formatted_table(shown):
    figures = {
        "records": np.int64(260465),
        "people_without_notice": 5915.7,
        "pareto": ["ai_off", "hardened"],
        "exposure_score": {"default": 19815232, "zmo": 15088772},
        "best_change": "in_meeting.meeting_summary_with_ai_companion.enable=false",
        "name": "x",
    }
    notebook.headlines(figures)
    assert len(shown) == 1
    bundle = shown[0][0]
    assert bundle["text/plain"] == (  # the nbval-checked text: exact machine values
        'records: 260465\npeople_without_notice: 5915.7\npareto: ["ai_off", "hardened"]\n'
        'exposure_score: {"default": 19815232, "zmo": 15088772}\n'
        "best_change: in_meeting.meeting_summary_with_ai_companion.enable=false\nname: x\n"
    )
    rows = dict(notebook.figure_rows(figures).itertuples(index=False))
    assert rows == {
        "Records held by any party": "260,465",
        "People without AI notice": "about 5,900",
        "Pareto-efficient configurations": "AI Companion off, Hardened",
        "Exposure score: Tenant's own settings (default)": "19,815,232",
        "Exposure score: Zoom-hosted Models Only (ZMO)": "15,088,772",
        "Best single setting change": "Switch off Meeting summary (Meetings)",
        "Name": "x",
    }
    html = bundle["text/html"]
    assert "about 5,900" in html and "5915" not in html and 'class="data row0 col1 num"' in html


def test_tables_align_format_fold_and_say_when_empty():
    frame = pd.DataFrame(
        {
            "product": ["Meetings"] * 20 + ["Phone"] * 10,
            "data_category": ["user.content.transcript"] * 30,
            "records": range(999_990, 1_000_020),
            "people_without_notice": [5915.7] * 30,
            "share": [0.25] * 30,
        }
    )
    short = notebook.table_html(frame.head(2), "Flows")
    assert "<th" in short and "Data category" in short and "Fideslang key" in short and "Records" in short
    assert 'num" >999,990</td>' in short and "about 5,900" in short and ">25%</td>" in short
    assert ">Transcript</td>" in short and 'class="data row0 col2 code" >user.content.transcript' in short
    assert "<details" not in short
    folded = notebook.table_html(frame, "Flows")
    assert folded.count("<details") == 1 and "Show all 30 rows" in folded
    grouped = notebook.table_html(frame, "Flows", group_by="product")
    assert grouped.count("<details") == 2 and "Meetings: 20 rows" in grouped and "Phone: 10 rows" in grouped
    empty = notebook.table_html(frame.head(0), "Flows", empty="No flow under this configuration.")
    assert "<table" not in empty and "No flow under this configuration." in empty
    assert notebook.table_html(frame.head(2)) == notebook.table_html(frame.head(2))  # deterministic


def test_header_names_the_subject(monkeypatch, shown):
    import zoomai

    notebook.setup(run_id="20261202T041500Z-ab12")
    tenant = zoomai.load_tenant("eu_company_zmo")
    rows = dict(notebook.subject(tenant, "hardened").itertuples(index=False))
    assert rows["Tenant"].startswith(tenant.info["name"]) and rows["Hosting region"] == "EU"
    assert rows["Configuration"].startswith("Hardened: The strictest set")
    assert "Meeting summary emails: Link only" in rows["What it changes"]
    assert "usage from 01 Jan 2026 to 31 Mar 2026" in rows["Tenant data"]
    assert "version 5.0" in rows["Facts"] and rows["Report run"] == "20261202T041500Z-ab12"
    notebook.setup()
    assert notebook.subject()["detail"].iloc[-1].startswith("not part of a report run")
    with pytest.raises(ZoomaiError, match="notebook parameter run_id: expected text"):
        notebook.setup(run_id=7)


def test_usage_evidence_is_cited_in_words_with_the_api_fields_apart(shown):
    from zoomai.tenants.tables import load_tenant

    notebook.usage_basis(load_tenant("us_enterprise_defaults"), {"observed_features": ["phone.call_summary"]})
    evidence = shown[1][0]["text/html"]  # after the uses per source
    header = re.findall(r"<th [^>]*>([^<]*)</th>", evidence)
    assert header == ["Feature", "Observed in", "One use is", "API fields read"]
    cells = re.findall(r"<td [^>]*>([^<]*)</td>", evidence)
    # data/usage_evidence.yaml: the endpoint in words, then the request; the fields in their column
    assert cells[1] == "Zoom API: a user&#39;s call history (GET /phone/users/{userId}/call_history)"
    assert cells[3] == "call_logs: id, call_id, connect_type, start_time, ai_call_summary_id"
    assert "Response" not in evidence  # no SDK type name in the report table
