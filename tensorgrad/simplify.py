"""Simplification rules, one small function each, run to a fixpoint by rewrite.py.

Every rule keeps the value and the free edges of the node it rewrites.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> print((x + x).simplify())
2 x[i]
"""

from __future__ import annotations

import itertools
import math

from .canonical import _stable_hash, canonical_key, isomorphic, normal_number, refine_colours, shape_key
from .expr import (Delta, Derivative, Function, Product, Sum, Tensor, Zero, _is_number, as_number, constant,
                   fresh_name, number, ones_like, scale)
from .rewrite import Rewriter, fixpoint, speculative
from .deep import deep

# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------


def product_zero(p: Product):
    # A ⋅ 0 -> 0
    if any(isinstance(f, Zero) for f in p.factors):
        return Zero(p.edges, p.dim_symbols)


# A product larger than this stays a factor of the product it is in (not spliced
# in): it is typically a chain shared by many terms (the Jacobian of the first
# layers of a deep network), and splicing copies it into each. expand=True splices
# everything (`flatten_all`).
FLATTEN_MAX_SIZE = 40


def _flatten(p: Product, splice) -> Product | None:
    if not any(splice(f) for f in p.factors):
        return None
    avoid = {e for f in p.factors for e in f.edges} | set(p.edges)
    factors = []
    for f in p.factors:
        if splice(f):
            f = f.rename_internal_apart(avoid)
            avoid |= f.contracted()
            factors.extend(f.factors)
        else:
            factors.append(f)
    return Product(factors, p.edges)


def flatten_product(p: Product):
    # (A B) (C D) E -> A B C D E, renaming the inner products' contracted edges apart
    # (all at once: one at a time rebuilt a long chain once per nested product)
    return _flatten(p, lambda f: isinstance(f, Product) and f.size() <= FLATTEN_MAX_SIZE)


def flatten_all(p: Product):
    # (A B) C -> A B C, however large A B is
    return _flatten(p, lambda f: isinstance(f, Product))


def pull_weight(p: Product):
    # A (w B) -> w (A B)
    k = next((k for k, f in enumerate(p.factors) if isinstance(f, Sum) and len(f.terms) == 1), None)
    if k is None:
        return None
    s = p.factors[k]
    return scale(Product(p.factors[:k] + s.terms + p.factors[k + 1:], p.edges), s.weights[0])


def _common_weight(weights) -> object:
    """The number every weight is a multiple of (gcd of integers, else a shared
    magnitude), negative if every weight is; 1 if there is none."""
    if all(isinstance(w, int) for w in weights):
        c = math.gcd(*weights)
    else:
        mags = {abs(w) for w in weights}
        c = mags.pop() if len(mags) == 1 else 1
    return -c if all(w < 0 for w in weights) else c


def pull_common_weight(p: Product):
    # A (2 X + 4 Y) -> 2 A (X + 2 Y): a factor of a factored sum moves to the product
    for k, f in enumerate(p.factors):
        if isinstance(f, Sum) and len(f.terms) > 1:
            c = _common_weight(f.weights)
            if c not in (0, 1):
                # exact division of integers; w // c on a float weight would floor it (-0.5 // -1 == 0)
                inner = Sum(f.terms, [w // c if isinstance(w, int) and isinstance(c, int) else normal_number(w / c)
                                      for w in f.weights], f.edges)
                return scale(Product(p.factors[:k] + (inner,) + p.factors[k + 1:], p.edges), c)
    return None


def merge_deltas(p: Product):
    # δ_{abc} δ_{cde} -> δ_{abde}; δ_{ab} δ_{ab} -> δ (= the dimension n)
    deltas = [k for k, f in enumerate(p.factors) if isinstance(f, Delta)]
    for x in deltas:
        for y in deltas:
            if y <= x:
                continue
            d1, d2 = p.factors[x], p.factors[y]
            shared = set(d1.edges) & set(d2.edges)
            if shared:
                merged = Delta(d1.dim, *[e for e in d1.edges + d2.edges if e not in shared])
                rest = [f for k, f in enumerate(p.factors) if k not in (x, y)]
                return Product(rest + [merged], p.edges)
    return None


