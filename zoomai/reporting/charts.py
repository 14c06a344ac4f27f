"""Plotly figure builders for the notebooks, grouped by notebook. Each takes a DataFrame with
the columns its docstring lists and returns a titled go.Figure with fixed colours and an explicit
height, so the same data always gives the same figure.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from zoomai.core.csvio import split_list
from zoomai.facts.policy import PartyKind, load_policy
from zoomai.facts.registry import LEVELS

TEMPLATE = "plotly_white"
# Okabe-Ito: distinguishable with colour-vision deficiencies; used in this fixed order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
PARTY_KIND_ORDER = list(PartyKind.__args__)
LEVEL_COLOURS = dict(zip(LEVELS, PALETTE, strict=False))


def _layout(fig: go.Figure, title: str, height: int, **layout: object) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        font={"size": 12},
        **layout,
    )
    return fig


def _products(values: pd.Series) -> list[str]:
    """Products present in `values`, in the whitepaper's order."""
    present = set(values.astype(str))
    return [p for p in load_policy().products if p in present]


# --- feature_matrix notebook -------------------------------------------------------------------


def matrix_heatmap(flows: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Products x parties: how many content items of each product each party receives.

    `flows`: a flows table (zoomai.flows.flows) with columns product, feature_id, content_item,
    party, party_kind. Parties are ordered by kind (Zoom, model providers, subprocessors,
    customer storage, ...), products as in the whitepaper; empty cells mean no content.
    """
    items = flows.assign(product=flows["product"].astype(str)).drop_duplicates(
        ["product", "feature_id", "content_item", "party"]
    )
    counts = items.groupby(["product", "party"]).size().unstack(fill_value=0)
    parties = (
        items.drop_duplicates("party")
        .assign(_kind=lambda d: d["party_kind"].map(PARTY_KIND_ORDER.index))
        .sort_values(["_kind", "party"])["party"]
        .tolist()
    )
    products = _products(items["product"])
    counts = counts.reindex(index=products, columns=parties, fill_value=0)
    z = counts.where(counts > 0).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=parties,
            y=products,
            colorscale="Blues",
            zmin=0,
            texttemplate="%{z}",
            hovertemplate="%{y} -> %{x}: %{z} content items<extra></extra>",
            colorbar={"title": {"text": "content items"}},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-30)
    return _layout(fig, title or "Content items each party receives, per product", 200 + 45 * len(products))


def version_additions(history: pd.DataFrame) -> go.Figure:
    """Features per whitepaper version that added them, stacked by product.

    `history`: one row per feature (zoomai.matrix.version_history or .changes) with columns
    added_in_version, product, feature and optionally added_in_source; features whose source is
    earliest_documented are shown as 'in X (before the changelog)', apart from those added in X.
    """
    source = history.get("added_in_source", pd.Series("changelog", index=history.index)).astype(str)
    version = history["added_in_version"].astype(str)
    label = version.radd("added in ").where(
        source == "changelog", "in " + version + " (before the changelog)"
    )
    frame = history.assign(label=label, product=history["product"].astype(str))
    categories = list(dict.fromkeys(frame["label"]))  # history is ordered oldest first
    fig = go.Figure()
    for i, product in enumerate(_products(frame["product"])):
        rows = frame[frame["product"] == product]
        grouped = rows.groupby("label", sort=False)["feature"].agg(list)
        fig.add_bar(
            name=product,
            x=list(grouped.index),
            y=[len(f) for f in grouped],
            customdata=["<br>".join(f) for f in grouped],
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"{product}, %{{x}}<br>%{{customdata}}<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend={"title": {"text": "product"}, "traceorder": "normal"})
    fig.update_xaxes(categoryorder="array", categoryarray=categories)
    fig.update_yaxes(title_text="features", dtick=1)
    return _layout(fig, "What each whitepaper version added", 420)


# --- data_flows notebook -----------------------------------------------------------------------

SANKEY_STAGES = ["feature", "data category", "party", "location"]


def sankey(flows: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Feature -> data category -> party -> location; link widths = number of flows.

    `flows`: a flows table (zoomai.flows.flows_for) with columns product, feature, content_item,
    data_category (';'-separated keys), party, party_kind, location. A flow is one (feature,
    content item, party); an item filed under several data categories counts once under each.
    """
    rows = []
    for r in flows.itertuples(index=False):
        for category in split_list(r.data_category):
            rows.append(
                {
                    "feature": f"{r.feature} ({r.product})",
                    "data category": category,
                    "party": r.party,
                    "party_kind": r.party_kind,
                    "location": r.location,
                }
            )
    paths = pd.DataFrame(rows, columns=[*SANKEY_STAGES, "party_kind"])
    order = {
        "feature": paths.drop_duplicates("feature")["feature"].tolist(),  # matrix order
        "data category": sorted(paths["data category"].unique()),
        "party": paths.assign(_k=paths["party_kind"].map(PARTY_KIND_ORDER.index))
        .sort_values(["_k", "party"])["party"]
        .drop_duplicates()
        .tolist(),
        "location": sorted(paths["location"].unique()),
    }
    index: dict[tuple[str, str], int] = {}
    labels, colours, stage_of = [], [], []
    for s, stage in enumerate(SANKEY_STAGES):
        for name in order[stage]:
            index[(stage, name)] = len(labels)
            labels.append(name)
            colours.append(PALETTE[s])
            stage_of.append(stage)
    links = []
    for s, (a, b) in enumerate(zip(SANKEY_STAGES, SANKEY_STAGES[1:], strict=False)):
        counts = paths.groupby([a, b], sort=False).size()
        for (x, y), n in counts.items():
            links.append((index[(a, x)], index[(b, y)], int(n), PALETTE[s]))
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "color": colours,
                "customdata": stage_of,
                "pad": 8,
                "thickness": 14,
                "hovertemplate": "%{customdata}: %{label}<br>%{value} flows<extra></extra>",
            },
            link={
                "source": [x[0] for x in links],
                "target": [x[1] for x in links],
                "value": [x[2] for x in links],
                "color": [
                    f"rgba({int(c[1:3], 16)},{int(c[3:5], 16)},{int(c[5:7], 16)},0.3)" for *_, c in links
                ],
                "hovertemplate": "%{source.label} -> %{target.label}: %{value} flows<extra></extra>",
            },
        )
    )
    height = max(500, 30 * max((len(v) for v in order.values()), default=0))
    return _layout(fig, title or "Feature → data category → party → location (width = flows)", height)


