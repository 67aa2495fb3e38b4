"""Parse matrix-calculus notation into tensorgrad expressions.

``parse("norm2(A*x - b)^2")`` returns the tensor network of ``‖Ax − b‖²``.

Syntax
------
* Binary operators, loosest first: ``+ -``; ``* / @ .* ./`` and juxtaposition
  (``2A x``, ``x'y``); unary ``-``; ``^ .^ **`` (right associative); postfix
  transpose ``'``, ``.T``, ``ᵀ`` and Unicode superscripts (``x²``, ``X⁻¹``, ``X⁻ᵀ``).
* ``*``, ``@`` and juxtaposition are the matrix product; when either side is a scalar
  they scale. ``.*`` / ``⊙`` and ``./`` / ``⊘`` are elementwise; a scalar broadcasts.
  ``/`` divides by a scalar only. ``+``/``-`` need equal shapes, a scalar broadcasts.
* ``^`` and ``**`` (the same operator): a scalar to any scalar power; a square matrix
  to an integer power (``A^-1`` is the inverse, ``A^0`` the identity).
  ``.^`` is elementwise.
* Functions: elementwise ``exp log sin cos tanh sqrt abs sign relu sigmoid``;
  ``sum`` (of all entries), ``norm1``, ``norm2`` (Euclidean, Frobenius for
  matrices; also ``‖…‖``), ``tr``, ``det``, ``logdet``, ``inv`` (square matrices),
  ``softmax`` (vector → vector), ``logsumexp`` (vector → scalar), ``diag`` (vector →
  diagonal matrix, square matrix → its diagonal as a column vector).
* Kronecker products ``kron(P, Q)`` or ``P ⊗ Q`` of two matrices (``⊗`` binds looser
  than products, tighter than ``+ -``) give a 4-tensor with edges ``(i, j, i', j')``:
  ``T[i,j,i',j'] = P[i,i'] Q[j,j']``, i.e. ``T.reshape(m·n, p·q) == np.kron(P, Q)``
  (row-major; see :mod:`tensorgrad.notation.printing`). It can only be scaled,
  negated and added to other Kronecker products (``2I ⊗ A + B ⊗ I``).
  ``eye`` (or ``I``, unless ``shapes`` declares a variable ``I``) is the identity;
  ``vector(c)`` / ``matrix(c)`` are all-``c`` vectors / matrices (``c`` a number);
  ``𝟏`` and ``𝟎`` are ``vector(1)`` and ``vector(0)``.
* A name that ``shapes`` uses as a dimension symbol (and does not declare as a
  variable) is the size of that dimension: with ``{"A": ("n", "n")}``, ``n + tr(A)``
  is ``tr(I + A)``. A multi-letter name followed by ``(`` is a call; with a space
  between (``mu (x + y)``) it is a product.

Types
-----
Every value is a scalar, a column vector, a row vector or a matrix. Variables are
typed by their first letter -- ``a``–``g`` scalars, ``h``–``z`` vectors (columns),
``A``–``Z`` matrices, other lower-case letters (``μ``, ``λ``) scalars, other
upper-case letters (``Θ``) matrices -- unless ``shapes`` declares them:
``{"A": ("m", "n"), "x": ("n",), "t": ()}``. Dimension symbols that ``shapes`` does
not fix are inferred by unification and named ``n`` (when there is only one) or
``m, n, p, q, …``. Mismatches raise :class:`NotationError` (a ``ValueError``) quoting
the offending sub-expression.

Edge naming (the tensor convention)
-----------------------------------
A matrix value's row index is the edge ``"i"`` and its column index the edge
``"j"``; a side of length 1 has no edge. So

* a scalar has no edges,
* a column vector has the single edge ``"i"``, a row vector the single edge ``"j"``,
* an m×n matrix has edges ``"i"`` (dimension ``m``) and ``"j"`` (dimension ``n``).

Variables are built with exactly these names: ``tg.Variable("x", i="n")``,
``tg.Variable("A", i="m", j="n")``, ``tg.Variable("c")``; :func:`variables` returns
them. Transposition renames ``i`` ↔ ``j``; a product renames the contracted pair to
``"k"`` and contracts it, so the result again has edges ``i``/``j``. Hence
``parse("x'")`` is ``x.rename(i="j")`` and ``parse("inv(A)")`` is
``tg.inverse(A).rename(i="j", j="i")`` (``tg.inverse`` is the inverse-transpose in
axis order). Gradients keep the variable's edges, so ``tg.grad(parse(text), x)`` of a
scalar is again a column vector (edge ``i``) or a matrix (edges ``i``, ``j``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from typing import Iterator

__all__ = [
    "NotationError",
    "parse",
    "parse_ast",
    "variables",
    "infer_shapes",
    "result_shape",
    "to_text",
    "Number",
    "Name",
    "Call",
    "Neg",
    "Transpose",
    "BinOp",
    "FUNCTIONS",
]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class NotationError(ValueError):
    """A syntax, shape or unknown-name error in matrix notation.

    ``column`` is 1-based; the message shows the text with a caret under it.
    """

    def __init__(self, text: str, start: int, message: str, end: int | None = None):
        self.text = text
        self.start = start
        self.end = start + 1 if end is None or end <= start else end
        self.column = start + 1
        self.reason = message
        marker = "^" * max(1, min(self.end, len(text) + 1) - start)
        super().__init__(f"{message} (column {self.column})\n  {text}\n  {' ' * start}{marker}")


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------

_SUPERSCRIPT_DIGITS = {"⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
_DIGITS = "0123456789"
_NOT_IDENT = set("ᵀ⁻") | set(_SUPERSCRIPT_DIGITS)

# single characters -> token kind
_SIMPLE = {
    "+": "+",
    "-": "-",
    "−": "-",  # U+2212 minus
    "*": "*",
    "·": "*",
    "⋅": "*",
    "/": "/",
    "^": "^",
    "@": "*",
    "'": "'",
    "ᵀ": "'",
    "(": "(",
    ")": ")",
    ",": ",",
    "⊙": ".*",
    "∘": ".*",
    "⊘": "./",
    "⊗": "⊗",
    "‖": "||",
}


@dataclass(frozen=True)
class Token:
    kind: str  # NUM NAME SUP + - * / ^ .* ./ .^ ' ( ) , || END
    text: str
    start: int
    end: int
    value: float | int | None = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises :class:`NotationError` on a bad character."""
    if not isinstance(text, str):
        raise TypeError(f"matrix notation must be a string, got {type(text).__name__}")
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        c = text[pos]
        if c.isspace():
            pos += 1
            continue
        start = pos
        nxt = text[pos + 1] if pos + 1 < n else ""
        if c in _DIGITS or (c == "." and nxt != "" and nxt in _DIGITS):
            while pos < n and text[pos] in _DIGITS:
                pos += 1
            if pos < n and text[pos] == "." and pos + 1 < n and text[pos + 1] in _DIGITS:
                pos += 1
                while pos < n and text[pos] in _DIGITS:
                    pos += 1
            if pos < n and text[pos] in "eE":
                p = pos + 1
                if p < n and text[p] in "+-":
                    p += 1
                if p < n and text[p] in _DIGITS:
                    pos = p
                    while pos < n and text[pos] in _DIGITS:
                        pos += 1
            literal = text[start:pos]
            value: float | int = float(literal)
            if value.is_integer() and abs(value) < 2**53:
                value = int(value)
            tokens.append(Token("NUM", literal, start, pos, value))
            continue
        if (c.isalpha() or c == "_") and c not in _NOT_IDENT:
            while pos < n and (text[pos].isalpha() or text[pos] == "_" or text[pos] in _DIGITS) and text[pos] not in _NOT_IDENT:
                pos += 1
            tokens.append(Token("NAME", text[start:pos], start, pos))
            continue
        if c == ".":
            if nxt in "*/^":
                tokens.append(Token("." + nxt, text[pos : pos + 2], start, pos + 2))
                pos += 2
                continue
            if nxt == "T" and not (pos + 2 < n and (text[pos + 2].isalnum() or text[pos + 2] == "_")):
                tokens.append(Token("'", ".T", start, pos + 2))
                pos += 2
                continue
            raise NotationError(text, start, "syntax error: expected '.*', './', '.^', '.T' or a number after '.'")
        if c == "*" and nxt == "*":
            tokens.append(Token("^", "**", start, pos + 2))
            pos += 2
            continue
        if c == "|" and nxt == "|":
            tokens.append(Token("||", "||", start, pos + 2))
            pos += 2
            continue
        if c == "⁻" or c in _SUPERSCRIPT_DIGITS:
            # a superscript exponent: ⁻ᵀ (inverse transpose) or [⁻]digits
            if c == "⁻" and nxt == "ᵀ":
                tokens.append(Token("SUPT", text[pos : pos + 2], start, pos + 2, -1))
                pos += 2
                continue
            sign = 1
            if c == "⁻":
                sign = -1
                pos += 1
            digits = ""
            while pos < n and text[pos] in _SUPERSCRIPT_DIGITS:
                digits += str(_SUPERSCRIPT_DIGITS[text[pos]])
                pos += 1
            if not digits:
                raise NotationError(text, pos, "syntax error: expected a superscript digit after '⁻'")
            tokens.append(Token("SUP", text[start:pos], start, pos, sign * int(digits)))
            continue
        if c in "𝟏𝟎":  # the printer's all-ones / zero vector: read it as vector(1) / vector(0)
            v = 1 if c == "𝟏" else 0
            tokens += [Token("NAME", "vector", start, pos + 1), Token("(", "(", start, pos + 1),
                       Token("NUM", str(v), start, pos + 1, v), Token(")", ")", start, pos + 1)]
            pos += 1
            continue
        if c in _SIMPLE:
            tokens.append(Token(_SIMPLE[c], c, start, pos + 1))
            pos += 1
            continue
        raise NotationError(text, start, f"syntax error: unexpected character {c!r}")
    tokens.append(Token("END", "", n, n))
    return tokens


