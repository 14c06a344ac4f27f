"""Where parallel work runs: worker processes of this machine (the built-in pool), or a Dask
distributed cluster, either an embedded LocalCluster (`local`) or an existing scheduler given
by its address (`tcp://HOST:PORT`).

Every backend is used through the same `concurrent.futures.Executor` (`submit`, `map`,
`as_completed`), so callers (the report runner, the portfolio exposure) have one code path.
Dask's own `Client.get_executor()` provides that executor; a cluster's workers must import
the same zoomai and see the same files (data, notebooks, reports) at the same paths.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from zoomai.core.errors import ZoomaiError
from zoomai.core.processes import die_with_parent

LOCAL = "local"
CONNECT_TIMEOUT = 10  # seconds to wait for an existing scheduler to answer
# tcp://HOST:PORT: a host name, an IPv4 address or a bracketed IPv6 address, and a port
_ADDRESS = re.compile(
    r"^tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(?P<port>\d{1,5})$"
)
CLUSTER_HELP = "local (a Dask LocalCluster on this machine) or tcp://HOST:PORT (an existing Dask scheduler)"


def default_workers() -> int:
    """Parallel tasks when nobody says: min(4, CPUs)."""
    return max(1, min(4, os.cpu_count() or 1))


def check_cluster(value: str) -> str:
    """`value` if it is `local` or `tcp://HOST:PORT` with a port from 1 to 65535; else
    ZoomaiError naming the option and what is expected."""
    match = _ADDRESS.match(value)
    if value == LOCAL or (match and 1 <= int(match["port"]) <= 65535):
        return value
    raise ZoomaiError(
        f"--cluster {value!r}: expected {CLUSTER_HELP}, e.g. --cluster local or --cluster tcp://10.0.0.5:8786"
    )


@dataclass
class Workers:
    """An open backend: the executor to submit to and how many tasks run at once."""

    executor: Executor
    count: int
    cluster: str | None  # None: the built-in pool


def _pool_context():
    """fork where there is one: the workers inherit what the parent warmed up."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


@contextlib.contextmanager
def open_workers(
    cluster: str | None,
    workers: int,
    warm_up: Callable[[], None] | None = None,
    teardown: Callable[[], None] | None = None,
) -> Iterator[Workers]:
    """The backend for the block: `cluster` None gives a process pool of `workers` processes
    that die with this process (`warm_up` runs first, so forked workers inherit it); `local`
    a Dask LocalCluster of `workers` single-threaded worker processes on 127.0.0.1 without
    dashboard, forked like the pool's where the system can fork; `tcp://HOST:PORT` a client
    of that scheduler (its workers decide the parallelism). `teardown` runs in every Dask
    worker when the block ends (e.g. to stop the kernels it started). Nothing of the cluster
    stays behind after the block; an unreachable scheduler is a ZoomaiError naming it, before
    anything else happens."""
    context = _pool_context()
    if cluster is not None:
        check_cluster(cluster)
    if warm_up is not None and cluster in (None, LOCAL) and context.get_start_method() == "fork":
        warm_up()
    if cluster is None:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            yield Workers(pool, workers, None)
        return
    with _dask_client(cluster, workers) as client:
        try:
            count = workers if cluster == LOCAL else _worker_threads(client, cluster)
            # pure=False: a task writes files; never merged with an equal-looking one
            yield Workers(client.get_executor(pure=False), count, cluster)
        finally:
            if teardown is not None:
                with contextlib.suppress(Exception):  # a worker that died has nothing to stop
                    client.run(teardown)


@contextlib.contextmanager
def _dask_client(cluster: str, workers: int):
    import dask
    from distributed import Client, LocalCluster

    if cluster == LOCAL:
        method = _pool_context().get_start_method()  # fork: workers inherit the warmed-up parent
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": method}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
                worker_dashboard_address=None,
                memory_limit=0,  # notebooks run in kernels, outside the worker's memory
                silence_logs=logging.ERROR,
            ) as local,
            Client(local) as client,
        ):
            yield client
        return
    try:
        client = Client(cluster, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ZoomaiError(
            f"--cluster {cluster}: no Dask scheduler answered within {CONNECT_TIMEOUT} s "
            f"({type(exc).__name__}); start one with `dask scheduler` and workers with "
            f"`dask worker {cluster}`"
        ) from None
    with client:
        yield client


def _worker_threads(client, cluster: str) -> int:
    """Tasks the cluster runs at once (threads over all workers); ZoomaiError if it has no workers."""
    threads = sum(client.nthreads().values())
    if not threads:
        raise ZoomaiError(
            f"--cluster {cluster}: the scheduler has no workers; start some with `dask worker {cluster}`"
        )
    return threads
