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

import math

from ..expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero, as_number
from ..kinds import KindTable
from .block import UNIT, Block, Style

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


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

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


def layout(t: Tensor, style: Style, hints: dict) -> Block:
    """Unlabelled block for `t` with a port per free edge; `hints` maps edge -> side."""
    c = as_number(t)
    if c is not None:
        b = Block()
        b.text(0, 0, fmt_number(c), role="weight", style=style)
        return b
    return LAYOUT(t, style, hints)


#: the block of each node kind: entry(node, style, hints)
LAYOUT = KindTable("drawing")


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


@LAYOUT.register(Variable, Delta, Zero)
def _leaf(t: Tensor, style: Style, hints: dict) -> Block:
    return _network(Product((t,), t.edges), style, hints)


LAYOUT.register(Product)(lambda t, style, hints: _network(t, style, hints))
LAYOUT.register(Function)(lambda t, style, hints: _function(t, style, hints))
LAYOUT.register(Derivative)(lambda t, style, hints: _derivative(t, style, hints))


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


# ---------------------------------------------------------------------------
# Sums
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Enclosures: functions and derivatives
# ---------------------------------------------------------------------------

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


def _stub_out(b: Block, edges, length: float = 0.2):
    """Continue each port a little beyond its enclosure, so wires and labels clear it."""
    for e in edges:
        x, y, side = b.ports[e]
        vx, vy = {"L": (-1, 0), "R": (1, 0), "T": (0, 1), "B": (0, -1)}[side]
        end = (x + vx * length, y + vy * length)
        b.wire([(x, y), end])
        b.ports[e] = end + (side,)


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


def _derivative(d: Derivative, style: Style, hints: dict) -> Block:
    inner = layout(d.expr, style, {e: hints[e] for e in d.expr.edges if e in hints})
    title = f"∂/∂{d.var.name}"
    return _enclose(inner, title, "derivative", True, style, list(d.expr.edges), list(d.new_edges), hints)


# ---------------------------------------------------------------------------
# Product networks
# ---------------------------------------------------------------------------

def _flatten(p: Product):
    """(weight, factors) of a product with nested products spliced in (their
    internal edges renamed apart) and single-term sums pulled out as weights."""
    weight = 1
    factors = list(p.factors)
    while True:
        k = next((k for k, f in enumerate(factors)
                  if isinstance(f, Product) or (isinstance(f, Sum) and len(f.terms) == 1)), None)
        if k is None:
            return weight, factors
        f = factors[k]
        if isinstance(f, Sum):
            weight *= f.weights[0]
            inner = [f.terms[0]]
        else:
            avoid = {e for j, g in enumerate(factors) if j != k for e in g.edges} | set(p.edges)
            inner = list(f.rename_internal_apart(avoid).factors)
        factors = factors[:k] + inner + factors[k + 1:]


class _Node:
    __slots__ = ("t", "kind", "slots", "col", "row", "w", "h", "x", "y", "block", "ports")

    def __init__(self, t, kind):
        self.t, self.kind, self.slots = t, kind, []
        self.col = self.row = 0
        self.w = self.h = self.x = self.y = 0.0
        self.block = None
        self.ports = {}


