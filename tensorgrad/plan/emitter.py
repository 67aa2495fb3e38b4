"""The code generator: turns expression nodes into statements of generated source,
sharing sub-expressions and contracting products pairwise in an order fixed here."""

from __future__ import annotations

import builtins
import math
import re
from typing import Mapping

import opt_einsum

from ..expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .backends import MODULE_NAMES, _Backend, _ident, _num
from .calls import _Functions
from .sums import _Sums
from .values import _LETTERS, EMIT, _Net, _Val, _atom, _scaled, edge_classes

DEFAULT_SIZE = 1000

# Calls that return a view of (or the very array) they are given
_VIEWS = {"T", "transpose", "permute", "swapaxes", "squeeze", "reshape", "moveaxis", "broadcast_to", "expand",
          "einsum", "asarray", "as_tensor", "diagonal", "view"}
BACKENDS = ("numpy", "torch", "jax", "dask", "cupy")


# ---------------------------------------------------------------------------
# Structural keys: equal keys <=> the same tensor up to the names of its edges
# (free edges by position, internal edges by first appearance), and up to the order
# of factors and terms: A x and x A are one value, computed once. A key is a small
# int (the structure interned per emitter), so hashing it again costs nothing.
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
        memo[id(t)] = (k, t)
        return k
    else:
        labels = {e: ("f", n) for n, e in enumerate(t.edges)}

        def label(e):
            if e not in labels:
                labels[e] = ("c", len(labels))
            return labels[e]
        if isinstance(t, Product):
            parts = sorted(((_key(f, memo), f) for f in t.factors), key=lambda kf: kf[0])
            k = ("P", tuple((kf, tuple(label(e) for e in f.edges)) for kf, f in parts))
        elif isinstance(t, Sum):
            parts = sorted(((_key(s, memo), s, w) for s, w in zip(t.terms, t.weights)), key=lambda ks: ks[0])
            k = ("S", tuple((ks, tuple(label(e) for e in s.edges), w) for ks, s, w in parts))
        elif isinstance(t, Function):
            k = ("F", t.spec.name, t.params, _key(t.arg, memo), tuple(label(e) for e in t.arg.edges),
                 tuple(label(e) for e in t.core))
        else:
            raise TypeError(f"cannot export a {type(t).__name__}")
    interned = memo.setdefault(None, {})
    k = interned.setdefault(k, len(interned))
    memo[id(t)] = (k, t)  # keep t alive so its id stays unique
    return k


# ---------------------------------------------------------------------------
# The code generator
# ---------------------------------------------------------------------------

class _Emitter(_Sums, _Functions):
    def __init__(self, backend: _Backend, sizes: Mapping, reserved):
        self.b = backend
        self.sizes = dict(sizes)
        self.lines: list = []
        self.imports: list = []  # import lines registered functions' templates need
        self.taken = set(reserved) | MODULE_NAMES | {"dtype"} | set(dir(builtins))
        self.keys: dict = {}
        self.memo: dict = {}
        self.pairs: dict = {}
        self.rhs: dict = {}
        self.owned: set = set()
        self.dimname: dict = {}  # dimension symbol -> python name of its size
        self.dtype = "None"
        self.defs: dict = {}  # name -> the code assigned to it (to tell new arrays from views)

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
        self.defs[name] = code
        if cse:
            self.rhs[code] = name
        return name

    def is_new(self, code: str) -> bool:
        """Is `code` certainly an array computed here (not an argument or a view of one)?"""
        rhs = self.defs.get(code) if code.isidentifier() else code
        if rhs is None:
            return False
        if any(op in rhs for op in (" @ ", " * ", " + ", " - ", " / ", "**", ".copy()", ".clone()")):
            return True
        inner = re.fullmatch(r"\w+\.(?:asarray|as_tensor)\((\w+)\)", rhs)
        if inner:  # a result turned into a 0-d array: as new as what it wraps
            return self.is_new(inner.group(1))
        if re.search(r"einsum\('[^']*,", rhs):  # two or more operands: a new array
            return True
        return any(c not in _VIEWS for c in re.findall(r"\.?(\w+)\(", rhs))

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
        p, w = self.inlined(p)
        p = self.solves(p)
        weight, dim_of, ops, joins = ([_num(w)] if w != 1 else []), {}, [], []
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
        net = self.network(p)
        if net is None:
            return _Val("0.0", [None] * len(p.edges), 0, scalar=True)
        return self.contract_net(net, p.edges, self._product_name(net))

    def inlined(self, p: Product):
        """(p, weight) with nested products (also under a one-term weighted sum) that
        would be larger than p or than each of their operands -- an outer product such
        as inv(S)[i,j] inv(S)[k,l] -- joined into p's own network, so the contraction
        order never builds them. Smaller nested products stay shared values."""
        weight = 1
        while True:
            for k, f in enumerate(p.factors):
                w = 1
                if isinstance(f, Sum) and len(f.terms) == 1 and isinstance(f.terms[0], Product):
                    f, w = f.terms[0], f.weights[0]  # a term has its sum's edge names
                if isinstance(f, Product) and self.outer(f, p):
                    break
            else:
                return p, weight
            others = p.factors[:k] + p.factors[k + 1:]
            inner = f.rename_internal_apart({e for g in others for e in g.edges} | set(p.edges))
            p, weight = Product(p.factors[:k] + inner.factors + p.factors[k + 1:], p.edges), weight * w

    def outer(self, f: Product, p: Product) -> bool:
        """Would the nested product f be larger than the product p it is a factor of, or
        than each of its own operands?"""
        numel = lambda t: math.prod(self.typical(d) for d in t.dim_symbols)  # noqa: E731
        return numel(f) > min(numel(p), max((numel(g) for g in f.factors), default=1))

    def weighted_product(self, t: Product, w, edges) -> _Val:
        """w * (product): the weight joins the contraction (onto its smallest operand)."""
        net = self.network(t)
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
            held = f"__solve_{code}"
            while held in self.params:  # never a user's variable name: its key would be theirs
                held += "_"
            holder = Variable(held, **{other: f.dims[other]}, **{r: g.dims[r] for r in rest})
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
        # an array even when every factor is a number (G + G: the weight 1.0 + 1.0)
        coef = self.let("coef", f"np.asarray({' * '.join(([weight] if weight else []) + vecs)})")
        per_row = any(ls == c for _, ls in cur)  # a vector along the contracted edge
        sc = "[:, None]" if pos == 0 and per_row else ""
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
