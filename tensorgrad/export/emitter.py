"""The code generator: turns expression nodes into statements of generated source,
sharing sub-expressions and contracting products pairwise in an order fixed here."""

from __future__ import annotations

import builtins
import math
import re
from typing import Mapping

import opt_einsum

from ..evaluate import edge_classes
from ..expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from ..kinds import KindTable
from .backends import _Backend, _ident, _num

DEFAULT_SIZE = 1000
BACKENDS = ("numpy", "torch", "jax")

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


# ---------------------------------------------------------------------------
# Structural keys: equal keys <=> the same tensor up to the names of its edges
# (free edges by position, internal edges by first appearance).
# ---------------------------------------------------------------------------

def _key(t: Tensor, memo: dict):
    k = memo.get(id(t))
    if k is not None:
        return k[0]
    if isinstance(t, Variable):
        k = ("V", t.name, t.original, t.dim_symbols)
    elif isinstance(t, Delta):
        k = ("D", t.dim, len(t.edges))
    elif isinstance(t, Zero):
        k = ("Z", t.dim_symbols)
    elif isinstance(t, Derivative):
        k = _key(t.doit(), memo)
    else:
        labels = {e: ("f", n) for n, e in enumerate(t.edges)}

        def label(e):
            if e not in labels:
                labels[e] = ("c", len(labels))
            return labels[e]
        if isinstance(t, Product):
            k = ("P", tuple((_key(f, memo), tuple(label(e) for e in f.edges)) for f in t.factors))
        elif isinstance(t, Sum):
            k = ("S", tuple((_key(s, memo), tuple(label(e) for e in s.edges), w) for s, w in zip(t.terms, t.weights)))
        elif isinstance(t, Function):
            k = ("F", t.spec.name, t.params, _key(t.arg, memo), tuple(label(e) for e in t.arg.edges),
                 tuple(label(e) for e in t.core))
        else:
            raise TypeError(f"cannot export a {type(t).__name__}")
    memo[id(t)] = (k, t)  # keep t alive so its id stays unique
    return k


# ---------------------------------------------------------------------------
# Values: a generated array in compact form
# ---------------------------------------------------------------------------

class _Val:
    """`code` holds an array with `ndim` axes; edge k of the node it stands for lies
    on compact axis `axes[k]` (several edges on one axis = a diagonal) or is
    broadcast (`None`: the value does not vary along it). `scalar`: `code` is a
    Python number expression (a constant or a size), not an array."""

    __slots__ = ("code", "axes", "ndim", "scalar", "name")

    def __init__(self, code, axes, ndim, scalar=False, name=True):
        self.code, self.axes, self.ndim, self.scalar = code, tuple(axes), ndim, scalar
        self.name = name  # is `code` a plain name (not an arithmetic expression)?

    @property
    def dense(self):
        """One axis per edge: no broadcast and no diagonal."""
        return sorted(a for a in self.axes if a is not None) == list(range(self.ndim)) == list(range(len(self.axes)))


# ---------------------------------------------------------------------------
# The code generator
# ---------------------------------------------------------------------------

class _Net:
    """A product as an einsum network: operands (code, class ids), free edge ->
    class id (None = broadcast), output classes, scalar weight factors."""

    def __init__(self, ops, free, out, weight, dim_of):
        self.ops, self.free, self.out, self.weight, self.dim_of = ops, free, out, weight, dim_of


#: the code for each node kind: entry(emitter, node) -> _Val
EMIT = KindTable("export")