# ---------------------------------------------------------------------------
# AST (immutable; ``span`` is the (start, end) slice of the source text)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    span: tuple[int, int] = field(default=(0, 0), compare=False, repr=False, kw_only=True)

    def __str__(self) -> str:
        return to_text(self)


@dataclass(frozen=True)
class Number(Node):
    value: float | int


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Transpose(Node):
    operand: Node


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / ^ .* ./ .^
    left: Node
    right: Node


ELEMENTWISE = ("exp", "log", "sin", "cos", "tanh", "sqrt", "abs", "sign", "relu", "sigmoid", "softplus", "step")
#: function name -> number of arguments
FUNCTIONS: dict[str, int] = {
    **{f: 1 for f in ELEMENTWISE},
    "sum": 1,
    "norm1": 1,
    "norm2": 1,
    "tr": 1,
    "det": 1,
    "logdet": 1,
    "inv": 1,
    "softmax": 1,
    "logsumexp": 1,
    "diag": 1,
    "vector": 1,
    "matrix": 1,
    "eye": 0,
    "kron": 2,
}
_ALIASES = {"trace": "tr", "inverse": "inv", "norm": "norm2", "ln": "log", "Tr": "tr"}

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, ".*": 2, "./": 2, "neg": 3, "^": 4, ".^": 4}


