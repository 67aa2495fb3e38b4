"""Turn a `Block` into a matplotlib Figure (matplotlib is imported here, lazily).

One layout unit is `UNIT * style.scale` inches, so fonts and glyphs keep their
proportions at every size.
"""

from __future__ import annotations

from .block import UNIT, Block, Style, DEFAULT_COLORS

MARGIN = 0.25  # layout units around the drawing


def figure(b: Block, style: Style):
    """A matplotlib Figure showing block `b`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyBboxPatch, Polygon, Rectangle
    from matplotlib.lines import Line2D

    colors = dict(DEFAULT_COLORS, **(style.colors or {}))
    x0, y0, x1, y1 = b.bbox if b.bbox is not None else (0, 0, 0, 0)
    x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
    inch = UNIT * style.scale
    fig = Figure(figsize=((x1 - x0) * inch, (y1 - y0) * inch), dpi=style.dpi)
    FigureCanvasAgg(fig)  # a canvas of its own: no pyplot, no global backend state
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    # points per layout unit: fonts are given in points, layout in units
    fs = style.font_size * style.scale
    lw = 1.3 * style.scale

    for it in b.items:
        kind = it[0]
        if kind == "glyph":
            _, x, y, w, h, label, role, rounding, rel = it
            face = colors["zero" if role == "zero" else "variable"]
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                        boxstyle=f"round,pad=0,rounding_size={rounding}",
                                        facecolor=face, edgecolor=colors["variable_edge"], linewidth=lw,
                                        zorder=3, gid="glyph"))
            ax.text(x, y, label, ha="center", va="center_baseline", fontsize=fs * rel,
                    fontfamily=style.font_family, color=colors["text"], zorder=4, gid="glyph_label")
        elif kind == "dot":
            _, x, y, r, role = it
            ax.add_patch(Circle((x, y), r, facecolor=colors["copy"], edgecolor="none", zorder=4, gid="copy"))
        elif kind == "wire":
            _, pts, role, dashed = it
            color = colors.get(role, colors["wire"]) if role in ("text", "function", "derivative") else colors["wire"]
            ax.add_line(Line2D([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=lw,
                               linestyle="--" if dashed else "-", solid_capstyle="butt", zorder=2, gid=role))
        elif kind == "polygon":
            _, pts, role = it
            face = colors["function"] if role == "function_notch" else colors["variable_edge"]
            ax.add_patch(Polygon(pts, closed=True, facecolor=face, edgecolor="none", zorder=5, gid=role))
        elif kind == "text":
            _, x, y, s, role, ha, va, rel, italic = it
            ax.text(x, y, s, ha=ha, va=va, fontsize=fs * rel, fontfamily=style.font_family,
                    color=colors.get(role, colors["text"]), style="italic" if italic else "normal",
                    zorder=6, gid=role)
        elif kind == "rect":
            _, rx0, ry0, rx1, ry1, role, dashed = it
            ax.add_patch(Rectangle((rx0, ry0), rx1 - rx0, ry1 - ry0, facecolor="none", edgecolor=colors[role],
                                   linewidth=lw, linestyle=(0, (4, 3)) if dashed else "-", zorder=1, gid=role))
    return fig


def save(fig, path: str):
    """Save by extension (.png, .svg, .pdf) with fixed metadata, so files are reproducible."""
    ext = str(path).rsplit(".", 1)[-1].lower()
    if ext not in ("png", "svg", "pdf"):
        raise ValueError(f"cannot save a diagram as {path!r}: use a .png, .svg or .pdf path")
    meta = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}[ext]
    kwargs = {"metadata": meta}
    if ext == "svg":
        import matplotlib
        with matplotlib.rc_context({"svg.hashsalt": "tensorgrad"}):
            fig.savefig(path, format=ext, **kwargs)
    else:
        fig.savefig(path, format=ext, **kwargs)
