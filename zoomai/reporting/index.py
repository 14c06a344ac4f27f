"""The portfolio index of a run: index.html with every report grouped by tenant (by name), its
status, links and every headline figure; a chart ranking the tenants; and, when the reports
folder holds earlier runs, each tenant's trend over them (read from their summary.json)."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from zoomai.reporting import formats, labels
from zoomai.reporting.export import plotly_resources
from zoomai.reporting.history import runs_in
from zoomai.reporting.schedule import NO_TENANT, TENANT, notebook_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from zoomai.reporting.runner import Report

INDEX_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>zoomai reports {{ run_id }}</title>
{% if plotly_src %}<script src="{{ plotly_src }}"></script>
{% elif plotly_js %}<script>{{ plotly_js | safe }}</script>
{% endif -%}
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin-bottom: 2rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.failed { color: #a40000; font-weight: bold; }
.ok { color: #216e1f; }
.id { color: #666; font-size: .85em; font-weight: normal; }
dl { margin: 0; display: grid; grid-template-columns: minmax(0, max-content) auto; column-gap: .8rem; }
dt { color: #555; } dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .9em; overflow-wrap: anywhere; }
.caption { color: #444; margin-top: 0; }
@media print { h2 { break-before: page; } tr, .js-plotly-plot { break-inside: avoid; } }
</style>
</head>
<body>
<h1>zoomai reports</h1>
<p>Run <code>{{ run_id }}</code>, started {{ started }} (UTC), {{ duration }} s, schedule {{ schedule }}:
{{ total }} report{{ "s" if total != 1 }},
<span class="{{ 'failed' if failed else 'ok' }}">{{ failed }} failed</span>.</p>
<p>{% for group in groups %}<a href="#{{ group.anchor }}">{{ group.title }}</a>
{{- " · " if not loop.last }}{% endfor %}</p>
{% if ranking %}
<h2 id="ranking">Tenants ranked</h2>
<p class="caption">{{ ranking_caption }}</p>
{{ ranking | safe }}
{% endif %}
{% if trend %}
<h2 id="trend">Trend over the runs in this folder</h2>
<p class="caption">{{ trend_caption }}</p>
{{ trend_chart | safe }}
<table>
<thead><tr>{% for c in trend.columns %}
<th{% if loop.index > 3 %} class="num"{% endif %}>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in trend.rows %}<tr>{% for v in row %}
<td{% if loop.index > 3 %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% endif %}
{% for group in groups %}
<h2 id="{{ group.anchor }}">{{ group.title }}
{%- if group.id %} <span class="id">{{ group.id }}</span>{% endif %}</h2>
<table>
<thead>
<tr><th>report</th><th>configuration</th><th>status</th><th>headline figures</th><th>files</th></tr>
</thead>
<tbody>
{% for r in group.runs %}
<tr>
<td>{% if r.html %}<a href="{{ r.html }}">{{ r.title }}</a>{% else %}{{ r.title }}{% endif %}</td>
<td>{{ r.configuration_title or "" }}</td>
<td class="{{ r.status }}">{{ r.status }}{% if r.error %}<br><code>{{ r.error }}</code>{% endif %}</td>
<td>{% if r.figures %}<dl>
{% for k, v in r.figures %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
</dl>{% endif %}</td>
<td>{% for label, href in r.links %}<a href="{{ href }}">{{ label }}</a> {% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
</body>
</html>
"""
RISK_NOTEBOOK = "tenant_risk_report"  # the notebook whose summary holds a tenant's exposure totals
# Ranking measures: (column, title), each computed by `tenant_figures`.
MEASURES = [
    ("third_party_share", "Share of records at third parties"),
    ("cross_border_records", "Cross-border records"),
    ("people_without_notice", "People without AI notice (estimate)"),
    ("exposure_score", "Exposure score"),
]
FIGURE_COLUMNS = ["run_id", "started", "tenant", "tenant_name", "configuration", *(m for m, _ in MEASURES)]
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

# --------------------------------------------------------------------------- headline figures


