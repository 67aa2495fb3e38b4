"""Sums in generated code: compact sums, diagonal terms written into views, dense
arrays from compact values, and sums of products factored over shared factors."""

from __future__ import annotations

import math

from ..expr import Product, Sum, Zero
from .backends import _num
from .values import _LETTERS, EMIT, _Net, _Val, _linear


class _Sums:
    """Methods of the code generator (`emitter._Emitter`) for sums."""

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
        made_here = any(line.startswith(acc_code + " = ") for line in self.lines[before:]) and self.is_new(acc_code)
        if acc_code not in self.owned and not made_here:
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
        # torch / jax / dask: select the diagonal with boolean identities (no multiply:
        # an inf on the diagonal never turns the zeros off it into NaN)
        target = "".join(_LETTERS[26 + e] if a is not None else ls_full[e] for e, a in enumerate(ax))
        first_edge = {}
        for e, a in enumerate(ax):
            if a is not None:
                first_edge.setdefault(a, e)
        base = "".join(target[first_edge[a]] for a in range(v.ndim))
        masks = []
        for e, a in enumerate(ax):
            if a is not None and first_edge[a] != e:
                eye = self.b.eye_mask(self.size(dims[e]), self.dtype)
                masks.append(self.aligned(eye, target[first_edge[a]] + target[e], target))
        code = self.b.where(" & ".join(masks), self.aligned(v.code, base, target))
        if None in ax and not keep_broadcast:
            code = self.b.broadcast(code, self.shape(dims))
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
