"""Numeric evaluation with numpy and opt_einsum.

Each product is one opt_einsum contraction whose path is found once per
(structure, shapes) and cached; copy tensors are never materialised as operands:
the edges they join share one einsum index. Each distinct sub-expression is
evaluated once per call.

>>> import numpy as np, tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> tg.evaluate(A @ x, {A: np.eye(2), x: np.array([1.0, 2.0])})
array([1., 2.])
"""

from __future__ import annotations

import functools
from typing import Mapping

import numpy as np
import opt_einsum

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .kinds import KindTable

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _letter(k: int) -> str:
    return _LETTERS[k] if k < len(_LETTERS) else opt_einsum.get_symbol(k)


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
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"dims[{sym!r}] must be a non-negative integer, got {n!r}")
        sizes[sym], origin[sym] = int(n), "dims"
    arrays, seen = {}, {}
    used = variables_of(t)
    # variables given as keys also fix their dimensions, even where t no longer uses them
    given = [k for k in values if isinstance(k, Variable) and k.identity not in {v.identity for v in used}]
    for var in used + given:
        if var.name in seen and seen[var.name] != var.identity:
            raise ValueError(f"two different variables are both named {var.name!r}: edges {seen[var.name][1]} and {var.original}")
        seen[var.name] = var.identity
        if var.name not in by_name:
            raise ValueError(f"no value given for variable {var.name!r} (edges {var.original})")
        arr = np.asarray(by_name[var.name])
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"value of variable {var.name!r} must be a numeric array, got dtype {arr.dtype}")
        if arr.ndim != len(var.original):
            raise ValueError(f"variable {var.name!r} has {len(var.original)} edges {var.original} but its value has {arr.ndim} axes (shape {arr.shape})")
        for edge, sym, n in zip(var.original, var.dim_symbols, arr.shape):
            if sym in sizes and sizes[sym] != n:
                raise ValueError(f"dimension {sym!r} bound to two sizes: {sizes[sym]} ({origin[sym]}) and {n} "
                                 f"(edge {edge!r} of variable {var.name!r})")
            sizes[sym], origin[sym] = n, f"edge {edge!r} of variable {var.name!r}"
        arrays[var.name] = arr
    return arrays, sizes


def _walk_variables(t: Tensor, seen: set):
    if id(t) in seen:
        return
    seen.add(id(t))
    if isinstance(t, Variable):
        yield t
    for c in t.children():
        yield from _walk_variables(c, seen)


def variables_of(t: Tensor) -> list:
    """The variable occurrences of t, each distinct node once, in order of appearance
    (cached on the node: evaluating one expression again skips the walk)."""
    out = t._cache.get("variable_list")
    if out is None:
        out = t._cache["variable_list"] = list(_walk_variables(t, set()))
    return out


def _walk_dims(t: Tensor, out: set) -> set:
    out.update(t.dim_symbols)
    if isinstance(t, Delta):
        out.add(t.dim)
    if isinstance(t, Function):
        out.update(t.arg.dim_symbols)
    for c in t.children():
        _walk_dims(c, out)
    return out


def dims_of(t: Tensor) -> frozenset:
    """Every dimension symbol used anywhere in t (cached on the node)."""
    out = t._cache.get("dims_used")
    if out is None:
        out = t._cache["dims_used"] = frozenset(_walk_dims(t, set()))
    return out


