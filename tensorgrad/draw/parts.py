"""Shared pieces of the layout: sizes, number formatting, rows of blocks, sides
and ports of enclosures, stubs, edge labels.

>>> fmt_number(2.0), fmt_number(0.5)
('2', '0.5')
"""

from __future__ import annotations

import math

from ..expr import Function
from .block import Block, Style

STUB = 0.42      # length of a free-edge stub
COL_GAP = 0.62   # horizontal space between grid columns
ROW_GAP = 0.62   # vertical space between grid rows
PAD = 0.16       # padding inside enclosures
DOT_R = 0.075    # copy tensor radius
GLYPH_H = 0.46
SPREAD = 0.3     # distance between stubs leaving one glyph on the same side
DFS_BUDGET = 20000

_SUP = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def fmt_number(w) -> str:
    """2.0 -> '2', 0.5 -> '0.5', 1/3 -> '0.333333'."""
    if isinstance(w, float) and w.is_integer():
        w = int(w)
    if isinstance(w, float):
        return f"{w:.6g}"
    return str(w)


def func_title(f: Function) -> str:
    """The label of a function box: its name, exponent for powers, core edges if kept."""
    name = f.spec.name
    if name == "pow":
        p = f.params[0]
        if p == 0.5:
            return "√"
        s = fmt_number(p)
        return "(·)" + s.translate(_SUP) if len(s) <= 4 else f"(·)^{s}"
    label = f.spec.extra.get("draw_label", name) if isinstance(f.spec.extra, dict) else name
    if f.params:
        label += "(" + ", ".join(fmt_number(p) for p in f.params) + ")"
    return label


def label_ports(b: Block, edges, style: Style, dims: dict):
    """Write each edge's name just beyond its port (with its dimension if asked)."""
    rel = 0.9
    for e in edges:
        x, y, side = b.ports[e]
        s = f"{e}:{dims[e]}" if style.show_dims and e in dims else e
        if side == "L":
            b.text(x - 0.05, y, s, role="edge_label", ha="right", rel=rel, style=style)
        elif side == "R":
            b.text(x + 0.05, y, s, role="edge_label", ha="left", rel=rel, style=style)
        elif side == "B":
            b.text(x, y - 0.04, s, role="edge_label", va="top", rel=rel, style=style)
        else:
            b.text(x, y + 0.04, s, role="edge_label", va="bottom", rel=rel, style=style)


def reserve_labels(b: Block, style: Style, sides="LR"):
    """Grow `b`'s box to cover the labels its ports on `sides` would get, so a neighbour
    placed beside it (a weight, a scalar factor) never lands between a stub and its label."""
    for e, (x, y, side) in b.ports.items():
        if side not in sides:
            continue
        w, h = style.text_size(e, 0.9)
        if side == "L":
            b._grow(x - 0.05 - w, y, x, y)
        elif side == "R":
            b._grow(x, y, x + 0.05 + w, y)


def with_extras(main: Block, extras: list, wired: bool, gap: float = 0.3) -> Block:
    """`main` with `extras` (a weight, closed scalar pieces) to its left, as a formula
    reads. When `main`'s ports are wired to neighbours (`wired`) rather than labelled,
    the extras move off the side the wires leave by: right, or above if both sides are used."""
    sides = {side for _, _, side in main.ports.values()}
    if not extras or not wired or "L" not in sides:
        return _row(extras + [main], gap=gap)
    if "R" not in sides:
        out = _row([main] + extras, gap=gap)
        out.baseline = 0.0
        return out
    top = _row(extras, gap=gap)
    out = Block()
    out.ports = out.place(main, 0, 0)
    mx0, _, mx1, my1 = main.bbox
    tx0, ty0, tx1, _ = top.bbox
    out.place(top, (mx0 + mx1) / 2 - (tx0 + tx1) / 2, my1 + 0.15 - ty0)
    out.baseline = main.baseline
    return out


def _weight_text(w, first: bool, bare: bool) -> str:
    """'2 ·', '−', '+ 2 ·' …; `bare` for a term that is the number itself."""
    neg = not isinstance(w, complex) and w < 0
    mag = -w if neg else w
    if bare:
        body = fmt_number(mag)
    else:
        body = "" if mag == 1 else fmt_number(mag) + " ·"
    if first:
        return ("−" + body) if neg else body
    return ("− " if neg else "+ ") + body


def _row(pieces, gap: float = 0.22) -> Block:
    """Blocks side by side, their baselines on y = 0; ports are kept."""
    out = Block()
    x = 0.0
    for p in pieces:
        if p.bbox is None:
            continue
        dx = x - p.bbox[0]
        ports = out.place(p, dx, -p.baseline)
        out.ports.update(ports)
        x = dx + p.bbox[2] + gap
    if out.bbox is None:
        out._grow(0, 0, 0, 0)
    return out


def _text_block(s: str, style: Style, role="weight") -> Block:
    b = Block()
    b.text(0, 0, s, role=role, style=style)
    return b


def _paren(b: Block, x: float, y0: float, y1: float, left: bool):
    bulge = -0.12 if left else 0.12
    pts = []
    for k in range(17):
        u = k / 16
        pts.append((x + bulge * math.sin(math.pi * u), y0 + (y1 - y0) * u))
    b.wire(pts, role="text")


def _sides(edges, hints: dict) -> dict:
    """Default sides for free edges: the first half leave left, the rest right."""
    k = len(edges)
    n_left = max(1, (k + 1) // 2) if k else 0
    return {e: hints.get(e) or ("L" if i < n_left else "R") for i, e in enumerate(edges)}


def _boundary_ports(b: Block, edges, sides: dict, box, baseline: float, spacing: float = SPREAD):
    """Ports for `edges` spread along the sides of `box` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    by_side: dict = {}
    for e in edges:
        by_side.setdefault(sides[e], []).append(e)
    for side, es in by_side.items():
        n = len(es)
        for i, e in enumerate(es):
            off = (i - (n - 1) / 2) * spacing
            if side == "L":
                b.ports[e] = (x0, min(max(baseline - off, y0 + 0.05), y1 - 0.05), "L")
            elif side == "R":
                b.ports[e] = (x1, min(max(baseline - off, y0 + 0.05), y1 - 0.05), "R")
            elif side == "B":
                b.ports[e] = ((x0 + x1) / 2 + off * 1.5, y0, "B")
            else:
                b.ports[e] = ((x0 + x1) / 2 + off * 1.5, y1, "T")


def _stub_out(b: Block, edges, length: float = 0.2):
    """Continue each port a little beyond its enclosure, so wires and labels clear it."""
    for e in edges:
        x, y, side = b.ports[e]
        vx, vy = {"L": (-1, 0), "R": (1, 0), "T": (0, 1), "B": (0, -1)}[side]
        end = (x + vx * length, y + vy * length)
        b.wire([(x, y), end])
        b.ports[e] = end + (side,)


def _notch(b: Block, p, inward, role="notch"):
    """A small wedge on a glyph's (or box's) boundary at `p`, pointing `inward`: the first slot."""
    (px, py), (ix, iy), s = p, inward, 0.075
    b.polygon([(px - iy * s, py + ix * s), (px + iy * s, py - ix * s), (px + ix * s * 1.4, py + iy * s * 1.4)],
              role="notch" if role == "notch" else role + "_notch")