def _prec(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PREC[node.op]
    if isinstance(node, Neg):
        return 3
    if isinstance(node, Number) and node.value < 0:
        return 3
    return 10


def to_text(node: Node) -> str:
    """Canonical ASCII text of an AST; ``parse_ast(to_text(t)) == t``."""
    if isinstance(node, Number):
        v = node.value
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Call):
        if node.func == "eye" and not node.args:
            return "eye"
        return f"{node.func}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, Neg):
        inner = to_text(node.operand)
        return f"-{inner}" if _prec(node.operand) > 3 else f"-({inner})"
    if isinstance(node, Transpose):
        inner = to_text(node.operand)
        return f"{inner}'" if _prec(node.operand) == 10 else f"({inner})'"
    if isinstance(node, BinOp):
        p = _PREC[node.op]
        left, right = to_text(node.left), to_text(node.right)
        if node.op in ("^", ".^"):  # right associative
            if _prec(node.left) <= p:
                left = f"({left})"
            if _prec(node.right) < p and not isinstance(node.right, Neg):
                right = f"({right})"
        else:
            if _prec(node.left) < p:
                left = f"({left})"
            if _prec(node.right) <= p:
                right = f"({right})"
        sep = " " if p == 1 else ""
        return f"{left}{sep}{node.op}{sep}{right}"
    raise TypeError(f"not a notation AST node: {node!r}")