class _Net:
    """Nodes, wires (u, eu, v, ev) and stubs (u, slot edge, free name) of a product,
    with 2-edge identities turned into plain wires."""

    def __init__(self, factors, free):
        self.nodes: list = []
        self.wires: list = []
        self.stubs: list = []
        parent: dict = {}

        def find(e):
            while parent.get(e, e) != e:
                e = parent[e]
            return e

        slot_of: dict = {}  # edge name -> [(node, edge)]
        for f in factors:
            if isinstance(f, Delta) and len(f.edges) == 2:
                a, c = find(f.edges[0]), find(f.edges[1])
                if a != c:
                    parent[max(a, c)] = min(a, c)
                else:  # a closed loop of identities: the dimension
                    self.nodes.append(_Node(f, "dim"))
                continue
            kind = _kind(f)
            u = len(self.nodes)
            self.nodes.append(_Node(f, kind))
            for e in f.edges:
                slot_of.setdefault(e, []).append((u, e))
        classes: dict = {}
        for e, slots in slot_of.items():
            classes.setdefault(find(e), []).extend(slots)
        free_of: dict = {}
        for e in free:
            free_of.setdefault(find(e), []).append(e)
        for f in factors:  # identities with both ends free become a bare wire node
            if isinstance(f, Delta) and len(f.edges) == 2:
                r = find(f.edges[0])
                if r not in classes and len(free_of.get(r, ())) == 2:
                    u = len(self.nodes)
                    self.nodes.append(_Node(f, "wire"))
                    classes[r] = [(u, free_of[r][0]), (u, free_of[r][1])]
                    for name in free_of[r]:
                        self.stubs.append((u, name, name))
        for r, slots in sorted(classes.items(), key=lambda kv: (kv[1][0], kv[0])):
            names = free_of.get(r, [])
            if self.nodes[slots[0][0]].kind == "wire":
                continue
            if len(slots) == 2:
                (u, eu), (v, ev) = slots
                self.wires.append((u, eu, v, ev))
            elif len(slots) == 1 and names:
                self.stubs.append((slots[0][0], slots[0][1], names[0]))
        order = {e: k for k, e in enumerate(free)}
        self.stubs.sort(key=lambda s: order[s[2]])
        self.adj = [[] for _ in self.nodes]
        for u, _, v, _ in self.wires:
            if u != v:
                self.adj[u].append(v)
                self.adj[v].append(u)
        self.adj = [sorted(set(a)) for a in self.adj]

    def components(self) -> list:
        seen, out = set(), []
        for s in range(len(self.nodes)):
            if s in seen:
                continue
            comp, todo = [], [s]
            seen.add(s)
            while todo:
                u = todo.pop()
                comp.append(u)
                for v in self.adj[u]:
                    if v not in seen:
                        seen.add(v)
                        todo.append(v)
            out.append(sorted(comp))
        return out


def _kind(f: Tensor) -> str:
    if isinstance(f, Delta):
        return "dim" if not f.edges else "dot"
    if isinstance(f, (Variable, Zero)):
        return "glyph"
    if as_number(f) is not None:
        return "number"
    return "block"


def _longest_path(adj, starts, end, nodes) -> list:
    """Longest simple path from one of `starts` (to `end` if given); ties keep the
    first found in index order. Bounded work; falls back to a shortest path."""
    best: list = []
    budget = [DFS_BUDGET]

    def dfs(path, seen):
        budget[0] -= 1
        u = path[-1]
        if (end is None or u == end) and len(path) > len(best):
            best[:] = path
        if budget[0] <= 0 or u == end:
            return
        for v in adj[u]:
            if v not in seen and v in nodes:
                seen.add(v)
                path.append(v)
                dfs(path, seen)
                path.pop()
                seen.discard(v)

    for s in starts:
        dfs([s], {s})
    if not best and end is not None:  # budget ran out: breadth-first shortest path
        prev = {starts[0]: None}
        todo = [starts[0]]
        while todo:
            u = todo.pop(0)
            for v in adj[u]:
                if v not in prev:
                    prev[v] = u
                    todo.append(v)
        u, best = end, []
        while u is not None:
            best.append(u)
            u = prev.get(u)
        best.reverse()
    return best


def _spine(net: _Net, comp: list, sides: dict) -> list:
    stubs = [s for s in net.stubs if s[0] in comp]
    left = [u for u, _, name in stubs if sides[name] == "L"]
    right = [u for u, _, name in stubs if sides[name] == "R"]
    nodes = set(comp)
    s = left[0] if left else None
    t = right[-1] if right else None
    if s is not None and t is not None:
        return [s] if s == t else _longest_path(net.adj, [s], t, nodes)
    if s is not None:
        return _longest_path(net.adj, [s], None, nodes)
    if t is not None:
        return _longest_path(net.adj, [t], None, nodes)[::-1]
    path = _longest_path(net.adj, comp, None, nodes)
    return path if path[0] <= path[-1] else path[::-1]


