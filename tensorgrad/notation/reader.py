"""The matrix reading of an expression: roles of the free edges, sums, functions, Kronecker products."""

from __future__ import annotations

import math

from ..expr import Delta, Derivative, Function, Product, Sum, Variable, Zero
from ..kinds import KindTable
from .chains import _ChainReader
from .matrix_ast import NotMatrix, _as_term, _names, _num, _T, _Term, _text, _zero, _cost
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose


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
            return ("j", "i") if _declared_ji(t) else ("i", "j")
        return edges[0], edges[1]
    raise NotMatrix(f"{len(edges)} free edges")


def _declared_ji(t) -> bool:
    """Is every matrix variable in ``t`` declared with edges ``(j, i)``? Then ``j`` is
    its row, and an expression with free edges ``{i, j}`` reads ``j`` as the row too:
    ``Variable("W", j="n", i="n")`` prints as ``W``, not ``Wᵀ``."""
    from ..expr import Variable

    seen, stack, found = set(), [t], False
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, Variable) and len(n.original) == 2:
            if tuple(n.original) != ("j", "i"):
                return False
            found = True
        stack.extend(n.children())
    return found


def _check_roles(t, rows, cols):
    want = {e for e in (rows, cols) if e is not None}
    if rows is not None and rows == cols:
        raise ValueError(f"rows and cols must be different edges, both are {rows!r}")
    if want != set(t.edges):
        raise ValueError(f"rows={rows!r}, cols={cols!r} must name exactly the free edges {tuple(t.edges)} of the expression")


#: matrix notation of each node kind: entry(reader, node, row edge, column edge) -> AST
MATRIX_NOTATION = KindTable("matrix notation")


class _Reader(_ChainReader):
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
        return MATRIX_NOTATION.of(t)(self, t, rows, cols)

    @MATRIX_NOTATION.register(Delta)
    def delta(self, t, rows, cols) -> Node:
        if not t.edges:
            return Name(t.dim)
        if len(t.edges) == 1:
            v = Call("vector", (Number(1),))
            return v if rows is not None else Transpose(v)
        if len(t.edges) == 2:
            return Call("eye")
        raise NotMatrix("a copy tensor with three or more free edges")

    @MATRIX_NOTATION.register(Zero)
    def zero(self, t, rows, cols) -> Node:
        return _zero(t, rows, cols)

    @MATRIX_NOTATION.register(Derivative)
    def derivative(self, t, rows, cols) -> Node:
        raise NotMatrix(f"a {type(t).__name__} node")

    @MATRIX_NOTATION.register(Product)
    def _product(self, t, rows, cols) -> Node:
        return self.product(t, rows, cols)  # the chain reader's

    @MATRIX_NOTATION.register(Variable)
    def variable(self, t, rows, cols) -> Node:
        name = Name(t.name)
        if len(t.edges) == 0:
            return name
        if len(t.edges) == 1:
            return name if rows == t.edges[0] else Transpose(name)
        if len(t.edges) == 2:
            return name if (rows, cols) == tuple(t.edges) or t.symmetric else Transpose(name)
        raise NotMatrix(f"variable {t.name!r} has {len(t.edges)} edges")

    # -- sums (with common factors pulled out)
    @MATRIX_NOTATION.register(Sum)
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
    @MATRIX_NOTATION.register(Function)
    def function(self, t, rows, cols) -> Node:
        spec = t.spec
        if not t.core and spec.name == "pow":
            return self.power(t, rows, cols)
        name = spec.notation_name
        if name is None:
            raise NotMatrix(f"function {spec.name!r} has no matrix notation")
        if not t.core:
            params = tuple(_num(p) for p in t.params)  # maximum(x, 0)
            if rows is None and cols is not None:  # a row vector: f(u)ᵀ
                return _T(Call(name, (self.read(t.arg, cols, None),) + params))
            return Call(name, (self.read(t.arg, rows, cols),) + params)
        arg = t.arg
        if len(t.core) == 1 and len(arg.edges) == 1:  # along a vector
            if spec.consumes_core:
                return Call(name, (self.read(arg, t.core[0], None),))
            if rows is None:
                return _T(Call(name, (self.read(arg, cols, None),)))
            return Call(name, (self.read(arg, rows, cols),))
        if len(t.core) == 2 and len(arg.edges) == 2:  # over a square matrix
            if spec.consumes_core:
                return Call(name, (self.read(arg, t.core[0], t.core[1]),))
            if set(t.edges) == set(arg.edges) and spec.symmetric_core:
                # f(X) in core order; a transposed function (tg.inverse(X) = inv(X)ᵀ = inv(Xᵀ))
                # read with rows e0, cols e1 is f of the argument read the other way round
                return Call(name, (self.read(arg, cols, rows) if spec.transposed else self.read(arg, rows, cols),))
        raise NotMatrix(f"function {spec.name!r} along {t.core}")

    def sech(self, t, rows, cols, k: int) -> Node:
        """cosh(u)^(−k) as sech(u)^k: tanh′ = sech² (= 1 − tanh²), not cosh^(−2)."""
        node = self.read(t.arg, rows, cols)
        if isinstance(node, Transpose):
            node = Transpose(Call("sech", node.operand.args))
        else:
            node = Call("sech", node.args)
        if k == 1:
            return node
        return BinOp(".^" if t.arg.edges else "^", node, Number(k))

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
        if isinstance(t.arg, self.ex.Function) and t.arg.spec.name == "cosh" and p < 0 and float(p).is_integer():
            return self.sech(t, rows, cols, int(-p))
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
