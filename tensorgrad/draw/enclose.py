"""Enclosures: a function's argument in a box titled by the function, an unevaluated
derivative in a dashed box; free edges leave through ports on the box.
"""

from __future__ import annotations

from ..expr import Delta, Derivative, Function, Product
from .block import Block, Style
from .dispatch import LAYOUT, layout
from .parts import PAD, SPREAD, _boundary_ports, _notch, _sides, _stub_out, func_title, label_ports


def _enclose(inner: Block, title: str, role: str, dashed: bool, style: Style, pass_edges, extra_edges,
             hints: dict, default_sides: dict | None = None, notch: str | None = None) -> Block:
    """`inner` in a box titled `title`; `pass_edges` continue from inner ports to the box,
    `extra_edges` start on the box itself."""
    default_sides = default_sides or {}
    b = Block()
    b.place(inner, 0, 0)
    tw, th = style.text_size(title, 0.85)
    x0, y0, x1, y1 = inner.bbox
    x0, y0, x1, y1 = x0 - PAD, y0 - PAD, x1 + PAD, y1 + PAD + th
    if x1 - x0 < tw + 2 * PAD:
        grow = (tw + 2 * PAD - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    if extra_edges:  # room for the new edges' ports around the baseline
        y0 = min(y0, inner.baseline - SPREAD * len(extra_edges) / 2 - PAD)
    b.rect(x0, y0, x1, y1, role=role, dashed=dashed)
    top_used = any(inner.ports[e][2] == "T" for e in pass_edges) or any(hints.get(e) == "T" for e in extra_edges)
    if top_used:  # keep the title clear of wires leaving through the top: move the room below
        y0, y1 = y0 - th, y1 - th
        b.items.pop()
        b.rect(x0, y0, x1, y1, role=role, dashed=dashed)
        b.text(x0 + 0.07, y0 + 0.03, title, role=role, ha="left", va="bottom", rel=0.85, style=style)
    else:
        b.text(x0 + 0.07, y1 - 0.03, title, role=role, ha="left", va="top", rel=0.85, style=style)
    for e in pass_edges:
        x, y, side = inner.ports[e]
        end = {"L": (x0, y), "R": (x1, y), "B": (x, y0), "T": (x, y1)}[side]
        if (x, y) != end:
            b.wire([(x, y), end])
        b.ports[e] = end + (side,)
        if e == notch:
            inward = {"L": (1, 0), "R": (-1, 0), "B": (0, 1), "T": (0, -1)}[side]
            _notch(b, end, inward, role)
    if extra_edges:
        sides = {e: hints.get(e) or default_sides.get(e, "R") for e in extra_edges}
        _boundary_ports(b, extra_edges, sides, (x0, y0 + (th if top_used else 0), x1, y1 - (0 if top_used else th)),
                        inner.baseline)
    _stub_out(b, list(pass_edges) + list(extra_edges))
    b.baseline = inner.baseline
    return b



@LAYOUT.register(Function)
def _function(f: Function, style: Style, hints: dict) -> Block:
    arg = f.arg
    hidden: list = []
    extra = f.spec.extra if isinstance(f.spec.extra, dict) else {}
    if extra.get("draw_hide_ones") and isinstance(arg, Product):
        # broadcast edges of an opaque function: drawn as edges leaving the box
        keep = []
        for g in arg.factors:
            if isinstance(g, Delta) and len(g.edges) == 1 and g.edges[0] in f.edges:
                hidden.append(g.edges[0])
            else:
                keep.append(g)
        arg = Product(keep, [e for e in arg.edges if e not in hidden])
    inner = layout(arg, style, {e: hints[e] for e in f.edges if e in hints and e in arg.edges})
    consumed = [e for e in arg.edges if e not in f.edges]
    if not extra.get("draw_hide_ones"):  # an opaque function's input edges need no names
        label_ports(inner, consumed, style, arg.dims)
    passing = [e for e in f.edges if e in arg.edges]
    # a function whose core edges pass through and whose result depends on their order
    # (inverse) marks its first core edge, as a variable marks its first slot
    notch = f.core[0] if len(f.core) >= 2 and not f.spec.symmetric_core and f.core[0] in passing else None
    return _enclose(inner, func_title(f), "function", False, style, passing, hidden, hints, _sides(f.edges, hints),
                    notch)


@LAYOUT.register(Derivative)
def _derivative(d: Derivative, style: Style, hints: dict) -> Block:
    inner = layout(d.expr, style, {e: hints[e] for e in d.expr.edges if e in hints})
    title = f"∂/∂{d.var.name}"
    return _enclose(inner, title, "derivative", True, style, list(d.expr.edges), list(d.new_edges), hints)

