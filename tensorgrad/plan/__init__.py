"""Plans: an expression (or several) compiled to the source of one Python function.

The same plan serves both numeric paths: `tg.to_code`/`tg.compile` write it out, and
`tg.evaluate` compiles it once per (structure, shapes, dtypes, array library) and
runs it. `function_source` returns the source with the order of its arguments.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> p = function_source({None: (tg.exp(x), ("i",))})
>>> p.args, p.kwonly
(('x',), ())
"""

from __future__ import annotations

import builtins
import re
import textwrap
from dataclasses import dataclass
from typing import Mapping

from ..expr import Delta, Function, Tensor, Variable
from .backends import _BACKENDS, comment
from .emitter import BACKENDS, DEFAULT_SIZE, _Emitter
from .values import _LETTERS

__all__ = ["function_source", "build", "variables_of", "dims_of", "BACKENDS", "DEFAULT_SIZE"]


@dataclass(frozen=True)
class Source:
    text: str
    args: tuple  # variable names, in the order of the positional parameters
    kwonly: tuple  # dimension symbols passed as keyword-only parameters
    kwnames: tuple  # their parameter names


def _walk_variables(t: Tensor, seen: set):
    if id(t) in seen:
        return
    seen.add(id(t))
    if isinstance(t, Variable):
        yield t
    for c in t.children():
        yield from _walk_variables(c, seen)


def variables_of(t: Tensor) -> list:
    """The variable occurrences of t, each distinct node once, in order of appearance
    (cached on the node: evaluating one expression again skips the walk)."""
    out = t._cache.get("variable_list")
    if out is None:
        out = t._cache["variable_list"] = list(_walk_variables(t, set()))
    return out


def _walk_dims(t: Tensor, out: set) -> set:
    out.update(t.dim_symbols)
    if isinstance(t, Delta):
        out.add(t.dim)
    if isinstance(t, Function):
        out.update(t.arg.dim_symbols)
    for c in t.children():
        _walk_dims(c, out)
    return out


def dims_of(t: Tensor) -> frozenset:
    """Every dimension symbol used anywhere in t (cached on the node)."""
    out = t._cache.get("dims_used")
    if out is None:
        out = t._cache["dims_used"] = frozenset(_walk_dims(t, set()))
    return out


def variables_and_dims(ts) -> tuple[dict, set]:
    """Variables by name (two different ones sharing a name is an error) and the
    dimension symbols of the tensors `ts`."""
    seen, dims = {}, set()
    for t in ts:
        for v in variables_of(t):
            other = seen.setdefault(v.name, v)
            if other.identity != v.identity:
                raise ValueError(f"two different variables are both named {v.name!r}: edges {other.original} and {v.original}")
        dims.update(dims_of(t))
    return seen, dims


