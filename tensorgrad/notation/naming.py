"""Named intermediates: a formula whose sub-expressions repeat is printed the way a
person writes a derivation, ``Aᵀ(diag(p) − p pᵀ)A  where p = softmax(A x)``.

What gets a name (on the notation AST, after the matrix reading):

* a call of a function whose value people name (``softmax`` → ``p``, ``sigmoid`` →
  ``s``, ``tanh``/``relu`` → ``h``, …) that occurs at least twice;
* a non-trivial argument of an elementwise function (a pre-activation such as
  ``W₁ x``, named ``z``) that occurs at least twice;
* inside a named pre-activation, the layer values it reads (``z₂ = W1 h₁`` with
  ``h₁ = tanh(z₁)``), so a deep network reads as its forward pass.

Larger repeated sub-expressions are named first, so a repeated ``softmax(A x)``
hides its ``A x``. Names are deterministic: definitions are listed so that each
uses only names defined before it (in order of first appearance), and a letter
used more than once gets subscripts ``z₁, z₂, …``; a name already used by the
formula (a variable ``p``) is never reused. ``tg.parse`` reads the ``where`` form back
(:func:`expand_where`):

>>> expand_where("diag(p) - p*p' where p = softmax(A*x)")
"diag(softmax(A*x)) - softmax(A*x)*softmax(A*x)'"

>>> from tensorgrad.notation.parse import parse_ast
>>> main, defs = name_intermediates(parse_ast("A' * (diag(softmax(A*x)) - softmax(A*x) * softmax(A*x)') * A"))
>>> str(main), [(n, str(d)) for n, d in defs]
("A'*(diag(p) - p*p')*A", [('p', 'softmax(A*x)')])
"""

from __future__ import annotations

import dataclasses
import re

from ..naming import PRE_ACTIVATION, Scheme
from . import vocabulary
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose, _children, to_text
from .tokens import NotationError, tokenize

#: functions whose (non-trivial) argument is a pre-activation, named `z` when repeated


def _with_children(node: Node, kids: tuple) -> Node:
    if isinstance(node, (Neg, Transpose)):
        return dataclasses.replace(node, operand=kids[0])
    if isinstance(node, BinOp):
        return dataclasses.replace(node, left=kids[0], right=kids[1])
    if isinstance(node, Call):
        return dataclasses.replace(node, args=kids)
    return node


class _AstScheme(Scheme):
    """Structural keys (small ints) of AST nodes, memoised by object identity."""

    def __init__(self):
        self.ids: dict = {}
        self.by_id: dict = {}
        self.sizes: dict = {}

    children = staticmethod(_children)

    def key(self, node: Node) -> int:
        memo = self.by_id.get(id(node))
        if memo is not None:
            return memo[0]
        kids = tuple(self.key(c) for c in _children(node))
        fields = tuple(getattr(node, f.name) for f in dataclasses.fields(node)
                       if f.name not in ("span", "operand", "left", "right", "args"))
        k = self.ids.setdefault((type(node).__name__, fields, kids), len(self.ids))
        self.sizes.setdefault(k, 1 + sum(self.sizes[c] for c in kids))
        self.by_id[id(node)] = (k, node)  # keep node alive so its id stays unique
        return k

    def size(self, node: Node) -> int:
        return self.sizes[self.key(node)]

    def letter(self, node: Node, parent: Node) -> str | None:
        spec = vocabulary.spec_of(node.func) if isinstance(node, Call) else None
        if spec is not None and spec.letter:
            return spec.letter
        if isinstance(parent, Call) and _takes_one_argument(parent.func) and isinstance(node, BinOp) and node.op in "*+-":
            return PRE_ACTIVATION
        return None


def _names_in(node: Node, out: set) -> set:
    if isinstance(node, Name):
        out.add(node.id)
    for c in _children(node):
        _names_in(c, out)
    return out


def name_intermediates(node: Node, taken=()) -> tuple[Node, list]:
    """``(main, [(name, definition), …])``: ``node`` with repeated sub-expressions
    replaced by names, and their definitions in an order where each uses only earlier
    names. Names avoid ``taken`` and every name already in ``node``."""
    scheme = _AstScheme()
    named, defs = scheme.choose(node, set(taken) | _names_in(node, set()))
    if not defs:
        return node, []
    memo: dict = {}

    def replace(n: Node) -> Node:
        out = memo.get(id(n))
        if out is None:
            k = scheme.key(n)
            if k in named:
                out = Name(named[k])
            else:
                kids = _children(n)
                out = _with_children(n, tuple(replace(c) for c in kids)) if kids else n
            memo[id(n)] = out
        return out

    bodies = [(name, _with_children(rep, tuple(replace(c) for c in _children(rep)))) for name, rep in defs]
    return replace(node), bodies


_WHERE = re.compile(r"(?<![\w])where(?![\w])")


def split_where(text: str) -> tuple[str, list]:
    """``"main where a = x, b = y"`` -> ``("main", [(name, text, offset), …])``; text
    without a ``where`` gives ``(text, [])``."""
    m = _WHERE.search(text)
    if m is None:
        return text, []
    defs, start, depth = [], m.end(), 0
    pieces = []
    for pos in range(m.end(), len(text) + 1):
        c = text[pos] if pos < len(text) else ","
        depth += c in "([{" and 1 or 0
        depth -= c in ")]}" and 1 or 0
        if c == "," and depth == 0:
            pieces.append((start, pos))
            start = pos + 1
    for s, e in pieces:
        piece = text[s:e]
        if "=" not in piece:
            defs.append((None, piece, s))
            continue
        name, body = piece.split("=", 1)
        defs.append((name.strip(), body, s + len(name) + 1))
    return text[: m.start()], defs


def expand_where(text: str, shapes=None) -> str:
    """The text of ``text`` with the names of its trailing ``where`` list replaced by
    their definitions (text without one is returned as it is). Definitions may use
    one another in any order, not in a cycle."""
    from .grammar import parse_ast

    main, pieces = split_where(text)
    if not pieces:
        return text
    defs: dict = {}
    for name, body, offset in pieces:
        if name is None:
            raise NotationError(text, offset, "syntax error: expected 'name = expression' after 'where'",
                                offset + len(body))
        toks = tokenize(name)
        if len(toks) != 2 or toks[0].kind != "NAME":
            raise NotationError(text, offset - len(name) - 1, f"syntax error: {name!r} is not a name to define",
                                offset - 1)
        if name in defs:
            raise NotationError(text, offset - len(name) - 1, f"{name!r} is defined twice after 'where'", offset - 1)
        try:
            defs[name] = parse_ast(body, shapes)
        except NotationError as e:  # point into the whole text
            raise NotationError(text, offset + e.start, e.reason, offset + e.end) from None
    resolved: dict = {}

    def resolve(node: Node, stack: tuple) -> Node:
        if isinstance(node, Name) and node.id in defs:
            if node.id in stack:
                raise NotationError(text, len(main), f"the definitions after 'where' are circular: "
                                    f"{' -> '.join(stack + (node.id,))}", len(text))
            if node.id not in resolved:
                resolved[node.id] = resolve(defs[node.id], stack + (node.id,))
            return resolved[node.id]
        kids = _children(node)
        return _with_children(node, tuple(resolve(c, stack) for c in kids)) if kids else node

    return to_text(resolve(parse_ast(main, shapes), ()))


def _takes_one_argument(name: str) -> bool:
    """An elementwise function or one along a vector (softmax, logsumexp)."""
    spec = vocabulary.spec_of(name)
    return name == "sqrt" if spec is None else spec.n_core <= 1
