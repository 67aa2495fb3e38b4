"""Regenerate the figures/ gallery: the five classic tensor-diagram derivations and
the Hessians of the benchmark card.

    .venv/bin/python scripts/make_figures.py            # writes figures/*.png
    .venv/bin/python scripts/make_figures.py --out DIR --only 4_least_squares --svg
    .venv/bin/python scripts/make_figures.py --report   # crossings, wires through nodes, sizes

Functions that are not (yet) registered are skipped with a note, so the script runs
against whatever tensorgrad.functions provides.
"""

from __future__ import annotations

import argparse
import os
import sys

import tensorgrad as tg
import tensorgrad.functions as F
from tensorgrad.draw import derivation_steps, draw
from tensorgrad.expr import FUNCTIONS, Delta, Function, Product, Variable, fresh_name
from tensorgrad.functions import FunctionSpec

# ---------------------------------------------------------------------------
# Unspecified ("opaque") functions for the textbook figures: f(v(x)), A(x)
# ---------------------------------------------------------------------------

# name of the derivative of each opaque function, as the figures write it
DERIVATIVE_NAMES = {"f": "∇f", "∇f": "∇²f", "v": "Dv", "Dv": "D²v", "A": "∂A", "∂A": "∂²A"}


def _no_numeric(xp, x, axes, params):
    raise NotImplementedError("an opaque function has no numeric value; it exists to be drawn")


def _opaque_jacobian(node: Function, fresh: dict):
    # J[out.., fresh(core).., fresh(out)..] = D(input)[inner(out).., fresh(core)..] ⋅ Π δ(out, inner, fresh(out))
    # (the output edges are batch edges carried by ones, so the Jacobian along them is a copy tensor)
    out = list(node.edges)
    dims = node.arg.dims
    taken = set(node.arg.edges) | set(out) | set(fresh.values())
    inner = {}
    for e in out:
        inner[e] = fresh_name(e, taken)
        taken.add(inner[e])
    x = _opaque_input(node)
    new_out = {inner[e]: dims[e] for e in out}
    new_out.update({fresh[c]: dims[c] for c in node.core})
    deriv = opaque(DERIVATIVE_NAMES.get(node.spec.name, node.spec.name + "′"), x, new_out)
    copies = [Delta(dims[e], e, inner[e], fresh[e]) for e in out]
    return Product([deriv] + copies, out + [fresh[e] for e in node.arg.edges])


def _opaque_input(node: Function):
    keep = [g for g in node.arg.factors if not (isinstance(g, Delta) and len(g.edges) == 1 and g.edges[0] in node.edges)]
    return keep[0] if len(keep) == 1 else Product(keep)


_OPAQUE: dict = {}


def opaque(name: str, x, out: dict) -> Function:
    """An unspecified function `name` of `x` with new output edges `out` (edge -> dim),
    differentiable symbolically (its derivative is another opaque function)."""
    # kept out of the global registry: these exist only to be drawn
    spec = _OPAQUE.get((name, len(x.edges)))
    if spec is None:
        spec = _OPAQUE[name, len(x.edges)] = FunctionSpec(
            name=name, jacobian=_opaque_jacobian, numeric=_no_numeric, code="", n_core=len(x.edges),
            consumes_core=True, extra={"draw_hide_ones": True, "opaque": True})
    clash = set(x.edges) & set(out)
    if clash:
        taken = set(x.edges) | set(out)
        ren = {}
        for e in sorted(clash):
            ren[e] = fresh_name(e, taken)
            taken.add(ren[e])
        x = x.rename(ren)
    arg = Product([x] + [Delta(d, e) for e, d in out.items()], list(x.edges) + list(out))
    return Function(spec, arg, core=x.edges)


# ---------------------------------------------------------------------------
# The five classic figures (The Tensor Cookbook)
# ---------------------------------------------------------------------------

MULTIPLY_OUT_FIRST = {"4_least_squares", "5_matrix_gradient"}


def classic_figures():
    """name -> (expression, wrt, title, caption overrides {rule: caption}); the ones in
    MULTIPLY_OUT_FIRST are multiplied out before differentiating, as the book does."""
    figs = {}
    x = Variable("x", i="n")
    A = opaque("A", x, {"i": "m", "j": "n"})
    figs["1_pseudo_linear"] = (A @ x.rename(i="j"), x, "Gradient of the pseudo-linear form A(x) x", {})

    x = Variable("x", i="n")
    v = opaque("v", x, {"k": "d"})
    f = opaque("f", v, {})
    figs["2_chain_rule"] = (f, x, "Chain rule: J_f∘v(x) = ∇f(v(x)) J_v(x)", {})

    grad = tg.grad(f, x).simplify()
    figs["3_hessian_chain_rule"] = (grad, x, "Hessian chain rule: H = Dvᵀ D²f Dv + Σ_k ∂f/∂u_k ∇²v_k", {})

    A = Variable("A", i="m", j="n"); x = Variable("x", j="n"); b = Variable("b", i="m")
    r = A @ x - b
    figs["4_least_squares"] = (r @ r, x, "Least squares: ∇‖Ax − b‖² = 2AᵀAx − 2Aᵀb", {})

    X = Variable("X", i="m", j="n"); a = Variable("a", j="n"); b = Variable("b", i="m")
    r = X @ a - b
    figs["5_matrix_gradient"] = (r @ r, X, "Matrix-shaped gradient: ∇_X ‖Xa − b‖² = 2(Xa − b)aᵀ",
                                 {"eliminate_identity": "the degree-4 identity splits into two wires"})
    return figs