def eliminate_identity(p: Product):
    # A_{ia} δ_{ab} -> A_{ib}: a 2-edge delta contracted with a tensor is a rename
    for k, d in enumerate(p.factors):
        if not isinstance(d, Delta) or len(d.edges) != 2:
            continue
        for src, dst in (d.edges, d.edges[::-1]):
            for j, f in enumerate(p.factors):
                if j != k and src in f.edges and dst not in f.edges:
                    factors = list(p.factors)
                    factors[j] = f.rename({src: dst})
                    del factors[k]
                    return Product(factors, p.edges)
    return None


def _power_base(f: Tensor):
    """(base, exponent) of a factor: pow(u, a) -> (u, a); anything else -> (f, 1)."""
    if isinstance(f, Function) and f.spec.name == "pow":
        return f.arg, f.params[0]
    return f, 1


def _hadamard_partner(p: Product, i: int, j: int):
    """If factors i and j are joined elementwise on all their edges (each edge of i
    shares a copy tensor of 3+ edges with one edge of j), the map j-edge -> i-edge and
    the copy tensors' positions."""
    fi, fj = p.factors[i], p.factors[j]
    mapping, where = {}, {}
    for e in fi.edges:
        k = next((k for k, d in enumerate(p.factors) if isinstance(d, Delta) and e in d.edges), None)
        if k is None or len(p.factors[k].edges) < 3 or k in where.values():
            return None
        partners = [g for g in p.factors[k].edges if g in fj.edges]
        if len(partners) != 1:
            return None
        mapping[partners[0]] = e
        where[e] = k
    return mapping, where


def components(p: Product) -> list:
    """Connected components of a product: lists of factor positions."""
    parent = list(range(len(p.factors)))

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    owner: dict = {}
    for k, f in enumerate(p.factors):
        for e in f.edges:
            if e in owner:
                parent[find(k)] = find(owner[e])
            owner[e] = k
    groups: dict = {}
    for k in range(len(p.factors)):
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())


def _scalar_units(p: Product) -> list:
    """(factor positions, base, exponent) for each closed scalar component that is
    not made of copy tensors only: a lone u^a, or a network standing for itself."""
    units = []
    for comp in components(p):
        factors = [p.factors[k] for k in comp]
        if any(f.edges and set(f.edges) & set(p.edges) for f in factors):
            continue
        if all(isinstance(f, Delta) for f in factors) and not (len(factors) == 1 and not factors[0].edges):
            continue  # a loop of copy tensors merges into the dimension n first
        if len(comp) == 1 and not factors[0].edges:
            base, a = _power_base(factors[0])
        else:
            base, a = Product(factors, ()), 1
        units.append((comp, base, a))
    return units


def merge_scalar_powers(p: Product):
    # (xᵀx)^a (xᵀx)^b -> (xᵀx)^(a+b): closed scalar sub-networks with the same base
    units = _scalar_units(p)
    for i, (ci, bi, ai) in enumerate(units):
        for cj, bj, aj in units[i + 1:]:
            if shape_key(bi) == shape_key(bj) and isomorphic(bi, bj):
                rest = [f for k, f in enumerate(p.factors) if k not in ci and k not in cj]
                return Product(rest + [Function("pow", bi, (), (normal_number(ai + aj),))], p.edges)
    return None


def merge_hadamard_powers(p: Product):
    # x^a ⊙ x^b -> x^(a+b): two factors joined elementwise on all their edges
    cands = [k for k, f in enumerate(p.factors) if f.edges and not isinstance(f, Delta)]
    for a in cands:
        for b in cands:
            if b <= a or len(p.factors[a].edges) != len(p.factors[b].edges):
                continue
            (ua, pa), (ub, pb) = _power_base(p.factors[a]), _power_base(p.factors[b])
            if shape_key(ua) != shape_key(ub):
                continue
            joined = _hadamard_partner(p, a, b)
            if joined is None:
                continue
            mapping, where = joined
            if not isomorphic(ub.rename(mapping), ua):
                continue
            taken = {e for f in p.factors for e in f.edges} | set(p.edges)
            out = {}
            for e in ua.edges:
                out[e] = fresh_name(e, taken)
                taken.add(out[e])
            factors = list(p.factors)
            for e, k in where.items():
                g = next(g for g, ee in mapping.items() if ee == e)
                d = factors[k]
                factors[k] = Delta(d.dim, *[x for x in d.edges if x not in (e, g)], out[e])
            factors = [f for k, f in enumerate(factors) if k not in (a, b)]
            return Product(factors + [Function("pow", ua.rename(out), (), (normal_number(pa + pb),))], p.edges)
    return None


