"""Derivations step by step: which rewrites simplification performs, condensed into
a few captioned panels, and their layout as one tall drawing.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> [s.caption for s in derivation_steps(x @ x, wrt=x)][:2]
['expression', 'differentiate with respect to x']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expr import Tensor, Variable
from .block import Block, Style
from .layout import build

# Steps that only reorder or re-bracket: applied, but never given a panel of their own.
QUIET = {"sort_factors", "sort_terms", "flatten_product", "flatten_sum", "single_factor", "single_term",
         "pull_weight"}

CAPTIONS = {
    "evaluate_derivative": "apply the derivative rules",
    "product_zero": "a product with a zero is zero",
    "merge_deltas": "connected copy tensors merge",
    "eliminate_identity": "identity wires are renames",
    "distribute": "distribute over the sum",
    "drop_zeros": "drop zero terms",
    "merge_like_terms": "merge like terms",
    "merge_scalar_powers": "merge powers of a scalar",
    "merge_hadamard_powers": "merge elementwise powers",
    "fold_constant": "fold constants",
    "log_of_exp": "log(exp(x)) = x",
    "exp_of_log": "exp(log(x)) = x",
    "pow_one": "x¹ = x",
    "pow_zero": "x⁰ = 1",
    "pow_of_pow": "(xᵃ)ᵇ = xᵃᵇ",
    "pow_of_scaled": "(c X)ᵖ = cᵖ Xᵖ",
}

MAX_REWRITES = 2000


@dataclass
class Step:
    """One panel: the expression after the step, its caption and the rules behind it."""

    expr: Tensor
    caption: str
    rules: list = field(default_factory=list)


def caption_for(rules: list) -> str:
    """'merge like terms', 'identity wires are renames (×3)', joined by '; '."""
    parts, counts = [], {}
    for r in rules:
        if r not in counts:
            parts.append(r)
        counts[r] = counts.get(r, 0) + 1
    text = []
    for r in parts:
        c = CAPTIONS.get(r, r.replace("_", " "))
        text.append(c + (f" (×{counts[r]})" if counts[r] > 1 else ""))
    return "; ".join(text)


def rewrites(t: Tensor) -> list:
    """Every single rewrite simplification performs on `t`, in order, as (rule, expression)."""
    from ..rewrite import rewrite_once
    from ..simplify import _rules

    out = []
    for phase in (1, 2):
        rules = _rules(phase)
        for _ in range(MAX_REWRITES):
            step = rewrite_once(t, rules)
            if step is None:
                break
            name, t = step
            out.append((name, t))
    return out


def condense(raw: list, budget: int) -> list:
    """Readable panels from single rewrites: quiet steps fold into the step before,
    runs of one rule merge, then neighbours merge until at most `budget` remain."""
    panels: list = []
    pending: list = []
    for name, t in raw:
        if name in QUIET:
            if panels:
                panels[-1].expr = t
            else:
                pending.append(name)
            continue
        if panels and panels[-1].rules and set(panels[-1].rules) == {name}:
            panels[-1].rules.append(name)
            panels[-1].expr = t
        else:
            panels.append(Step(t, "", [name]))
    if raw and not panels:  # only reordering happened
        panels.append(Step(raw[-1][1], "", [n for n, _ in raw]))
    budget = max(1, budget)
    while len(panels) > budget:
        k = min(range(len(panels) - 1), key=lambda i: (len(panels[i].rules) + len(panels[i + 1].rules), i))
        a, b = panels[k], panels[k + 1]
        panels[k:k + 2] = [Step(b.expr, "", a.rules + b.rules)]
    for p in panels:
        p.caption = caption_for(p.rules)
    return panels


def derivation_steps(expr: Tensor, wrt: Variable | None = None, max_panels: int = 6) -> list:
    """The panels of a derivation: the expression, the derivative taken (unevaluated,
    then evaluated), then the condensed simplification steps; a list of `Step`."""
    from ..derivative import unevaluated

    if not isinstance(expr, Tensor):
        raise TypeError(f"draw_steps expects a tensorgrad expression, got {type(expr).__name__}")
    if max_panels < 2:
        raise ValueError(f"max_panels must be at least 2, got {max_panels}")
    steps = [Step(expr, "expression")]
    t = expr
    if wrt is not None:
        d = unevaluated(expr, wrt)
        steps.append(Step(d, f"differentiate with respect to {wrt.name}"))
        t = d.doit()
        steps.append(Step(t, CAPTIONS["evaluate_derivative"], ["evaluate_derivative"]))
    steps += condense(rewrites(t), max_panels - len(steps))
    return _drop_invisible(steps, 2 if wrt is not None else 0)


def _drop_invisible(steps: list, start: int) -> list:
    """Merge a panel into the one before when both draw the same picture (e.g. an
    identity wire became a rename: identities are drawn as plain wires anyway)."""
    out = steps[:start + 1]
    style = Style()

    def picture(t):  # drawing order (and a wire's direction) may differ with factor order
        items = [_rounded(it) for it in build(t, style).items]
        items = [(it[0], min(it[1], it[1][::-1])) + it[2:] if it[0] == "wire" else it for it in items]
        return sorted(map(repr, items))

    prev = picture(out[-1].expr) if len(out) > start else None
    for s in steps[start + 1:]:
        items = picture(s.expr)
        if out and len(out) > start and items == prev:
            last = out[-1]
            out[-1] = Step(s.expr, caption_for(last.rules + s.rules) if last.rules else last.caption,
                           last.rules + s.rules)
        else:
            out.append(s)
        prev = items
    return out


def steps_block(steps: list, style: Style, title: str | None = None) -> Block:
    """The panels one under another, each captioned '(k) …', later ones prefixed by '='."""
    out = Block()
    eq_w = style.text_size("=")[0] + 0.25
    y = 0.0
    if title:
        out.text(0, y, title, role="text", ha="left", va="top", rel=1.15, style=style)
        y -= style.line_h(1.15) + 0.2
    first_eq = 2 if len(steps) > 1 and steps[1].expr.__class__.__name__ == "Derivative" else 1
    for k, s in enumerate(steps):
        out.text(0, y, f"({k + 1}) {s.caption}", role="caption", ha="left", va="top", rel=0.85,
                 style=style, italic=True)
        y -= style.line_h(0.85) + 0.15
        b = build(s.expr, style)
        x0, y0, x1, y1 = b.bbox
        dx = eq_w - x0
        dy = y - y1
        out.place(b, dx, dy)
        if k >= first_eq:
            out.text(0.05, dy + b.baseline, "=", role="text", ha="left", style=style)
        y = y0 + dy - 0.4
    return out


def _rounded(x):
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, tuple):
        return tuple(_rounded(y) for y in x)
    return x