# ---------------------------------------------------------------------------
# Parser (recursive descent / precedence climbing)
# ---------------------------------------------------------------------------

_OPERAND = "an operand (a name, a number, a function call or '(')"


class _Parser:
    def __init__(self, text: str, declared: frozenset[str]):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.declared = declared
        self.norm_depth = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def error(self, tok: Token, expected: str) -> NotationError:
        found = "end of input" if tok.kind == "END" else repr(tok.text)
        return NotationError(self.text, tok.start, f"syntax error: expected {expected}, found {found}", tok.end)

    def expect(self, kind: str, expected: str) -> Token:
        if self.tok.kind != kind:
            raise self.error(self.tok, expected)
        return self.advance()

    # grammar
    def parse(self) -> Node:
        if self.tok.kind == "END":
            raise NotationError(self.text, 0, "syntax error: empty expression, expected " + _OPERAND)
        node = self.expr()
        if self.tok.kind != "END":
            if self.tok.kind == ")":
                raise NotationError(self.text, self.tok.start, "syntax error: unmatched ')'")
            raise self.error(self.tok, "an operator or end of input")
        return node

    def expr(self) -> Node:
        left = self.kron()
        while self.tok.kind in ("+", "-"):
            op = self.advance().kind
            right = self.kron()
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def kron(self) -> Node:
        left = self.term()
        while self.tok.kind == "⊗":
            self.advance()
            right = self.term()
            left = Call("kron", (left, right), span=(left.span[0], right.span[1]))
        return left

    def _starts_juxtaposed(self) -> bool:
        k = self.tok.kind
        return k in ("NAME", "(") or (k == "||" and self.norm_depth == 0)

    def term(self) -> Node:
        left = self.unary()
        while True:
            if self.tok.kind in ("*", "/", ".*", "./"):
                op = self.advance().kind
                right = self.unary()
            elif self._starts_juxtaposed():
                op = "*"
                right = self.power()
            else:
                return left
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))

    def unary(self) -> Node:
        if self.tok.kind in ("-", "+"):
            t = self.advance()
            operand = self.unary()
            if t.kind == "+":
                return operand
            return Neg(operand, span=(t.start, operand.span[1]))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.tok.kind in ("^", ".^"):
            op = self.advance().kind
            exponent = self.unary()
            return BinOp(op, base, exponent, span=(base.span[0], exponent.span[1]))
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            t = self.tok
            if t.kind == "'":
                self.advance()
                node = Transpose(node, span=(node.span[0], t.end))
            elif t.kind == "SUP":
                self.advance()
                exponent: Node = Number(abs(t.value), span=(t.start, t.end))
                if t.value < 0:
                    exponent = Neg(exponent, span=(t.start, t.end))
                node = BinOp("^", node, exponent, span=(node.span[0], t.end))
            elif t.kind == "SUPT":
                self.advance()
                exponent = Neg(Number(1, span=(t.start, t.start + 1)), span=(t.start, t.start + 1))
                inverse = BinOp("^", node, exponent, span=(node.span[0], t.start + 1))
                node = Transpose(inverse, span=(node.span[0], t.end))
            else:
                return node

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "NUM":
            self.advance()
            return Number(t.value, span=(t.start, t.end))
        if t.kind == "(":
            self.advance()
            saved, self.norm_depth = self.norm_depth, 0
            if self.tok.kind == ")":
                raise self.error(self.tok, _OPERAND)
            inner = self.expr()
            self.norm_depth = saved
            if self.tok.kind != ")":
                raise self.error(self.tok, f"')' to close the '(' at column {t.start + 1}")
            close = self.advance()
            return _respan(inner, (t.start, close.end))
        if t.kind == "||":
            self.advance()
            self.norm_depth += 1
            inner = self.expr()
            self.norm_depth -= 1
            if self.tok.kind != "||":
                raise self.error(self.tok, f"'‖' to close the '‖' at column {t.start + 1}")
            close = self.advance()
            return Call("norm2", (inner,), span=(t.start, close.end))
        if t.kind == "NAME":
            return self.name()
        raise self.error(t, _OPERAND)

    def name(self) -> Node:
        t = self.advance()
        name = t.text
        is_call = self.tok.kind == "("
        if name in self.declared:
            return Name(name, span=(t.start, t.end))
        func = _ALIASES.get(name, name)
        if func in FUNCTIONS:
            if func == "eye":
                if is_call and self.tokens[self.i + 1].kind == ")":
                    self.advance()
                    close = self.advance()
                    return Call("eye", (), span=(t.start, close.end))
                return Call("eye", (), span=(t.start, t.end))
            if func == "log" and self.tok.kind == "NAME" and self.tok.text == "det" and self.tokens[self.i + 1].kind == "(":
                self.advance()  # "log det(X)" is logdet(X)
                return self.call("logdet", t)
            if not is_call:
                raise self.error(self.tok, f"'(' after the function name {name!r}")
            return self.call(func, t)
        if name == "I":
            return Call("eye", (), span=(t.start, t.end))
        if is_call and len(name) > 1 and self.tok.start == t.end:
            known = ", ".join(sorted(FUNCTIONS))
            raise NotationError(self.text, t.start, f"unknown function {name!r} (known functions: {known})", t.end)
        return Name(name, span=(t.start, t.end))

    def call(self, func: str, name_tok: Token) -> Node:
        self.advance()  # (
        saved, self.norm_depth = self.norm_depth, 0
        args: list[Node] = []
        if self.tok.kind != ")":
            args.append(self.expr())
            while self.tok.kind == ",":
                self.advance()
                args.append(self.expr())
        self.norm_depth = saved
        if self.tok.kind != ")":
            raise self.error(self.tok, f"',' or ')' to close the call of {name_tok.text!r} at column {name_tok.start + 1}")
        close = self.advance()
        want = FUNCTIONS[func]
        if len(args) != want:
            plural = "s" if want != 1 else ""
            raise NotationError(
                self.text,
                name_tok.start,
                f"{name_tok.text}() takes {want} argument{plural}, got {len(args)}",
                close.end,
            )
        return Call(func, tuple(args), span=(name_tok.start, close.end))


