"""Structure-aware, deterministic layout of an expression into a `Block`.

A product network is drawn on a grid: a *spine* (the longest simple path between
the nodes carrying the first left and the last right free edge) runs left to
right on row 0, so a matrix chain reads as a line; other factors hang below the
node they attach to; edges between non-adjacent spine nodes (traces, inner
products) arc above. Disconnected pieces (outer products) are stacked; closed
scalar pieces and weights sit to the left. Functions, sums inside products and
unevaluated derivatives are laid out recursively and enclosed (box, parentheses,
dashed box); their free edges leave through ports on the enclosure.

Everything is decided by the expression's structure and factor order, never by
randomness or hash order, so the same expression always gives the same picture.

>>> import tensorgrad as tg
>>> A = tg.Variable("A", "i", "j"); B = tg.Variable("B", "j", "k")
>>> b = build(A @ B, Style())
>>> [it[5] for it in b.items if it[0] == "glyph"]
['A', 'B']
"""

from __future__ import annotations

from ..expr import Sum, Tensor, as_number
from . import enclose, network, sums  # noqa: F401 - they fill the LAYOUT table
from .block import UNIT, Block, Style
from .dispatch import LAYOUT, layout  # noqa: F401 - re-exported
from .parts import fmt_number, func_title, label_ports  # noqa: F401 - re-exported
from .sums import sum_row


def build(t: Tensor, style: Style) -> Block:
    """A complete, labelled drawing of `t` (a sum as its terms side by side)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"draw expects a tensorgrad expression, got {type(t).__name__}")
    if isinstance(t, Sum) and as_number(t) is None:
        return sum_row(t, style, {}, wrap=style.wrap / UNIT)
    b = layout(t, style, {})
    label_ports(b, list(b.ports), style, t.dims)
    return b


def add_title(b: Block, title: str, style: Style):
    """A title line above the drawing, flush with its left edge."""
    x0, _, _, y1 = b.bbox
    b.text(x0, y1 + 0.25, title, role="text", ha="left", va="bottom", rel=1.05, style=style)



LEGEND = "● copy tensor: its edges share one index (a dot on one edge sums over it)"


def add_legend(b: Block, style: Style):
    """A line under the drawing saying what the black dots are, if there are any."""
    if b.bbox is None or not any(it[0] == "dot" for it in b.items):
        return
    x0, y0, _, _ = b.bbox
    b.text(x0, y0 - 0.2, LEGEND, role="caption", ha="left", va="top", rel=0.8, style=style, italic=True)
