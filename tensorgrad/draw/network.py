"""Product networks: factors become nodes, shared edges wires, free edges stubs;
each connected piece is laid out on a grid (grid.py), pieces with free edges are
stacked, closed scalar pieces and the weight sit to the left.
"""

from __future__ import annotations

from ..expr import Delta, Product, Sum, Tensor, Variable, Zero, as_number
from .block import Block, Style
from .dispatch import LAYOUT
from .grid import _component
from .parts import _row, _sides, _text_block, _weight_text, fmt_number, reserve_labels, with_extras

SMALL = 1.2  # a piece of an outer product at most this tall sits beside the others


def _flatten(p: Product):
    """(weight, factors) of a product with nested products spliced in (their
    internal edges renamed apart) and single-term sums pulled out as weights."""
    weight = 1
    factors = list(p.factors)
    while True:
        k = next((k for k, f in enumerate(factors)
                  if isinstance(f, Product) or (isinstance(f, Sum) and len(f.terms) == 1)), None)
        if k is None:
            return weight, _merge_copies(factors)
        f = factors[k]
        if isinstance(f, Sum):
            weight *= f.weights[0]
            inner = [f.terms[0]]
        else:
            avoid = {e for j, g in enumerate(factors) if j != k for e in g.edges} | set(p.edges)
            inner = list(f.rename_internal_apart(avoid).factors)
        factors = factors[:k] + inner + factors[k + 1:]


def _merge_copies(factors: list) -> list:
    """Copy tensors joined by an edge are one copy tensor (the value is the same), so a
    ones vector on a copy tensor's leg or a chain of identities never shows as extra dots."""
    deltas = [k for k, f in enumerate(factors) if isinstance(f, Delta) and f.edges]
    parent = {k: k for k in deltas}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    owner: dict = {}
    for k in deltas:
        for e in factors[k].edges:
            if e in owner:
                parent[find(k)] = find(owner[e])
            owner[e] = k
    groups: dict = {}
    for k in deltas:
        groups.setdefault(find(k), []).append(k)
    if all(len(g) == 1 for g in groups.values()):
        return factors
    out = []
    for k, f in enumerate(factors):
        if k not in parent:
            out.append(f)
        elif find(k) == k:
            members = groups[k]
            count: dict = {}
            for m in members:
                for e in factors[m].edges:
                    count[e] = count.get(e, 0) + 1
            out.append(Delta(f.dim, *[e for m in members for e in factors[m].edges if count[e] == 1]))
    return out


class _Node:
    __slots__ = ("t", "kind", "slots", "col", "row", "w", "h", "x", "y", "block", "ports", "dx", "dy",
                 "transposed")

    def __init__(self, t, kind):
        self.t, self.kind, self.slots = t, kind, []
        self.col = self.row = 0
        self.w = self.h = self.x = self.y = self.dx = self.dy = 0.0
        self.block = None
        self.ports = {}
        self.transposed = False


