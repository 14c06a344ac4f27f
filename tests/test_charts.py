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
    assert labels == [  # categories by their fideslang names, sorted by key; locations in words
        "Meeting summary (Meetings)",
        "Chat compose (Team Chat)",
        "AI summary",
        "Prompt",
        "Transcript",
        "Name",
        "Zoom",
        "OpenAI",
        "US",
        "user's device",
    ]
    links = {
        (labels[s], labels[t], v)
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert links == {
        ("Meeting summary (Meetings)", "Transcript", 2),
        ("Meeting summary (Meetings)", "AI summary", 1),
        ("Chat compose (Team Chat)", "Prompt", 1),  # two categories: once under each
        ("Chat compose (Team Chat)", "Name", 1),
        ("Transcript", "Zoom", 1),
        ("Transcript", "OpenAI", 1),
        ("AI summary", "Zoom", 1),
        ("Prompt", "Zoom", 1),
        ("Name", "Zoom", 1),
        ("Zoom", "US", 2),
        ("Zoom", "user's device", 2),
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


def test_sankey_with_records_weights_links_by_records_and_colours_parties():
    from zoomai.reporting.palette import party_colour

    items = FLOWS.assign(records=[5, 7, 0, 3])  # the summary flow holds nothing: left out
    sankey = charts.sankey(items).data[0]
    labels = list(sankey.node.label)
    links = {
        (labels[s], labels[t]): v
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert "AI summary" not in labels
    assert links[("Meeting summary (Meetings)", "Transcript")] == 5 + 7  # Zoom's and OpenAI's copies
    assert (
        links[("Chat compose (Team Chat)", "Prompt")] == 3
        and links[("Chat compose (Team Chat)", "Name")] == 3
    )
    assert links[("Zoom", "user's device")] == 3 + 3  # the prompt item under both categories
    colour = dict(zip(labels, sankey.node.color, strict=True))
    assert colour["Zoom"] == party_colour("Zoom") and colour["OpenAI"] == party_colour("OpenAI")
    assert colour["Zoom"] != colour["OpenAI"]
    assert "records" in charts.caption(charts.sankey(items)) and "flows" in charts.caption(
        charts.sankey(FLOWS)
    )


def _inventory(party, kind, window, values):
    dates = pd.date_range("2026-01-01", periods=len(values), freq="D", tz="UTC")
    return pd.DataFrame(
        {
            "party": party,
            "party_kind": kind,
            "window": window,
            "date": dates,
            "records_held": values,
            "source": "simulated",
        }
    )


def test_inventory_chart_keeps_identical_curves_visible():
    inventory = pd.concat(
        [
            _inventory("OpenAI", "model_provider", "bounded", [1, 2, 0]),
            _inventory("Zoom", "zoom", "bounded", [1, 2, 0]),
            _inventory("Anthropic", "model_provider", "bounded", [1, 2, 0]),
            _inventory("Customer storage", "customer_storage", "unbounded", [1, 2, 2]),
        ]
    )
    fig = charts.inventory_chart(inventory)
    lines = {t.name: (t.line.width, t.line.dash) for t in fig.data}
    # palette order: Zoom first, then the model providers; each repeat thinner, drawn later (on top)
    assert [t.name for t in fig.data][:3] == [
        "Zoom (bounded)",
        "OpenAI (bounded, same as Zoom)",
        "Anthropic (bounded, same as Zoom)",
    ] or [t.name for t in fig.data][:3] == [
        "Zoom (bounded)",
        "Anthropic (bounded, same as Zoom)",
        "OpenAI (bounded, same as Zoom)",
    ]
    widths = [t.line.width for t in fig.data[:3]]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
    assert lines["Customer storage (kept until deleted)"] == (6.0, "dash")
    assert "Identical curves" in charts.caption(fig)
    alone = charts.inventory_chart(inventory[inventory["party"] == "Zoom"])
    assert "Identical" not in charts.caption(alone)


def test_what_if_chart_speaks_words_and_splits_by_features_lost():
    changes = pd.DataFrame(
        [
            dict(change="zmo=true", key="zmo", value="true", score_removed=40, features_lost=4),
            dict(
                change="chat.ai_quick_reply=false",
                key="chat.ai_quick_reply",
                value="false",
                score_removed=-5,
                features_lost=0,
            ),
            dict(
                change="recording.auto_delete_cmr=true",
                key="recording.auto_delete_cmr",
                value="true",
                score_removed=30,
                features_lost=0,
            ),
            dict(
                change="in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary=3",
                key="in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary",
                value="3",
                score_removed=10,
                features_lost=0,
            ),
        ]
    )
    fig = charts.what_if_chart(changes)
    bars = {t.name: list(t.y) for t in fig.data}
    assert bars["loses features"] == ["Turn on Zoom-hosted Models Only (ZMO) (through Zoom support)"]
    assert bars["loses no feature"] == [  # plotly draws the first category at the bottom
        'Set "Who receives meeting summaries" to Host and invitees in the organisation',
        'Turn on "Auto-delete cloud recordings"',
    ]
    assert list(fig.layout.yaxis.categoryarray)[-1].startswith("Turn on Zoom-hosted")  # most removed: top
    assert bars["widens exposure"] == ["Switch off Quick reply (Team Chat)"]  # below zero: not green


def test_pareto_labels_take_turns_and_point_inwards_at_the_edges():
    table = pd.DataFrame(
        {
            "configuration": ["default", "zmo", "zdr", "hardened", "ai_off"],
            "exposure_score": [100, 100, 90, 30, 0],
            "features_available": [10, 10, 10, 6, 0],
            "pareto": [False, False, True, True, True],
        }
    )
    fig = charts.pareto_chart(table)
    positions = {
        text: pos for t in fig.data[1:] for text, pos in zip(t.text, t.textposition, strict=True) if text
    }
    # same x (10 features): highest score above, the next below; both at the right edge: leftwards;
    # default and zmo coincide: one label for both
    assert positions == {
        "Zero Data Retention (ZDR)": "bottom left",
        "Tenant's own settings (default) = Zoom-hosted Models Only (ZMO)": "top left",
        "Hardened": "top center",
        "AI Companion off": "top right",
    }
    assert fig.layout.yaxis.title.text == "Exposure score (record-days)"


def test_every_chart_has_a_caption_and_no_scientific_notation():
    bands = pd.DataFrame(
        {"band": ["b"], "participant_notice": pd.array([True], dtype="boolean"), "users": [1]}
    )
    exposure = pd.DataFrame(
        [dict(party="Zoom", data_category="user.content.transcript", records=40_000_000, source="simulated")]
    )
    figures = [
        charts.matrix_heatmap(FLOWS),
        charts.sankey(FLOWS),
        charts.overrides_chart(pd.DataFrame([dict(level="user", key="k", users=1_000_000)])),
        charts.version_bands_chart(bands),
        charts.exposure_chart(exposure),
        charts.inventory_chart(_inventory("Zoom", "zoom", "bounded", [1, 0])),
    ]
    for fig in figures:
        assert charts.caption(fig) and "\n" not in charts.caption(fig)
        assert fig.layout.yaxis.exponentformat == "none" and fig.layout.yaxis.separatethousands
    bar = figures[4].data[0]
    assert bar.name == "Transcript" and "user.content.transcript" in bar.hovertemplate


def test_exposure_and_inventory_charts_say_what_usage_they_rest_on():
    exposure = pd.DataFrame(
        [
            dict(party="Zoom", data_category="user.content.transcript", records=12, source="observed"),
            dict(party="Zoom", data_category="user.content.transcript", records=30, source="estimated"),
        ]
    )
    fig = charts.exposure_chart(exposure)
    assert [(t.name, t.marker.pattern.shape) for t in fig.data] == [
        ("Transcript (observed)", ""),
        ("Transcript (estimated)", "/"),  # estimated bars hatched
    ]
    assert "Rests on observed usage (12 records) and estimated usage (30 records)." in charts.caption(fig)
    # the inventory adds the sources up per party and day: 1 + 2 held on the first day
    inventory = pd.concat(
        [_inventory("Zoom", "zoom", "bounded", [1, 0]), _inventory("Zoom", "zoom", "bounded", [2, 2])]
    ).assign(source=["observed"] * 2 + ["estimated"] * 2)
    fig = charts.inventory_chart(inventory)
    assert list(fig.data[0].y) == [3, 2]
    assert "observed usage (1 record-day) and estimated usage (4 record-days)" in charts.caption(fig)


def test_charts_without_data_say_so_in_words():
    from zoomai.reporting.index import FIGURE_COLUMNS, ranking_figure, trend_figure

    empty = pd.DataFrame(columns=["party", "data_category", "records", "source"])
    figures = pd.DataFrame(columns=FIGURE_COLUMNS)
    for fig in (
        charts.exposure_chart(empty),
        charts.inventory_chart(_inventory("Zoom", "zoom", "bounded", []).head(0)),
        charts.what_if_chart(
            pd.DataFrame(columns=["change", "key", "value", "score_removed", "features_lost"])
        ),
        charts.sankey(FLOWS.head(0)),
        charts.matrix_heatmap(FLOWS.head(0)),
        charts.version_additions(pd.DataFrame(columns=["added_in_version", "product", "feature"])),
        charts.overrides_chart(pd.DataFrame(columns=["level", "key", "users"])),
        charts.version_bands_chart(pd.DataFrame(columns=["band", "participant_notice", "users"])),
        charts.pareto_chart(
            pd.DataFrame(columns=["configuration", "exposure_score", "features_available", "pareto"])
        ),
        charts.fact_changes_chart(pd.DataFrame(columns=["kind", "subject"])),
        ranking_figure(figures),
        trend_figure(figures),
    ):
        assert fig.data == () and not fig.layout.xaxis.visible and not fig.layout.yaxis.visible
        assert charts.caption(fig).startswith("No ") and fig.layout.annotations[0].text == charts.caption(fig)
