"""Symmetric variables: interchangeable edges, derivatives on the symmetric subspace,
the Matrix Cookbook's convention, and the check of bound values.

A variable declared `symmetric=True` (or with `symmetries=[("i", "j"), ...]`) is
unchanged when the names of its edges within a group are permuted, so `S` and `Sᵀ`
are one tensor (canonical forms label the slots of a group alike).

Derivatives. Perturbations of a symmetric `S` are symmetric, so the derivative of
`S` with respect to itself is the projector onto symmetric tensors,
P = average over the permutations of each group of the identity wires. By the chain
rule `grad(f, S)` is then G₀ P = (G₀ + G₀ᵀ)/2 for the unconstrained gradient G₀: the
symmetric G with ⟨G, dS⟩ = df for every symmetric dS. Hessians are P H₀ P.

The Matrix Cookbook instead differentiates by the n(n+1)/2 independent entries
(S_ij = S_ji counted once): G + Gᵀ − G∘I = 2G_s − G_s∘I, i.e. the off-diagonal
entries doubled (`convention="cookbook"` in grad and hessian).

>>> import tensorgrad as tg
>>> S = tg.Variable("S", i="n", j="n", symmetric=True); x = tg.Variable("x", i="n")
>>> tg.equivalent(S + S.T, 2 * S)
True
>>> print(tg.to_matrix(tg.grad(x @ S @ x.rename(i="j"), x)))
2S x
>>> print(tg.to_matrix(tg.grad(tg.logdet(S), S)))
S⁻¹
"""

from __future__ import annotations

import itertools
import math

from .expr import Delta, Product, Sum, Tensor, Variable

CONVENTIONS = ("symmetric", "cookbook")


def groups_of(x: Variable) -> list:
    """The symmetry groups of this occurrence of x, as its current edge names."""
    rename = dict(zip(x.original, x.edges))
    return [tuple(rename[e] for e in g) for g in x.symmetries]


def symmetrize(t: Tensor, groups) -> Tensor:
    """The average of t over all permutations of its edge names within each group
    (groups: tuples of free edge names of t). t itself if there are none."""
    choices = []
    for g in groups:
        choices.append([dict(zip(g, p)) for p in itertools.permutations(g)])
    if not choices:
        return t
    maps = [dict(kv for m in combo for kv in m.items()) for combo in itertools.product(*choices)]
    terms = [t.rename(m) for m in maps]
    return Sum(terms, [1 / len(terms)] * len(terms), t.edges)


def _times_identity(t: Tensor, a: str, b: str) -> Tensor:
    """t ∘ I over the edges a, b (their diagonal kept, the rest zero)."""
    taken = set(t.edges)
    a1, b1 = a + "_d", b + "_d"
    while a1 in taken or b1 in taken or a1 == b1:
        a1, b1 = a1 + "'", b1 + "'"
    return Product([t.rename({a: a1, b: b1}), Delta(t.dims[a], a, b, a1, b1)], t.edges)


def _off_diagonal_doubled(t: Tensor, a: str, b: str) -> Tensor:
    """(2·1 − I) ∘ t over the edges a, b: 2t − t∘I."""
    return Sum([t, _times_identity(t, a, b)], [2, -1], t.edges)


def check_convention(convention: str, x: Variable, what: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"{what}: convention must be one of {CONVENTIONS}, got {convention!r}")
    if convention == "cookbook":
        if not x.symmetries:
            raise ValueError(f"{what}: convention='cookbook' is for symmetric variables; {x.name!r} has no symmetries")
        if any(len(g) != 2 for g in x.symmetries):
            raise ValueError(f"{what}: convention='cookbook' is defined for symmetric pairs of edges; "
                             f"{x.name!r} has the symmetry groups {x.symmetries}")


def cookbook(t: Tensor, pairs) -> Tensor:
    """A derivative in the symmetric convention -> the Matrix Cookbook's: for each
    pair of edges (a, b) of a symmetric variable, the off-diagonal entries doubled."""
    for a, b in pairs:
        t = _off_diagonal_doubled(t, a, b)
    return t


# ---------------------------------------------------------------------------
# Bound values
# ---------------------------------------------------------------------------

def _is_float(arr) -> bool:
    return any(k in str(arr.dtype) for k in ("float", "complex"))


def check_value(var: Variable, arr) -> None:
    """ValueError unless arr (a value bound to var) is symmetric in each group of
    var's edges, to a tolerance of sqrt(machine epsilon) relative to its largest entry.
    Lazy (Dask) values are not computed here."""
    if not var.symmetries or type(arr).__module__.split(".")[0] == "dask" or not math.prod(arr.shape):
        return
    for g in var.symmetries:
        slots = [var.original.index(e) for e in g]
        for a, b in zip(slots, slots[1:]):  # adjacent swaps generate every permutation
            other = arr.swapaxes(a, b)
            if _is_float(arr):
                diff, scale = float(abs(arr - other).max()), float(abs(arr).max())
                eps = 2.2e-16 if "64" in str(arr.dtype) or "128" in str(arr.dtype) else 1.2e-7
                bad = diff > math.sqrt(eps) * max(scale, 1e-300)
            else:
                bad, diff, scale = bool((arr != other).any()), None, None
            if bad:
                detail = f": max |difference| {diff:.3g}, largest entry {scale:.3g}" if diff is not None else ""
                raise ValueError(f"variable {var.name!r} is declared symmetric in its edges {g} but its value is not "
                                 f"(axes {a} and {b} differ{detail}); pass a symmetric array, e.g. (S + S.T) / 2")