# ---------------------------------------------------------------------------
# Benchmark card Hessians (BENCHMARKS.md)
# ---------------------------------------------------------------------------

def _fn(name):
    f = getattr(F, name, None)
    if f is None or name not in FUNCTIONS:
        raise LookupError(f"function {name!r} is not registered yet")
    return f


def benchmark_cases():
    """id -> (thunk building (function, wrt, derivative order), title); thunks may raise LookupError."""

    def lsq():
        A = Variable("A", i="m", j="n"); x = Variable("x", j="n"); b = Variable("b", i="m")
        r = A @ x - b
        return r @ r, x, 2

    def quad():
        A = Variable("A", i="n", j="n"); x = Variable("x", i="n")
        return x @ A @ x.rename(i="j"), x, 2

    def logreg():
        X = Variable("X", i="N", j="d"); w = Variable("w", j="d"); y = Variable("y", i="N")
        z = -(y * (X @ w))
        return tg.sum(tg.log(1 + tg.exp(z))), w, 2

    def mf():
        T = Variable("T", i="m", j="p"); U = Variable("U", i="m", k="r"); V = Variable("V", j="p", k="r")
        r = T - U @ V
        return tg.sum(r * r), U, 2

    def logdet_grad():
        X = Variable("X", i="n", j="n")
        return _fn("logdet")(X), X, 1

    def logdet_hess():
        X = Variable("X", i="n", j="n")
        return _fn("logdet")(X), X, 2

    def softmax_ce():
        z = Variable("z", i="n"); y = Variable("y", i="n")
        tg.assume_sums_to_one(y, "i")  # a one-hot label: the Hessian is then diag(p) − p pᵀ
        return -(y @ tg.log(_fn("softmax")(z, "i"))), z, 2

    def mlp():
        W1 = Variable("W1", h="H", j="d"); W2 = Variable("W2", o="O", h="H")
        x = Variable("x", j="d"); y = Variable("y", o="O")
        r = W2 @ _fn("tanh")(W1 @ x) - y
        return r @ r, W1, 2

    def det_lemma():
        x = Variable("x", i="n")
        M = tg.delta("n", "i", "j") + x * x.rename(i="j")
        return _fn("det")(M), x, 2

    def attention():
        Q = Variable("Q", s="S", d="D"); K = Variable("K", t="S", d="D"); V = Variable("V", t="S", e="E")
        P = _fn("softmax")(Q @ K, "t")
        out = P @ V
        return tg.sum(out * out), Q, 2

    return {
        "lsq": (lsq, "lsq: Hessian of ‖Ax − b‖² in x"),
        "quad": (quad, "quad: Hessian of xᵀAx"),
        "logreg": (logreg, "logreg: Hessian of Σ log(1 + exp(−y ⊙ Xw)) in w"),
        "mf": (mf, "mf: Hessian of ‖T − UVᵀ‖² in U"),
        "logdet_gradient": (logdet_grad, "logdet: gradient of log det X"),
        "logdet": (logdet_hess, "logdet: Hessian of log det X"),
        "softmax_ce": (softmax_ce, "softmax_ce: Hessian of −yᵀ log softmax(z), Σy = 1"),
        "mlp": (mlp, "mlp: Hessian of ‖W₂ tanh(W₁x) − y‖² in W₁"),
        "det_lemma": (det_lemma, "det_lemma: Hessian of det(I + xxᵀ)"),
        "attention": (attention, "attention: Hessian of Σ (softmax(QKᵀ)V)² in Q"),
    }


def _derive(f, x, order):
    g = tg.grad(f, x) if not f.edges else tg.derivative(f, x)
    if order == 2:
        g = tg.derivative(g, x)
    return g.simplify()


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def make(out: str, only=None, formats=("png",), verbose=True) -> list:
    """Write the gallery into `out`; returns the paths written."""
    os.makedirs(out, exist_ok=True)
    written = []

    def save(fig, stem):
        for ext in formats:
            path = os.path.join(out, f"{stem}.{ext}")
            from tensorgrad.draw.render import save as save_fig
            save_fig(fig, path)
            written.append(path)
        if verbose:
            print("wrote", stem, file=sys.stderr)

    for name, (expr, wrt, title, overrides) in classic_figures().items():
        if only and name not in only:
            continue
        steps = derivation_steps(expr, wrt=wrt, max_panels=7, expand=name in MULTIPLY_OUT_FIRST)
        for rule, text in overrides.items():  # the first panel where the rule fired
            s = next((s for s in steps if rule in s.rules), None)
            if s is not None:
                s.caption = s.caption.replace(_caption(rule), text)
        fig = _steps_figure(steps, title)
        save(fig, name)

    for case, (thunk, title) in benchmark_cases().items():
        stem = f"hessian_{case}" if not case.endswith("gradient") else f"gradient_{case[:-9]}"
        if only and stem not in only and case not in only:
            continue
        try:
            f, x, order = thunk()
            h = _derive(f, x, order)
        except (LookupError, NotImplementedError) as exc:
            print(f"skipped {case}: {exc}", file=sys.stderr)
            continue
        save(draw(h, title=title), stem)
    return written


