"""AST -> tensorgrad expression, through the public API only."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import vocabulary
from .shapes import _analyse, _Analysis, _constant, _integer_exponent
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose
from .tokens import NotationError
from ..deep import deep


# ---------------------------------------------------------------------------
# Builder: AST -> tensorgrad expression (public API only)
# ---------------------------------------------------------------------------

ROW, COL, TMP = "i", "j", "k"


def _make_variable(tg, name: str, rows: str | None, cols: str | None):
    if rows is None and cols is None:
        return tg.Variable(name)
    if cols is None:
        return tg.Variable(name, **{ROW: rows})
    if rows is None:  # cannot happen for variables (vectors are columns)
        return tg.Variable(name, **{COL: cols})  # pragma: no cover
    return tg.Variable(name, **{ROW: rows, COL: cols})


def variables(text: str, shapes=None) -> dict:
    """The ``tg.Variable`` objects of ``text``, by name, in order of first appearance.

    They are exactly the variables inside ``parse(text, shapes)``, so
    ``tg.grad(parse(text), variables(text)["x"])`` differentiates with respect to x.
    """
    import tensorgrad as tg

    a = _analyse(text, shapes)
    inf = a.inference
    return {name: _make_variable(tg, name, *inf.resolve(inf.var_types[name])) for name in inf.order}


@dataclass(frozen=True)
class _Val:
    t: object  # a tensorgrad expression, or a Python number for constants
    rows: str | None  # dimension symbol of edge "i" (None: length 1)
    cols: str | None  # dimension symbol of edge "j"
    kron: bool = False  # a Kronecker product: edges (i, j, i', j')

    @property
    def scalar(self) -> bool:
        return self.rows is None and self.cols is None and not self.kron

    @property
    def const(self) -> bool:
        return isinstance(self.t, (int, float))

    def edge_dims(self) -> dict[str, str]:
        d = {}
        if self.rows is not None:
            d[ROW] = self.rows
        if self.cols is not None:
            d[COL] = self.cols
        return d


class _Builder:
    def __init__(self, tg, analysis: _Analysis):
        self.tg = tg
        self.a = analysis
        self.inf = analysis.inference
        self.vars = {
            name: _make_variable(tg, name, *self.inf.resolve(self.inf.var_types[name])) for name in self.inf.order
        }

    def dims(self, node: Node):
        return self.inf.resolve(self.inf.types[id(node)])

    def fail(self, node: Node, message: str):
        s, e = node.span
        raise NotationError(self.a.text, s, f"cannot build '{self.inf.snippet(node)}': {message}", e)

    # -- tensor helpers
    def ones_like(self, v: _Val):
        return self.tg.ones(**v.edge_dims())

    def broadcast(self, v: _Val, like: _Val) -> _Val:
        """A scalar tensor ``v`` spread over the shape of ``like``."""
        if v.scalar and not v.const and not like.scalar:
            return _Val(v.t * self.ones_like(like), like.rows, like.cols)
        return v

    def transpose(self, v: _Val) -> _Val:
        t = v.t
        if not v.const:
            if v.rows is not None and v.cols is not None:
                t = t.rename(**{ROW: COL, COL: ROW})
            elif v.rows is not None:
                t = t.rename(**{ROW: COL})
            elif v.cols is not None:
                t = t.rename(**{COL: ROW})
        return _Val(t, v.cols, v.rows)

    def matmul(self, a: _Val, b: _Val) -> _Val:
        if a.scalar or b.scalar:
            other = a if b.scalar else b
            return _Val(a.t * b.t, other.rows, other.cols, other.kron)
        ta, tb = a.t, b.t
        if a.cols is not None:  # then b.rows is not None too (checked by inference)
            ta = ta.rename(**{COL: TMP})
            tb = tb.rename(**{ROW: TMP})
        return _Val(ta @ tb, a.rows, b.cols)

    def add(self, a: _Val, b: _Val, sign: int) -> _Val:
        if a.const and b.const:
            return _Val(a.t + sign * b.t, None, None)
        shape = a if not a.scalar else b
        if shape.kron:  # both are Kronecker products (checked by inference)
            return _Val(a.t + b.t if sign > 0 else a.t - b.t, None, None, True)
        a, b = self.broadcast(a, shape), self.broadcast(b, shape)
        if b.const:
            return _Val(a.t + sign * b.t, shape.rows, shape.cols)
        if a.const:
            return _Val((b.t if sign > 0 else -b.t) + a.t, shape.rows, shape.cols)
        return _Val(a.t + b.t if sign > 0 else a.t - b.t, shape.rows, shape.cols)

    def reciprocal(self, v: _Val) -> _Val:
        if v.const:
            if v.t == 0:
                raise ZeroDivisionError
            return _Val(1.0 / v.t, None, None)
        return _Val(v.t ** -1, v.rows, v.cols)

    def elementwise_mul(self, a: _Val, b: _Val) -> _Val:
        if a.const and b.const:
            return _Val(a.t * b.t, None, None)
        shape = a if not a.scalar else b
        return _Val(a.t * b.t, shape.rows, shape.cols, shape.kron)

    def power(self, base: _Val, exponent: _Val) -> _Val:
        """Elementwise (or scalar) power."""
        if base.const and exponent.const:
            if base.t < 0 and not float(exponent.t).is_integer():
                raise ValueError(f"({base.t})^{exponent.t} is not a real number")
            return _Val(float(base.t) ** exponent.t, None, None)
        if exponent.const:
            p = exponent.t
            if p == 1:
                return base
            return _Val(base.t ** p, base.rows, base.cols)
        # variable exponent: b^e = exp(e * log(b))
        if base.const:
            if base.t <= 0:
                raise ValueError("a variable exponent needs a positive base")
            return self.function("exp", _Val(exponent.t * math.log(base.t), exponent.rows, exponent.cols))
        logb = self.function("log", base)
        return self.function("exp", self.elementwise_mul(self.broadcast(exponent, logb), logb))

    def kron(self, p: _Val, q: _Val) -> _Val:
        """T[i,j,i',j'] = P[i,i'] Q[j,j'] (row-major: T.reshape(m n, p q) = kron(P, Q))."""
        tp = p.t.rename(**{COL: ROW + "'"})
        tq = q.t.rename(**{ROW: COL, COL: COL + "'"})
        return _Val(self.tg.Product([tp, tq], (ROW, COL, ROW + "'", COL + "'")), None, None, True)

    def identity(self, dim: str):
        return self.tg.delta(dim, ROW, COL)

    def inverse(self, v: _Val) -> _Val:
        return self.registered(vocabulary.spec_of("inv"), v, ())

    def function(self, f: str, v: _Val) -> _Val:
        return self.registered(vocabulary.spec_of(f), v, ())

    def registered(self, spec, v: _Val, params: tuple) -> _Val:
        """A registered function of `v`, by its signature (FunctionSpec): elementwise,
        along the vector's edge, or over the square matrix's two edges."""
        tg = self.tg
        if spec.elementwise:
            params = params or spec.params_default
            if v.const:
                if spec.scalar is None:
                    return _Val(tg.Function(spec, tg.ones() * v.t, (), params), None, None)
                return _Val(float(spec.scalar(v.t, *params)), None, None)
            return _Val(tg.Function(spec, v.t, (), params), v.rows, v.cols)
        if spec.n_core == 1:
            t = tg.Function(spec, v.t, (ROW if v.rows is not None else COL,))
            return _Val(t, None, None) if spec.consumes_core else _Val(t, v.rows, v.cols)
        core = tuple(v.t.edges) if spec.symmetric_core else (ROW, COL)
        t = tg.Function(spec, v.t, core)
        if spec.consumes_core:
            return _Val(t, None, None)
        return _Val(t.rename(**{ROW: COL, COL: ROW}) if spec.transposed else t, v.rows, v.cols)

    # -- the pass
    def build(self, node: Node) -> _Val:
        try:
            return self._build(node)
        except NotationError:
            raise
        except ZeroDivisionError:
            self.fail(node, "division by zero")
        except (ValueError, ArithmeticError) as e:
            # errors from the core or from constant folding: name the sub-expression
            self.fail(node, (str(e).splitlines() or [type(e).__name__])[0])

    def _build(self, node: Node) -> _Val:
        tg = self.tg
        if isinstance(node, Number):
            return _Val(node.value, None, None)
        if isinstance(node, Name):
            if node.id in self.inf.dim_names:
                return _Val(tg.delta(node.id), None, None)
            rows, cols = self.dims(node)
            return _Val(self.vars[node.id], rows, cols)
        if isinstance(node, Neg):
            v = self.build(node.operand)
            return _Val(-v.t, v.rows, v.cols, v.kron)
        if isinstance(node, Transpose):
            return self.transpose(self.build(node.operand))
        if isinstance(node, BinOp):
            a = self.build(node.left)
            b = self.build(node.right)
            op = node.op
            if op == "+":
                return self.add(a, b, +1)
            if op == "-":
                return self.add(a, b, -1)
            if op == "*":
                if a.const and b.const:
                    return _Val(a.t * b.t, None, None)
                return self.matmul(a, b)
            if op == ".*":
                return self.elementwise_mul(a, b)
            if op == "/":
                return self.elementwise_mul(a, self.reciprocal(b))
            if op == "./":
                return self.elementwise_mul(a, self.reciprocal(b))
            if op == ".^":
                return self.power(a, b)
            if op == "^":
                if a.scalar:
                    return self.power(a, b)
                p = _integer_exponent(node.right)
                assert p is not None  # checked by inference
                if p == 0:
                    return _Val(self.identity(a.rows), a.rows, a.cols)
                if p < 0:
                    a = self.inverse(a)
                    p = -p
                # repeated squaring: A^1000000 is 20 products of shared nodes, not a
                # chain a million deep
                result, square = None, a
                while True:
                    if p & 1:
                        result = square if result is None else self.matmul(result, square)
                    p >>= 1
                    if not p:
                        return result
                    square = self.matmul(square, square)
            raise TypeError(op)  # pragma: no cover
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"not a notation AST node: {node!r}")  # pragma: no cover

    def call(self, node: Call) -> _Val:
        tg = self.tg
        f = node.func
        if f == "kron":
            return self.kron(self.build(node.args[0]), self.build(node.args[1]))
        rows, cols = self.dims(node)
        if f == "eye":
            return _Val(self.identity(rows), rows, cols)
        if f in ("vector", "matrix"):
            c = _constant(node.args[0])
            ones = tg.ones(**_Val(None, rows, cols).edge_dims())
            return _Val(ones if c == 1 else ones * c, rows, cols)
        v = self.build(node.args[0])
        spec = vocabulary.spec_of(f)
        if spec is not None:
            return self.registered(spec, v, tuple(_constant(a) for a in node.args[1:]))
        if f == "sqrt":
            if v.const:
                if v.t < 0:
                    raise ValueError(f"sqrt({v.t}) is not a real number")
                return _Val(math.sqrt(v.t), None, None)
            return _Val(tg.sqrt(v.t), v.rows, v.cols)
        if f == "sum":
            if v.scalar:
                return v
            return _Val(tg.sum(v.t), None, None)
        if f == "norm2":
            if v.const:
                return _Val(abs(v.t), None, None)
            return _Val(tg.norm(v.t), None, None)
        if f == "norm1":
            if v.const:
                return _Val(abs(v.t), None, None)
            t = tg.abs(v.t)
            return _Val(t if v.scalar else tg.sum(t), None, None)
        if f == "tr":
            return _Val(tg.trace(v.t), None, None)
        if f == "diag":
            if v.rows is not None and v.cols is not None:  # square matrix -> column vector
                return _Val(tg.sum(v.t * self.identity(v.rows), COL), v.rows, None)
            if v.cols is not None:  # row vector -> as a column first
                v = self.transpose(v)
            return _Val(v.t * self.identity(v.rows), v.rows, v.rows)
        raise TypeError(f"unknown function {f!r}")  # pragma: no cover


@deep
def parse(text: str, shapes=None):
    """Parse matrix notation into a tensorgrad expression.

    ``shapes`` optionally declares variables: ``{"A": ("m", "n"), "x": ("n",)}``
    (``()`` for a scalar). See the module docstring for the syntax and the edge
    naming. Errors raise :class:`NotationError`, a ``ValueError``.
    """
    import tensorgrad as tg

    analysis = _analyse(text, shapes)
    builder = _Builder(tg, analysis)
    value = builder.build(analysis.ast)
    if value.const:  # a constant: the scalar tensor c
        return tg.ones() * value.t
    return value.t
