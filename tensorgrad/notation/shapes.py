"""Semantic checks: shape inference by unification, and the reading of undeclared names."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

from . import vocabulary
from .grammar import _normalize_shapes, _Parser
from .naming import expand_where
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose, _names, to_text
from .tokens import NotationError


# ---------------------------------------------------------------------------
# Type / shape inference by unification
# ---------------------------------------------------------------------------

ONE = 1  # a side of length one


class _Dim:
    """A union-find node for a dimension; ``symbol`` once it is known."""

    __slots__ = ("parent", "symbol", "id")

    def __init__(self, id: int, symbol: str | None = None):
        self.parent = self
        self.symbol = symbol
        self.id = id

    def root(self) -> "_Dim":
        d = self
        while d.parent is not d:
            d.parent = d.parent.parent
            d = d.parent
        return d


@dataclass(frozen=True)
class _KronType:
    """The type of ``P ⊗ Q``: the (rows, cols) types of P and Q."""

    p: tuple
    q: tuple

    def dims(self) -> tuple:  # the dimensions of the edges (i, j, i', j')
        return (self.p[0], self.q[0], self.p[1], self.q[1])


def _kind(t) -> str:
    if isinstance(t, _KronType):
        return "kron"
    r, c = t
    if r is ONE and c is ONE:
        return "scalar"
    if c is ONE:
        return "column"
    if r is ONE:
        return "row"
    return "matrix"


class _Inference:
    def __init__(self, text: str, shapes: dict[str, tuple[str, ...]], kinds: dict[str, str] | None = None):
        self.text = text
        self.shapes = shapes
        self.dim_names = _dimension_names(shapes)
        self.kinds = kinds or {}  # undeclared lower-case names -> "scalar" | "column"
        self.counter = 0
        self.symbols: dict[str, _Dim] = {}
        self.var_types: dict[str, tuple] = {}
        self.order: list[str] = []  # variables in order of first appearance
        self.types: dict[int, tuple] = {}
        self.all_dims: list[_Dim] = []

    def fresh(self, symbol: str | None = None) -> _Dim:
        if symbol is not None:
            if symbol not in self.symbols:
                self.counter += 1
                self.symbols[symbol] = _Dim(self.counter, symbol)
                self.all_dims.append(self.symbols[symbol])
            return self.symbols[symbol]
        self.counter += 1
        d = _Dim(self.counter)
        self.all_dims.append(d)
        return d

    # -- descriptions for messages
    def dim_text(self, d) -> str:
        if d is ONE:
            return "1"
        r = d.root()
        return r.symbol if r.symbol is not None else f"d{r.id}"

    def describe(self, t) -> str:
        k = _kind(t)
        if k == "kron":
            return f"a Kronecker product of {self.describe(t.p)} and {self.describe(t.q)}"
        if k == "scalar":
            return "a scalar"
        if k == "column":
            return f"a column vector of length {self.dim_text(t[0])}"
        if k == "row":
            return f"a row vector of length {self.dim_text(t[1])}"
        return f"a {self.dim_text(t[0])}×{self.dim_text(t[1])} matrix"

    def snippet(self, node: Node) -> str:
        s, e = node.span
        return self.text[s:e].strip() or to_text(node)

    def fail(self, node: Node, message: str, kind: str = "dimension mismatch", soft: bool = False):
        s, e = node.span
        err = NotationError(self.text, s, f"{kind} in '{self.snippet(node)}': {message}", e)
        err.soft = soft  # caused by a reading of lower-case names by convention only
        raise err

    def unify(self, a, b) -> bool:
        if a is ONE or b is ONE:
            return a is b
        ra, rb = a.root(), b.root()
        if ra is rb:
            return True
        if ra.symbol is not None and rb.symbol is not None and ra.symbol != rb.symbol:
            return False
        if ra.symbol is None:
            ra.parent = rb
        else:
            rb.parent = ra
        return True

    # -- variables
    def variable_type(self, name: str):
        if name in self.var_types:
            return self.var_types[name]
        if name in self.shapes:
            shape = self.shapes[name]
            dims = [self.fresh(s) for s in shape]
            t = (ONE, ONE) if not dims else (dims[0], ONE) if len(dims) == 1 else (dims[0], dims[1])
        elif name in self.kinds:
            t = (ONE, ONE) if self.kinds[name] == "scalar" else (self.fresh(), ONE)
        else:
            first = name[0]
            if "a" <= first <= "g":
                t = (ONE, ONE)
            elif "h" <= first <= "z" or first == "_":
                t = (self.fresh(), ONE)
            elif first.isupper():
                t = (self.fresh(), self.fresh())
            else:  # other lower-case letters (Greek ...): scalars
                t = (ONE, ONE)
        self.var_types[name] = t
        self.order.append(name)
        return t

    # -- the pass
    def visit(self, node: Node):
        t = self._visit(node)
        self.types[id(node)] = t
        return t

    def _visit(self, node: Node):
        if isinstance(node, Number):
            return (ONE, ONE)
        if isinstance(node, Name):
            if node.id in self.dim_names:  # the size of a declared dimension: a number
                return (ONE, ONE)
            return self.variable_type(node.id)
        if isinstance(node, Neg):
            return self.visit(node.operand)
        if isinstance(node, Transpose):
            t = self.visit(node.operand)
            if isinstance(t, _KronType):
                self.kron_misuse(node)
            r, c = t
            if isinstance(node.operand, Name) and node.operand.id in self.kinds and r is ONE and c is ONE:
                self.fail(
                    node,
                    kind="shape error",
                    message=f"transposing the scalar {node.operand.id!r} (declare its shape if you mean it)",
                    soft=True,
                )
            return (c, r)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, BinOp):
            return self.binop(node)
        raise TypeError(f"not a notation AST node: {node!r}")  # pragma: no cover

    def same_shape(self, node: Node, a, b, verb: str, broadcast_numbers_only: bool = False):
        ka, kb = _kind(a), _kind(b)
        if ka == "scalar" and kb == "scalar":
            return a
        if ka == "scalar" or kb == "scalar":
            scalar_side = node.left if ka == "scalar" else node.right
            if not broadcast_numbers_only or _constant(scalar_side) is not None:
                return b if ka == "scalar" else a
            self.fail(
                node,
                f"cannot {verb} {self.describe(a)} and {self.describe(b)} "
                "(only numbers broadcast; write s*vector(1) or s*matrix(1) to spread a scalar s)",
                soft=True,
            )
        if ka != kb or not (self.unify(a[0], b[0]) and self.unify(a[1], b[1])):
            self.fail(node, f"cannot {verb} {self.describe(a)} and {self.describe(b)}")
        return a

    def kron_misuse(self, node: Node):
        self.fail(node, kind="shape error", message="a Kronecker product (a 4-tensor) can only be scaled, negated or added to another one")

    def binop(self, node: BinOp):
        a = self.visit(node.left)
        b = self.visit(node.right)
        op = node.op
        if isinstance(a, _KronType) or isinstance(b, _KronType):
            if op in ("+", "-") and isinstance(a, _KronType) and isinstance(b, _KronType):
                if not all(self.unify(x, y) for x, y in zip(a.dims(), b.dims())):
                    self.fail(node, f"cannot {'add' if op == '+' else 'subtract'} {self.describe(a)} and {self.describe(b)}")
                return a
            if op == "*" and _kind(a) == "scalar":
                return b
            if op in ("*", "/") and _kind(b) == "scalar":
                return a
            self.kron_misuse(node)
        if op in ("+", "-"):
            return self.same_shape(node, a, b, "add" if op == "+" else "subtract", broadcast_numbers_only=True)
        if op in (".*", "./"):
            return self.same_shape(node, a, b, "multiply elementwise" if op == ".*" else "divide elementwise")
        if op == "*":
            if _kind(a) == "scalar":
                return b
            if _kind(b) == "scalar":
                return a
            if not self.unify(a[1], b[0]):
                self.fail(
                    node,
                    f"cannot multiply {self.describe(a)} by {self.describe(b)} "
                    f"(inner dimensions {self.dim_text(a[1])} and {self.dim_text(b[0])} differ)",
                )
            return (a[0], b[1])
        if op == "/":
            if _kind(b) != "scalar":
                self.fail(node, kind="shape error", message=f"cannot divide by {self.describe(b)}; use ./ for elementwise division or inv()")
            return a
        if op == ".^":
            if _kind(b) == "scalar":
                return a
            return self.same_shape(node, a, b, "raise elementwise")
        if op == "^":
            if _kind(b) != "scalar":
                self.fail(node, kind="shape error", message=f"the exponent must be a scalar, not {self.describe(b)}")
            if _kind(a) == "scalar":
                return a
            if _kind(a) != "matrix":
                self.fail(node, kind="shape error", message=f"cannot raise {self.describe(a)} to a power; use .^ for an elementwise power")
            if _integer_exponent(node.right) is None:
                self.fail(node, kind="shape error", message="a matrix power needs an integer exponent")
            if not self.unify(a[0], a[1]):
                self.fail(node, f"a matrix power needs a square matrix, not {self.describe(a)}")
            return a
        raise TypeError(f"unknown operator {op!r}")  # pragma: no cover

    def call(self, node: Call):
        f = node.func
        if f == "eye":
            d = self.fresh()
            return (d, d)
        args = [self.visit(a) for a in node.args]
        if any(isinstance(a, _KronType) for a in args):
            self.kron_misuse(node)
        if f == "kron":
            for arg, t in zip(node.args, args):
                if _kind(t) != "matrix":
                    self.fail(arg, kind="shape error", message=f"kron() (⊗) takes two matrices, not {self.describe(t)}")
            return _KronType(args[0], args[1])
        t = args[0] if args else None
        k = _kind(t) if t is not None else None
        if f in ("vector", "matrix"):
            if not isinstance(_constant(node.args[0]), (int, float)):
                self.fail(node, kind="shape error", message=f"{f}() takes a number, e.g. {f}(1) for all ones")
            return (self.fresh(), ONE) if f == "vector" else (self.fresh(), self.fresh())
        spec = vocabulary.spec_of(f)
        if spec is not None:
            return self.registered(node, spec, t, k)
        if f == "sqrt":
            return t
        if f in ("sum", "norm1", "norm2"):
            return (ONE, ONE)
        if f == "tr":
            return self.square(node, t, k, f)
        if f == "diag":
            if k == "column":
                return (t[0], t[0])
            if k == "row":
                return (t[1], t[1])
            if k == "matrix":
                if not self.unify(t[0], t[1]):
                    self.fail(node, f"diag() of a matrix needs a square matrix, not {self.describe(t)}")
                return (t[0], ONE)
            self.fail(node, kind="shape error", message="diag() needs a vector or a square matrix, not a scalar")
        raise TypeError(f"unknown function {f!r}")  # pragma: no cover

    def registered(self, node: Call, spec, t, k):
        """The type of a registered function's value, from its signature (FunctionSpec):
        elementwise keeps the shape, one core edge acts along a vector, two along a
        square matrix; a consumed core leaves a scalar."""
        f = node.func
        if spec.elementwise:
            for extra in node.args[1:]:
                if not isinstance(_constant(extra), (int, float)):
                    self.fail(extra, kind="shape error", message=f"{f}() takes numbers after its argument, "
                                                                 f"e.g. {f}(x, 0)")
            return t
        if spec.n_core == 1:
            if k not in ("column", "row"):
                self.fail(node, kind="shape error", message=f"{f}() needs a vector, not {self.describe(t)}")
            return (ONE, ONE) if spec.consumes_core else t
        self.square(node, t, k, f)
        return (ONE, ONE) if spec.consumes_core else t

    def square(self, node: Call, t, k, f: str):
        if k != "matrix":
            self.fail(node, kind="shape error", message=f"{f}() needs a square matrix, not {self.describe(t)}")
        if not self.unify(t[0], t[1]):
            self.fail(node, f"{f}() needs a square matrix, not {self.describe(t)}")
        return (ONE, ONE)

    def name_dims(self) -> None:
        """Give every still anonymous dimension class a symbol.

        Classes are named in the order of the sorted variable names (rows before
        columns), then the rest, so the same variables get the same dimension
        symbols in different texts (``(A*B)'`` and ``B'*A'``)."""
        used = {d.root().symbol for d in self.all_dims if d.root().symbol is not None}
        anonymous: list[_Dim] = []
        ordered = [d for name in sorted(self.var_types, key=lambda v: (not v[0].isupper(), v)) for d in self.var_types[name] if d is not ONE]
        for d in ordered + self.all_dims:
            r = d.root()
            if r.symbol is None and r not in anonymous:
                anonymous.append(r)
        pool: Iterator[str]
        if len(anonymous) == 1:
            pool = iter(["n", "m", "p", "q", "r", "s"] + [f"n{k}" for k in range(1, 1000)])
        else:
            pool = iter(["m", "n", "p", "q", "r", "s", "u", "v", "w"] + [f"n{k}" for k in range(1, 1000)])
        for r in anonymous:
            name = next(pool)
            while name in used:
                name = next(pool)
            r.symbol = name
            used.add(name)

    def resolve(self, t) -> tuple[str | None, str | None]:
        if isinstance(t, _KronType):  # the four dimensions of (i, j, i', j')
            return tuple(d.root().symbol for d in t.dims())  # type: ignore[return-value]
        return tuple(None if d is ONE else d.root().symbol for d in t)  # type: ignore[return-value]


def _constant(node: Node):
    """The value of a purely numeric sub-expression (``-2``, ``1/2``, ``2^3``), else None."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Neg):
        v = _constant(node.operand)
        return None if v is None else -v
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", ".*", "./"):
        a, b = _constant(node.left), _constant(node.right)
        if a is None or b is None:
            return None
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op in ("*", ".*"):
            return a * b
        return a / b if b != 0 else None
    return None


def _integer_exponent(node: Node) -> int | None:
    v = _constant(node)
    if v is None or float(v) != int(v):
        return None
    return int(v)


@dataclass
class _Analysis:
    text: str
    ast: Node
    inference: _Inference


_MAX_SOFT = 10


def _default_kind(name: str) -> str:
    return "scalar" if not ("h" <= name[0] <= "z") else "column"


def _dimension_names(shapes: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Dimension symbols of ``shapes`` that are not also variable names: in the text
    they stand for the size of the dimension (``tr(I)`` prints as ``n``)."""
    return frozenset(d for shape in shapes.values() for d in shape) - set(shapes)


def _analyse(text: str, shapes=None) -> _Analysis:
    """Parse and type ``text``.

    Undeclared lower-case names are "soft": scalar (a-g, other letters) or column
    vector (h-z) by default, but if the default reading does not type-check (or needs
    transposing a scalar, or adding a non-constant scalar to a vector), every
    combination of readings is tried; among those that type-check, results that are
    not row vectors win, then the fewest changes from the defaults, then turning
    scalars into vectors rather than vectors into scalars.
    """
    shapes_n = _normalize_shapes(shapes)
    text = expand_where(text, shapes)
    ast = _Parser(text, frozenset(shapes_n)).parse()
    soft: list[str] = []
    dim_names = _dimension_names(shapes_n)
    for name in _names(ast):
        if name not in shapes_n and name not in dim_names and name not in soft and name[0].islower():
            soft.append(name)
    defaults = {name: _default_kind(name) for name in soft}
    flip_sets: Iterator[tuple[str, ...]]
    if len(soft) <= _MAX_SOFT:
        flip_sets = itertools.chain.from_iterable(itertools.combinations(soft, k) for k in range(len(soft) + 1))
    else:
        flip_sets = iter([()])
    first_error: NotationError | None = None
    best: tuple[tuple[int, int, int], _Inference] | None = None
    for flips in flip_sets:
        if best is not None and best[0][0] == 0 and len(flips) > best[0][1]:
            break
        kinds = dict(defaults)
        for name in flips:
            kinds[name] = "column" if kinds[name] == "scalar" else "scalar"
        inf = _Inference(text, shapes_n, kinds)
        try:
            t = inf.visit(ast)
        except NotationError as e:
            if first_error is None or (getattr(first_error, "soft", False) and not getattr(e, "soft", False)):
                first_error = e
            continue
        if not flips:  # the default reading type-checks: take it
            best = ((0, 0, 0), inf)
            break
        demotions = sum(1 for name in flips if defaults[name] == "column")
        score = (1 if _kind(t) == "row" else 0, len(flips), demotions)
        if best is None or score < best[0]:
            best = (score, inf)
            if score[0] == 0 and score[2] == 0:
                break
    if best is None:
        assert first_error is not None
        raise first_error
    inf = best[1]
    inf.name_dims()
    return _Analysis(text, ast, inf)


def infer_shapes(text: str, shapes=None) -> dict[str, tuple[str, ...]]:
    """Variable name -> tuple of dimension symbols, in order of first appearance.

    ``infer_shapes("A*x - b")`` is ``{"A": ("m", "n"), "x": ("n",), "b": ()}``.
    """
    a = _analyse(text, shapes)
    out: dict[str, tuple[str, ...]] = {}
    for name in a.inference.order:
        r, c = a.inference.resolve(a.inference.var_types[name])
        out[name] = tuple(d for d in (r, c) if d is not None)
    return out


def result_shape(text: str, shapes=None) -> tuple[str | None, str | None]:
    """(rows, columns) dimension symbols of the whole expression; ``None`` for length 1."""
    a = _analyse(text, shapes)
    return a.inference.resolve(a.inference.types[id(a.ast)])
