"""Shared test helpers."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from zoomai.cli import main
from zoomai.paths import data_dir

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `zoomai ARGS` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def matrix():
    from zoomai import load_feature_matrix

    return load_feature_matrix()


@pytest.fixture(scope="session")
def policy():
    from zoomai import load_policy

    return load_policy()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("tenants"))
    return target
