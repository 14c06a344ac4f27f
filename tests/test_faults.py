"""Faults of `zoomai report`: SIGKILL of the report process, stale partial folders, two runs with
the same run id, `latest` that zoomai does not own. Uses the fast fixture notebooks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from zoomai.core.processes import FileLock

FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
SLEEPS = "jobs:\n  - name: slow\n    notebooks: [sleeps]\n    parameters: {seconds: 60}\n"
QUICK = "jobs:\n  - name: quick\n    notebooks: [no_tenant]\n"


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment holds `marker` (workers and kernels inherit it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone, or not ours to read
            continue
        if marker.encode() in environ and state != "Z":
            pids.append(int(entry.name))
    return pids


def _start_report(tmp_path: Path, schedule: str, run_id: str, marker: str, *extra: str) -> subprocess.Popen:
    (tmp_path / "schedule.yaml").write_text(schedule)
    env = {**os.environ, "ZOOMAI_FAULT_TEST": marker}
    args = [
        "--schedule",
        tmp_path / "schedule.yaml",
        "--notebooks-dir",
        FIXTURES,
        "--out",
        tmp_path / "reports",
    ]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoomai",
            "report",
            *map(str, args),
            "--run-id",
            run_id,
            "--workers",
            "2",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.parametrize("extra", [[], ["--cluster", "local"]], ids=["pool", "local-cluster"])
def test_sigkill_leaves_no_process_and_the_next_run_cleans_up(tmp_path, extra):
    """Also with an embedded LocalCluster: its worker processes (and their kernels) end when
    the report process is killed."""
    marker = f"zoomai-fault-{uuid.uuid4().hex}"
    proc = _start_report(tmp_path, SLEEPS, "killed", marker, *extra)
    partial = tmp_path / "reports" / ".killed.partial"
    try:
        # the kernels run (the notebook sleeps): report process + 1 worker + 1 kernel at least
        assert _wait_for(lambda: len(_processes_with(marker)) >= 3 and partial.is_dir(), 60), (
            proc.stderr.read1().decode() if proc.poll() is not None else "no workers and kernels seen"
        )
        time.sleep(2)  # let the kernel start the notebook
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert _wait_for(lambda: not _processes_with(marker), 10), _processes_with(marker)
    finally:
        for pid in _processes_with(marker):  # only if the test failed: do not leak them
            os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
        proc.stderr.close()
    assert partial.is_dir()  # the killed run could not clean up
    assert not FileLock(tmp_path / "reports" / ".killed.lock").held_elsewhere()

    # the next run (another id) removes the stale partial folder and its lock file
    (tmp_path / "schedule.yaml").write_text(QUICK)
    code, _, err = run_cli(
        "report", "--schedule", tmp_path / "schedule.yaml", "--notebooks-dir", FIXTURES,
        "--out", tmp_path / "reports", "--run-id", "next",
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["latest", "next"]


def test_a_live_runs_partial_folder_is_kept_and_its_id_refused(tmp_path):
    """While a run holds its id, a second run with the same id exits 2 at once, and a run with
    another id leaves the first run's partial folder alone."""
    marker = f"zoomai-fault-{uuid.uuid4().hex}"
    proc = _start_report(tmp_path, SLEEPS, "busy", marker)
    reports = tmp_path / "reports"
    try:
        assert _wait_for(lambda: (reports / ".busy.partial").is_dir(), 60)
        (tmp_path / "quick.yaml").write_text(QUICK)
        clock = time.monotonic()
        code, _, err = run_cli(
            "report", "--schedule", tmp_path / "quick.yaml", "--notebooks-dir", FIXTURES,
            "--out", reports, "--run-id", "busy",
        )  # fmt: skip
        assert time.monotonic() - clock < 5  # at once: before any kernel starts
        assert code == 2
        assert (
            err == "zoomai: error: --run-id 'busy': another zoomai report is running with this id; "
            "choose another\n"
        )
        code, _, err = run_cli(
            "report", "--schedule", tmp_path / "quick.yaml", "--notebooks-dir", FIXTURES,
            "--out", reports, "--run-id", "other",
        )  # fmt: skip
        assert code == 0, err
        assert (reports / ".busy.partial").is_dir()  # the live run's folder survived
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        for pid in _processes_with(marker):
            os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
        proc.stderr.close()


def test_latest_is_only_replaced_when_zoomai_made_it(tmp_path):
    reports = tmp_path / "reports"
    (reports / "latest").mkdir(parents=True)  # a user's folder named latest
    (reports / "latest" / "notes.txt").write_text("mine\n")
    (tmp_path / "quick.yaml").write_text(QUICK)
    args = ["report", "--schedule", tmp_path / "quick.yaml", "--notebooks-dir", FIXTURES, "--out", reports]
    code, _, err = run_cli(*args, "--run-id", "r1")
    assert code == 0, err
    assert "zoomai: warning: " in err and "latest is not a symlink zoomai made; left as it is" in err
    assert (reports / "latest" / "notes.txt").read_text() == "mine\n"
    (reports / "latest" / "notes.txt").unlink()
    (reports / "latest").rmdir()
    assert run_cli(*args, "--run-id", "r2")[0] == 0
    assert run_cli(*args, "--run-id", "r3")[0] == 0
    assert os.readlink(reports / "latest") == "r3"  # a link zoomai made is moved on
    code, _, err = run_cli(*args, "--run-id", "latest")
    assert code == 2 and "--run-id 'latest': reserved for the reports folder itself" in err
    assert os.readlink(reports / "latest") == "r3"


def test_a_killed_runs_leftovers_with_the_same_id_are_removed(tmp_path):
    """What a killed run leaves (its partial folder and lock file, no live holder) does not block
    the next run with the same id; an orphan lock file of another id goes too."""
    reports = tmp_path / "reports"
    (reports / ".r1.partial" / "_all").mkdir(parents=True)
    (reports / ".r1.partial" / "_all" / "no_tenant.json").write_text("{}")
    (reports / ".r1.lock").write_text("12345\n")
    (reports / ".r2.lock").write_text("12346\n")
    (tmp_path / "quick.yaml").write_text(QUICK)
    code, _, err = run_cli(
        "report", "--schedule", tmp_path / "quick.yaml", "--notebooks-dir", FIXTURES,
        "--out", reports, "--run-id", "r1",
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "r1"]
    assert sorted(p.name for p in (reports / "r1").rglob("*.json")) == ["no_tenant.json", "summary.json"]