def distribute(p: Product):
    # A (B + C) -> A B + A C
    k = next((k for k, f in enumerate(p.factors) if isinstance(f, Sum)), None)
    if k is None:
        return None
    s = p.factors[k]
    terms = [Product(p.factors[:k] + (t,) + p.factors[k + 1:], p.edges) for t in s.terms]
    return Sum(terms, s.weights, p.edges)


# Distributing copies the rest of the product into every term. Beyond this many
# copied nodes, or on a product this large, the expansion is not even tried: it
# could only pay off by a large cancellation, and trying it on every level of a
# deep composition costs as much as the full expansion it is meant to avoid.
EXPANSION_BUDGET = 64
EXPANSION_MAX_SIZE = 200


@speculative
def expand_if_smaller(p: Product):
    # A (B + C) -> A B + A C, kept only if that (simplified) is smaller: terms cancel
    # or merge. Otherwise A (B + C) stays factored: x − μ stays a difference.
    k = next((k for k, f in enumerate(p.factors) if isinstance(f, Sum)), None)
    if k is None:
        return None
    copied = (len(p.factors[k].terms) - 1) * sum(f.size() for j, f in enumerate(p.factors) if j != k)
    if copied > EXPANSION_BUDGET or p.size() > EXPANSION_MAX_SIZE:
        return None
    return distribute(p)


def single_factor(p: Product):
    # (A) -> A;  (δ_ki) with edges (i, k) -> δ_ik (a copy tensor or zero lists its edges in any order)
    if len(p.factors) == 1:
        f = p.factors[0]
        if f.edges == p.edges:
            return f
        if isinstance(f, Delta):
            return Delta(f.dim, *p.edges)
        if isinstance(f, Zero):
            return Zero(p.edges, p.dims)


def _order_key(t: Tensor):
    return (shape_key(t), canonical_key(t))


def _factor_key(p: Product):
    """Sort key of a factor within p: blind to internal edge names, so renaming them
    (see tidy_names) never changes the order."""
    return lambda f: (shape_key(f), tuple(e if e in p.edges else "" for e in f.edges))


def sort_factors(p: Product):
    # B A -> A B (canonical order, so equal networks print the same)
    order = sorted(p.factors, key=_factor_key(p))
    if order != list(p.factors):
        return Product(order, p.edges)


# ---------------------------------------------------------------------------
# Sums
# ---------------------------------------------------------------------------


def flatten_sum(s: Sum):
    # a (b X + c Y) + d Z -> ab X + ac Y + d Z
    if not any(isinstance(t, Sum) for t in s.terms):
        return None
    terms, weights = [], []
    for t, w in zip(s.terms, s.weights):
        if isinstance(t, Sum):
            terms += t.terms
            weights += [w * v for v in t.weights]
        else:
            terms.append(t)
            weights.append(w)
    return Sum(terms, weights, s.edges)


def drop_zeros(s: Sum):
    # X + 0 -> X; 0 X -> 0
    keep = [(t, w) for t, w in zip(s.terms, s.weights) if w != 0 and not isinstance(t, Zero)]
    if len(keep) == len(s.terms):
        return None
    if not keep:
        return Zero(s.edges, s.dim_symbols)
    return Sum([t for t, _ in keep], [w for _, w in keep], s.edges)


def merge_like_terms(s: Sum):
    # a X + b X' -> (a + b) X where X' is X with internal edges renamed / factors reordered
    groups: list = []  # [term, weight]
    buckets: dict = {}
    for t, w in zip(s.terms, s.weights):
        for g in buckets.setdefault(canonical_key(t), []):
            if _tidy(g[0]) == _tidy(t) or isomorphic(g[0], t):
                g[1] += w
                break
        else:
            g = [t, w]
            buckets[canonical_key(t)].append(g)
            groups.append(g)
    if len(groups) == len(s.terms):
        return None
    return Sum([g[0] for g in groups], [normal_number(g[1]) for g in groups], s.edges)


