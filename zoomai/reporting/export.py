"""HTML export of executed notebooks: offline, without input cells, plotly.js embedded."""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

from zoomai.reporting.schedule import CHART_MIME

# ------------------------------------------------------------------------------- HTML export

HTML_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
{%- if resources.plotly_js %}
<script type="text/javascript">{{ resources.plotly_js }}</script>
{%- endif -%}
{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
# Any script or stylesheet still fetched from the network (a template change upstream).
_NETWORK_TAGS = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>\s*</script>|<link\b[^>]*\bhref\s*=\s*[\"']?https?://[^>]*>",
    re.IGNORECASE,
)


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@cache
def exporter():
    """The HTML exporter, built once per process (workers fork after the parent built it)."""
    if True:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"zoomai_report.html.j2": HTML_TEMPLATE})],
            template_file="zoomai_report.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    return exporter


def has_charts(nb) -> bool:
    return any(
        CHART_MIME in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


def export_html(ipynb: Path, target: Path, title: str | None = None) -> Path:
    """Offline HTML of an executed notebook: no input cells, plotly.js embedded once in <head>
    (only when the notebook has charts), charts from their text/html output, no network URLs."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    charts = has_charts(nb)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.get("data", {}).pop(CHART_MIME, None)  # rendered from text/html instead
    nb.metadata["title"] = title or ipynb.stem
    resources = {"metadata": {"name": title or ipynb.stem}, "plotly_js": plotly_js() if charts else ""}
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    body = _NETWORK_TAGS.sub("", body)
    target.write_text(body, encoding="utf-8")
    return target
