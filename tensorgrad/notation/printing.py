r"""Print tensorgrad expressions in matrix notation (Unicode or LaTeX).

``to_matrix(grad)`` for the gradient of ``‖Ax − b‖²`` gives ``2Aᵀ(A x − b)``.

How a tensor is read as a matrix
--------------------------------
The reader needs to know which free edge is the row index and which the column
index (``rows``/``cols``). By default, following :mod:`tensorgrad.notation.parse`:

* no edges: a scalar;
* one edge: a column vector (pass ``cols=edge`` for a row vector: ``parse("x'")``
  has the single edge ``j`` and prints as ``xᵀ`` with ``cols="j"``);
* two edges: ``i`` is the row and ``j`` the column when the edges are ``{i, j}``;
  otherwise the first edge in ``t.edges`` is the row (so a Jacobian or Hessian with
  edges ``(i, i')`` reads ``∂f_i/∂x_i'``).

A variable's own orientation is its declared edge order: a 1-edge variable is a
column vector, a 2-edge variable's first declared edge is its row index.

A product network is read as matrix chains: every factor with at most two edges is
a node, contracted edges join nodes, so the network falls apart into paths (chains
``uᵀ A B v``, ``A B x``, ``A B``) and cycles (traces). Copy tensors become ``⊙`` and
``diag``. Each chain is read in the direction with the fewest transposes; sums pull
out common factors (``2AᵀA x − 2Aᵀb`` prints as ``2Aᵀ(A x − b)``).
Kronecker products
------------------
A 4-tensor with free edges ``(a, b, c, d)`` (in ``t.edges`` order) is read as a
matrix whose row index is the pair ``(a, b)`` and whose column index is the pair
``(c, d)``, flattened **row-major** (C order, the last edge of each pair varying
fastest, as ``numpy.reshape`` does)::

    T.reshape(dim(a) * dim(b), dim(c) * dim(d))

When ``T[a,b,c,d] = P[a,c] Q[b,d]`` this matrix is exactly ``np.kron(P, Q)`` and
prints as ``P ⊗ Q`` (LaTeX ``P \otimes Q``). As for matrices, the notation's edge
names win over the stored order: edges ``{i, j}`` are taken as ``(i, j)`` and
``{i', j'}`` as ``(i', j')`` (:func:`kron_edges`), so ``d Xᵀ/dX`` of a parsed ``X``
(the commutation tensor ``δ[j,i'] δ[i,j']``) is not mistaken for ``I ⊗ I``. For a derivative with edges
``(i, j, i', j')`` -- of a matrix F(X) with edges ``(i, j)`` with respect to X with
edges ``(i', j')`` -- this is ``∂ vec_r(F) / ∂ vec_r(X)`` with ``vec_r`` the row-major
(row-stacking) vectorisation. With the column-stacking ``vec`` of most matrix
calculus texts the factors swap: ``∂ vec(F)/∂ vec(X) = Q ⊗ P``. So ``dX/dX`` prints
as ``I ⊗ I`` and the Hessian of ``‖T − U Vᵀ‖²`` in U as ``2I ⊗ Vᵀ V``
(``2 Vᵀ V ⊗ I`` in column-major terms). Only genuine Kronecker products (and sums
of them) print this way; the Hessian of ``log det X``, ``−(X⁻¹)ⱼₖ(X⁻¹)ₗᵢ``, pairs the
edges the other way and stays in index notation. ``kron_convention(edges)`` is a one-line
statement of this convention (the command line prints it under a ⊗ result).

Where no matrix reading exists (3-tensors, other 4-tensors, irregular contractions),
:func:`to_matrix` falls back to index notation with implied summation, followed by
the einsum string of the network when it is a single product of leaves.

Numbers print as integers, simple fractions (``x/3``, only where parsing gives back
the same float) or their shortest round-trip ``repr``. A zero keeps its shape: ``𝟎``
(``vector(0)``), ``𝟎ᵀ``, ``0I`` (square) or ``matrix(0)``. The size of a dimension
(``tr(I)``, a copy tensor with no edges) prints as its symbol ``n``, which the parser
reads back as that size when ``shapes`` declares the dimension. ``𝟏``, ``𝟎`` and ``I``
carry no dimension, so one left untied to any variable reads back with a fresh one.

``parse(to_matrix(e))`` is equivalent to ``e`` whenever the matrix reading exists
and the variables follow the naming convention of the parser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from .parse import BinOp, Call, Name, Neg, Node, Number, Transpose, _children
from .parse import _prec as _parse_prec

__all__ = ["to_matrix", "to_latex", "to_index", "to_notation_ast", "default_roles", "KRON_CONVENTION", "kron_convention", "kron_edges"]

def kron_convention(edges=("a", "b", "c", "d")) -> str:
    """One line saying how ``P ⊗ Q`` reads for a 4-tensor with these free edges."""
    a, b, c, d = edges
    return (
        f"⊗ is row-major: T[{a},{b},{c},{d}] = P[{a},{c}] Q[{b},{d}], so T reshaped to ({a} {b})×({c} {d}) "
        "in C order is kron(P, Q); with column-stacking vec it would be kron(Q, P)"
    )


#: How a printed ``P ⊗ Q`` relates to a 4-tensor ``T`` with edges ``(a, b, c, d)``.
KRON_CONVENTION = kron_convention()


class NotMatrix(Exception):
    """The expression has no matrix reading."""


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------


def default_roles(t) -> tuple[str | None, str | None]:
    """(row edge, column edge) of ``t`` as documented in the module docstring."""
    edges = tuple(t.edges)
    if not edges:
        return None, None
    if len(edges) == 1:
        return edges[0], None
    if len(edges) == 2:
        if set(edges) == {"i", "j"}:
            return "i", "j"
        return edges[0], edges[1]
    raise NotMatrix(f"{len(edges)} free edges")


def _check_roles(t, rows, cols):
    want = {e for e in (rows, cols) if e is not None}
    if rows is not None and rows == cols:
        raise ValueError(f"rows and cols must be different edges, both are {rows!r}")
    if want != set(t.edges):
        raise ValueError(f"rows={rows!r}, cols={cols!r} must name exactly the free edges {tuple(t.edges)} of the expression")


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
        coef = self.coef
        denom = list(self.denom)
        if not float(coef).is_integer():
            frac = Fraction(coef).limit_denominator(1000)
            # only when parsing `p x/q` (p times x times 1/q) gives back exactly coef
            if frac.denominator > 1 and frac.numerator * (1.0 / frac.denominator) == coef:
                coef = frac.numerator
                denom = [Number(frac.denominator)] + denom
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


# ---------------------------------------------------------------------------
# Virtual factors of a product network (each with at most two edges)
# ---------------------------------------------------------------------------


@dataclass
class _VF:
    edges: tuple
    render: Callable  # (row edge or None, column edge or None) -> AST
    identity: bool = False
    ones: bool = False


class _Reader:
    def __init__(self):
        from .. import expr as ex

        self.ex = ex
        self.memo: dict = {}
        self.kinds: dict = {}  # id(ast) -> (ast, is_scalar)

    def mark(self, node: Node, scalar: bool) -> Node:
        self.kinds[id(node)] = (node, scalar)
        return node

    # -- entry
    def read(self, t, rows, cols) -> Node:
        key = (id(t), rows, cols)
        hit = self.memo.get(key)
        if hit is not None:
            return hit[1]
        best = self._read(t, rows, cols)
        ex = self.ex
        if (rows is not None or cols is not None) and not isinstance(t, (ex.Variable, ex.Delta, ex.Zero)):
            try:
                swapped = _T(self._read(t, cols, rows))
            except NotMatrix:
                swapped = None
            if swapped is not None and _cost(swapped) < _cost(best):
                best = swapped
        self.mark(best, rows is None and cols is None)
        self.memo[key] = (t, best)
        return best

    def _read(self, t, rows, cols) -> Node:
        ex = self.ex
        if isinstance(t, ex.Variable):
            return self.variable(t, rows, cols)
        if isinstance(t, ex.Delta):
            if not t.edges:
                return Name(t.dim)
            if len(t.edges) == 1:
                v = Call("vector", (Number(1),))
                return v if rows is not None else Transpose(v)
            if len(t.edges) == 2:
                return Call("eye")
            raise NotMatrix("a copy tensor with three or more free edges")
        if isinstance(t, ex.Zero):
            return _zero(t, rows, cols)
        if isinstance(t, ex.Sum):
            return self.sum(t, rows, cols)
        if isinstance(t, ex.Function):
            return self.function(t, rows, cols)
        if isinstance(t, ex.Product):
            return self.product(t, rows, cols)
        raise NotMatrix(f"a {type(t).__name__} node")

    def variable(self, t, rows, cols) -> Node:
        name = Name(t.name)
        if len(t.edges) == 0:
            return name
        if len(t.edges) == 1:
            return name if rows == t.edges[0] else Transpose(name)
        if len(t.edges) == 2:
            return name if (rows, cols) == tuple(t.edges) else Transpose(name)
        raise NotMatrix(f"variable {t.name!r} has {len(t.edges)} edges")

    # -- sums (with common factors pulled out)
    def sum(self, t, rows, cols) -> Node:
        terms = []
        for term, w in zip(t.terms, t.weights):
            if isinstance(w, complex):
                raise NotMatrix("complex weight")
            node = self.read(term, rows, cols)
            tm = _as_term(node, self.kinds)
            tm.coef *= w
            terms.append(tm)
        return self.combine(terms, rows is None and cols is None, _zero(t, rows, cols))

    def combine(self, terms: list[_Term], scalar: bool, zero: Node = Number(0)) -> Node:
        terms = [tm for tm in terms if tm.coef != 0]
        if not terms:
            return zero
        if len(terms) == 1:
            return self.mark(terms[0].ast(), scalar)
        outer = _Term(1, [], [], [])
        # common scalar factors and denominators
        for attr in ("scalars", "denom"):
            for f in list(getattr(terms[0], attr)):
                if all(f in getattr(tm, attr) for tm in terms[1:]):
                    getattr(outer, attr).append(f)
                    for tm in terms:
                        getattr(tm, attr).remove(f)
        # common leading / trailing chain factors (each term keeps a non-empty chain)
        left, right = [], []
        while all(len(tm.chain) >= 2 for tm in terms) and all(tm.chain[0] == terms[0].chain[0] for tm in terms):
            left.append(terms[0].chain[0])
            for tm in terms:
                tm.chain.pop(0)
        while all(len(tm.chain) >= 2 for tm in terms) and all(tm.chain[-1] == terms[0].chain[-1] for tm in terms):
            right.insert(0, terms[0].chain[-1])
            for tm in terms:
                tm.chain.pop()
        # a common numeric factor
        coefs = [tm.coef for tm in terms]
        if all(float(c).is_integer() for c in coefs):
            g = 0
            for c in coefs:
                g = math.gcd(g, int(abs(c)))
            if all(c < 0 for c in coefs):
                g = -g
            if g not in (0, 1):
                outer.coef = g
                for tm in terms:
                    tm.coef = int(tm.coef) // g
        # a fixed order, whatever the order of the terms in the network: positive
        # terms first, then by text
        terms.sort(key=lambda tm: (tm.coef < 0, -_names(tm.ast()), _text(tm.ast()).lstrip("-")))
        inner: Node | None = None
        for tm in terms:
            node = tm.ast()
            if inner is None:
                inner = node
            elif isinstance(node, Neg):
                inner = BinOp("-", inner, node.operand)
            else:
                inner = BinOp("+", inner, node)
        assert inner is not None
        if not (outer.scalars or outer.denom or left or right) and outer.coef == 1:
            return self.mark(inner, scalar)
        outer.chain = left + [inner] + right
        self.mark(inner, scalar and not left and not right)
        return self.mark(outer.ast(), scalar)

    # -- functions
    def function(self, t, rows, cols) -> Node:
        name = t.spec.name
        if not t.core:
            if name == "pow":
                return self.power(t, rows, cols)
            if rows is None and cols is not None:  # a row vector: f(u)ᵀ
                return _T(Call(name, (self.read(t.arg, cols, None),)))
            return Call(name, (self.read(t.arg, rows, cols),))
        arg = t.arg
        if name in ("softmax", "logsumexp") and len(t.core) == 1 and len(arg.edges) == 1:
            if name == "softmax":
                if rows is None:
                    return _T(Call(name, (self.read(arg, cols, None),)))
                return Call(name, (self.read(arg, rows, cols),))
            return Call(name, (self.read(arg, t.core[0], None),))
        if name in ("det", "logdet") and len(t.core) == 2 and len(arg.edges) == 2:
            return Call(name, (self.read(arg, t.core[0], t.core[1]),))
        if name in ("inverse", "inv") and len(arg.edges) == 2 and set(t.edges) == set(arg.edges):
            # tg.inverse(X) read with rows e0, cols e1 is inv(X)ᵀ = inv(Xᵀ)
            return Call("inv", (self.read(arg, cols, rows),))
        raise NotMatrix(f"function {name!r} along {t.core}")

    def norm_base(self, arg):
        """``u`` if ``arg`` is the full contraction u·u of a tensor with itself, else None."""
        ex = self.ex
        if isinstance(arg, ex.Product) and not arg.edges and len(arg.factors) == 2:
            a, b = arg.factors
            if a == b and 1 <= len(a.edges) <= 2:
                return a
        return None

    def power(self, t, rows, cols) -> Node:
        (p,) = t.params
        if t.arg.edges:  # elementwise power of a vector / matrix
            if p == -1:
                return BinOp("./", Number(1), self.read(t.arg, rows, cols))
            return BinOp(".^", self.read(t.arg, rows, cols), _num(p))
        base = self.norm_base(t.arg)
        if base is not None:
            e = base.edges
            node = Call("norm2", (self.read(base, *((e[0], None) if len(e) == 1 else (e[0], e[1]))),))
            p = 2 * p
        else:
            node = self.read(t.arg, None, None)
            if isinstance(node, BinOp) and node.op == "^" and isinstance(node.left, Call) and node.left.func == "norm2":
                node, p = node.left, p * node.right.value
        if p == 1:
            return node
        if p == 0.5:
            return Call("sqrt", (node,))
        if p < 0:
            inv = node if p == -1 else (Call("sqrt", (node,)) if p == -0.5 else BinOp("^", node, _num(-p)))
            return BinOp("/", Number(1), inv)
        return BinOp("^", node, _num(p))

    # -- Kronecker products (4-tensors; see the module docstring for the convention)
    def kron(self, t, a, b, c, d) -> Node:
        """``P ⊗ Q`` when ``T[a,b,c,d] = P[a,c] Q[b,d]`` (or a sum of such terms)."""
        nodes = []
        for coef, p, q in self.kron_terms(t, a, b, c, d):  # handles sums of such terms too
            if coef == 0:
                continue
            tm = _as_term(p, self.kinds)
            tm.coef *= coef
            sign = -1 if tm.coef < 0 else 1
            tm.coef = abs(tm.coef)
            nodes.append((sign, Call("kron", (tm.ast(), q))))
        if not nodes:
            return Number(0)
        nodes.sort(key=lambda sn: (sn[0] < 0, _text(sn[1])))
        sign, out = nodes[0]
        if sign < 0:  # the sign goes into the first factor: −P ⊗ Q
            p, q = out.args
            out = Call("kron", (Neg(p) if not isinstance(p, Neg) else p.operand, q))
        for sign, node in nodes[1:]:
            out = BinOp("+" if sign > 0 else "-", out, node)
        return out

    def kron_terms(self, t, a, b, c, d) -> list:
        """[(coefficient, P AST, Q AST)] for one term, or NotMatrix."""
        ex = self.ex
        if isinstance(t, ex.Sum):
            out = []
            for term, w in zip(t.terms, t.weights):
                if isinstance(w, complex):
                    raise NotMatrix("complex weight")
                out.extend((w * c0, p, q) for c0, p, q in self.kron_terms(term, a, b, c, d))
            return out
        if not isinstance(t, ex.Product):
            raise NotMatrix("a 4-tensor that is not a product")
        factors = list(t.factors)
        # connected components of the network (factors joined by contracted edges)
        parent = list(range(len(factors)))

        def find(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        owner: dict[str, int] = {}
        for k, f in enumerate(factors):
            for e in f.edges:
                if e in owner:
                    parent[find(k)] = find(owner[e])
                else:
                    owner[e] = k
        side: dict[int, str] = {}
        for e, s in ((a, "P"), (c, "P"), (b, "Q"), (d, "Q")):
            r = find(owner[e])
            if side.setdefault(r, s) != s:
                raise NotMatrix("not a Kronecker product: the row and column pairs are joined")
        p_f = [f for k, f in enumerate(factors) if side.get(find(k), "P") == "P"]  # scalars go to P
        q_f = [f for k, f in enumerate(factors) if side.get(find(k)) == "Q"]
        p = self.read(ex.Product(p_f, (a, c)), a, c)
        q = self.read(ex.Product(q_f, (b, d)), b, d)
        self.mark(p, False)
        self.mark(q, False)
        return [(1, p, q)]

    # -- products: chains and cycles
    def product(self, t, rows, cols) -> Node:
        ex = self.ex
        factors = list(t.factors)
        if not factors:
            return Number(1)
        free = set(t.edges)
        owner: dict[str, list[int]] = {}
        for k, f in enumerate(factors):
            for e in f.edges:
                owner.setdefault(e, []).append(k)

        def partner(e, k):
            ks = [j for j in owner.get(e, []) if j != k]
            return ks[0] if ks else None

        vfs: dict[int, _VF] = {}
        used: set[int] = set()
        # copy tensors with three or more edges: ⊙ and diag
        for k, f in enumerate(factors):
            if isinstance(f, ex.Delta) and len(f.edges) >= 3:
                used.add(k)
        copies = sorted(used)
        for k in copies:
            if k not in vfs:
                self.copy_tensor(k, factors, partner, vfs, used)
        for k, f in enumerate(factors):
            if k in used:
                continue
            if len(f.edges) > 2:
                raise NotMatrix("a factor with more than two edges")
            is_delta = isinstance(f, ex.Delta)
            vfs[k] = _VF(tuple(f.edges), self.renderer(f), is_delta and len(f.edges) == 2, is_delta and len(f.edges) == 1)
        return self.assemble(list(vfs.values()), free, rows, cols)

    def scalar_path(self, seq, rseq, render) -> Node:
        """uᵀ M v read in the cheaper direction; 𝟏ᵀ u as sum(u); uᵀMᵀM u as ‖M u‖²."""
        for s in (seq, rseq):
            if s[0][0].ones and len(s) > 1:
                return Call("sum", (_mul(render(s[1:])),))
        options = [render(seq), render(rseq)]
        fs = options[0]  # a row times a column
        if len(fs) == 2 and any(_is_recip(f) for f in fs):  # uᵀ(𝟏 ⊘ w) as sum(u ⊘ w)
            u, w = (_col(fs[0]), fs[1].right) if _is_recip(fs[1]) else (fs[1], _col(fs[0]).right)
            return Call("sum", (BinOp("./", u, w),))
        for fs in options:
            k = len(fs) // 2
            if len(fs) % 2 == 0 and all(fs[k + i] == _T(fs[k - 1 - i]) for i in range(k)):
                return BinOp("^", Call("norm2", (_mul(fs[k:]),)), Number(2))
        best = min(options, key=lambda fs: (_cost(_mul(fs)), _text(_mul(fs))))
        return _mul(best)

    def frobenius(self, options) -> Node | None:
        """tr(M Mᵀ) as ‖M‖²."""
        for fs in options:
            k = len(fs) // 2
            if len(fs) % 2 == 0 and all(fs[k + i] == _T(fs[k - 1 - i]) for i in range(k)):
                m = _mul(fs[:k])
                alt = _mul([_T(f) for f in reversed(fs[:k])])
                return BinOp("^", Call("norm2", (min((m, alt), key=lambda n: (_cost(n), _text(n))),)), Number(2))
        return None

    def renderer(self, f):
        return lambda r, c: self.read(f, r, c)

    def vector_path(self, e, j, factors, partner, used):
        """Factor indices of a chain that hangs off edge ``e`` at factor ``j`` and ends
        in a vector (so it reads as a column vector with row edge ``e``), else None."""
        ex = self.ex
        path, inn = [], e
        while True:
            f = factors[j]
            if j in used or j in path or (isinstance(f, ex.Delta) and len(f.edges) >= 3) or len(f.edges) > 2:
                return None
            path.append(j)
            if len(f.edges) == 1:
                return path
            (out,) = [x for x in f.edges if x != inn]
            nxt = partner(out, j)
            if nxt is None:
                return None
            j, inn = nxt, out

    def copy_tensor(self, k, factors, partner, vfs, used):
        ex = self.ex
        d = factors[k]
        links = [(e, partner(e, k)) for e in d.edges]
        # operands that are vectors along the copy tensor: 1-edge factors, and
        # 2-edge factors with both edges on it (their diagonal)
        operands, absorbed, rest = [], [], []
        for e, j in links:
            if j is None or j in used:
                rest.append(e)
                continue
            f = factors[j]
            path = self.vector_path(e, j, factors, partner, used)
            if len(f.edges) == 1:
                operands.append(lambda f=f: self.read(f, f.edges[0], None))
                absorbed.append(j)
            elif path is not None:
                sub = ex.Product([factors[i] for i in path], (e,))
                operands.append(lambda sub=sub, e=e: self.read(sub, e, None))
                absorbed.extend(path)
            elif len(f.edges) == 2 and all(partner(e2, j) == k for e2 in f.edges):
                if j not in absorbed:
                    ea, eb = f.edges

                    def diag_of(f=f, ea=ea, eb=eb):
                        inner = min((self.read(f, ea, eb), self.read(f, eb, ea)), key=lambda n: (_cost(n), _text(n)))
                        return Call("diag", (inner,))

                    operands.append(diag_of)
                    absorbed.append(j)
            else:
                rest.append(e)
        if operands and len(rest) <= 2:

            def hadamard(ops=tuple(operands)):
                nodes = [op() for op in ops]
                recip = [n for n in nodes if isinstance(n, BinOp) and n.op == "./" and n.left == Number(1)]
                plain = [n for n in nodes if not any(n is r for r in recip)]
                node = plain[0] if plain else recip.pop(0)
                for n in plain[1:]:
                    node = BinOp(".*", node, n)
                for n in recip:
                    node = BinOp("./", node, n.right)
                return node

            if len(rest) == 2:
                vfs[k] = _VF(tuple(rest), lambda r, c, h=hadamard: Call("diag", (h(),)))
            elif len(rest) == 1:
                vfs[k] = _VF(tuple(rest), lambda r, c, h=hadamard: h() if r is not None else _T(h()))
            else:
                vfs[k] = _VF((), lambda r, c, h=hadamard: Call("sum", (h(),)))
            used.update(absorbed)
            return
        if len(d.edges) != 3:
            raise NotMatrix("a copy tensor that is neither ⊙ nor diag")
        # M ⊙ N: two copy tensors joining the same two matrices
        mats = [(e, j) for e, j in links if j is not None and len(factors[j].edges) == 2 and j not in used]
        if len(mats) == 2:
            (ea, ja), (eb, jb) = mats
            (eo,) = [e for e, _ in links if e not in (ea, eb)]
            m, n = factors[ja], factors[jb]
            ma = [e for e in m.edges if e != ea][0]
            nb = [e for e in n.edges if e != eb][0]
            # the other copy tensor must join ma and nb
            for k2 in range(len(factors)):
                d2 = factors[k2]
                if k2 != k and k2 not in vfs and isinstance(d2, ex.Delta) and len(d2.edges) == 3 and ma in d2.edges and nb in d2.edges:
                    (eo2,) = [e for e in d2.edges if e not in (ma, nb)]

                    def hm(r, c, m=m, n=n, ea=ea, eb=eb, ma=ma, nb=nb, eo=eo):
                        if r == eo:
                            return BinOp(".*", self.read(m, ea, ma), self.read(n, eb, nb))
                        return BinOp(".*", self.read(m, ma, ea), self.read(n, nb, eb))

                    vfs[k] = _VF((eo, eo2), hm)
                    vfs[k2] = _VF((), None)  # absorbed
                    used.update((ja, jb, k2))
                    return
        raise NotMatrix("a copy tensor that is neither ⊙ nor diag")

    def assemble(self, vfs: list[_VF], free: set, rows, cols) -> Node:
        vfs = [v for v in vfs if v.render is not None]
        scalars: list[Node] = []
        denom: list[Node] = []
        coef = 1
        nodes = []
        for v in vfs:
            if not v.edges:
                s = v.render(None, None)
                self.mark(s, True)
                if isinstance(s, Number):
                    coef *= s.value
                elif isinstance(s, BinOp) and s.op == "/" and s.left == Number(1):
                    denom.append(s.right)
                elif isinstance(s, Neg):
                    coef = -coef
                    scalars.append(s.operand)
                else:
                    scalars.append(s)
            else:
                nodes.append(v)
        where: dict[str, list[int]] = {}
        for k, v in enumerate(nodes):
            for e in v.edges:
                where.setdefault(e, []).append(k)

        def nxt(k, e):
            ks = [j for j in where[e] if j != k] if e in where else []
            if len(where.get(e, [])) == 2 and where[e][0] == where[e][1]:
                raise NotMatrix("an edge contracted within one factor")
            return ks[0] if ks else None

        seen: set[int] = set()

        def walk(k, inn):
            """Chain starting at node k entered through edge ``inn`` (None: a vector end)."""
            seq = []
            while True:
                seen.add(k)
                v = nodes[k]
                rest = [e for e in v.edges if e != inn]
                out = rest[0] if rest else None
                seq.append((v, inn, out))
                if out is None or out in free:
                    return seq
                k2 = nxt(k, out)
                if k2 is None:
                    raise NotMatrix(f"dangling edge {out!r}")
                if k2 in seen:
                    return seq + [("cycle", k2, out)]
                k, inn = k2, out

        def rev(seq):
            return [(v, out, inn) for v, inn, out in reversed(seq)]

        def render(seq):
            parts = [v.render(inn, out) for v, inn, out in seq]
            keep = [p for p, (v, _, _) in zip(parts, seq) if not v.identity]
            return _powers(keep or parts[:1])

        row_chain: list[Node] = []
        col_chain: list[Node] = []
        if rows is not None:
            (k,) = where[rows]
            seq = walk(k, rows)
            end = seq[-1][2]
            if seq[-1][0] == "cycle" or (end is not None and end != cols):
                raise NotMatrix("irregular contraction")
            row_chain = render(seq)
        if cols is not None and cols not in [o for _, _, o in (seq if rows is not None else [])]:
            (k,) = where[cols]
            seq = walk(k, cols)
            if seq[-1][0] == "cycle" or seq[-1][2] is not None:
                raise NotMatrix("irregular contraction")
            col_chain = render(rev(seq))
        # the remaining components: vector-to-vector paths (scalars) and cycles (traces)
        for k0 in range(len(nodes)):
            if k0 in seen:
                continue
            comp, todo = set(), [k0]
            while todo:
                k = todo.pop()
                if k in comp:
                    continue
                comp.add(k)
                for e in nodes[k].edges:
                    j = nxt(k, e)
                    if j is None:
                        raise NotMatrix(f"dangling edge {e!r}")
                    todo.append(j)
            ends = [k for k in comp if len(nodes[k].edges) == 1]
            if ends:
                seq = walk(min(ends), None)
                if seq[-1][0] == "cycle" or seq[-1][2] is not None:
                    raise NotMatrix("irregular contraction")
                scalars.append(self.mark(self.scalar_path(seq, rev(seq), render), True))
            else:
                start = min(comp)
                seq = walk(start, nodes[start].edges[0])
                if seq[-1][0] != "cycle":
                    raise NotMatrix("irregular contraction")
                seq = seq[:-1]
                options = []
                for cand in (seq, rev(seq)):
                    fs = render(cand)
                    for r in range(len(fs)):  # rotate to start at an untransposed factor
                        options.append(fs[r:] + fs[:r])
                best = min(options, key=lambda fs: (_cost(_mul(fs)), isinstance(fs[0], Transpose), _text(_mul(fs))))
                scalars.append(self.mark(self.frobenius(options) or Call("tr", (_mul(best),)), True))
        chain = row_chain + col_chain
        for c in chain:
            self.mark(c, False)
        term = _Term(coef, sorted(scalars, key=_sort_key), chain, denom)
        node = term.ast()
        return node


def _text(node: Node) -> str:
    from .parse import to_text

    return to_text(node)


def _sort_key(node: Node):
    rank = 0 if isinstance(node, (Name, Number)) else 1 if isinstance(node, Call) else 2
    return (rank, _text(node))


# ---------------------------------------------------------------------------
# Renderers: one AST walk (_Renderer), Unicode and LaTeX symbols and hooks
# ---------------------------------------------------------------------------

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _is_kron(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "kron"


def _prec(node: Node) -> float:
    """The parser's precedence, plus a level for ``⊗``: looser than products, tighter
    than sums (``A B ⊗ C + D ⊗ E``); the parser's text spells it ``kron(…)``, an atom."""
    return 1.5 if _is_kron(node) else _parse_prec(node)


