"""Index notation with implied summation: the fallback where no matrix reading exists."""

from __future__ import annotations

# ---------------------------------------------------------------------------
# Index notation fallback
# ---------------------------------------------------------------------------


def _index_lhs(t) -> str:
    return "T[" + ",".join(t.edges) + "]" if t.edges else "T"


def to_index(t) -> str:
    """Index notation with implied summation, and the einsum string when ``t`` is a
    single product of variables and copy tensors."""
    from .. import expr as ex

    body = str(t)
    text = f"{_index_lhs(t)} = {body}"
    spec = _einsum(t, ex)
    if spec:
        text += f"\neinsum: {spec}"
    return text


def _einsum(t, ex) -> str | None:
    core = t
    if isinstance(core, ex.Sum) and len(core.terms) == 1:
        core = core.terms[0]
    if isinstance(core, ex.Variable):
        core = ex.Product([core], core.edges)
    if not isinstance(core, ex.Product):
        return None
    letters: dict[str, str] = {}
    taken: set[str] = set()
    pool = iter("ijklmnopqrstuvwxyzabcdefghABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def letter(e):
        if e not in letters:
            if len(e) == 1 and e.isascii() and e.isalpha() and e not in taken:
                letters[e] = e
            else:
                c = next(pool)
                while c in taken or c in letters:
                    c = next(pool)
                letters[e] = c
            taken.add(letters[e])
        return letters[e]

    operands, names = [], []
    for f in core.factors:
        for e in f.edges:
            if len(e) == 1 and e.isascii() and e.isalpha() and e not in letters:
                letters[e] = e
                taken.add(e)
    try:
        for e in core.edges:
            letter(e)
        for f in core.factors:
            if isinstance(f, ex.Variable):
                operands.append("".join(letter(e) for e in f.edges))
                names.append(f.name)
            elif isinstance(f, ex.Delta) and len(f.edges) == 2:
                operands.append("".join(letter(e) for e in f.edges))
                names.append("I")
            else:
                return None
    except StopIteration:
        return None
    out = "".join(letters[e] for e in core.edges)
    return f"{','.join(operands)}->{out}  ({', '.join(names)})"


# ---------------------------------------------------------------------------
# The same index notation as LaTeX (to_latex's fallback)
# ---------------------------------------------------------------------------


def _sub(edges) -> str:
    """``_{ij'}``, or ``_{a_0,b}`` when an index name is longer than a letter and primes."""
    if not edges:
        return ""
    short = all(len(e.rstrip("'")) == 1 for e in edges)
    return "_{" + ("" if short else ",").join(edges) + "}"


def _latex_number(w) -> str:
    from ..printing import exact_form

    p, r, q = exact_form(w)
    if isinstance(p, float):
        return f"{p:.6g}".replace("e", r" \cdot 10^{") + ("}" if "e" in f"{p:.6g}" else "")
    num = str(abs(p)) if r == 1 else (rf"\sqrt{{{r}}}" if abs(p) == 1 else rf"{abs(p)}\sqrt{{{r}}}")
    text = num if q == 1 else rf"\frac{{{num}}}{{{q}}}"
    return ("-" if p < 0 else "") + text


def index_latex(t) -> str:
    """Index notation of ``t`` as LaTeX: ``T_{ij} = …`` with braced sub- and superscripts,
    copy tensors merged as in ``str`` and functions by name (``\\operatorname{softmax}``)."""
    lhs = "T" + _sub(t.edges)
    return f"{lhs} = {_latex(t)}"


def _latex(t) -> str:
    from .. import expr as ex
    from ..printing import _merge_copies
    from .render import _Latex

    if isinstance(t, ex.Variable):
        return _Latex().name(t.name) + _sub(t.edges)
    if isinstance(t, ex.Delta):
        return r"\delta" + _sub(t.edges) if t.edges else t.dim
    if isinstance(t, ex.Zero):
        return "0"
    if isinstance(t, ex.Product):
        if not t.factors:
            return "1"
        factors, summed = _merge_copies(t)
        body = r"\,".join(_latex_wrap(f) for f in factors)
        return rf"\sum_{{{','.join(summed)}}} {body}" if summed else body
    if isinstance(t, ex.Sum):
        return _latex_sum(t, ex)
    if isinstance(t, ex.Function):
        return _latex_function(t, ex)
    if isinstance(t, ex.Derivative):
        return rf"\frac{{\partial}}{{\partial {_Latex().name(t.var.name)}{_sub(t.new_edges)}}}\left({_latex(t.expr)}\right)"
    raise TypeError(f"no LaTeX index notation for {type(t).__name__}")


def _latex_wrap(t) -> str:
    from .. import expr as ex

    s = _latex(t)
    return rf"\left({s}\right)" if isinstance(t, ex.Sum) else s


def _latex_sum(t, ex) -> str:
    out = ""
    for k, (term, w) in enumerate(zip(t.terms, t.weights)):
        body = "" if term == ex.Product(()) else _latex_wrap(term)
        neg = not isinstance(w, complex) and w < 0
        coef = _latex_number(-w if neg else w) if not isinstance(w, complex) else str(w)
        coef = "" if coef == "1" and body else coef
        piece = rf"{coef}\,{body}" if coef and body else (coef or body)
        sign = ("- " if neg else "+ ") if k else ("-" if neg else "")
        out += (" " if k else "") + sign + piece
    return out


def _latex_function(t, ex) -> str:
    name, arg = t.spec.name, t.arg
    inner = rf"\left({_latex(arg)}\right)"
    if name == "pow":
        (p,) = t.params
        if isinstance(arg, ex.Function) and arg.spec.name == "cosh" and p < 0 and float(p).is_integer():
            return rf"\operatorname{{sech}}^{{{int(-p)}}}\left({_latex(arg.arg)}\right)"  # tanh′ = sech²
        if p == 0.5:
            return rf"\sqrt{{{_latex(arg)}}}"
        exponent = str(int(p)) if float(p).is_integer() else _latex_number(p)
        return rf"{inner}^{{{exponent}}}"
    if name == "inverse" and set(t.core) == set(t.edges) == set(arg.edges):
        if isinstance(arg, ex.Variable):
            return rf"\left({arg.name}^{{-\top}}\right){_sub(arg.edges)}"
        return rf"{inner}^{{-\top}}"
    if name == "sqrt":
        return rf"\sqrt{{{_latex(arg)}}}"
    head = t.spec.latex_head
    return head + _sub(t.core) + inner