def _grid(net: _Net, comp: list, spine: list):
    """Grid cells: spine on row 0; the rest breadth-first below their neighbours."""
    taken = set()
    for c, u in enumerate(spine):
        net.nodes[u].col, net.nodes[u].row = c, 0
        taken.add((c, 0))
    placed = set(spine)
    todo = list(spine)
    while todo:
        u = todo.pop(0)
        for v in net.adj[u]:
            if v in placed:
                continue
            nbs = [net.nodes[w] for w in net.adj[v] if w in placed]
            col = round(sum(n.col for n in nbs) / len(nbs))
            row = max(n.row for n in nbs) + 1
            for step in range(0, 64):
                c = col + (step + 1) // 2 * (1 if step % 2 else -1) if step else col
                if (c, row) not in taken:
                    col = c
                    break
            else:
                row += 1
            net.nodes[v].col, net.nodes[v].row = col, row
            taken.add((col, row))
            placed.add(v)
            todo.append(v)
    return taken


def _stub_dir(net: _Net, u: int, side: str, comp: list, taken: set) -> str:
    n = net.nodes[u]
    row = [net.nodes[v].col for v in comp if net.nodes[v].row == n.row]
    if side == "L" and n.col == min(row):
        return "L"
    if side == "R" and n.col == max(row):
        return "R"
    if side in ("T", "B"):
        return side
    return "T" if (n.col, n.row + 1) in taken and (n.col, n.row - 1) not in taken else "B"


def _rect_clip(n: _Node, px, py):
    dx, dy = px - n.x, py - n.y
    if dx == 0 and dy == 0:
        return n.x, n.y
    hw, hh = n.w / 2, n.h / 2
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return n.x + dx * t, n.y + dy * t


def _bezier(p0, p1, p2, p3, k=24):
    pts = []
    for i in range(k + 1):
        s = i / k
        a, b, c, d = (1 - s) ** 3, 3 * s * (1 - s) ** 2, 3 * s * s * (1 - s), s ** 3
        pts.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return pts


def _glyph_size(n: _Node, style: Style):
    t = n.t
    if n.kind == "glyph":
        label = "0" if isinstance(t, Zero) else t.name
        w, _ = style.text_size(label)
        return max(GLYPH_H, w + 0.2), GLYPH_H
    if n.kind == "dot":
        return 2 * DOT_R, 2 * DOT_R
    if n.kind == "wire":
        return 0.5, 0.0
    if n.kind == "dim":
        w, h = style.text_size(t.dim)
        return w, h
    raise AssertionError(n.kind)


def _cumulate(sizes: dict, gap: float) -> dict:
    """Centres of grid cells of the given sizes, `gap` apart, the first at 0."""
    out, pos, prev = {}, 0.0, None
    for k in sorted(sizes):
        if prev is not None:
            pos += sizes[prev] / 2 + gap + sizes[k] / 2
        out[k] = pos
        prev = k
    return out


