"""Numeric evaluation: one engine with the code exporter.

`evaluate(t, values)` compiles `t` once per (structure, shapes, dtypes, array library,
result axes) into the plan `tg.to_code` writes (tensorgrad.plan), caches the compiled
function on the node, and runs it. So evaluate and exported code share one semantics:
integers and booleans become floating point, copy tensors are never materialised
(shared einsum indices, views, diagonal writes), every distinct sub-expression is
computed once per call (even under other edge names or in several outputs), and the
result never shares memory with an input.

Values may be NumPy, torch, JAX, CuPy or Dask arrays (all from one library); the
result is of the same library, on the same device. Dask results stay lazy unless
`compute=True`.

>>> import numpy as np, tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> tg.evaluate(A @ x, {A: np.eye(2), x: np.array([1.0, 2.0])})
array([1., 2.])
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .arrays import library_of
from .expr import Tensor, Variable
from .plan import build, dims_of, function_source, variables_of
from .symmetric import check_value
from .deep import deep

__all__ = ["evaluate", "plan_report", "bind_dims", "variables_of", "dims_of"]

_PLANS_PER_NODE = 32  # compiled plans kept per expression (shapes, dtypes, libraries)


def bind_dims(t: Tensor, values: Mapping, dims: Mapping | None = None) -> tuple[dict, dict]:
    """Arrays by variable name and sizes by dimension symbol, checked.

    Raises ValueError naming the variable, edge and sizes for a missing value, a
    wrong number of axes or a dimension bound to two sizes."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a mapping from Variable (or name) to array, got {type(values).__name__}")
    by_name = {}
    for k, v in values.items():
        name = k.name if isinstance(k, Variable) else k
        if not isinstance(name, str):
            raise TypeError(f"values keys must be Variables or names, got {k!r}")
        by_name[name] = v
    sizes: dict = {}
    origin: dict = {}
    for sym, n in (dims or {}).items():
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"dims[{sym!r}] must be a non-negative integer, got {n!r}")
        sizes[sym], origin[sym] = int(n), "dims"
    arrays, seen = {}, {}
    used = variables_of(t)
    # variables given as keys also fix their dimensions, even where t no longer uses them
    ids = {v.identity for v in used}
    given = [k for k in values if isinstance(k, Variable) and k.identity not in ids]
    for var in used + given:
        if var.name in seen and seen[var.name] != var.identity:
            raise ValueError(f"two different variables are both named {var.name!r}: edges {seen[var.name][1]} and {var.original}")
        seen[var.name] = var.identity
        if var.name not in by_name:
            raise ValueError(f"no value given for variable {var.name!r} (edges {var.original})")
        arr = by_name[var.name]
        if not hasattr(arr, "shape") or isinstance(arr, np.ndarray):
            arr = np.asarray(arr)
            if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
                raise TypeError(f"value of variable {var.name!r} must be a numeric array, got dtype {arr.dtype}")
        shape = tuple(arr.shape)
        if len(shape) != len(var.original):
            raise ValueError(f"variable {var.name!r} has {len(var.original)} edges {var.original} but its value has "
                             f"{len(shape)} axes (shape {shape})")
        for edge, sym, n in zip(var.original, var.dim_symbols, shape):
            if sym in sizes and sizes[sym] != n:
                raise ValueError(f"dimension {sym!r} bound to two sizes: {sizes[sym]} ({origin[sym]}) and {n} "
                                 f"(edge {edge!r} of variable {var.name!r})")
            sizes[sym], origin[sym] = n, f"edge {edge!r} of variable {var.name!r}"
        check_value(var, arr)
        arrays[var.name] = arr
    return arrays, sizes


@deep
def evaluate(t: Tensor, values: Mapping, edges=None, dims: Mapping | None = None, compute: bool = False):
    """Evaluate `t` numerically; axes follow `edges` (default `t.edges`).

    Returns an array of the library the values come from (a NumPy array for NumPy
    values or none; a 0-d array for a scalar). `compute=True` computes a Dask result.
    `t` may be a dict {name: expression}: one plan computes every output, each
    sub-expression they share once, and a dict of arrays is returned."""
    if isinstance(t, Mapping) and edges is None:
        return _evaluate_many(t, values, dims, compute)
    if not isinstance(t, Tensor):
        raise TypeError(f"evaluate expects a tensorgrad expression, got {type(t).__name__}")
    edges = t.edges if edges is None else tuple(edges)
    if edges != t.edges and sorted(edges) != sorted(t.edges):
        raise ValueError(f"edges {edges} must be a permutation of the free edges {t.edges}")
    arrays, sizes = bind_dims(t, values, dims)
    missing = sorted(dims_of(t) - set(sizes))
    if missing:
        raise ValueError(f"the size of dimension {missing[0]!r} is not fixed by any variable; pass dims={{{missing[0]!r}: ...}}")
    names = t._cache.get("variable_names")
    if names is None:
        names = t._cache["variable_names"] = tuple(sorted({v.name for v in variables_of(t)}))
    args = [arrays[n] for n in names]
    # every value counts, also those t does not use (2I from a Dask input stays Dask)
    library = library_of(values)
    key = (library, edges, tuple(sorted((d, sizes[d]) for d in dims_of(t))),
           tuple(getattr(a, "dtype", None) for a in args))
    plans = t._cache.get("plans")
    if plans is None:
        plans = t._cache["plans"] = {}
    plan = plans.get(key)
    if plan is None:
        if len(plans) >= _PLANS_PER_NODE:
            plans.clear()
        plan = plans[key] = _compile(t, edges, library, sizes)
    fn, kw = plan
    out = fn(*args, **kw)
    if compute and library == "dask":
        out = out.compute()
    return out


