"""diffkit on a Dask cluster (``pip install 'diffkit[distributed]'``; skipped without it): a LocalCluster of two
worker processes runs a study and a 2 000-expression cross-check with the local run's counted results, survives a
worker killed mid-study, reports a cell that keeps failing, and computes a 10⁷-point gradient as a Dask array
chunk by chunk in bounded memory.

The tests share one cluster (module scope) and one xdist group, so that it is started once.
"""

import copy
import functools
import importlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the distributed extra: pip install '.[distributed]'")
da = pytest.importorskip("dask.array", reason="the distributed extra: pip install '.[distributed]'")
dask = pytest.importorskip("dask")

from grammar import VARIABLES  # noqa: E402

import diffkit as dk  # noqa: E402 (after the skips)
from diffkit import studies  # noqa: E402

pytestmark = pytest.mark.xdist_group("dask-cluster")


@pytest.fixture(scope="module")
def client():
    dask.config.set({"distributed.worker.profile.enabled": False})  # as docs/scaling-out.md advises
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _reset_peak_memory() -> None:
    """Start a process's peak resident memory (Linux's VmHWM) afresh from what it holds now."""
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")


def _memory_bytes(field: str = "VmHWM") -> int:
    """The process's peak (VmHWM) or current (VmRSS) resident memory."""
    with open("/proc/self/status") as file:
        return next(int(line.split()[1]) * 1024 for line in file if line.startswith(field + ":"))


def _resident_bytes() -> int:
    return _memory_bytes("VmRSS")


def test_the_workers_run_this_checkout(client):
    files = client.run(lambda: __import__("diffkit").__file__)
    assert len(files) == 2 and set(files.values()) == {dk.__file__}


# --- Dask arrays ------------------------------------------------------------------------------------------------

CHUNK = 500_000
F = "sin(x)*y + exp(-x*x)"


# 10⁷ points in the default run; the 10⁸ (about 40 s on two workers) with the slow tests CI also runs
@pytest.mark.parametrize("points", [10**7, pytest.param(10**8, marks=pytest.mark.slow)], ids=["1e7", "1e8"])
def test_a_dask_array_gradient_is_lazy_and_the_numpy_path_chunk_by_chunk(client, points):
    x = da.random.default_rng(0).random(points, chunks=CHUNK)
    y = da.linspace(1.0, 2.0, points, chunks=CHUNK)
    result = dk.gradient(F, at={"x": x, "y": y})
    assert isinstance(result.gradient["x"], da.Array) and result.gradient["x"].chunks == x.chunks
    # Chunk 3 as a NumPy array through dk.gradient: the same bits.
    xb, yb = x.blocks[3].compute(), y.blocks[3].compute()
    numpy = dk.gradient(F, at={"x": xb, "y": yb})
    got = result.gradient["x"].blocks[3].compute(), result.gradient["y"].blocks[3].compute()
    assert np.array_equal(got[0], numpy.gradient["x"]) and np.array_equal(got[1], numpy.gradient["y"])
    assert np.array_equal(result.value.blocks[3].compute(), numpy.value)
    # The whole sum on the workers, each holding a chunk at a time; its points checked on a subsample.
    client.run(_reset_peak_memory)
    before = client.run(_resident_bytes)
    total = float(result.gradient["x"].sum().compute())
    peak = client.run(_memory_bytes)
    # A worker holds a chunk's evaluation at a time (measured: its peak grows by about 70 MiB); the NumPy path on
    # all points at once holds about a dozen arrays of them (measured: 1.1 GiB more).
    grown = {w: peak[w] - before[w] for w in peak}
    assert max(grown.values()) < 300 * 2**20 < points * 8 * 12, {w: f"{b / 2**20:.0f} MiB" for w, b in grown.items()}
    stride = 997
    xs, ys = x[::stride].compute(), y[::stride].compute()
    sample = dk.gradient(F, at={"x": xs, "y": ys}).gradient["x"]
    np.testing.assert_allclose(result.gradient["x"][::stride].compute(), sample, rtol=1e-15, atol=0)
    expected = np.cos(xs) * ys - 2 * xs * np.exp(-xs * xs)  # the derivative by hand, on the subsample
    np.testing.assert_allclose(sample, expected, rtol=1e-13)
    assert float(result.gradient["x"][::stride].sum().compute()) == pytest.approx(float(np.sum(sample)), rel=1e-13)
    # x ~ U(0, 1) and y spread evenly over [1, 2]: the mean of cos(x)·y - 2x·exp(-x²) is 1.5 sin 1 + 1/e - 1, and
    # the standard error of the mean of 10⁷ points is 2.5e-4 of it: 1e-3 is four standard errors (of 10⁸, twelve).
    assert total == pytest.approx(points * (1.5 * np.sin(1.0) + np.exp(-1.0) - 1.0), rel=1e-3)


