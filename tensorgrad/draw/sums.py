"""Sums: a top-level sum as a (wrapping) row of signed terms, a sum inside something
else in parentheses with its ports on them.
"""

from __future__ import annotations

from ..expr import Sum, as_number
from .block import Block, Style
from .dispatch import LAYOUT, layout
from .parts import _boundary_ports, _paren, _row, _sides, _stub_out, _text_block, _weight_text, label_ports


@LAYOUT.register(Sum)
def _sum(t: Sum, style: Style, hints: dict) -> Block:
    if len(t.terms) > 1:
        return _sum_nested(t, style, hints)
    w, term = t.weights[0], t.terms[0]
    inner = layout(term, style, hints)
    weight = _text_block(_weight_text(w, True, False), style)
    if any(side == "L" for _, _, side in inner.ports.values()):
        weight.baseline = -0.25  # lift the weight off the wire that enters from the left
    out = _row([weight, inner], gap=0.12)
    out.baseline = 0.0
    return out



def sum_row(s: Sum, style: Style, hints: dict, wrap: float | None = None) -> Block:
    """Terms side by side with signed weights; each term's free edges labelled.
    With `wrap` (layout units), lines longer than that continue below."""
    pieces = []
    units = []  # (first piece index) of each term, to keep a weight with its term
    for k, (term, w) in enumerate(zip(s.terms, s.weights)):
        while isinstance(term, Sum) and len(term.terms) == 1 and as_number(term) is None:
            w, term = w * term.weights[0], term.terms[0]
        c = as_number(term)
        units.append(len(pieces))
        if c is not None and not term.edges:
            pieces.append(_text_block(_weight_text(w * c, k == 0, True), style))
            continue
        wt = _weight_text(w, k == 0, False)
        if wt:
            pieces.append(_text_block(wt, style))
        inner_hints = {e: hints[e] for e in term.edges if e in hints}
        if isinstance(term, Sum):
            b = _sum_nested(term, style, inner_hints)
        else:
            b = layout(term, style, inner_hints)
        label_ports(b, list(b.ports), style, term.dims)
        b.ports = {}
        pieces.append(b)
    if wrap is None or sum(p.width + 0.25 for p in pieces) <= wrap:
        return _row(pieces, gap=0.25)
    lines, line, width = [], [], 0.0
    bounds = units + [len(pieces)]
    for a, z in zip(bounds, bounds[1:]):
        group = pieces[a:z]
        gw = sum(p.width + 0.25 for p in group)
        if line and width + gw > wrap:
            lines.append(line)
            line, width = [], 0.0
        line += group
        width += gw
    lines.append(line)
    out = Block()
    y = 0.0
    for k, ln in enumerate(lines):
        row = _row(ln, gap=0.25)
        x0, y0, x1, y1 = row.bbox
        dy = 0.0 if k == 0 else y - y1 - 0.35
        out.place(row, (0.5 if k else 0.0) - x0, dy)
        y = y0 + dy
    return out



def _sum_nested(s: Sum, style: Style, hints: dict) -> Block:
    """A sum used inside something else: its terms in parentheses, ports on the parentheses."""
    inner = sum_row(s, style, hints)
    b = Block()
    b.place(inner, 0, 0)
    x0, y0, x1, y1 = inner.bbox
    y0, y1 = y0 - 0.05, y1 + 0.05
    _paren(b, x0 - 0.06, y0, y1, True)
    _paren(b, x1 + 0.06, y0, y1, False)
    box = (x0 - 0.2, y0, x1 + 0.2, y1)
    b._grow(*box)
    _boundary_ports(b, s.edges, _sides(s.edges, hints), box, 0.0)
    _stub_out(b, list(s.edges), 0.12)
    return b

