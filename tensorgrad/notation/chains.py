"""Reading a product network as matrix chains, traces, ⊙ and diag (a mixin of the reader)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .matrix_ast import NotMatrix, _col, _cost, _is_recip, _mul, _powers, _sort_key, _T, _Term, _text
from .syntax import BinOp, Call, Neg, Node, Number, Transpose


# ---------------------------------------------------------------------------
# Virtual factors of a product network (each with at most two edges)
# ---------------------------------------------------------------------------


@dataclass
class _VF:
    edges: tuple
    render: Callable  # (row edge or None, column edge or None) -> AST
    identity: bool = False
    ones: bool = False


class _ChainReader:
    """Products: chains, cycles and copy tensors. Mixed into :class:`~tensorgrad.notation.reader._Reader`,
    which supplies ``ex``, ``read`` and ``mark``."""

    def product(self, t, rows, cols) -> Node:
        ex = self.ex
        factors = list(t.factors)
        if not factors:
            return Number(1)
        free = set(t.edges)
        owner: dict[str, list[int]] = {}
        for k, f in enumerate(factors):
            for e in f.edges:
                owner.setdefault(e, []).append(k)

        def partner(e, k):
            ks = [j for j in owner.get(e, []) if j != k]
            return ks[0] if ks else None

        vfs: dict[int, _VF] = {}
        used: set[int] = set()
        # copy tensors with three or more edges: ⊙ and diag
        for k, f in enumerate(factors):
            if isinstance(f, ex.Delta) and len(f.edges) >= 3:
                used.add(k)
        copies = sorted(used)
        for k in copies:
            if k not in vfs:
                self.copy_tensor(k, factors, partner, vfs, used)
        for k, f in enumerate(factors):
            if k in used:
                continue
            if len(f.edges) > 2:
                raise NotMatrix("a factor with more than two edges")
            is_delta = isinstance(f, ex.Delta)
            vfs[k] = _VF(tuple(f.edges), self.renderer(f), is_delta and len(f.edges) == 2, is_delta and len(f.edges) == 1)
        return self.assemble(list(vfs.values()), free, rows, cols)

    def scalar_path(self, seq, rseq, render) -> Node:
        """uᵀ M v read in the cheaper direction; 𝟏ᵀ u as sum(u); uᵀMᵀM u as ‖M u‖²."""
        for s in (seq, rseq):
            if s[0][0].ones and len(s) > 1:
                return Call("sum", (_mul(render(s[1:])),))
        options = [render(seq), render(rseq)]
        fs = options[0]  # a row times a column
        if len(fs) == 2 and any(_is_recip(f) for f in fs):  # uᵀ(𝟏 ⊘ w) as sum(u ⊘ w)
            u, w = (_col(fs[0]), fs[1].right) if _is_recip(fs[1]) else (fs[1], _col(fs[0]).right)
            return Call("sum", (BinOp("./", u, w),))
        for fs in options:
            k = len(fs) // 2
            if len(fs) % 2 == 0 and all(fs[k + i] == _T(fs[k - 1 - i]) for i in range(k)):
                return BinOp("^", Call("norm2", (_mul(fs[k:]),)), Number(2))
        best = min(options, key=lambda fs: (_cost(_mul(fs)), _text(_mul(fs))))
        return _mul(best)

    def frobenius(self, options) -> Node | None:
        """tr(M Mᵀ) as ‖M‖²."""
        for fs in options:
            k = len(fs) // 2
            if len(fs) % 2 == 0 and all(fs[k + i] == _T(fs[k - 1 - i]) for i in range(k)):
                m = _mul(fs[:k])
                alt = _mul([_T(f) for f in reversed(fs[:k])])
                return BinOp("^", Call("norm2", (min((m, alt), key=lambda n: (_cost(n), _text(n))),)), Number(2))
        return None

    def renderer(self, f):
        return lambda r, c: self.read(f, r, c)

    def vector_path(self, e, j, factors, partner, used):
        """Factor indices of a chain that hangs off edge ``e`` at factor ``j`` and ends
        in a vector (so it reads as a column vector with row edge ``e``), else None."""
        ex = self.ex
        path, inn = [], e
        while True:
            f = factors[j]
            if j in used or j in path or (isinstance(f, ex.Delta) and len(f.edges) >= 3) or len(f.edges) > 2:
                return None
            path.append(j)
            if len(f.edges) == 1:
                return path
            (out,) = [x for x in f.edges if x != inn]
            nxt = partner(out, j)
            if nxt is None:
                return None
            j, inn = nxt, out

    def copy_tensor(self, k, factors, partner, vfs, used):
        ex = self.ex
        d = factors[k]
        links = [(e, partner(e, k)) for e in d.edges]
        # operands that are vectors along the copy tensor: 1-edge factors, and
        # 2-edge factors with both edges on it (their diagonal)
        operands, absorbed, rest = [], [], []
        for e, j in links:
            if j is None or j in used:
                rest.append(e)
                continue
            f = factors[j]
            path = self.vector_path(e, j, factors, partner, used)
            if len(f.edges) == 1:
                operands.append(lambda f=f: self.read(f, f.edges[0], None))
                absorbed.append(j)
            elif path is not None:
                sub = ex.Product([factors[i] for i in path], (e,))
                operands.append(lambda sub=sub, e=e: self.read(sub, e, None))
                absorbed.extend(path)
            elif len(f.edges) == 2 and all(partner(e2, j) == k for e2 in f.edges):
                if j not in absorbed:
                    ea, eb = f.edges

                    def diag_of(f=f, ea=ea, eb=eb):
                        inner = min((self.read(f, ea, eb), self.read(f, eb, ea)), key=lambda n: (_cost(n), _text(n)))
                        return Call("diag", (inner,))

                    operands.append(diag_of)
                    absorbed.append(j)
            else:
                rest.append(e)
        if operands and len(rest) <= 2:

            def hadamard(ops=tuple(operands)):
                nodes = [op() for op in ops]
                recip = [n for n in nodes if isinstance(n, BinOp) and n.op == "./" and n.left == Number(1)]
                plain = [n for n in nodes if not any(n is r for r in recip)]
                node = plain[0] if plain else recip.pop(0)
                for n in plain[1:]:
                    node = BinOp(".*", node, n)
                for n in recip:
                    node = BinOp("./", node, n.right)
                return node

            if len(rest) == 2:
                vfs[k] = _VF(tuple(rest), lambda r, c, h=hadamard: Call("diag", (h(),)))
            elif len(rest) == 1:
                vfs[k] = _VF(tuple(rest), lambda r, c, h=hadamard: h() if r is not None else _T(h()))
            else:
                vfs[k] = _VF((), lambda r, c, h=hadamard: Call("sum", (h(),)))
            used.update(absorbed)
            return
        if len(d.edges) != 3:
            raise NotMatrix("a copy tensor that is neither ⊙ nor diag")
        # M ⊙ N: two copy tensors joining the same two matrices
        mats = [(e, j) for e, j in links if j is not None and len(factors[j].edges) == 2 and j not in used]
        if len(mats) == 2:
            (ea, ja), (eb, jb) = mats
            (eo,) = [e for e, _ in links if e not in (ea, eb)]
            m, n = factors[ja], factors[jb]
            ma = [e for e in m.edges if e != ea][0]
            nb = [e for e in n.edges if e != eb][0]
            # the other copy tensor must join ma and nb
            for k2 in range(len(factors)):
                d2 = factors[k2]
                if k2 != k and k2 not in vfs and isinstance(d2, ex.Delta) and len(d2.edges) == 3 and ma in d2.edges and nb in d2.edges:
                    (eo2,) = [e for e in d2.edges if e not in (ma, nb)]

                    def hm(r, c, m=m, n=n, ea=ea, eb=eb, ma=ma, nb=nb, eo=eo):
                        if r == eo:
                            return BinOp(".*", self.read(m, ea, ma), self.read(n, eb, nb))
                        return BinOp(".*", self.read(m, ma, ea), self.read(n, nb, eb))

                    vfs[k] = _VF((eo, eo2), hm)
                    vfs[k2] = _VF((), None)  # absorbed
                    used.update((ja, jb, k2))
                    return
        raise NotMatrix("a copy tensor that is neither ⊙ nor diag")

    def assemble(self, vfs: list[_VF], free: set, rows, cols) -> Node:
        vfs = [v for v in vfs if v.render is not None]
        scalars: list[Node] = []
        denom: list[Node] = []
        coef = 1
        nodes = []
        for v in vfs:
            if not v.edges:
                s = v.render(None, None)
                self.mark(s, True)
                if isinstance(s, Number):
                    coef *= s.value
                elif isinstance(s, BinOp) and s.op == "/" and s.left == Number(1):
                    denom.append(s.right)
                elif isinstance(s, Neg):
                    coef = -coef
                    scalars.append(s.operand)
                else:
                    scalars.append(s)
            else:
                nodes.append(v)
        where: dict[str, list[int]] = {}
        for k, v in enumerate(nodes):
            for e in v.edges:
                where.setdefault(e, []).append(k)

        def nxt(k, e):
            ks = [j for j in where[e] if j != k] if e in where else []
            if len(where.get(e, [])) == 2 and where[e][0] == where[e][1]:
                raise NotMatrix("an edge contracted within one factor")
            return ks[0] if ks else None

        seen: set[int] = set()

        def walk(k, inn):
            """Chain starting at node k entered through edge ``inn`` (None: a vector end)."""
            seq = []
            while True:
                seen.add(k)
                v = nodes[k]
                rest = [e for e in v.edges if e != inn]
                out = rest[0] if rest else None
                seq.append((v, inn, out))
                if out is None or out in free:
                    return seq
                k2 = nxt(k, out)
                if k2 is None:
                    raise NotMatrix(f"dangling edge {out!r}")
                if k2 in seen:
                    return seq + [("cycle", k2, out)]
                k, inn = k2, out

        def rev(seq):
            return [(v, out, inn) for v, inn, out in reversed(seq)]

        def render(seq):
            parts = [v.render(inn, out) for v, inn, out in seq]
            keep = [p for p, (v, _, _) in zip(parts, seq) if not v.identity]
            return _powers(keep or parts[:1])

        row_chain: list[Node] = []
        col_chain: list[Node] = []
        if rows is not None:
            (k,) = where[rows]
            seq = walk(k, rows)
            end = seq[-1][2]
            if seq[-1][0] == "cycle" or (end is not None and end != cols):
                raise NotMatrix("irregular contraction")
            row_chain = render(seq)
        if cols is not None and cols not in [o for _, _, o in (seq if rows is not None else [])]:
            (k,) = where[cols]
            seq = walk(k, cols)
            if seq[-1][0] == "cycle" or seq[-1][2] is not None:
                raise NotMatrix("irregular contraction")
            col_chain = render(rev(seq))
        # the remaining components: vector-to-vector paths (scalars) and cycles (traces)
        for k0 in range(len(nodes)):
            if k0 in seen:
                continue
            comp, todo = set(), [k0]
            while todo:
                k = todo.pop()
                if k in comp:
                    continue
                comp.add(k)
                for e in nodes[k].edges:
                    j = nxt(k, e)
                    if j is None:
                        raise NotMatrix(f"dangling edge {e!r}")
                    todo.append(j)
            ends = [k for k in comp if len(nodes[k].edges) == 1]
            if ends:
                seq = walk(min(ends), None)
                if seq[-1][0] == "cycle" or seq[-1][2] is not None:
                    raise NotMatrix("irregular contraction")
                scalars.append(self.mark(self.scalar_path(seq, rev(seq), render), True))
            else:
                start = min(comp)
                seq = walk(start, nodes[start].edges[0])
                if seq[-1][0] != "cycle":
                    raise NotMatrix("irregular contraction")
                seq = seq[:-1]
                options = []
                for cand in (seq, rev(seq)):
                    fs = render(cand)
                    for r in range(len(fs)):  # rotate to start at an untransposed factor
                        options.append(fs[r:] + fs[:r])
                best = min(options, key=lambda fs: (_cost(_mul(fs)), isinstance(fs[0], Transpose), _text(_mul(fs))))
                scalars.append(self.mark(self.frobenius(options) or Call("tr", (_mul(best),)), True))
        chain = row_chain + col_chain
        for c in chain:
            self.mark(c, False)
        term = _Term(coef, sorted(scalars, key=_sort_key), chain, denom)
        node = term.ast()
        return node
