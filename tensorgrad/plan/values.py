"""What the code generator works with: a generated array in compact form (`_Val`),
a product as an einsum network (`_Net`), edge classes, and small helpers that
build code strings."""

from __future__ import annotations

import re

from ..kinds import KindTable
from .backends import _num

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: the plan's code for each node kind: entry(emitter, node) -> _Val (evaluate and export alike)
EMIT = KindTable("plan")


# ---------------------------------------------------------------------------
# Values: a generated array in compact form
# ---------------------------------------------------------------------------

class _Val:
    """`code` holds an array with `ndim` axes; edge k of the node it stands for lies
    on compact axis `axes[k]` (several edges on one axis = a diagonal) or is
    broadcast (`None`: the value does not vary along it). `scalar`: `code` is a
    Python number expression (a constant or a size), not an array."""

    __slots__ = ("code", "axes", "ndim", "scalar", "name")

    def __init__(self, code, axes, ndim, scalar=False, name=True):
        self.code, self.axes, self.ndim, self.scalar = code, tuple(axes), ndim, scalar
        self.name = name  # is `code` a plain name (not an arithmetic expression)?

    @property
    def dense(self):
        """One axis per edge: no broadcast and no diagonal."""
        return sorted(a for a in self.axes if a is not None) == list(range(self.ndim)) == list(range(len(self.axes)))


# ---------------------------------------------------------------------------
# The code generator
# ---------------------------------------------------------------------------

class _Net:
    """A product as an einsum network: operands (code, class ids), free edge ->
    class id (None = broadcast), output classes, scalar weight factors."""

    def __init__(self, ops, free, out, weight, dim_of):
        self.ops, self.free, self.out, self.weight, self.dim_of = ops, free, out, weight, dim_of




def edge_classes(groups):
    """Union-find over edge names: every group (e.g. the edges of one copy tensor)
    becomes one class. Returns `find(edge) -> class root` (an edge in no group is
    its own class).

    >>> find = edge_classes([("a", "b"), ("b", "c")])
    >>> find("c") == find("a") != find("d")
    True
    """
    parent: dict = {}

    def find(e):
        while parent.setdefault(e, e) != e:
            e = parent[e]
        return e
    for g in groups:
        g = tuple(g)
        for e in g[1:]:
            parent[find(e)] = find(g[0])
    return find



def _atom(code: str) -> str:
    """`code`, parenthesised unless it is a name, attribute, call or subscript."""
    if re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\[\]]*\]|\([^()]*\))?", code):
        return code
    if code.startswith("("):  # already wrapped if its first parenthesis closes at the end
        depth = 0
        for k, ch in enumerate(code):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                if k == len(code) - 1:
                    return code
                break
    return f"({code})"


def _scaled(weight: str, code: str) -> str:
    return f"-{code}" if weight == "-1" else f"{weight} * {code}"


def _linear(parts) -> str:
    """'a + 2 * b - c' from (code, weight) pairs."""
    out = ""
    for code, w in parts:
        neg = w < 0 if isinstance(w, (int, float)) else False
        mag = -w if neg else w
        term = code if mag == 1 else f"{_num(mag)} * {code}"
        if not out:
            out = f"-{term}" if neg else term
        else:
            out += f" - {term}" if neg else f" + {term}"
    return out