class _Emitter:
    def __init__(self, backend: _Backend, sizes: Mapping, reserved):
        self.b = backend
        self.sizes = dict(sizes)
        self.lines: list = []
        self.taken = set(reserved) | {"np", "torch", "jnp", "jax", "dtype"} | set(dir(builtins))
        self.keys: dict = {}
        self.memo: dict = {}
        self.pairs: dict = {}
        self.rhs: dict = {}
        self.owned: set = set()
        self.dimname: dict = {}  # dimension symbol -> python name of its size
        self.dtype = "None"

    # -- names and sizes ----------------------------------------------------
    def fresh(self, base: str) -> str:
        base = _ident(base)[:24]
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def let(self, base: str, code: str, cse: bool = True) -> str:
        """Assign `code` to a fresh name; an identical right-hand side seen before is
        reused (not for accumulators, which are written into afterwards)."""
        if cse and code in self.rhs:
            return self.rhs[code]
        name = self.fresh(base)
        self.lines.append(f"{name} = {code}")
        if cse:
            self.rhs[code] = name
        return name

    def size(self, dim: str) -> str:
        return self.dimname[dim]

    def typical(self, dim: str) -> int:
        return int(self.sizes.get(dim, DEFAULT_SIZE))

    def shape(self, dims) -> str:
        names = [self.size(d) for d in dims]
        return "(" + "".join(n + ", " for n in names).rstrip(" ") + ")" if len(names) == 1 else "(" + ", ".join(names) + ")"

    # -- dispatch -----------------------------------------------------------
    def emit(self, t: Tensor) -> _Val:
        k = _key(t, self.keys)
        v = self.memo.get(k)
        if v is None:
            v = EMIT.of(t)(self, t)
            self.memo[k] = v
        return v

    @EMIT.register(Variable)
    def _variable(self, t: Variable):
        return _Val(self.params[t.name], range(len(t.edges)), len(t.edges))

    @EMIT.register(Zero)
    def _zero(self, t: Zero):
        return _Val("0.0", [None] * len(t.edges), 0, scalar=True)

    @EMIT.register(Delta)
    def _delta(self, t: Delta):
        return self._product(Product((t,)))

    @EMIT.register(Derivative)
    def _derivative(self, t: Derivative):
        return self.emit(t.doit())

    # -- products -----------------------------------------------------------
    def network(self, p: Product) -> _Net:
        """Edges joined by copy tensors, or lying on one compact axis of an operand
        (a diagonal value), share one index class (evaluate.edge_classes, as in
        evaluate.einsum_plan)."""
        weight, dim_of, ops, joins = [], {}, [], []
        for f in p.factors:
            for e, d in zip(f.edges, f.dim_symbols):
                dim_of[e] = d
            if isinstance(f, Delta):
                if not f.edges:
                    weight.append(self.size(f.dim))
                joins.append(f.edges)
                continue
            v = self.emit(f)
            if v.scalar or v.ndim == 0:
                if v.code == "0.0":
                    return None
                if v.scalar:
                    weight.append(v.code)
                    continue
            groups = [[f.edges[j] for j, a in enumerate(v.axes) if a == k] for k in range(v.ndim)]
            joins.extend(groups)
            ops.append((v.code, groups))
        find = edge_classes(joins)
        ops = [(code, tuple(find(g[0]) for g in groups)) for code, groups in ops]
        dim_of = {find(e): d for e, d in dim_of.items()}
        carried = {c for _, cs in ops for c in cs}
        free_count: dict = {}
        for e in p.edges:
            free_count[find(e)] = free_count.get(find(e), 0) + 1
        for c in sorted({find(e) for e in dim_of} - carried - set(free_count), key=str):
            weight.append(self.size(dim_of[c]))  # a closed loop of copy tensors: its dimension
        for c, n in free_count.items():
            if n > 1 and c not in carried:  # a free identity: carry it on a ones vector
                ops.append((self.b.ones(self.size(dim_of[c]), self.dtype), (c,)))
                carried.add(c)
        free = {e: (find(e) if find(e) in carried else None) for e in p.edges}
        out = list(dict.fromkeys(c for c in free.values() if c is not None))
        return _Net(ops, free, out, weight, dim_of)

    @EMIT.register(Product)
    def _product(self, p: Product) -> _Val:
        p = self.solves(p)
        net = self.network(p)
        if net is None:
            return _Val("0.0", [None] * len(p.edges), 0, scalar=True)
        return self.contract_net(net, p.edges, self._product_name(net))

    def weighted_product(self, t: Product, w, edges) -> _Val:
        """w * (product): the weight joins the contraction (onto its smallest operand)."""
        net = self.network(self.solves(t))
        if net is None:
            return _Val("0.0", [None] * len(edges), 0, scalar=True)
        net.weight = [_num(w)] + net.weight
        start = len(self.lines)
        v = self.contract_net(net, edges, self._product_name(net))
        if any(line.startswith(v.code + " = ") for line in self.lines[start:]):
            self.owned.add(v.code)  # made here for this sum alone: it may be written into
        return v

    def solves(self, p: Product) -> Product:
        """inverse(X)[p,q] G[q,..] -> solve(X.T, G); inverse(X)[p,q] G[p,..] -> solve(X, G),
        unless inv(X) is computed anyway."""
        factors = list(p.factors)
        for k, f in enumerate(factors):
            if not (isinstance(f, Function) and f.spec.name == "inverse" and len(f.arg.edges) == 2):
                continue
            if _key(f, self.keys) in self.memo:
                continue
            partners = [(j, g) for j, g in enumerate(factors) if j != k and set(g.edges) & set(f.edges)]
            if len(partners) != 1:
                continue
            j, g = partners[0]
            shared = [e for e in f.edges if e in g.edges]
            if isinstance(g, (Delta, Zero)) or len(shared) != 1 or len(g.edges) > 2:
                continue
            gv = self.emit(g)
            if gv.scalar or not gv.dense:
                continue
            (e,) = shared
            other = f.edges[1] if e == f.edges[0] else f.edges[0]
            rest = [r for r in g.edges if r != e]
            xv = self.emit(f.arg)
            if xv.scalar or not xv.dense:
                continue
            xa = self.aligned(xv.code, "".join(_LETTERS[a] for a in range(xv.ndim)), "".join(_LETTERS[a] for a in xv.axes))
            ga = self.aligned(gv.code, "".join(_LETTERS[a] for a in range(gv.ndim)),
                              "".join(_LETTERS[gv.axes[g.edges.index(r)]] for r in [e] + rest))
            lhs = xa if e == f.edges[0] else (f"{xa}.T" if xa.isidentifier() else f"({xa}).T")
            code = self.let("solve", f"{self.b.linalg}.solve({lhs}, {ga})")
            holder = Variable(f"__solve_{code}", **{other: f.dims[other]}, **{r: g.dims[r] for r in rest})
            self.params[holder.name] = code
            rest_factors = [h for i, h in enumerate(factors) if i not in (j, k)]
            return self.solves(Product(rest_factors + [holder], p.edges))
        return p

    def _product_name(self, net) -> str:
        names = [c for c, _ in net.ops if c in self.params.values()]
        return "_".join(dict.fromkeys(names)) or "prod"

    def contract_net(self, net: _Net, edges, name) -> _Val:
        weight = " * ".join(net.weight) if net.weight else None
        axes = [net.out.index(net.free[e]) if net.free[e] is not None else None for e in edges]
        if not net.ops:
            return _Val(weight or "1.0", axes, 0, scalar=True, name=False)
        code = self.contract(net.ops, net.out, net.dim_of, weight, name)
        return _Val(code, axes, len(net.out))

    def contract(self, ops, out, dim_of, weight, name) -> str:
        """Emit the pairwise contraction of `ops` (code, class ids) to classes `out`."""
        letter = {}
        for _, cs in ops:
            for c in cs:
                letter.setdefault(c, _LETTERS[len(letter)] if len(letter) < 52 else opt_einsum.get_symbol(len(letter)))
        for c in out:
            letter.setdefault(c, opt_einsum.get_symbol(len(letter)))
        size = {letter[c]: self.typical(dim_of[c]) for c in letter}
        out_l = "".join(letter[c] for c in out)
        cur = [(code, "".join(letter[c] for c in cs)) for code, cs in ops]
        # single-operand work first: diagonals and edges no one else needs
        for k, (code, ls) in enumerate(cur):
            others = set(out_l).union(*(set(l) for j, (_, l) in enumerate(cur) if j != k))
            keep = "".join(dict.fromkeys(c for c in ls if c in others))
            if keep != ls:
                if len(set(ls)) == len(ls):
                    code = self.b.sum(code, [ls.index(c) for c in ls if c not in keep])
                    if keep != "".join(c for c in ls if c in keep):
                        code = self.b.transpose(code, ["".join(c for c in ls if c in keep).index(c) for c in keep])
                else:
                    code = self.b.einsum(f"{ls}->{keep}", code)
                cur[k] = (self.let(name if len(cur) == 1 else "t", code), keep)
        # the weight goes on the smallest operand when that is smaller than the result
        numel = lambda ls: math.prod(size[c] for c in ls)  # noqa: E731
        if weight is not None and len(cur) > 1:
            k = min(range(len(cur)), key=lambda j: numel(cur[j][1]))
            if numel(cur[k][1]) < numel(out_l):
                cur[k] = (f"({_scaled(weight, cur[k][0])})", cur[k][1])
                weight = None
        if self.b.inplace_diag and len(cur) > 2:
            gram = self.gram(cur, out_l, weight, name)
            if gram is not None:
                return gram
        if len(cur) > 1:
            spec = ",".join(l for _, l in cur) + "->" + out_l
            shapes = [tuple(size[c] for c in l) for _, l in cur]
            path, _ = opt_einsum.contract_path(spec, *shapes, shapes=True, optimize="auto")
            for step in path:
                picked = [cur[j] for j in step]
                rest = [cur[j] for j in range(len(cur)) if j not in step]
                last = not rest
                if len(picked) == 1:
                    continue  # single-operand work was done above
                (a, la), (b, lb) = picked[0], picked[1]
                needed = set(out_l).union(*(set(l) for _, l in rest))
                if last:
                    lr = out_l
                else:
                    lr = "".join(dict.fromkeys(c for c in la + lb if c in needed))
                # the same pairwise contraction in another product is computed once
                ren: dict = {}
                pkey = (a, b, "".join(ren.setdefault(c, _LETTERS[len(ren)]) for c in la + lb + lr), len(picked))
                hit = self.pairs.get(pkey) if len(picked) == 2 else None
                if hit is not None:
                    code = hit
                else:
                    code = self.pair(a, la, b, lb, lr)
                    for extra_code, extra_l in picked[2:]:  # opt_einsum may join more than two at once
                        code = self.pair(code, lr, extra_code, extra_l, lr)
                    code = self.let(name if last and weight is None else self._tname(a, b), code)
                    self.pairs[pkey] = code
                if last and weight is not None:
                    code, weight = self.let(name, _scaled(weight, code)), None
                cur = rest + [(code, lr)]
        (code, ls), = cur
        if ls != out_l:
            code = self.let(name, self.b.transpose(code, [ls.index(c) for c in out_l]))
        if weight is not None:
            code = self.let(name, _scaled(weight, code))
        return code

    def gram(self, cur, out_l, weight, name):
        """Σ_a c_a X[a,j] X[a,k] with one sign of c: a symmetric rank-k update (syrk,
        half the flops of a general product) on X scaled by sqrt|c|; numpy only."""
        mats = [(code, ls) for code, ls in cur if len(ls) == 2]
        if len(mats) != 2 or mats[0][0] != mats[1][0]:
            return None
        (x, l1), (_, l2) = mats
        shared = set(l1) & set(l2)
        if len(shared) != 1:
            return None
        (c,) = shared
        pos = l1.index(c)
        if l2.index(c) != pos or sorted(l1.replace(c, "") + l2.replace(c, "")) != sorted(out_l):
            return None
        vecs = [code for code, ls in cur if (code, ls) not in mats or len(ls) != 2]
        if len(vecs) != len(cur) - 2 or any(ls not in ("", c) for code, ls in cur if len(ls) != 2):
            return None
        coef = self.let("coef", " * ".join(([weight] if weight else []) + vecs))
        sc = "[:, None]" if pos == 0 else ""
        def gram_of(m):
            return f"{m}.T @ {m}" if pos == 0 else f"{m} @ {m}.T"
        # X^T diag(c) X is symmetric, so the order of the two output letters does not matter
        out = self.fresh(name)
        xs = self.fresh(f"{x}_scaled" if x.isidentifier() else "scaled")
        other = f"{x}.T @ ({x} * {coef}{sc})" if pos == 0 else f"({x} * {coef}) @ {x}.T"
        self.lines += [
            f"if ({coef} >= 0).all():",
            f"    {xs} = {x} * np.sqrt({coef}){sc}",
            f"    {out} = {gram_of(xs)}",
            f"elif ({coef} <= 0).all():",
            f"    {xs} = {x} * np.sqrt(-{coef}){sc}",
            f"    {out} = -({gram_of(xs)})",
            "else:",
            f"    {out} = {other}",
        ]
        return out

    def _tname(self, a, b):
        """A name for the contraction of a and b from theirs: `X_w`, `sigmoid_pow`."""
        parts = [re.sub(r"_\d+$", "", c) for c in (a, b) if c.isidentifier()]
        parts = [c for c in parts if c not in ("t", "prod")]
        return "_".join(dict.fromkeys(parts))[:24] or "t"

    def aligned(self, code, ls, target):
        """`code` (axes `ls`) transposed and indexed with None to broadcast against `target`."""
        code = _atom(code)
        order = [c for c in target if c in ls]
        if order != list(ls):
            code = self.b.transpose(code, [ls.index(c) for c in order])
        idx = [":" if c in ls else "None" for c in target]
        while idx and idx[0] == "None":
            idx.pop(0)
        if "None" in idx:
            code = f"{code}[{', '.join(idx)}]"
        return code

    def pair(self, a, la, b, lb, lr) -> str:
        """Code for the contraction of a (axes la) and b (axes lb) to axes lr."""
        a, b = _atom(a), _atom(b)
        shared = set(la) & set(lb)
        batch, summed = shared & set(lr), shared - set(lr)
        if not summed:  # elementwise / outer product: broadcasting
            if set(la) | set(lb) == set(lr):
                return f"{self.aligned(a, la, lr)} * {self.aligned(b, lb, lr)}"
        elif not batch and len(la) <= 2 and len(lb) <= 2 and len(summed) == 1:
            (c,) = summed
            A = a if la[-1] == c else f"{a}.T"
            B = b if lb[0] == c else f"{b}.T"
            got = [x for x in la if x != c] + [x for x in lb if x != c]
            code = f"{A} @ {B}"
            if "".join(got) != lr:
                code = f"({code}).T"
            return code
        elif not batch:
            s = sorted(summed)
            got = "".join(x for x in la if x not in summed) + "".join(x for x in lb if x not in summed)
            code = self.b.tensordot(a, b, [la.index(c) for c in s], [lb.index(c) for c in s])
            if got != lr:
                code = self.b.transpose(f"({code})" if not code.endswith(")") else code, [got.index(c) for c in lr])
            return code
        return self.b.einsum(f"{la},{lb}->{lr}", a, b)

    # -- sums ---------------------------------------------------------------
    @EMIT.register(Sum)
    def _sum(self, s: Sum) -> _Val:
        terms = [(t, w) for t, w in zip(s.terms, s.weights) if not isinstance(t, Zero)]
        if not terms:
            return _Val("0.0", [None] * len(s.edges), 0, scalar=True)
        if len(terms) > 1:
            v = self.factored_sum(s, terms)
            if v is not None:
                return v
        elif isinstance(terms[0][0], Product) and terms[0][1] != 1 and len(s.edges) > 1:
            (t, w), = terms
            return self.weighted_product(t, w, s.edges)
        vals = []
        for t, w in terms:
            if isinstance(t, Product) and w != 1 and len(t.edges) > 1:  # heavy: scale a small operand
                v, w = self.weighted_product(t, w, t.edges), 1
            else:
                v = self.emit(t)
            if v.scalar and v.code == "0.0":
                continue
            vals.append((v, [v.axes[t.edges.index(e)] for e in s.edges], w))
        if not vals:
            return _Val("0.0", [None] * len(s.edges), 0, scalar=True)
        return self.add(vals, s.edges, s.dim_symbols)

    def add(self, vals, edges, dims) -> _Val:
        """Σ w v over (value, axes in `edges` order, weight) triples."""
        def patt(axes):  # the partition of carried edges, in canonical numbering
            ren = {}
            return tuple(None if a is None else ren.setdefault(a, len(ren)) for a in axes)
        pats = {patt(ax) for _, ax, _ in vals}
        diag = [(v, ax, w) for v, ax, w in vals if len({a for a in ax if a is not None}) < len([a for a in ax if a is not None])]
        if len(pats) == 1 or not diag:
            # one pattern (compact sum) or no diagonals (broadcasting sum)
            if len(pats) == 1:
                (p,) = pats
                out_axes = list(p)
            else:
                carried = [e for e in range(len(edges)) if any(ax[e] is not None for _, ax, _ in vals)]
                out_axes = [carried.index(e) if e in carried else None for e in range(len(edges))]
            n_out = len({a for a in out_axes if a is not None})
            target = [_LETTERS[k] for k in range(n_out)]
            parts = []
            for v, ax, w in vals:
                # compact axis order of v: by its own axis numbers
                by_axis = {}
                for e, a in enumerate(ax):
                    if a is not None:
                        by_axis.setdefault(a, target[out_axes[e]])
                ls = "".join(by_axis[a] for a in range(v.ndim)) if not v.scalar else ""
                parts.append((self.aligned(v.code, ls, target) if ls else v.code, w))
            code = _linear(parts)
            scalar = all(v.scalar for v, _, _ in vals)
            if len(vals) == 1 and vals[0][2] == 1:
                # the term as it is: its own axes (out_axes renumbers them, losing a transpose)
                (v, ax, _), = vals
                return _Val(v.code, ax, v.ndim, scalar=scalar, name=v.name)
            if scalar:
                return _Val(f"({code})", out_axes, 0, scalar=True, name=False)
            return _Val(self.let("total", code), out_axes, n_out)
        # mixed: dense accumulator plus diagonal terms added into diagonal views
        plain = [(v, ax, w) for v, ax, w in vals if not any(d is v for d, _, _ in diag)]
        full = list(range(len(edges)))
        before = len(self.lines)
        if plain:
            acc = self.add(plain, edges, dims)
            acc_code = self.densify(acc, acc.axes, dims)
        else:
            acc_code = self.let("total", self.b.zeros(self.shape(dims), self.dtype), cse=False)
        if acc_code not in self.owned and not any(line.startswith(acc_code + " = ") for line in self.lines[before:]):
            # never write into an array someone else holds
            acc_code = self.let("total", f"{acc_code}.copy()" if self.b.inplace_diag else acc_code, cse=False)
        # it is about to change: no later reuse of it as a common sub-expression
        self.owned.discard(acc_code)
        self.rhs = {k: n for k, n in self.rhs.items() if n != acc_code}
        self.pairs = {k: n for k, n in self.pairs.items() if n != acc_code}
        for v, ax, w in diag:
            acc_code = self.add_diagonal(acc_code, v, ax, w, dims)
        return _Val(acc_code, full, len(edges))

    def add_diagonal(self, acc, v, ax, w, dims) -> str:
        lead = [l for l in "abcdefghijklmnopqrstuvwxyz"]
        letter_of_axis, ls_acc, view = {}, "", ""
        for e, a in enumerate(ax):
            if a is None:
                l = lead.pop()
                view += l
            else:
                if a not in letter_of_axis:
                    letter_of_axis[a] = lead.pop()
                    view += letter_of_axis[a]
                l = letter_of_axis[a]
            ls_acc += l
        vl = "".join(letter_of_axis[a] for a in range(v.ndim))
        val = self.aligned(v.code, vl, view)
        val = val if w == 1 else f"{_num(w)} * {val}"
        if self.b.inplace_diag:
            self.lines.append(f"{self.b.einsum(ls_acc + '->' + view, acc)}[...] += {val}")
            return acc
        dense = self.densify(v, ax, dims)
        return self.let("total", f"{acc} + {dense}" if w == 1 else f"{acc} + {_num(w)} * {dense}")

    def densify(self, v: _Val, ax, dims, keep_broadcast=False) -> str:
        """Code for v as a full array over edges with compact axes `ax`, dims `dims`."""
        if v.scalar:
            if keep_broadcast:
                return v.code
            return self.let("full", self.b.full(self.shape(dims), v.code, self.dtype))
        letters, view, ls_full = {}, "", ""
        for e, a in enumerate(ax):
            if a is None:
                ls_full += _LETTERS[25 - e]
            else:
                if a not in letters:
                    letters[a] = _LETTERS[len(letters)]
                ls_full += letters[a]
        vl = "".join(letters[a] for a in range(v.ndim))
        carried = [a for a in ax if a is not None]
        has_diag = len(set(carried)) < len(carried)
        if not has_diag:
            target = "".join(letters[a] if a is not None else ls_full[e] for e, a in enumerate(ax))
            code = self.aligned(v.code, vl, "".join(c for c in target if c in vl))
            if None in ax and not keep_broadcast:
                code = self.b.broadcast(self.aligned(v.code, vl, target), self.shape(dims))
                return self.let("full", code)
            return code if code == v.code else self.let("full", code)
        if self.b.inplace_diag:
            out = self.let("full", self.b.zeros(self.shape(dims), f"{v.code}.dtype"), cse=False)
            view = "".join(dict.fromkeys(ls_full))
            self.lines.append(f"{self.b.einsum(ls_full + '->' + view, out)}[...] = {self.aligned(v.code, vl, view)}")
            return out
        # torch / jax: multiply by identity matrices (the result is that large anyway)
        factors = []
        target = "".join(_LETTERS[26 + e] if a is not None else ls_full[e] for e, a in enumerate(ax))
        first_edge = {}
        for e, a in enumerate(ax):
            if a is not None:
                first_edge.setdefault(a, e)
        base = "".join(target[first_edge[a]] for a in range(v.ndim))
        factors.append(self.aligned(v.code, base, target))
        for e, a in enumerate(ax):
            if a is not None and first_edge[a] != e:
                n = self.size(dims[e])
                eye = self.b.eye(n, f"{v.code}.dtype")
                factors.append(self.aligned(eye, target[first_edge[a]] + target[e], target))
        code = " * ".join(factors)
        if None in ax and not keep_broadcast:
            code = self.b.broadcast(f"({code})", self.shape(dims))
        return self.let("full", code)

    def factored_sum(self, s: Sum, terms) -> _Val | None:
        """Σ_t w_t C R_t -> C (Σ_t w_t R_t) when every term is a product sharing factors C."""
        if not all(isinstance(t, Product) for t, _ in terms):
            return None
        nets = []
        for t, w in terms:
            net = self.network(t)
            if net is None:
                continue
            nets.append((net, w, t))
        if len(nets) < 2:
            return None
        net0 = nets[0][0]
        maps = []
        for net, _, t in nets[1:]:
            m = {}
            for e in s.edges:
                c0, ck = net0.free[e], net.free[e]
                if (c0 is None) != (ck is None) or (ck is not None and m.setdefault(ck, c0) != c0):
                    return None
            if len(set(m.values())) != len(m):
                return None
            maps.append(m)
        used = [set() for _ in maps]
        common = []
        for i0, (code0, cs0) in enumerate(net0.ops):
            trial = []
            for k, (net, _, _) in enumerate(nets[1:]):
                found = None
                for j, (code, cs) in enumerate(net.ops):
                    if j in used[k] or code != code0 or len(cs) != len(cs0):
                        continue
                    m = dict(maps[k])
                    image = set(m.values())
                    ok = True
                    for ck, c0 in zip(cs, cs0):
                        if ck in m:
                            ok = m[ck] == c0
                        elif c0 in image:
                            ok = False
                        else:
                            m[ck] = c0
                            image.add(c0)
                        if not ok:
                            break
                    if ok:
                        found = (j, m)
                        break
                if found is None:
                    break
                trial.append(found)
            if len(trial) == len(maps):
                common.append(i0)
                for k, (j, m) in enumerate(trial):
                    used[k].add(j)
                    maps[k] = m
        if not common:
            return None
        common_classes = {c for i in common for c in net0.ops[i][1]} | {c for c in net0.free.values() if c is not None}
        rests, interface = [], None
        for k, (net, w, _) in enumerate(nets):
            m = {c: c for c in net0.dim_of} if k == 0 else maps[k - 1]
            skip = set(common) if k == 0 else used[k - 1]
            ops = []
            for j, (code, cs) in enumerate(net.ops):
                if j not in skip:
                    ops.append((code, tuple(m.get(c, ("private", k, c)) for c in cs)))
            iface = {c for _, cs in ops for c in cs if c in common_classes}
            interface = iface if interface is None else interface | iface
            rests.append((ops, net.weight, w, {m.get(c, ("private", k, c)): d for c, d in net.dim_of.items()}, iface))
        order = list(dict.fromkeys([c for c in net0.free.values() if c in interface]
                                   + [c for i in common for c in net0.ops[i][1] if c in interface]))
        # the coefficient spans every term's interface (each term broadcast over the rest):
        # worth it only while it is no larger than an operand it multiplies
        size = lambda cs: math.prod(self.typical(net0.dim_of[c]) for c in cs)  # noqa: E731
        if size(order) > max(size(net0.ops[i][1]) for i in common):
            return None
        letters = {c: _LETTERS[k] for k, c in enumerate(order)}
        target = "".join(letters[c] for c in order)
        parts = []
        for ops, weight, w, dim_of, iface in rests:
            wt = " * ".join(weight) if weight else None
            own = [c for c in order if c in iface]
            if ops:
                code = self.contract(ops, own, dim_of, wt, "r")
                parts.append((self.aligned(code, "".join(letters[c] for c in own), target), w))
            else:
                parts.append((wt or "1.0", w))
        coef = self.let("coef", _linear(parts))
        ops = [net0.ops[i] for i in common] + [(coef, tuple(order))]
        net = _Net(ops, net0.free, net0.out, [], net0.dim_of)
        return self.contract_net(net, s.edges, self._product_name(net))

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
                return _Val(self.let(fn, self.b.fn(fn, v.code)), ax, v.ndim)
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
        code = b.fn(name, x)
        if code is not None:
            return code
        return self.template(f, x, axes)

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
        if name in ("det", "logdet", "inverse") and len(axes) == 2:
            two_d = len(f.arg.edges) == 2
            m = x if two_d and tuple(axes) == (0, 1) else (
                f"{x}.T" if two_d else b.moveaxis(x, axes, (-2, -1)))
            if name == "det":
                return f"{b.linalg}.det({m})"
            if name == "logdet":
                return f"{b.linalg}.slogdet({m})[1]"
            if two_d:
                return f"{b.linalg}.inv({x}).T"
            inv = self.let("inv", f"{b.linalg}.inv({m})")
            return b.moveaxis(f"{inv}.swapaxes(-1, -2)" if b.mod != "torch" else f"{inv}.transpose(-1, -2)",
                              (-2, -1), axes)
        return self.template(f, x, axes)

    def template(self, f: Function, x: str, axes) -> str:
        code = f.spec.code
        if not code:
            raise ValueError(f"cannot export function {f.spec.name!r}: it has no code template and the "
                             f"{type(self.b).__name__.strip('_').lower()} backend has no rule for it")
        fields = {"x": x, "axes": axes if len(axes) != 1 else axes[0], "axis": axes[0] if axes else None,
                  "p": f.params[0] if f.params else None}
        try:
            code = code.format(**fields)
        except (KeyError, IndexError) as err:
            raise ValueError(f"cannot export function {f.spec.name!r}: its code template {f.spec.code!r} "
                             f"uses an unknown field {err}") from None
        return code.replace("xp.", self.b.mod + ".")


def _atom(code: str) -> str:
    """`code`, parenthesised unless it is a name, attribute, call or subscript."""
    if re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\[\]]*\]|\([^()]*\))?", code):
        return code
    if code.startswith("("):  # already wrapped if its first parenthesis closes at the end
        depth = 0
        for k, ch in enumerate(code):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                if k == len(code) - 1:
                    return code
                break
    return f"({code})"


def _scaled(weight: str, code: str) -> str:
    return f"-{code}" if weight == "-1" else f"{weight} * {code}"


def _linear(parts) -> str:
    """'a + 2 * b - c' from (code, weight) pairs."""
    out = ""
    for code, w in parts:
        neg = w < 0 if isinstance(w, (int, float)) else False
        mag = -w if neg else w
        term = code if mag == 1 else f"{_num(mag)} * {code}"
        if not out:
            out = f"-{term}" if neg else term
        else:
            out += f" - {term}" if neg else f" + {term}"
    return out