def _caption(rule):
    from tensorgrad.draw.steps import CAPTIONS
    return CAPTIONS.get(rule, rule.replace("_", " "))


def _steps_figure(steps, title):
    from tensorgrad.draw import _style
    from tensorgrad.draw.render import figure
    from tensorgrad.draw.steps import steps_block
    style = _style()
    return figure(steps_block(steps, style, title), style)


# ---------------------------------------------------------------------------
# Report: geometry of every gallery figure (read from the layout, not the pixels)
# ---------------------------------------------------------------------------

def expected_labels(t) -> list:
    """The edge labels a correct drawing of `t` carries: each term's free edges, once
    (a term that is itself a sum is drawn bracketed, labelled once)."""
    from tensorgrad.expr import Sum, as_number
    if isinstance(t, Sum) and as_number(t) is None:
        out = []
        for term in t.terms:
            while isinstance(term, Sum) and len(term.terms) == 1 and as_number(term) is None:
                term = term.terms[0]
            if as_number(term) is None or term.edges:
                out += list(term.edges)
        return out
    return list(t.edges)


def gallery_blocks():
    """name -> (block, expressions drawn in it) for every gallery figure (no rendering)."""
    from tensorgrad.draw import _style
    from tensorgrad.draw.layout import add_legend, add_title, build
    from tensorgrad.draw.steps import steps_block
    style = _style()
    out = {}
    for name, (expr, wrt, title, _) in classic_figures().items():
        steps = derivation_steps(expr, wrt=wrt, max_panels=7, expand=name in MULTIPLY_OUT_FIRST)
        out[name] = (steps_block(steps, style, title), [s.expr for s in steps])
    for case, (thunk, title) in benchmark_cases().items():
        try:
            f, x, order = thunk()
            h = _derive(f, x, order)
        except (LookupError, NotImplementedError):
            continue
        b = build(h, style)
        add_legend(b, style)
        add_title(b, title, style)
        out[case] = (b, [h])
    return out


def measure(block, exprs, style=None) -> dict:
    """Crossings, wires through glyphs/dots/labels/boxes, wrong labels and pixel size of one figure."""
    from collections import Counter
    from tensorgrad.draw import _style
    from tensorgrad.draw import geometry
    from tensorgrad.draw.block import UNIT
    from tensorgrad.draw.render import MARGIN
    style = style or _style()
    probs = geometry.problems(block, style)
    want = Counter(e for t in exprs for e in expected_labels(t))
    got = Counter(geometry.edge_labels(block))
    px = lambda v: round((v + 2 * MARGIN) * UNIT * style.scale * style.dpi)
    return {"crossings": geometry.crossings(block), "through_nodes": len(probs["through_glyph"]) + len(probs["through_dot"]),
            "through_labels": len(probs["through_label"]), "box_recrossings": len(probs["box_crossings"]),
            "wrong_labels": sum(((got - want) + (want - got)).values()), "size_px": (px(block.width), px(block.height))}


def report() -> str:
    """A markdown table of `measure` for every gallery figure."""
    rows = ["| figure | crossings | wires through nodes | through labels | box re-crossings | wrong labels | size (px) |",
            "|---|---|---|---|---|---|---|"]
    for name, (block, exprs) in gallery_blocks().items():
        m = measure(block, exprs)
        rows.append(f"| {name} | {m['crossings']} | {m['through_nodes']} | {m['through_labels']} | "
                    f"{m['box_recrossings']} | {m['wrong_labels']} | {m['size_px'][0]}×{m['size_px'][1]} |")
    return "\n".join(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "figures"))
    p.add_argument("--only", nargs="*", help="figure names (e.g. 4_least_squares hessian_lsq)")
    p.add_argument("--svg", action="store_true", help="also write an SVG of each figure")
    p.add_argument("--png-only", action="store_true", help="(the default; kept for old scripts)")
    p.add_argument("--report", action="store_true", help="print the geometry table of every figure instead")
    a = p.parse_args(argv)
    if a.report:
        print(report())
        return
    make(a.out, set(a.only) if a.only else None, ("png", "svg") if a.svg else ("png",))


if __name__ == "__main__":
    main()
