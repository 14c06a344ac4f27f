"""Helpers every notebook uses: display options, figures, escaped Markdown and tables,
parameter checks and the run's summary file.

Contract with the report exporter: `show` emits one output with the figure as
`application/vnd.plotly.v1+json` (rendered natively by JupyterLab) and as `text/html`, a div
plus a script calling the global `Plotly` (no plotly.js, no require.js). The exporter injects
plotly.js once into each HTML report's <head> and keeps the text/html output.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display
from pandas.io.formats.style import Styler

from zoomai.analysis.configurations import get_configuration
from zoomai.analysis.drift import read_since_previous
from zoomai.analysis.scope import scope_statement
from zoomai.core.errors import ZoomaiError
from zoomai.facts.factset import DEFAULT_FACTS, check_facts_name, load_facts, routing_effects
from zoomai.facts.policy import load_policy
from zoomai.reporting import changes, charts, formats, labels
from zoomai.tenants import usage
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, region_arg, resolve_tenant_path, tenant_routing

PLOTLY_MIME = "application/vnd.plotly.v1+json"
SCOPE_CAPTION = "Scope of the facts: what they cover and what they do not"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
# Characters shown literally in Markdown: HTML specials, Markdown and LaTeX ($) punctuation.
_MARKDOWN_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~$:"}
_figure_ids: Counter[str] = Counter()


STYLE = """<style>
table.zoomai-table { border-collapse: collapse; max-width: 100%; table-layout: auto; font-size: 13px;
  margin: 0; }
table.zoomai-table th, table.zoomai-table td { text-align: left !important; vertical-align: top;
  padding: 3px 8px; }
