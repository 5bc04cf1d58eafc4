"""A test helper: turn a hang into a failure. ``with guard("what", seconds): ...`` raises ``Hang`` naming what
did not finish, via SIGALRM (the main thread, POSIX), and restores the previous handler afterwards."""

from __future__ import annotations

import signal
from contextlib import contextmanager


class Hang(Exception):
    """A guarded call ran past its time."""


@contextmanager
def guard(what: str, seconds: int):
    def ring(signum, frame):
        raise Hang(f"{what} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
