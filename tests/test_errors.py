"""Broken input files give one clear message naming file, line and column; exit 2, no traceback."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from zoomai import DataError, load_feature_matrix, load_policy


def _rows(data: Path) -> list[list[str]]:
    with (data / "feature_matrix.csv").open(newline="") as f:
        return list(csv.reader(f))


def _write(data: Path, rows: list[list[str]]) -> Path:
    path = data / "feature_matrix.csv"
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def _set(rows, line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


def missing_column(rows):
    i = rows[0].index("zdr_eligible")
    return [r[:i] + r[i + 1 :] for r in rows], "line 1, column zdr_eligible: required column is missing"


def bad_boolean(rows):
    _set(rows, 4, "zmo_eligible", "yes")
    return rows, "line 4, column zmo_eligible: expected true or false, got 'yes'"


def unknown_retention_rule(rows):
    _set(rows, 7, "retention_rule", "forever_and_ever")
    return rows, "line 7, column retention_rule: unknown retention rule 'forever_and_ever'"


def unknown_data_category(rows):
    _set(rows, 9, "data_category", "user.biometric.thoughts")
    return rows, "line 9, column data_category: unknown data category 'user.biometric.thoughts'"


def duplicate_row(rows):
    return rows + [list(rows[5])], f"line {len(rows) + 1}, column content_item: duplicate"


def ragged_line(rows):
    rows[10] = rows[10][:-3]
    return rows, "line 11: expected 20 fields as in the header, found 17"


def wrong_version(rows):
    _set(rows, 12, "min_client_version", "5.x")
    return rows, "line 12, column min_client_version: expected a version such as 5.16.5"


def zdr_not_granted(rows):
    _set(rows, 2, "zdr_eligible", "true")
    return rows, "line 2, column zdr_eligible: expected false"


CASES = [
    missing_column,
    bad_boolean,
    unknown_retention_rule,
    unknown_data_category,
    duplicate_row,
    ragged_line,
    wrong_version,
    zdr_not_granted,
]


@pytest.mark.parametrize("breaker", CASES, ids=[c.__name__ for c in CASES])
def test_broken_matrix(data_copy, breaker):
    rows, expected = breaker(_rows(data_copy))
    path = _write(data_copy, rows)
    with pytest.raises(DataError) as info:
        load_feature_matrix(path)
    message = str(info.value)
    assert "feature_matrix.csv" in message
    assert expected in message
    code, out, err = run_cli("matrix", "--path", path)
    assert code == 2 and out == ""
    assert expected in err and "Traceback" not in err


def test_cli_process_exits_2_without_traceback(data_copy):
    rows, expected = bad_boolean(_rows(data_copy))
    path = _write(data_copy, rows)
    proc = subprocess.run(
        [sys.executable, "-m", "zoomai", "matrix", "--path", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert str(path) in proc.stderr and expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_several_problems_in_one_message(data_copy):
    rows = _rows(data_copy)
    _set(rows, 3, "mobile_only", "maybe")
    _set(rows, 5, "direction", "sideways")
    with pytest.raises(DataError) as info:
        load_feature_matrix(_write(data_copy, rows))
    message = str(info.value)
    assert "2 problems" in message
    assert "line 3, column mobile_only" in message and "line 5, column direction" in message


def test_missing_file(tmp_path):
    code, _, err = run_cli("matrix", "--path", tmp_path / "nope.csv")
    assert code == 2 and "nope.csv: file not found" in err


def _policy_text(data: Path) -> str:
    return (data / "policy.yaml").read_text()


def test_policy_bad_retention_value(data_copy):
    text = _policy_text(data_copy).replace("    value: 7\n", "    value: a week\n", 1)
    (data_copy / "policy.yaml").write_text(text)
    line = text.splitlines().index("  - id: sendgrid_email_sampling") + 1
    with pytest.raises(DataError) as info:
        load_policy(data_copy / "policy.yaml")
    assert f"policy.yaml, line {line}, field facts[3]: a retention value must be a number of days" in str(
        info.value
    )


def test_policy_truncated_yaml(data_copy):
    text = _policy_text(data_copy)
    (data_copy / "policy.yaml").write_text(text[: len(text) // 2] + "\n  - id: [unclosed\n")
    with pytest.raises(DataError, match=r"policy\.yaml, line \d+: not valid YAML"):
        load_policy(data_copy / "policy.yaml")


def test_policy_unknown_field_and_missing_citation(data_copy):
    text = _policy_text(data_copy).replace("    unit: days\n", "    unit: days\n    colour: blue\n", 1)
    (data_copy / "policy.yaml").write_text(text)
    line = text.splitlines().index("    colour: blue") + 1
    with pytest.raises(DataError) as info:
        load_policy(data_copy / "policy.yaml")
    assert f"line {line}, field facts[0].colour: unknown field" in str(info.value)
