"""The one dispatch of the layout: `layout(t, style, hints)` is the block of any node,
through the `LAYOUT` table the node-kind modules (sums, enclose, network) fill.

`hints` maps a free edge to the side ('L', 'R', 'T', 'B') its port should leave by.
"""

from __future__ import annotations

from ..expr import Tensor, as_number
from ..kinds import KindTable
from .block import Block, Style
from .parts import fmt_number

#: the block of each node kind: entry(node, style, hints)
LAYOUT = KindTable("drawing")


def layout(t: Tensor, style: Style, hints: dict) -> Block:
    """Unlabelled block for `t` with a port per free edge; `hints` maps edge -> side."""
    c = as_number(t)
    if c is not None:
        b = Block()
        b.text(0, 0, fmt_number(c), role="weight", style=style)
        return b
    return LAYOUT(t, style, hints)
