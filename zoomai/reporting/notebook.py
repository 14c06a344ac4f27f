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

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

from zoomai.analysis.configurations import get_configuration
from zoomai.core.errors import ZoomaiError
from zoomai.tenants.tables import region_arg, resolve_tenant_path

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
# Characters shown literally in Markdown: HTML specials, Markdown and LaTeX ($) punctuation.
_MARKDOWN_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~$:"}
_figure_ids: Counter[str] = Counter()


def setup() -> None:
    """Pandas display options for reports: wide tables, no truncated cells, no MathJax in tables.
    Also restarts figure ids, so a notebook run in a reused kernel gives the same HTML."""
    _figure_ids.clear()
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 200)
    pd.set_option("display.precision", 3)
    pd.set_option("display.html.use_mathjax", False)


def figure_bundle(fig: go.Figure) -> dict[str, object]:
    """The mimebundle `show` displays: plotly JSON and an HTML div calling the global Plotly.

    The div id is derived from the figure's JSON (plus a counter for repeats), so a rerun
    gives identical HTML.
    """
    spec = json.loads(fig.to_json())
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    repeat = _figure_ids[digest]
    _figure_ids[digest] += 1
    div_id = f"zoomai-{digest}" + (f"-{repeat}" if repeat else "")
    page = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)
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


def _blank_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as empty cells (pandas prints <NA> for nullable columns)."""
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_float_dtype(values) and values.isna().any():
            out[col] = values.astype(object).where(values.notna(), "")
    return out


def table_html(df: pd.DataFrame, caption: str | None = None) -> str:
    """A DataFrame as an HTML table, every cell, header and the caption escaped."""
    head = f"<p><strong>{html.escape(caption)}</strong></p>\n" if caption else ""
    return head + _blank_missing(df).to_html(index=False, escape=True, na_rep="", border=0)


def table(df: pd.DataFrame, caption: str | None = None) -> None:
    """Display a DataFrame (escaped HTML, plain text for terminals) with an optional caption."""
    text = _blank_missing(df).to_string(index=False, na_rep="")
    display(
        {"text/html": table_html(df, caption), "text/plain": f"{caption}\n{text}" if caption else text},
        raw=True,
    )


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


def _check_days(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of days >= 0, got {value!r}")


# Notebook parameters by name: the check each value must pass (raises ValueError or ZoomaiError).
PARAMETERS: dict[str, Callable[[object], object]] = {
    "summary_path": _check_str,
    "configuration": _check_configuration,
    "configurations": _check_configurations,
    "region": _check_region,
    "tenant": _check_tenant,
    "days_after": _check_days,
    "base": _check_configuration,  # configuration_comparison: the configuration changes are tried on
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


def save_summary(figures: Mapping[str, object], path: str) -> dict[str, object]:
    """Display the headline figures as a table; when `path` is non-empty also write them there
    as JSON (sorted keys), atomically. Returns the JSON-able figures."""
    clean = _json_figures(figures)
    rows = [
        {"figure": k, "value": v if not isinstance(v, list | dict) else json.dumps(v)}
        for k, v in clean.items()
    ]
    table(pd.DataFrame(rows, columns=["figure", "value"]), caption="Headline figures")
    if path:
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
    return clean


def print_figures(figures: Mapping[str, object]) -> None:
    """Print headline figures as plain `name: value` lines (the nbval-checked output)."""
    for name, value in _json_figures(figures).items():
        print(f"{name}: {value if isinstance(value, str) else json.dumps(value)}")
