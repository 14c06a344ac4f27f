"""Scale benchmark: pull a large tenant from the fake Zoom API with latency, against the ideal.

    .venv/bin/python benchmarks/pull_scale.py --users 10000 --latency-ms 50 --concurrency 4

Starts `python -m zoomai.fakezoom` (a separate process on 127.0.0.1, pages of 300 like Zoom),
pulls every endpoint with `zoomai.tenants.pull.pull_snapshot`, and prints the API requests
made, the seconds taken, the ideal (API requests x latency / concurrency: every connection
always waiting on the server, nothing else costing time) and their ratio (aim: at most 1.3).
As a peer measured in the same run against the same server, plain httpx GETs of as many user
settings on as many threads (no retries, no token renewal, nothing written) show how much of the
gap is the machine (scheduling, the server) rather than the pull.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

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


def peer_seconds(api_base: str, requests: int, concurrency: int) -> float:
    """Seconds for `requests` plain GETs of user settings on `concurrency` threads."""
    with httpx.Client(limits=httpx.Limits(max_connections=concurrency + 1)) as http:
        token = http.post(
            api_base.removesuffix("/v2") + "/oauth/token",
            params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
            auth=(CLIENT_ID, CLIENT_SECRET),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def one(i: int) -> None:
            http.get(f"{api_base}/users/u{i % 1000 + 1:05d}/settings", headers=headers).raise_for_status()

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(requests)))
        return time.perf_counter() - start


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
        api_requests = sum(e["requests"] for e in result.manifest["endpoints"])
        peer = peer_seconds(options.api_base, api_requests, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    ideal = api_requests * args.latency_ms / 1000 / args.concurrency
    print(f"users: {args.users}, latency: {args.latency_ms:g} ms, concurrency: {args.concurrency}")
    print(f"API requests: {api_requests} (with token: {result.requests}; retried: {result.retried})")
    print(f"pull: {seconds:.1f} s; ideal (requests x latency / concurrency): {ideal:.1f} s")
    print(f"ratio to ideal: {seconds / ideal:.2f} (aim: at most 1.3)")
    print(f"peer (plain httpx GETs, as many, same threads): {peer:.1f} s; pull/peer: {seconds / peer:.2f}")
    print(f"peer ratio to ideal: {peer / ideal:.2f} (what this machine allows now)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
