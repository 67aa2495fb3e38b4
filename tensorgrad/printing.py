"""Text forms of an expression: index notation (`str`) and Python that rebuilds it (`repr`).

>>> import tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> print(A @ x)
A[i,j] x[j]
>>> repr(x)
"tg.Variable('x', j='n')"
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from fractions import Fraction

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .functions import FunctionSpec
from .kinds import KindTable
from .naming import PRE_ACTIVATION, Scheme
from .deep import deep


def exact_form(c) -> tuple:
    """``(p, r, q)`` with ``c = p·√r/q`` for integers ``p``, ``r`` (square-free), ``q``, when
    ``c`` is such a number up to float rounding (``1.0000000000000002`` → 1,
    ``0.7071067811865476`` → √2/2, ``0.3333333333333333`` → 1/3); otherwise ``(c, 1, 1)``.

    >>> exact_form(2 ** -0.5), exact_form(0.1 * 3), exact_form(1.0000000000000002), exact_form(0.123456789)
    ((1, 2, 2), (3, 1, 10), (1, 1, 1), (0.123456789, 1, 1))
    """
    if isinstance(c, bool) or not isinstance(c, (int, float)) or isinstance(c, int) or not math.isfinite(c) or c == 0:
        return c, 1, 1
    sign, mag = (-1 if c < 0 else 1), abs(c)

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-12 * b

    frac = Fraction(mag).limit_denominator(1000)
    if frac and close(float(frac), mag):
        return sign * frac.numerator, 1, frac.denominator
    square = Fraction(mag * mag).limit_denominator(1000)
    if square and square.numerator <= 10_000 and close(float(square), mag * mag):
        n, q = square.numerator * square.denominator, square.denominator  # √(a/b) = √(ab)/b
        k = max(d for d in range(1, math.isqrt(n) + 1) if n % (d * d) == 0)
        g = math.gcd(k, q)
        return sign * (k // g), n // (k * k), q // g
    return c, 1, 1


def _num(w) -> str:
    p, r, q = exact_form(w)
    if isinstance(p, float):
        return f"{p:.6g}"
    text = str(p) if r == 1 else ("-" if p < 0 else "") + (f"{abs(p)}√{r}" if abs(p) != 1 else f"√{r}")
    return text if q == 1 else f"{text}/{q}"


def _exponent(p) -> str:
    return str(int(p)) if float(p).is_integer() else f"{p:.6g}"


def _idx(edges) -> str:
    return "[" + ",".join(edges) + "]" if edges else ""


#: index notation of each node kind
INDEX_NOTATION = KindTable("index notation")


#: while printing with named intermediates: (scheme, key -> name)
_NAMED: ContextVar = ContextVar("named", default=None)


@deep
def index_notation(t: Tensor) -> str:
    named = _NAMED.get()
    if named is not None:
        name = named[1].get(named[0].key(t))
        if name is not None:
            return name + _idx(t.edges)
    return INDEX_NOTATION(t)


@deep
def with_names(t: Tensor) -> str:
    """Index notation with repeated sub-expressions named in a trailing ``where``
    list (``p[i] p[i]  where p[i] = softmax_{i}(…)``; see :mod:`tensorgrad.naming`)."""
    scheme = _TensorScheme()
    named, defs = scheme.choose(t, _variable_names(t, set()))
    if not defs:
        return INDEX_NOTATION(t)
    token = _NAMED.set((scheme, named))
    try:
        main = index_notation(t)
        parts = [f"{name}{_idx(rep.edges)} = {INDEX_NOTATION(rep)}" for name, rep in defs]
    finally:
        _NAMED.reset(token)
    return f"{main}  where " + "; ".join(parts)


def _variable_names(t: Tensor, out: set, seen=None) -> set:
    seen = set() if seen is None else seen
    if id(t) not in seen:
        seen.add(id(t))
        if isinstance(t, Variable):
            out.add(t.name)
        for c in t.children():
            _variable_names(c, out, seen)
    return out


class _TensorScheme(Scheme):
    """Keys equal for the same tensor up to the names of its edges, free edges taken
    by position (so every occurrence prints as ``name[its own edges]``)."""

    def __init__(self):
        self.memo: dict = {}
        self.ids: dict = {}

    @staticmethod
    def children(t: Tensor) -> tuple:
        return t.children()

    def key(self, t: Tensor):
        hit = self.memo.get(id(t))
        if hit is not None:
            return hit[0]
        labels = {e: ("f", n) for n, e in enumerate(t.edges)}

        def label(e):
            return labels.setdefault(e, ("c", len(labels)))

        if isinstance(t, Variable):
            k = ("V", t.name, t.original)
        elif isinstance(t, (Delta, Zero)):
            k = (type(t).__name__, t.dim_symbols, len(t.edges))
        elif isinstance(t, Product):
            k = ("P", tuple((self.key(f), tuple(map(label, f.edges))) for f in t.factors))
        elif isinstance(t, Sum):
            k = ("S", tuple((self.key(f), tuple(map(label, f.edges)), w) for f, w in zip(t.terms, t.weights)))
        elif isinstance(t, Function):
            k = ("F", t.spec.name, t.params, self.key(t.arg), tuple(map(label, t.arg.edges)),
                 tuple(map(label, t.core)))
        else:  # a derivative: never shared
            k = ("id", id(t))
        k = self.ids.setdefault(k, len(self.ids))  # a small int: cheap to hash again
        self.memo[id(t)] = (k, t)  # keep t alive so its id stays unique
        return k

    def size(self, t: Tensor) -> int:
        hit = self.memo.get(("size", id(t)))
        if hit is None:
            hit = self.memo[("size", id(t))] = 1 + sum(self.size(c) for c in t.children())
        return hit

    def letter(self, t: Tensor, parent: Tensor) -> str | None:
        if isinstance(t, Function) and t.spec.letter:
            return t.spec.letter
        if isinstance(parent, Function) and parent.spec.name != "pow" and isinstance(t, (Product, Sum)) and t.edges:
            return PRE_ACTIVATION
        return None




@INDEX_NOTATION.register(Variable)
def _variable(t: Variable) -> str:
    return t.name + _idx(t.edges)


@INDEX_NOTATION.register(Delta)
def _delta(t: Delta) -> str:
    return f"δ{_idx(t.edges)}" if t.edges else t.dim


@INDEX_NOTATION.register(Zero)
def _zero(t: Zero) -> str:
    return "0" + _idx(t.edges)


@INDEX_NOTATION.register(Product)
def _product(t: Product) -> str:
    if not t.factors:
        return "1"
    factors, summed = _merge_copies(t)
    body = " ".join(_wrap(f) for f in factors)
    return f"Σ_{','.join(summed)} {body}" if summed else body


def _merge_copies(t: Product) -> tuple[list, list]:
    """The factors with each copy tensor (δ with 3+ edges) read as what it does: its
    edges become one index, so ``δ[a,b,c] u[b] v[c] A[a,j]`` prints as the Hadamard
    product ``Σ_a u[a] v[a] A[a,j]`` (an index on three factors is summed once, hence the
    explicit Σ) and ``δ[i,a,b] x[a] y[b]`` as ``x[i] y[i]``. A δ that joins two free
    edges (a diag) or two edges of one factor (its diagonal) stays."""
    factors, summed, kept = list(t.factors), [], set()
    while True:
        delta = next((f for f in factors if isinstance(f, Delta) and len(f.edges) >= 3 and f not in kept), None)
        if delta is None:
            return factors, summed
        kept.add(delta)
        free = [e for e in delta.edges if e in t.edges]
        if len(free) > 1:
            continue
        rep = free[0] if free else delta.edges[0]
        merged = []
        for f in factors:
            if f is delta:
                continue
            mapping = {e: rep for e in f.edges if e in delta.edges and e != rep}
            new_edges = [mapping.get(e, e) for e in f.edges]
            if len(set(new_edges)) != len(new_edges):
                break
            merged.append(f._rename(mapping) if mapping else f)
        else:
            factors = merged
            if not free:
                summed.append(rep)


@INDEX_NOTATION.register(Sum)
def _sum(t: Sum) -> str:
    out = ""
    for k, (term, w) in enumerate(zip(t.terms, t.weights)):
        body = "" if term == Product(()) else _wrap(term)
        neg = not isinstance(w, complex) and w < 0
        mag = -w if neg else w
        coef = _num(mag)
        coef = "" if coef == "1" and body else coef
        piece = (coef + " " + body).strip() if coef and body else (coef or body)
        sign = ("- " if neg else "+ ") if k else ("-" if neg else "")
        out += (" " if k else "") + sign + piece
    return out


@INDEX_NOTATION.register(Function)
def _function(t: Function) -> str:
    if t.spec.name == "pow":
        (p,) = t.params
        arg = t.arg
        if isinstance(arg, Function) and arg.spec.name == "cosh" and p < 0 and float(p).is_integer():
            return f"sech({index_notation(arg.arg)})^{_exponent(-p)}"  # tanh′ = sech², not cosh^-2
        return f"({index_notation(t.arg)})^{_exponent(t.params[0])}"
    if t.spec.name == "inverse" and set(t.core) == set(t.edges) == set(t.arg.edges):
        # tg.inverse(X) is X⁻ᵀ on X's own edge names (whatever their order)
        arg = t.arg
        return f"{arg.name}⁻ᵀ{_idx(arg.edges)}" if isinstance(arg, Variable) else f"({index_notation(arg)})⁻ᵀ"
    core = "_{" + ",".join(t.core) + "}" if t.core else ""
    return f"{t.spec.name}{core}({index_notation(t.arg)})"


@INDEX_NOTATION.register(Derivative)
def _derivative(t: Derivative) -> str:
    return f"d({index_notation(t.expr)})/d{t.var.name}{_idx(t.new_edges)}"


def _wrap(t: Tensor) -> str:
    s = index_notation(t)
    named = _NAMED.get()
    if named is not None and named[0].key(t) in named[1]:
        return s
    return f"({s})" if isinstance(t, Sum) else s


@deep
def python_repr(t: Tensor) -> str:
    """`tg.Kind(*args)`; a variable in its declared keyword form where it can be."""
    if isinstance(t, Variable):
        sym = "" if not t.symmetries else (
            ", symmetric=True" if t.symmetric else f", symmetries={list(t.symmetries)!r}")
        if not all(e.isidentifier() and e not in ("symmetric", "symmetries") for e in t.original):
            edges = t.args[1:1 + len(t.edges)]
            return f"tg.Variable({', '.join(map(_arg_repr, (t.name,) + edges))}{sym})"
        dims = "".join(f", {e}={d!r}" for e, d in zip(t.original, t.dim_symbols))
        base = f"tg.Variable({t.name!r}{dims}{sym})"
        if t.edges != t.original:
            base += f".rename({dict((o, e) for o, e in zip(t.original, t.edges) if o != e)!r})"
        return base
    return f"tg.{type(t).__name__}({', '.join(map(_arg_repr, t.args))})"


def _arg_repr(a) -> str:
    if isinstance(a, Tensor):
        return python_repr(a)
    if isinstance(a, tuple):
        inner = ", ".join(map(_arg_repr, a))
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    if isinstance(a, FunctionSpec):
        return repr(a.name)
    return repr(a)
