"""Batches of points as Dask arrays: ``dk.gradient(f, at={"x": dask_array})`` gives a lazy gradient.

An elementwise graph's gradient at a batch of points is the gradient at each point, so a Dask array's chunks are
independent requests: ``map_blocks`` runs the NumPy path (the compiled plan, the method chosen) on each chunk,
and the result is a Dask array of the same chunks — nothing is computed until asked, memory is bounded by the
chunk size, and every chunk's numbers are those of ``dk.gradient`` on that chunk as a NumPy array, bit for bit.
Dask is imported here only when such an array is met.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

import numpy as np

from .convert import as_graph
from .cost import Cost
from .errors import BindingError, MethodError
from .result import Result


def is_dask_array(value) -> bool:
    """A Dask array (told without importing dask: it is imported only once one is met; until dask is imported
    there is none, and every dk.gradient call asks)."""
    if "dask" not in sys.modules:
        return False
    return type(value).__module__.split(".")[0] == "dask" and hasattr(value, "__dask_graph__") and \
        hasattr(value, "chunks")


def has_dask_arrays(at) -> bool:
    return isinstance(at, Mapping) and any(is_dask_array(v) for v in at.values())


def gradient(expr, at: Mapping, method: str, wrt, options: dict, numpy_gradient: Callable) -> Result:
    """The gradient at a batch of points given as Dask arrays: a Result whose value and derivatives are lazy
    Dask arrays, each chunk computed by ``numpy_gradient`` (``dk.gradient``) on that chunk."""
    import dask.array as da

    graph = as_graph(expr)
    if graph.is_tensor:
        raise BindingError("Dask arrays are batches of points, which need an elementwise expression; this graph "
                           "has tensor primitives (matmul, sum, ...): give its tensors as NumPy arrays")
    if options.get("error_estimate"):
        raise MethodError("error_estimate=True is not returned for Dask arrays: ask dk.gradient for it on a "
                          "chunk as a NumPy array")
    lazy = {name: value for name, value in at.items() if is_dask_array(value)}
    fixed = {name: value for name, value in at.items() if not is_dask_array(value)}
    arrays = _aligned(lazy)
    for name, value in fixed.items():
        if np.ndim(value) != 0:
            raise BindingError(f"{name} is a NumPy array beside Dask arrays: give every batch variable as a Dask "
                               "array (da.from_array(value, chunks=...)), or a number")
    # The request checked once, on zero points (variables, wrt, options, method), before any chunk is computed.
    probe = numpy_gradient(graph, {**{n: np.zeros((0,) * a.ndim) for n, a in arrays.items()}, **fixed},
                           method=method, wrt=wrt, **options)
    variables = probe.variables
    first = next(iter(arrays.values()))
    stacked = da.map_blocks(_chunk, *arrays.values(), names=tuple(arrays), fixed=fixed, graph=graph,
                            method=method, wrt=variables, options=options, numpy_gradient=numpy_gradient,
                            new_axis=0, chunks=((1 + len(variables),), *first.chunks), dtype=np.float64,
                            meta=np.empty((0,) * (first.ndim + 1), dtype=np.float64))
    derivative = {name: stacked[1 + i] for i, name in enumerate(variables)}
    cost = Cost(method, details={"chunks": first.npartitions, "points": int(first.size),
                                 "counted": "per chunk, when computed: dk.gradient on one chunk as a NumPy "
                                            "array gives its figures"})
    return Result(method=method, kind="gradient", value=stacked[0], derivative=derivative, cost=cost,
                  variables=variables, outputs=graph.output_names)


def _aligned(lazy: dict) -> dict:
    """The Dask arrays with one shape and one chunking (the first array's), each chunk a batch of points."""
    first_name, first = next(iter(lazy.items()))
    if first.ndim == 0:
        raise BindingError(f"{first_name} is a 0-d Dask array: a batch needs at least one axis of points")
    aligned = {}
    for name, array in lazy.items():
        if array.shape != first.shape:
            raise BindingError(f"the Dask arrays must have one shape: {first_name} has {first.shape}, {name} has "
                               f"{array.shape}")
        aligned[name] = array if array.chunks == first.chunks else array.rechunk(first.chunks)
    return aligned


def _chunk(*blocks, names, fixed, graph, method, wrt, options, numpy_gradient) -> np.ndarray:
    """One chunk through the NumPy path: its value and each derivative, stacked along a new first axis."""
    result = numpy_gradient(graph, {**dict(zip(names, blocks, strict=True)), **fixed}, method=method, wrt=wrt,
                            **options)
    shape = np.shape(blocks[0])
    return np.stack([np.broadcast_to(result.value, shape),
                     *(np.broadcast_to(result.gradient[v], shape) for v in wrt)])