def _fmt_number(v) -> str:
    """Integers as such, other floats as their shortest round-trip ``repr`` (so that
    parsing the text gives back the very same float; simple fractions are printed as
    ``x/3`` by :class:`_Term`)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        v = int(v)
    return repr(v) if isinstance(v, float) else str(v)


def _is_int(node: Node):
    if isinstance(node, Number) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, Neg) and isinstance(node.operand, Number) and float(node.operand.value).is_integer():
        return -int(node.operand.value)
    return None


class _Renderer:
    """The walk shared by both notations. Subclasses give the symbol table ``SYM``
    and the brackets ``OPEN``/``CLOSE``, and override the hooks ``number``, ``name``,
    ``special`` and ``head`` and define ``juxtapose``, ``divide`` and ``power`` where
    the two notations differ in more than a symbol."""

    SYM: dict[str, str] = {}  # keys: + - .* ./ kron T invT inv one norm( norm)
    OPEN, CLOSE = "(", ")"
    PAREN_RIGHT = (".*", "./")  # binary ops bracketed as the right factor of a product

    def __call__(self, node: Node) -> str:
        return self.r(node)

    def paren(self, s: str) -> str:
        return f"{self.OPEN}{s}{self.CLOSE}"

    def wrap(self, node: Node, below: float) -> str:
        s = self.r(node)
        return self.paren(s) if _prec(node) < below else s

    def r(self, node: Node) -> str:
        sym = self.SYM
        if isinstance(node, Number):
            return self.number(node.value)
        if isinstance(node, Name):
            return self.name(node.id)
        if isinstance(node, Neg):
            return sym["-"] + self.wrap(node.operand, 2)
        if isinstance(node, Transpose):
            inner = node.operand
            if isinstance(inner, Call) and inner.func == "inv":
                return self.wrap(inner.args[0], 10) + sym["invT"]
            return self.wrap(inner, 10) + sym["T"]
        if isinstance(node, Call):
            return self.call(node)
        assert isinstance(node, BinOp)
        op = node.op
        if op in ("+", "-"):
            right = self.r(node.right) if _is_kron(node.right) else self.wrap(node.right, 2)
            return f"{self.r(node.left)} {sym[op]} {right}"
        if op == "*":
            left, right = self.wrap(node.left, 2), self.wrap(node.right, 2)
            if isinstance(node.left, BinOp) and node.left.op in (".*", "./"):
                left = self.paren(left)  # (1 ⊘ u)ᵀv, not 1 ⊘ uᵀ v (a 1 ⊘ … after a factor is no product)
            if isinstance(node.right, BinOp) and node.right.op in self.PAREN_RIGHT:
                right = self.paren(right)
            return self.juxtapose(left, right)
        if op == "/":
            return self.divide(node)
        if op in (".*", "./"):
            return f"{self.wrap(node.left, 2)} {sym[op]} {self.wrap(node.right, 3)}"
        if op in ("^", ".^"):
            return self.power(node)
        raise TypeError(op)

    def call(self, node: Call) -> str:
        f, args, sym = node.func, node.args, self.SYM
        if f == "eye":
            return "I"
        if f == "kron":
            return f"{self.wrap(args[0], 2)} {sym['kron']} {self.wrap(args[1], 2)}"
        if f == "vector" and _is_int(args[0]) == 1:
            return sym["one"]
        if f == "norm2":
            return f"{sym['norm(']}{self.r(args[0])}{sym['norm)']}"
        if f == "inv":
            if isinstance(args[0], Transpose):
                return self.wrap(args[0].operand, 10) + sym["invT"]
            return self.wrap(args[0], 10) + sym["inv"]
        out = self.special(f, args)
        if out is not None:
            return out
        return self.head(f) + self.paren(", ".join(self.r(a) for a in args))

    # hooks
    def number(self, v) -> str:
        return _fmt_number(v)

    def name(self, s: str) -> str:
        return s

    def special(self, f: str, args) -> str | None:
        """A notation's own spelling of the call ``f(args)``, or None for ``head(args)``."""
        return None

    def head(self, f: str) -> str:
        return f


