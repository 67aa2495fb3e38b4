"""Public constructors built from the core nodes: delta, ones, zeros, sum, trace, norm.

>>> import tensorgrad as tg
>>> X = tg.Variable("X", i="n", j="n")
>>> tg.trace(X).edges
()
"""

from __future__ import annotations

from .expr import Delta, Product, Tensor, Zero
from .functions import SQUARE_HINT, sqrt


def _check_tensor(t, what: str):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} expects a tensorgrad expression, got {type(t).__name__}")


def delta(dim: str, *edges: str) -> Delta:
    """Identity (2 edges), ones vector (1 edge) or copy tensor (3+ edges); all edges of dimension `dim`."""
    return Delta(dim, *edges)


def ones(**edge_dims: str) -> Tensor:
    """The all-ones tensor, e.g. `ones(i="n", j="m")`."""
    return Product([Delta(d, e) for e, d in edge_dims.items()], list(edge_dims))


def zeros(**edge_dims: str) -> Tensor:
    """The zero tensor, e.g. `zeros(i="n")`."""
    return Zero(list(edge_dims), list(edge_dims.values()))


def sum(t: Tensor, *edges: str) -> Tensor:  # noqa: A001 - the public name is tg.sum
    """Sum over the named edges (all edges if none are given)."""
    _check_tensor(t, "sum")
    edges = edges or t.edges
    for e in edges:
        if e not in t.edges:
            raise ValueError(f"cannot sum over edge {e!r}: not a free edge of {t} (edges {t.edges})")
    dims = t.dims
    return Product([t] + [Delta(dims[e], e) for e in edges], [e for e in t.edges if e not in edges])


def trace(t: Tensor) -> Tensor:
    """Trace of a tensor with two edges of one dimension (a scalar)."""
    _check_tensor(t, "trace")
    if len(t.edges) != 2:
        raise ValueError(f"trace needs exactly two edges, {t} has {t.edges}")
    (a, da), (b, db) = t.dims.items()
    if da != db:
        raise ValueError(f"trace needs two edges of one dimension, edge {a!r} has {da!r} and edge {b!r} has {db!r}"
                         f"{SQUARE_HINT}")
    return Product([t, Delta(da, a, b)], ())


def norm(t: Tensor) -> Tensor:
    """Euclidean / Frobenius norm over all edges: sqrt(sum(t * t))."""
    _check_tensor(t, "norm")
    return sqrt(sum(t * t))
