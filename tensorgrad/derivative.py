"""Symbolic differentiation: a rule per node kind, driven by `differentiate`.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> tg.equivalent(tg.grad(x @ x, x), 2 * x)
True
"""

from __future__ import annotations

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero, fresh_name
from .kinds import KindTable
from .symmetric import check_convention, cookbook, groups_of, symmetrize
from .deep import deep

#: d t / d x for each node kind: entry(t, x, new edge names, memo)
DERIVATIVE = KindTable("derivative")


def _new_edge_names(f: Tensor, x: Variable, new_edges) -> tuple:
    """One new edge per edge of x: its own name, primed until not a free edge of f."""
    new_edges = dict(new_edges or {})
    for k in new_edges:
        if k not in x.edges:
            raise ValueError(f"new_edges names {k!r}, which is not an edge of {x.name} (edges {x.edges})")
    taken = set(f.edges)
    out = []
    for e in x.edges:
        if e in new_edges:
            name = new_edges[e]
            if not isinstance(name, str) or not name:
                raise TypeError(f"new edge name for {e!r} must be a non-empty string, got {name!r}")
            if name in taken:
                raise ValueError(f"new edge name {name!r} is already a free edge of the function (edges {f.edges})")
        else:
            name = e
            while name in taken or name in new_edges.values():
                name += "'"
        taken.add(name)
        out.append(name)
    return tuple(out)


def _check_args(f, x):
    if not isinstance(f, Tensor):
        raise TypeError(f"can only differentiate a tensorgrad expression, got {type(f).__name__}")
    if not isinstance(x, Variable):
        raise TypeError(f"can only differentiate with respect to a Variable, got {type(x).__name__} {x}")


@deep
def derivative(f: Tensor, x: Variable, new_edges: dict | None = None) -> Tensor:
    """The Jacobian df/dx: edges f.edges, then one new edge per edge of x.

    >>> import tensorgrad as tg
    >>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
    >>> tg.derivative(A @ x, x).edges
    ('i', 'j')
    """
    _check_args(f, x)
    return differentiate(f, x, _new_edge_names(f, x, new_edges))


@deep
def grad(f: Tensor, x: Variable, convention: str = "symmetric") -> Tensor:
    """Gradient of a scalar f: same edges as x.

    For a symmetric x it is the symmetric G with ⟨G, dS⟩ = df for every symmetric
    dS, (G₀ + G₀ᵀ)/2 of the unconstrained gradient G₀; `convention="cookbook"` gives
    the Matrix Cookbook's G₀ + G₀ᵀ − G₀∘I instead (see tensorgrad.symmetric)."""
    _check_args(f, x)
    check_convention(convention, x, "grad")
    if f.edges:
        raise ValueError(f"grad needs a scalar function, but it has free edges {f.edges}; use derivative() for a Jacobian")
    g = derivative(f, x)
    return cookbook(g, groups_of(x)) if convention == "cookbook" else g


@deep
def hessian(f: Tensor, x: Variable, convention: str = "symmetric") -> Tensor:
    """derivative(grad(f, x), x): edges of x, then the same names primed.

    For a symmetric x: P H₀ P, the bilinear form d²f[dS, dS'] on symmetric
    perturbations; `convention="cookbook"` differentiates by the independent entries
    (each off-diagonal pair of each side counted twice)."""
    _check_args(f, x)
    check_convention(convention, x, "hessian")
    if f.edges:
        raise ValueError(f"hessian needs a scalar function, but it has free edges {f.edges}; "
                         f"use derivative(derivative(f, x), x) for second derivatives of a tensor")
    h = derivative(grad(f, x), x)
    if convention == "cookbook":
        primed = dict(zip(x.edges, h.edges[len(x.edges):]))
        h = cookbook(h, groups_of(x) + [tuple(primed[e] for e in g) for g in groups_of(x)])
    return h


def unevaluated(f: Tensor, x: Variable, new_edges: dict | None = None) -> Derivative:
    """The derivative as an unevaluated node (for showing a derivation step by step)."""
    _check_args(f, x)
    return Derivative(f, x, _new_edge_names(f, x, new_edges))


def differentiate(f: Tensor, x: Variable, new: tuple) -> Tensor:
    """d f / d x where `new` are the names of the new edges (one per slot of x)."""
    memo: dict = {}
    return _diff(f, x, tuple(new), memo)


def _zero(f: Tensor, x: Variable, new: tuple) -> Zero:
    return Zero(f.edges + new, f.dim_symbols + x.dim_symbols)


def _diff(f: Tensor, x: Variable, new: tuple, memo: dict) -> Tensor:
    if not f.depends_on(x):
        return _zero(f, x, new)
    key = f
    if key in memo:
        return memo[key]
    out = DERIVATIVE(f, x, new, memo)
    memo[key] = out
    return out


@DERIVATIVE.register(Variable)
def _d_variable(v: Variable, x: Variable, new, memo):
    # d v_{e..} / d x_{n..} = prod_k delta(e_k, n_k): one identity wire per slot;
    # for a symmetric variable averaged over the permutations of each group (the
    # projector onto symmetric perturbations; see tensorgrad.symmetric)
    wires = [Delta(d, e, n) for e, d, n in zip(v.edges, v.dim_symbols, new)]
    slot = dict(zip(x.original, new))
    return symmetrize(Product(wires, v.edges + new), [tuple(slot[e] for e in g) for g in x.symmetries])


@DERIVATIVE.register(Sum)
def _d_sum(s: Sum, x, new, memo):
    return Sum([_diff(t, x, new, memo) for t in s.terms], s.weights, s.edges + new)


