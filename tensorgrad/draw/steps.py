"""Derivations step by step: which rewrites simplification performs, condensed into
a few captioned panels, and their layout as one tall drawing.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> [s.caption for s in derivation_steps(x @ x, wrt=x)][:2]
['expression', 'differentiate with respect to x']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expr import Derivative, Sum, Tensor, Variable
from .block import Block, Style
from .layout import add_legend, build

# Steps that only reorder or re-bracket: applied, but never given a panel of their own.
QUIET = {"sort_factors", "sort_terms", "flatten_product", "flatten_sum", "single_factor", "single_term",
         "pull_weight", "flatten_all"}

CAPTIONS = {
    "evaluate_derivative": "apply the derivative rules: product rule (one term per factor), chain rule through functions",
    "product_zero": "a product with a zero tensor in it is zero",
    "merge_deltas": "copy tensors joined by a wire are one copy tensor",
    "eliminate_identity": "an identity on a wire is just the wire",
    "distribute": "multiply out: a product with a sum is the sum of the products",
    "expand_if_smaller": "multiply out where terms then cancel or merge",
    "drop_zeros": "drop the zero terms",
    "merge_like_terms": "collect equal terms (a + a = 2a)",
    "merge_scalar_powers": "merge powers of a scalar (sᵃ sᵇ = sᵃ⁺ᵇ)",
    "merge_hadamard_powers": "merge elementwise powers",
    "fold_constant": "compute the numbers",
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


def rewrites(t: Tensor, expand: bool = False) -> list:
    """Every single rewrite simplification performs on `t`, in order, as (rule, expression).
    Once a rule fires it is applied wherever else it can before any other rule, so a
    panel captioned with a rule never still shows something that rule removes."""
    from ..rewrite import rewrite_once
    from ..simplify import _rules

    out = []
    budget = MAX_REWRITES
    for phase in (1, 2):
        rules = _rules(phase, expand)
        while budget > 0:
            step = rewrite_once(t, rules)
            if step is None:
                break
            name, t = step
            out.append((name, t))
            budget -= 1
            if name in QUIET:
                continue
            only = {k: [r for r in rs if r.__name__ == name or r.__name__ in QUIET] for k, rs in rules.items()}
            while budget > 0:
                step = rewrite_once(t, only)
                if step is None:
                    break
                name2, t = step
                out.append((name2, t))
                budget -= 1
    return out


def still_applies(t: Tensor, rule: str, expand: bool = False) -> bool:
    """Whether simplification rule `rule` could still rewrite something in `t`."""
    from ..rewrite import rewrite_once
    from ..simplify import _rules

    for phase in (1, 2):
        only = {k: [r for r in rs if r.__name__ == rule] for k, rs in _rules(phase, expand).items()}
        if rewrite_once(t, only) is not None:
            return True
    return False


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
    combined = set()
    while len(panels) > budget:
        k = min(range(len(panels) - 1), key=lambda i: (len(panels[i].rules) + len(panels[i + 1].rules), i))
        a, b = panels[k], panels[k + 1]
        panels[k:k + 2] = [Step(b.expr, "", a.rules + b.rules)]
        combined = {j - 1 if j > k else j for j in combined} | {k}
    for j, p in enumerate(panels):
        p.caption = caption_for(p.rules) + (" (steps combined to fit max_panels)" if j in combined else "")
    return panels


def derivation_steps(expr: Tensor, wrt: Variable | None = None, max_panels: int = 6, expand: bool = False) -> list:
    """The panels of a derivation: the expression, the derivative taken (unevaluated,
    then evaluated), then the condensed simplification steps; a list of `Step`.
    With `expand`, the expression is multiplied out first (as the Tensor Cookbook
    does with ‖Ax − b‖²), and simplification multiplies out everywhere."""
    from ..derivative import unevaluated
    from ..simplify import simplify

    if not isinstance(expr, Tensor):
        raise TypeError(f"draw_steps expects a tensorgrad expression, got {type(expr).__name__}")
    if max_panels < 2:
        raise ValueError(f"max_panels must be at least 2, got {max_panels}")
    steps = [Step(expr, "expression")]
    t = expr
    if expand:
        t = simplify(expr, expand=True)
        if t != expr:
            steps.append(Step(t, "multiply out the sums first", ["distribute"]))
    start = len(steps) - 1
    if wrt is not None:
        d = unevaluated(t, wrt)
        steps.append(Step(d, f"differentiate with respect to {wrt.name}"))
        t = d.doit()
        steps.append(Step(t, CAPTIONS["evaluate_derivative"], ["evaluate_derivative"]))
        start = len(steps) - 1
    steps += condense(rewrites(t, expand), max_panels - len(steps))
    return _drop_invisible(steps, start)


def picture(t: Tensor, style: Style | None = None):
    """What the drawing of `t` shows, independent of factor order, term order and the
    direction wires were drawn in: equal pictures look the same to a reader."""
    style = style or Style()
    if isinstance(t, Sum) and len(t.terms) > 1:
        return sorted((repr(_rounded(w)), repr(picture(term, style))) for w, term in zip(t.weights, t.terms))
    items = [_rounded(it) for it in build(t, style).items]
    items = [(it[0], min(it[1], it[1][::-1])) + it[2:] if it[0] == "wire" else it for it in items]
    return sorted(map(repr, items))


def _drop_invisible(steps: list, start: int) -> list:
    """Merge a panel into the one before when both draw the same picture (e.g. an
    identity wire became a rename: identities are drawn as plain wires anyway)."""
    out = steps[:start + 1]
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
    for k, s in enumerate(steps):
        b = build(s.expr, style)
        formula = matrix_formula(s.expr)
        width = max(b.width + eq_w, CAPTION_CHARS * style.char_w(0.85))
        lines = _wrap(f"({k + 1}) {s.caption}" + (":" if formula else ""), int(width / style.char_w(0.85)))
        for n, line in enumerate(lines):
            out.text(0, y, line, role="caption", ha="left", va="top", rel=0.85, style=style, italic=True)
            if formula and n == len(lines) - 1:  # the step in matrix notation, after its caption
                out.text(style.text_size(line, 0.85)[0] * 0.85 + 0.2, y, formula, role="text", ha="left", va="top",
                         rel=0.9, style=style)
            y -= style.line_h(0.85)
        y -= 0.15
        x0, y0, x1, y1 = b.bbox
        dx = eq_w - x0
        dy = y - y1
        out.place(b, dx, dy)
        if k > 0 and not isinstance(s.expr, Derivative):  # each panel equals the one before
            out.text(0.05, dy + b.baseline, "=", role="text", ha="left", style=style)
        y = y0 + dy - 0.4
    add_legend(out, style)
    return out


CAPTION_CHARS = 64  # captions wrap at this many characters, or the panel's width if wider


def _wrap(text: str, width: int) -> list:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def matrix_formula(t: Tensor) -> str:
    """`t` in matrix notation (2Aᵀ(A x − b)) when it has one of modest length, else ''."""
    from ..notation.printing import to_matrix

    if isinstance(t, Derivative):
        return ""
    try:
        text = to_matrix(t, simplify=False)
    except (ValueError, TypeError, KeyError, NotImplementedError):
        return ""
    plain = "[" not in text and "matrix(" not in text and all(ord(c) < 0x2100 or c in "−⊙⊗‖∘" for c in text)
    return text if plain and len(text) <= 48 else ""


def _rounded(x):
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, tuple):
        return tuple(_rounded(y) for y in x)
    return x