def test_dask_arrays_need_an_elementwise_graph_and_one_shape():
    x = da.ones(10, chunks=5)
    with pytest.raises(dk.BindingError, match="elementwise"):
        dk.gradient(dk.trace(lambda x: dk.sum(x * x)), at={"x": x})
    with pytest.raises(dk.BindingError, match="one shape"):
        dk.gradient("x*y", at={"x": x, "y": da.ones(4, chunks=2)})
    with pytest.raises(dk.BindingError, match="NumPy array beside Dask arrays"):
        dk.gradient("x*y", at={"x": x, "y": np.ones(10)})
    with pytest.raises(dk.BindingError, match="no value given for variable"):  # checked before any chunk runs
        dk.gradient("x*z", at={"x": x})
    with pytest.raises(dk.BindingError, match="Dask arrays are taken by dk.gradient"):  # not read whole
        dk.hessian("x*x", at={"x": x})


# --- cross-checks -------------------------------------------------------------------------------------------------

# Cheap forms (a few primitives each: the symbolic method's SymPy work is most of an expression's cost), over the
# random-expression grammar's variables; each expression distinct by its coefficient.
FORMS = ("{c}*{0}*{1} + sin({2})", "{0}*{1} + {c}", "{c}*{0} + {1}*{2}", "sin({c}*{0}) + {1}", "exp({0}/{c})*{1}",
         "tanh({0}) + {c}*{1}", "{c}*{0}**2 + {2}", "cos({0})/{c} - {1}")


