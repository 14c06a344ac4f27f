"""What reports say about the fact set: the scope and sources of `current`, the v5.0 -> current
change overview and its chart, and `zoomai report --facts` reaching every run."""

from __future__ import annotations

import re

from zoomai.analysis.scope import scope_statement
from zoomai.facts.compare import OVERVIEW_KINDS, change_overview
from zoomai.reporting.charts import fact_changes_chart
from zoomai.reporting.notebook import sources_table
from zoomai.reporting.plan import plan
from zoomai.reporting.schedule import DEFAULT_SCHEDULE, load_schedule


def test_current_scope_replaces_sources_and_says_what_is_unknown():
    v5, current = scope_statement(facts="v5.0"), scope_statement()
    assert v5["topic"].is_unique and current["topic"].is_unique
    sources = current.set_index("topic").loc["Sources"]
    assert "later public pages" in sources["statement"]  # data/current/scope.yaml replaces the v5.0 item
    assert "nothing documented later" in v5.set_index("topic").loc["Sources", "statement"]
    for topic in ("ZM+ deployment option", "Third-party data sources", "Model providers after v5.0"):
        assert topic in set(current["topic"])
    assert (current["source"] != "").all()
    # 14 v5.0 items, one replaced, seven in data/current/scope.yaml
    assert len(v5) == 14 and len(current) == 14 - 1 + 7


def test_sources_listed_in_reports_by_title_linked_to_their_page():
    from zoomai.reporting.formats import Link
    from zoomai.reporting.notebook import table_html

    v5, current = sources_table("v5.0"), sources_table("current")
    assert list(v5.columns) == ["document", "publisher", "date", "read"]
    # the bundled seeds by title, said to be bundled; every later page a link titled by its page
    assert (
        v5["document"].iloc[0] == "AI Companion Security and Privacy (whitepaper), version 5.0 (bundled copy)"
    )
    links = [d for d in current["document"] if isinstance(d, Link)]
    assert len(links) == len(current) - len(v5) and all(d.href.startswith("https://") for d in links)
    html = table_html(current)
    kb = next(d for d in links if "KB0080357" in d.href)
    assert f'<a href="{kb.href.replace("&", "&amp;")}">{kb.text}</a>' in html
    shown = re.sub(r"<[^>]+>", " ", html)  # the text a reader sees: no address
    assert "https://" not in shown and "sysparm_article" not in shown and "seeds/" not in shown


def test_change_overview_and_chart():
    overview = change_overview()
    assert tuple(dict.fromkeys(overview["kind"])) == OVERVIEW_KINDS
    by_kind = overview.groupby("kind")["subject"].agg(set)
    # data/current/facts.yaml model_providers; deployment_options.yaml's current option
    assert by_kind["new model provider"] == {"Perplexity", "ElevenLabs"}
    assert by_kind["new deployment option"] == {"Zoom-hosted Models Plus (ZM+)"}
    # feature_changes.csv adds five features and two meeting-summary inputs
    assert len(by_kind["added feature"]) == 5
    assert by_kind["added content item"] == {
        "Meetings / Meeting summary / Screen-shared content read by OCR",
        "Meetings / Meeting summary / In-meeting chat messages",
    }
    zdr = overview[overview["kind"] == "ZDR scope"]
    assert zdr["detail"].str.contains("OCR").any()
    assert zdr["source"].str.startswith("Privacy, Retention, and Access Controls (AI bluepaper").all()
    bar = fact_changes_chart(overview).data[0]
    assert list(bar.y) == list(OVERVIEW_KINDS)
    assert list(bar.x) == [int((overview["kind"] == k).sum()) for k in OVERVIEW_KINDS]


def test_report_facts_reaches_every_run():
    schedule, source = load_schedule(DEFAULT_SCHEDULE)
    runs = plan(schedule.with_facts("current"), source)
    assert runs and {r.parameters.get("facts") for r in runs} == {"current"}
    assert all("facts" not in r.parameters for r in plan(schedule, source))
