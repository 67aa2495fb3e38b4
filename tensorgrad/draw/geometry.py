"""Reading a finished drawing's geometry: where wires meet what they should not.

Tests and the figure report use these counts; layout uses `segment_hits_rect` to
route wires around nodes. Everything is in layout units on a `Block`'s items.

>>> from tensorgrad.draw.block import Block
>>> b = Block(); b.glyph(0, 0, 0.5, 0.5, "A"); b.wire([(-1, 0), (1, 0)])
>>> [k for k, v in problems(b).items() if v]
['through_glyph']
"""

from __future__ import annotations

from .block import Block, Style

EPS = 0.03  # how far inside an obstacle a wire must reach to count as entering it


def segment_hits_rect(p, q, rect, eps: float = EPS) -> bool:
    """Whether segment p-q enters rectangle (x0, y0, x1, y1) shrunk by `eps` (Liang–Barsky)."""
    x0, y0, x1, y1 = rect[0] + eps, rect[1] + eps, rect[2] - eps, rect[3] - eps
    if x0 >= x1 or y0 >= y1:
        return False
    (px, py), (qx, qy) = p, q
    dx, dy = qx - px, qy - py
    t0, t1 = 0.0, 1.0
    for d, lo, hi, s in ((dx, x0, x1, px), (dy, y0, y1, py)):
        if abs(d) < 1e-12:
            if s <= lo or s >= hi:
                return False
            continue
        a, b = (lo - s) / d, (hi - s) / d
        if a > b:
            a, b = b, a
        t0, t1 = max(t0, a), min(t1, b)
        if t0 >= t1:
            return False
    return True


def _dist_to_segment(c, p, q) -> float:
    (cx, cy), (px, py), (qx, qy) = c, p, q
    dx, dy = qx - px, qy - py
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((cx - px) * dx + (cy - py) * dy) / L2))
    return ((px + t * dx - cx) ** 2 + (py + t * dy - cy) ** 2) ** 0.5


def text_rect(it, style: Style):
    """The rectangle a text item covers (estimated from the font size, as layout does)."""
    _, x, y, s, role, ha, va, rel, _ = it
    w, h = style.text_size(s, rel)
    x0 = {"left": x, "center": x - w / 2, "right": x - w}[ha]
    y0 = {"bottom": y, "center": y - h / 2, "top": y - h}[va]
    return x0, y0, x0 + w, y0 + h


def wires(b: Block) -> list:
    """The polylines of wires (not parentheses or other text strokes)."""
    return [it[1] for it in b.items if it[0] == "wire" and it[2] == "wire"]


def glyph_rects(b: Block) -> list:
    return [(it[1] - it[3] / 2, it[2] - it[4] / 2, it[1] + it[3] / 2, it[2] + it[4] / 2)
            for it in b.items if it[0] == "glyph"]


def problems(b: Block, style: Style | None = None) -> dict:
    """Wires entering glyphs, passing through copy dots or edge labels, or crossing a
    function/derivative box's boundary more than once: {kind: [description]}."""
    style = style or Style()
    lines = wires(b)
    glyphs = glyph_rects(b)
    dots = [(it[1], it[2], it[3]) for it in b.items if it[0] == "dot"]
    labels = [(it[3], text_rect(it, style)) for it in b.items if it[0] == "text" and it[4] == "edge_label"]
    boxes = [it[1:5] for it in b.items if it[0] == "rect"]
    out = {"through_glyph": [], "through_dot": [], "through_label": [], "box_crossings": []}
    for k, pts in enumerate(lines):
        segs = list(zip(pts, pts[1:]))
        for g in glyphs:
            if any(segment_hits_rect(p, q, g) for p, q in segs):
                out["through_glyph"].append((k, g))
        for cx, cy, r in dots:
            ends = (pts[0], pts[-1])
            if any(abs(e[0] - cx) < r and abs(e[1] - cy) < r for e in ends):
                continue
            if any(_dist_to_segment((cx, cy), p, q) < 0.8 * r for p, q in segs):
                out["through_dot"].append((k, (cx, cy)))
        for name, rect in labels:
            if any(segment_hits_rect(p, q, rect, 0.01) for p, q in segs):
                out["through_label"].append((k, name))
        for box in boxes:
            n = _boundary_crossings(pts, box)
            if n > 1:
                out["box_crossings"].append((k, box, n))
    return out


def _boundary_crossings(pts, box, eps: float = 0.01, step: float = 0.02) -> int:
    """How often a polyline goes from strictly inside `box` to strictly outside or back."""
    x0, y0, x1, y1 = box

    def where(x, y):
        if x0 + eps < x < x1 - eps and y0 + eps < y < y1 - eps:
            return 1
        if x < x0 - eps or x > x1 + eps or y < y0 - eps or y > y1 + eps:
            return 0
        return None

    state, n = None, 0
    for (px, py), (qx, qy) in zip(pts, pts[1:]):
        k = max(1, int(max(abs(qx - px), abs(qy - py)) / step))
        for i in range(k + 1):
            s = where(px + (qx - px) * i / k, py + (qy - py) * i / k)
            if s is None:
                continue
            if state is not None and s != state:
                n += 1
            state = s
    return n


def crossings(b: Block) -> int:
    """Pairs of wire segments that cross (touching ends do not count)."""
    segs = []
    for k, pts in enumerate(wires(b)):
        segs += [(k, p, q) for p, q in zip(pts, pts[1:])]
    n = 0
    for i in range(len(segs)):
        ki, a, c = segs[i]
        for j in range(i + 1, len(segs)):
            kj, p, q = segs[j]
            if ki != kj and _proper_cross(a, c, p, q):
                n += 1
    return n


def _proper_cross(a, b, c, d) -> bool:
    def orient(p, q, r):
        v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
        return 0 if abs(v) < 1e-9 else (1 if v > 0 else -1)
    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    return o1 * o2 < 0 and o3 * o4 < 0


def edge_labels(b: Block) -> list:
    """The texts written as edge labels, in drawing order."""
    return [it[3] for it in b.items if it[0] == "text" and it[4] == "edge_label"]
