"""Bad inputs of `zoomai report`: schedule YAML, tenants (Parquet), --data, configurations, run ids,
notebook parameters, flags and file-system states. Each is refused with exit 2 before any kernel
starts (run_report is never reached), a message naming the file/line/field and what was
expected, no traceback, and nothing on disk changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, check_refused

from zoomai.cli import report as report_cli
from zoomai.tenants.tables import tenants_dir

FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
NOTEBOOKS = REPO / "notebooks"
JOB = "jobs:\n  - name: weekly\n    notebooks: [tenant_chart]\n    tenants: [eu_company_zmo]\n"


def schedule(tmp: Path, text: str) -> Path:
    path = tmp / "schedule.yaml"
    path.write_text(text)
    return path


def report(tmp: Path, text: str | None = JOB, *args, notebooks: Path = FIXTURES) -> list:
    """`zoomai report` of a schedule text (None: no --schedule) into tmp/reports."""
    base = ["report", "--notebooks-dir", notebooks, "--out", tmp / "reports"]
    return base + (["--schedule", schedule(tmp, text)] if text is not None else []) + list(args)


def tenant(tmp: Path, name: str = "t") -> Path:
    return Path(shutil.copytree(tenants_dir() / "eu_company_zmo", tmp / name))


# ------------------------------------------------------------------------------- schedule


def schedule_alias(tmp):
    text = "jobs:\n  - &j\n    name: a\n    notebooks: [no_tenant]\n  - *j\n"
    return report(tmp, text), 2, ["schedule.yaml, line 5: not valid YAML: aliases (*name) are not supported"]


def schedule_duplicate_key(tmp):
    text = JOB + "    tenants: [us_enterprise_defaults]\n"
    return (
        report(tmp, text),
        2,
        [
            "schedule.yaml, line 5, field jobs[0].tenants: "
            "duplicate key 'tenants': first on line 4, again on line 5"
        ],
    )


def schedule_deep(tmp):
    text = (
        "jobs:\n  - name: a\n    notebooks: [no_tenant]\n    parameters: {limit: "
        + "[" * 80
        + "]" * 80
        + "}\n"
    )
    return report(tmp, text), 2, ["schedule.yaml, line 4: not valid YAML: nested more than 64 levels deep"]


def schedule_not_a_mapping(tmp):
    return report(tmp, "- a\n- b\n"), 2, ["schedule.yaml, line 1: expected a mapping with a `jobs` list"]


def schedule_missing(tmp):
    return report(tmp, None, "--schedule", tmp / "none.yaml"), 2, ["error: none.yaml: file not found"]


def schedule_is_a_folder(tmp):
    (tmp / "dir.yaml").mkdir()
    return (
        report(tmp, None, "--schedule", tmp / "dir.yaml"),
        2,
        ["error: dir.yaml: is a folder; expected a file"],
    )


def schedule_unknown_notebook(tmp):
    text = "jobs:\n  - name: a\n    notebooks: [nope]\n"
    return (
        report(tmp, text),
        2,
        ["schedule.yaml, line 3, field jobs[0].notebooks[0]: job 'a': unknown notebook 'nope'"],
    )


def schedule_no_notebooks_folder(tmp):
    text = "jobs:\n  - name: a\n    notebooks: all\n"
    return (
        report(tmp, text, notebooks=tmp / "none"),
        2,
        [f"schedule.yaml, line 3, field jobs[0].notebooks: job 'a': no notebooks in {tmp / 'none'}"],
    )


# ------------------------------------------------------------------- tenants, data, configs


def tenants_outside_as_a_path(tmp):
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", tmp / "nowhere"),
        2,
        [f"--tenants: {tmp / 'nowhere'}: not a tenant folder nor a bundled tenant id"],
    )


def tenants_absolute_path_is_a_folder_as_given(tmp):
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", "/etc"),
        2,
        ["--tenants: /etc/tenants.parquet: missing table tenants.parquet in the tenant folder"],
    )


def tenants_dotdot_is_no_bundled_id(tmp):
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", ".."),
        2,
        ["tenants.parquet: missing table"],
    )


def tenants_unknown(tmp):
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", "nope"),
        2,
        ["nope: not a tenant folder nor a bundled tenant id"],
    )


def tenants_corrupt_parquet(tmp):
    t = tenant(tmp)
    (t / "usage.parquet").write_bytes(b"garbage")
    text = f"jobs:\n  - name: a\n    notebooks: [tenant_chart]\n    tenants: [{t}]\n"
    return (
        report(tmp, text),
        2,
        [
            "schedule.yaml, line 4, field jobs[0].tenants[0]: job 'a': "
            "t/usage.parquet: not a readable Parquet table"
        ],
    )


def tenants_bad_setting_value(tmp):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = tenant(tmp)
    frame = pd.read_parquet(t / "settings.parquet")
    frame.loc[0, "value"] = "maybe"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), t / "settings.parquet")
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", t),
        2,
        ["--tenants: t, field settings.value: row 1:", "expected true or false, got 'maybe'"],
    )


def tenants_broken_changes_file(tmp):
    t = tenant(tmp)
    (t / "changes_since_previous.json").write_text('{"snapshot": 1}')
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", t),
        2,
        ["--tenants: t", "changes_since_previous.json", "field snapshot: expected text"],
    )


def data_broken_policy(tmp):
    data = Path(shutil.copytree(REPO / "data", tmp / "data", ignore=shutil.ignore_patterns("tenants")))
    shutil.copytree(tenants_dir() / "eu_company_zmo", data / "tenants" / "eu_company_zmo")
    policy = data / "policy.yaml"
    policy.write_text(policy.read_text() + "facts: again\n")
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", "eu_company_zmo", "--data", data),
        2,
        ["error: data/policy.yaml, line", "field facts: duplicate key 'facts': first on line"],
    )


def data_missing(tmp):
    return report(tmp, JOB, "--data", tmp / "nowhere"), 2, [f"--data {tmp / 'nowhere'}: not a folder"]


def configurations_bad_yaml(tmp):
    path = tmp / "c.yaml"
    path.write_text("configurations:\n  c:\n    zmo: yes please\n")
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--tenants", "eu_company_zmo", "--config", path),
        2,
        ["--config: c.yaml, line 3, field configurations.c.zmo:"],
    )


def configurations_unknown(tmp):
    return (
        report(tmp, None, "--notebooks", "tenant_chart", "--config", "nope"),
        2,
        ["--config", "unknown configuration 'nope'"],
    )


def configurations_empty(tmp):
    return (
        report(tmp, None, "--config", ","),
        2,
        ["argument --config: expected a comma-separated list"],
    )


def notebooks_empty(tmp):
    return report(tmp, None, "--notebooks", ""), 2, ["argument --notebooks: expected a comma-separated list"]


# ------------------------------------------------------------------------------- run ids


def run_id_empty(tmp):
    return report(tmp, JOB, "--run-id", ""), 2, ["--run-id: empty; expected a name of letters, digits"]


def run_id_too_long(tmp):
    return report(tmp, JOB, "--run-id", "r" * 300), 2, ["--run-id: 300 characters; expected at most 64"]


def run_id_latest(tmp):
    return (
        report(tmp, JOB, "--run-id", "latest"),
        2,
        ["--run-id 'latest': reserved for the reports folder itself"],
    )


def run_id_latest_other_case(tmp):
    return report(tmp, JOB, "--run-id", "LATEST"), 2, ["--run-id 'LATEST': reserved"]


def run_id_with_slash(tmp):
    return (
        report(tmp, JOB, "--run-id", "a/b"),
        2,
        ["--run-id 'a/b': expected letters, digits, '.', '_' and '-'"],
    )


def run_id_hidden(tmp):
    return report(tmp, JOB, "--run-id", ".partial"), 2, ["--run-id '.partial': expected letters, digits"]


def run_id_exists(tmp):
    (tmp / "reports" / "r1").mkdir(parents=True)
    return (
        report(tmp, JOB, "--run-id", "r1"),
        2,
        [f"{tmp / 'reports' / 'r1'} already exists; choose another --run-id"],
    )


def out_is_a_file(tmp):
    (tmp / "reports").write_text("mine\n")
    return report(tmp, JOB, "--run-id", "r1"), 2, ["error: --out reports: not a folder"]


def out_is_a_file_without_run_id(tmp):
    (tmp / "reports").write_text("mine\n")
    return report(tmp, JOB), 2, ["error: --out reports: not a folder"]


# ---------------------------------------------------------------------- notebook parameters


def retention(days: str) -> str:
    job = "jobs:\n  - name: r\n    notebooks: [retention]\n    tenants: [eu_company_zmo]\n"
    return job + f"    parameters:\n      days_after: {days}\n"


def days_after_negative(tmp):
    return (
        report(tmp, retention("-5"), notebooks=NOTEBOOKS),
        2,
        [
            "schedule.yaml, line 6, field jobs[0].parameters.days_after: job 'r': "
            "expected a whole number of days >= 0, got -5"
        ],
    )


def days_after_text(tmp):
    return (
        report(tmp, retention("soon"), notebooks=NOTEBOOKS),
        2,
        [
            "line 6, field jobs[0].parameters.days_after: job 'r': "
            "notebook retention expects int (default 365), got 'soon'"
        ],
    )


def days_after_float(tmp):
    return report(tmp, retention("1.5"), notebooks=NOTEBOOKS), 2, ["expects int (default 365), got 1.5"]


def facts_parameter_unknown(tmp):
    text = "jobs:\n  - name: r\n    notebooks: [retention]\n    tenants: [eu_company_zmo]\n"
    return (
        report(tmp, text + "    parameters:\n      facts: v6\n", notebooks=NOTEBOOKS),
        2,
        [
            "line 6, field jobs[0].parameters.facts: job 'r': "
            "unknown fact set 'v6'; expected one of v5.0, current"
        ],
    )


def facts_flag_unknown(tmp):
    return report(tmp, JOB) + ["--facts", "latest"], 2, ["argument --facts: invalid choice: 'latest'"]


def base_configuration_unknown(tmp):
    text = "jobs:\n  - name: c\n    notebooks: [configuration_comparison]\n    tenants: [eu_company_zmo]\n"
    return (
        report(tmp, text + "    parameters:\n      base: nope\n", notebooks=NOTEBOOKS),
        2,
        [
            "line 6, field jobs[0].parameters.base: job 'c': "
            "unknown configuration 'nope'; expected one of default,"
        ],
    )


def region_parameter_unknown(tmp):
    return (
        report(tmp, JOB + "    parameters:\n      region: ZZ\n"),
        2,
        [
            "line 6, field jobs[0].parameters.region: job 'weekly': expected a hosting region, one of US,",
            "got 'ZZ'",
        ],
    )


def workers_zero(tmp):
    return (
        report(tmp, JOB, "--workers", "0"),
        2,
        ["argument --workers: expected a whole number >= 1, got '0'"],
    )


def cluster_not_an_address(tmp):
    return (
        report(tmp, JOB, "--cluster", "10.0.0.5:8786"),
        2,
        ["argument --cluster: expected local (a Dask LocalCluster on this machine) or tcp://HOST:PORT"],
    )


CASES = [
    schedule_alias,
    schedule_duplicate_key,
    schedule_deep,
    schedule_not_a_mapping,
    schedule_missing,
    schedule_is_a_folder,
    schedule_unknown_notebook,
    schedule_no_notebooks_folder,
    tenants_outside_as_a_path,
    tenants_absolute_path_is_a_folder_as_given,
    tenants_dotdot_is_no_bundled_id,
    tenants_unknown,
    tenants_broken_changes_file,
    tenants_corrupt_parquet,
    tenants_bad_setting_value,
    data_broken_policy,
    data_missing,
    configurations_bad_yaml,
    configurations_unknown,
    configurations_empty,
    notebooks_empty,
    run_id_empty,
    run_id_too_long,
    run_id_latest,
    run_id_latest_other_case,
    run_id_with_slash,
    run_id_hidden,
    run_id_exists,
    out_is_a_file,
    out_is_a_file_without_run_id,
    days_after_negative,
    days_after_text,
    days_after_float,
    facts_parameter_unknown,
    facts_flag_unknown,
    base_configuration_unknown,
    region_parameter_unknown,
    workers_zero,
    cluster_not_an_address,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_bad_input(case, tmp_path, monkeypatch):
    def no_kernels(*args, **kwargs):
        raise AssertionError("a run started although the input is bad")

    monkeypatch.setattr(report_cli, "run_report", no_kernels)
    monkeypatch.chdir(tmp_path)  # relative paths such as ../../etc start here
    args, code, expected = case(tmp_path)
    check_refused(tmp_path, args, code, expected)


def test_out_under_a_place_that_cannot_be_written(tmp_path, monkeypatch):
    """A reports folder that cannot be made (read-only, no permission): one line, exit 2, before
    any kernel. (The tests run as root, which may write anywhere, so mkdir is made to refuse.)"""
    import errno
    import os

    real = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self == tmp_path / "ro" / "reports":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    schedule(tmp_path, JOB)
    args = ["report", "--schedule", tmp_path / "schedule.yaml", "--notebooks-dir", FIXTURES]
    err = check_refused(tmp_path, [*args, "--out", tmp_path / "ro" / "reports"], 2, [])
    assert err.endswith(f"\nzoomai: error: --out: {tmp_path / 'ro' / 'reports'}: permission denied\n")
