"""Per-article extraction on a Dask cluster: ``kg rebuild --workers N`` (a local cluster of N worker
processes on loopback) or ``--scheduler tcp://HOST:PORT`` (a cluster that is already running).

Extracting a batch of articles (NER model, rule mentions, document context, claims) is a pure function of
the articles and the resources, so it runs wherever the same resources are installed: the task the build
hands over (kg.pipeline.extract_on_worker) builds the worker's own pipeline once and keeps it. The batches are
the ones a single-process build makes and the results come back in submission order, so resolution, the
graph and the exports, which stay in the calling process, are byte-identical (tests/test_parallel.py).
A few batches are in flight at a time, so the articles are not all shipped at once.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from typing import Any, Callable, TypeVar

from kg.errors import ClusterError, KgError

Payload = TypeVar("Payload")
#: a batch of article views as the build makes them: each has ``.article``
Views = list[Any]
#: batches in flight per worker: enough to keep each busy while the caller takes the results in order
IN_FLIGHT_PER_WORKER = 2
#: seconds to wait for a scheduler, or for a local cluster's workers to start
CONNECT_TIMEOUT = 20

class Cluster:
    """A Dask client for one build; close it (or use ``with``) when the build is done."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ClusterError("--workers/--scheduler need Dask: pip install 'cngpu-kg[dask]' "
                               "(dask and distributed)") from None
        self._local = None
        try:
            if scheduler is not None:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            else:
                self._local = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self._local, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            self.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise ClusterError(f"cannot reach {where}: {' '.join(str(error).split())[:200]}") from None
        self.workers = max(1, len(self.client.nthreads()))

    def map_in_order(self, task: Callable[[list], list], work: Iterator[tuple[Payload, Views]]
                     ) -> Iterator[tuple[Payload, list]]:
        """For each (payload, article views) of ``work``: the payload and ``task`` of the views' articles,
        run on a worker (which makes the views again: they are cheap), in the order of ``work``."""
        window: deque = deque()
        limit = IN_FLIGHT_PER_WORKER * self.workers
        for payload, views in work:
            articles = [view.article for view in views]
            future = self.client.submit(task, articles, pure=False) if articles else None
            window.append((payload, future))
            if len(window) > limit:
                yield self._result(*window.popleft())
        while window:
            yield self._result(*window.popleft())

    @staticmethod
    def _result(payload, future) -> tuple:
        if future is None:
            return payload, []
        try:
            return payload, future.result()
        except KgError:
            raise   # the worker's own error (e.g. its resources are missing): as on one machine
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"lost the Dask cluster: {' '.join(str(error).split())[:200]}") from None
        except Exception as error:
            if type(error).__module__.startswith("distributed"):   # KilledWorker, CommClosedError…
                raise ClusterError(f"a Dask worker failed: {type(error).__name__}: "
                                   f"{' '.join(str(error).split())[:200]}") from None
            raise

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def map_locally(extract_views: Callable[[Views], list], work: Iterator[tuple[Payload, Views]]
                ) -> Iterator[tuple[Payload, list]]:
    """:meth:`Cluster.map_in_order` in this process, on the views themselves."""
    for payload, views in work:
        yield payload, extract_views(views) if views else []
