"""Enclosures: a function's argument in a box titled by the function, an unevaluated
derivative in a dashed box; free edges leave through ports on the box.
"""

from __future__ import annotations

from ..expr import Delta, Derivative, Function, Product
from .block import Block, Style
from .dispatch import LAYOUT, layout
from .parts import PAD, SPREAD, _boundary_ports, _notch, _sides, _stub_out, func_title


def _enclose(inner: Block, title: str, role: str, dashed: bool, style: Style, pass_edges, extra_edges,
             hints: dict, default_sides: dict | None = None, notch: str | None = None, along=()) -> Block:
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
        if side in ("T", "B") and hints.get(e) in ("L", "R"):
            # the inner stub leaves by the top or bottom but the neighbour is beside the
            # box: run along the inner drawing's edge to that side, not out and around the box
            side = hints[e]
        end = {"L": (x0, y), "R": (x1, y), "B": (x, y0), "T": (x, y1)}[side]
        if (x, y) != end:
            b.wire([(x, y), end], role=role if e in along else "wire")
        b.ports[e] = end + (side,)
        if e == notch:
            inward = {"L": (1, 0), "R": (-1, 0), "B": (0, 1), "T": (0, -1)}[side]
            _notch(b, end, inward, role)
    if extra_edges:
        sides = {e: hints.get(e) or default_sides.get(e, "R") for e in extra_edges}
        _boundary_ports(b, extra_edges, sides, (x0, y0 + (th if top_used else 0), x1, y1 - (0 if top_used else th)),
                        inner.baseline)
    b.body = (x0, y0, x1, y1)
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
    title = func_title(f)
    while _composable(f, arg):  # tanh(cosh(x))⁻³ is one box titled cosh⁻³, not three nested boxes
        title = _compose(title, f, func_title(arg))
        f, arg = arg, arg.arg
    sides = _sides(f.edges, hints)
    inner = layout(arg, style, {e: sides[e] for e in f.edges if e in arg.edges})
    consumed = [e for e in arg.edges if e not in f.edges]
    _end_in_box(inner, consumed)  # the edges the function sums over end inside its box
    passing = [e for e in f.edges if e in arg.edges]
    # a function whose core edges pass through and whose result depends on their order
    # (inverse) marks its first core edge, as a variable marks its first slot
    notch = f.core[0] if len(f.core) >= 2 and not f.spec.symmetric_core and f.core[0] in passing else None
    along = [e for e in f.core if e in passing]  # softmax's edge: it acts along it, drawn in the box colour
    return _enclose(inner, title, "function", False, style, passing, hidden, hints, _sides(f.edges, hints),
                    notch, along)


def _composable(f: Function, arg) -> bool:
    """An elementwise function of an elementwise function (same edges): one box."""
    return (isinstance(arg, Function) and not f.core and not arg.core and set(arg.edges) == set(f.edges)
            and not (isinstance(arg.spec.extra, dict) and arg.spec.extra.get("opaque")))


def _compose(outer_title: str, outer: Function, inner_title: str) -> str:
    """'(·)⁻³' of 'cosh' is 'cosh⁻³', '√' of 'cosh' is '√cosh', 'exp' of 'log' is 'exp∘log'."""
    if outer.spec.name == "pow" and outer_title.startswith("(·)"):
        return inner_title + outer_title[3:]
    if outer_title == "√":
        return "√" + inner_title
    return outer_title + "∘" + inner_title


def _end_in_box(b: Block, edges):
    """A short cross bar at the end of each of `edges`' stubs: the edge stops here."""
    for e in edges:
        x, y, side = b.ports.pop(e)
        vx, vy = (0.0, 0.09) if side in ("L", "R") else (0.09, 0.0)
        b.wire([(x - vx, y - vy), (x + vx, y + vy)], role="function")


@LAYOUT.register(Derivative)
def _derivative(d: Derivative, style: Style, hints: dict) -> Block:
    sides = _sides(d.expr.edges, hints)
    inner = layout(d.expr, style, {e: sides[e] for e in d.expr.edges})
    title = f"∂/∂{d.var.name}"
    return _enclose(inner, title, "derivative", True, style, list(d.expr.edges), list(d.new_edges), hints)