table.zoomai-table td { overflow-wrap: break-word; }
table.zoomai-table td.code { overflow-wrap: anywhere; font-size: 12px; }
table.zoomai-table th { border-bottom: 1px solid #888; overflow-wrap: normal; hyphens: auto; }
table.zoomai-table td.num { text-align: right !important; white-space: nowrap; }
table.zoomai-table tbody tr:nth-child(even) { background: #f5f5f5; }
.zoomai-caption { font-size: 13px; color: #444; margin: 2px 0 14px 0; }
.zoomai-table-title { font-weight: bold; margin: 10px 0 4px 0; }
details.zoomai-details > summary { cursor: pointer; margin: 6px 0; }
.zoomai-empty { font-style: italic; }
@media print { details.zoomai-details > summary { display: none; } }
</style>"""
_run: dict[str, str] = {"id": "", "facts": DEFAULT_FACTS}
SOURCES_CAPTION = "Sources the facts rest on"


def setup(run_id: str = "", facts: str = DEFAULT_FACTS) -> None:
    """Pandas display options for reports, the report's table and caption styles, the run id
    shown in the header (`run_id`: the `zoomai report` run; empty outside a run) and the fact
    set the report rests on (`facts`: v5.0 or current; shown in the header and the scope).
    Also restarts figure ids, so a notebook run in a reused kernel gives the same HTML."""
    _figure_ids.clear()
    check_parameters(run_id=run_id, facts=facts)
    _run["id"] = run_id
    _run["facts"] = facts
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 200)
    pd.set_option("display.precision", 3)
    pd.set_option("display.html.use_mathjax", False)
    display({"text/html": STYLE, "text/plain": ""}, raw=True)


def figure_bundle(fig: go.Figure) -> dict[str, object]:
    """The mimebundle `show` displays: plotly JSON and an HTML div calling the global Plotly,
    followed by the figure's one-line caption (zoomai.reporting.charts.caption).

    The div id is derived from the figure's JSON (plus a counter for repeats), so a rerun
    gives identical HTML.
    """
    spec = json.loads(fig.to_json())
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    repeat = _figure_ids[digest]
    _figure_ids[digest] += 1
    div_id = f"zoomai-{digest}" + (f"-{repeat}" if repeat else "")
    page = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)
    note = charts.caption(fig)
    if note:
        page += f'\n<p class="zoomai-caption">{html.escape(note)}</p>'
    return {PLOTLY_MIME: {**spec, "config": PLOTLY_CONFIG}, "text/html": page}


def show(fig: go.Figure) -> None:
    """Display a plotly figure as one output (see `figure_bundle`)."""
    display(figure_bundle(fig), raw=True)


def escape_markdown(value: object) -> str:
    """Text that Markdown shows literally: HTML and Markdown specials become character references."""
    return "".join(_MARKDOWN_ENTITIES.get(c, c) for c in str(value))


def md(template: str, **values: object) -> None:
    """Display Markdown from a `str.format` template; every value is escaped (names are free text)."""
    text = template.format(**{k: escape_markdown(v) for k, v in values.items()})
    display({"text/markdown": text, "text/plain": text}, raw=True)


COLLAPSE_AFTER = 25  # rows: a longer table is shown folded (<details>), one fold per group


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as display text (zoomai.reporting.formats): separators, yes/no, estimates
    rounded and marked (columns whose headline figure is an estimate), shares as percentages,
    missing as blank."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        name = str(col)
        fmt = (
            formats.estimate
            if labels.is_estimate(name)
            else formats.percent
            if labels.is_share(name)
            else formats.value
        )
        out[col] = [v if isinstance(v, str | formats.Link) else fmt(v) for v in df[col]]  # already shown
    return out


def _cell_html(cell: object) -> object:
    """A link cell as its HTML link (other cells are text, escaped by the Styler)."""
    return cell.html() if isinstance(cell, formats.Link) else cell


def _styled(df: pd.DataFrame, human: bool, right: tuple[str, ...] = ()) -> str:
    """One HTML table (pandas Styler): escaped cells and headers, text left, numbers (and the
    columns `right` of numbers already formatted) right. (The alignment rules in STYLE are
    !important: JupyterLab's own stylesheet right-aligns every cell with a stronger selector.)"""
    source = labels.words(df) if human else df
    numeric = [_numeric(source[c]) or c in right for c in source.columns]
    frame = _cells(source)  # formatted under the machine names (estimates are marked by name)
    if human:
        frame = frame.rename(columns=labels.column)
    code = [c in labels.CODE_KEY_COLUMNS for c in source.columns]
    classes = pd.DataFrame(
        [["num" if n else "code" if k else "" for n, k in zip(numeric, code, strict=True)]] * len(frame),
        index=frame.index,
        columns=frame.columns,
    )
    digest = hashlib.sha256(frame.astype(str).to_json().encode()).hexdigest()[:10]
    styler = (
        Styler(frame.reset_index(drop=True), uuid=digest, cell_ids=False)
        .hide(axis="index")
        .format(_cell_html, escape="html")
        .format_index(escape="html", axis=1)
        .set_td_classes(classes.reset_index(drop=True))
        .set_table_attributes('class="zoomai-table"')
        .set_table_styles(
            [
                {"selector": f"th.col{i}", "props": "text-align: right !important"}
                for i, n in enumerate(numeric)
                if n
            ]
        )
    )
    return styler.to_html()


def table_html(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    empty: str = "None.",
    group_by: str | None = None,
    human: bool = True,
    collapse_after: int = COLLAPSE_AFTER,
    right: tuple[str, ...] = (),
) -> str:
    """A DataFrame as a report table (escaped, formatted, headers and codes in words unless
    `human` is false). An empty table is the sentence `empty`; a table longer than
    `collapse_after` rows is folded, one fold per value of `group_by` when given."""
    head = f'<p class="zoomai-table-title">{html.escape(caption)}</p>\n' if caption else ""
    if df.empty:
        return head + f'<p class="zoomai-empty">{html.escape(empty)}</p>'
    if len(df) <= collapse_after:
        return head + _styled(df, human, right)
    if group_by is None:
        summary = f"Show all {formats.count(len(df))} rows"
        return head + _fold(summary, _styled(df, human, right))
    parts = []
    for name, part in df.groupby(group_by, sort=False):
        summary = f"{name}: {formats.counted(len(part), 'row')}"
        parts.append(_fold(summary, _styled(part.drop(columns=group_by), human, right)))
    return head + "\n".join(parts)


def _fold(summary: str, body: str) -> str:
    return f'<details class="zoomai-details"><summary>{html.escape(summary)}</summary>\n{body}\n</details>'


def table(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    empty: str = "None.",
    group_by: str | None = None,
    human: bool = True,
) -> None:
    """Display a report table (see `table_html`), with plain text for terminals. Lower and upper
    bounds (`X_min`, `X_max` beside `X`) are shown as one range column."""
    df, ranged = formats.with_ranges(df)
    text = empty if df.empty else _cells(df).to_string(index=False)
    display(
        {
            "text/html": table_html(df, caption, empty=empty, group_by=group_by, human=human, right=ranged),
            "text/plain": f"{caption}\n{text}" if caption else text,
        },
        raw=True,
    )


def sections(df: pd.DataFrame, by: str, titles: Mapping[str, str]) -> None:
    """Display one titled table per section, in the order of `titles` (values of column `by`,
    each with the sentence a section without rows shows)."""
    for title, empty in titles.items():
        table(df[df[by] == title].drop(columns=by), caption=title, empty=empty)


def side_by_side(df: pd.DataFrame, by: str, caption: str | None = None) -> None:
    """Display a table with one row per value of `by` (e.g. configuration) turned sideways: one
    row per figure, one column per value, each figure formatted (estimates rounded and marked),
    so many figures fit the page."""
    columns = [labels.configuration(v) if by == "configuration" else str(v) for v in df[by]]
    cells = _cells(labels.words(df.drop(columns=by), keep_keys=False).reset_index(drop=True))
    turned = pd.DataFrame(cells.T.to_numpy(), columns=columns)
    turned.insert(0, "Figure", [labels.column(c) for c in cells.columns])
    text = turned.to_string(index=False)
    display(
        {
            "text/html": table_html(turned, caption, human=False, right=tuple(columns)),
            "text/plain": f"{caption}\n{text}" if caption else text,
        },
        raw=True,
    )


def _usage_period(tenant: Tenant) -> str:
    times = tenant.usage["time"]
    if times.empty:
        return "no usage data (settings only: see potential exposure)"
    first, last = times.min(), times.max()
    counts = tenant.usage["source"].value_counts()
    sources = ", ".join(f"{s} {formats.count(counts[s])}" for s in USAGE_SOURCES if counts.get(s, 0))
    return f"usage from {first:%d %b %Y} to {last:%d %b %Y} ({formats.count(len(times))} uses: {sources})"


def usage_basis(tenant: Tenant, record: Mapping[str, Any] | None) -> None:
    """Display what the usage behind the figures is: uses per source, the features whose usage
    is observed (and the Zoom endpoint it comes from), and the usage model's assumptions with
    where each number comes from (`record`: zoomai.tenants.usage.load_record)."""
    counts = tenant.usage["source"].value_counts()
    rows = pd.DataFrame({"source": USAGE_SOURCES, "uses": [int(counts.get(s, 0)) for s in USAGE_SOURCES]})
    table(rows, caption="Uses per usage source")
    observed = set(tenant.usage.loc[tenant.usage["source"] == "observed", "feature_id"].astype(str))
    if record is not None:
        observed |= set(record.get("observed_features", []))
    evidence = usage.evidence_table()
    table(
        evidence[evidence["feature_id"].isin(observed)].assign(
            feature=lambda d: d["feature_id"].map(labels.feature)
        )[["feature", "evidence", "one_use", "api_fields"]],
        caption="Features with observed usage (from Zoom's APIs)",
        empty="No usage observed: the tenant's usage was not pulled from Zoom's APIs.",
    )
    model = record.get("model") if record else None
    caption = f"Usage model {model['id']} (seed {model['seed']}): {model['description']}" if model else None
    table(
        usage.assumptions(record).drop(columns="feature_id"),
        caption=caption,
        empty="No usage model: no usage is estimated.",
    )


def subject(
    tenant: Tenant | None = None,
    configuration: str | None = None,
    region: str | None = None,
    configurations: list[str] | None = None,
) -> pd.DataFrame:
    """What a report is about, as rows (item, detail): tenant, configuration(s) and what they
    change in words, hosting region, the tenant data and its date, the facts and the run."""
    rows: list[tuple[str, str]] = []
    if tenant is not None:
        info = tenant.info
        rows.append(("Tenant", f"{info['name']} ({info['tenant_id']})"))
        region = region or str(info["hosting_region"])
        own = ", ".join(
            f"{labels.SUPPORT_OPTIONS[o]} {'on' if info[f'{o}_enabled'] else 'off'}" for o in ("zmo", "zdr")
        )
        if tenant_routing(info) == "zm_plus":  # the optional routing column (see tenants.tables)
            own = f"model routing {routing_effects('current').loc['zm_plus', 'label']}; {own}"
        rows.append(
            ("Tenant data", f"{info['source']}; {_usage_period(tenant)}; as set by Zoom support: {own}")
        )
    if configuration is not None:
        config = get_configuration(configuration)
        changes = "; ".join(labels.configuration_changes(config)) or "nothing: the tenant's own settings"
        rows.append(("Configuration", f"{labels.configuration(config.name)}: {config.description}"))
        rows.append(("What it changes", changes))
    if configurations:
        rows.append(("Configurations compared", ", ".join(labels.configuration(c) for c in configurations)))
    if region is not None:
        rows.append(("Hosting region", region))
    policy = load_policy()
    doc = policy.documents.set_index("id").loc["whitepaper"]
    whitepaper = f"{doc['title']}, version {doc['version']} ({doc['published']})"
    if _run["facts"] == "v5.0":
        rows.append(("Facts", whitepaper))
    else:
        later = load_facts(_run["facts"]).sources.query("fact_set != 'v5.0'")
        rows.append(
            (
                "Facts",
                f"fact set {_run['facts']}: {whitepaper}, with {len(later)} later Zoom pages read up to "
                f"{later['read'].max()} (listed under Scope)",
            )
        )
    rows.append(("Report run", _run["id"] or "not part of a report run (run interactively)"))
    return pd.DataFrame(rows, columns=["item", "detail"])


def header(
    tenant: Tenant | None = None,
    configuration: str | None = None,
    region: str | None = None,
    configurations: list[str] | None = None,
) -> None:
    """Display the report's subject (see `subject`) as a two-column table at the top."""
    rows = subject(tenant, configuration, region, configurations)
    body = rows.rename(columns={"item": "Report on", "detail": ""})
    display(
        {
            "text/html": table_html(body, human=False),
            "text/plain": "\n".join(f"{i}: {d}" for i, d in rows.itertuples(index=False)),
        },
        raw=True,
    )


def changes_since_previous(tenant: str | Path, data: Tenant) -> None:
    """The changes since the previous snapshot that a tenant folder imported from a snapshot
    keeps (zoomai.analysis.drift.CHANGES_FILE): one line, then the table in words; one line only
    when there is nothing to compare."""
    since = read_since_previous(resolve_tenant_path(tenant))
    md("{line}", line=changes.summary_sentence(since))
    if since is not None and not since.changes.empty:
        table(changes.changes_words(since.changes, data), caption="Changes since the previous snapshot")


def _check_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _check_configuration(value: object) -> None:
    get_configuration(_check_str(value))


def _check_configurations(value: object) -> None:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"expected a non-empty list of configurations, got {value!r}")
    for item in value:
        _check_configuration(item)


def _check_region(value: object) -> None:
    try:
        region_arg(_check_str(value))
    except argparse.ArgumentTypeError as exc:
        raise ValueError(str(exc)) from None


def _check_tenant(value: object) -> None:
    resolve_tenant_path(_check_str(value))


def _check_facts(value: object) -> None:
    check_facts_name(_check_str(value))


def _check_days(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of days >= 0, got {value!r}")


# Notebook parameters by name: the check each value must pass (raises ValueError or ZoomaiError).
PARAMETERS: dict[str, Callable[[object], object]] = {
    "summary_path": _check_str,
    "run_id": _check_str,
    "configuration": _check_configuration,
    "configurations": _check_configurations,
    "region": _check_region,
    "tenant": _check_tenant,
    "days_after": _check_days,
    "facts": _check_facts,
    "base": _check_configuration,  # configuration_comparison: the configuration changes are tried on
    "planned": _check_configuration,  # dpia: the configuration whose options are the measures envisaged
}


def check_parameters(**params: object) -> None:
    """Validate notebook parameters by name; ZoomaiError naming the parameter and what was expected."""
    for name, value in params.items():
        if name not in PARAMETERS:
            raise ZoomaiError(f"unknown notebook parameter {name!r}; expected one of {', '.join(PARAMETERS)}")
        try:
            PARAMETERS[name](value)
        except (ValueError, ZoomaiError) as exc:
            raise ZoomaiError(f"notebook parameter {name}: {exc}") from None


def _json_value(value: object, where: str) -> object:
    """A JSON-able copy of `value` (numpy/pandas scalars converted); ZoomaiError otherwise."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isinf(value):
            raise ZoomaiError(f"summary figure {where}: expected a finite number, got {value}")
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, list | tuple):
        return [_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise ZoomaiError(f"summary figure {where}: expected text keys, got {list(value)!r}")
        return {k: _json_value(v, f"{where}.{k}") for k, v in value.items()}
    if value is pd.NA or value is pd.NaT:
        return None
    raise ZoomaiError(
        f"summary figure {where}: expected a number, text, true/false, null, list or mapping, "
        f"got {type(value).__name__}"
    )


def _json_figures(figures: Mapping[str, object]) -> dict[str, object]:
    """Headline figures as JSON-able values, by name; ZoomaiError naming the first bad one."""
    if not isinstance(figures, Mapping) or not all(isinstance(k, str) for k in figures):
        raise ZoomaiError(f"summary figures: expected a mapping of names to values, got {figures!r}")
    return {k: _json_value(v, k) for k, v in figures.items()}


def save_summary(figures: Mapping[str, object], path: str) -> None:
    """When `path` is non-empty, write the headline figures there as JSON (sorted keys),
    atomically; nothing is displayed (the figures are shown once, by `headlines`)."""
    clean = _json_figures(figures)
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(clean, out, sort_keys=True, indent=2)
            out.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def figure_lines(figures: Mapping[str, object]) -> str:
    """Headline figures as plain `name: value` lines (JSON values, text as it is): the
    nbval-checked text of the headline cell and what terminals show."""
    return "".join(
        f"{name}: {value if isinstance(value, str) else json.dumps(value)}\n"
        for name, value in _json_figures(figures).items()
    )


def _figure_text(name: str, value: object) -> str:
    """One figure's value for people: counts with separators, estimates rounded and marked,
    configuration names and setting changes in words."""
    if isinstance(value, bool) or value is None:
        return formats.value(value) or "none"
    if isinstance(value, int | float):
        return formats.estimate(value) if labels.is_estimate(name) else formats.value(value)
    if isinstance(value, list):
        return ", ".join(labels.figure_key(name, str(v)) for v in value) or "none"
    return labels.figure_text(str(value)) or "none"


def figure_rows(figures: Mapping[str, object]) -> pd.DataFrame:
    """Headline figures as a table for people: columns figure, value (text); a mapping figure
    gives one row per key ('Peak records held: Zoom')."""
    rows = []
    for name, value in _json_figures(figures).items():
        if isinstance(value, dict):
            for key, item in value.items():
                rows.append(
                    (f"{labels.figure(name)}: {labels.figure_key(name, key)}", _figure_text(name, item))
                )
        else:
            rows.append((labels.figure(name), _figure_text(name, value)))
    return pd.DataFrame(rows, columns=["figure", "value"])


def headlines_bundle(figures: Mapping[str, object]) -> dict[str, str]:
    """What `headlines` displays: the formatted table (text/html) and `figure_lines` (text/plain)."""
    rows = figure_rows(figures).rename(columns={"figure": "Figure", "value": "Value"})
    return {"text/html": table_html(rows, human=False, right=("Value",)), "text/plain": figure_lines(figures)}


def headlines(figures: Mapping[str, object]) -> None:
    """Display the headline figures once, as a small formatted table (plain text: `name: value`
    lines, the output nbval compares, see tests/conftest.py)."""
    display(headlines_bundle(figures), raw=True)


def scope() -> None:
    """The scope section every report ends with: what the facts of the report's fact set cover
    and what they do not (zoomai.analysis.scope, data/scope.yaml), and the source documents
    they rest on (data/sources.yaml)."""
    table(scope_statement(facts=_run["facts"]).drop(columns="facts"), caption=SCOPE_CAPTION)
    table(sources_table(_run["facts"]), caption=SOURCES_CAPTION)


def sources_table(facts: str) -> pd.DataFrame:
    """The documents a fact set rests on, as a report shows them: document (its title, linked to
    its web address; a bundled copy says so), publisher, date and the date it was read."""
    sources = load_facts(facts).sources
    return pd.DataFrame(
        {
            "document": [
                labels.source_document(t, a)
                for t, a in zip(sources["title"], sources["location"], strict=True)
            ],
            "publisher": sources["publisher"],
            "date": sources["date"],
            "read": sources["read"],
        }
    )