_MANY: dict = {}  # compiled plans of dicts of outputs


def _evaluate_many(ts: Mapping, values: Mapping, dims, compute: bool) -> dict:
    """Every output of the dict `ts` from one plan (shared sub-expressions once)."""
    for k, t in ts.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"evaluate expects tensorgrad expressions, got {type(t).__name__} for output {k!r}")
    arrays, sizes = {}, {}
    for t in ts.values():
        a, s = bind_dims(t, values, dims)
        arrays.update(a)
        sizes.update(s)
    used = frozenset().union(*(dims_of(t) for t in ts.values()))
    missing = sorted(used - set(sizes))
    if missing:
        raise ValueError(f"the size of dimension {missing[0]!r} is not fixed by any variable; pass dims={{{missing[0]!r}: ...}}")
    library = library_of(values)
    key = (tuple(ts.items()), library, tuple(sorted((d, sizes[d]) for d in used)),
           tuple((n, getattr(a, "dtype", None)) for n, a in sorted(arrays.items())))
    plan = _MANY.get(key)
    if plan is None:
        if len(_MANY) >= 64:
            _MANY.clear()
        sizes_t = {d: max(int(sizes[d]), 1) for d in used}
        src = function_source({k: (t, t.edges) for k, t in ts.items()}, library, "f", sizes_t, checks=False,
                              comments=False)
        plan = _MANY[key] = (build(src.text), src.args, {kw: sizes[d] for kw, d in zip(src.kwnames, src.kwonly)})
    fn, names, kw = plan
    out = fn(*[arrays[n] for n in names], **kw) if ts else {}
    if compute and library == "dask":
        out = {k: v.compute() for k, v in out.items()}
    return dict(out)


def _compile(t: Tensor, edges: tuple, library: str, sizes: dict):
    """(function, keyword arguments for dimensions no variable fixes)."""
    sizes_t = {d: max(int(sizes[d]), 1) for d in dims_of(t)}
    src = function_source({None: (t, edges)}, library, "f", sizes_t, checks=False, comments=False)
    return build(src.text), {kw: sizes[d] for kw, d in zip(src.kwnames, src.kwonly)}


def plan_report(t: Tensor, values: Mapping, dims: Mapping | None = None) -> dict:
    """What evaluate runs for t on these (NumPy) values: the plan's source, its number of
    contractions and of arrays it assigns, the time to compile it, and the peak memory
    (tracemalloc) of one call beyond the inputs.

    >>> import numpy as np, tensorgrad as tg
    >>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
    >>> r = plan_report(A @ x, {A: np.eye(3), x: np.ones(3)})
    >>> r["contractions"], r["temporaries"]
    (1, 1)
    """
    import re
    import time
    import tracemalloc
    arrays, sizes = bind_dims(t, values, dims)
    start = time.perf_counter()
    sizes_t = {d: max(int(sizes[d]), 1) for d in dims_of(t)}
    src = function_source({None: (t, t.edges)}, "numpy", "f", sizes_t, checks=False, comments=False)
    fn = build(src.text)
    compile_s = time.perf_counter() - start
    body = [line.strip() for line in src.text.splitlines() if line.startswith("    ")]
    body = [line for line in body if not re.match(r"\w+ = np\.asarray\(\w+, dtype", line)]
    contractions = sum(len(re.findall(r" @ |tensordot\(|einsum\('[^']*,", line)) for line in body)
    temporaries = sum(1 for line in body if re.match(r"\w+ = ", line) and not re.match(r"\w+ = \w+\.shape\[", line))
    args = [arrays[n] for n in src.args]
    kw = {k: sizes[d] for k, d in zip(src.kwnames, src.kwonly)}
    tracemalloc.start()
    try:
        fn(*args, **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"source": src.text, "contractions": contractions, "temporaries": temporaries,
            "compile_s": compile_s, "peak_bytes": peak}
