"""How expressions and figures show in Jupyter (IPython's rich display hooks).

An expression displays as matrix notation (``_repr_latex_``, which is
:func:`tensorgrad.to_latex`) and offers its diagram (``_repr_svg_``, ``_repr_png_``)
while the network is small. Frontends show the richest form they can, so LaTeX wins
where both are offered; ``options.latex = False`` asks for the diagram instead, and
``tg.draw(e)`` draws any expression on request. A large expression offers neither:
it shows the summary line of :func:`summary` instead of a giant picture.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> (x @ x)._repr_latex_()
'$\\\\displaystyle \\\\left\\\\|x\\\\right\\\\|^{2}$'
>>> summary(tg.exp(x) + x)
'tensorgrad expression: 2 terms, 3 nodes, free edges (i)'

This module is imported lazily by the hooks (it reaches the drawing and notation
layers); the hooks are attached to :class:`~tensorgrad.expr.Tensor` by the package.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DisplayOptions:
    """``latex``: offer matrix notation; ``diagram_nodes``: the largest network (distinct
    nodes) that offers its diagram; ``latex_nodes``: the largest one shown as LaTeX
    (simplifying and printing bigger ones would be slow and unreadable)."""

    latex: bool = True
    diagram_nodes: int = 40
    latex_nodes: int = 2000


options = DisplayOptions()


def summary(t) -> str:
    """One line: the number of terms, distinct nodes and the free edges."""
    from .expr import Sum

    terms = len(t.terms) if isinstance(t, Sum) else 1
    edges = ", ".join(t.edges) if t.edges else "none: a scalar"
    return (f"tensorgrad expression: {terms} term{'s' if terms != 1 else ''}, "
            f"{t.distinct_size()} nodes, free edges ({edges})")


def repr_latex(t) -> str | None:
    if not options.latex or t.distinct_size() > options.latex_nodes:
        return None
    from .notation.printing import to_latex

    return rf"$\displaystyle {to_latex(t)}$"


def _small(t) -> bool:
    return t.distinct_size() <= options.diagram_nodes


def repr_svg(t) -> str | None:
    if not _small(t):
        return None
    from .draw import draw

    return figure_svg(draw(t))


def repr_png(t) -> bytes | None:
    if not _small(t):
        return None
    from .draw import png_bytes

    return png_bytes(t)


def repr_pretty(t, printer, cycle):
    """Plain text: Python that rebuilds a small expression, the summary line for a large one."""
    printer.text(repr(t) if _small(t) else summary(t))


def figure_svg(fig) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def figure_png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def inline(fig):
    """Let a matplotlib Figure made without pyplot display itself in a notebook (as PNG)."""
    fig._repr_png_ = lambda: figure_png(fig)
    return fig


def install(cls) -> None:
    """Attach the display hooks to the expression base class."""
    cls._repr_latex_ = repr_latex
    cls._repr_svg_ = repr_svg
    cls._repr_png_ = repr_png
    cls._repr_pretty_ = repr_pretty