def _respan(node: Node, span: tuple[int, int]) -> Node:
    """The same node with a wider span (for parenthesised sub-expressions)."""
    return dataclasses.replace(node, span=span)


def _normalize_shapes(shapes) -> dict[str, tuple[str, ...]]:
    if shapes is None:
        return {}
    if not isinstance(shapes, dict):
        raise TypeError(f"shapes must be a dict mapping names to tuples of dimension symbols, got {type(shapes).__name__}")
    out: dict[str, tuple[str, ...]] = {}
    for name, shape in shapes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"shapes: {name!r} is not a valid variable name")
        if isinstance(shape, str):
            shape = (shape,) if shape else ()
        try:
            shape = tuple(shape)
        except TypeError:
            raise TypeError(f"shapes[{name!r}] must be a tuple of dimension symbols, got {shape!r}") from None
        if len(shape) > 2:
            raise ValueError(
                f"shapes[{name!r}] = {shape!r}: matrix notation supports scalars, vectors and matrices (at most 2 dimensions)"
            )
        for d in shape:
            if not isinstance(d, str) or not d:
                raise TypeError(f"shapes[{name!r}]: dimension symbols must be non-empty strings, got {d!r}")
        if name in FUNCTIONS or name in _ALIASES:
            raise ValueError(f"shapes: {name!r} is a function name and cannot be a variable")
        out[name] = shape
    return out


