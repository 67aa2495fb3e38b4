"""One connected piece of a product network on a grid: a spine (the longest path
between the first left and the last right free edge) on row 0, the other nodes
breadth-first below their neighbours, wires between them, stubs for free edges.
"""

from __future__ import annotations

import math

from ..expr import Variable, Zero
from .block import Block, Style
from .dispatch import layout
from .geometry import segment_hits_rect
from .parts import COL_GAP, DFS_BUDGET, DOT_R, GLYPH_H, ROW_GAP, SPREAD, STUB, _notch


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
    # a closed chain reads either way: the way with fewer matrices drawn transposed
    fwd, back = _backwards(net, path), _backwards(net, path[::-1])
    return path if (fwd, path[0]) <= (back, path[-1]) else path[::-1]


def _backwards(net, path: list) -> int:
    """How many matrices on `path` would have their second leg toward its start."""
    n = 0
    for k, u in enumerate(path):
        t = net.nodes[u].t
        if not isinstance(t, Variable) or len(t.edges) != 2:
            continue
        for a, ea, b, eb in net.wires:
            for me, e, other in ((a, ea, b), (b, eb, a)):
                if me == u and other != u:
                    if k > 0 and other == path[k - 1] and e == t.edges[1]:
                        n += 1
                    if k + 1 < len(path) and other == path[k + 1] and e == t.edges[0]:
                        n += 1
    return n


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
    below, above = (n.col, n.row + 1) in taken, (n.col, n.row - 1) in taken or n.row > 0
    if side == "B" and below and not above:  # a node hangs below: leave upwards instead
        return "T"
    if side == "T" and above and not below:
        return "B"
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


def _body(n) -> tuple:
    """The rectangle a node occupies that wires of others must not enter."""
    if n.block is not None:
        x0, y0, x1, y1 = n.block.body if n.block.body is not None else n.block.bbox
        return x0 + n.dx, y0 + n.dy, x1 + n.dx, y1 + n.dy
    r = max(n.w, n.h) / 2 if n.kind == "dot" else 0
    return n.x - n.w / 2 - r, n.y - n.h / 2 - r, n.x + n.w / 2 + r, n.y + n.h / 2 + r


