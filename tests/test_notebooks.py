"""The notebooks: committed stripped, one papermill `parameters` cell, thin code; the settings
audit shows free-text names escaped. (nbval runs every notebook: see pyproject addopts.)"""

from __future__ import annotations

import json
import re

import nbformat
import papermill as pm
import pytest
from conftest import CHECK, NOTEBOOK_OUTPUTS, REPO
from papermill.inspection import inspect_notebook

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
FACTS = {"facts": '"current"'}  # every notebook: the fact set it rests on (shown in header and scope)
PARAMETERS = {  # run_id: shown in the report header (zoomai report's run), empty by hand
    "feature_matrix": {**FACTS, "run_id": '""', "summary_path": '""'},
    "data_flows": {
        "configuration": '"default"',
        "region": '"US"',
        **FACTS,
        "run_id": '""',
        "summary_path": '""',
    },
    "settings_audit": {"tenant": '"us_enterprise_defaults"', **FACTS, "run_id": '""', "summary_path": '""'},
}
CELL_METADATA = {"tags"}
# Notebooks call zoomai; none of this belongs in a cell.
NOT_THIN = re.compile(
    r"^\s*(def |class |for |while |with |import pandas|import numpy)|lambda |\.groupby\(", re.M
)


def _read(path):
    return nbformat.read(path, as_version=4)


def test_expected_notebooks_exist():
    assert set(PARAMETERS) <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    book = _read(path)
    nbformat.validate(book)
    assert book.nbformat == 4
    assert book.metadata["kernelspec"] == {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    assert "widgets" not in book.metadata
    first = book.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    tagged = [i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], "exactly one `parameters` cell, right after the title"
    assert book.cells[1].cell_type == "code"
    last = [c for c in book.cells if c.cell_type == "code"][-1]
    assert "notebook.save_summary(" in last.source and "summary_path" in last.source
    # every report says what its facts cover and do not (issue: scope statement in every report)
    assert any(c.cell_type == "code" and c.source.strip() == "notebook.scope()" for c in book.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped(path):
    for i, cell in enumerate(_read(path).cells):
        extra = set(cell.metadata) - CELL_METADATA
        assert not extra, f"cell {i}: strip metadata {sorted(extra)}"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_checked_cell_has_its_expected_output(path):
    # one headline cell checked by nbval; its reference output is tests/notebook_outputs/<name>.txt
    checked = [c for c in _read(path).cells if c.cell_type == "code" and c.source.startswith(CHECK)]
    assert len(checked) == 1
    expected = NOTEBOOK_OUTPUTS / f"{path.stem}.txt"
    assert expected.exists(), f"write the figures the checked cell prints to {expected}"
    assert expected.read_text().strip()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cells_are_thin(path):
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code":
            assert not NOT_THIN.search(cell.source), f"cell {i}: move the logic into zoomai/"


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_parameters_parse_for_papermill(name):
    params = inspect_notebook(str(REPO / "notebooks" / f"{name}.ipynb"))
    assert {k: v["default"] for k, v in params.items()} == PARAMETERS[name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_takes_the_fact_set(path):
    # the facts parameter of the schedule contract (zoomai.reporting.schedule.FACTS), given to setup
    params = inspect_notebook(str(path))
    assert params["facts"]["default"] == '"current"'
    assert "notebook.setup(run_id=run_id, facts=facts)" in _read(path).cells[2].source


def _rendered(book) -> str:
    """Every HTML and Markdown output (plain text shows names as they are, which is right)."""
    return "\n".join(
        "".join(out.get("data", {}).get(mime, ""))
        for cell in book.cells
        for out in cell.get("outputs", [])
        for mime in ("text/html", "text/markdown")
    )


def test_settings_audit_escapes_group_names_and_saves_summary(tmp_path):
    summary = tmp_path / "summary.json"
    book = pm.execute_notebook(
        str(REPO / "notebooks" / "settings_audit.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"tenant": "startup_everything_on", "summary_path": str(summary)},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    rendered = _rendered(book)
    assert "<script>alert(1)" not in rendered  # the bundled tenant's group name, never live
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    figures = json.loads(summary.read_text())
    assert list(figures) == sorted(figures)
    assert figures["users"] == 80 and figures["groups_flagged"] >= 1
    # the headline figures are shown once, as a table, with their labels
    assert rendered.count("Groups flagged (open meetings and external summaries)") == 1
    assert "groups_flagged" not in rendered


def test_bad_parameter_stops_with_a_clear_message(tmp_path):
    with pytest.raises(
        pm.PapermillExecutionError, match="notebook parameter region: expected a hosting region, one of US,"
    ):
        pm.execute_notebook(
            str(REPO / "notebooks" / "data_flows.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"region": "Europe"},
            kernel_name="python3",
            cwd=str(REPO / "notebooks"),
            progress_bar=False,
        )