def parse_ast(text: str, shapes=None) -> Node:
    """Parse ``text`` into an immutable AST (no type checking)."""
    declared = frozenset(_normalize_shapes(shapes))
    return _Parser(text, declared).parse()


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
        if f in ELEMENTWISE:
            return t
        if f in ("sum", "norm1", "norm2"):
            return (ONE, ONE)
        if f in ("tr", "det", "logdet", "inv"):
            if k != "matrix":
                self.fail(node, kind="shape error", message=f"{f}() needs a square matrix, not {self.describe(t)}")
            if not self.unify(t[0], t[1]):
                self.fail(node, f"{f}() needs a square matrix, not {self.describe(t)}")
            return t if f == "inv" else (ONE, ONE)
        if f in ("softmax", "logsumexp"):
            if k not in ("column", "row"):
                self.fail(node, kind="shape error", message=f"{f}() needs a vector, not {self.describe(t)}")
            return t if f == "softmax" else (ONE, ONE)
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


def _names(node: Node) -> Iterator[str]:
    if isinstance(node, Name):
        yield node.id
    for child in _children(node):
        yield from _names(child)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Neg, Transpose)):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


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


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


_MATH = {
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sqrt": math.sqrt,
    "abs": abs,
    "sign": lambda v: float((v > 0) - (v < 0)),
    "relu": lambda v: max(v, 0.0),
    "sigmoid": _sigmoid,
    "softplus": lambda v: math.log1p(math.exp(-abs(v))) + max(v, 0.0),
    "step": lambda v: 1.0 if v > 0 else 0.0,
}


class _Missing(Exception):
    """A function the notation needs is not (yet) part of the public API."""


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

    def api(self, name: str):
        """``tg.<name>``, or a clear error if this tensorgrad lacks it."""
        f = getattr(self.tg, name, None)
        if not callable(f):  # the function library, before tensorgrad/__init__ exports it
            from .. import functions

            f = getattr(functions, name, None)
        if not callable(f):
            raise _Missing(name)
        return f

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
        return _Val(self.api("inverse")(v.t).rename(**{ROW: COL, COL: ROW}), v.rows, v.cols)

    def function(self, f: str, v: _Val) -> _Val:
        tg = self.tg
        if f in ELEMENTWISE:
            if v.const:
                return _Val(float(_MATH[f](v.t)), None, None)
            return _Val(self.api(f)(v.t), v.rows, v.cols)
        raise TypeError(f)  # pragma: no cover

    # -- the pass
    def build(self, node: Node) -> _Val:
        try:
            return self._build(node)
        except NotationError:
            raise
        except _Missing as e:
            self.fail(node, f"this version of tensorgrad has no tg.{e.args[0]}")
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
                result = a
                for _ in range(p - 1):
                    result = self.matmul(result, a)
                return result
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
        if f in ELEMENTWISE:
            return self.function(f, v)
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
        if f == "det":
            return _Val(self.api("det")(v.t), None, None)
        if f == "logdet":
            return _Val(self.api("logdet")(v.t), None, None)
        if f == "inv":
            return self.inverse(v)
        if f in ("softmax", "logsumexp"):
            edge = ROW if v.rows is not None else COL
            t = self.api(f)(v.t, edge)
            return _Val(t, v.rows, v.cols) if f == "softmax" else _Val(t, None, None)
        if f == "diag":
            if v.rows is not None and v.cols is not None:  # square matrix -> column vector
                return _Val(tg.sum(v.t * self.identity(v.rows), COL), v.rows, None)
            if v.cols is not None:  # row vector -> as a column first
                v = self.transpose(v)
            return _Val(v.t * self.identity(v.rows), v.rows, v.rows)
        raise TypeError(f"unknown function {f!r}")  # pragma: no cover


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