def _tidy(t: Tensor) -> Tensor:
    """t with factors and terms sorted and internal edges renamed in order of
    appearance (cached). Two terms with equal tidy trees are isomorphic: a cheap
    sufficient test tried before the exact graph isomorphism, which dominated
    simplify time on large sums (attention Hessian)."""
    out = t._cache.get("tidy")
    if out is None:
        out = t._cache["tidy"] = _tidy_names(t, frozenset())
    return out


def _refined_colours(p: Product) -> list:
    """Colour per factor by refinement over the product's wires, free wires coloured
    by their names, so equal-shaped factors wired differently differ."""
    return refine_colours(p, lambda e: _stable_hash(e) if e in p.edges else 0)[0]


def _tidy_names(t: Tensor, avoid: frozenset) -> Tensor:
    # like tidy_names, but wires get names from the non-copy factors first and
    # copy tensors list their (interchangeable) edges sorted, so the arbitrary
    # slot order of a copy tensor does not decide the names
    avoid = avoid | set(t.edges)
    if isinstance(t, Sum):
        t = sort_terms(t) or t
    if not isinstance(t, Product):
        children = t.children()
        return t.with_children([_tidy_names(c, avoid) for c in children]) if children else t
    colour = _refined_colours(t)
    key = _factor_key(t)
    order = sorted(range(len(t.factors)), key=lambda k: (key(t.factors[k]), colour[k]))
    factors = [t.factors[k] for k in order]
    inner_set = t.contracted()
    # a few rounds: names from the current order, then re-sort by (shape, names), so
    # equal-shaped factors get ordered by what they are wired to
    for _ in range(3):
        order = [e for f in factors if not isinstance(f, Delta) for e in f.edges]
        order += [e for f in factors if isinstance(f, Delta) for e in f.edges]
        names = _pool(avoid)
        mapping = {e: next(names) for e in dict.fromkeys(order) if e in inner_set}
        factors = [f._rename({e: mapping[e] for e in f.edges if e in mapping}) for f in factors]
        factors = [Delta(f.dim, *sorted(f.edges)) if isinstance(f, Delta) else f for f in factors]
        inner_set = set(mapping.values())
        new = sorted(factors, key=lambda f: (shape_key(f), f.edges))
        if new == factors:
            break
        factors = new
    scope = avoid | inner_set
    factors = [f if isinstance(f, Delta) else _tidy_names(f, scope) for f in factors]
    return Product(factors, t.edges)


def single_term(s: Sum):
    # 1 X -> X
    if len(s.terms) == 1 and s.weights[0] == 1:
        return s.terms[0]


def sort_terms(s: Sum):
    # Y + X -> X + Y (canonical order)
    pairs = sorted(zip(s.terms, s.weights), key=lambda tw: _order_key(tw[0]))
    if [t for t, _ in pairs] != list(s.terms):
        return Sum([t for t, _ in pairs], [w for _, w in pairs], s.edges)


# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------


def _is(t: Tensor, name: str) -> bool:
    return isinstance(t, Function) and t.spec.name == name


def fold_constant(f: Function):
    # exp(2) -> 7.389…: a function of a number is a number
    c = as_number(f.arg)
    if c is None or f.spec.scalar is None or f.arg.edges:
        return None
    try:
        value = f.spec.scalar(c, *f.params)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(value, complex):
        return None
    return number(normal_number(value))


def log_of_exp(f: Function):
    # log(exp(x)) -> x
    if _is(f, "log") and _is(f.arg, "exp"):
        return f.arg.arg


def exp_of_log(f: Function):
    # exp(log(x)) -> x  (x > 0, as the log requires)
    if _is(f, "exp") and _is(f.arg, "log"):
        return f.arg.arg


def pow_one(f: Function):
    # x^1 -> x
    if _is(f, "pow") and f.params[0] == 1:
        return f.arg


def pow_zero(f: Function):
    # x^0 -> 1
    if _is(f, "pow") and f.params[0] == 0:
        return ones_like(f)


def nonnegative(t: Tensor) -> bool:
    """True only where every entry of t is known to be >= 0 from its form alone:
    a sum of squares Σ u u (two equal factors), an even power, exp, a dimension."""
    if isinstance(t, Delta):
        return len(t.edges) <= 1
    if isinstance(t, Function):
        if t.spec.positive:
            return True
        return _is(t, "pow") and (float(t.params[0]) % 2 == 0 or nonnegative(t.arg))
    if isinstance(t, Sum):
        return all(w > 0 for w in t.weights) and all(map(nonnegative, t.terms))
    if isinstance(t, Product) and not t.edges and t.factors:
        counts: dict = {}
        for g in t.factors:
            counts[g] = counts.get(g, 0) + 1
        return all(c % 2 == 0 or nonnegative(g) for g, c in counts.items())
    return False


