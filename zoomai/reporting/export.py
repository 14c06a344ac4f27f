"""HTML export of executed notebooks: offline, without input cells, plotly.js and the notebook
stylesheet loaded once per run folder by relative path (or embedded, for a self-contained
file), with a print stylesheet."""

from __future__ import annotations

import copy
import os
import re
from functools import cache
from pathlib import Path

from zoomai.reporting.schedule import CHART_MIME

# ------------------------------------------------------------------------------- HTML export

PLOTLY_ASSET = "assets/plotly.min.js"  # relative to the run folder
CSS_ASSET = "assets/notebook.css"  # JupyterLab's stylesheet (240 kB), shared by the reports of a run
_CSS_START, _CSS_END = "<!--zoomai-css-->", "<!--/zoomai-css-->"
# Printing (chromium --print-to-pdf, or a browser's print): sections start on a new page, no
# table row, chart or figure split over two pages, table headers repeated, no chart toolbar,
# and the report's title (notebook, tenant, configuration) on top of the first page.
PRINT_CSS = """\
.zoomai-print-title { display: none; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10pt; }
  h2 { break-before: page; }
  h1 + h2, .jp-Cell:first-child h2 { break-before: auto; }
  h1, h2, h3, h4, caption { break-after: avoid; }
  tr, .js-plotly-plot, figure, img, svg { break-inside: avoid; }
  thead { display: table-header-group; }
  /* scroll boxes cannot be split over pages, and print clipped: let them grow instead */
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-Cell, .jp-OutputArea { overflow: visible !important; }
  table { max-width: 100%; }
  td, th { overflow-wrap: break-word; }
  .modebar-container, .modebar { display: none !important; }
  .zoomai-print-title { display: block; color: #555; font-size: 9pt; margin: 0 0 4mm; }
}
"""
HTML_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
{%- if resources.plotly_src %}
<script type="text/javascript" src="{{ resources.plotly_src }}"></script>
{%- elif resources.plotly_js %}
<script type="text/javascript">{{ resources.plotly_js }}</script>
{%- endif -%}
{%- endblock html_head_js -%}
{% block extra_css %}<style type="text/css">{{ resources.print_css }}</style>{% endblock extra_css %}
{% block notebook_css %}
{%- if resources.css_href %}<link rel="stylesheet" type="text/css" href="{{ resources.css_href }}">
{%- else %}<!--zoomai-css-->{{ super() }}<!--/zoomai-css-->{% endif %}
{% endblock notebook_css %}
{%- block body_header -%}{{ super() }}
<p class="zoomai-print-title">{{ resources.metadata.name | e }}</p>
{%- endblock body_header -%}
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
def notebook_css() -> str:
    """The CSS nbconvert's lab template inlines into every page, as one stylesheet: taken from
    an empty notebook exported self-contained (between the template's markers)."""
    import nbformat

    page, _ = exporter().from_notebook_node(
        nbformat.v4.new_notebook(), resources={"metadata": {"name": "css"}, "print_css": ""}
    )
    block = page[page.index(_CSS_START) + len(_CSS_START) : page.index(_CSS_END)]
    return re.sub(r"</?style\b[^>]*>", "", block).strip() + "\n"


def write_assets(folder: Path) -> None:
    """plotly.js and the notebook stylesheet written once into the run folder, for every
    report (and the index) to load by relative path."""
    for name, text in ((PLOTLY_ASSET, plotly_js()), (CSS_ASSET, notebook_css())):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def asset_href(root: Path, page: Path, asset: str) -> str:
    """The relative URL of a run-folder asset as seen from `page` (a file under `root`)."""
    return Path(os.path.relpath(root / asset, page.parent)).as_posix()


def plotly_resources(root: Path, page: Path, self_contained: bool, charts: bool = True) -> dict[str, str]:
    """Template resources that load plotly.js: embedded (`self_contained`) or by relative path."""
    if not charts:
        return {"plotly_js": "", "plotly_src": ""}
    if self_contained:
        return {"plotly_js": plotly_js(), "plotly_src": ""}
    return {"plotly_js": "", "plotly_src": asset_href(root, page, PLOTLY_ASSET)}


@cache
def exporter():
    """The HTML exporter, built once per process (workers fork after the parent built it)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"zoomai_report.html.j2": HTML_TEMPLATE})],
        template_file="zoomai_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def has_charts(nb) -> bool:
    return any(
        CHART_MIME in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


def export_html(
    ipynb: Path, target: Path, title: str | None = None, root: Path | None = None, self_contained: bool = True
) -> Path:
    """Offline HTML of an executed notebook: no input cells, charts from their text/html output,
    no network URLs. plotly.js (only when the notebook has charts) and the notebook stylesheet
    are embedded once in <head> when `self_contained`, else loaded from `root`'s assets/
    (`PLOTLY_ASSET`, `CSS_ASSET`, see `write_assets`) by relative paths."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    charts = has_charts(nb)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.get("data", {}).pop(CHART_MIME, None)  # rendered from text/html instead
    nb.metadata["title"] = title or ipynb.stem
    resources = {
        "metadata": {"name": title or ipynb.stem},
        "print_css": PRINT_CSS,
        "css_href": "" if self_contained else asset_href(root or target.parent, target, CSS_ASSET),
        **plotly_resources(root or target.parent, target, self_contained, charts),
    }
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    body = _NETWORK_TAGS.sub("", body)
    target.write_text(body, encoding="utf-8")
    return target
