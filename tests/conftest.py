"""Shared test helpers."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from zoomai.cli import main
from zoomai.core.paths import data_dir

REPO = Path(__file__).resolve().parent.parent
# Expected output of each notebook's `# NBVAL_CHECK_OUTPUT` cell (its headline figures). The
# notebooks are committed stripped, so the reference output lives here and is put into the
# cell when nbval collects it.
NOTEBOOK_OUTPUTS = REPO / "tests" / "notebook_outputs"
CHECK = "# NBVAL_CHECK_OUTPUT"


def parse_figures(text: str) -> dict[str, object]:
    """The figures of a reference file: `name: value` lines, values JSON or else plain text
    (as zoomai.reporting.notebook.figure_lines writes them)."""
    figures: dict[str, object] = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        try:
            figures[name] = json.loads(value)
        except json.JSONDecodeError:
            figures[name] = value
    return figures


def pytest_collection_modifyitems(items) -> None:
    """Give nbval's checked cells their reference output from tests/notebook_outputs/<name>.txt
    (nbval compares only cells whose reference was run, hence the execution count). The cell
    displays the figures once: as `name: value` lines (text/plain, the file's text) and as the
    report's formatted table (text/html, rendered from the file's figures)."""
    from nbformat.v4 import new_output

    from zoomai.reporting.notebook import headlines_bundle

    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or cell.get("cell_type") != "code" or not cell.source.startswith(CHECK):
            continue
        expected = NOTEBOOK_OUTPUTS / f"{Path(str(item.path)).stem}.txt"
        if expected.exists():
            bundle = headlines_bundle(parse_figures(expected.read_text()))
            assert bundle["text/plain"] == expected.read_text(), f"{expected}: not as figure_lines writes it"
            cell.outputs = [new_output("display_data", data=bundle)]
            cell.execution_count = 1


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `zoomai ARGS` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------------- report backends

DASK = Path(sys.executable).with_name("dask")  # the `dask` command of this environment


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory) -> Iterator[str]:
    """An existing Dask cluster started as the README says: `dask scheduler` and `dask worker`
    (2 single-threaded worker processes, no dashboard) on 127.0.0.1; its address. Stopped
    (by the ids of the processes started here) when the session ends."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    common = ["--no-dashboard", "--scheduler-file", str(info)]
    # the bundled data unless a run says otherwise (each report task passes its $ZOOMAI_DATA)
    env = {k: v for k, v in os.environ.items() if k != "ZOOMAI_DATA"}
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=folder,
            env=env,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [DASK, "worker", *common, "--nworkers", "2", "--nthreads", "1", "--memory-limit", "0"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=folder,
                env=env,
            )
        )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(params=["pool", "dask"])
def backend(request) -> list[str]:
    """Extra `zoomai report` flags for each backend: none (the built-in process pool), or
    `--cluster` with the address of the session's Dask cluster (see dask_scheduler)."""
    if request.param == "pool":
        return []
    return ["--cluster", request.getfixturevalue("dask_scheduler")]


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


def tiny_tenant(tenant_id: str = "t1", region: str = "US", usage: list[tuple] | None = None):
    """The hand-worked tenant of tests/test_exposure.py: users u1 (client 6.0.0, summaries to
    all invitees) and u2 (client 5.14.0, user-level: summaries to internal invitees only);
    account: meeting summary, chat compose, call summary and Events smart compose on. `usage` rows are
    (activity_id, user, feature_id, internal, external, shared)."""
    from zoomai.tenants.tables import build

    t = tenant_id
    usage = usage or [
        (1, "u1", "meetings.meeting_summary", 3, 2, True),
        (2, "u2", "meetings.meeting_summary", 2, 1, False),
        (3, "u1", "team_chat.chat_compose", 2, 0, True),
        (4, "u1", "phone.call_summary", 1, 1, False),
    ]
    from zoomai.facts.matrix import load_feature_matrix

    products = load_feature_matrix().drop_duplicates("feature_id").set_index("feature_id")["product"]

    def setting(level, scope, key, value):
        return dict(tenant_id=t, level=level, scope_id=scope, key=key, value=value, locked=False)

    def user(uid, version):
        return dict(
            tenant_id=t,
            user_id=f"{t}.{uid}",
            email=None,
            group_id=f"{t}.g1",
            site_id=None,
            client_version=version,
            platform="desktop",
            role="member",
        )

    recipients = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"
    return build(
        tenants=[
            dict(
                tenant_id=t,
                name=f"Tiny {t}",
                hosting_region=region,
                vertical="test",
                zmo_enabled=False,
                zdr_enabled=False,
                customer_managed_key=False,
                source="simulated",
            )
        ],
        groups=[dict(tenant_id=t, group_id=f"{t}.g1", name="G1", phone_policy_active=False)],
        sites=[],
        users=[user("u1", "6.0.0"), user("u2", "5.14.0")],
        settings=[
            setting("account", t, "in_meeting.meeting_summary_with_ai_companion.enable", "true"),
            setting("account", t, recipients, "4"),
            setting("account", t, "chat.ai_compose.enable", "true"),
            setting("account", t, "phone.call_summary.enable", "true"),
            setting("account", t, "zoomai.events.smart_compose.enable", "true"),
            setting("user", f"{t}.u2", recipients, "3"),
        ],
        usage=[
            dict(
                tenant_id=t,
                activity_id=a,
                user_id=f"{t}.{u}",
                product=products[f],
                feature_id=f,
                time=pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(days=a),
                internal_participants=i,
                external_participants=e,
                output_shared=s,
                recorded=False,
                source="simulated",
            )
            for a, u, f, i, e, s in usage
        ],
    )


# ------------------------------------------------------------------------- bad-input tables


def tree_state(root: Path) -> dict[str, tuple]:
    """Every path under `root` (symlinks not followed) with its kind and content hash (files)
    or link target: equal states mean nothing on disk changed."""
    state: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                state[str(path.relative_to(root))] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[str(path.relative_to(root))] = ("file", digest, stat.S_IMODE(mode))
            else:
                state[str(path.relative_to(root))] = ("dir" if stat.S_ISDIR(mode) else "special",)
    return state


def bad_input_case(case, tmp_path: Path, monkeypatch) -> tuple:
    """A bad-input case's (args, exit code, expected fragments, ...): the case takes the test's
    tmp_path, and its monkeypatch when it names one."""
    needs = case.__code__.co_varnames[: case.__code__.co_argcount]
    return case(tmp_path, monkeypatch) if "monkeypatch" in needs else case(tmp_path)


def check_refused(root: Path, args: list, code: int, expected: list[str], writes: tuple[str, ...] = ()):
    """Run `zoomai ARGS`; assert the exit code, that stderr holds each `expected` fragment
    (file/line/field and what was expected), no traceback, and that nothing under `root`
    changed except the top-level entries named in `writes` (for warnings with exit 0)."""
    before = tree_state(root)
    got, out, err = run_cli(*args)
    assert "Traceback" not in err and "Traceback" not in out
    assert got == code, (got, err)
    for fragment in expected:
        assert fragment in err, (fragment, err)
    after = tree_state(root)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert {k for k in changed if k.split("/")[0] not in writes} == set(), sorted(changed)
    return err


# ------------------------------------------------------------------------- the browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_BROWSER = pytest.mark.skipif(
    os.environ.get("ZOOMAI_SKIP_BROWSER") == "1", reason="ZOOMAI_SKIP_BROWSER=1"
)


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.fail(
            "chromium is not installed: `apt-get install chromium` (Debian), as .ci/run does, "
            "or set ZOOMAI_SKIP_BROWSER=1 to skip the browser tests"
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