def pow_of_pow(f: Function):
    # (x^a)^b -> x^(ab)  when b is an integer, or a is not (so x >= 0 is required
    # anyway), or x >= 0 is known: sqrt((xᵀx)²) -> xᵀx
    if _is(f, "pow") and _is(f.arg, "pow"):
        a, b = f.arg.params[0], f.params[0]
        if float(b).is_integer() or not float(a).is_integer() or nonnegative(f.arg.arg):
            return Function("pow", f.arg.arg, (), (normal_number(a * b),))


def pow_of_scaled(f: Function):
    # (c X)^p -> c^p X^p  when c > 0 or p is an integer
    if _is(f, "pow") and isinstance(f.arg, Sum) and len(f.arg.terms) == 1:
        c, p = f.arg.weights[0], f.params[0]
        if c > 0 or float(p).is_integer():
            return scale(Function("pow", f.arg.terms[0], (), (p,)), normal_number(c ** p))


# ---------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------


def evaluate_derivative(d: Derivative):
    # d/dx (...) -> the derivative, computed
    return d.doit()


# Phase 1 normalises the network (flatten, merge copy tensors, expand, merge like
# terms); phase 2 then also merges powers. Merging x ⊙ x -> x² before a product is
# flattened into its parent would hide an inner product x·x behind a Hadamard square.
# Sorting into canonical order always runs last.
PHASE1: dict = {
    Product: [product_zero, flatten_product, pull_weight, pull_common_weight, merge_deltas, eliminate_identity, single_factor],
    Sum: [flatten_sum, drop_zeros, merge_like_terms, single_term],
    Function: [fold_constant, log_of_exp, exp_of_log, pow_one, pow_zero, pow_of_pow, pow_of_scaled],
    Derivative: [evaluate_derivative],
}
PHASE2: dict = {Product: [merge_scalar_powers, merge_hadamard_powers]}
LAST: dict = {Product: [sort_factors], Sum: [sort_terms]}


def register_rules(kind: type, rules: list, phase: int = 1):
    """Add simplification rules for a node kind (e.g. from a module defining more
    functions). Phase-1 rules also run in phase 2."""
    target = (PHASE1 if phase == 1 else PHASE2).setdefault(kind, [])
    target.extend(r for r in rules if r not in target)


def _rules(phase: int, expand: bool = False) -> dict:
    """The rules of a phase. Distribution over sums comes after every other phase-1
    rule: always (`expand`, the normal form `equivalent` compares) or only where
    the expanded result is smaller (the default)."""
    kinds = set(PHASE1) | set(PHASE2) | set(LAST)
    extra = PHASE2 if phase == 2 else {}
    spread = {Product: [distribute if expand else expand_if_smaller]}
    rules = {k: PHASE1.get(k, []) + spread.get(k, []) + extra.get(k, []) + LAST.get(k, []) for k in kinds}
    if expand:
        rules[Product] = [flatten_all if r is flatten_product else r for r in rules[Product]]
    return rules


_NAME_POOL = "abcdefghpqrstuvw"  # short internal names; i, j, k, ... stay free for users


def _pool(avoid: set):
    for k in itertools.count():
        for c in _NAME_POOL:
            name = c if k == 0 else f"{c}{k}"
            if name not in avoid:
                yield name


def tidy_names(t: Tensor, avoid: frozenset = frozenset(), memo: dict | None = None) -> Tensor:
    """Rename internal edges to short names (a, b, c, ...) in order of appearance,
    avoiding free edges of the node and of every enclosing scope up to the nearest
    function: a function's argument is named on its own (`_tidy_function`). `memo`
    (per call) holds the result per (node, names to avoid): a shared sub-network
    met again in the same scope is named once."""
    if not isinstance(t, (Product, Sum)) and not t.children():
        return t  # a leaf: nothing to name (and no copy of the scope's names)
    if isinstance(t, Function):
        return _tidy_function(t)
    if memo is None:
        memo = {}
    key = (id(t), avoid)
    hit = memo.get(key)
    if hit is not None:
        return hit[1]
    out = _tidy_scope(t, avoid, memo)
    memo[key] = (t, out)  # t kept alive so its id stays unique
    return out


