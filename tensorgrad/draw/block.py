"""Drawing primitives in layout units, independent of matplotlib.

A `Block` is a list of items (glyphs, dots, wires, texts, boxes) with a bounding
box and `ports`: for each free edge, the point on the block's boundary where the
edge leaves it and the side it leaves by ('L', 'R', 'T', 'B'). Layout builds
blocks bottom-up and translates them into place; render.py turns them into artists.

>>> b = Block(); b.text(0, 0, "x", role="edge")
>>> b.bbox[0] < 0 < b.bbox[2]
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

# One layout unit is UNIT inches on the page; text metrics are estimated from the
# font size so layout can keep labels apart before anything is rendered.
UNIT = 0.5


@dataclass
class Style:
    """Options shared by layout and rendering (see `tensorgrad.draw.draw`)."""

    font_size: float = 11.0
    font_family: str = "DejaVu Sans"
    show_dims: bool = False
    scale: float = 1.0  # inches per layout unit, relative to UNIT
    dpi: int = 150
    wrap: float = 10.0  # inches: a wider sum continues on the next line
    colors: dict = field(default_factory=dict)

    def char_w(self, rel: float = 1.0) -> float:
        # DejaVu Sans averages ~0.6 em per character; a margin keeps estimates safe
        return self.font_size * rel * 0.64 / 72 / UNIT

    def line_h(self, rel: float = 1.0) -> float:
        return self.font_size * rel * 1.25 / 72 / UNIT

    def text_size(self, s: str, rel: float = 1.0) -> tuple:
        return max(len(s), 1) * self.char_w(rel), self.line_h(rel)


DEFAULT_COLORS = {
    "variable": "#f3f6fb",   # glyph fill
    "variable_edge": "#203a66",
    "zero": "#ffffff",
    "wire": "#222222",
    "copy": "#000000",
    "edge_label": "#7a1f1f",
    "function": "#2f6b3a",
    "derivative": "#8a4b00",
    "text": "#111111",
    "weight": "#111111",
    "caption": "#555555",
    "dims": "#777777",
}


class Block:
    """Items plus bounding box plus ports (edge -> (x, y, side))."""

    def __init__(self):
        self.items: list = []
        self.ports: dict = {}
        self.bbox = None  # (x0, y0, x1, y1)
        self.baseline = 0.0  # y of the main row, to align terms of a sum
        self.body = None  # the enclosure (box, brackets) without the stubs leaving it, if any

    # -- bookkeeping ---------------------------------------------------------
    def _grow(self, x0, y0, x1, y1):
        if self.bbox is None:
            self.bbox = (x0, y0, x1, y1)
        else:
            a = self.bbox
            self.bbox = (min(a[0], x0), min(a[1], y0), max(a[2], x1), max(a[3], y1))

    @property
    def width(self) -> float:
        return 0.0 if self.bbox is None else self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return 0.0 if self.bbox is None else self.bbox[3] - self.bbox[1]

    # -- items ---------------------------------------------------------------
    def glyph(self, x, y, w, h, label, role="variable", rounding=0.1, rel=1.0):
        self.items.append(("glyph", x, y, w, h, label, role, rounding, rel))
        self._grow(x - w / 2, y - h / 2, x + w / 2, y + h / 2)

    def dot(self, x, y, r, role="copy"):
        self.items.append(("dot", x, y, r, role))
        self._grow(x - r, y - r, x + r, y + r)

    def wire(self, points, role="wire", dashed=False):
        pts = [(float(a), float(b)) for a, b in points]
        self.items.append(("wire", tuple(pts), role, dashed))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        self._grow(min(xs), min(ys), max(xs), max(ys))

    def polygon(self, points, role="wire"):
        pts = tuple((float(a), float(b)) for a, b in points)
        self.items.append(("polygon", pts, role))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        self._grow(min(xs), min(ys), max(xs), max(ys))

    def text(self, x, y, s, role="text", ha="center", va="center", rel=1.0, style: Style | None = None,
             italic=False):
        style = style or Style()
        w, h = style.text_size(s, rel)
        x0 = {"left": x, "center": x - w / 2, "right": x - w}[ha]
        y0 = {"bottom": y, "center": y - h / 2, "top": y - h}[va]
        self.items.append(("text", x, y, s, role, ha, va, rel, italic))
        self._grow(x0, y0, x0 + w, y0 + h)

    def rect(self, x0, y0, x1, y1, role="function", dashed=False):
        self.items.append(("rect", x0, y0, x1, y1, role, dashed))
        self._grow(x0, y0, x1, y1)

    # -- composition ---------------------------------------------------------
    def place(self, other: "Block", dx: float, dy: float):
        """Copy `other`'s items into this block, shifted by (dx, dy); return its ports shifted."""
        for it in other.items:
            self.items.append(_shift(it, dx, dy))
        if other.bbox is not None:
            x0, y0, x1, y1 = other.bbox
            self._grow(x0 + dx, y0 + dy, x1 + dx, y1 + dy)
        return {e: (x + dx, y + dy, s) for e, (x, y, s) in other.ports.items()}


def _shift(it, dx, dy):
    kind = it[0]
    if kind in ("glyph", "dot", "text"):
        return (kind, it[1] + dx, it[2] + dy) + it[3:]
    if kind in ("wire", "polygon"):
        return (kind, tuple((x + dx, y + dy) for x, y in it[1])) + it[2:]
    if kind == "rect":
        return (kind, it[1] + dx, it[2] + dy, it[3] + dx, it[4] + dy) + it[5:]
    raise ValueError(f"unknown drawing item {kind!r}")
