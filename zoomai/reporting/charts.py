"""Plotly figure builders for the notebooks, grouped by notebook. Each takes a DataFrame with
the columns its docstring lists and returns a titled go.Figure with an explicit height and a
one-line caption saying what to read from it (`layout.meta.caption`, shown under the chart by
zoomai.reporting.notebook.show), so the same data always gives the same figure.

Words come from zoomai.reporting.labels (setting keys, enum codes, data categories,
configurations), colours from zoomai.reporting.palette (one colour per party and per data
category in every chart), axis numbers with thousands separators and never in scientific
notation.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from zoomai.core.csvio import split_list
from zoomai.facts.policy import load_policy
from zoomai.facts.registry import LEVELS
from zoomai.reporting import formats, labels
from zoomai.reporting.palette import (
    OKABE_ITO,
    UNKNOWN_GREY,
    category_colour,
    parties,
    party_colour,
    rgba,
)
from zoomai.tenants.tables import USAGE_SOURCES

TEMPLATE = "plotly_white"
PALETTE = OKABE_ITO  # products, levels and other series that are neither a party nor a category
LEVEL_COLOURS = dict(zip(LEVELS, PALETTE, strict=False))
GOOD, BAD = OKABE_ITO[2], OKABE_ITO[5]  # loses no feature / notice; loses features / no notice


def _layout(fig: go.Figure, title: str, height: int, caption: str, **layout: object) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        font={"size": 13},
        **{"meta": {"caption": caption}, **layout},
    )
    fig.update_xaxes(exponentformat="none", separatethousands=True, automargin=True)
    fig.update_yaxes(exponentformat="none", separatethousands=True, automargin=True)
    return fig


def no_data(title: str, message: str) -> go.Figure:
    """A figure without data: no axes, the message in words (also its caption), so a report
    never shows empty axes."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0, y=0.5, xref="paper", yref="paper", xanchor="left")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, 160, message, meta={"caption": message, "no_data": True})