class _Net:
    """Nodes, wires (u, eu, v, ev) and stubs (u, slot edge, free name) of a product,
    with 2-edge identities turned into plain wires."""

    def __init__(self, factors, free):
        self.nodes: list = []
        self.wires: list = []
        self.stubs: list = []
        parent: dict = {}

        def find(e):
            while parent.get(e, e) != e:
                e = parent[e]
            return e

        slot_of: dict = {}  # edge name -> [(node, edge)]
        for f in factors:
            if isinstance(f, Delta) and len(f.edges) == 2:
                a, c = find(f.edges[0]), find(f.edges[1])
                if a != c:
                    parent[max(a, c)] = min(a, c)
                else:  # a closed loop of identities: the dimension
                    self.nodes.append(_Node(f, "dim"))
                continue
            kind = _kind(f)
            u = len(self.nodes)
            self.nodes.append(_Node(f, kind))
            for e in f.edges:
                slot_of.setdefault(e, []).append((u, e))
        classes: dict = {}
        for e, slots in slot_of.items():
            classes.setdefault(find(e), []).extend(slots)
        free_of: dict = {}
        for e in free:
            free_of.setdefault(find(e), []).append(e)
        for f in factors:  # identities with both ends free become a bare wire node
            if isinstance(f, Delta) and len(f.edges) == 2:
                r = find(f.edges[0])
                if r not in classes and len(free_of.get(r, ())) == 2:
                    u = len(self.nodes)
                    self.nodes.append(_Node(f, "wire"))
                    classes[r] = [(u, free_of[r][0]), (u, free_of[r][1])]
                    for name in free_of[r]:
                        self.stubs.append((u, name, name))
        for r, slots in sorted(classes.items(), key=lambda kv: (kv[1][0], kv[0])):
            names = free_of.get(r, [])
            if self.nodes[slots[0][0]].kind == "wire":
                continue
            if len(slots) == 2:
                (u, eu), (v, ev) = slots
                self.wires.append((u, eu, v, ev))
            elif len(slots) == 1 and names:
                self.stubs.append((slots[0][0], slots[0][1], names[0]))
        order = {e: k for k, e in enumerate(free)}
        self.stubs.sort(key=lambda s: order[s[2]])
        self.adj = [[] for _ in self.nodes]
        for u, _, v, _ in self.wires:
            if u != v:
                self.adj[u].append(v)
                self.adj[v].append(u)
        self.adj = [sorted(set(a)) for a in self.adj]

    def components(self) -> list:
        seen, out = set(), []
        for s in range(len(self.nodes)):
            if s in seen:
                continue
            comp, todo = [], [s]
            seen.add(s)
            while todo:
                u = todo.pop()
                comp.append(u)
                for v in self.adj[u]:
                    if v not in seen:
                        seen.add(v)
                        todo.append(v)
            out.append(sorted(comp))
        return out


def _kind(f: Tensor) -> str:
    if isinstance(f, Delta):
        return "dim" if not f.edges else "dot"
    if isinstance(f, (Variable, Zero)):
        return "glyph"
    if as_number(f) is not None:
        return "number"
    return "block"



def _network(p: Product, style: Style, hints: dict) -> Block:
    weight, factors = _flatten(p)
    if not factors:
        return _text_block(fmt_number(weight), style)
    net = _Net(factors, p.edges)
    sides = _sides(p.edges, hints)
    comps = net.components()
    with_free = [c for c in comps if any(s[0] in c for s in net.stubs)]
    scalars = [c for c in comps if c not in with_free]
    order = {e: k for k, e in enumerate(p.edges)}
    with_free.sort(key=lambda c: min(order[s[2]] for s in net.stubs if s[0] in c))

    blocks = [_component(net, c, sides, style) for c in with_free]
    facing = any(side == "R" for blk in blocks[:-1] for _, _, side in blk.ports.values()) or \
        any(side == "L" for blk in blocks[1:] for _, _, side in blk.ports.values())
    if len(blocks) > 1 and all(blk.height <= SMALL for blk in blocks[1:]) and not (facing and hints):
        for k, blk in enumerate(blocks):
            reserve_labels(blk, style, ("R" if k == 0 else "LR") if k < len(blocks) - 1 else "L" if k else "")
        stack = _row(blocks, gap=0.3)  # small outer-product pieces beside the main one, not floating below
    else:
        stack = Block()
        y = 0.0
        cx = None
        for blk in blocks:
            x0, y0, x1, y1 = blk.bbox
            if cx is None:
                cx = (x0 + x1) / 2
                dy = 0.0
            else:
                dy = y - (y1 - 0.0) - 0.35
            dx = cx - (x0 + x1) / 2
            stack.ports.update(stack.place(blk, dx, dy))
            y = y0 + dy
    pieces = []
    if weight != 1:
        pieces.append(_text_block(_weight_text(weight, True, False), style))
    for c in scalars:
        pieces.append(_component(net, c, sides, style))
    if stack.bbox is None:
        return _row(pieces, gap=0.3)
    if pieces and not hints:
        reserve_labels(stack, style, "L")
    return with_extras(stack, pieces, bool(hints))



@LAYOUT.register(Variable, Delta, Zero)
def _leaf(t: Tensor, style: Style, hints: dict) -> Block:
    return _network(Product((t,), t.edges), style, hints)


LAYOUT.register(Product)(_network)

