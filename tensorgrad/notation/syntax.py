"""The notation AST: immutable nodes, the function table, precedence and canonical text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator


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


#: the commutation matrix 𝐊 of a Kronecker reading (printed only; see notation.printing)
COMMUTATION = "commutation"

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
