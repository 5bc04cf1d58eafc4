"""The programs of benchmarks/tasks/ (least squares, log-sum-exp, a Gaussian mixture, an LSTM step, self-attention,
an MLP), each written once in NumPy's API: at a small size every one traces without a workaround, its graph's
value is NumPy's, and its reverse-mode gradient agrees with the forward and numeric methods and, where torch is
installed, with the same program written for PyTorch."""

import importlib.util
import pathlib

import numpy as np
import pytest

import diffkit as dk

TASKS_DIR = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "tasks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, TASKS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


programs = _module("programs")
TASKS = programs.TASKS


def traced(program, params, data):
    names = list(params)
    return dk.trace(lambda *values: program(np, **dict(zip(names, values, strict=True)), **data), names,
                    shapes={name: value.shape for name, value in params.items()})


@pytest.mark.parametrize("name, program, make", TASKS, ids=[t[0].split(" (")[0] for t in TASKS])
def test_every_task_traces_and_its_methods_agree(name, program, make):
    params, data = make(np.random.default_rng(1), "small")
    graph = traced(program, params, data)
    assert float(graph.evaluate(params)) == pytest.approx(float(program(np, **params, **data)), rel=1e-12)
    reverse = dk.gradient(graph, at=params, method="reverse").gradient
    forward = dk.gradient(graph, at=params, method="forward", batch=True).gradient
    numeric = dk.gradient(graph, at=params, method="numeric").gradient
    for key in params:
        assert reverse[key].shape == params[key].shape
        assert dk.discrepancy(forward[key], reverse[key]) <= 1e-12, key
        assert dk.discrepancy(numeric[key], reverse[key]) <= 1e-6, key


@pytest.mark.parametrize("name, program, make", TASKS, ids=[t[0].split(" (")[0] for t in TASKS])
def test_torch_computes_the_same_gradient(name, program, make):
    torch = pytest.importorskip("torch")
    torch_programs = _module("torch_programs")
    params, data = make(np.random.default_rng(2), "small")
    reverse = dk.gradient(traced(program, params, data), at=params, method="reverse").gradient
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = torch_programs.PROGRAMS[program.__name__](**tparams, **{k: torch.tensor(v) for k, v in data.items()})
    grads = torch.autograd.grad(loss, list(tparams.values()))
    for key, grad in zip(params, grads, strict=True):
        assert dk.discrepancy(reverse[key], grad.numpy()) <= 1e-12, key
