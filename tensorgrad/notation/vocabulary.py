"""The function names matrix notation knows.

Two sources, nothing listed twice: every registered function with a notation name
(`FunctionSpec.notation`, read from the registry at each use, so a function
registered later is known at once), and the notation's own constructs, which are
not functions of the registry (``sum``, the norms, ``tr``, ``diag``, ``sqrt``,
``eye``, ``vector``, ``matrix``, ``kron``).

>>> spec_of("cosh").name, spec_of("inv").name, resolve("inverse"), resolve("ln")
('cosh', 'inverse', 'inv', 'log')
>>> arity("kron"), arity("maximum"), latex_head("sigmoid")
((2, 2), (1, 2), '\\\\sigma')
"""

from __future__ import annotations

from ..expr import FUNCTIONS

#: the notation's own constructs: name -> number of arguments
CONSTRUCTS = {"sqrt": 1, "sum": 1, "norm1": 1, "norm2": 1, "tr": 1, "diag": 1, "vector": 1, "matrix": 1,
              "eye": 0, "kron": 2}
_CONSTRUCT_ALIASES = {"trace": "tr", "norm": "norm2", "Tr": "tr"}
_CONSTRUCT_LATEX = {"tr": r"\operatorname{tr}", "diag": r"\operatorname{diag}", "sum": r"\operatorname{sum}",
                    "sqrt": r"\sqrt"}


def registered() -> dict:
    """notation name -> FunctionSpec, for every registered function notation writes as a call."""
    return {spec.notation_name: spec for spec in FUNCTIONS.values() if spec.notation_name}


def spec_of(name: str):
    """The registered function written `name` in notation, or None (a construct or unknown)."""
    for spec in FUNCTIONS.values():
        if spec.notation_name == name:
            return spec
    return None


def resolve(name: str) -> str | None:
    """The notation name `name` stands for (aliases resolved), or None if it is no function."""
    if spec_of(name) is not None or name in CONSTRUCTS:
        return name
    if name in _CONSTRUCT_ALIASES:
        return _CONSTRUCT_ALIASES[name]
    for spec in FUNCTIONS.values():
        if spec.notation_name and name in spec.aliases:
            return spec.notation_name
    return None


def arity(name: str) -> tuple[int, int]:
    """(fewest, most) arguments of the function `name`: an elementwise function takes its
    argument and up to `n_params` numbers."""
    spec = spec_of(name)
    if spec is None:
        return CONSTRUCTS[name], CONSTRUCTS[name]
    return 1, 1 + (spec.n_params if spec.elementwise else 0)


def is_elementwise(name: str) -> bool:
    spec = spec_of(name)
    return name == "sqrt" if spec is None else spec.elementwise


def known() -> list[str]:
    """Every function name the parser reads (for error messages)."""
    names = set(CONSTRUCTS) | set(_CONSTRUCT_ALIASES) | set(registered())
    for spec in FUNCTIONS.values():
        if spec.notation_name:
            names.update(spec.aliases)
    return sorted(names)


def latex_head(name: str) -> str | None:
    """The LaTeX of the function `name` in front of its parenthesised argument."""
    spec = spec_of(name)
    if spec is not None:
        return spec.latex_head
    return _CONSTRUCT_LATEX.get(name) or rf"\operatorname{{{name}}}"