def _leaves_only(t: Tensor) -> bool:
    """A network of variables and copy tensors only (cached)."""
    out = t._cache.get("leaves_only")
    if out is None:
        out = t._cache["leaves_only"] = isinstance(t, (Variable, Delta)) or (
            isinstance(t, Product) and all(map(_leaves_only, t.factors)))
    return out


def _spliced(p: Product) -> Product:
    """p with nested products of leaves spliced in: tr(A^p) built as tr(((A A) A)…)
    becomes one ring, whose Leibniz sum is p rotated copies of one chain (see
    `_rings`) instead of a nested sum of depth p. Used only where that finds a ring:
    elsewhere the nested Leibniz form is the more factored one. Products holding
    functions stay nested: they are the shared layers of compositions."""
    if not any(isinstance(f, Product) and _leaves_only(f) for f in p.factors):
        return p
    avoid = {e for f in p.factors for e in f.edges} | set(p.edges)
    factors: list = []
    for f in p.factors:
        if isinstance(f, Product) and _leaves_only(f):
            f = _spliced(f).rename_internal_apart(avoid)
            avoid |= f.contracted()
            factors.extend(f.factors)
        else:
            factors.append(f)
    return Product(factors, p.edges)


@DERIVATIVE.register(Product)
def _d_product(p: Product, x, new, memo):
    # Leibniz: one term per factor that depends on x; contracted edges are first
    # renamed away from the new edge names so they cannot collide.
    flat = _spliced(p)
    ring_of = _rings(flat, x)  # (renaming below keeps the positions)
    p = (flat if ring_of else p).rename_internal_apart(new)
    terms, weights, seen = [], [], set()
    for k, factor in enumerate(p.factors):
        if not factor.depends_on(x):
            continue
        ring = ring_of.get(k)
        if ring is not None:  # one term for the whole ring, times its length
            if ring in seen:
                continue
            seen.add(ring)
        rest = p.factors[:k] + p.factors[k + 1:]
        terms.append(Product(rest + (_diff(factor, x, new, memo),), p.edges + new))
        weights.append(len(ring) if ring is not None else 1)
    if not terms:
        return _zero(p, x, new)
    return terms[0] if weights == [1] else Sum(terms, weights)


def _rings(p: Product, x: Variable) -> dict:
    """Position -> ring (a tuple of positions) for each occurrence of the matrix x in
    a closed cycle x x … x of one orientation (slot 2 of each joined to slot 1 of
    the next, through 2-edge copy tensors at most, touching nothing else), like
    tr(A^p). Rotating such a ring maps its Leibniz terms onto one another (copy
    tensors on the wires are identities), so they are one term times the length."""
    if len(x.edges) != 2:
        return {}
    xs = [k for k, f in enumerate(p.factors) if isinstance(f, Variable) and f.identity == x.identity]
    if len(xs) < 2:
        return {}
    parent: dict = {}

    def root(e):
        while parent.get(e, e) != e:
            e = parent[e]
        return e

    for f in p.factors:
        if isinstance(f, Delta) and len(f.edges) == 2:
            a, b = root(f.edges[0]), root(f.edges[1])
            if a != b:
                parent[a] = b
    touched = {root(e) for e in p.edges}
    slots: dict = {}
    for k, f in enumerate(p.factors):
        if k in xs:
            for slot, e in enumerate(f.edges):
                slots.setdefault(root(e), []).append((k, slot))
        elif not (isinstance(f, Delta) and len(f.edges) == 2):
            touched.update(root(e) for e in f.edges)
    nxt = {}
    for w, ends in slots.items():
        if w not in touched and len(ends) == 2 and {s for _, s in ends} == {0, 1}:
            (k0, s0), (k1, _) = ends
            nxt[k0 if s0 == 1 else k1] = k1 if s0 == 1 else k0
    out: dict = {}
    for start in xs:
        if start in out:
            continue
        ring, k = [start], nxt.get(start)
        while k is not None and k != start and k not in ring:
            ring.append(k)
            k = nxt.get(k)
        if k == start and len(ring) > 1:
            for j in ring:
                out[j] = tuple(ring)
    return out


# Rewrites tried on a function node before the chain rule (e.g. the determinant
# lemma det(I + u vᵀ) -> 1 + vᵀu), so every derivative order gets the smaller form.
# Each takes the node and returns an equal expression, or the node itself.
FUNCTION_REWRITES: list = []


def register_function_rewrite(rewrite) -> None:
    if rewrite not in FUNCTION_REWRITES:
        FUNCTION_REWRITES.append(rewrite)


@DERIVATIVE.register(Function)
def _d_function(f: Function, x, new, memo):
    for rewrite in FUNCTION_REWRITES:
        g = rewrite(f)
        if g is not f:
            return _diff(g, x, new, memo)
    # chain rule: J[f.edges, u'] contracted with du/dx[u', new], u' fresh names for u's edges
    u = f.arg
    taken = set(f.edges) | set(new) | set(u.edges)
    fresh = {}
    for e in u.edges:
        fresh[e] = fresh_name(e, taken)
        taken.add(fresh[e])
    jac = f.spec.jacobian(f, fresh)
    du = _diff(u.rename(fresh), x, new, memo)
    return Product((jac, du), f.edges + new)


@DERIVATIVE.register(Derivative)
def _d_derivative(d: Derivative, x, new, memo):
    return _diff(d.doit(), x, new, memo)


@DERIVATIVE.register(Delta, Zero)
def _d_constant(t, x, new, memo):
    return _zero(t, x, new)