def evaluate(t: Tensor, values: Mapping, edges=None, dims: Mapping | None = None) -> np.ndarray:
    """Evaluate `t` numerically; axes follow `edges` (default `t.edges`)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"evaluate expects a tensorgrad expression, got {type(t).__name__}")
    edges = t.edges if edges is None else tuple(edges)
    if sorted(edges) != sorted(t.edges):
        raise ValueError(f"edges {edges} must be a permutation of the free edges {t.edges}")
    arrays, sizes = bind_dims(t, values, dims)
    missing = sorted(dims_of(t) - set(sizes))
    if missing:
        raise ValueError(f"the size of dimension {missing[0]!r} is not fixed by any variable; pass dims={{{missing[0]!r}: ...}}")
    out = _Evaluator(arrays, sizes).eval(t)
    if isinstance(out, np.ndarray) and not out.flags.writeable:
        out = np.array(out)  # a broadcast view (see einsum_plan's post) -> an array of its own
    return np.transpose(out, [t.edges.index(e) for e in edges]) if edges != t.edges else out


#: the array of each node kind: entry(evaluator, node)
EVALUATE = KindTable("evaluate")


class _Evaluator:
    def __init__(self, arrays: dict, sizes: dict):
        self.arrays, self.sizes = arrays, sizes
        self.sizes_key = None
        self.memo: dict = {}

    def eval(self, t: Tensor) -> np.ndarray:
        out = self.memo.get(t)
        if out is None:
            out = EVALUATE.of(t)(self, t)
            self.memo[t] = out
        return out

    def plan(self, p: Product):
        # einsum_plan per product and sizes, cached on the node across calls
        key = self.sizes_key
        if key is None:
            key = self.sizes_key = tuple(sorted(self.sizes.items()))
        cached = p._cache.get("einsum_plan")
        if cached is None or cached[0] != key:
            cached = p._cache["einsum_plan"] = (key, einsum_plan(p, self.sizes))
        return cached[1]

    def shape(self, t: Tensor) -> tuple:
        return tuple(self.sizes[d] for d in t.dim_symbols)

    @EVALUATE.register(Variable)
    def _variable(self, v: Variable):
        return np.asarray(self.arrays[v.name], dtype=float) if self.arrays[v.name].dtype == bool else self.arrays[v.name]

    @EVALUATE.register(Zero)
    def _zero(self, z: Zero):
        return np.zeros(self.shape(z))

    @EVALUATE.register(Delta)
    def _delta(self, d: Delta):
        return self._product(Product((d,)))

    @EVALUATE.register(Sum)
    def _sum(self, s: Sum):
        # one pass per term: terms of weight 1 first, other weights folded into the
        # smallest operand of a product term, no multiply by 1, and in-place
        # accumulation once the accumulator is an array of our own (never a memoised value)
        out, owned = None, False
        for k in sorted(range(len(s.terms)), key=lambda k: s.weights[k] != 1):
            term, w = s.terms[k], s.weights[k]
            fresh = isinstance(term, Product) and term not in self.memo
            if w != 1 and fresh:
                arr, w = self._product(term, w), 1
            else:
                arr = self.eval(term)
            if term.edges != s.edges:
                arr = np.transpose(arr, [term.edges.index(e) for e in s.edges])
            if out is None:
                out, owned = (arr, False) if w == 1 else (w * arr, True)
                continue
            op, part = (np.subtract, arr) if w == -1 else (np.add, arr if w == 1 else w * arr)
            if owned and isinstance(out, np.ndarray) and out.ndim and np.result_type(out, part) == out.dtype \
                    and out.shape == np.shape(part):
                op(out, part, out=out)
            elif fresh and part is arr and self._scratch(part) \
                    and np.result_type(out, part) == part.dtype and part.shape == np.shape(out):
                # accumulate into the term's own new array instead of allocating a third one
                out, owned = op(out, part, out=part), True
            else:
                out, owned = op(out, part), True
        return out

    def _scratch(self, arr) -> bool:
        """Is `arr` a new array nobody else holds (not a view, not a memoised value or
        an input), so it may be overwritten?"""
        return (isinstance(arr, np.ndarray) and arr.ndim > 0 and arr.base is None and arr.flags.writeable
                and all(arr is not v for v in self.memo.values()))

    @EVALUATE.register(Function)
    def _function(self, f: Function):
        x = self.eval(f.arg)
        axes = tuple(f.arg.edges.index(e) for e in f.core)
        return np.asarray(f.spec.numeric(np, x, axes, f.params))

    @EVALUATE.register(Derivative)
    def _derivative(self, d: Derivative):
        return self.eval(d.doit())

    @EVALUATE.register(Product)
    def _product(self, p: Product, weight=1):
        spec, operands, post = self.plan(p)
        arrays = [self.eval(f) for f in operands]
        if weight != 1:  # scale the smallest operand rather than the (larger) result
            if arrays:
                k = min(range(len(arrays)), key=lambda k: np.size(arrays[k]))
                arrays[k] = weight * arrays[k]
            else:
                arrays, spec = [np.asarray(weight)], "->"
        out = _outer(arrays, spec) if len(arrays) > 1 else None
        if out is None:
            shapes = tuple(a.shape for a in arrays)
            out = _contraction(spec, shapes)(*arrays) if arrays else np.ones(())
        return post(out)


def _outer(arrays: list, spec: str):
    """A product in which nothing is contracted between operands, after summing out
    indices that only one operand carries (e.g. Σ_a y_a p_i p_j): broadcasting
    multiplies, which beat einsum's generic loop; scalars scale the smallest operand.
    None where some index joins two operands or repeats within one."""
    ins, out = spec.split("->")
    ins = ins.split(",")
    letters = "".join(ins)
    if any(len(set(sub)) != len(sub) for sub in ins) or len(set(letters)) != len(letters):
        return None
    kept, scalar = [], 1.0
    for a, sub in zip(arrays, ins):
        lone = tuple(k for k, ch in enumerate(sub) if ch not in out)
        if lone:
            a = np.sum(a, axis=lone)
            sub = "".join(ch for ch in sub if ch in out)
        if sub:
            kept.append((a, sub))
        else:
            scalar = scalar * a
    if not kept:
        return np.asarray(scalar)
    if not (isinstance(scalar, float) and scalar == 1.0):
        k = min(range(len(kept)), key=lambda k: np.size(kept[k][0]))
        kept[k] = (scalar * kept[k][0], kept[k][1])
    res = None
    for a, sub in kept:
        order = sorted(range(len(sub)), key=lambda k: out.index(sub[k]))
        a = np.transpose(a, order)
        shape = [1] * len(out)
        for pos, k in enumerate(order):
            shape[out.index(sub[k])] = a.shape[pos]
        a = a.reshape(shape)
        res = a if res is None else res * a
    return res if res.ndim == len(out) else res.reshape([1] * (len(out) - res.ndim) + list(res.shape))


@functools.lru_cache(maxsize=4096)
def _contraction(spec: str, shapes: tuple):
    return opt_einsum.contract_expression(spec, *shapes, optimize="auto")


def edge_classes(groups):
    """Union-find over edge names: every group (e.g. the edges of one copy tensor)
    becomes one class. Returns `find(edge) -> class root` (an edge in no group is
    its own class). Shared by `einsum_plan` and the code exporter.

    >>> find = edge_classes([("a", "b"), ("b", "c")])
    >>> find("c") == find("a") != find("d")
    True
    """
    parent: dict = {}

    def find(e):
        while parent.setdefault(e, e) != e:
            e = parent[e]
        return e
    for g in groups:
        g = tuple(g)
        for e in g[1:]:
            parent[find(e)] = find(g[0])
    return find


def einsum_plan(p: Product, sizes: Mapping):
    """(einsum spec, operand factors, post-processing) for a product.

    Edges joined by copy tensors share one index. The einsum output has one index
    per distinct class of free edges; `post` then multiplies by the dimension of
    closed copy-tensor loops, broadcasts indices no operand carries, places
    repeated indices on a diagonal, and orders axes as `p.edges`."""
    deltas = [f for f in p.factors if isinstance(f, Delta)]
    operands = [f for f in p.factors if not isinstance(f, Delta)]
    find = edge_classes(d.edges for d in deltas)
    loops = 1
    for d in deltas:
        if not d.edges:
            loops *= sizes[d.dim]
    classes: dict = {}
    for f in p.factors:
        for e in f.edges:
            classes.setdefault(find(e), len(classes))
    dim_of = {}
    for f in p.factors:
        for e, dsym in zip(f.edges, f.dim_symbols):
            dim_of[find(e)] = dsym
    letter = {root: _letter(k) for root, k in classes.items()}
    in_operands = {find(e) for f in operands for e in f.edges}
    free_roots = []
    for e in p.edges:
        r = find(e)
        if r not in free_roots:
            free_roots.append(r)
    # classes only copy tensors touch and no free edge reaches are closed loops: n each
    for r in classes:
        if r not in in_operands and r not in free_roots:
            loops *= sizes[dim_of[r]]
    out_roots = [r for r in free_roots if r in in_operands]
    spec = ",".join("".join(letter[find(e)] for e in f.edges) for f in operands)
    spec += "->" + "".join(letter[r] for r in out_roots)

    def post(arr):
        if loops != 1:
            arr = arr * loops
        # expand to one axis per free edge, in p.edges order
        target = [find(e) for e in p.edges]
        if target == out_roots:
            return arr
        uniq = list(dict.fromkeys(target))
        if len(uniq) == len(target):  # a permutation of the axes plus broadcasting: a view
            arr = np.transpose(arr, [out_roots.index(r) for r in target if r in out_roots])
            arr = arr.reshape([sizes[dim_of[r]] if r in out_roots else 1 for r in target])
            return np.broadcast_to(arr, tuple(sizes[dim_of[r]] for r in target))
        # repeated classes: write into the diagonal of a zero array through a strided view
        result = np.zeros(tuple(sizes[dim_of[r]] for r in target), dtype=arr.dtype)
        strides = [sum(result.strides[k] for k, r in enumerate(target) if r == u) for u in uniq]
        view = np.lib.stride_tricks.as_strided(result, tuple(sizes[dim_of[u]] for u in uniq), strides)
        src = np.transpose(arr, [out_roots.index(u) for u in uniq if u in out_roots])
        view[...] = src.reshape([sizes[dim_of[u]] if u in out_roots else 1 for u in uniq])
        return result

    return spec, operands, post
