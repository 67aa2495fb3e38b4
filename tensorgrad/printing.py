"""Text forms of an expression: index notation (`str`) and Python that rebuilds it (`repr`).

>>> import tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> print(A @ x)
A[i,j] x[j]
>>> repr(x)
"tg.Variable('x', j='n')"
"""

from __future__ import annotations

from contextvars import ContextVar

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .functions import FunctionSpec
from .kinds import KindTable
from .naming import LETTERS, PRE_ACTIVATION, Scheme


def _num(w) -> str:
    if isinstance(w, float) and w.is_integer():
        w = int(w)
    return repr(w) if not isinstance(w, float) else f"{w:.6g}"


def _idx(edges) -> str:
    return "[" + ",".join(edges) + "]" if edges else ""


#: index notation of each node kind
INDEX_NOTATION = KindTable("index notation")


#: while printing with named intermediates: (scheme, key -> name)
_NAMED: ContextVar = ContextVar("named", default=None)


def index_notation(t: Tensor) -> str:
    named = _NAMED.get()
    if named is not None:
        name = named[1].get(named[0].key(t))
        if name is not None:
            return name + _idx(t.edges)
    return INDEX_NOTATION(t)


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
        if isinstance(t, Function) and t.spec.name in LETTERS:
            return LETTERS[t.spec.name]
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
    return " ".join(_wrap(f) for f in t.factors) if t.factors else "1"


@INDEX_NOTATION.register(Sum)
def _sum(t: Sum) -> str:
    out = ""
    for k, (term, w) in enumerate(zip(t.terms, t.weights)):
        body = "" if term == Product(()) else _wrap(term)
        neg = not isinstance(w, complex) and w < 0
        mag = -w if neg else w
        coef = _num(mag) if (mag != 1 or not body) else ""
        piece = (coef + " " + body).strip() if coef and body else (coef or body)
        sign = ("- " if neg else "+ ") if k else ("-" if neg else "")
        out += (" " if k else "") + sign + piece
    return out


@INDEX_NOTATION.register(Function)
def _function(t: Function) -> str:
    if t.spec.name == "pow":
        return f"({index_notation(t.arg)})^{_num(t.params[0])}"
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