# --- settings_audit notebook -------------------------------------------------------------------


def overrides_chart(overrides: pd.DataFrame) -> go.Figure:
    """Users with a wider value than the account's, per key, stacked by the level that set it.

    `overrides`: zoomai.audit.widening_overrides, columns level, key, users.
    """
    keys = list(dict.fromkeys(overrides["key"]))
    fig = go.Figure()
    for level in LEVELS:
        rows = overrides[overrides["level"] == level]
        if rows.empty:
            continue
        per_key = rows.groupby("key")["users"].sum().reindex(keys, fill_value=0)
        fig.add_bar(
            name=level,
            x=per_key.to_numpy(),
            y=keys,
            orientation="h",
            marker_color=LEVEL_COLOURS[level],
            hovertemplate=f"%{{y}}<br>set at {level} level: %{{x}} users<extra></extra>",
        )
    if not keys:
        fig.add_annotation(text="No override widens exposure", showarrow=False, font={"size": 16})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    fig.update_layout(barmode="stack", legend={"title": {"text": "set at"}, "traceorder": "normal"})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="users")
    return _layout(fig, "Users whose settings are wider than the account's", 160 + 40 * max(len(keys), 1))


def version_bands_chart(bands: pd.DataFrame) -> go.Figure:
    """Users per client-version band; bars coloured by whether the band gets participant notice.

    `bands`: zoomai.audit.version_bands, columns band, participant_notice (nullable bool), users.
    """
    status = bands["participant_notice"].map({True: "notice", False: "no notice"}).fillna("unknown")
    colours = {"notice": PALETTE[2], "no notice": PALETTE[5], "unknown": "#999999"}
    fig = go.Figure(
        go.Bar(
            x=bands["band"].astype(str),
            y=bands["users"],
            marker_color=status.map(colours).tolist(),
            customdata=status,
            text=bands["users"],
            hovertemplate="%{x}: %{y} users (%{customdata})<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="users")
    return _layout(fig, "Users by client version: do they get the AI Companion notice?", 380)


# --- configuration_comparison notebook ---------------------------------------------------------


def pareto_chart(table: pd.DataFrame) -> go.Figure:
    """Exposure score against features available, one point per configuration; the
    Pareto-efficient ones (no other is better on both) are joined by the frontier line.

    `table`: zoomai.exposure.compare with columns configuration, exposure_score,
    features_available, pareto.
    """
    fig = go.Figure()
    front = table[table["pareto"]].sort_values("features_available")
    fig.add_trace(
        go.Scatter(
            x=front["features_available"],
            y=front["exposure_score"],
            mode="lines",
            line={"color": PALETTE[0], "dash": "dot"},
            name="Pareto frontier",
            hoverinfo="skip",
        )
    )
    for efficient, colour, label in (
        (True, PALETTE[0], "Pareto-efficient"),
        (False, PALETTE[5], "dominated"),
    ):
        part = table[table["pareto"] == efficient]
        fig.add_trace(
            go.Scatter(
                x=part["features_available"],
                y=part["exposure_score"],
                mode="markers+text",
                text=part["configuration"],
                textposition="top center",
                marker={"size": 12, "color": colour, "symbol": "circle" if efficient else "x"},
                name=label,
            )
        )
    return _layout(
        fig,
        "Exposure score against features available, per configuration",
        420,
        xaxis_title="features available",
        yaxis_title="exposure score (record-days, unbounded and unknown at the horizon)",
    )


def what_if_chart(changes: pd.DataFrame, top: int = 15) -> go.Figure:
    """The `top` single setting changes by exposure score removed, coloured by whether they
    cost features. `changes`: zoomai.exposure.what_if (change, score_removed, features_lost)."""
    best = changes.sort_values(["score_removed", "change"], ascending=[False, True]).head(top).iloc[::-1]
    colours = [PALETTE[5] if lost > 0 else PALETTE[2] for lost in best["features_lost"]]
    fig = go.Figure(
        go.Bar(
            x=best["score_removed"],
            y=best["change"],
            orientation="h",
            marker={"color": colours},
            customdata=best["features_lost"],
            hovertemplate="%{y}<br>score removed %{x:,}<br>features lost %{customdata}<extra></extra>",
        )
    )
    return _layout(
        fig,
        "Single setting changes: exposure score removed (orange: loses features, green: loses none)",
        max(300, 28 * len(best) + 120),
        xaxis_title="exposure score removed",
    )


# --- retention notebook ------------------------------------------------------------------------


def inventory_chart(inventory: pd.DataFrame) -> go.Figure:
    """Records each party holds per day; one line per (party, window): solid for bounded
    windows, dashed for unbounded (kept until deleted), dotted for unknown.

    `inventory`: zoomai.retention.retention_inventory (party, party_kind, window, date,
    records_held).
    """
    dash = {"bounded": "solid", "unbounded": "dash", "unknown": "dot"}
    fig = go.Figure()
    parties = sorted(set(inventory["party"].astype(str)))
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(parties)}
    for (party, window), part in inventory.groupby(["party", "window"], sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["date"],
                y=part["records_held"],
                mode="lines",
                name=f"{party} ({window})",
                line={"color": colours[str(party)], "dash": dash.get(str(window), "solid")},
            )
        )
    return _layout(
        fig,
        "Records held per party over time (worst case: every window to its maximum)",
        480,
        xaxis_title="date",
        yaxis_title="records held",
    )


# --- tenant_risk_report notebook ---------------------------------------------------------------


def exposure_chart(exposure: pd.DataFrame) -> go.Figure:
    """Records per party, stacked by data category. `exposure`: zoomai.exposure.exposure."""
    fig = go.Figure()
    categories = sorted(set(exposure["data_category"].astype(str)))
    for i, category in enumerate(categories):
        part = exposure[exposure["data_category"] == category]
        fig.add_trace(
            go.Bar(
                x=part["party"], y=part["records"], name=category, marker={"color": PALETTE[i % len(PALETTE)]}
            )
        )
    return _layout(
        fig,
        "Records held per party and data category",
        440,
        barmode="stack",
        xaxis_title="party",
        yaxis_title="records",
    )