def provenance_note(sources: pd.Series, weights: pd.Series | None = None, unit: str = "record") -> str:
    """'Rests on observed usage (12 records) and estimated usage (30 records).' from a column of
    usage sources (and the weight of each row; default 1 each)."""
    weights = pd.Series(1, index=sources.index) if weights is None else weights
    sums = weights.groupby(sources.astype(str)).sum()
    parts = [f"{s} usage ({formats.counted(sums[s], unit)})" for s in USAGE_SOURCES if sums.get(s, 0)]
    return "Rests on " + (" and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)) + "."


def caption(fig: go.Figure) -> str:
    """The one-line caption of a figure built here ('' for another figure)."""
    meta = fig.layout.meta
    return str(meta.get("caption", "")) if isinstance(meta, dict) else ""


def _party_order(values: pd.Series) -> list[str]:
    """Parties present in `values`, in the palette's order (by kind, then name)."""
    present = set(values.astype(str))
    known = [p for p in parties() if p in present]
    return known + sorted(present - set(known))


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
    title = title or "Content items each party receives, per product"
    if flows.empty:
        return no_data(title, "No content flows to show: no feature of the selection sends content anywhere.")
    items = flows.assign(product=flows["product"].astype(str)).drop_duplicates(
        ["product", "feature_id", "content_item", "party"]
    )
    counts = items.groupby(["product", "party"]).size().unstack(fill_value=0)
    party_names = _party_order(items["party"])
    products = _products(items["product"])
    counts = counts.reindex(index=products, columns=party_names, fill_value=0)
    z = counts.where(counts > 0).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=party_names,
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
    return _layout(
        fig,
        title,
        200 + 45 * len(products),
        "Read across a row: the parties a product's content reaches; an empty cell means none.",
    )


def version_additions(history: pd.DataFrame) -> go.Figure:
    """Features per whitepaper version that added them, stacked by product.

    `history`: one row per feature (zoomai.matrix.version_history or .changes) with columns
    added_in_version, product, feature and optionally added_in_source; features whose source is
    earliest_documented are shown as 'in X (before the changelog)', apart from those added in X.
    """
    title = "What each whitepaper version added"
    if history.empty:
        return no_data(title, "No features to show: the selection holds no feature with a version.")
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
    fig.update_layout(barmode="stack", legend={"title": {"text": "Product"}, "traceorder": "normal"})
    fig.update_xaxes(categoryorder="array", categoryarray=categories, title_text="Whitepaper version")
    fig.update_yaxes(title_text="Features", dtick=1)
    return _layout(
        fig,
        title,
        420,
        "Bar height: features a version's changelog added; the first bar holds features already "
        "in the earliest version the changelog covers.",
    )


# --- data_flows notebook -----------------------------------------------------------------------

SANKEY_STAGES = ["feature", "data category", "party", "location"]
NEUTRAL = "#8C8C8C"  # feature and location nodes: neither a party nor a category


def sankey(flows: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Feature -> data category -> party -> location.

    `flows`: a flows table (zoomai.flows.flows_for) with columns product, feature, content_item,
    data_category (';'-separated keys), party, party_kind, location; link widths count flows (one
    (feature, content item, party)), or, when `flows` has a `records` column (a tenant's
    exposure items, zoomai.analysis.exposure.analysis(...).items), the records each carries. An
    item filed under several data categories counts once under each. Category nodes show the
    category's name (the fideslang key on hover); parties and categories have their palette
    colours.
    """
    weighted = "records" in flows.columns
    unit = "records" if weighted else "flows"
    title = title or f"Feature → data category → party → location (width = {unit})"
    if (flows["records"].sum() if weighted else len(flows)) == 0:
        return no_data(title, f"No {unit} to show: no use of an available feature, so no content is counted.")
    rows = []
    for r in flows.itertuples(index=False):
        for category in split_list(r.data_category):
            rows.append(
                {
                    "feature": f"{r.feature} ({r.product})",
                    "data category": category,
                    "party": r.party,
                    "party_kind": r.party_kind,
                    "location": labels.value(r.location),
                    "weight": int(r.records) if weighted else 1,
                }
            )
    paths = pd.DataFrame(rows, columns=[*SANKEY_STAGES, "party_kind", "weight"])
    if weighted:
        paths = paths[paths["weight"] > 0]
    order = {
        "feature": paths.drop_duplicates("feature")["feature"].tolist(),  # matrix order
        "data category": sorted(paths["data category"].unique()),
        "party": _party_order(paths["party"]),
        "location": sorted(paths["location"].unique()),
    }
    colour_of = {
        "feature": lambda name: NEUTRAL,
        "data category": category_colour,
        "party": party_colour,
        "location": lambda name: NEUTRAL,
    }
    index: dict[tuple[str, str], int] = {}
    names, colours, hover = [], [], []
    for stage in SANKEY_STAGES:
        for name in order[stage]:
            index[(stage, name)] = len(names)
            names.append(labels.category(name) if stage == "data category" else name)
            colours.append(colour_of[stage](name))
            hover.append(f"{stage} ({name})" if stage == "data category" else stage)
    links = []
    for a, b in zip(SANKEY_STAGES, SANKEY_STAGES[1:], strict=False):
        weights = paths.groupby([a, b], sort=False)["weight"].sum()
        for (x, y), n in weights.items():
            # a link takes the colour of the party it reaches or leaves, else of its category
            tint = colours[index[(b, y)]] if b == "party" else colours[index[(a, x)]]
            links.append((index[(a, x)], index[(b, y)], int(n), tint))
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",d",
            node={
                "label": names,
                "color": colours,
                "customdata": hover,
                "pad": 8,
                "thickness": 14,
                "hovertemplate": f"%{{customdata}}: %{{label}}<br>%{{value:,}} {unit}<extra></extra>",
            },
            link={
                "source": [x[0] for x in links],
                "target": [x[1] for x in links],
                "value": [x[2] for x in links],
                "color": [rgba(x[3], 0.35) for x in links],
                "hovertemplate": "%{source.label} -> %{target.label}: "
                + f"%{{value:,}} {unit}<extra></extra>",
            },
        )
    )
    height = max(500, 30 * max((len(v) for v in order.values()), default=0))
    what = "content records" if weighted else "flows (feature, content item, party)"
    return _layout(
        fig,
        title,
        height,
        f"Follow a band from a feature to the place its content ends up; band width counts {what}.",
    )


# --- settings_audit notebook -------------------------------------------------------------------


def overrides_chart(overrides: pd.DataFrame) -> go.Figure:
    """Users with a wider value than the account's, per setting, stacked by the level that set it.

    `overrides`: zoomai.audit.widening_overrides, columns level, key, users; settings are shown
    by their admin-console label.
    """
    title = "Users whose settings are wider than the account's"
    if overrides.empty:
        return no_data(title, "No override widens exposure: every user's settings are within the account's.")
    keys = list(dict.fromkeys(overrides["key"]))
    names = [labels.setting(k) for k in keys]
    fig = go.Figure()
    for level in LEVELS:
        rows = overrides[overrides["level"] == level]
        if rows.empty:
            continue
        per_key = rows.groupby("key")["users"].sum().reindex(keys, fill_value=0)
        fig.add_bar(
            name=level,
            x=per_key.to_numpy(),
            y=names,
            orientation="h",
            marker_color=LEVEL_COLOURS[level],
            hovertemplate=f"%{{y}}<br>set at {level} level: %{{x:,}} users<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend={"title": {"text": "Set at"}, "traceorder": "normal"})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Users")
    return _layout(
        fig,
        title,
        160 + 40 * len(keys),
        "Each bar: users for whom a group, site or user value opens more than the account allows.",
    )


def version_bands_chart(bands: pd.DataFrame) -> go.Figure:
    """Users per client-version band; bars coloured by whether the band gets participant notice.

    `bands`: zoomai.audit.version_bands, columns band, participant_notice (nullable bool), users.
    """
    title = "Users by client version: do they get the AI Companion notice?"
    if bands.empty:
        return no_data(title, "No users to show: the tenant has no users with a client version band.")
    status = bands["participant_notice"].map({True: "notice", False: "no notice"}).fillna("unknown")
    colours = {"notice": GOOD, "no notice": BAD, "unknown": UNKNOWN_GREY}
    fig = go.Figure(
        go.Bar(
            x=bands["band"].astype(str),
            y=bands["users"],
            marker_color=status.map(colours).tolist(),
            customdata=status,
            text=[formats.count(u) for u in bands["users"]],
            hovertemplate="%{x}: %{y:,} users (%{customdata})<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="Users")
    fig.update_xaxes(title_text="Client version")
    return _layout(
        fig,
        title,
        380,
        "Orange bars: users whose clients show participants no AI Companion notice; grey: version unknown.",
    )


# --- configuration_comparison notebook ---------------------------------------------------------


def pareto_chart(table: pd.DataFrame) -> go.Figure:
    """Exposure score against features available, one point per configuration; the
    Pareto-efficient ones (no other is better on both) are joined by the frontier line.

    `table`: zoomai.exposure.compare with columns configuration, exposure_score,
    features_available, pareto. Points are labelled with the configurations' titles (one label
    'A = B' where configurations coincide), above and below in turn where points share a
    number of features, so labels do not overlap.
    """
    title = "Exposure score against features available, per configuration"
    if table.empty:
        return no_data(title, "No configurations to compare: the comparison holds none.")
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
    text, position = _point_labels(table)
    for efficient, colour, label in (
        (True, PALETTE[0], "Pareto-efficient"),
        (False, BAD, "dominated"),
    ):
        part = table[table["pareto"] == efficient]
        fig.add_trace(
            go.Scatter(
                x=part["features_available"],
                y=part["exposure_score"],
                mode="markers+text",
                text=[text[c] for c in part["configuration"]],
                textposition=[position[c] for c in part["configuration"]],
                customdata=[labels.configuration(c) for c in part["configuration"]],
                marker={"size": 12, "color": colour, "symbol": "circle" if efficient else "x"},
                name=label,
                hovertemplate="%{customdata}<br>%{x} features, exposure score %{y:,}<extra></extra>",
            )
        )
    top = float(table["exposure_score"].max())
    right = float(table["features_available"].max())
    fig.update_yaxes(range=[-0.1 * top, 1.15 * top])
    fig.update_xaxes(dtick=1, range=[-0.5, right + 0.5])
    return _layout(
        fig,
        title,
        460,
        "Lower and further right is better: the dotted line joins configurations that no other beats "
        "on both exposure and features kept.",
        xaxis_title="Features available",
        yaxis_title="Exposure score (record-days)",
    )


def _point_labels(table: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Each configuration's label text and position. Configurations on the same point share one
    label ('A = B', on the first); points with the same number of features take turns above and
    below (from the highest score down); labels at the left and right edges point inwards."""
    features = table["features_available"]
    left, right = features.min(), features.max()
    text, position = {}, {}
    for x, column in table.sort_values(["features_available", "exposure_score"]).groupby(
        "features_available", sort=False
    ):
        points = list(column.groupby("exposure_score", sort=True)["configuration"])[::-1]  # highest first
        side = "left" if x == right and right > left else "right" if x == left else "center"
        for i, (_, configs) in enumerate(points):
            names = [str(c) for c in configs]
            vertical = "top" if i % 2 == 0 else "bottom"
            for j, config in enumerate(names):
                text[config] = " = ".join(labels.configuration(c) for c in names) if j == 0 else ""
                position[config] = f"{vertical} {side}"
    return text, position


def what_if_chart(changes: pd.DataFrame, top: int = 15) -> go.Figure:
    """The `top` single setting changes by exposure score removed, green when they lose no
    feature, orange when they do, grey when they widen exposure; changes only Zoom support can
    make say so.

    `changes`: zoomai.exposure.what_if (change, key, value, score_removed, features_lost).
    """
    title = "Single setting changes: exposure score removed"
    if changes.empty:
        return no_data(title, "No single setting change alters the figures of this tenant.")
    best = changes.sort_values(["score_removed", "change"], ascending=[False, True]).head(top).iloc[::-1]
    names = [labels.change(k, v) for k, v in zip(best["key"], best["value"], strict=True)]
    best = best.assign(name=names)
    fig = go.Figure()
    widens = best["score_removed"] < 0
    for kind, colour, legend in (
        ("keeps", GOOD, "loses no feature"),
        ("loses", BAD, "loses features"),
        ("widens", UNKNOWN_GREY, "widens exposure"),
    ):
        part = (
            best[widens]
            if kind == "widens"
            else best[~widens & ((best["features_lost"] > 0) == (kind == "loses"))]
        )
        if part.empty:
            continue
        fig.add_bar(
            x=part["score_removed"],
            y=part["name"],
            orientation="h",
            name=legend,
            marker={"color": colour},
            customdata=part["features_lost"],
            hovertemplate="%{y}<br>exposure score removed %{x:,}<br>"
            + "features lost %{customdata}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=names)
    return _layout(
        fig,
        title,
        max(300, 28 * len(best) + 140),
        "Longest green bars first: they remove the most exposure without losing a feature; "
        "grey bars, left of zero, widen exposure.",
        xaxis_title="Exposure score removed (record-days)",
        legend={"orientation": "h", "y": -0.15},
    )


# --- retention notebook ------------------------------------------------------------------------

WINDOW_DASH = {"bounded": "solid", "unbounded": "dash", "unknown": "dot"}


def inventory_chart(inventory: pd.DataFrame) -> go.Figure:
    """Records each party holds per day; one line per (party, window), in the party's colour:
    solid for bounded windows, dashed for unbounded (kept until deleted), dotted for unknown.

    `inventory`: zoomai.retention.retention_inventory (party, party_kind, window, date,
    records_held). Lines with the same values (Zoom and the model providers keep the same
    content for the same 30 days) would hide one another: each repeat is drawn thinner on top of
    the first, so every colour stays visible, and its legend entry names the line it repeats.
    """
    title = "Records held per party over time (worst case: every window to its maximum)"
    if inventory.empty:
        return no_data(title, "No records are held: the tenant has no usage of an available feature.")
    rests = provenance_note(inventory["source"], inventory["records_held"], "record-day")
    inventory = inventory.groupby(["party", "party_kind", "window", "date"], as_index=False, observed=True)[
        "records_held"
    ].sum()  # all usage sources together
    fig = go.Figure()
    order = {p: i for i, p in enumerate(_party_order(inventory["party"]))}
    groups = sorted(inventory.groupby(["party", "window"], sort=False), key=lambda g: order[str(g[0][0])])
    seen: dict[tuple, tuple[str, int]] = {}  # curve -> (first party drawing it, repeats so far)
    repeats = 0
    for (party, window), part in groups:
        curve = (str(window), tuple(part["date"].astype("int64")), tuple(part["records_held"]))
        name = f"{party} ({labels.value(window)})"
        width = 6.0
        if curve in seen:
            first, n = seen[curve]
            seen[curve] = (first, n + 1)
            width = max(6.0 - 2.0 * (n + 1), 1.5)
            name = f"{party} ({labels.value(window)}, same as {first})"
            repeats += 1
        else:
            seen[curve] = (str(party), 0)
        fig.add_trace(
            go.Scatter(
                x=part["date"],
                y=part["records_held"],
                mode="lines",
                name=name,
                line={
                    "color": party_colour(str(party)),
                    "dash": WINDOW_DASH.get(str(window)),
                    "width": width,
                },
                hovertemplate=f"{party}<br>%{{x|%d %b %Y}}: %{{y:,}} records<extra></extra>",
            )
        )
    note = (
        " Identical curves are drawn on top of each other, each thinner than the one below."
        if repeats
        else ""
    )
    return _layout(
        fig,
        title,
        500,
        "Where a line falls, a retention window ends; a line that stays flat is kept until deleted "
        f"(dashed) or for an unknown time (dotted).{note} {rests}",
        xaxis_title="Date",
        yaxis_title="Records held",
    )


# --- tenant_risk_report notebook ---------------------------------------------------------------


def exposure_chart(exposure: pd.DataFrame) -> go.Figure:
    """Records per party, stacked by data category (named; the fideslang key on hover) and usage
    source (observed bars solid, estimated hatched, simulated dotted); the caption says how many
    records rest on each source. `exposure`: zoomai.exposure.exposure (party, data_category,
    records, source)."""
    title = "Records held per party and data category"
    if exposure.empty or exposure["records"].sum() == 0:
        return no_data(title, "No content records: no use of an available feature is recorded or estimated.")
    fig = go.Figure()
    party_names = _party_order(exposure["party"])
    sources = [s for s in USAGE_SOURCES if (exposure["source"].astype(str) == s).any()]
    for category in sorted(set(exposure["data_category"].astype(str))):
        for source in sources:
            part = exposure[
                (exposure["data_category"] == category) & (exposure["source"].astype(str) == source)
            ]
            if part.empty:
                continue
            name = labels.category(category) + (f" ({source})" if len(sources) > 1 else "")
            fig.add_trace(
                go.Bar(
                    x=part["party"],
                    y=part["records"],
                    name=name,
                    marker={"color": category_colour(category), "pattern": {"shape": SOURCE_PATTERN[source]}},
                    hovertemplate=f"%{{x}}: %{{y:,}} records of {labels.category(category)}"
                    + f" ({category}), {source} usage<extra></extra>",
                )
            )
    fig.update_xaxes(categoryorder="array", categoryarray=party_names)
    return _layout(
        fig,
        title,
        460,
        "Bar height: content records a party holds; the colours show which kinds of content they are. "
        + provenance_note(exposure["source"], exposure["records"]),
        barmode="stack",
        xaxis_title="Party",
        yaxis_title="Records",
        legend={"title": {"text": "Data category"}},
    )


SOURCE_PATTERN = {"observed": "", "estimated": "/", "simulated": ""}


def fact_changes_chart(overview: pd.DataFrame, since: str = "v5.0", until: str = "current") -> go.Figure:
    """Changes from one fact set to another per kind (zoomai.facts.compare.change_overview):
    one bar per kind, its length the number of changes, the subjects on hover."""
    title = f"What Zoom's later pages change: fact set {since} to {until}"
    if overview.empty:
        return no_data(title, f"No changes: fact set {until} holds the same facts as {since}.")
    grouped = overview.groupby("kind", sort=False)["subject"].agg(list)
    fig = go.Figure(
        go.Bar(
            x=[len(s) for s in grouped],
            y=list(grouped.index),
            orientation="h",
            customdata=["<br>".join(s) for s in grouped],
            marker_color=PALETTE[0],
            hovertemplate="%{y}: %{x}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Changes", dtick=1)
    return _layout(
        fig,
        title,
        360,
        "Bar length: features and content items added, model providers and deployment options "
        "new, and Zero Data Retention facts changed; each is cited in the table below.",
    )
