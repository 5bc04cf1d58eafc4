"""Independent tasks on a Dask cluster (``distributed.Client``), gathered as they finish.

diffkit's heavy jobs — a study's cells, a cross-check's expressions — are independent calls of one function, so
Dask's scheduler runs them; this module only submits, gathers and turns a task that failed into a reason. Dask
is imported here, inside the functions that take a client: without it diffkit works as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .errors import BindingError

# Each task is retried once when it raises (distributed's ``retries=``). A task whose worker dies is rescheduled
# by the scheduler itself (its ``allowed-failures``) and does not use this retry.
RETRIES = 1


@dataclass
class Outcome:
    """One finished task: its key (what the caller submitted it as), its value, or why it failed."""

    key: object
    value: object = None
    failure: str | None = None


def checked_client(client):
    """``client`` as given, after checking that it is a ``distributed.Client`` (a clear error otherwise)."""
    try:
        from distributed import Client
    except ImportError:
        raise BindingError("client= needs dask's distributed scheduler: pip install 'diffkit[distributed]'") from None
    if not isinstance(client, Client):
        raise BindingError(f"client must be a distributed.Client (e.g. Client(LocalCluster())) or None to run "
                           f"here, got a {type(client).__name__}")
    if client.status not in ("running", "connecting"):
        raise BindingError(f"the Dask client is {client.status}, not running: connect it again")
    return client


def workers(client) -> int:
    """How many workers the client's cluster has now (at least 1, for sizing batches)."""
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))


class TaskRun:
    """Tasks submitted to ``client``: iterate to get each ``Outcome`` as it finishes; ``cancel(key)`` drops a
    task not yet finished (a study skipping the sizes past a cut-off). Higher ``priorities`` start first."""

    def __init__(self, client, function: Callable, keys: Sequence, arguments: Sequence[tuple],
                 priorities: Sequence[int] | None = None):
        from distributed import as_completed

        keys = list(keys)
        priorities = [0] * len(keys) if priorities is None else priorities
        self._futures = [client.submit(function, *args, pure=False, retries=RETRIES, priority=priority)
                         for args, priority in zip(arguments, priorities, strict=True)]
        self._key_of = {future.key: key for future, key in zip(self._futures, keys, strict=True)}
        self._by_key = dict(zip(keys, self._futures, strict=True))
        self._completed = as_completed(self._futures)

    def __iter__(self) -> Iterator[Outcome]:
        for future in self._completed:
            key = self._key_of[future.key]
            if future.status == "cancelled":
                continue
            if future.status == "finished":
                yield Outcome(key, future.result())
            else:
                yield Outcome(key, failure=reason(future.exception()))
            future.release()  # the value is the caller's now: let the cluster forget it

    def cancel(self, key) -> None:
        future = self._by_key[key]
        if not future.done():
            future.cancel()

    def cancel_all(self) -> None:
        """Drop every task not yet finished (an interrupted run)."""
        for future in self._futures:
            if not future.done():
                future.cancel()


def reason(exc: BaseException) -> str:
    """A failed task's reason on one line: the exception's type and message (a dead worker says so)."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if name == "KilledWorker":
        text = f"its worker died while running it, again after a retry ({text})"
    return f"{name}: {text}" if text else name
