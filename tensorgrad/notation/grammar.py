"""Recursive-descent parser: text -> AST (no type checking)."""

from __future__ import annotations

import dataclasses

from . import vocabulary
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose
from .tokens import NotationError, Token, tokenize


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

    def _transpose_exponent(self, at: int) -> tuple[int, int]:
        """At a '^': (tokens to consume, sign) if it reads ``^T`` (sign 0) or ``^-T``
        (sign -1: the inverse transpose) as in the lecture notes' ``x^T``, ``X^-T``;
        (0, 0) otherwise. A variable declared as ``T`` stays an exponent."""
        k = at + 1  # tokens[at] is the '^'
        sign = 0
        if self.tokens[k].kind == "-":
            sign, k = -1, k + 1
        t = self.tokens[k]
        if t.kind == "NAME" and t.text == "T" and "T" not in self.declared:
            return k - at + 1, sign
        return 0, 0

    def _at_transpose_exponent(self, k: int) -> bool:
        return self.tokens[k].kind == "^" and self._transpose_exponent(k)[0] > 0

    def power(self) -> Node:
        base = self.postfix()
        while self.tok.kind == "^":
            n, sign = self._transpose_exponent(self.i)
            if n:  # x^T, X^-T
                self.i += n
                end = self.tokens[self.i - 1].end
                if sign:
                    minus_one = Neg(Number(1, span=(end - 1, end)), span=(end - 1, end))
                    base = BinOp("^", base, minus_one, span=(base.span[0], end))
                base = self._postfix_more(Transpose(base, span=(base.span[0], end)))
                continue
            # X^-1^T: a number exponent followed by ^T applies before the transpose
            k = self.i + 1 + (self.tokens[self.i + 1].kind == "-")
            if self.tokens[k].kind == "NUM" and self._at_transpose_exponent(k + 1):
                self.advance()
                exponent = self.unary_number()
                base = BinOp("^", base, exponent, span=(base.span[0], exponent.span[1]))
                continue
            break
        if self.tok.kind in ("^", ".^"):
            op = self.advance().kind
            exponent = self.unary()
            return BinOp(op, base, exponent, span=(base.span[0], exponent.span[1]))
        return base

    def unary_number(self) -> Node:
        """[-]NUM (the caller checked the tokens)."""
        if self.tok.kind == "-":
            t = self.advance()
            num = self.advance()
            return Neg(Number(num.value, span=(num.start, num.end)), span=(t.start, num.end))
        num = self.advance()
        return Number(num.value, span=(num.start, num.end))

    def postfix(self) -> Node:
        return self._postfix_more(self.primary())

    def _postfix_more(self, node: Node) -> Node:
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
        func = vocabulary.resolve(name)
        if func is not None:
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
            known = ", ".join(vocabulary.known())
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
        fewest, most = vocabulary.arity(func)
        if not fewest <= len(args) <= most:
            want = str(fewest) if fewest == most else f"{fewest} to {most}"
            plural = "s" if most != 1 else ""
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
        if vocabulary.resolve(name) is not None:
            raise ValueError(f"shapes: {name!r} is a function name and cannot be a variable")
        out[name] = shape
    return out


def parse_ast(text: str, shapes=None) -> Node:
    """Parse ``text`` into an immutable AST (no type checking)."""
    declared = frozenset(_normalize_shapes(shapes))
    return _Parser(text, declared).parse()