class _Unicode(_Renderer):
    SYM = {"+": "+", "-": "−", ".*": "⊙", "./": "⊘", "kron": "⊗", "T": "ᵀ", "invT": "⁻ᵀ", "inv": "⁻¹",
           "one": "𝟏", "norm(": "‖", "norm)": "‖"}
    PAREN_RIGHT = ("/", ".*", "./")  # A (x/y), not A x/y

    def juxtapose(self, left: str, right: str) -> str:
        return _juxtapose(left, right)

    def divide(self, node: BinOp) -> str:
        return f"{self.wrap(node.left, 2)}/{self.wrap(node.right, 3)}"

    def power(self, node: BinOp) -> str:
        if node.op == ".^":
            return f"{self.wrap(node.left, 5)}.^{self.wrap(node.right, 10)}"
        p = _is_int(node.right)
        base = self.wrap(node.left, 5)
        if base[-1] in _SUPERSCRIPTS:
            base = f"({base})"
        if p is not None:
            return base + str(p).translate(_SUP)
        return f"{base}^{self.wrap(node.right, 10)}"

    def special(self, f: str, args) -> str | None:
        if f == "vector" and _is_int(args[0]) == 0:
            return "𝟎"
        return None

    def head(self, f: str) -> str:
        return "log det" if f == "logdet" else f


_SUPERSCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ")


def _juxtapose(left: str, right: str) -> str:
    a, b = left[-1], right[0]
    if b == "(" and _trailing_name(left):  # `mu (x + y)`: a space, or `mu(` reads as a call
        return f"{left} {right}"
    b = "𝟏" if b == "𝟎" else b
    a = "𝟏" if a == "𝟎" else a
    if a in _SUPERSCRIPTS and a != "ᵀ" and (b.isalnum() or b == "𝟏"):
        return f"{left} {right}"
    if (a.isalnum() or a == "_") and (b.isalnum() or b == "_" or b == "𝟏"):
        number = not (_trailing_name(left) or left[-2:-1].isalpha() or left[-2:-1] == "_")  # 2A, not e1 x
        if number and a.isdigit() and not b.isdigit() and b != "_" and not (b in "eE" and right[1:2].isdigit()):
            return left + right  # 2A (but 2 e1, not the number 2e1)
        return f"{left} {right}"
    if a == "𝟏" and (b.isalnum() or b == "𝟏"):
        return f"{left} {right}"
    return left + right


def _trailing_name(text: str) -> bool:
    """Does ``text`` end in an identifier of two or more characters?"""
    k = len(text)
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_") and text[k - 1] not in _SUPERSCRIPTS:
        k -= 1
    name = text[k:]
    return len(name) > 1 and not name[0].isdigit() and not (k > 0 and text[k - 1] == ".")


