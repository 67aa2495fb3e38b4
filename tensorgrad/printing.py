"""Text forms of an expression: index notation (`str`) and Python that rebuilds it (`repr`).

>>> import tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> print(A @ x)
A[i,j] x[j]
>>> repr(x)
"tg.Variable('x', j='n')"
"""

from __future__ import annotations

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .functions import FunctionSpec
from .kinds import KindTable


def _num(w) -> str:
    if isinstance(w, float) and w.is_integer():
        w = int(w)
    return repr(w) if not isinstance(w, float) else f"{w:.6g}"


def _idx(edges) -> str:
    return "[" + ",".join(edges) + "]" if edges else ""


#: index notation of each node kind
INDEX_NOTATION = KindTable("index notation")


def index_notation(t: Tensor) -> str:
    return INDEX_NOTATION(t)


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
    return f"({s})" if isinstance(t, Sum) else s


def python_repr(t: Tensor) -> str:
    """`tg.Kind(*args)`; a variable in its declared keyword form where it can be."""
    if isinstance(t, Variable) and all(e.isidentifier() for e in t.original):
        dims = "".join(f", {e}={d!r}" for e, d in zip(t.original, t.dim_symbols))
        base = f"tg.Variable({t.name!r}{dims})"
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
