"""Sums: a top-level sum as a (wrapping) row of signed terms, a sum inside something
else in parentheses with its ports on them.
"""

from __future__ import annotations

import math

from ..expr import Sum, as_number
from .block import Block, Style
from .dispatch import LAYOUT, layout
from .geometry import glyph_rects, segment_hits_rect
from .parts import (_boundary_ports, _paren, _row, _sides, _stub_out, _text_block, _weight_text, label_ports,
                    reserve_labels, with_extras)


@LAYOUT.register(Sum)
def _sum(t: Sum, style: Style, hints: dict) -> Block:
    if len(t.terms) > 1:
        return _sum_nested(t, style, hints)
    w, term = t.weights[0], t.terms[0]
    inner = layout(term, style, hints)
    if not hints:
        reserve_labels(inner, style, "L")
    weight = _text_block(_weight_text(w, True, False), style)
    out = with_extras(inner, [weight], bool(hints), gap=0.12)
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
    """A sum used inside something else: its terms one under another in parentheses,
    each term's edges drawn on to the parenthesis on their side, where the sum's own
    edges leave (at its vertical centre). A sum without edges stays on one line."""
    if not s.edges:
        return _sum_inline(s, style)
    # a neighbour above or below connects on the left: its wire then runs beside the terms, not across
    sides = {e: ("R" if side == "R" else "L") for e, side in _sides(s.edges, hints).items()}
    rows = []
    for k, (term, w) in enumerate(zip(s.terms, s.weights)):
        while isinstance(term, Sum) and len(term.terms) == 1 and as_number(term) is None:
            w, term = w * term.weights[0], term.terms[0]
        block = layout(term, style, {e: sides[e] for e in term.edges})
        rows.append((_weight_text(w, k == 0, False), block))
    sign_w = max(style.text_size(t)[0] if t else 0.0 for t, _ in rows)
    reach = 0.3  # room for the wires between a term and the parentheses
    x_left = 0.0
    x_sign = 0.14
    has = {side: any(v == side for v in sides.values()) for side in "LR"}
    x_term = x_sign + sign_w + (0.1 if sign_w else 0.0) + (reach if has["L"] else 0.05)
    width = max(blk.width for _, blk in rows)
    b = Block()
    y = 0.0
    placed, spans = [], []
    for text, blk in rows:
        x0, y0, x1, y1 = blk.bbox
        dy = y - y1 if placed else -blk.baseline
        ports = b.place(blk, x_term - x0, dy)
        spans.append((y0 + dy, y1 + dy))
        lifted = any(sd == "L" for _, _, sd in ports.values())  # keep the sign off the wire below it
        if text:
            b.text(x_sign, dy + blk.baseline + (0.22 if lifted else 0.0), text, role="weight", ha="left",
                   style=style)
        placed.append(ports)
        y = y0 + dy - 0.3
    X0, Y0, X1, Y1 = b.bbox
    xl, xr = x_left, x_term + width + (reach if has["R"] else 0.14)
    Y0, Y1 = Y0 - 0.2, Y1 + 0.2  # room for a wire to pass below or above its term
    obstacles = [r for r in glyph_rects(b)] + [(it[1] - it[3], it[2] - it[3], it[1] + it[3], it[2] + it[3])
                                               for it in b.items if it[0] == "dot"]
    _paren(b, xl, Y0, Y1, True)
    _paren(b, xr, Y0, Y1, False)

    def paren_x(x, y, bulge):
        return x + bulge * math.sin(math.pi * (y - Y0) / (Y1 - Y0))

    def clear(pts):
        return not any(segment_hits_rect(a, c, r) for a, c in zip(pts, pts[1:]) for r in obstacles)

    for ports, (lo, hi) in zip(placed, spans):
        for e, (px, py, side) in ports.items():
            x_end, bulge = (xl, -0.12) if sides[e] == "L" else (xr, 0.12)
            pts = [(px, py), (paren_x(x_end, py, bulge), py)]
            if not clear(pts):  # a stub on the far side or between pieces: pass below or above the term
                for yy in ((lo - 0.12, hi + 0.12) if side != "T" else (hi + 0.12, lo - 0.12)):
                    alt = [(px, py), (px, yy), (paren_x(x_end, yy, bulge), yy)]
                    if clear(alt):
                        pts = alt
                        break
            b.wire(pts)
    box = (xl - 0.14, Y0, xr + 0.14, Y1)
    b._grow(*box)
    b.body = box
    yc = (Y0 + Y1) / 2
    _boundary_ports(b, s.edges, sides, box, yc)
    _stub_out(b, list(s.edges), 0.12)
    b.baseline = yc
    return b


def _sum_inline(s: Sum, style: Style) -> Block:
    """A scalar sum inside a product: its terms on one line in parentheses."""
    inner = sum_row(s, style, {})
    b = Block()
    b.place(inner, 0, 0)
    x0, y0, x1, y1 = inner.bbox
    y0, y1 = y0 - 0.05, y1 + 0.05
    _paren(b, x0 - 0.06, y0, y1, True)
    _paren(b, x1 + 0.06, y0, y1, False)
    box = (x0 - 0.2, y0, x1 + 0.2, y1)
    b._grow(*box)
    b.body = box
    return b