_LATEX_FUNCS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
    "det": r"\det", "logdet": r"\log\det", "tr": r"\operatorname{tr}", "diag": r"\operatorname{diag}",
    "sum": r"\operatorname{sum}", "abs": r"\operatorname{abs}", "sign": r"\operatorname{sign}",
    "relu": r"\operatorname{relu}", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}",
    "logsumexp": r"\operatorname{logsumexp}", "norm1": None,
}

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "η": r"\eta",
    "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi", "ω": r"\omega", "Θ": r"\Theta", "Σ": r"\Sigma",
    "Λ": r"\Lambda", "Φ": r"\Phi", "Ω": r"\Omega",
}


class _Latex(_Renderer):
    SYM = {"+": "+", "-": "-", ".*": r"\odot", "./": r"\oslash", "kron": r"\otimes", "T": r"^{\top}",
           "invT": r"^{-\top}", "inv": "^{-1}", "one": r"\mathbf{1}", "norm(": r"\left\|", "norm)": r"\right\|"}
    OPEN, CLOSE = r"\left(", r"\right)"

    def number(self, v) -> str:
        text = _fmt_number(v)
        if "e" in text:  # 1e-05 -> 1 \cdot 10^{-5}
            mant, exp = text.split("e")
            return rf"{mant} \cdot 10^{{{int(exp)}}}"
        return text

    def name(self, s: str) -> str:
        if s in _GREEK:
            return _GREEK[s]
        out = "".join(_GREEK.get(ch, ch) for ch in s)
        if len(s) > 1 and s.isalpha() and s.isascii():
            return rf"\mathrm{{{s}}}"
        return out

    def juxtapose(self, left: str, right: str) -> str:
        sep = " " if (left[-1].isalnum() and (right[0].isalnum() or right[0] == "\\")) else ""
        if left[-1].isdigit() and right[0].isdigit():
            sep = r" \cdot "
        return left + sep + right

    def divide(self, node: BinOp) -> str:
        return rf"\frac{{{self.r(node.left)}}}{{{self.r(node.right)}}}"

    def power(self, node: BinOp) -> str:
        circ = r"\circ " if node.op == ".^" else ""
        return f"{self.wrap(node.left, 5)}^{{{circ}{self.r(node.right)}}}"

    def special(self, f: str, args) -> str | None:
        if f in ("vector", "matrix"):
            return r"\mathbf{0}" if _is_int(args[0]) == 0 else rf"{self.r(args[0])}\,\mathbf{{1}}"
        if f == "norm1":
            return rf"\left\|{self.r(args[0])}\right\|_1"
        if f == "sqrt":
            return rf"\sqrt{{{self.r(args[0])}}}"
        if f == "abs":
            return rf"\left|{self.r(args[0])}\right|"
        return None

    def head(self, f: str) -> str:
        return _LATEX_FUNCS.get(f) or rf"\operatorname{{{f}}}"


