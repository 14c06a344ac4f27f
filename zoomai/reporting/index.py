"""The run index: index.html listing every run with its status, links and headline figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoomai.reporting.runner import Report

from pathlib import Path
from typing import Any

from zoomai.reporting.schedule import NO_TENANT

INDEX_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>zoomai reports {{ run_id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.failed { color: #a40000; font-weight: bold; }
.ok { color: #216e1f; }
dl { margin: 0; display: grid; grid-template-columns: max-content auto; column-gap: .8rem; }
dt { color: #555; } dd { margin: 0; }
code { font-size: .9em; }
</style>
</head>
<body>
<h1>zoomai reports</h1>
<p>Run <code>{{ run_id }}</code>, started {{ started }} (UTC), {{ duration }} s, schedule {{ schedule }}:
{{ total }} report{{ "s" if total != 1 }},
<span class="{{ 'failed' if failed else 'ok' }}">{{ failed }} failed</span>.</p>
<p>{% for group in groups %}<a href="#{{ group.anchor }}">{{ group.title }}</a>
{{- " · " if not loop.last }}{% endfor %}</p>
{% for group in groups %}
<h2 id="{{ group.anchor }}">{{ group.title }}</h2>
<table>
<thead>
<tr><th>notebook</th><th>configuration</th><th>status</th><th>key figures</th><th>files</th></tr>
</thead>
<tbody>
{% for r in group.runs %}
<tr>
<td>{% if r.html %}<a href="{{ r.html }}">{{ r.notebook }}</a>{% else %}{{ r.notebook }}{% endif %}</td>
<td>{{ r.configuration or "" }}</td>
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
MAX_FIGURES = 12


def key_figures(summary: Any) -> list[tuple[str, str]]:
    """Scalar entries of a notebook's summary (one level of nesting flattened), as text."""
    if not isinstance(summary, dict):
        return []
    out: list[tuple[str, str]] = []
    for key, value in summary.items():
        if isinstance(value, dict):
            out += [(f"{key}.{k}", _text(v)) for k, v in value.items() if not isinstance(v, dict | list)]
        else:
            out.append((str(key), _text(value)))
    return out[:MAX_FIGURES]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        text = ", ".join(_text(v) for v in value)
        return text if len(text) <= 200 else text[:197] + "..."
    return str(value)


def write_index(report: Report, folder: Path) -> None:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in report.results:
        files = r["files"]
        links = [(k, files[k]) for k in ("html", "ipynb", "json") if k in files]
        groups.setdefault(r["tenant"] or NO_TENANT, []).append(
            {
                "notebook": r["notebook"],
                "configuration": r["configuration"],
                "status": r["status"],
                "error": r["error"],
                "html": files.get("html"),
                "links": links,
                "figures": key_figures(r.get("summary")),
            }
        )
    ordered = sorted(groups, key=lambda t: (t != NO_TENANT, t))
    page = env.from_string(INDEX_TEMPLATE).render(
        run_id=report.run_id,
        started=report.started.strftime("%Y-%m-%d %H:%M:%S"),
        duration=f"{report.duration:.1f}",
        schedule=report.schedule or "-",
        total=len(report.results),
        failed=len(report.failed),
        groups=[
            {
                "title": "All tenants / no tenant" if t == NO_TENANT else f"Tenant {t}",
                "anchor": t,
                "runs": groups[t],
            }
            for t in ordered
        ],
    )
    (folder / "index.html").write_text(page, encoding="utf-8")