def _component(net: _Net, comp: list, sides: dict, style: Style) -> Block:
    spine = _spine(net, comp, sides)
    taken = _grid(net, comp, spine)
    stub_dirs = {}
    for u, slot, name in net.stubs:
        if u in comp:
            stub_dirs[(u, slot)] = _stub_dir(net, u, sides[name], comp, taken)

    # sizes: composite nodes are laid out now, knowing where their neighbours are
    for u in comp:
        n = net.nodes[u]
        if n.kind in ("block", "number"):
            hints = {}
            for a, ea, b, eb in net.wires:
                for me, e, other in ((a, ea, b), (b, eb, a)):
                    if me == u and other != u:
                        o = net.nodes[other]
                        hints[e] = ("L" if o.col < n.col else "R" if o.col > n.col else
                                    "T" if o.row < n.row else "B")
            for (v, slot), d in stub_dirs.items():
                if v == u:
                    hints[slot] = d
            n.block = layout(n.t, style, hints)
            n.w, n.h = n.block.width, n.block.height
        else:
            n.w, n.h = _glyph_size(n, style)

    cols = {}
    rows = {}
    for u in comp:
        n = net.nodes[u]
        cols[n.col] = max(cols.get(n.col, 0), n.w)
        rows[n.row] = max(rows.get(n.row, 0), n.h)
    gap = COL_GAP + (style.text_size("n", 0.75)[0] * 2 if style.show_dims else 0)
    xs = _cumulate(cols, gap)
    ys = {r: -y for r, y in _cumulate(rows, ROW_GAP).items()}  # rows go down

    b = Block()
    attach: dict = {}  # (node, edge) -> (point, inward unit vector)
    for u in comp:
        n = net.nodes[u]
        n.x, n.y = xs[n.col], ys[n.row]
        if n.block is not None:
            x0, y0, x1, y1 = n.block.bbox
            dx, dy = n.x - (x0 + x1) / 2, n.y - (y0 + y1) / 2
            n.ports = b.place(n.block, dx, dy)
        elif n.kind == "glyph":
            label = "0" if isinstance(n.t, Zero) else n.t.name
            rounding = 0.2 if len(n.t.edges) == 1 else 0.08
            b.glyph(n.x, n.y, n.w, n.h, label, "zero" if isinstance(n.t, Zero) else "variable", rounding)
        elif n.kind == "dot":
            b.dot(n.x, n.y, DOT_R)
        elif n.kind == "dim":
            b.text(n.x, n.y, n.t.dim, role="weight", style=style)

    def endpoint(u, e, toward):
        n = net.nodes[u]
        if n.block is not None and e in n.ports:
            return n.ports[e][:2]
        if n.kind == "glyph":
            p = _rect_clip(n, *toward)
            _note(attach, u, e, p, n)
            return p
        return n.x, n.y

    # wires
    seen_pairs: dict = {}
    for u, eu, v, ev in net.wires:
        if u not in comp:
            continue
        nu, nv = net.nodes[u], net.nodes[v]
        key = (min(u, v), max(u, v))
        k = seen_pairs.get(key, 0)
        seen_pairs[key] = k + 1
        dims = nu.t.dims.get(eu) if hasattr(nu.t, "dims") else None
        if u == v:
            top = nu.y + nu.h / 2
            p1 = (nu.x - nu.w / 4, top) if nu.block is None else nu.ports[eu][:2]
            p2 = (nu.x + nu.w / 4, top) if nu.block is None else nu.ports[ev][:2]
            if nu.kind == "glyph":
                _note(attach, u, eu, p1, nu)
                _note(attach, u, ev, p2, nu)
            h = top + 0.4 + 0.2 * k
            pts = _bezier(p1, (p1[0] - 0.3, h), (p2[0] + 0.3, h), p2)
        elif nu.row == nv.row and (abs(nu.col - nv.col) > 1 or k > 0):
            left, right = (nu, nv) if nu.col < nv.col else (nv, nu)
            el, er = (eu, ev) if left is nu else (ev, eu)
            lu, ru = (u, v) if left is nu else (v, u)
            between = [net.nodes[w] for w in comp if net.nodes[w].row == nu.row
                       and left.col <= net.nodes[w].col <= right.col]
            up = nu.row == 0
            if up:
                level = max(w.y + w.h / 2 for w in between)
            else:
                level = min(w.y - w.h / 2 for w in between)
            lift = (0.32 + 0.12 * (right.col - left.col) + 0.18 * k) * (1 if up else -1)
            peak = level + lift
            p1 = endpoint(lu, el, (left.x + 0.01, left.y + (1 if up else -1)))
            p2 = endpoint(ru, er, (right.x - 0.01, right.y + (1 if up else -1)))
            ctrl = peak + (peak - (p1[1] + p2[1]) / 2) / 3
            pts = _bezier(p1, (p1[0], ctrl), (p2[0], ctrl), p2)
        else:
            p1 = endpoint(u, eu, (nv.x, nv.y))
            p2 = endpoint(v, ev, (nu.x, nu.y))
            if k:
                mx, my = (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2
                dx, dy = p2[0] - p1[0], p2[1] - p1[1]
                L = math.hypot(dx, dy) or 1
                off = 0.22 * ((k + 1) // 2) * (1 if k % 2 else -1)
                c = (mx - dy / L * off, my + dx / L * off)
                pts = _bezier(p1, c, c, p2)
            else:
                pts = [p1, p2]
        b.wire(pts)
        if style.show_dims and dims:
            if len(pts) == 2:
                mid = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
            else:
                mid = pts[len(pts) // 2]
            b.text(mid[0], mid[1] + 0.05, dims, role="dims", va="bottom", rel=0.7, style=style)

    # free-edge stubs
    groups: dict = {}
    for u, slot, name in net.stubs:
        if u in comp:
            groups.setdefault((u, stub_dirs[(u, slot)]), []).append((slot, name))
    for (u, d), items in groups.items():
        n = net.nodes[u]
        m = len(items)
        for i, (slot, name) in enumerate(items):
            if n.block is not None and slot in n.ports:
                px, py, pside = n.ports[slot]
                vec = {"L": (-1, 0), "R": (1, 0), "T": (0, 1), "B": (0, -1)}[pside]
                end = (px + vec[0] * STUB * 0.6, py + vec[1] * STUB * 0.6)
                b.wire([(px, py), end])
                b.ports[name] = end + (pside,)
                continue
            label_w = max(style.text_size(nm, 0.9)[0] for _, nm in items)
            if d in ("L", "R"):
                off = -(i - (m - 1) / 2) * SPREAD
                sy = n.y + max(-n.h / 2, min(n.h / 2, off))
                sx = n.x + (-1 if d == "L" else 1) * n.w / 2
                if n.kind == "wire":
                    sx = n.x
                ex = sx + (-1 if d == "L" else 1) * STUB
                start, end = (sx, sy), (ex, n.y + off)
            else:
                off = (i - (m - 1) / 2) * max(SPREAD, label_w + 0.12)
                sx = n.x + max(-n.w / 2, min(n.w / 2, off))
                sy = n.y + (1 if d == "T" else -1) * n.h / 2
                ey = sy + (1 if d == "T" else -1) * STUB
                start, end = (sx, sy), (n.x + off, ey)
            if n.kind == "dot":
                start = (n.x, n.y)
            b.wire([start, end])
            if n.kind == "glyph":
                _note(attach, u, slot, start, n)
            b.ports[name] = end + (d,)

    # first-slot notches: tell a matrix from its transpose
    for u in comp:
        n = net.nodes[u]
        if n.kind == "glyph" and isinstance(n.t, Variable) and len(n.t.edges) >= 2:
            hit = attach.get((u, n.t.edges[0]))
            if hit is not None:
                _notch(b, *hit)
    b.baseline = 0.0
    return b


def _notch(b: Block, p, inward, role="notch"):
    """A small wedge on a glyph's (or box's) boundary at `p`, pointing `inward`: the first slot."""
    (px, py), (ix, iy), s = p, inward, 0.075
    b.polygon([(px - iy * s, py + ix * s), (px + iy * s, py - ix * s), (px + ix * s * 1.4, py + iy * s * 1.4)],
              role="notch" if role == "notch" else role + "_notch")


def _note(attach, u, e, p, n):
    """Remember where edge `e` meets glyph `u` and the inward direction there."""
    dx, dy = n.x - p[0], n.y - p[1]
    # snap the inward direction to the side the point lies on
    if abs(abs(p[0] - n.x) - n.w / 2) < 1e-9:
        vec = (1.0 if dx > 0 else -1.0, 0.0)
    else:
        vec = (0.0, 1.0 if dy > 0 else -1.0)
    attach[(u, e)] = (p, vec)


def _network(p: Product, style: Style, hints: dict) -> Block:
    weight, factors = _flatten(p)
    if not factors:
        return _text_block(fmt_number(weight), style)
    net = _Net(factors, p.edges)
    sides = _sides(p.edges, hints)
    comps = net.components()
    with_free = [c for c in comps if any(s[0] in c for s in net.stubs)]
    scalars = [c for c in comps if c not in with_free]
    order = {e: k for k, e in enumerate(p.edges)}
    with_free.sort(key=lambda c: min(order[s[2]] for s in net.stubs if s[0] in c))

    stack = Block()
    y = 0.0
    cx = None
    for c in with_free:
        blk = _component(net, c, sides, style)
        x0, y0, x1, y1 = blk.bbox
        if cx is None:
            cx = (x0 + x1) / 2
            dy = 0.0
        else:
            dy = y - (y1 - 0.0) - 0.35
        dx = cx - (x0 + x1) / 2
        stack.ports.update(stack.place(blk, dx, dy))
        y = y0 + dy
    pieces = []
    if weight != 1:
        pieces.append(_text_block(_weight_text(weight, True, False), style))
    for c in scalars:
        pieces.append(_component(net, c, sides, style))
    if stack.bbox is not None:
        pieces.append(stack)
    out = _row(pieces, gap=0.3)
    return out

