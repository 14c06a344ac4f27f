"""Command-line conventions shared by every subcommand: --version, bare `zoomai`, --help with
examples and exit codes, --format json wherever a table is printed, one --config spelling."""

from __future__ import annotations

import argparse
import io
import json
import tomllib

import pandas as pd
import pytest
from conftest import REPO, run_cli

from zoomai.cli import build_parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_version_is_the_package_version():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    code, out, _ = run_cli("--version")
    assert (code, out) == (0, f"zoomai {version}\n")


def test_bare_zoomai_prints_help_and_exits_0():
    code, out, err = run_cli()
    assert (code, err) == (0, "")
    assert out.startswith("usage: zoomai") and "exit status:" in out
    for name in subcommands():
        assert f"    {name}" in out  # every subcommand listed


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_help_has_an_example_and_exit_codes(name):
    code, out, _ = run_cli(name, "--help")
    assert code == 0
    examples = out[out.index("examples:") :]
    assert f"  zoomai {name}" in examples
    assert "exit status:" in examples and "  0  " in examples and "  2  " in examples
    for action in subcommands()[name]._actions:  # --out says whether it is a file or a folder
        if "--out" in action.option_strings:
            assert action.metavar in ("FILE", "FOLDER"), name


def table_commands() -> list[str]:
    """Subcommands that print a table: those with --format."""
    return sorted(
        n for n, p in subcommands().items() if any("--format" in a.option_strings for a in p._actions)
    )


def test_format_json_everywhere_a_table_is_printed():
    assert table_commands() == [
        "compare",
        "diff",
        "exposure",
        "facts",
        "flows",
        "matrix",
        "portfolio",
        "settings",
    ]
    for name in table_commands():
        choices = next(a.choices for a in subcommands()[name]._actions if "--format" in a.option_strings)
        assert set(choices) == {"csv", "markdown", "json"}, name


@pytest.mark.parametrize(
    "args",
    [
        ("matrix",),
        ("flows", "--config", "zmo"),
        ("exposure", "eu_company_zmo", "--view", "totals"),
        ("settings", "eu_company_zmo", "--key", "chat."),
        ("portfolio", "eu_company_zmo", "--config", "default,zmo", "--workers", "1"),
    ],
)
def test_json_has_the_rows_and_values_of_the_csv(args):
    code, text, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    rows = json.loads(text)
    code, csv_text, _ = run_cli(*args, "--format", "csv")
    frame = pd.read_csv(io.StringIO(csv_text), keep_default_na=False, dtype=str)
    assert len(rows) == len(frame) > 0
    assert list(rows[0]) == list(frame.columns)
    first = {
        k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in rows[0].items()
    }
    expected = frame.iloc[0].to_dict()
    # numbers: the same value (CSV may print 5915.7 where JSON has 5915.7, ints alike)
    for key, value in expected.items():
        if first[key] != value:
            assert float(first[key]) == float(value), key


def test_one_config_spelling_with_the_old_ones_as_hidden_aliases():
    code, new, err = run_cli("compare", "eu_company_zmo", "--config", "default,zmo", "--format", "csv")
    assert code == 0, err
    assert new.splitlines()[1].startswith("eu_company_zmo,default,") and len(new.splitlines()) == 3
    assert run_cli("compare", "eu_company_zmo", "--configs", "default,zmo", "--format", "csv")[1] == new
    for name in ("compare", "report"):
        helptext = run_cli(name, "--help")[1]
        assert (
            "--config A,B" in helptext and "--configs" not in helptext and "--configurations" not in helptext
        )
    code, _, err = run_cli("compare", "eu_company_zmo", "--config", ",")
    assert code == 2 and "--config: expected a comma-separated list of names" in err
