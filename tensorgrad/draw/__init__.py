"""Penrose-style tensor diagrams and step-by-step derivation figures (matplotlib).

Importing this package does not import matplotlib; drawing does.

>>> import tensorgrad as tg
>>> from tensorgrad.draw import draw
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
>>> fig = draw(A @ x)
>>> bool(fig.get_figwidth() > 0)
True
"""

from __future__ import annotations

import io

from ..display import inline
from ..expr import Tensor
from .block import Style
from .layout import add_legend, add_title, build
from .steps import Step, derivation_steps, steps_block
from ..deep import deep

__all__ = ["draw", "draw_steps", "derivation_steps", "png_bytes", "Step", "Style"]


def _style(font_size=11.0, font_family="DejaVu Sans", show_dims=False, scale=1.0, dpi=150, colors=None,
           wrap=10.0) -> Style:
    if font_size <= 0 or scale <= 0 or dpi <= 0 or wrap <= 0:
        raise ValueError(f"font_size, scale, dpi and wrap must be positive, got {font_size}, {scale}, {dpi}, {wrap}")
    if colors is not None and not isinstance(colors, dict):
        raise TypeError(f"colors must be a dict role -> colour, got {type(colors).__name__}")
    return Style(font_size=font_size, font_family=font_family, show_dims=show_dims, scale=scale, dpi=dpi,
                 colors=dict(colors or {}), wrap=wrap)


@deep
def draw(expr: Tensor, path=None, **options):
    """Draw `expr` as a tensor diagram; returns a matplotlib Figure, saved to `path`
    (PNG, SVG or PDF by extension) if given.

    Options: `font_size` (points, 11), `font_family`, `scale` (size factor, 1.0),
    `dpi` (150), `wrap` (inches; wider sums continue on a new line, 10), `title`, `show_dims` (dimension symbols on wires and labels), `colors`
    (role -> colour; roles: variable, variable_edge, wire, copy, edge_label,
    function, derivative, text, weight, caption, dims).

    Conventions (as in the Tensor Cookbook): a tensor is a small labelled box, a
    line per contracted edge, a labelled stub per free edge (only free edges carry
    labels); a matrix's row leg goes left and its column leg right, so one drawn the
    other way round reads `Aᵀ`; a small triangle marks the first edge of a tensor of
    order 3 or more; black dots are copy tensors (captioned under the drawing); a
    green box is a function of the network inside it, the edges it sums over ending
    in a bar and the edge it acts along (softmax) drawn green; a sum inside a product
    is bracketed, its terms one under another, their edges running to the brackets;
    a dashed box is an unevaluated derivative.
    """
    from .render import figure, save
    title = options.pop("title", None)
    style = _style(**options)
    block = build(expr, style)
    add_legend(block, style)
    if title:
        add_title(block, title, style)
    fig = figure(block, style)
    if path is not None:
        save(fig, path)
    return inline(fig)


@deep
def draw_steps(expr: Tensor, wrt=None, path=None, max_panels: int = 6, title: str | None = None, **options):
    """Draw a derivation: `expr`, then (if `wrt` is a Variable) the unevaluated
    derivative as a dashed box, the derivative rules applied, and the rewrites
    simplification performed, one panel per (merged) step, each captioned with the
    rule that fired. Returns a matplotlib Figure (saved to `path` if given).

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", "i")
    >>> fig = draw_steps(x @ x, wrt=x)
    """
    from .render import figure, save
    style = _style(**options)
    steps = derivation_steps(expr, wrt=wrt, max_panels=max_panels)
    fig = figure(steps_block(steps, style, title), style)
    if path is not None:
        save(fig, path)
    return inline(fig)


def png_bytes(expr: Tensor, **options) -> bytes:
    """The diagram of `expr` as PNG bytes (used by `Tensor._repr_png_` in notebooks)."""
    fig = draw(expr, **options)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