def _tidy_scope(t: Tensor, avoid: frozenset, memo: dict) -> Tensor:
    if not avoid.issuperset(t.edges):  # (usually they are: names of the enclosing scope)
        avoid = avoid | set(t.edges)
    # the free names of t are final here (enclosing scopes were renamed first); sort
    # keys of nested factors and terms depend on them, so re-sort before naming
    if isinstance(t, Product):
        t = sort_factors(t) or t
    elif isinstance(t, Sum):
        t = sort_terms(t) or t
    if isinstance(t, Product):
        contracted = t.contracted()
        inner = [e for e in dict.fromkeys(e for f in t.factors for e in f.edges) if e in contracted]
        names = _pool(avoid)
        mapping = {e: next(names) for e in inner}
        scope = avoid | set(mapping.values())
        factors = [tidy_names(f._rename({e: mapping[e] for e in f.edges if e in mapping}), scope, memo)
                   for f in t.factors]
        return Product(factors, t.edges)
    children = t.children()
    if not children:
        return t
    return t.with_children([tidy_names(c, avoid, memo) for c in children])


def _tidy_function(f: Function) -> Function:
    """A function node with its argument's internal edges named afresh, avoiding
    only the argument's own edges (names inside are scoped to it). Independent of
    where the node sits, so it is done once per node and shared sub-networks (the
    layers inside every Jacobian factor of a deep network) keep one tidy form."""
    out = f._cache.get("tidy_function")
    if out is None:
        out = f._cache["tidy_function"] = f.with_children([tidy_names(f.arg, frozenset(f.arg.edges))])
    return out


@deep
def simplify(t: Tensor, trace: list | None = None, expand: bool = False) -> Tensor:
    """An equivalent, simplified expression (idempotent).

    A product is distributed over a sum only where that makes the result smaller
    (terms cancel or merge), so differences such as A x − b stay differences and a
    large shared factor is not copied into every term. `expand=True` distributes
    everywhere: the flat sum of products `equivalent` compares.
    `trace`, if given, receives (rule name, before, after) for every rewrite.

    >>> import tensorgrad as tg
    >>> x, a = tg.Variable("x", "i"), tg.Variable("a", "i")
    >>> print(tg.to_matrix(tg.sum((x - a) * (x - a)).simplify()))
    ‖x − a‖²
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"simplify expects a tensorgrad expression, got {type(t).__name__}")
    if not isinstance(expand, bool):
        raise TypeError(f"simplify's expand must be True or False, got {expand!r}")
    key = "expanded" if expand else "simplified"
    done = t._cache.get(key)
    if done is not None and trace is None:
        return done
    # a speculative expansion is judged in its fully expanded form (memoised over the
    # whole call), so deciding never re-speculates inside the terms it produced
    settle = None if expand else Rewriter(_rules(1, expand=True))
    out = tidy_names(fixpoint(fixpoint(t, _rules(1, expand), trace, settle), _rules(2, expand), trace))
    t._cache[key] = out
    out._cache[key] = out
    return out


def _as_expression(t, other) -> Tensor:
    """t, or the number t as a constant with the free edges of `other` (0 -> zeros)."""
    if isinstance(t, Tensor):
        return t
    if _is_number(t):
        return constant(t, other) if isinstance(other, Tensor) else number(t)
    raise TypeError(f"equivalent expects tensorgrad expressions (or a number), got {type(t).__name__}")


@deep
def equivalent(a: Tensor, b: Tensor) -> bool:
    """True iff a and b are the same network after simplification, up to renaming
    internal edges and reordering factors and terms. A number stands for that
    constant with the other side's edges: `equivalent(x - x, 0)` is True.

    >>> import tensorgrad as tg
    >>> A = tg.Variable("A", "i", "j")
    >>> equivalent(A, A.rename(i="j", j="i"))
    False
    >>> equivalent(A - A, 0)
    True
    """
    a, b = _as_expression(a, b), _as_expression(b, a)
    if set(a.edges) != set(b.edges):
        return False
    return isomorphic(simplify(a, expand=True), simplify(b, expand=True))