# ---------------------------------------------------------------------------
# Index notation fallback
# ---------------------------------------------------------------------------


def _index_lhs(t) -> str:
    return "T[" + ",".join(t.edges) + "]" if t.edges else "T"


def to_index(t) -> str:
    """Index notation with implied summation, and the einsum string when ``t`` is a
    single product of variables and copy tensors."""
    from .. import expr as ex

    body = str(t)
    text = f"{_index_lhs(t)} = {body}"
    spec = _einsum(t, ex)
    if spec:
        text += f"\neinsum: {spec}"
    return text


def _einsum(t, ex) -> str | None:
    core = t
    if isinstance(core, ex.Sum) and len(core.terms) == 1:
        core = core.terms[0]
    if isinstance(core, ex.Variable):
        core = ex.Product([core], core.edges)
    if not isinstance(core, ex.Product):
        return None
    letters: dict[str, str] = {}
    taken: set[str] = set()
    pool = iter("ijklmnopqrstuvwxyzabcdefghABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def letter(e):
        if e not in letters:
            if len(e) == 1 and e.isascii() and e.isalpha() and e not in taken:
                letters[e] = e
            else:
                c = next(pool)
                while c in taken or c in letters:
                    c = next(pool)
                letters[e] = c
            taken.add(letters[e])
        return letters[e]

    operands, names = [], []
    for f in core.factors:
        for e in f.edges:
            if len(e) == 1 and e.isascii() and e.isalpha() and e not in letters:
                letters[e] = e
                taken.add(e)
    try:
        for e in core.edges:
            letter(e)
        for f in core.factors:
            if isinstance(f, ex.Variable):
                operands.append("".join(letter(e) for e in f.edges))
                names.append(f.name)
            elif isinstance(f, ex.Delta) and len(f.edges) == 2:
                operands.append("".join(letter(e) for e in f.edges))
                names.append("I")
            else:
                return None
    except StopIteration:
        return None
    out = "".join(letters[e] for e in core.edges)
    return f"{','.join(operands)}->{out}  ({', '.join(names)})"


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def _check(t):
    from .. import expr as ex

    if not isinstance(t, ex.Tensor):
        raise TypeError(f"expected a tensorgrad expression, got {type(t).__name__}")


def kron_edges(t) -> tuple:
    """The free edges ``(a, b, c, d)`` of a 4-tensor in the order its Kronecker
    reading uses: ``t.edges``, except that ``{i, j}`` is ``(i, j)`` and ``{i', j'}``
    is ``(i', j')``."""
    a, b, c, d = t.edges
    if {a, b} == {"i", "j"}:
        a, b = "i", "j"
    if {c, d} == {"i'", "j'"}:
        c, d = "i'", "j'"
    return a, b, c, d


def _read(t, rows, cols) -> Node:
    """The matrix reading (NotMatrix if none); a 4-tensor with default roles is read
    as a Kronecker product."""
    if rows is None and cols is None:
        if len(t.edges) == 4:
            return _Reader().kron(t, *kron_edges(t))
        rows, cols = default_roles(t)
    else:
        _check_roles(t, rows, cols)
    return _Reader().read(t, rows, cols)


def to_notation_ast(t, rows=None, cols=None) -> Node:
    """The matrix reading of ``t`` as a notation AST; raises ``ValueError`` if none exists."""
    _check(t)
    try:
        return _read(t, rows, cols)
    except NotMatrix as e:
        raise ValueError(f"no matrix reading of this expression ({e}); use to_index") from None


def _render(t, rows, cols, renderer, simplify: bool) -> str:
    _check(t)
    if simplify:
        t = t.simplify()
    try:
        node = _read(t, rows, cols)
    except NotMatrix:
        return None  # type: ignore[return-value]
    return renderer(node)


def to_matrix(t, rows: str | None = None, cols: str | None = None, simplify: bool = True) -> str:
    """Matrix notation of ``t`` as Unicode text (``2Aᵀ(A x − b)``).

    ``rows``/``cols`` choose the edges read as row and column index (see the module
    docstring for the defaults). The expression is simplified first unless
    ``simplify=False``. Without a matrix reading, index notation and the einsum
    string are returned instead.
    """
    out = _render(t, rows, cols, _Unicode(), simplify)
    if out is None:
        return to_index(t.simplify() if simplify else t)
    return out


def to_latex(t, rows: str | None = None, cols: str | None = None, simplify: bool = True) -> str:
    """Like :func:`to_matrix`, as LaTeX (``2 A^{\\top}\\left(A x - b\\right)``)."""
    out = _render(t, rows, cols, _Latex(), simplify)
    if out is None:
        t2 = t.simplify() if simplify else t
        return _index_latex(t2)
    return out


def _index_latex(t) -> str:
    body = str(t).replace("[", "_{").replace("]", "}").replace(",", "")
    lhs = "T_{" + "".join(t.edges) + "}" if t.edges else "T"
    return f"{lhs} = {body}"