def function_source(outs: Mapping, backend: str = "numpy", name: str = "f", sizes: Mapping | None = None,
                    checks: bool = True, comments: bool = True, args: tuple | None = None) -> Source:
    """Source of `def name(<variables sorted by name>, *, <free dims>)` computing every
    output `{key: (tensor, edges)}` with axes in `edges` order (key None: one output,
    returned as an array; else a dict). `checks`: validate numbers of axes and sizes
    (evaluate validates before calling). `args`: variable names in the order of the
    positional parameters instead (every variable used, others accepted and ignored)."""
    variables, dims = variables_and_dims(t for t, _ in outs.values())
    if args is not None:
        missing = sorted(set(variables) - set(args))
        if missing:
            raise ValueError(f"args must list every variable the output uses; missing {missing} (args {list(args)})")
    b = _BACKENDS[backend]
    em = _Emitter(b, sizes or {}, {name})
    em.params = {}
    for vname in sorted(variables) if args is None else args:
        em.params[vname] = em.fresh(vname)
    prologue = []
    for vname in sorted(variables):
        v, p = variables[vname], em.params[vname]
        prologue.append(f"{p} = {b.asarray(p)}")
        if b.promote(p):
            prologue.append(b.promote(p))
        k = len(v.original)
        if checks:
            prologue.append(f"if {p}.ndim != {k}:")
            # messages as repr'd literals: edge names may hold quotes or braces (e.g. "j'")
            msg = f"variable {vname!r} has {k} edges {v.original} but its value has "
            prologue.append(f"    raise ValueError({msg!r} + str({p}.ndim) + ' axes (shape ' + str(tuple({p}.shape)) + ')')")
        for ax, (edge, d) in enumerate(zip(v.original, v.dim_symbols)):
            if d not in em.dimname:
                em.dimname[d] = em.fresh(d)
                prologue.append(f"{em.dimname[d]} = {p}.shape[{ax}]")
                em.first = getattr(em, "first", {})
                em.first[d] = f"edge {edge!r} of variable {vname!r}"
            elif checks:
                n = em.dimname[d]
                prologue.append(f"if {p}.shape[{ax}] != {n}:")
                head, mid = f"dimension {d!r} bound to two sizes: ", f" ({em.first[d]}) and "
                tail = f" (edge {edge!r} of variable {vname!r})"
                prologue.append(f"    raise ValueError({head!r} + str({n}) + {mid!r} + str({p}.shape[{ax}]) + {tail!r})")
    kwonly = sorted(dims - set(em.dimname))
    for d in kwonly:
        em.dimname[d] = em.fresh(d)
    if variables:
        em.dtype = f"{em.params[sorted(variables)[0]]}.dtype"
    else:  # no variable to take a type from: the backend's float
        em.dtype = "torch.float64" if backend == "torch" else "float"
    results = {}
    for key, (t, edges) in outs.items():
        results[key] = _result(em, t, tuple(edges), backend)
    # a result never shares memory with an argument, nor with another result
    signature = [em.params[v] for v in (sorted(variables) if args is None else args)]
    args = [em.params[v] for v in sorted(variables)]
    seen = set()
    for key, code in results.items():
        if _number(code):
            continue
        if code in seen:
            results[key] = em.let("out", b.copy(code), cse=False)
        elif not em.is_new(code) and b.fresh("_", args):
            out = em.let("out", code, cse=False)
            em.lines += b.fresh(out, args)
            results[key] = out
        seen.add(code)
    em.lines = _live(em.lines, set(results.values()))
    sig = ", ".join(signature + (["*"] + [em.dimname[d] for d in kwonly] if kwonly else []))
    src = ["# Generated by tensorgrad.to_code (needs only " + b.header.split()[1] + ")", b.header, *em.imports, "", ""]
    src.append(f"def {name}({sig}):")
    if comments:
        for key, (t, edges) in outs.items():
            # user strings (output, variable and edge names) only ever in escaped comments
            label = "" if key is None else f"{comment(key)}: "
            for k, part in enumerate(textwrap.wrap(" ".join(str(t).split()), 96, break_on_hyphens=False)):
                src.append(f"    # {label if k == 0 else ' ' * len(label)}{comment(part)}")
            src.append(f"    #   edges {comment(str(tuple(edges)))}")
    for line in prologue + em.lines:
        src.append("    " + line)
    if None in results:
        src.append(f"    return {results[None]}")
    else:
        src.append("    return {")
        for key, code in results.items():
            src.append(f"        {key!r}: {code},")
        src.append("    }")
    return Source("\n".join(src) + "\n", tuple(sorted(variables) if args is None else args), tuple(kwonly),
                  tuple(em.dimname[d] for d in kwonly))


def _live(lines: list, results: set) -> list:
    """`lines` without plain assignments whose name is never read afterwards (work the
    generator started and then did differently, e.g. a sum it factored instead)."""
    used = set()
    for code in results:
        used.update(re.findall(r"[A-Za-z_]\w*", code))
    keep = []
    for line in reversed(lines):
        m = re.match(r"([A-Za-z_]\w*) = (.*)$", line)
        if m and m.group(1) not in used:
            continue
        keep.append(line)
        if m:  # the name is (re)defined here: earlier values are read only by this line
            used.discard(m.group(1))
            used.update(re.findall(r"[A-Za-z_]\w*", m.group(2)))
        else:
            used.update(re.findall(r"[A-Za-z_]\w*", line))
    return keep[::-1]


def _number(code: str) -> bool:
    """A Python number expression (no array to alias)."""
    return bool(re.fullmatch(r"[\d.eE+\-() *]+", code))


def _result(em: _Emitter, t: Tensor, edges: tuple, backend: str) -> str:
    """Code for the value of t with axes in `edges` order."""
    v = em.emit(t)
    dims_t = tuple(t.dims[e] for e in edges)
    ax = [v.axes[t.edges.index(e)] for e in edges]
    b = em.b
    if v.scalar:
        # a number or dimension (possibly an int): a 0-d array of the float type
        return b.scalar_out(v.code, em.dtype) if not edges else em.densify(v, ax, dims_t)
    if not edges:
        return b.scalar_out(v.code) if b.mod != "jnp" else v.code
    if None not in ax and sorted(ax) == list(range(v.ndim)) == list(range(len(ax))):  # a permutation
        return em.aligned(v.code, "".join(_LETTERS[a] for a in range(v.ndim)), "".join(_LETTERS[a] for a in ax))
    return em.densify(v, ax, dims_t)


def build(text: str, name: str = "f"):
    """The function the source `text` defines (its source kept as `__source__`)."""
    namespace: dict = {}
    exec(builtins.compile(text, f"<tensorgrad.to_code {name}>", "exec"), namespace)
    fn = namespace[name]
    fn.__source__ = text
    return fn
