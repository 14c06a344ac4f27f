"""zoomai.reporting.charts on tiny hand-made tables: traces, labels and counts."""

from __future__ import annotations

import math

import pandas as pd

from zoomai.reporting import charts


def _flow(product, feature, item, category, party, kind, location="US"):
    return dict(
        product=product,
        feature_id=f"{product}.{feature}".lower(),
        feature=feature,
        content_item=item,
        data_category=category,
        party=party,
        party_kind=kind,
        location=location,
    )


FLOWS = pd.DataFrame(
    [
        _flow("Meetings", "Meeting summary", "Transcript", "user.content.transcript", "Zoom", "zoom"),
        _flow(
            "Meetings", "Meeting summary", "Transcript", "user.content.transcript", "OpenAI", "model_provider"
        ),
        _flow("Meetings", "Meeting summary", "Summary", "user.content.ai_generated.summary", "Zoom", "zoom"),
        _flow(
            "Team Chat", "Chat compose", "Prompt", "user.content.prompt;user.name", "Zoom", "zoom", "device"
        ),
    ]
)


def test_matrix_heatmap_counts_items_per_product_and_party():
    fig = charts.matrix_heatmap(FLOWS)
    heat = fig.data[0]
    assert list(heat.x) == ["Zoom", "OpenAI"]  # parties by kind: Zoom before model providers
    assert list(heat.y) == ["Meetings", "Team Chat"]
    assert heat.z[0].tolist() == [2, 1]
    assert heat.z[1][0] == 1 and math.isnan(heat.z[1][1])  # nothing: an empty cell, not 0
    assert fig.layout.title.text and fig.layout.height


def test_version_additions_separates_features_before_the_changelog():
    history = pd.DataFrame(
        [
            dict(
                added_in_version="3.0", added_in_source="earliest_documented", product="Meetings", feature="A"
            ),
            dict(added_in_version="3.0", added_in_source="changelog", product="Team Chat", feature="B"),
            dict(added_in_version="4.0", added_in_source="changelog", product="Phone", feature="C"),
            dict(added_in_version="4.0", added_in_source="changelog", product="Phone", feature="D"),
        ]
    )
    fig = charts.version_additions(history)
    traces = {t.name: (list(t.x), list(t.y)) for t in fig.data}
    assert list(traces) == ["Meetings", "Team Chat", "Phone"]  # whitepaper product order
    assert traces["Meetings"] == (["in 3.0 (before the changelog)"], [1])
    assert traces["Team Chat"] == (["added in 3.0"], [1])
    assert traces["Phone"] == (["added in 4.0"], [2])
    assert list(fig.layout.xaxis.categoryarray) == [
        "in 3.0 (before the changelog)",
        "added in 3.0",
        "added in 4.0",
    ]
    assert "C<br>D" in fig.data[2].customdata[0]


def test_sankey_nodes_and_link_widths():
    fig = charts.sankey(FLOWS)
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    assert labels == [
        "Meeting summary (Meetings)",
        "Chat compose (Team Chat)",
        "user.content.ai_generated.summary",
        "user.content.prompt",
        "user.content.transcript",
        "user.name",
        "Zoom",
        "OpenAI",
        "US",
        "device",
    ]
    links = {
        (labels[s], labels[t], v)
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert links == {
        ("Meeting summary (Meetings)", "user.content.transcript", 2),
        ("Meeting summary (Meetings)", "user.content.ai_generated.summary", 1),
        ("Chat compose (Team Chat)", "user.content.prompt", 1),  # two categories: once under each
        ("Chat compose (Team Chat)", "user.name", 1),
        ("user.content.transcript", "Zoom", 1),
        ("user.content.transcript", "OpenAI", 1),
        ("user.content.ai_generated.summary", "Zoom", 1),
        ("user.content.prompt", "Zoom", 1),
        ("user.name", "Zoom", 1),
        ("Zoom", "US", 2),
        ("Zoom", "device", 2),
        ("OpenAI", "US", 1),
    }


def test_overrides_chart_stacks_levels():
    overrides = pd.DataFrame(
        [
            dict(level="group", key="k1", users=5),
            dict(level="user", key="k1", users=1),
            dict(level="user", key="k2", users=2),
        ]
    )
    fig = charts.overrides_chart(overrides)
    assert [(t.name, list(t.y), list(t.x)) for t in fig.data] == [
        ("group", ["k1", "k2"], [5, 0]),
        ("user", ["k1", "k2"], [1, 2]),
    ]


def test_overrides_chart_says_when_there_are_none():
    fig = charts.overrides_chart(pd.DataFrame(columns=["level", "key", "users"]))
    assert not fig.data and fig.layout.annotations[0].text == "No override widens exposure"


def test_version_bands_chart_colours_by_notice():
    bands = pd.DataFrame(
        {
            "band": ["below 5.15.12", "5.15.12 or later", "unknown version"],
            "participant_notice": pd.array([False, True, None], dtype="boolean"),
            "users": [2, 3, 1],
        }
    )
    bar = charts.version_bands_chart(bands).data[0]
    assert list(bar.y) == [2, 3, 1]
    assert list(bar.customdata) == ["no notice", "notice", "unknown"]
    assert len(set(bar.marker.color)) == 3


def test_figures_are_deterministic():
    assert charts.sankey(FLOWS).to_json() == charts.sankey(FLOWS).to_json()
    assert charts.matrix_heatmap(FLOWS).to_json() == charts.matrix_heatmap(FLOWS).to_json()