def corpus(count: int) -> list[str]:
    """``count`` distinct cheap expressions in a fixed order, a few of them at a kink (they disagree) or not valid."""
    found = []
    for i in range(count):
        names = [VARIABLES[(i + k) % len(VARIABLES)] for k in range(3)]
        found.append(FORMS[i % len(FORMS)].format(*names, c=i // len(FORMS) + 2))
    found[10:13] = ["relu(x - 0.5) + y", "log(x", "x*w"]
    return found


AT = {"x": 0.5, "y": -1.25, "z": 0.75}


def test_a_cross_check_on_the_cluster_is_the_local_one(client, tmp_path, monkeypatch):
    expressions = corpus(2000)
    assert len(expressions) == 2000
    out = tmp_path / "results.jsonl"
    # The local run in a thread meanwhile: this process is otherwise idle while the workers compute.
    with ThreadPoolExecutor(1) as pool:
        here = pool.submit(dk.crosscheck, expressions, at=AT)
        remote = dk.crosscheck(expressions, at=AT, client=client, out=out)
        local = here.result()
    assert remote.records == local.records and remote.lost == []
    assert remote.report() == local.report()
    assert remote.counts == {"agree": 1997, "disagree": 1, "failed": 0, "invalid": 2, "error": 0}
    assert [r["index"] for r in remote.records if r["outcome"] != "agree"] == [10, 11, 12]
    # Everything is on disk: run again, nothing is computed (here or there).
    module = importlib.import_module("diffkit.crosscheck")
    monkeypatch.setattr(module, "check_one", _never)
    monkeypatch.setattr(module, "check_batch", _never)
    again = dk.crosscheck(expressions, at=AT, client=client, out=out)
    assert again.records == local.records and again.lost == []


def _never(*args):
    raise AssertionError("a done expression was computed again")


# --- studies ------------------------------------------------------------------------------------------------------

def _without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.parametrize("family, options", [
    ("gradient_vs_inputs", dict(sizes=[4, 8, 16, 32])),
    ("depth", dict(sizes=[2, 4, 6, 8], symbolic_size=20)),  # symbolic cut off on the way: the rest skipped
])
def test_a_study_on_the_cluster_is_the_local_one(client, family, options, capsys):
    kw = dict(repeats=1, budget_seconds=None, **options)
    local = studies.run(family, progress=False, **kw)
    remote = studies.run(family, client=client, progress=True, **kw)
    assert _without_seconds(remote.rows) == _without_seconds(local.rows)
    assert remote.settings == local.settings and remote.failures() == []
    assert studies.report(remote) == studies.report(local) and remote.fit() == local.fit()
    cells = len(options["sizes"]) * 4
    assert f"{cells}/{cells}" in capsys.readouterr().err  # the progress bar saw every cell
    if family == "depth":
        assert "symbolic" in remote.cut_offs()


def _failing_build(log: str, size, variant, rng, **options):
    """gradient_vs_inputs, except at n = 8, which raises (and logs each attempt)."""
    if size == 8:
        with open(log, "a") as file:
            file.write("attempt\n")
        raise RuntimeError("this cell always fails")
    return studies.FAMILIES["gradient_vs_inputs"]._build(size, variant, rng, **options)


def test_a_cell_that_keeps_failing_is_retried_once_then_reported(client, tmp_path):
    family = copy.copy(studies.FAMILIES["gradient_vs_inputs"])
    family.name = "flaky"
    log = tmp_path / "attempts.txt"
    family._build = functools.partial(_failing_build, str(log))
    result = studies.run(family, sizes=[4, 8, 16], methods=["forward", "reverse"], repeats=1, budget_seconds=None,
                         progress=False, client=client)
    assert log.read_text() == "attempt\n" * 4  # two cells at n = 8, each run twice
    failed = result.failures()
    assert [(r["size"], r["method"]) for r in failed] == [(8, "forward"), (8, "reverse")]
    assert failed[0]["reason"] == "failed: RuntimeError: this cell always fails" and failed[0]["flops"] is None
    assert [r["size"] for r in result.rows if r not in failed] == [4, 4, 16, 16]  # the rest completed
    assert "failed on the cluster (after a retry):\n  forward at n = 8: RuntimeError" in studies.report(result)


def test_a_worker_killed_mid_study_loses_no_cell(client):
    """SIGKILL to one worker process while it runs a cell: its cells are rescheduled, every cell is in the study
    once, with the local run's figures."""
    kw = dict(sizes=[64, 128, 192, 256], methods=["numeric", "forward", "reverse"], repeats=1, budget_seconds=None,
              progress=False)
    pids = client.run(os.getpid)
    victim_address, victim = sorted(pids.items())[0]
    done: dict = {}
    study = threading.Thread(target=lambda: done.update(result=studies.run("gradient_vs_inputs", client=client,
                                                                            **kw)))
    study.start()
    deadline = time.monotonic() + 30
    while not client.processing().get(victim_address) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the victim holds a cell
    assert study.is_alive(), "the study finished before a worker could be killed"
    os.kill(victim, signal.SIGKILL)
    study.join(timeout=120)
    assert not study.is_alive()
    result = done["result"]
    cells = [(r["size"], r["method"]) for r in result.rows]
    assert sorted(cells) == sorted({(s, m) for s in kw["sizes"] for m in kw["methods"]})  # each once
    assert result.failures() == []
    local = studies.run("gradient_vs_inputs", **kw)
    assert _without_seconds(result.rows) == _without_seconds(local.rows)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert victim not in client.run(os.getpid).values()
