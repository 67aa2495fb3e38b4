"""Functions in generated code: elementwise maps, functions along edges (softmax,
logsumexp, det, logdet, inverse) and registered code templates."""

from __future__ import annotations

import re

from ..expr import FUNCTIONS, Delta, Function, Product, Sum
from .backends import _num
from .values import _LETTERS, EMIT, _Val


class _Functions:
    """Methods of the code generator (`emitter._Emitter`) for functions."""

    # -- functions ----------------------------------------------------------
    @EMIT.register(Function)
    def _function(self, f: Function) -> _Val:
        name = f.spec.name
        if name == "log" and isinstance(f.arg, Sum):
            special = self._log_one_plus(f)
            if special is not None:
                return special
        v = self.emit(f.arg)
        dims = f.arg.dim_symbols
        elementwise = not f.core
        if elementwise:
            if v.scalar:
                return _Val(f"({self.call(f, v.code, ())})", v.axes, 0, scalar=True, name=False)
            carried = [a for a in v.axes if a is not None]
            if len(set(carried)) == len(carried):
                return _Val(self.let(name, self.call(f, v.code, ())), v.axes, v.ndim)
            x = self.densify(v, v.axes, dims)
            return _Val(self.let(name, self.call(f, x, ())), range(len(f.edges)), len(f.edges))
        x = self.densify(v, v.axes, dims) if not v.dense else self.aligned(
            v.code, "".join(_LETTERS[a] for a in range(v.ndim)), "".join(_LETTERS[a] for a in v.axes))
        axes = tuple(f.arg.edges.index(e) for e in f.core)
        code = self.call(f, x, axes)
        return _Val(self.let(name, code), range(len(f.edges)), len(f.edges))

    def _log_one_plus(self, f: Function):
        # log(1 + u) -> log1p(u); log(1 + exp(u)) -> logaddexp(0, u)
        s = f.arg
        if len(s.terms) != 2 or tuple(s.weights) != (1, 1):
            return None
        for one, other in (s.terms, s.terms[::-1]):
            if isinstance(one, Product) and all(isinstance(d, Delta) and len(d.edges) == 1 for d in one.factors):
                if isinstance(other, Function) and other.spec.name == "exp":
                    v = self.emit(other.arg)
                    fn = "softplus"
                else:
                    v = self.emit(other)
                    fn = "log1p"
                ax = [v.axes[other.edges.index(e)] for e in s.edges] if fn == "log1p" else \
                    [v.axes[other.arg.edges.index(e)] for e in s.edges]
                carried = [a for a in ax if a is not None]
                if v.scalar or len(set(carried)) < len(carried):
                    return None
                code = self.b.fn("log1p", v.code) if fn == "log1p" else self.template(FUNCTIONS["softplus"], v.code, ())
                return _Val(self.let(fn, code), ax, v.ndim)
        return None

    def call(self, f: Function, x: str, axes: tuple) -> str:
        name, b, p = f.spec.name, self.b, f.params
        if not x.isidentifier() and not re.fullmatch(r"[\w.]+(\[[^\]]*\])?", x):
            x = f"({x})"
        if name == "pow":
            (q,) = p
            if q == 0.5:
                return b.fn("sqrt", x)
            if q == -1:
                return f"1.0 / {x}"
            if q == 2:
                return f"{x} * {x}" if x.isidentifier() else f"{x} ** 2"
            return f"{x} ** {_num(q)}"
        if axes:
            return self.call_along(name, x, axes, f)
        return self.template(f.spec, x, axes, p)

    def call_along(self, name, x, axes, f) -> str:
        b = self.b
        ax = axes[0] if len(axes) == 1 else axes
        if name == "softmax":
            e = self.let("exp", f"{b.mod}.exp({x} - {b.max(x, ax, True)})")
            return f"{e} / {b.sum_axis(e, ax, True)}"
        if name == "logsumexp":
            m = self.let("max", b.max(x, ax, True))
            if b.mod == "np":
                self.lines.append(f"{m} = np.where(np.isfinite({m}), {m}, 0.0)")
            else:
                m = self.let("max", f"{b.mod}.where({b.mod}.isfinite({m}), {m}, 0.0)")
            sq = b.sum_axis(f"{b.mod}.exp({x} - {m})", ax, False)
            return f"{b.mod}.squeeze({m}, {ax}) + {b.mod}.log({sq})" if b.mod != "torch" else \
                f"{m}.squeeze({ax}) + torch.log({sq})"
        if name == "max":
            return b.max(x, ax, False)
        if name == "is_max":  # the maximum's one-hot, k ties 1/k each (in x's dtype)
            hit = self.let("hit", f"({x} == {b.max(x, ax, True)}) * {b.mod}.ones_like({x})")
            return f"{hit} / {b.sum_axis(hit, ax, True)}"
        if name in ("det", "logdet", "inverse") and len(axes) == 2:
            two_d = len(f.arg.edges) == 2
            m = x if two_d and tuple(axes) == (0, 1) else (
                f"{x}.T" if two_d else b.moveaxis(x, axes, (-2, -1)))
            if name == "det":
                return b.det(m, len(f.arg.edges))
            if name == "logdet":
                return b.logdet(m, len(f.arg.edges))
            if two_d:
                return f"{b.linalg}.inv({x}).T"
            inv = self.let("inv", f"{b.linalg}.inv({m})")
            return b.moveaxis(f"{inv}.swapaxes(-1, -2)" if b.mod != "torch" else f"{inv}.transpose(-1, -2)",
                              (-2, -1), axes)
        return self.template(f.spec, x, axes, f.params)

    def template(self, spec, x: str, axes, params=()) -> str:
        """The function's export template on this backend (FunctionSpec.code_for), filled in;
        the imports it needs (FunctionSpec.imports) join the generated module's header."""
        code = spec.code_for(self.b.name)
        if not code:
            raise ValueError(f"cannot export function {spec.name!r}: it has no code template for the "
                             f"{self.b.name} backend")
        fields = {"x": x, "axes": axes if len(axes) != 1 else axes[0], "axis": axes[0] if axes else None,
                  "p": params[0] if params else None}
        try:
            code = code.format(**fields)
        except (KeyError, IndexError) as err:
            raise ValueError(f"cannot export function {spec.name!r}: its code template {code!r} "
                             f"uses an unknown field {err}") from None
        line = spec.imports.get(self.b.name)
        if line and line not in self.imports:
            self.imports.append(line)
        return code.replace("xp.", self.b.mod + ".")