def _route(p1, p2, obstacles, offset: float = 0.0, sides=(None, None)) -> list:
    """A wire from p1 to p2 avoiding the obstacle rectangles: straight if it can be, else
    the least bent curve that is clear (bending to either side), else a path of right
    angles that enters a box's port from the side the port faces; parallel wires start bent.
    `sides` are the sides ('L', 'R', 'T', 'B') of ports at p1 and p2, if they are ports."""
    mx, my = (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    L = math.hypot(dx, dy) or 1
    best, best_hits = None, None

    def hits(pts):
        return sum(any(segment_hits_rect(a, b, r) for a, b in zip(pts, pts[1:])) for r in obstacles)

    candidates = []
    for bend in (0.0, 0.3, -0.3, 0.6, -0.6):
        candidates.append(_bent(p1, p2, offset + bend, mx, my, dx, dy, L))
    candidates += _square_paths(p1, p2, sides)
    for bend in (1.0, -1.0, 1.5, -1.5, 2.2, -2.2):
        candidates.append(_bent(p1, p2, offset + bend, mx, my, dx, dy, L))
    candidates += [[p1, (p1[0], p2[1]), p2], [p1, (p2[0], p1[1]), p2]]
    for pts in candidates:
        h = hits(pts)
        if h == 0:
            return pts
        if best_hits is None or h < best_hits:
            best, best_hits = pts, h
    return best


def _bent(p1, p2, off, mx, my, dx, dy, L) -> list:
    if off == 0:
        return [p1, p2]
    c = (mx - dy / L * off / 0.75, my + dx / L * off / 0.75)  # the curve's middle lies `off` aside
    return _bezier(p1, c, c, p2)


def _square_paths(p1, p2, sides) -> list:
    """Right-angle paths that leave and enter ports straight out of their sides."""
    out = []
    step = {"L": (-0.3, 0), "R": (0.3, 0), "T": (0, 0.3), "B": (0, -0.3)}
    a = (p1[0] + step[sides[0]][0], p1[1] + step[sides[0]][1]) if sides[0] else p1
    z = (p2[0] + step[sides[1]][0], p2[1] + step[sides[1]][1]) if sides[1] else p2
    for mid in ((a[0], z[1]), (z[0], a[1])):
        out.append([p for k, p in enumerate([p1, a, mid, z, p2]) if k in (0, 4) or p not in (p1, p2)])
    lanes_y = ((a[1] + z[1]) / 2, max(a[1], z[1]) + 0.45, min(a[1], z[1]) - 0.45)
    lanes_x = ((a[0] + z[0]) / 2, min(a[0], z[0]) - 0.45, max(a[0], z[0]) + 0.45)
    for ym, xm in zip(lanes_y, lanes_x):
        out.append([p1, a, (a[0], ym), (z[0], ym), z, p2])
        out.append([p1, a, (xm, a[1]), (xm, z[1]), z, p2])
    return out


def _transposed(net, u: int, stub_dirs: dict) -> bool:
    """Whether matrix `u` is drawn with its first (row) leg to the right of its second:
    the book's convention is row leg left, column leg right, so it is then labelled ᵀ."""
    n = net.nodes[u]
    if not isinstance(n.t, Variable) or len(n.t.edges) != 2:
        return False
    far = {"L": -1e9, "R": 1e9}
    pos = {}
    for a, ea, b, eb in net.wires:
        if a == b:
            continue
        if a == u:
            pos[ea] = net.nodes[b].col
        if b == u:
            pos[eb] = net.nodes[a].col
    for (v, slot), d in stub_dirs.items():
        if v == u:
            pos[slot] = far.get(d, n.col)
    first, second = n.t.edges
    return first in pos and second in pos and pos[first] > pos[second]


def glyph_label(n) -> str:
    return "0" if isinstance(n.t, Zero) else n.t.name + ("ᵀ" if n.transposed else "")


def _glyph_size(n: _Node, style: Style):
    t = n.t
    if n.kind == "glyph":
        label = glyph_label(n)
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
            n.transposed = n.kind == "glyph" and _transposed(net, u, stub_dirs)
            n.w, n.h = _glyph_size(n, style)

    cols = {}
    above, below = {}, {}  # a row's extent above and below the line its nodes' baselines sit on
    for u in comp:
        n = net.nodes[u]
        cols[n.col] = max(cols.get(n.col, 0), n.w)
        up = n.block.bbox[3] - n.block.baseline if n.block is not None else n.h / 2
        above[n.row] = max(above.get(n.row, 0), up)
        below[n.row] = max(below.get(n.row, 0), n.h - up)
    gap = COL_GAP + (style.text_size("n", 0.75)[0] * 2 if style.show_dims else 0)
    xs = _cumulate(cols, gap)
    ys, y = {}, 0.0  # rows go down
    for r in sorted(above):
        if ys:
            y -= below[prev] + ROW_GAP + above[r]
        ys[r], prev = y, r

    b = Block()
    attach: dict = {}  # (node, edge) -> (point, inward unit vector)
    for u in comp:
        n = net.nodes[u]
        n.x, n.y = xs[n.col], ys[n.row]
        if n.block is not None:
            x0, y0, x1, y1 = n.block.bbox
            dx, dy = n.x - (x0 + x1) / 2, n.y - n.block.baseline  # ports on the row's line
            n.ports = b.place(n.block, dx, dy)
            n.dx, n.dy = dx, dy
            n.y = (y0 + y1) / 2 + dy
        elif n.kind == "glyph":
            label = glyph_label(n)
            rounding = 0.2 if len(n.t.edges) == 1 else 0.08
            b.glyph(n.x, n.y, n.w, n.h, label, "zero" if isinstance(n.t, Zero) else "variable", rounding)
        elif n.kind == "dot":
            b.dot(n.x, n.y, DOT_R)
        elif n.kind == "dim":
            b.text(n.x, n.y, n.t.dim, role="weight", style=style)

    obstacles = [(u, _body(net.nodes[u])) for u in comp]

    def endpoint(u, e, toward):
        n = net.nodes[u]
        if n.block is not None and e in n.ports:
            return n.ports[e][:2]
        if n.kind == "glyph":
            p = _rect_clip(n, *toward)
            _note(attach, u, e, p, n)
            return p
        return n.x, n.y

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

    for name, (x, y, d) in b.ports.items():  # where the labels will go: wires keep clear of them
        w, h = style.text_size(name, 0.9)
        box = {"L": (x - 0.05 - w, y - h / 2, x - 0.05, y + h / 2), "R": (x + 0.05, y - h / 2, x + 0.05 + w, y + h / 2),
               "T": (x - w / 2, y + 0.04, x + w / 2, y + 0.04 + h), "B": (x - w / 2, y - 0.04 - h, x + w / 2, y - 0.04)}
        obstacles.append((-1, box[d]))

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
            base = max(p1[1], p2[1])
            h = base + (top + 0.3 + 0.2 * k - base) / 0.75  # the curve peaks 3/4 of the way to its controls
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
            off = 0.22 * ((k + 1) // 2) * (1 if k % 2 else -1)
            side = lambda w, e: net.nodes[w].ports[e][2] if net.nodes[w].block is not None and e in net.nodes[w].ports else None
            pts = _route(p1, p2, [r for w, r in obstacles if not (w in (u, v) and net.nodes[w].kind == "dot")], off,
                         (side(u, eu), side(v, ev)))
        b.wire(pts)
        if style.show_dims and dims:
            if len(pts) == 2:
                mid = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
            else:
                mid = pts[len(pts) // 2]
            b.text(mid[0], mid[1] + 0.05, dims, role="dims", va="bottom", rel=0.7, style=style)

    # first-slot notches tell which leg of a tensor of order 3 or more comes first
    # (a matrix shows it by leg position and ᵀ instead)
    for u in comp:
        n = net.nodes[u]
        if n.kind == "glyph" and isinstance(n.t, Variable) and len(n.t.edges) >= 3:
            hit = attach.get((u, n.t.edges[0]))
            if hit is not None:
                _notch(b, *hit)
    b.baseline = 0.0
    return b



def _note(attach, u, e, p, n):
    """Remember where edge `e` meets glyph `u` and the inward direction there."""
    dx, dy = n.x - p[0], n.y - p[1]
    # snap the inward direction to the side the point lies on
    if abs(abs(p[0] - n.x) - n.w / 2) < 1e-9:
        vec = (1.0 if dx > 0 else -1.0, 0.0)
    else:
        vec = (0.0, 1.0 if dy > 0 else -1.0)
    attach[(u, e)] = (p, vec)

