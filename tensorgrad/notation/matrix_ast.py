"""Notation-AST helpers of the matrix reading: transposes, costs, the read form of a product term."""

from __future__ import annotations

from dataclasses import dataclass
from ..printing import exact_form
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose, _children


class NotMatrix(Exception):
    """The expression has no matrix reading."""


# ---------------------------------------------------------------------------
# Small AST helpers
# ---------------------------------------------------------------------------


def _T(node: Node) -> Node:
    if isinstance(node, Transpose):
        return node.operand
    if (isinstance(node, Call) and node.func == "eye") or isinstance(node, Number):
        return node
    return Transpose(node)


def _transposes(node: Node) -> int:
    n = 1 if isinstance(node, Transpose) else 0
    return n + sum(_transposes(c) for c in _children(node))


def _names(node: Node) -> int:
    """Number of variable occurrences (a degree, to order terms: x'Ax + b'x + c)."""
    return (1 if isinstance(node, Name) else 0) + sum(_names(c) for c in _children(node))


def _size(node: Node) -> int:
    return 1 + sum(_size(c) for c in _children(node))


def _cost(node: Node):
    return (_transposes(node), _size(node))


def _num(w) -> Number:
    if isinstance(w, float) and w.is_integer():
        w = int(w)
    return Number(w)


def _zero(t, rows, cols) -> Node:
    """The zero of ``t``'s shape: ``0``, ``𝟎`` (``vector(0)``), ``𝟎ᵀ``, ``0I`` (square) or ``matrix(0)``."""
    if rows is None and cols is None:
        return Number(0)
    if cols is None or rows is None:
        v = Call("vector", (Number(0),))
        return v if cols is None else Transpose(v)
    if t.dims[rows] == t.dims[cols]:  # 0I keeps the two sides one dimension when parsed back
        return BinOp("*", Number(0), Call("eye"))
    return Call("matrix", (Number(0),))


def _is_recip(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op == "./" and node.left == Number(1)


def _col(node: Node) -> Node:
    """The column form of a row vector's AST (transposes pushed through ⊙ and ⊘)."""
    if isinstance(node, BinOp) and node.op in (".*", "./"):
        return BinOp(node.op, _col(node.left), _col(node.right))
    return _T(node)


def _mul(factors: list[Node]) -> Node:
    out = factors[0]
    for f in factors[1:]:
        out = BinOp("*", out, f)
    return out


# ---------------------------------------------------------------------------
# A read product: coefficient, scalar factors, a chain, denominators
# ---------------------------------------------------------------------------


@dataclass
class _Term:
    coef: float | int
    scalars: list  # scalar factor ASTs (commute)
    chain: list  # matrix/vector factor ASTs in order (empty for a scalar)
    denom: list  # scalar ASTs dividing the term

    def ast(self) -> Node:
        factors = list(self.scalars) + list(self.chain)
        denom = list(self.denom)
        # p·√r/q where the float is one up to rounding (2x/3, √2 x/2), so no float noise shows
        coef, root, q = exact_form(self.coef)
        if q > 1:
            denom = [Number(q)] + denom
        if root > 1:
            factors = [Call("sqrt", (Number(root),))] + factors
        if not factors:
            body: Node = _num(abs(coef))
        else:
            body = _mul(factors)
            if abs(coef) != 1:
                body = BinOp("*", _num(abs(coef)), body)
        if denom:
            body = BinOp("/", body, _mul(denom))
        return Neg(body) if coef < 0 else body


def _as_term(node: Node, kinds: dict) -> _Term:
    """Decompose a read product back into a _Term (for factoring sums)."""
    coef = 1
    if isinstance(node, Neg):
        t = _as_term(node.operand, kinds)
        t.coef = -t.coef
        return t
    denom: list = []
    if isinstance(node, BinOp) and node.op == "/":
        d = node.right
        denom = _flatten(d) if isinstance(d, BinOp) and d.op == "*" else [d]
        node = node.left
    factors = _flatten(node, kinds, root=True)
    scalars, chain = [], []
    for f in factors:
        if isinstance(f, Number):
            coef *= f.value
        elif kinds.get(id(f), (None, False))[1]:
            scalars.append(f)
        else:
            chain.append(f)
    return _Term(coef, scalars, chain, denom)


def _powers(factors: list) -> list:
    """X X X -> X³ in a matrix chain."""
    out: list = []
    for f in factors:
        if out and isinstance(out[-1], tuple) and out[-1][0] == f:
            out[-1] = (f, out[-1][1] + 1)
        else:
            out.append((f, 1))
    return [f if k == 1 else BinOp("^", f, Number(k)) for f, k in out]


def _flatten(node: Node, kinds: dict | None = None, root: bool = False) -> list:
    """Factors of a product; marked scalar sub-products stay whole (except the root)."""
    if isinstance(node, BinOp) and node.op == "*":
        if root or kinds is None or not kinds.get(id(node), (None, False))[1]:
            return _flatten(node.left, kinds) + _flatten(node.right, kinds)
    return [node]


def _text(node: Node) -> str:
    from .syntax import to_text

    return to_text(node)


def _sort_key(node: Node):
    rank = 0 if isinstance(node, (Name, Number)) else 1 if isinstance(node, Call) else 2
    return (rank, _text(node))
