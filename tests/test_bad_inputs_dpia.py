"""Bad inputs of `zoomai dpia`: tenant, configurations, fact set, output folder and the
pipeline. Each is refused with exit 2 before any kernel starts (the notebook is never run),
with a message naming the input and what was expected, no traceback, nothing on disk changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import bad_input_case, check_refused

from zoomai.cli import dpia as dpia_cli

TENANT = "us_enterprise_defaults"


def dpia(tmp: Path, *args) -> list:
    return ["dpia", *args] if "--out" in args else ["dpia", *args, "--out", tmp / "draft"]


def unknown_tenant(tmp):
    return dpia(tmp, tmp / "nope", "--no-pdf"), 2, ["nope: not a tenant folder nor a bundled tenant id"]


def unknown_configuration(tmp):
    return dpia(tmp, TENANT, "--config", "nope", "--no-pdf"), 2, ["unknown configuration 'nope'"]


def unknown_planned(tmp):
    return dpia(tmp, TENANT, "--planned", "lax", "--no-pdf"), 2, ["unknown configuration 'lax'"]


def bad_configuration_file(tmp):
    (tmp / "c.yaml").write_text("configurations:\n  mine:\n    zmo: maybe\n")
    return dpia(tmp, TENANT, "--config", tmp / "c.yaml", "--no-pdf"), 2, ["c.yaml, line 3", "zmo"]


def unknown_fact_set(tmp):
    return dpia(tmp, TENANT, "--facts", "v9"), 2, ["argument --facts: invalid choice: 'v9'"]


def out_missing(tmp):
    return ["dpia", TENANT, "--no-pdf"], 2, ["the following arguments are required: --out"]


def out_is_a_file(tmp):
    (tmp / "draft").write_text("mine")
    return dpia(tmp, TENANT, "--no-pdf"), 2, ["draft: is a file, expected a folder; refusing to replace it"]


def out_is_someone_elses_folder(tmp):
    (tmp / "draft").mkdir()
    (tmp / "draft" / "notes.md").write_text("mine")
    return dpia(tmp, TENANT, "--no-pdf"), 2, ["draft: exists and is not a DPIA folder made by zoomai"]


def out_is_a_symlink(tmp):
    (tmp / "elsewhere").mkdir()
    os.symlink(tmp / "elsewhere", tmp / "draft")
    return dpia(tmp, TENANT, "--no-pdf"), 2, ["is a symbolic link, expected a folder; refusing to replace it"]


def pdf_without_chromium(tmp, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    return dpia(tmp, TENANT), 2, ["--pdf needs Debian's chromium"]


CASES = [
    unknown_tenant,
    unknown_configuration,
    unknown_planned,
    bad_configuration_file,
    unknown_fact_set,
    out_missing,
    out_is_a_file,
    out_is_someone_elses_folder,
    out_is_a_symlink,
    pdf_without_chromium,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_bad_input(case, tmp_path, monkeypatch):
    def no_kernels(*args, **kwargs):
        raise AssertionError("the notebook ran although the input is bad")

    monkeypatch.setattr(dpia_cli, "execute", no_kernels)
    monkeypatch.chdir(tmp_path)
    args, code, expected = bad_input_case(case, tmp_path, monkeypatch)
    check_refused(tmp_path, args, code, expected)


def test_failed_notebook_writes_nothing(tmp_path, monkeypatch):
    """A notebook that fails: exit 1, the message says so, and no folder is left behind."""
    monkeypatch.setattr(dpia_cli, "execute", lambda task: {"status": "failed", "error": "boom", "files": {}})
    check_refused(
        tmp_path, dpia(tmp_path, TENANT, "--no-pdf"), 1, ["the dpia notebook failed, nothing written: boom"]
    )
