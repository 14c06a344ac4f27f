"""Scale benchmark: pull a large tenant from the fake Zoom API with latency, against the ideal.

    .venv/bin/python benchmarks/pull_scale.py --users 10000 --latency-ms 50 --concurrency 4

Starts `python -m zoomai.fakezoom` (a separate process on 127.0.0.1, pages of 300 like Zoom),
pulls every endpoint with `zoomai.tenants.pull.pull_snapshot`, and prints the API requests
made, the seconds taken, the ideal (API requests x latency / concurrency: every connection
always waiting on the server, nothing else costing time) and their ratio (aim: at most 1.3).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zoomai.fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET
from zoomai.tenants.pull import PullOptions, pull_snapshot
from zoomai.tenants.zoomapi import Credentials


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, server: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"fake server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("fake server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "zoomai.fakezoom", "--port", str(port), "--users", str(args.users)]
        + ["--page-size", "300", "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.DEVNULL,
    )
    tmp = Path(tempfile.mkdtemp(prefix="zoomai-pull-"))
    try:
        wait_until_listening(port, server)
        options = PullOptions(f"http://127.0.0.1:{port}/v2", concurrency=args.concurrency)
        start = time.perf_counter()
        result = pull_snapshot(Credentials(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET), tmp, options)
        seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    api_requests = sum(e["requests"] for e in result.manifest["endpoints"])
    ideal = api_requests * args.latency_ms / 1000 / args.concurrency
    print(f"users: {args.users}, latency: {args.latency_ms:g} ms, concurrency: {args.concurrency}")
    print(f"API requests: {api_requests} (with token: {result.requests}; retried: {result.retried})")
    print(f"pull: {seconds:.1f} s; ideal (requests x latency / concurrency): {ideal:.1f} s")
    print(f"ratio to ideal: {seconds / ideal:.2f} (aim: at most 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
