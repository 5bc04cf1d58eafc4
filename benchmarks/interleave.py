"""Timing shared by the benchmarks: every contender called once per round, in a new random order each round, and
the median of its rounds kept, so that a noisy moment of the machine hits all contenders alike."""

import random
import statistics
import time


def medians(calls: dict, repeats: int) -> dict:
    """Median seconds per call of each contender ({name: call}), interleaved in a new random order every round."""
    for call in calls.values():
        call()  # warm: compilation, caches, the first count of a cost
    times = {name: [] for name in calls}
    order = list(calls)
    rng = random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}