def key_figures(summary: Any) -> list[tuple[str, str]]:
    """Every scalar of a notebook's summary (nested dicts flattened, lists joined), in the
    summary's order, labelled, worded and formatted for people (labels: figure names, the keys
    of a mapping figure, setting changes)."""
    if not isinstance(summary, dict):
        return []
    out: list[tuple[str, str]] = []

    def walk(name: str, keys: list[str], value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(name, [*keys, labels.figure_key(name, str(k))], v)
            return
        text = (
            ", ".join(labels.figure_key(name, str(v)) for v in value)
            if isinstance(value, list)
            else labels.figure_text(value)
            if isinstance(value, str)
            else format_value(value)
        )
        out.append((" · ".join([labels.figure(name), *keys]), text))

    for key, value in summary.items():
        walk(str(key), [], value)
    return out


def format_value(value: Any) -> str:
    """A figure for people, worded as the reports word it (reporting/formats): whole numbers with
    thousands separators, non-whole counts as a rounded estimate ("about 5,900"), shares below one
    with two decimals, never scientific notation; None as "unknown"; text as it is."""
    if value is None:
        return formats.UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return formats.count(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "unbounded"
        if math.isnan(value) or value.is_integer():
            return formats.count(value)
        return formats.estimate(value) if abs(value) >= 1 else formats.decimal(value, 2)
    return str(value)


# ------------------------------------------------------------------------------ tenant names


def tenant_names(results: list[dict[str, Any]]) -> dict[str, str]:
    """Display name of each tenant label of the results: its tenants.parquet `name` (with the
    label where two tenants share a name), or the label itself where the folder cannot be read."""
    from zoomai.tenants.tables import resolve_tenant_path

    names: dict[str, str] = {}
    for r in results:
        label, spec = r.get("tenant"), (r.get("parameters") or {}).get(TENANT)
        if not label or label in names:
            continue
        names[label] = label
        if spec:
            try:
                table = pd.read_parquet(resolve_tenant_path(spec) / "tenants.parquet", columns=["name"])
                names[label] = str(table["name"].iloc[0]) or label
            except Exception:  # unreadable: the label stands in
                pass
    shared = {n for n in names.values() if list(names.values()).count(n) > 1}
    return {label: f"{name} ({label})" if name in shared else name for label, name in names.items()}


# ---------------------------------------------------------------------- ranking and trend


def tenant_figures(summary: dict[str, Any], names: dict[str, str]) -> pd.DataFrame:
    """One row per successful tenant risk report of a run summary; columns FIGURE_COLUMNS.
    `third_party_share` = third-party records / records (NaN, i.e. unknown, with no records)."""
    rows = []
    for r in summary.get("runs", []):
        s = r.get("summary")
        if r.get("notebook") != RISK_NOTEBOOK or r.get("status") != "ok" or not isinstance(s, dict):
            continue
        records = s.get("records")
        third = s.get("third_party_records")
        rows.append(
            {
                "run_id": summary.get("run_id"),
                "started": summary.get("started"),
                "tenant": r.get("tenant"),
                "tenant_name": names.get(r.get("tenant"), r.get("tenant")),
                "configuration": r.get("configuration") or "",
                "third_party_share": third / records if records and third is not None else math.nan,
                "cross_border_records": s.get("cross_border_records", math.nan),
                "people_without_notice": s.get("people_without_notice", math.nan),
                "exposure_score": s.get("exposure_score", math.nan),
            }
        )
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def ranking_figure(figures: pd.DataFrame) -> go.Figure:
    """Horizontal bars, one panel per measure: tenants ranked by exposure score under the first
    configuration (top = highest), one bar colour per configuration."""
    import plotly.express as px
    from plotly.subplots import make_subplots

    from zoomai.reporting.charts import no_data

    if figures.empty:
        return no_data(
            "Tenants ranked", "No tenant risk report succeeded in this run, so no tenant is ranked."
        )
    configurations = list(dict.fromkeys(figures["configuration"]))
    first = figures[figures["configuration"] == configurations[0]]
    order = list(first.sort_values(["exposure_score", "tenant_name"])["tenant_name"])
    order += sorted(set(figures["tenant_name"]) - set(order))
    fig = make_subplots(
        rows=1,
        cols=len(MEASURES),
        shared_yaxes=True,
        subplot_titles=[textwrap.fill(t, 22).replace("\n", "<br>") for _, t in MEASURES],
    )
    colours = px.colors.qualitative.Safe
    for i, config in enumerate(configurations):
        part = figures[figures["configuration"] == config].set_index("tenant_name").reindex(order)
        title_of = labels.configuration(config) if config else "(notebook default)"
        for j, (measure, title) in enumerate(MEASURES, start=1):
            share = measure == "third_party_share"
            number = ".1%" if share else ",.0f"
            fig.add_bar(
                x=part[measure],
                y=order,
                orientation="h",
                name=title_of,
                legendgroup=config,
                showlegend=j == 1,
                marker_color=colours[i % len(colours)],
                hovertemplate=f"%{{y}}<br>{title}: %{{x:{number}}}<extra>{title_of}</extra>",
                row=1,
                col=j,
            )
    for j, (measure, _) in enumerate(MEASURES, start=1):
        share = measure == "third_party_share"
        fig.update_xaxes(tickformat=".0%" if share else ",d", nticks=4, row=1, col=j)
        if not (figures[measure].max() > 0):  # all zero or unknown: an axis from 0, and words
            fig.update_xaxes(range=[0, 1], dtick=1, row=1, col=j)
            fig.add_annotation(
                text=_no_bars(figures[measure]),
                showarrow=False,
                x=0.5,
                y=0.5,
                xref="x domain",
                yref="y domain",
                row=1,
                col=j,
            )
    fig.update_layout(
        barmode="group",
        template="plotly_white",
        height=max(360, 140 + 28 * len(order) * max(1, len(configurations))),
        legend={"title_text": "Configuration", "orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 70, "b": 40},
    )
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    return fig


def _no_bars(values: pd.Series) -> str:
    """What a ranking panel without bars means: every tenant at 0, unknown, or either."""
    if values.isna().all():
        return "unknown for every tenant"
    return "0 for every tenant" if values.notna().all() else "0 or unknown for every tenant"


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Exposure score of each (tenant, configuration) over the runs, oldest left."""
    import plotly.express as px

    from zoomai.reporting.charts import no_data

    if trend.empty:
        return no_data("Exposure score over the runs", "No tenant risk report in the runs of this folder.")
    data = trend.assign(
        series=trend["tenant_name"] + " · " + trend["configuration"].map(labels.configuration)
    )
    fig = px.line(
        data,
        x="run_id",
        y="exposure_score",
        color="series",
        markers=True,
        template="plotly_white",
        labels={"run_id": "Run", "exposure_score": "Exposure score", "series": "Tenant · configuration"},
    )
    fig.update_yaxes(exponentformat="none", separatethousands=True, rangemode="tozero")
    fig.update_xaxes(type="category")
    return fig


def _chart_html(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)


def _trend_table(trend: pd.DataFrame) -> dict[str, Any]:
    """Rows (tenant, configuration, run, the ranking measures) for people, newest run last."""
    columns = ["Tenant", "Configuration", "Run", *(t for _, t in MEASURES)]
    rows = []
    for r in trend.itertuples(index=False):
        share = "unknown" if math.isnan(r.third_party_share) else f"{r.third_party_share:.1%}"
        rows.append(
            [
                r.tenant_name,
                labels.configuration(r.configuration),
                r.run_id,
                share,
                format_value(r.cross_border_records),
                format_value(r.people_without_notice),
                format_value(r.exposure_score),
            ]
        )
    return {"columns": columns, "rows": rows}


# ------------------------------------------------------------------------------- the page


def write_index(report: Report, folder: Path, out: Path | None = None, self_contained: bool = True) -> None:
    """index.html of the run being written in `folder`; `out` (the reports folder) is read for
    earlier runs; plotly.js is embedded when `self_contained`, else the run's assets/ copy."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    names = tenant_names(report.results)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in report.results:
        files = r["files"]
        links = [(k, files[k]) for k in ("html", "pdf", "ipynb", "json") if k in files]
        groups.setdefault(r["tenant"] or NO_TENANT, []).append(
            {
                "title": r.get("title") or notebook_title(Path(r["notebook"])),
                "configuration_title": labels.configuration(r["configuration"]) if r["configuration"] else "",
                "status": r["status"],
                "error": r["error"],
                "html": files.get("html"),
                "links": links,
                "figures": key_figures(r.get("summary")),
            }
        )
    ordered = sorted(groups, key=lambda t: (t != NO_TENANT, names.get(t, t).casefold(), t))

    current = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    now = tenant_figures(current, names)
    earlier = [s for s in runs_in(out) if s["run_id"] != report.run_id] if out is not None else []
    frames = [f for f in (tenant_figures(s, names) for s in earlier) if len(f)]
    history = pd.concat([*frames, now], ignore_index=True)
    history = history[history["tenant"].isin(set(now["tenant"]))]
    has_trend = bool(earlier) and history["run_id"].nunique() > 1
    charts = len(now) > 0
    trend = history.sort_values(["tenant_name", "configuration", "started", "run_id"]) if has_trend else None
    page = env.from_string(INDEX_TEMPLATE).render(
        run_id=report.run_id,
        started=report.started.strftime("%Y-%m-%d %H:%M:%S"),
        duration=f"{report.duration:.1f}",
        schedule=report.schedule or "-",
        total=len(report.results),
        failed=len(report.failed),
        **plotly_resources(folder, folder / "index.html", self_contained, charts),
        ranking=_chart_html(ranking_figure(now), "zoomai-ranking") if charts else "",
        ranking_caption="Tenants ranked by exposure score (highest first) under the first configuration; "
        "read across to see whether the same tenants also lead on third-party share, "
        "cross-border records and people without notice.",
        trend=_trend_table(trend) if trend is not None else None,
        trend_chart=_chart_html(trend_figure(trend), "zoomai-trend") if trend is not None else "",
        trend_caption="Exposure score of each tenant and configuration in every run kept in this reports "
        "folder, oldest first; a rise means the tenant's settings or usage widened its exposure.",
        groups=[
            {
                "title": "All tenants / no tenant" if t == NO_TENANT else names.get(t, t),
                "id": "" if t == NO_TENANT or names.get(t, t) == t else t,
                "anchor": t,
                "runs": groups[t],
            }
            for t in ordered
        ],
    )
    (folder / "index.html").write_text(page, encoding="utf-8")
