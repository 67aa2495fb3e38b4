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
